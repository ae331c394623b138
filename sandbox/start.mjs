// Starts the Verify sandbox (target/<profile>/verify-sandbox) as a child process on a
// loopback port and wraps its developer endpoints: the one launcher of the demo
// (www/demo/serve.mjs), the tests (tests/js/support/sandbox.mjs) and the bench.
//
// The sandbox's stderr (its request log, the OTPs it "sends", the callbacks it delivers) is
// kept in `lines` and shown nowhere unless `onLine` shows it; the auth token is passed
// through the environment and printed nowhere.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The main account id the sandbox serves unless told otherwise. */
export const AUTH_ID = "MAXXXXXXXXXXXXXXXXXX";

/**
 * The sandbox binary: VERIFY_SANDBOX_BIN, else `target/<profile>/verify-sandbox` (with
 * `profile: "release"`, the debug build when no release build exists).
 */
export function sandboxBinary({ profile = "debug" } = {}) {
  if (process.env.VERIFY_SANDBOX_BIN) return process.env.VERIFY_SANDBOX_BIN;
  let target = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
  if (!isAbsolute(target)) target = join(ROOT, target);
  const release = join(target, "release", "verify-sandbox");
  if (profile === "release" && existsSync(release)) return release;
  return join(target, "debug", "verify-sandbox");
}

/** Waits for `check()` to be truthy: at most `tries` times, `ms` apart. */
export async function poll(check, { tries = 100, ms = 50, what = "a condition" } = {}) {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, ms));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * Starts a sandbox for `authId` / `authToken` on 127.0.0.1:`port` (0: a free one).
 * `seed`: reproducible codes; `args`: more flags; `onLine(line)`: each stderr line as it
 * comes. Resolves, once it listens, to { base, authId, authToken, child, lines, exited,
 * options(extra), dev, apiRequests, settleLog, stop }. The sandbox stops by itself if this
 * process dies (it watches its stdin).
 */
export async function startSandbox({ authToken, authId = AUTH_ID, port = 0, seed, args = [], onLine, binary = sandboxBinary() } = {}) {
  if (!authToken) throw new Error("startSandbox: give it an authToken");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: cargo build -p verify-sandbox`);
  const flags = ["--listen", `127.0.0.1:${port}`, "--exit-on-stdin-eof", ...(seed === undefined ? [] : ["--seed", String(seed)]), ...args];
  const child = spawn(binary, flags, {
    env: { ...process.env, PLIVO_AUTH_ID: authId, PLIVO_AUTH_TOKEN: authToken, RUST_LOG: "off" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines = [];
  let partial = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    const split = (partial + chunk).split("\n");
    partial = split.pop();
    for (const line of split) {
      lines.push(line);
      onLine?.(line);
    }
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const address = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("the sandbox printed no address within 20 s")), 20_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const newline = out.indexOf("\n");
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, newline).trim());
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      // Safe to show: no code was sent yet, and the token is never printed.
      const said = lines.filter((l) => !l.startsWith("OTP ")).join("\n");
      reject(new Error(`the sandbox exited (${code ?? signal}) before printing its address:\n${said}`));
    });
  });
  const base = `http://${address}`;

  async function dev(method, path, body) {
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox ${method} ${path}: HTTP ${response.status}`);
    return text ? JSON.parse(text) : null;
  }

  /** Requests to the Plivo routes logged so far (`METHOD /v1/... STATUS ...`). */
  const apiRequests = () => lines.filter((l) => /^[A-Z]+ \/v1\//.test(l));

  return {
    base,
    authId,
    authToken,
    child,
    lines,
    exited,
    /** Options of `new VerifyClient` for this sandbox. */
    options: (extra = {}) => ({ authId, authToken, baseUrl: base, ...extra }),
    dev: {
      /** The code of a session (a secret: never print it). */
      otp: async (uuid) => (await dev("GET", `/__sandbox/sessions/${uuid}/otp`)).otp,
      faults: (settings) => dev("POST", "/__sandbox/faults", settings),
      clearFaults: () => dev("POST", "/__sandbox/faults", { spec: "", next: [] }),
      reset: () => dev("POST", "/__sandbox/reset", {}),
      advanceClock: (secs) => dev("POST", "/__sandbox/clock", { advance_secs: secs }),
      messages: (query = "") => dev("GET", `/__sandbox/messages${query}`),
      callbacks: (query = "") => dev("GET", `/__sandbox/callbacks${query}`),
      /** Every Plivo request so far by method, path and query: { received, faulted, handled }. */
      requests: async () => (await dev("GET", "/__sandbox/requests")).requests,
    },
    apiRequests,
    /**
     * Waits until everything the sandbox answered so far is in its log: sends a marker
     * request and polls (bounded) for its line. Returns the number of API requests logged.
     */
    async settleLog() {
      const marker = `/__sandbox/messages`;
      const before = lines.filter((l) => l.startsWith(`GET ${marker} `)).length;
      await dev("GET", `${marker}?limit=1`);
      await poll(() => lines.filter((l) => l.startsWith(`GET ${marker} `)).length > before, {
        what: "the sandbox's request log",
      });
      return apiRequests().length;
    },
    /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
