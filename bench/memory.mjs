// Memory over many calls of our client, in its own process (node --expose-gc):
//   node --expose-gc bench/memory.mjs CALLS   (env: SANDBOX_URL, PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN)
// A mix of getSession, listSessions, createSession and a wrong-code validateSession (the
// VerifyError path), 8 at a time. After a warm-up, gc() before each sample; prints JSON with
// heapUsed, rss, external, arrayBuffers and the wasm linear memory at 11 checkpoints.
import { initSync } from "plivo-verify-wasm/raw";
import { VerifyClient, VerifyError } from "plivo-verify-wasm";

if (typeof gc !== "function") throw new Error("run with --expose-gc");
const calls = Number(process.argv[2] ?? 10000);
const { SANDBOX_URL: base, PLIVO_AUTH_ID: authId, PLIVO_AUTH_TOKEN: authToken } = process.env;
// node.js already instantiated the module: initSync returns that instance's exports.
const wasm = initSync({ module: new Uint8Array(0) });
const client = new VerifyClient({ authId, authToken, baseUrl: base });
let serial = 0;
const recipient = () => `+1416${String(1_000_001 + (serial++ % 8_000_000))}`;
const { sessionUuid } = await client.createSession({ recipient: recipient() });

async function one(i) {
  switch (i % 4) {
    case 0: return client.getSession(sessionUuid);
    case 1: return client.listSessions({ limit: 5 });
    case 2: return client.createSession({ recipient: recipient() });
    default:
      try {
        await client.validateSession(sessionUuid, "000000");
      } catch (e) {
        if (!(e instanceof VerifyError)) throw e;
      }
  }
}
async function run(n) {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { while (next < n) await one(next++); }));
}
async function sample(done) {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setImmediate(r)); }
  const m = process.memoryUsage();
  return { calls: done, heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, wasmMemory: wasm.memory.buffer.byteLength };
}
// The client arms AbortSignal.timeout(timeoutMs = 10 s) per attempt: each signal and its timer
// stay alive until the timer fires, so the heap right after a burst of calls holds the last
// 10 s worth of them. The first and last samples are taken after SETTLE seconds idle.
const SETTLE = Number(process.env.BENCH_MEMORY_SETTLE ?? 11);
const settle = () => new Promise((r) => setTimeout(r, SETTLE * 1000));
await run(Math.min(2000, calls / 5)); // warm-up: JIT, pools, the allocator's first pages
await settle();
const settledStart = await sample(0);
const samples = [settledStart];
const step = Math.ceil(calls / 10);
for (let done = 0; done < calls; ) {
  const n = Math.min(step, calls - done);
  await run(n);
  done += n;
  samples.push(await sample(done));
}
await settle();
const settledEnd = await sample(calls);
console.log(JSON.stringify({ calls, samples, settledStart, settledEnd, settleSecs: SETTLE }));
