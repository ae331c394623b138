// Shared pieces of the benchmark: the package installed as users get it (npm pack of pkg/,
// reusing tests/js/support/install.mjs, then copied into bench/node_modules so bench files
// import "plivo-verify-wasm" by name), the sandbox (sandbox/start.mjs through the tests'
// wrapper; the release binary when built), the three clients behind one interface, and statistics.
import { cpSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureInstalled, INSTALLED, ROOT } from "../tests/js/support/install.mjs";
import { sandboxBinary as sandboxBinaryOf } from "../sandbox/start.mjs";
import { startSandbox as startTestSandbox } from "../tests/js/support/sandbox.mjs";

export { ROOT };
export const BENCH = dirname(fileURLToPath(import.meta.url));
export const BENCH_INSTALLED = join(BENCH, "node_modules", "plivo-verify-wasm");
export const PLIVO_VERSION = JSON.parse(readFileSync(join(ROOT, "node_modules", "plivo", "package.json"), "utf8")).version;

/** npm pack of pkg/ into tests/js/node_modules (if stale), then a copy into bench/node_modules. */
export function installPackage() {
  ensureInstalled();
  rmSync(BENCH_INSTALLED, { recursive: true, force: true });
  mkdirSync(dirname(BENCH_INSTALLED), { recursive: true });
  cpSync(INSTALLED, BENCH_INSTALLED, { recursive: true });
}

/** The sandbox binary: release if built (scripts/bench builds it), else debug. */
export function sandboxBinary() {
  return sandboxBinaryOf({ profile: "release" });
}

export async function startSandbox() {
  process.env.VERIFY_SANDBOX_BIN = sandboxBinary();
  return startTestSandbox({ seed: 7, args: ["--list-rate-limit", "0", "--max-attempts", "1000000"] });
}

// ---------------------------------------------------------------- the three clients

const sessionPath = (authId) => `/v1/Account/${authId}/Verify/Session/`;

/**
 * Raw fetch: what a hand-written client does, and nothing more (the floor). With `timeoutMs`,
 * also what ours does for a timeout (an AbortController aborted by a timer, cleared once the
 * body is read): a hand-written client that bounds its waits pays that too.
 */
export function rawClient({ base, authId, authToken }, { timeoutMs } = {}) {
  const root = base + sessionPath(authId);
  const auth = "Basic " + Buffer.from(`${authId}:${authToken}`).toString("base64");
  const call = async (method, url, body) => {
    const init = {
      method,
      headers: body === undefined ? { authorization: auth } : { authorization: auth, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    };
    let timer;
    if (timeoutMs) {
      const controller = new AbortController();
      timer = setTimeout(() => controller.abort(), timeoutMs);
      init.signal = controller.signal;
    }
    try {
      const res = await fetch(url, init);
      const json = await res.json();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${json.error}`);
      return json;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    name: timeoutMs ? "fetchTimeout" : "fetch",
    create: async (recipient) => (await call("POST", root, { recipient })).session_uuid,
    get: (uuid) => call("GET", `${root}${uuid}/`),
    list: () => call("GET", `${root}?limit=20`),
    validate: (uuid, otp) => call("POST", `${root}${uuid}/`, { otp }),
  };
}

/** Ours: the package by name, as users import it. */
export async function oursClient({ base, authId, authToken }) {
  const { VerifyClient } = await import("plivo-verify-wasm");
  const client = new VerifyClient({ authId, authToken, baseUrl: base });
  return {
    name: "ours",
    create: async (recipient) => (await client.createSession({ recipient })).sessionUuid,
    get: (uuid) => client.getSession(uuid),
    list: () => client.listSessions({ limit: 20 }),
    validate: (uuid, otp) => client.validateSession(uuid, otp),
  };
}

/**
 * The official SDK, pointed at the sandbox with its documented-in-source `url` option:
 * `new plivo.Client(id, token, { url })` replaces the default
 * `https://api.plivo.com/v1/Account/{authId}` that every request path is appended to
 * (dist/rest/client.js; dist/rest/axios.js builds `config.url + '/' + action`).
 */
export async function plivoClient({ base, authId, authToken }) {
  const plivo = (await import("plivo")).default;
  const client = new plivo.Client(authId, authToken, { url: `${base}/v1/Account/${authId}` });
  const vs = client.verify_session;
  return {
    name: "plivo",
    create: async (recipient) => (await vs.create({ recipient })).sessionUuid,
    get: (uuid) => vs.get(uuid),
    list: () => vs.list({ limit: 20 }),
    validate: (uuid, otp) => vs.validate({ id: uuid, otp }),
  };
}

export const CLIENTS = {
  ours: oursClient,
  plivo: plivoClient,
  fetch: rawClient,
  // Ours' default per-attempt timeout (VerifyClient's timeoutMs).
  fetchTimeout: (sb) => rawClient(sb, { timeoutMs: 10_000 }),
};

/** A distinct E.164 recipient per call (one session per recipient; never ending in 0000). */
let serial = 0;
export function recipient() {
  do serial++; while (serial % 10_000 === 0); // numbers ending in 0000 simulate failed deliveries
  return `+1415${1_000_000 + (serial % 8_000_000)}`;
}

// ---------------------------------------------------------------- statistics

export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
export function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), min: s[0], max: s[s.length - 1] };
}
export const ratio = (a, b) => (b > 0 ? a / b : NaN);
export const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
export const envInt = (name, dflt) => {
  const v = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
