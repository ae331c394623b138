// Size: our package (the .wasm raw/gzip/brotli, the JS glue, the whole package) against the
// official `plivo` package (installed size with its dependencies, an esbuild bundle of a
// minimal verify-session usage for Node), and the worker bundles wrangler produces.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { BENCH_INSTALLED, PLIVO_VERSION, ROOT } from "./support.mjs";

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const br = (buf) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

function walk(dir) {
  let files = 0, bytes = 0;
  const go = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) go(p);
      else if (e.isFile()) {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  go(dir);
  return { files, bytes };
}

function esbuild(entry, outfile, extra = []) {
  const bin = join(ROOT, "node_modules", ".bin", "esbuild");
  execFileSync(bin, [entry, "--bundle", "--minify", "--platform=node", "--format=esm", `--outfile=${outfile}`, "--log-level=error", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  const buf = readFileSync(outfile);
  return { raw: buf.length, gzip: gz(buf), brotli: br(buf) };
}

/** wrangler deploy --dry-run of `dir` (offline, as scripts/check-worker-bundle does). */
function wranglerBundle(dir, work) {
  const isolate = spawnSync("unshare", ["-n", "true"]).status === 0 ? ["unshare", "-n"] : [];
  const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");
  const out = join(work, "out-" + Math.random().toString(36).slice(2));
  mkdirSync(join(work, "config"), { recursive: true });
  const cmd = [...isolate, wrangler, "deploy", "--dry-run", "--outdir", out];
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CLOUDFLARE_"))),
      WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", WRANGLER_HIDE_BANNER: "true",
      XDG_CONFIG_HOME: join(work, "config"), WRANGLER_LOG_PATH: join(work, "logs"), CI: "true",
    },
  });
  if (r.status !== 0) {
    const said = (r.stdout + r.stderr).split("\n").filter((l) => /ERROR|error|Could not|✘/.test(l)).slice(0, 6).join(" | ");
    return { ok: false, offline: isolate.length > 0, error: said || `wrangler exited ${r.status}` };
  }
  let raw = 0, gzip = 0;
  const files = [];
  for (const name of readdirSync(out).sort()) {
    if (!/\.(m?js|wasm)$/.test(name)) continue;
    const buf = readFileSync(join(out, name));
    raw += buf.length; gzip += gz(buf);
    files.push({ name, raw: buf.length, gzip: gz(buf) });
  }
  return { ok: true, offline: isolate.length > 0, raw, gzip, files };
}

export async function size({ log = () => {} } = {}) {
  const pkg = BENCH_INSTALLED;
  const wasm = readFileSync(join(pkg, "plivo_verify_wasm_bg.wasm"));
  const glue = readFileSync(join(pkg, "plivo_verify_wasm.js"));
  const browserWasm = readFileSync(join(pkg, "plivo_verify_browser_bg.wasm"));
  const browserGlue = readFileSync(join(pkg, "plivo_verify_browser.js"));
  const entry = readFileSync(join(pkg, "node.js"));
  const installed = walk(pkg);
  const packed = (() => {
    const work = mkdtempSync(join(tmpdir(), "bench-pack-"));
    try {
      const out = execFileSync("npm", ["pack", pkg, "--pack-destination", work, "--json", "--loglevel=error"], { cwd: work, encoding: "utf8" });
      const [{ filename }] = JSON.parse(out.slice(out.indexOf("[")));
      return statSync(join(work, filename)).size;
    } finally { rmSync(work, { recursive: true, force: true }); }
  })();
  const ours = {
    wasm: { raw: wasm.length, gzip: gz(wasm), brotli: br(wasm) },
    glue: { raw: glue.length, gzip: gz(glue), brotli: br(glue) },
    // "plivo-verify-wasm/browser-client": what a page loads.
    browserClientWasm: { raw: browserWasm.length, gzip: gz(browserWasm), brotli: br(browserWasm) },
    browserClientGlue: { raw: browserGlue.length, gzip: gz(browserGlue), brotli: br(browserGlue) },
    nodeEntry: { raw: entry.length },
    package: { installedBytes: installed.bytes, files: installed.files, tarball: packed },
  };

  const work = mkdtempSync(join(tmpdir(), "bench-size-"));
  const result = { ours, plivo: { version: PLIVO_VERSION }, workers: {} };
  try {
    // Ours for Node: the same minimal usage bundled (the .wasm stays a file next to it).
    const oursEntry = join(ROOT, "bench", ".size-entry-ours.mjs");
    writeFileSync(oursEntry, 'import { VerifyClient } from "plivo-verify-wasm";\nconst c = new VerifyClient({ authId: process.env.A, authToken: process.env.T });\nconsole.log(await c.createSession({ recipient: "+14155550100" }));\n');
    try {
      const js = esbuild(oursEntry, join(work, "ours.mjs"));
      ours.nodeBundle = { js, wasmGzip: ours.wasm.gzip, totalGzip: js.gzip + ours.wasm.gzip, totalRaw: js.raw + ours.wasm.raw };
    } finally { rmSync(oursEntry, { force: true }); }

    // plivo: an isolated install (its dependencies as npm resolves them today).
    log(`npm install plivo@${PLIVO_VERSION} into a temporary prefix`);
    const prefix = join(work, "plivo");
    mkdirSync(prefix);
    writeFileSync(join(prefix, "package.json"), '{"name":"bench-plivo","private":true}');
    execFileSync("npm", ["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", prefix, `plivo@${PLIVO_VERSION}`], { stdio: ["ignore", "pipe", "pipe"] });
    const nm = join(prefix, "node_modules");
    const installedPlivo = walk(nm);
    const pkgCount = execFileSync("npm", ["ls", "--all", "--parseable", "--prefix", prefix], { encoding: "utf8" }).trim().split("\n").length - 1;
    result.plivo.installed = { bytes: installedPlivo.bytes, files: installedPlivo.files, packages: pkgCount };
    const plivoEntry = join(prefix, "entry.mjs");
    writeFileSync(plivoEntry, 'import plivo from "plivo";\nconst c = new plivo.Client(process.env.A, process.env.T);\nconsole.log(await c.verify_session.create({ recipient: "+14155550100" }));\n');
    try {
      result.plivo.nodeBundle = esbuild(plivoEntry, join(work, "plivo-bundle.mjs"));
    } catch (e) {
      result.plivo.nodeBundle = { error: String(e.stderr ?? e).slice(0, 400) };
    }

    // Workers: ours (www/, as scripts/check-worker-bundle stages it) and the same tiny job with plivo.
    log("wrangler deploy --dry-run: our worker (www/) and a plivo worker (nodejs_compat)");
    const oursDir = join(work, "www");
    mkdirSync(join(oursDir, "node_modules"), { recursive: true });
    cpSync(join(ROOT, "www", "worker.js"), join(oursDir, "worker.js"));
    cpSync(join(ROOT, "www", "wrangler.toml"), join(oursDir, "wrangler.toml"));
    cpSync(pkg, join(oursDir, "node_modules", "plivo-verify-wasm"), { recursive: true });
    result.workers.ours = wranglerBundle(oursDir, work);

    // The same tiny worker twice: create a session, with our client and with plivo's.
    const tiny = (imp, make, call) => `${imp}\nexport default { async fetch(request, env) {\n  ${make}\n  const r = await ${call};\n  return Response.json(r);\n} };\n`;
    const tinyOurs = join(work, "tiny-ours");
    mkdirSync(join(tinyOurs, "node_modules"), { recursive: true });
    cpSync(pkg, join(tinyOurs, "node_modules", "plivo-verify-wasm"), { recursive: true });
    writeFileSync(join(tinyOurs, "worker.js"), tiny('import { VerifyClient } from "plivo-verify-wasm";', "const c = VerifyClient.fromEnv(env);", 'c.createSession({ recipient: "+14155550100" })'));
    writeFileSync(join(tinyOurs, "wrangler.toml"), 'name = "tiny-ours"\nmain = "worker.js"\ncompatibility_date = "2026-04-01"\n');
    result.workers.tinyOurs = wranglerBundle(tinyOurs, work);
    const tinyPlivo = join(prefix, "tiny-plivo"); // inside the prefix: resolves its node_modules
    mkdirSync(tinyPlivo);
    writeFileSync(join(tinyPlivo, "worker.js"), tiny('import plivo from "plivo";', "const c = new plivo.Client(env.PLIVO_AUTH_ID, env.PLIVO_AUTH_TOKEN);", 'c.verify_session.create({ recipient: "+14155550100" })'));
    writeFileSync(join(tinyPlivo, "wrangler.toml"), 'name = "tiny-plivo"\nmain = "worker.js"\ncompatibility_date = "2026-04-01"\ncompatibility_flags = ["nodejs_compat"]\n');
    result.workers.tinyPlivo = wranglerBundle(tinyPlivo, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  console.log(JSON.stringify(await size({ log: console.error }), null, 1));
}
