// The tests' sandbox: sandbox/start.mjs (the one launcher, shared with the demo and the
// bench) with a random auth token, and every token and code it hands out registered as a
// secret that test output must never show.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { AUTH_ID, poll, sandboxBinary, startSandbox as launch } from "../../../sandbox/start.mjs";

export { AUTH_ID, poll, sandboxBinary };

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

/**
 * Starts a sandbox on a free port (`args`: more command-line flags). Returns what
 * sandbox/start.mjs does, its codes registered as secrets.
 */
export async function startSandbox({ seed = 1, args = [] } = {}) {
  const sandbox = await launch({ authToken: secret(`tok-${randomBytes(12).toString("hex")}`), seed, args });
  const otp = sandbox.dev.otp;
  sandbox.dev.otp = async (uuid) => secret(await otp(uuid));
  return sandbox;
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
