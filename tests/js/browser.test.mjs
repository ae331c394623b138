// The package in a browser: headless Chromium, then headless Firefox, load a page whose
// <script type="module"> imports "plivo-verify-wasm" (mapped, the way a CDN or bundler resolves it, to the
// `browser` condition of the exports map: top-level await of init, the .wasm fetched next
// to the module) and runs the flow against a sandbox (which answers CORS). The page posts
// its results back to this file's server. A browser that is not installed skips its test
// (CHROMIUM=path, FIREFOX=path override /usr/bin/chromium, /usr/bin/firefox-esr), and
// scripts/test-js fails a run with fewer passed tests than it expects.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { noChromium, noFirefox, runInChromium, runInFirefox } from "./support/browsers.mjs";
import { ensureInstalled, INSTALLED, resolveExport } from "./support/install.mjs";
import { redact, startSandbox } from "./support/sandbox.mjs";

const TIMEOUT_MS = 45_000;
const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".json": "application/json" };

let sandbox;
let server;
let origin;
let entry;
let browserClientEntry;
let deliver; // resolves the current run's report with what the page posts to /result

const page = () => `<!doctype html>
<meta charset="utf-8">
<title>plivo-verify-wasm in a browser</title>
<script type="importmap">{ "imports": {
  "plivo-verify-wasm": "/pkg/${entry.slice(2)}",
  "plivo-verify-wasm/browser-client": "/pkg/${browserClientEntry.slice(2)}"
} }</script>
<script type="module">
const post = (result) => fetch("/result", { method: "POST", body: JSON.stringify(result) });
const outcome = async (call) => {
  try { await call(); return { ok: true }; }
  catch (e) { return { ok: false, isVerifyError: e instanceof VerifyError, isError: e instanceof Error, name: e.name, code: e.code, status: e.status, argument: e.argument }; }
};
let VerifyClient, VerifyError;
try {
  ({ VerifyClient, VerifyError } = await import("plivo-verify-wasm"));
  // The credentials come from the test's server, not the URL: no stack trace can show them.
  const options = await (await fetch("/config")).json();
  const base = options.baseUrl;
  const client = new VerifyClient(options);
  const created = await client.createSession({ recipient: "+14155550100" });
  const { otp } = await (await fetch(base + "/__sandbox/sessions/" + created.sessionUuid + "/otp")).json();
  await client.validateSession(created.sessionUuid, otp);
  const session = await client.getSession(created.sessionUuid);
  const list = await client.listSessions({ limit: 1 });
  let iterated = 0;
  for await (const s of client.sessions({ status: "verified" })) iterated++;
  // The browser client's own small module, next to the whole one in the same page.
  const lean = await import("plivo-verify-wasm/browser-client");
  const sent = [];
  const leanClient = new lean.VerifyBrowserClient({ fetch: async (...args) => { sent.push(args); throw new Error("not called"); } });
  // WebOTP with navigator.credentials stubbed (no SMS arrives in a test): none without
  // OTPCredential; then the code the browser read, a non-code, and a wait aborted.
  // (Chromium has OTPCredential even on desktop, where no SMS ever comes: removed for the
  // first case.)
  delete window.OTPCredential;
  const webOtp = { without: await leanClient.receiveCode() };
  const asked = [];
  let mode = "code";
  window.OTPCredential = class OTPCredential {};
  Object.defineProperty(navigator, "credentials", { configurable: true, value: {
    get(options) {
      asked.push({ transport: options.otp?.transport, signal: options.signal instanceof AbortSignal });
      if (mode === "code") return Promise.resolve({ type: "otp", code: "123456" });
      if (mode === "bad") return Promise.resolve({ type: "otp", code: "12ab" });
      return new Promise((_, reject) => options.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
    },
  } });
  const waiting = new AbortController();
  webOtp.code = await leanClient.receiveCode(waiting.signal);
  mode = "bad";
  webOtp.notACode = await leanClient.receiveCode();
  mode = "wait";
  const aborted = new AbortController();
  const pending = leanClient.receiveCode(aborted.signal);
  setTimeout(() => aborted.abort(), 50);
  webOtp.aborted = await pending;
  webOtp.badSignal = await outcome(() => leanClient.receiveCode("soon"));
  webOtp.asked = asked;
  await post({
    webOtp,
    browserClient: {
      exports: Object.keys(lean).sort(),
      sameVerifyError: lean.VerifyError === VerifyError,
      badOptions: await outcome(() => new lean.VerifyBrowserClient({ endpoint: 5 })),
      badNumber: await outcome(() => leanClient.start("call me")),
      badCode: await outcome(() => leanClient.check("00000000-0000-4000-8000-000000000000", "12")),
      sent: sent.length,
      stillWorks: await outcome(() => leanClient.start("+14155550100")),
    },
    window: typeof window,
    status: session.status,
    sameUuid: session.sessionUuid === created.sessionUuid,
    listed: list.sessions.map((s) => s.sessionUuid).includes(created.sessionUuid),
    iterated,
    notFound: await outcome(() => client.getSession("00000000-0000-4000-8000-000000000000")),
    authentication: await outcome(() => new VerifyClient({ ...options, authToken: "wrong" }).getSession(created.sessionUuid)),
    badInput: await outcome(() => client.validateSession(created.sessionUuid, 123456)),
  });
} catch (e) {
  await post({ crashed: String(e && e.stack || e) });
}
</script>`;

before(async () => {
  if (noChromium() && noFirefox()) return;
  ensureInstalled();
  const manifest = JSON.parse(readFileSync(join(INSTALLED, "package.json"), "utf8"));
  entry = resolveExport(manifest, ["browser", "import", "default"]);
  browserClientEntry = resolveExport(manifest, ["browser", "import", "default"], "./browser-client");
  sandbox = await startSandbox({ seed: 31 });
  server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (req.method === "POST" && url.pathname === "/result") {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        deliver(JSON.parse(body));
        res.writeHead(204).end();
      });
      return;
    }
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": TYPES[".html"] }).end(page());
      return;
    }
    if (url.pathname === "/config") {
      res.writeHead(200, { "content-type": TYPES[".json"] }).end(JSON.stringify(sandbox.options()));
      return;
    }
    if (url.pathname.startsWith("/pkg/")) {
      const file = normalize(join(INSTALLED, url.pathname.slice(5)));
      if (file.startsWith(INSTALLED) && existsSync(file)) {
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
        return;
      }
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
});
after(async () => {
  await sandbox?.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

for (const [name, run, skip] of [
  ["Chromium", runInChromium, noChromium()],
  ["Firefox", runInFirefox, noFirefox()],
]) {
  test(`in ${name}: the browser entry initialises itself and runs the flow`, { skip }, () => flowIn(run));
}

async function flowIn(run) {
  assert.equal(entry, "./browser.js");
  await sandbox.dev.reset();
  const report = new Promise((resolve) => (deliver = resolve));
  const result = await run(`${origin}/`, report, { timeoutMs: TIMEOUT_MS });
  if (result.crashed) assert.fail(`the page failed: ${redact(result.crashed)}`);
  assert.equal(result.window, "object");
  assert.equal(result.status, "verified");
  assert.equal(result.sameUuid, true);
  assert.equal(result.listed, true);
  assert.equal(result.iterated, 1);
  const error = (code, extra = {}) => ({ ok: false, isVerifyError: true, isError: true, name: "VerifyError", code, ...extra });
  assert.deepEqual(result.notFound, error("not_found", { status: 404 }));
  assert.deepEqual(result.authentication, error("authentication", { status: 401 }));
  assert.deepEqual(result.badInput, error("invalid_argument", { argument: "otp" }));
  // "plivo-verify-wasm/browser-client": VerifyBrowserClient alone; bad input is refused
  // before any request, and the module still works after.
  const lean = result.browserClient;
  assert.deepEqual(lean.exports, ["VerifyBrowserClient", "VerifyError"]);
  assert.equal(lean.sameVerifyError, true, "one VerifyError class for both modules");
  assert.deepEqual(lean.badOptions, error("invalid_argument", { argument: "endpoint" }));
  assert.deepEqual(lean.badNumber, error("invalid_argument", { argument: "recipient" }));
  assert.deepEqual(lean.badCode, error("invalid_argument", { argument: "otp" }));
  assert.equal(lean.sent, 0, "nothing sent for bad input");
  assert.deepEqual(lean.stillWorks, error("network"), "a good call reaches fetch (which fails here)");
  // WebOTP (navigator.credentials stubbed): the code read, nothing for a non-code, null when
  // aborted or unsupported; always asked for SMS, with the caller's signal.
  const { webOtp } = result;
  assert.equal(webOtp.without, null, "no OTPCredential: null, nothing asked");
  assert.equal(webOtp.code, "123456");
  assert.equal(webOtp.notACode, null);
  assert.equal(webOtp.aborted, null);
  assert.deepEqual(webOtp.badSignal, error("invalid_argument", { argument: "signal" }));
  assert.deepEqual(webOtp.asked, [
    { transport: ["sms"], signal: true },
    { transport: ["sms"], signal: false },
    { transport: ["sms"], signal: true },
  ]);
}
