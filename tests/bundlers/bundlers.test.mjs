// The package brought into an app by the three bundlers its users have: app/main.js, which
// imports "plivo-verify-wasm" and "plivo-verify-wasm/browser-client" by name, is built
// offline by esbuild, Vite and webpack (their APIs, pinned devDependencies) against the
// package unpacked from its tarball into tests/bundlers/node_modules; each output runs in
// headless Chromium: VerifyClient against a sandbox, VerifyBrowserClient against the real
// VerifyProxy served by this file's server at /verify. Each bundle's size is printed and
// written to artifacts/bundlers.json.
//
//   scripts/test-bundlers   (make test runs it after the package's own tests)
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { after, before, test } from "node:test";
import { noChromium, runInChromium } from "../js/support/browsers.mjs";
import { installInto, ROOT } from "../js/support/install.mjs";
import { redact, startSandbox } from "../js/support/sandbox.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const APP = join(HERE, "app");
const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".json": "application/json" };

let installed;
let sandbox;
let VerifyProxy;
const work = mkdtempSync(join(tmpdir(), "plivo-verify-bundlers-"));
const sizes = {};

before(async () => {
  installed = installInto(join(HERE, "node_modules"));
  ({ VerifyProxy } = await import("plivo-verify-wasm"));
  sandbox = await startSandbox({ seed: 41, args: ["--list-rate-limit", "0"] });
});
after(async () => {
  await sandbox?.stop();
  rmSync(work, { recursive: true, force: true });
  if (Object.keys(sizes).length) {
    mkdirSync(join(ROOT, "artifacts"), { recursive: true });
    writeFileSync(join(ROOT, "artifacts", "bundlers.json"), `${JSON.stringify(sizes, null, 2)}\n`);
  }
});

/** Each bundler's build of app/ into `out`, with an index.html loading it. */
const BUILDS = {
  async esbuild(out) {
    const esbuild = await import("esbuild");
    await esbuild.build({
      entryPoints: [join(APP, "main.js")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      outdir: out,
      logLevel: "silent",
    });
    // esbuild leaves `new URL("./x.wasm", import.meta.url)` as it is: the .wasm files go next
    // to the bundle, as the README tells esbuild users.
    for (const file of ["plivo_verify_wasm_bg.wasm", "plivo_verify_browser_bg.wasm"]) copyFileSync(join(installed, file), join(out, file));
    copyFileSync(join(APP, "index.html"), join(out, "index.html"));
  },
  async vite(out) {
    const { build } = await import("vite");
    await build({
      root: APP,
      configFile: false,
      logLevel: "silent",
      build: { outDir: out, emptyOutDir: true, target: "es2022" },
    });
  },
  async webpack(out) {
    const { default: webpack } = await import("webpack");
    const compiler = webpack({
      mode: "production",
      context: APP,
      entry: "./main.js",
      target: "web",
      output: { path: out, filename: "main.js", publicPath: "auto" },
      experiments: { topLevelAwait: true },
      performance: { hints: false },
      infrastructureLogging: { level: "error" },
    });
    const stats = await new Promise((resolve, reject) => compiler.run((e, s) => (e ? reject(e) : resolve(s))));
    await new Promise((resolve) => compiler.close(resolve));
    if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
    writeFileSync(join(out, "index.html"), '<!doctype html>\n<meta charset="utf-8">\n<script src="./main.js"></script>\n');
  },
};

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Bytes of the output by kind, raw and gzipped (gzip -9). */
function measure(out) {
  const total = { js: { raw: 0, gzip: 0 }, wasm: { raw: 0, gzip: 0 }, files: 0 };
  for (const file of files(out)) {
    const kind = extname(file) === ".wasm" ? "wasm" : extname(file) === ".js" ? "js" : null;
    if (!kind) continue;
    const bytes = readFileSync(file);
    total[kind].raw += bytes.length;
    total[kind].gzip += gzipSync(bytes, { level: 9 }).length;
    total.files += 1;
  }
  return total;
}

/** Serves `out`, /config, /result and the proxy at /verify; resolves `report` with the result. */
async function serve(out, recipients) {
  const proxy = new VerifyProxy({ ...sandbox.options(), proofSecret: "bundlers-proof-secret-of-32-characters" });
  let deliver;
  const report = new Promise((resolve) => (deliver = resolve));
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === "/result" && req.method === "POST") {
      deliver(JSON.parse(body.toString("utf8")));
      return res.writeHead(204).end();
    }
    if (url.pathname === "/config") {
      return res.writeHead(200, { "content-type": TYPES[".json"] }).end(JSON.stringify({ client: sandbox.options(), recipients }));
    }
    if (url.pathname.startsWith("/verify/")) {
      const request = new Request(url, { method: req.method, headers: req.headers, body: body.length ? body : undefined });
      const answer = await proxy.fetch(request);
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      return res.end(Buffer.from(await answer.arrayBuffer()));
    }
    const file = normalize(join(out, url.pathname === "/" ? "index.html" : url.pathname));
    if (file.startsWith(out) && statSync(file, { throwIfNoEntry: false })?.isFile()) {
      return res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, report, close: () => new Promise((resolve) => server.close(resolve)) };
}

let n = 0;
for (const [name, build] of Object.entries(BUILDS)) {
  test(`${name}: the bundled app runs the flow in Chromium`, { skip: noChromium() }, async () => {
    const out = join(work, name);
    mkdirSync(out, { recursive: true });
    await build(out);
    const size = measure(out);
    assert.ok(size.wasm.raw > 0, `${name} emitted no .wasm: ${files(out).map((f) => relative(out, f))}`);
    n += 1;
    const site = await serve(out, [`+1415555081${n}`, `+1 415 555 082${n}`]);
    try {
      const result = await runInChromium(site.url, site.report);
      if (result.crashed) assert.fail(`the ${name} bundle failed in the page: ${redact(result.crashed)}`);
      assert.equal(result.status, "verified", "VerifyClient against the sandbox");
      assert.equal(result.verified, true, "VerifyBrowserClient through the proxy");
      assert.equal(result.proof, true);
      assert.equal(result.oneErrorClass, true, "one VerifyError for both entries");
      assert.deepEqual(result.badInput, { ok: false, isVerifyError: true, code: "invalid_argument", argument: "recipient" });
      assert.deepEqual(result.badNumber, { ok: false, isVerifyError: true, code: "invalid_argument", argument: "recipient" });
    } finally {
      await site.close();
    }
    sizes[name] = size;
    console.log(
      `${name}: ${size.files} files; JS ${size.js.raw} bytes (${size.js.gzip} gzipped), .wasm ${size.wasm.raw} bytes (${size.wasm.gzip} gzipped)`,
    );
  });
}
