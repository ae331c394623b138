// The benchmark: our package vs the official `plivo` npm package vs raw fetch (without and
// with a timeout), in one run, against one Verify sandbox. Prints a table and writes
// bench/results.json.
//   node bench/run.mjs            (scripts/bench: builds the release sandbox, then this)
// Environment: BENCH_CALLS (per op per client, default 300), BENCH_COLD (processes per
// client, default 20), BENCH_SECS (seconds per throughput point, default 2),
// BENCH_MEMORY_CALLS (default 10000), BENCH_LOAD_FLOWS (default 10000), BENCH_SECTIONS
// (comma list of size,cold,overhead,latency,throughput,memory,workerd,limiter; default all).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, CLIENTS, envInt, fmt, installPackage, PLIVO_VERSION, rawClient, ratio, recipient, sandboxBinary, startSandbox, summary } from "./support.mjs";
import { overhead } from "./overhead.mjs";
import { size } from "./size.mjs";
import { workerd } from "./workerd.mjs";

const CALLS = envInt("BENCH_CALLS", 300);
const COLD = envInt("BENCH_COLD", 20);
const SECS = envInt("BENCH_SECS", 2);
const MEMORY_CALLS = envInt("BENCH_MEMORY_CALLS", 10_000);
const THROUGHPUT_ROUNDS = 3;
const LOAD_FLOWS = envInt("BENCH_LOAD_FLOWS", 10_000);
const SECTIONS = (process.env.BENCH_SECTIONS ?? "size,cold,overhead,latency,throughput,memory,workerd,limiter").split(",");
const log = (...a) => console.error("bench:", ...a);

function runNode(args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: BENCH, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`node ${args.join(" ")} exited ${code}: ${err.slice(0, 2000)}`));
      const line = out.trim().split("\n").pop();
      resolve({ ...JSON.parse(line), wallMs });
    });
  });
}

// ---------------------------------------------------------------- sections

async function cold(sb) {
  const raw = rawClient(sb);
  const uuid = await raw.create(recipient());
  const env = { SANDBOX_URL: sb.base, PLIVO_AUTH_ID: sb.authId, PLIVO_AUTH_TOKEN: sb.authToken, SESSION_UUID: uuid };
  const names = ["ours", "plivo", "fetch"];
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < COLD; i++) {
    for (let j = 0; j < names.length; j++) {
      const n = names[(i + j) % names.length]; // interleaved, rotating order
      runs[n].push(await runNode([join(BENCH, "cold-child.mjs"), n], env));
    }
  }
  const out = {};
  for (const n of names) {
    out[n] = {
      importInitCall: summary(runs[n].map((r) => r.totalMs)),
      importInit: summary(runs[n].map((r) => r.importMs)),
      firstCall: summary(runs[n].map((r) => r.callMs)),
      processWall: summary(runs[n].map((r) => r.wallMs)),
    };
  }
  for (const k of ["importInitCall", "processWall"]) {
    out[`${k}OursVsPlivo`] = ratio(out.ours[k].p50, out.plivo[k].p50);
    out[`${k}OursVsFetch`] = ratio(out.ours[k].p50, out.fetch[k].p50);
  }
  return out;
}

async function batch(n, f, conc = 16) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: conc }, async () => { while (next < n) { const i = next++; out[i] = await f(i); } }));
  return out;
}

async function otpOf(sb, uuid) {
  const res = await fetch(`${sb.base}/__sandbox/sessions/${uuid}/otp`);
  if (!res.ok) throw new Error(`otp: HTTP ${res.status}`);
  return (await res.json()).otp;
}

async function latency(sb, clients) {
  const raw = rawClient(sb);
  const warm = Math.max(20, Math.min(100, Math.floor(CALLS / 5)));
  const out = {};
  for (const op of ["create", "get", "list", "validate"]) {
    await sb.dev.reset();
    let arg;
    if (op === "create") arg = () => recipient();
    if (op === "get") { const u = await raw.create(recipient()); arg = () => u; }
    if (op === "list") { await batch(20, () => raw.create(recipient())); arg = () => undefined; }
    const prepared = {};
    if (op === "validate") {
      for (const c of clients) {
        prepared[c.name] = await batch(CALLS + warm, async () => { const u = await raw.create(recipient()); return [u, await otpOf(sb, u)]; });
      }
    }
    const times = Object.fromEntries(clients.map((c) => [c.name, []]));
    const used = Object.fromEntries(clients.map((c) => [c.name, 0]));
    const call = (c) => (op === "validate" ? c.validate(...prepared[c.name][used[c.name]++]) : c[op](arg()));
    for (let i = 0; i < warm; i++) for (const c of clients) await call(c);
    for (let i = 0; i < CALLS; i++) {
      for (let j = 0; j < clients.length; j++) {
        const c = clients[(i + j) % clients.length];
        const t = performance.now();
        await call(c);
        times[c.name].push(performance.now() - t);
      }
    }
    out[op] = Object.fromEntries(clients.map((c) => [c.name, summary(times[c.name])]));
    out[op].oursVsFetch = { p50: ratio(out[op].ours.p50, out[op].fetch.p50), p90: ratio(out[op].ours.p90, out[op].fetch.p90), p99: ratio(out[op].ours.p99, out[op].fetch.p99) };
    out[op].oursVsFetchTimeout = { p50: ratio(out[op].ours.p50, out[op].fetchTimeout.p50), p90: ratio(out[op].ours.p90, out[op].fetchTimeout.p90) };
    out[op].oursVsPlivo = { p50: ratio(out[op].ours.p50, out[op].plivo.p50), p90: ratio(out[op].ours.p90, out[op].plivo.p90), p99: ratio(out[op].ours.p99, out[op].plivo.p99) };
    log(`latency ${op}: p50 ours ${fmt(out[op].ours.p50, 3)} ms, plivo ${fmt(out[op].plivo.p50, 3)}, fetch ${fmt(out[op].fetch.p50, 3)}, fetch+timeout ${fmt(out[op].fetchTimeout.p50, 3)}`);
  }
  return out;
}

/** CPU seconds (user + system) the sandbox process used so far: /proc/PID/stat. */
function sandboxPid() {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[1]) === process.pid && stat.includes("(verify-sandbox)")) return Number(d);
    } catch {}
  }
  return null;
}
let SANDBOX_PID = null;
function sandboxCpu() {
  if (!SANDBOX_PID) return NaN;
  const stat = readFileSync(`/proc/${SANDBOX_PID}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
}
const nodeCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** Runs `body` `conc`-wide for SECS seconds; returns rate and CPU of this process and of the sandbox. */
async function timed(conc, body) {
  const deadline = performance.now() + SECS * 1000;
  let done = 0;
  const t0 = performance.now(), c0 = nodeCpu(), s0 = sandboxCpu();
  await Promise.all(Array.from({ length: conc }, async () => { while (performance.now() < deadline) { await body(); done++; } }));
  const secs = (performance.now() - t0) / 1000;
  return { perSec: done / secs, done, clientCpuUsPerOp: ((nodeCpu() - c0) / done) * 1e6, sandboxCpuUsPerOp: ((sandboxCpu() - s0) / done) * 1e6, sandboxCores: (sandboxCpu() - s0) / secs, clientCores: (nodeCpu() - c0) / secs };
}

/** Verification flows per second: create → read the OTP from the sandbox → validate. */
async function flowsPerSec(sb, client, conc) {
  await sb.dev.reset();
  return timed(conc, async () => {
    const uuid = await client.create(recipient());
    await client.validate(uuid, await otpOf(sb, uuid));
  });
}

/**
 * The sandbox's ceiling: raw fetch GETs of one session at concurrency 64, with the sandbox's
 * CPU per request (so its capacity per core is known even when this Node process, the load
 * generator, is what saturates first on a small machine).
 */
async function sandboxCeiling(sb) {
  await sb.dev.reset();
  const raw = rawClient(sb);
  const uuid = await raw.create(recipient());
  return timed(64, () => raw.get(uuid));
}

/** The run whose rate is the median of `runs` (an odd number of them). */
const medianRun = (runs) => [...runs].sort((a, b) => a.perSec - b.perSec)[runs.length >> 1];

async function throughput(sb, clients) {
  SANDBOX_PID = sandboxPid();
  const out = { rounds: THROUGHPUT_ROUNDS, flowsPerSec: {}, detail: {} };
  for (const conc of [1, 8, 64]) {
    out.flowsPerSec[conc] = {};
    out.detail[conc] = {};
    // Rounds of every client in turn (the order rotating), the median round kept: a single
    // window per client moves its ratios by ±15–30% between runs on a small machine.
    const runs = Object.fromEntries(clients.map((c) => [c.name, []]));
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      for (let j = 0; j < clients.length; j++) {
        const c = clients[(round + j) % clients.length];
        runs[c.name].push(await flowsPerSec(sb, c, conc));
      }
    }
    for (const c of clients) {
      const r = medianRun(runs[c.name]);
      out.flowsPerSec[conc][c.name] = r.perSec;
      out.detail[conc][c.name] = { ...r, rounds: runs[c.name].map((x) => x.perSec) };
    }
    const f = out.flowsPerSec[conc];
    f.oursVsFetch = ratio(f.ours, f.fetch);
    f.oursVsFetchTimeout = ratio(f.ours, f.fetchTimeout);
    f.oursVsPlivo = ratio(f.ours, f.plivo);
    log(`throughput c=${conc}: ours ${fmt(f.ours, 0)} flows/s, plivo ${fmt(f.plivo, 0)}, fetch ${fmt(f.fetch, 0)}, fetch+timeout ${fmt(f.fetchTimeout, 0)}`);
  }
  const ceiling = await sandboxCeiling(sb);
  out.sandboxCeiling = ceiling;
  out.sandboxGetPerSec = ceiling.perSec;
  out.sandboxCpuUsPerRequest = ceiling.sandboxCpuUsPerOp;
  out.sandboxCapacityPerCore = 1e6 / ceiling.sandboxCpuUsPerOp;
  // Each flow is 3 HTTP requests (create, otp, validate).
  const best = Math.max(...[1, 8, 64].flatMap((c) => ["ours", "plivo"].map((n) => out.flowsPerSec[c][n])));
  out.bestClientRequestsPerSec = best * 3;
  out.sandboxHeadroom = ratio(out.sandboxGetPerSec, out.bestClientRequestsPerSec);
  out.sandboxCapacityHeadroom = ratio(out.sandboxCapacityPerCore, out.bestClientRequestsPerSec);
  log(`sandbox ceiling: ${fmt(out.sandboxGetPerSec, 0)} raw GETs/s at c=64 (sandbox ${fmt(ceiling.sandboxCores)} cores busy, load generator ${fmt(ceiling.clientCores)}); ${fmt(out.sandboxCpuUsPerRequest, 0)} µs sandbox CPU per request`);
  return out;
}

async function memory(sb) {
  await sb.dev.reset();
  const r = await runNode(["--expose-gc", join(BENCH, "memory.mjs"), String(MEMORY_CALLS)], {
    SANDBOX_URL: sb.base, PLIVO_AUTH_ID: sb.authId, PLIVO_AUTH_TOKEN: sb.authToken,
  });
  const s = r.samples;
  const first = s[0], last = s[s.length - 1], mid = s[Math.floor(s.length / 2)];
  const per1k = (k, a, b) => ((b[k] - a[k]) / (b.calls - a.calls)) * 1000;
  const out = { calls: r.calls, samples: s, settledStart: r.settledStart, settledEnd: r.settledEnd, settleSecs: r.settleSecs, perThousandCalls: {}, perThousandCallsSecondHalf: {}, slopePerThousandCalls: {} };
  // Least-squares slope over every sample (bytes per 1k calls): a leak is a trend, not a blip.
  const slope = (k) => {
    const busy = s.slice(1); // each taken right after a chunk of calls (same state)
    const xs = busy.map((x) => x.calls), ys = busy.map((x) => x[k]);
    const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
    const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0), den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    return (num / den) * 1000;
  };
  for (const k of ["heapUsed", "rss", "external", "arrayBuffers", "wasmMemory"]) {
    out.perThousandCalls[k] = per1k(k, r.settledStart, r.settledEnd);
    out.perThousandCallsSecondHalf[k] = per1k(k, mid, last);
    out.slopePerThousandCalls[k] = slope(k);
  }
  return out;
}

/**
 * The Durable Object limiter under load: tests/worker/load.mjs (www/worker.js in workerd,
 * its own sandbox) with the keys spread over 32 objects, then with one object, in this run.
 */
async function limiter() {
  const out = {};
  for (const shards of [32, 1]) {
    const r = await runNode([join(BENCH, "..", "tests", "worker", "load.mjs"), "--flows", String(LOAD_FLOWS), "--shards", String(shards)], {
      VERIFY_SANDBOX_BIN: sandboxBinary(),
    });
    out[shards === 1 ? "single" : "sharded"] = r;
    log(`limiter: ${LOAD_FLOWS} flows, ${shards} object(s): ${fmt(r.flowsPerSec)} flows/s, ${r.lost} lost`);
  }
  out.shardedOverSingle = ratio(out.sharded.flowsPerSec, out.single.flowsPerSec);
  return out;
}

// ---------------------------------------------------------------- report

const kb = (b) => (b / 1024).toFixed(1) + " KiB";
function table(results) {
  const lines = [];
  const row = (...cells) => lines.push("| " + cells.join(" | ") + " |");
  const head = (title, ...cols) => { lines.push("", `### ${title}`, ""); row(...cols); row(...cols.map(() => "---")); };
  const { size: s, cold: c, overhead: o, latency: l, throughput: t, memory: m, workerd: w, limiter: d } = results;
  if (s) {
    head("Size", "what", "raw", "gzip -9", "brotli");
    row("ours: .wasm", s.ours.wasm.raw, s.ours.wasm.gzip, s.ours.wasm.brotli);
    row("ours: JS glue (plivo_verify_wasm.js)", s.ours.glue.raw, s.ours.glue.gzip, s.ours.glue.brotli);
    row("ours: the browser client's .wasm (plivo-verify-wasm/browser-client)", s.ours.browserClientWasm.raw, s.ours.browserClientWasm.gzip, s.ours.browserClientWasm.brotli);
    row("ours: the browser client's JS glue", s.ours.browserClientGlue.raw, s.ours.browserClientGlue.gzip, s.ours.browserClientGlue.brotli);
    row("ours: whole package (installed / npm tarball)", s.ours.package.installedBytes, `${s.ours.package.tarball} (.tgz)`, "");
    row("ours: Node bundle of minimal usage (esbuild JS + .wasm)", s.ours.nodeBundle.totalRaw, s.ours.nodeBundle.totalGzip, "");
    row(`plivo ${s.plivo.version}: installed with dependencies (${s.plivo.installed.packages} packages, ${s.plivo.installed.files} files)`, s.plivo.installed.bytes, "", "");
    row("plivo: Node bundle of minimal usage (esbuild, minified)", s.plivo.nodeBundle.raw ?? "-", s.plivo.nodeBundle.gzip ?? s.plivo.nodeBundle.error, s.plivo.nodeBundle.brotli ?? "");
    for (const [k, label] of [["ours", "worker: ours, www/ (wrangler dry run)"], ["tinyOurs", "worker: tiny create-session, ours"], ["tinyPlivo", "worker: tiny create-session, plivo (nodejs_compat)"]]) {
      const b = s.workers[k];
      row(label, b?.ok ? b.raw : "-", b?.ok ? b.gzip : `failed: ${b?.error}`, "");
    }
    row("**ratio** plivo Node bundle gzip / our .wasm gzip", "", fmt(ratio(s.plivo.nodeBundle.gzip, s.ours.wasm.gzip)) + "×", "");
    row("**ratio** plivo Node bundle gzip / our Node bundle gzip (JS + .wasm)", "", fmt(ratio(s.plivo.nodeBundle.gzip, s.ours.nodeBundle.totalGzip)) + "×", "");
    if (s.workers.tinyPlivo?.ok) row("**ratio** plivo tiny worker gzip / ours", "", fmt(ratio(s.workers.tinyPlivo.gzip, s.workers.tinyOurs.gzip)) + "×", "");
  }
  if (c) {
    head(`Cold start (${c.ours.importInitCall.n} fresh Node processes each, interleaved; ms)`, "client", "import+init+1 call p50", "p90", "of which import+init p50", "process spawn→exit p50", "p90");
    for (const n of ["ours", "plivo", "fetch"]) row(n, fmt(c[n].importInitCall.p50, 1), fmt(c[n].importInitCall.p90, 1), fmt(c[n].importInit.p50, 1), fmt(c[n].processWall.p50, 1), fmt(c[n].processWall.p90, 1));
    row("**ours / plivo**", fmt(c.importInitCallOursVsPlivo) + "×", "", "", fmt(c.processWallOursVsPlivo) + "×", "");
    row("**ours / fetch**", fmt(c.importInitCallOursVsFetch) + "×", "", "", fmt(c.processWallOursVsFetch) + "×", "");
  }
  if (w) {
    head("workerd (Miniflare)", "what", "value");
    for (const [k, v] of Object.entries(w.table ?? {})) row(k, v);
  }
  if (o) {
    head("Client overhead without a network (an in-memory fetch answers; best of 7 rounds; µs per call)", "op", "ours", "raw fetch", "ours − fetch", "ours/fetch");
    for (const op of ["create", "get", "list", "validate"]) row(op, fmt(o[op].oursUs, 1), fmt(o[op].fetchUs, 1), fmt(o[op].extraUs, 1), fmt(o[op].oursVsFetch) + "×");
  }
  if (l) {
    head(`Per-call latency (${l.create.ours.n} calls per op per client, interleaved, sequential; ms)`, "op", "ours p50/p90/p99", "plivo p50/p90/p99", "fetch p50/p90/p99", "fetch+timeout p50/p90/p99", "ours/fetch p50 (p90)", "ours/(fetch+timeout) p50 (p90)", "ours/plivo p50 (p90)");
    const q = (x) => `${fmt(x.p50, 3)} / ${fmt(x.p90, 3)} / ${fmt(x.p99, 3)}`;
    for (const op of ["create", "get", "list", "validate"]) {
      const o = l[op];
      row(op, q(o.ours), q(o.plivo), q(o.fetch), q(o.fetchTimeout), `${fmt(o.oursVsFetch.p50)}× (${fmt(o.oursVsFetch.p90)}×)`, `${fmt(o.oursVsFetchTimeout.p50)}× (${fmt(o.oursVsFetchTimeout.p90)}×)`, `${fmt(o.oursVsPlivo.p50)}× (${fmt(o.oursVsPlivo.p90)}×)`);
    }
  }
  if (t) {
    head(`Throughput (verification flows/s: create → OTP → validate; ${SECS} s windows, median of ${t.rounds ?? 1} rounds per client)`, "concurrency", "ours", "plivo", "fetch", "fetch+timeout", "ours/fetch", "ours/(fetch+timeout)", "ours/plivo");
    for (const cc of [1, 8, 64]) { const f = t.flowsPerSec[cc]; row(cc, fmt(f.ours, 0), fmt(f.plivo, 0), fmt(f.fetch, 0), fmt(f.fetchTimeout, 0), fmt(f.oursVsFetch) + "×", fmt(f.oursVsFetchTimeout) + "×", fmt(f.oursVsPlivo) + "×"); }
    for (const cc of [8, 64]) {
      const d = t.detail[cc];
      row(`client CPU per flow at c=${cc} (µs, this process)`, fmt(d.ours.clientCpuUsPerOp, 0), fmt(d.plivo.clientCpuUsPerOp, 0), fmt(d.fetch.clientCpuUsPerOp, 0), fmt(d.fetchTimeout.clientCpuUsPerOp, 0), fmt(ratio(d.ours.clientCpuUsPerOp, d.fetch.clientCpuUsPerOp)) + "×", fmt(ratio(d.ours.clientCpuUsPerOp, d.fetchTimeout.clientCpuUsPerOp)) + "×", fmt(ratio(d.ours.clientCpuUsPerOp, d.plivo.clientCpuUsPerOp)) + "×");
    }
    const d = t.detail[64];
    row("sandbox cores busy at c=64", fmt(d.ours.sandboxCores), fmt(d.plivo.sandboxCores), fmt(d.fetch.sandboxCores), fmt(d.fetchTimeout.sandboxCores), "", "", "");
    row("sandbox ceiling: raw fetch GETs/s at c=64", fmt(t.sandboxGetPerSec, 0), `sandbox ${fmt(t.sandboxCeiling.sandboxCores)} cores busy`, `generator ${fmt(t.sandboxCeiling.clientCores)} cores`, "", `${fmt(t.sandboxHeadroom)}× the best client's requests/s`, "", "");
    row("sandbox CPU per request → capacity per core", `${fmt(t.sandboxCpuUsPerRequest, 0)} µs`, `${fmt(t.sandboxCapacityPerCore, 0)} req/s/core`, "", "", `${fmt(t.sandboxCapacityHeadroom)}× the best client's requests/s`, "", "");
  }
  if (m) {
    head(`Memory (ours, ${m.calls} calls after warm-up, 8 at a time; gc before each sample; start/end after ${m.settleSecs} s idle)`, "metric", "start", "end", "growth per 1k calls (start→end)", "trend per 1k calls (slope of the 10 in-run samples)");
    const f = m.settledStart, e = m.settledEnd;
    for (const k of ["heapUsed", "rss", "external", "wasmMemory"]) row(k, kb(f[k]), kb(e[k]), `${fmt(m.perThousandCalls[k] / 1024)} KiB`, `${fmt(m.slopePerThousandCalls[k] / 1024)} KiB`);
  }
  if (d) {
    head(`Durable Object limiter (www/worker.js in workerd, ${d.sharded.flows} flows of start → code → check, ${d.sharded.concurrency} at a time)`, "design", "flows/s", "lost", "workerd RSS at the end", "sharded/single");
    row("32 objects (by key)", fmt(d.sharded.flowsPerSec), d.sharded.lost, kb(d.sharded.memory.at(-1).workerdRssKib * 1024), fmt(d.shardedOverSingle));
    row("1 object", fmt(d.single.flowsPerSec), d.single.lost, kb(d.single.memory.at(-1).workerdRssKib * 1024), "1");
  }
  return lines.join("\n");
}

async function main() {
  const started = performance.now();
  installPackage();
  const results = { date: new Date().toISOString(), node: process.version, plivo: PLIVO_VERSION, sandbox: sandboxBinary(), settings: { CALLS, COLD, SECS, MEMORY_CALLS }, cpus: (await import("node:os")).cpus().length };
  if (SECTIONS.includes("size")) { log("size"); results.size = await size({ log }); }
  const sb = await startSandbox();
  try {
    const clients = [await CLIENTS.ours(sb), await CLIENTS.plivo(sb), CLIENTS.fetch(sb), CLIENTS.fetchTimeout(sb)];
    if (SECTIONS.includes("cold")) { log(`cold start: ${COLD} processes per client`); results.cold = await cold(sb); }
    if (SECTIONS.includes("overhead")) { log("overhead: an in-memory fetch"); results.overhead = await overhead({ calls: Math.max(1000, CALLS * 5), log }); }
    if (SECTIONS.includes("latency")) { log(`latency: ${CALLS} calls per op per client`); results.latency = await latency(sb, clients); }
    if (SECTIONS.includes("throughput")) { log("throughput"); results.throughput = await throughput(sb, clients); }
    if (SECTIONS.includes("memory")) { log(`memory: ${MEMORY_CALLS} calls`); results.memory = await memory(sb); }
    if (SECTIONS.includes("workerd")) {
      log("workerd (Miniflare)");
      try { results.workerd = await workerd(sb, { secs: SECS, log, nodeFlows: results.throughput ? Object.fromEntries([1, 8, 64].map((c) => [c, results.throughput.flowsPerSec[c].ours])) : null }); } catch (e) { results.workerd = { error: String(e?.stack ?? e).slice(0, 1000), table: { error: String(e?.message ?? e).slice(0, 200) } }; }
    }
  } finally {
    await sb.stop();
  }
  if (SECTIONS.includes("limiter")) { log(`limiter: ${LOAD_FLOWS} flows, sharded then single`); results.limiter = await limiter(); }
  results.elapsedSecs = (performance.now() - started) / 1000;
  const text = table(results);
  results.table = text;
  writeFileSync(process.env.BENCH_RESULTS ?? join(BENCH, "results.json"), JSON.stringify(results, null, 1) + "\n");
  console.log(text);
  console.log(`\nbench: done in ${fmt(results.elapsedSecs, 0)} s; wrote ${process.env.BENCH_RESULTS ?? "bench/results.json"}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
