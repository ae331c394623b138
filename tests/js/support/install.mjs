// Installs the built package the way a user gets it: `npm pack` of pkg/ (so only the
// `files` of its package.json go in), unpacked into tests/js/node_modules/plivo-verify-wasm.
// Test files under tests/js/ then `import "plivo-verify-wasm"` by name and Node resolves it
// through the package's `exports` map.
//
//   node tests/js/support/install.mjs     (scripts/test-js runs it before the tests)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const PKG = join(ROOT, "pkg");
export const MODULES = join(ROOT, "tests", "js", "node_modules");
export const INSTALLED = join(MODULES, "plivo-verify-wasm");

function files(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), base) : [relative(base, join(dir, e.name))]))
    .sort();
}

/** The installed files, relative to the package root. */
export function installedFiles() {
  return files(INSTALLED);
}

function digest(dir, names) {
  const hash = createHash("sha256");
  for (const name of names) hash.update(name).update("\0").update(readFileSync(join(dir, name)));
  return hash.digest("hex");
}

/** True when the installed copy has exactly the bytes of pkg/ (for the files it holds). */
export function isFresh() {
  if (!existsSync(join(INSTALLED, "package.json")) || !existsSync(join(PKG, "package.json"))) return false;
  const names = installedFiles();
  if (names.some((n) => !existsSync(join(PKG, n)))) return false;
  return digest(INSTALLED, names) === digest(PKG, names);
}

/** Packs pkg/ and unpacks it into tests/js/node_modules/plivo-verify-wasm. */
export function install() {
  installInto(MODULES);
  if (!isFresh()) throw new Error("the packed package differs from pkg/");
}

/** Packs pkg/ and unpacks it into `modules`/plivo-verify-wasm (another node_modules). */
export function installInto(modules) {
  if (!existsSync(join(PKG, "package.json"))) {
    throw new Error("pkg/ is not built: run scripts/build (make build) first");
  }
  const installed = join(modules, "plivo-verify-wasm");
  mkdirSync(modules, { recursive: true });
  const work = mkdtempSync(join(modules, ".install-"));
  try {
    const out = execFileSync("npm", ["pack", PKG, "--pack-destination", work, "--json", "--loglevel=error"], {
      cwd: work,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [{ filename }] = JSON.parse(out.slice(out.indexOf("[")));
    execFileSync("tar", ["-xzf", join(work, filename), "-C", work]);
    rmSync(installed, { recursive: true, force: true });
    try {
      renameSync(join(work, "package"), installed);
    } catch {
      cpSync(join(work, "package"), installed, { recursive: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return installed;
}

/** The target of `exports["."]` for these conditions (Node's algorithm, in key order). */
export function resolveExport(manifest, conditions, subpath = ".") {
  const pick = (target) => {
    if (typeof target === "string") return target;
    if (target && typeof target === "object") {
      for (const [key, value] of Object.entries(target)) {
        if (conditions.includes(key)) {
          const found = pick(value);
          if (found) return found;
        }
      }
    }
    return null;
  };
  return pick(manifest.exports?.[subpath]);
}

/** Installs unless the installed copy is already pkg/'s. */
export function ensureInstalled() {
  if (!isFresh()) install();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureInstalled();
  console.log(`installed plivo-verify-wasm (npm pack of pkg/) into ${relative(ROOT, INSTALLED)}: ${installedFiles().length} files`);
}
