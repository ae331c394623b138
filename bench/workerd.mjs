// workerd (Miniflare 4): our module's instantiate cost, and verification flows per second
// through the edge proxy (www/worker.js) against the sandbox.
//
// Instantiate time: workerd freezes performance.now()/Date.now() while JavaScript runs (they
// advance only across I/O, a Spectre mitigation), so a timer around initSync inside the worker
// reads 0. It is measured in the worker anyway (and reported), and then from outside: three
// workers started fresh, interleaved, ROUNDS times each — a baseline doing the same getSession
// with raw fetch, ours through the package's workerd entry (instantiates at startup), and ours
// instantiating lazily on the first request — comparing startup (new Miniflare → ready) and
// first-request times.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { stageWorker } from "../tests/js/support/stage-worker.mjs";
import { BENCH_INSTALLED, ROOT, fmt, rawClient, ratio, recipient, summary } from "./support.mjs";

const PKG = "./node_modules/plivo-verify-wasm";
const WORKERS = {
  baseline: `export default { async fetch(request, env) {
  const auth = "Basic " + btoa(env.PLIVO_AUTH_ID + ":" + env.PLIVO_AUTH_TOKEN);
  const res = await fetch(env.PLIVO_BASE_URL + "/v1/Account/" + env.PLIVO_AUTH_ID + "/Verify/Session/" + env.UUID + "/", { headers: { authorization: auth } });
  return Response.json({ status: (await res.json()).status });
} };`,
  ours: `import { VerifyClient } from "${PKG}/workerd.js";
export default { async fetch(request, env) {
  const s = await VerifyClient.fromEnv(env).getSession(env.UUID);
  return Response.json({ status: s.status });
} };`,
  lazy: `import wasm from "${PKG}/plivo_verify_wasm_bg.wasm";
import { initSync, VerifyClient } from "${PKG}/plivo_verify_wasm.js";
let timing = null;
export default { async fetch(request, env) {
  if (!timing) {
    const p0 = performance.now(), d0 = Date.now();
    initSync({ module: wasm });
    timing = { perfMs: performance.now() - p0, dateMs: Date.now() - d0 };
  }
  const s = await VerifyClient.fromEnv(env).getSession(env.UUID);
  return Response.json({ status: s.status, timing });
} };`,
};

function stage(source) {
  const root = mkdtempSync(join(tmpdir(), "bench-workerd-"));
  cpSync(BENCH_INSTALLED, join(root, "node_modules", "plivo-verify-wasm"), { recursive: true });
  writeFileSync(join(root, "worker.js"), source);
  return root;
}

const MODULES_RULES = [
  { type: "ESModule", include: ["**/*.js"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];

async function startup(sb, name, root, uuid) {
  const t0 = performance.now();
  const mf = new Miniflare({
    modules: true, scriptPath: join(root, "worker.js"), modulesRoot: root, modulesRules: MODULES_RULES,
    compatibilityDate: "2025-06-01", host: "127.0.0.1", port: 0,
    bindings: { PLIVO_AUTH_ID: sb.authId, PLIVO_AUTH_TOKEN: sb.authToken, PLIVO_BASE_URL: sb.base, UUID: uuid },
  });
  try {
    await mf.ready;
    const t1 = performance.now();
    const first = await mf.dispatchFetch("http://worker.test/");
    const body = await first.json();
    const t2 = performance.now();
    const times = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      await (await mf.dispatchFetch("http://worker.test/")).json();
      times.push(performance.now() - s);
    }
    if (first.status !== 200) throw new Error(`${name}: HTTP ${first.status} ${JSON.stringify(body)}`);
    return { readyMs: t1 - t0, firstMs: t2 - t1, laterMs: summary(times).p50, timing: body.timing };
  } finally {
    await mf.dispose();
  }
}

async function proxyFlows(sb, secs) {
  const staged = stageWorker(join(ROOT, "www", "worker.js"));
  const big = [1_000_000, 1];
  const mf = new Miniflare({
    modules: true, scriptPath: staged.scriptPath, modulesRoot: staged.root, modulesRules: staged.modulesRules,
    compatibilityDate: "2025-06-01", host: "127.0.0.1", port: 0,
    bindings: {
      PLIVO_AUTH_ID: sb.authId, PLIVO_AUTH_TOKEN: sb.authToken, PLIVO_BASE_URL: sb.base,
      PROOF_SECRET: "bench-proof-secret-0123456789abcdef0123456789",
      // Every guard counts, none binds: the proxy's cost is measured, not its limits.
      LIMITS: JSON.stringify({
        sendsPerRecipient: big, sendsPerRecipientIp: big, sendsPerIp: big, sendsTotal: big, sendsPerPrefix: big,
        readsPerIp: big, resendAfterSecs: 0, checksPerSession: 100, failuresPerRecipient: big,
        failureCooldowns: [big], failuresPerIp: big,
      }),
    },
  });
  const out = {};
  try {
    await mf.ready;
    const post = async (path, body) => {
      const res = await mf.dispatchFetch(`http://worker.test/verify/${path}`, { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.9" }, body: JSON.stringify(body) });
      const json = await res.json();
      if (res.status !== 200) throw new Error(`proxy ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const flow = async () => {
      const { sessionUuid } = await post("start", { recipient: recipient() });
      const otp = (await (await fetch(`${sb.base}/__sandbox/sessions/${sessionUuid}/otp`)).json()).otp;
      const r = await post("check", { sessionUuid, otp });
      if (!r.verified) throw new Error("proxy: not verified");
    };
    for (let i = 0; i < 5; i++) await flow();
    for (const conc of [1, 8, 64]) {
      await sb.dev.reset();
      const deadline = performance.now() + secs * 1000;
      let done = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: conc }, async () => { while (performance.now() < deadline) { await flow(); done++; } }));
      out[conc] = done / ((performance.now() - t0) / 1000);
    }
  } finally {
    await mf.dispose();
    staged.dispose();
  }
  return out;
}

export async function workerd(sb, { secs = 2, rounds = Number(process.env.BENCH_WORKERD_ROUNDS ?? 3), log = console.error, nodeFlows = null } = {}) {
  const uuid = await rawClient(sb).create(recipient());
  const roots = Object.fromEntries(Object.entries(WORKERS).map(([k, src]) => [k, stage(src)]));
  const runs = { baseline: [], ours: [], lazy: [] };
  try {
    for (let i = 0; i < rounds; i++) for (const k of Object.keys(runs)) runs[k].push(await startup(sb, k, roots[k], uuid));
  } finally {
    for (const r of Object.values(roots)) rmSync(r, { recursive: true, force: true });
  }
  const med = (k, f) => summary(runs[k].map(f)).p50;
  const result = { rounds, runs };
  for (const k of Object.keys(runs)) result[k] = { readyMs: med(k, (r) => r.readyMs), firstMs: med(k, (r) => r.firstMs), laterMs: med(k, (r) => r.laterMs) };
  result.inWorkerInitSync = runs.lazy.map((r) => r.timing);
  result.startupExtraMs = result.ours.readyMs - result.baseline.readyMs;
  result.lazyFirstRequestExtraMs = result.lazy.firstMs - result.baseline.firstMs;
  log?.("workerd: proxy flows");
  result.proxyFlowsPerSec = await proxyFlows(sb, secs);
  const t = {};
  t["startup new Miniflare → ready, p50 ms: baseline (raw fetch) / ours (package entry, instantiates at startup)"] = `${fmt(result.baseline.readyMs, 0)} / ${fmt(result.ours.readyMs, 0)} (ours − baseline ${fmt(result.startupExtraMs, 0)} ms)`;
  t["first request, p50 ms: baseline / ours / ours instantiating lazily in it"] = `${fmt(result.baseline.firstMs, 1)} / ${fmt(result.ours.firstMs, 1)} / ${fmt(result.lazy.firstMs, 1)} (lazy − baseline ${fmt(result.lazyFirstRequestExtraMs, 1)} ms)`;
  t["later requests (getSession), p50 ms: baseline / ours"] = `${fmt(result.baseline.laterMs, 2)} / ${fmt(result.ours.laterMs, 2)} (${fmt(ratio(result.ours.laterMs, result.baseline.laterMs))}×)`;
  t["initSync timed inside the worker (performance.now / Date.now)"] = result.inWorkerInitSync.map((x) => `${x?.perfMs}/${x?.dateMs} ms`).join(", ") + " (workerd advances its clock only across I/O: not a measurement)";
  for (const c of [1, 8, 64]) t[`proxy flows/s through www/worker.js, concurrency ${c}`] = fmt(result.proxyFlowsPerSec[c], 0) + (nodeFlows?.[c] ? ` (${fmt(ratio(result.proxyFlowsPerSec[c], nodeFlows[c]))}× ours in Node)` : "");
  result.table = t;
  return result;
}
