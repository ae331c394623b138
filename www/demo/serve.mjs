// Starts the demo: the Verify sandbox (unless PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN are set: then
// the real API) and the demo worker (www/demo/worker.js) in workerd via Miniflare, serving
// the page, the proxy under /verify/* and the demo routes under /demo/*. Prints one URL and
// "ready". Ctrl-C (SIGINT) or SIGTERM stops both.
//
//   DEMO_PORT           the page's port on 127.0.0.1 (default 8787)
//   DEMO_SANDBOX_PORT   the sandbox's port (default: a free one)
//   DEMO_LIMITS         JSON merged over the demo's proxy limits, e.g. {"resendAfterSecs":5}
//   DEMO_PUBLIC_URL     real mode: where Plivo can reach this demo (status callbacks); optional
//   DEMO_TOKEN          real mode: the token the page needs for /demo/events and /demo/sessions
//                       (default: a random one, in the printed URL's #fragment)
//   PLIVO_BASE_URL      real mode: another API origin (default Plivo's)
//   DEMO_QUIET=1        do not echo the sandbox's console (its OTP lines and callbacks)
//
// The pkg/ build must exist (scripts/demo builds it, and target/debug/verify-sandbox).
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { startSandbox } from "../../sandbox/start.mjs";
import { ensureInstalled, INSTALLED } from "../../tests/js/support/install.mjs";
import { stageWorker } from "../../tests/js/support/stage-worker.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const HOST = "127.0.0.1";
const SANDBOX_AUTH_ID = "MAXXXXXXXXXXXXXXXXXX";
const CODE_LENGTH = 6;
const CODE_EXPIRY_SECS = 600; // the sandbox's default, and Plivo's
const DEFAULT_LIMITS = {
  sendsPerRecipient: [3, 600],
  sendsPerIp: [20, 3600],
  resendAfterSecs: 30,
  checksPerSession: 5,
  readsPerIp: [120, 60],
};

const fail = (message) => {
  console.error(`demo: ${message}`);
  process.exit(1);
};

function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** The sandbox (sandbox/start.mjs), its console echoed: the OTPs "sent" and the callbacks delivered. */
function startDemoSandbox(authToken) {
  const quiet = process.env.DEMO_QUIET === "1";
  let ready = false;
  const started = startSandbox({
    authToken,
    authId: SANDBOX_AUTH_ID,
    port: Number(process.env.DEMO_SANDBOX_PORT || 0),
    // The page's polling is left out.
    onLine: (line) => {
      if (!quiet && ready && /^(OTP |callback )/.test(line)) console.error(`sandbox | ${line}`);
    },
  });
  return started.then((sandbox) => {
    ready = true;
    return sandbox;
  });
}

/** The pages and the package's browser client (its own small module) and element, under /pkg/, in a fresh directory. */
function stageAssets() {
  const dir = mkdtempSync(join(tmpdir(), "plivo-verify-demo-assets-"));
  for (const name of ["index.html", "element.html", "app.js", "style.css"]) cpSync(join(here, name), join(dir, name));
  for (const name of ["browser-client.js", "element.js", "plivo_verify_browser.js", "plivo_verify_browser_bg.wasm", "snippets"]) {
    cpSync(join(INSTALLED, name), join(dir, "pkg", name), { recursive: true });
  }
  return dir;
}

async function main() {
  const port = Number(process.env.DEMO_PORT || 8787);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`DEMO_PORT=${process.env.DEMO_PORT} is not a port`);
  if (!(await portFree(port))) {
    fail(
      `port ${port} on ${HOST} is already in use (is the demo already running?). ` +
        `Stop it, or pick another port: DEMO_PORT=8788 make demo`,
    );
  }
  const real = Boolean(process.env.PLIVO_AUTH_ID && process.env.PLIVO_AUTH_TOKEN);
  const url = `http://${HOST}:${port}`;
  let limits = DEFAULT_LIMITS;
  if (process.env.DEMO_LIMITS) {
    try {
      limits = { ...DEFAULT_LIMITS, ...JSON.parse(process.env.DEMO_LIMITS) };
    } catch {
      fail("DEMO_LIMITS is not JSON");
    }
  }

  ensureInstalled();
  const cleanups = [];
  let stopping = false;
  async function stop(code) {
    if (stopping) return;
    stopping = true;
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch {
        /* keep stopping */
      }
    }
    if (code === 0) console.log("demo: stopped");
    process.exit(code);
  }
  // Miniflare installs SIGINT/SIGTERM handlers that exit at once (status 130/143) and would
  // leave the sandbox running: ours replace them, and stop everything in order.
  const onSignals = () => {
    for (const signal of ["SIGINT", "SIGTERM"]) {
      process.removeAllListeners(signal);
      process.on(signal, () => stop(0));
    }
  };
  onSignals();

  try {
    const proofSecret = randomBytes(32).toString("hex");
    const bindings = {
      PROOF_SECRET: proofSecret,
      CODE_LENGTH: String(CODE_LENGTH),
      CODE_EXPIRY_SECS: String(CODE_EXPIRY_SECS),
      LIMITS: JSON.stringify(limits),
    };
    // Requests must name this server (DNS rebinding): its address and "localhost".
    const hosts = [`${HOST}:${port}`, `localhost:${port}`];
    if (real) {
      Object.assign(bindings, {
        DEMO_MODE: "real",
        PLIVO_AUTH_ID: process.env.PLIVO_AUTH_ID,
        PLIVO_AUTH_TOKEN: process.env.PLIVO_AUTH_TOKEN,
        DEMO_TOKEN: process.env.DEMO_TOKEN || randomBytes(16).toString("hex"),
      });
      if (process.env.DEMO_PUBLIC_URL) {
        bindings.PUBLIC_URL = process.env.DEMO_PUBLIC_URL;
        hosts.push(new URL(process.env.DEMO_PUBLIC_URL).host);
      }
      // Another API origin (a staging or recording proxy); default Plivo's.
      if (process.env.PLIVO_BASE_URL) bindings.PLIVO_BASE_URL = process.env.PLIVO_BASE_URL;
    } else {
      const authToken = `sandbox-${randomBytes(16).toString("hex")}`;
      const sandbox = await startDemoSandbox(authToken);
      cleanups.push(() => sandbox.stop());
      const sandboxUrl = sandbox.base;
      // Last resort (an unexpected exit): never leave the sandbox behind.
      process.on("exit", () => {
        if (sandbox.child.exitCode === null && sandbox.child.signalCode === null) sandbox.child.kill("SIGKILL");
      });
      sandbox.child.once("exit", (code, signal) => {
        if (!stopping) {
          console.error(`demo: the sandbox stopped (${code ?? signal}); stopping`);
          stop(1);
        }
      });
      Object.assign(bindings, {
        DEMO_MODE: "sandbox",
        PLIVO_AUTH_ID: SANDBOX_AUTH_ID,
        PLIVO_AUTH_TOKEN: authToken,
        PLIVO_BASE_URL: sandboxUrl,
        SANDBOX_URL: sandboxUrl,
        PUBLIC_URL: url,
      });
    }

    bindings.ALLOWED_HOSTS = hosts.join(",");
    const staged = stageWorker(join(here, "worker.js"));
    cleanups.push(() => staged.dispose());
    const assets = stageAssets();
    cleanups.push(() => rmSync(assets, { recursive: true, force: true }));

    const mf = new Miniflare({
      name: "verify-demo",
      modules: true,
      scriptPath: staged.scriptPath,
      modulesRoot: staged.root,
      modulesRules: staged.modulesRules,
      compatibilityDate: "2026-04-01",
      bindings,
      assets: {
        directory: assets,
        binding: "ASSETS",
        routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
      },
      host: HOST,
      port,
    });
    cleanups.push(() => mf.dispose());
    onSignals();
    try {
      await mf.ready;
    } catch (e) {
      console.error(`demo: the worker could not start: ${e?.message ?? e}`);
      return stop(1);
    }
    onSignals();
    // A smoke check that the page and the proxy answer before saying "ready".
    const page = await fetch(`${url}/`);
    const config = await fetch(`${url}/demo/config`);
    if (!page.ok || !config.ok) {
      console.error(`demo: the worker answers ${page.status} for / and ${config.status} for /demo/config`);
      return stop(1);
    }
    console.log(
      real
        ? "Plivo Verify demo: REAL API mode (PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN are set): real codes are sent and charged." +
            (bindings.PUBLIC_URL ? "" : " Status callbacks are off (set DEMO_PUBLIC_URL to a URL Plivo can reach).")
        : "Plivo Verify demo: sandbox mode (nothing is really sent; codes show in the page's sandbox phone).",
    );
    // Real mode: the token rides in the fragment, which the browser never sends anywhere.
    console.log(real ? `  ${url}/#demo-token=${bindings.DEMO_TOKEN}` : `  ${url}/`);
    console.log("ready (Ctrl-C stops)");
  } catch (e) {
    console.error(`demo: ${e?.message ?? e}`);
    return stop(1);
  }
}

main();
