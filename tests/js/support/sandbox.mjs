// Starts target/debug/verify-sandbox for one test file (scripts/test-js builds it) and
// wraps its developer endpoints. The sandbox's stderr (its request log, and the OTPs it
// "sends") is kept in memory for the tests and never printed; the auth token is a random
// one passed through the environment, so it appears nowhere either.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { ROOT } from "./install.mjs";
import { createServer } from "node:net";

export const AUTH_ID = "MAXXXXXXXXXXXXXXXXXX";

// Every auth token and code of this process, for `redact`.
const secrets = new Set();

/** Registers a secret that test output must never show. */
export function secret(value) {
  if (typeof value === "string" && value.length >= 4) secrets.add(value);
  return value;
}

/** `text` with every registered secret replaced, for assertion messages. */
export function redact(text) {
  let out = String(text);
  for (const s of secrets) out = out.split(s).join("<secret>");
  return out;
}

function sandboxBinary() {
  if (process.env.VERIFY_SANDBOX_BIN) return process.env.VERIFY_SANDBOX_BIN;
  let target = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
  if (!isAbsolute(target)) target = join(ROOT, target);
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
 * Starts a sandbox on a free port. `args`: more command-line flags.
 * Returns { base, authId, authToken, options(extra), dev, log, stop }.
 */
export async function startSandbox({ seed = 1, args = [] } = {}) {
  const bin = sandboxBinary();
  if (!existsSync(bin)) throw new Error(`${bin} is missing: cargo build -p verify-sandbox (scripts/test-js does)`);
  const authToken = secret(`tok-${randomBytes(12).toString("hex")}`);
  // stdin is a pipe the sandbox watches: if this process dies without stop(), so does it.
  const child = spawn(bin, ["--listen", "127.0.0.1:0", "--seed", String(seed), "--exit-on-stdin-eof", ...args], {
    env: { ...process.env, PLIVO_AUTH_ID: AUTH_ID, PLIVO_AUTH_TOKEN: authToken, RUST_LOG: "off" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const stderr = [];
  let partial = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    stderr.push(...lines);
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  const address = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("the sandbox printed no address within 15 s")), 15_000);
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
      // Its stderr is safe to show here: no OTP was sent, and the token is not printed.
      const said = stderr.filter((l) => !l.startsWith("OTP ")).join("\n");
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

  /** Requests to the Plivo routes the sandbox logged so far (`METHOD /v1/... STATUS ...`). */
  const apiRequests = () => stderr.filter((l) => /^[A-Z]+ \/v1\//.test(l));

  return {
    base,
    authId: AUTH_ID,
    authToken,
    /** Options of `new VerifyClient` for this sandbox. */
    options: (extra = {}) => ({ authId: AUTH_ID, authToken, baseUrl: base, ...extra }),
    dev: {
      /** The code of a session (never print it). */
      otp: async (uuid) => secret((await dev("GET", `/__sandbox/sessions/${uuid}/otp`)).otp),
      faults: (settings) => dev("POST", "/__sandbox/faults", settings),
      clearFaults: () => dev("POST", "/__sandbox/faults", { spec: "", next: [] }),
      reset: () => dev("POST", "/__sandbox/reset", {}),
      advanceClock: (secs) => dev("POST", "/__sandbox/clock", { advance_secs: secs }),
      messages: (query = "") => dev("GET", `/__sandbox/messages${query}`),
      callbacks: (query = "") => dev("GET", `/__sandbox/callbacks${query}`),
    },
    apiRequests,
    /**
     * Waits until everything the sandbox answered so far is in its log: sends a marker
     * request and polls (bounded) for its line. Returns the number of API requests logged.
     */
    async settleLog() {
      const marker = `/__sandbox/messages`;
      const before = stderr.filter((l) => l.startsWith(`GET ${marker} `)).length;
      await dev("GET", `${marker}?limit=1`);
      await poll(() => stderr.filter((l) => l.startsWith(`GET ${marker} `)).length > before, {
        what: "the sandbox's request log",
      });
      return apiRequests().length;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A `fetch` for the client's `fetch` option that counts (and forwards) every call. */
export function countingFetch() {
  const calls = [];
  const fetchFn = (input, init) => {
    calls.push({ url: String(input), method: init?.method ?? "GET" });
    return fetch(input, init);
  };
  return { fetch: fetchFn, calls };
}

/** A free TCP port on 127.0.0.1 (for a server that must know its URL before it starts). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
