// A load run of the deployable worker (www/worker.js) in workerd (Miniflare) with the
// Durable Object limiter, against a sandbox on loopback: FLOWS flows (start, the code from
// the sandbox, check), CONCURRENCY at a time, each from its own client address to its own
// number. Prints one JSON line: flows/s, what was lost or mixed up, and workerd's memory.
//
//   node tests/worker/load.mjs [--flows 10000] [--shards 32] [--concurrency 16] [--windows SECS]
//
// --windows sets every limit's window (but the total's) to SECS, so that keys expire during
// the run and the objects' alarms delete them: the objects then hold a steady number of
// live keys, and workerd's memory should stop growing (its samples are printed; the
// session's check counts, kept a day, still grow by one key per flow).
//
// Required of a run (it exits 1 otherwise): every flow verified with a proof naming its own
// session and number; the sandbox saw exactly FLOWS creates and FLOWS validations; and the
// limiter counted exactly: with sendsTotal [FLOWS + 1, 3600] one more send is allowed and
// the next refused (`sends_total`), whatever object each count lives in; and the worker
// isolate's live heap (its lowest reading in each eighth of the run, through workerd's
// inspector) grows by less than 8 MiB from the first eighth to the last: under 1 KiB a flow,
// so a leak of anything per request shows. (workerd's resident memory is printed too; it
// grows with the objects' storage, which holds every live key by design.)
import { execFileSync } from "node:child_process";
import WebSocket from "ws";
import { freePort } from "../js/support/sandbox.mjs";
import { startHarness } from "./support/harness.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const FLOWS = Number(arg("--flows", 10_000));
const SHARDS = Number(arg("--shards", 32));
const CONCURRENCY = Number(arg("--concurrency", 16));
const WINDOWS = arg("--windows", null);
const SAMPLES = 8;

/** Resident memory (KiB) of the workerd processes under this one. */
function workerdRssKib() {
  const table = execFileSync("ps", ["-eo", "pid=,ppid=,rss=,comm="], { encoding: "utf8" });
  const rows = table.trim().split("\n").map((l) => l.trim().split(/\s+/));
  const children = (pid) => rows.filter((r) => r[1] === String(pid));
  let total = 0;
  const walk = (pid) => {
    for (const row of children(pid)) {
      if (row[3] === "workerd") total += Number(row[2]);
      walk(row[0]);
    }
  };
  walk(process.pid);
  return total;
}

/**
 * The worker isolate's V8 heap (the proxy and the Durable Objects run in it), read through
 * workerd's inspector (Runtime.getHeapUsage) every 200 ms. workerd answers no forced GC, so
 * each window keeps its lowest reading: the heap right after a collection, what is live.
 */
async function heapSampler(inspectorPort) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => /core:user:/.test(t.title));
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let id = 0;
  let low = Infinity;
  ws.on("message", (data) => {
    const used = JSON.parse(data).result?.usedSize;
    if (typeof used === "number") low = Math.min(low, used);
  });
  const timer = setInterval(() => ws.send(JSON.stringify({ id: ++id, method: "Runtime.getHeapUsage" })), 200);
  return {
    /** The lowest heap reading since the last call, in KiB. */
    take() {
      const kib = Math.round(low / 1024);
      low = Infinity;
      return kib;
    },
    stop() {
      clearInterval(timer);
      ws.close();
    },
  };
}

const claims = (proof) => JSON.parse(Buffer.from(proof.split(".")[1], "base64url").toString());

const inspectorPort = await freePort();
const h = await startHarness({
  inspectorPort,
  limiter: process.env.LOAD_LIMITER ?? "durable-object",
  vars: {
    LIMIT_SHARDS: String(SHARDS),
    // Every guard still counts (in the objects); none binds these flows but the total.
    LIMITS: WINDOWS === null
      ? {
          sendsTotal: [FLOWS + 1, 3600],
          sendsPerPrefix: [1_000_000, 3600],
          sendsPerIp: [1000, 3600],
          readsPerIp: [1000, 60],
        }
      : {
          sendsTotal: [FLOWS + 1, 3600],
          sendsPerPrefix: [1_000_000, Number(WINDOWS)],
          sendsPerIp: [1000, Number(WINDOWS)],
          readsPerIp: [1000, Number(WINDOWS)],
          sendsPerRecipient: [10, Number(WINDOWS)],
          sendsPerRecipientIp: [3, Number(WINDOWS)],
          voicePerRecipient: [3, Number(WINDOWS)],
          resendAfterSecs: Math.min(30, Number(WINDOWS)),
          failuresPerRecipient: [100, Number(WINDOWS)],
          failureCooldowns: [[5, Number(WINDOWS)]],
          failuresPerIp: [30, Number(WINDOWS)],
        },
  },
});
const failures = [];
const heap = await heapSampler(inspectorPort);
try {
  const memory = [];
  let next = 0;
  let finished = 0;
  const seen = new Set();
  const began = performance.now();
  async function flow(i) {
    const recipient = `+1415${String(2_000_000 + i).padStart(7, "0")}`;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const started = await h.start(recipient, { ip });
    if (started.status !== 200) return failures.push(`flow ${i}: start ${started.status} ${started.json?.error?.reason ?? ""}`);
    const uuid = started.json.sessionUuid;
    if (seen.has(uuid)) return failures.push(`flow ${i}: session ${uuid} handed out twice`);
    seen.add(uuid);
    const checked = await h.check(uuid, await h.otp(uuid), { ip });
    if (checked.json?.verified !== true) return failures.push(`flow ${i}: check ${checked.status} ${checked.json?.reason ?? ""}`);
    const proof = claims(checked.json.proof);
    if (proof.sub !== uuid || proof.phone_number !== recipient) failures.push(`flow ${i}: the proof names ${proof.sub} ${proof.phone_number}`);
  }
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < FLOWS) {
        await flow(next++);
        finished++;
        if (finished % Math.ceil(FLOWS / SAMPLES) === 0) {
          memory.push({ flows: finished, workerdRssKib: workerdRssKib(), lowestHeapKib: heap.take() });
        }
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  await h.sandbox.settleLog();
  const api = h.sandbox.apiRequests();
  const creates = api.filter((l) => /^POST \S*\/Verify\/Session\/?(\s|$)/.test(l)).length;
  const validations = api.filter((l) => /^POST \S*\/Verify\/Session\/[0-9a-f-]{36}\//.test(l)).length;
  if (creates !== FLOWS) failures.push(`the sandbox saw ${creates} creates for ${FLOWS} flows`);
  if (validations !== FLOWS) failures.push(`the sandbox saw ${validations} validations for ${FLOWS} flows`);
  // Exact counts: the total allows one more send, then refuses.
  const [first, final] = [memory[0].lowestHeapKib, memory.at(-1).lowestHeapKib];
  if (!Number.isFinite(first) || !Number.isFinite(final)) failures.push("no heap reading from workerd's inspector");
  else if (!(final - first < 8 * 1024)) failures.push(`the isolate's live heap grew from ${first} to ${final} KiB`);
  const last = await h.start("+14159999990", { ip: "192.0.2.250" });
  const over = await h.start("+14159999991", { ip: "192.0.2.251" });
  if (last.status !== 200) failures.push(`send ${FLOWS + 1} of sendsTotal [${FLOWS + 1}, …]: ${last.status}`);
  if (over.status !== 429 || over.json?.error?.reason !== "sends_total") {
    failures.push(`send ${FLOWS + 2}: ${over.status} ${over.json?.error?.reason}, expected 429 sends_total`);
  }
  console.log(JSON.stringify({
    flows: FLOWS,
    shards: SHARDS,
    windows: WINDOWS === null ? "default" : Number(WINDOWS),
    concurrency: CONCURRENCY,
    seconds: Number(seconds.toFixed(1)),
    flowsPerSec: Number((FLOWS / seconds).toFixed(1)),
    verified: seen.size - failures.filter((f) => f.includes(": check") || f.includes("proof")).length,
    lost: failures.length,
    creates,
    validations,
    memory,
  }));
} finally {
  heap.stop();
  await h.stop();
}
if (failures.length > 0) {
  console.error(failures.slice(0, 20).join("\n"));
  process.exit(1);
}
