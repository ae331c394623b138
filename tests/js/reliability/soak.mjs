// Memory over a long run (issue 13), the packed package in Node, with an in-memory `fetch`
// standing in for Plivo (so that what is measured is ours, not a network):
//   node --expose-gc tests/js/reliability/soak.mjs [--calls 1000000] [--requests 1000000]
// 1. VerifyClient: CALLS calls, 8 at a time, cycling getSession, createSession,
//    listSessions (a 5-session page) and a wrong-code validateSession (the VerifyError path).
// 2. VerifyProxy: REQUESTS `/start` requests, each from its own address to its own number,
//    so that every limit key is new (the in-memory store evicts past maxMemoryKeys); the
//    total and per-prefix send limits raised to 1,000,000 a second.
// 0. The baseline: the same answers through raw fetch and `json()`, as many times.
// gc() and a sample every tenth: the JS heap, the wasm linear memory and the process's RSS;
// from the second sample on (two tenths in, warm), the slope of each is fitted.
// Required: the wasm memory does not grow once warm, and the heap's slope stays under 5 KiB
// per 10,000 calls, half a byte a call (a leak of one byte a call would be 10 KiB; the
// baseline shows the fit's noise). Writes artifacts/reliability/soak.json; exits 1 otherwise.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureInstalled, ROOT } from "../support/install.mjs";

if (typeof gc !== "function") throw new Error("run with node --expose-gc");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg("--calls", 1_000_000);
const REQUESTS = arg("--requests", 1_000_000);
// Heap growth allowed per 10,000 calls: half a byte a call (a leak of one byte a call is
// 10 KiB). The baseline shows the engine's own noise on the same fit (a few KiB either way).
const MAX_HEAP_PER_10K = 5 * 1024;
ensureInstalled();
const { VerifyClient, VerifyProxy, VerifyError } = await import("plivo-verify-wasm");
const { initSync } = await import("plivo-verify-wasm/raw");
const wasm = initSync({ module: new Uint8Array(0) }); // node.js instantiated it: its exports

const fixture = (name) => readFileSync(join(ROOT, "tests", "fixtures", "reference", name), "utf8");
const session = JSON.parse(fixture("get_session.json"));
const bodies = {
  create: fixture("create_session.json"),
  get: JSON.stringify(session),
  list: JSON.stringify({ api_id: session.api_id, meta: { limit: 5, offset: 0, next: null, previous: null, total_count: 5 }, sessions: Array(5).fill(session) }),
  wrong: JSON.stringify({ api_id: session.api_id, error: "invalid OTP" }),
};
const json = (status, body) => new Response(body, { status, headers: { "content-type": "application/json" } });
/** Plivo in memory: answers by method and URL. */
async function plivo(url, init) {
  const method = init?.method ?? "GET";
  if (method === "POST") return /\/Session\/$/.test(url) ? json(202, bodies.create) : json(400, bodies.wrong);
  return json(200, url.includes("?") ? bodies.list : bodies.get);
}

async function sample(done) {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { done, heapUsed: m.heapUsed, rss: m.rss, wasmMemory: wasm.memory.buffer.byteLength };
}

/** Least-squares slope of `key` over `done` (bytes per call). */
function slope(samples, key) {
  const n = samples.length;
  const mx = samples.reduce((s, x) => s + x.done, 0) / n;
  const my = samples.reduce((s, x) => s + x[key], 0) / n;
  const num = samples.reduce((s, x) => s + (x.done - mx) * (x[key] - my), 0);
  const den = samples.reduce((s, x) => s + (x.done - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Runs `one(i)` `total` times, 8 at a time; samples after the warm-up and every tenth. */
async function soak(what, total, one) {
  const t0 = performance.now();
  const tenth = Math.max(1, Math.floor(total / 10));
  const samples = [];
  let next = 0;
  let done = 0;
  let target = tenth;
  const runTo = async (end) => {
    const stop = Math.min(end, total);
    const workers = Array.from({ length: 8 }, async () => {
      while (next < stop) {
        const i = next++;
        await one(i);
        done++;
      }
    });
    await Promise.all(workers);
  };
  while (target <= total) {
    await runTo(target);
    samples.push(await sample(done));
    target += tenth;
  }
  // Warm from the second sample on (two tenths in): the proxy's store fills and its expiry
  // index settles within the first.
  const warm = samples.slice(1);
  const result = {
    what,
    count: total,
    seconds: Math.round((performance.now() - t0) / 1000),
    heapSlopeBytesPer10k: slope(warm, "heapUsed") * 10_000,
    rssSlopeBytesPer10k: slope(warm, "rss") * 10_000,
    wasmMemoryGrowth: warm.at(-1).wasmMemory - warm[0].wasmMemory,
    samples: warm,
  };
  console.error(
    `soak: ${what}: ${total} in ${result.seconds} s; heap ${(result.heapSlopeBytesPer10k / 1024).toFixed(2)} KiB per 10k` +
      ` (${warm.map((x) => (x.heapUsed / 1024).toFixed(0)).join(" ")} KiB),` +
      ` wasm memory ${warm.map((x) => x.wasmMemory / 1024).join(" ")} KiB`,
  );
  return result;
}

// The baseline: the same answers through raw fetch and `json()`, the same count, in this
// process first: what the engine's heap does by itself over a long run.
const ROOT_URL = "https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Verify/Session/";
const baselineRun = CALLS === 0 ? null : await soak("raw fetch (baseline)", CALLS, async (i) => {
  const [url, method] = [[`${ROOT_URL}x/`, "GET"], [ROOT_URL, "POST"], [`${ROOT_URL}?limit=5`, "GET"], [`${ROOT_URL}x/`, "POST"]][i % 4];
  const response = await plivo(url, { method });
  await response.json();
});

const client = new VerifyClient({ authId: "MAXXXXXXXXXXXXXXXXXX", authToken: "soak-token", fetch: plivo, maxRetries: 0 });
const UUID = session.session_uuid;
const clientRun = CALLS === 0 ? null : await soak("client calls", CALLS, async (i) => {
  switch (i % 4) {
    case 0:
      return client.getSession(UUID);
    case 1:
      return client.createSession({ recipient: "+14155550100" });
    case 2:
      return client.listSessions({ limit: 5 });
    default:
      try {
        await client.validateSession(UUID, "000000");
        throw new Error("a wrong code was accepted");
      } catch (e) {
        if (!(e instanceof VerifyError)) throw e;
      }
  }
});

const proxy = new VerifyProxy({
  authId: "MAXXXXXXXXXXXXXXXXXX",
  authToken: "soak-token",
  proofSecret: "soak-proof-secret-of-at-least-32-characters",
  allowedOrigins: ["https://app.example.com"],
  fetch: plivo,
  clientIp: (request) => request.headers.get("x-soak-ip"),
  limits: { sendsTotal: [1_000_000, 1], sendsPerPrefix: [1_000_000, 1] },
});
const proxyRun = REQUESTS === 0 ? null : await soak("proxy requests with distinct keys", REQUESTS, async (i) => {
  const number = `+1${2 + (Math.floor(i / 1e8) % 8)}${String(i % 1e8).padStart(8, "0")}0`.slice(0, 12);
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const response = await proxy.fetch(
    new Request("https://verify.example.com/verify/start", {
      method: "POST",
      headers: { origin: "https://app.example.com", "content-type": "application/json", "x-soak-ip": ip },
      body: JSON.stringify({ recipient: number }),
    }),
  );
  if (response.status !== 200) throw new Error(`request ${i}: ${response.status} ${await response.text()}`);
});

const report = { baseline: baselineRun, client: clientRun, proxy: proxyRun, problems: [] };
for (const run of [clientRun, proxyRun].filter(Boolean)) {
  if (run.wasmMemoryGrowth > 0) report.problems.push(`${run.what}: the wasm memory grew ${run.wasmMemoryGrowth} bytes once warm`);
  if (run.heapSlopeBytesPer10k > MAX_HEAP_PER_10K) {
    report.problems.push(`${run.what}: the heap grows ${run.heapSlopeBytesPer10k.toFixed(0)} bytes per 10k`);
  }
}
mkdirSync(join(ROOT, "artifacts", "reliability"), { recursive: true });
writeFileSync(join(ROOT, "artifacts", "reliability", "soak.json"), JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report));
if (report.problems.length > 0) {
  console.error(`soak: ${report.problems.join("; ")}`);
  process.exit(1);
}
