// A minimal W3C WebDriver client, for the browser Playwright cannot drive here: Debian's
// Firefox ESR through geckodriver (Playwright needs its own patched Firefox build, which it
// would download). Exactly the commands the Firefox e2e test uses: session, navigation,
// elements, keys, clicks, script, screenshot.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./support.mjs";

/** The W3C web element identifier. */
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/** Starts geckodriver and a headless Firefox session; resolves to the session's commands. */
export async function startFirefox({ firefox = "/usr/bin/firefox-esr", geckodriver = `${process.env.HOME}/.cargo/bin/geckodriver` } = {}) {
  const port = await freePort();
  const profileRoot = mkdtempSync(join(tmpdir(), "plivo-verify-geckodriver-"));
  const driver = spawn(geckodriver, ["--port", String(port), "--host", "127.0.0.1", "--profile-root", profileRoot], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let log = "";
  driver.stderr.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;

  async function call(method, path, body) {
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  }

  // geckodriver listens within a second or two.
  for (let i = 0; ; i++) {
    try {
      await call("GET", "/status");
      break;
    } catch (e) {
      if (i > 100) throw new Error(`geckodriver did not start: ${e.message}\n${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const { sessionId } = await call("POST", "/session", {
    capabilities: {
      alwaysMatch: {
        browserName: "firefox",
        "moz:firefoxOptions": {
          binary: firefox,
          args: ["-headless"],
          prefs: { "app.update.enabled": false, "datareporting.policy.dataSubmissionEnabled": false, "toolkit.telemetry.enabled": false },
        },
      },
    },
  });
  const s = `/session/${sessionId}`;
  const find = async (css) => (await call("POST", `${s}/element`, { using: "css selector", value: css }))[ELEMENT];

  return {
    log: () => log,
    go: (url) => call("POST", `${s}/url`, { url }),
    /** Runs `script` (a function body; `arguments` as usual) in the page. */
    run: (script, ...args) => call("POST", `${s}/execute/sync`, { script, args }),
    /** Waits (bounded) until `script` returns something truthy, and returns it. */
    async waitFor(script, { timeoutMs = 20_000, what = script } = {}, ...args) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await call("POST", `${s}/execute/sync`, { script, args });
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async type(css, text) {
      await call("POST", `${s}/element/${await find(css)}/value`, { text });
    },
    async click(css) {
      await call("POST", `${s}/element/${await find(css)}/click`, {});
    },
    /** A PNG of the page. */
    async screenshot() {
      return Buffer.from(await call("GET", `${s}/screenshot`), "base64");
    },
    async quit() {
      try {
        await call("DELETE", s);
      } finally {
        try {
          process.kill(-driver.pid, "SIGKILL");
        } catch {
          // already gone
        }
        rmSync(profileRoot, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
      }
    },
  };
}
