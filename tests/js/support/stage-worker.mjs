// Stages a worker that does `import … from "plivo-verify-wasm"` for Miniflare: workerd has no
// node_modules resolution, so this resolves the name the way wrangler does (the package's
// exports map with the conditions workerd, worker, browser, import, default), copies the
// installed package (tests/js/node_modules, an `npm pack` of pkg/) next to the worker, and
// rewrites the import to the file it picks. Used by workerd-run.mjs and tests/worker/.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INSTALLED, resolveExport } from "./install.mjs";

/** Miniflare's module rules for a staged worker: its .js files, the .wasm as a compiled module. */
export const MODULES_RULES = [
  { type: "ESModule", include: ["**/*.js"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];

/**
 * Copies `source` (a worker importing "plivo-verify-wasm" exactly once) into a fresh
 * temporary directory with the package, and each `[file, name]` of `extras` beside it as
 * `name`. Returns { root, scriptPath, modulesRules, dispose }.
 */
export function stageWorker(source, extras = []) {
  const manifest = JSON.parse(readFileSync(join(INSTALLED, "package.json"), "utf8"));
  const entry = resolveExport(manifest, ["workerd", "worker", "browser", "import", "default"]);
  if (entry !== "./workerd.js") throw new Error(`the workerd condition resolves to ${entry}`);

  const root = mkdtempSync(join(tmpdir(), "plivo-verify-workerd-"));
  try {
    cpSync(INSTALLED, join(root, "node_modules", "plivo-verify-wasm"), { recursive: true });
    const text = readFileSync(source, "utf8");
    const specifier = `./node_modules/plivo-verify-wasm/${entry.slice(2)}`;
    const rewritten = text.replace(/from "plivo-verify-wasm";/g, `from "${specifier}";`);
    if (rewritten.split(specifier).length !== 2) throw new Error(`${source} should import plivo-verify-wasm once`);
    writeFileSync(join(root, "worker.js"), rewritten);
    for (const [file, name] of extras) cpSync(file, join(root, name));
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  return {
    root,
    scriptPath: join(root, "worker.js"),
    modulesRules: MODULES_RULES,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
