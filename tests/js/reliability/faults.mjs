// The client under faults (issue 13), the packed package in Node against the sandbox:
//   node tests/js/reliability/faults.mjs      (make reliability runs it)
//
// 1. Reads: 1,000 calls (getSession and listSessions, each call its own session or page, so
//    that the sandbox's request log tells the calls apart) with maxRetries 3, while the
//    sandbox answers 10% of requests 429, 10% 5xx, resets 5% of connections and waits
//    200 ms before every answer. Required: a call fails only when all four of its attempts
//    met a fault, it never retries after an answer, and every failure is a typed error.
// 2. Writes: 200 createSession and their validateSession under the same faults. Required:
//    never handled twice for one call (the sandbox counts), and a call that failed was not
//    carried out.
// 3. Timeouts: every attempt gives up within 1.5× timeoutMs.
// 4. Bad bodies: an HTML page, an empty body, truncated JSON, a 2xx of the wrong shape, a
//    10 MiB body and a body that never ends each give a typed error after a bounded read
//    (the 10 MiB one cancelled past maxResponseBytes, the endless one by the timeout); the
//    module works afterwards. (How many bytes the client itself pulls from a stream is
//    counted by tests/js/package.test.mjs.)
// Prints a summary and writes artifacts/reliability/faults.json; exits 1 if a requirement
// fails.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { ensureInstalled, ROOT } from "../support/install.mjs";
import { startSandbox } from "../support/sandbox.mjs";

ensureInstalled();
const { VerifyClient, VerifyError } = await import("plivo-verify-wasm");

const FAULTS = "429=0.1,500=0.04,502=0.02,503=0.02,504=0.02,reset=0.05,delay=200ms";
const FAULT_ODDS = 0.25; // all of the above together
const READS = 1000;
const WRITES = 200;
const CONCURRENCY = 25;
const MAX_RETRIES = 3;
const problems = [];
const check = (ok, what) => ok || problems.push(what);
const log = (...a) => console.error("faults:", ...a);

/** Runs `task(i)` for i in [0, n), `CONCURRENCY` at a time; the results in order. */
async function pool(n, task) {
  const results = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

/** `{ ok, code, ms }` of one call. */
async function outcome(call) {
  const t0 = performance.now();
  try {
    await call();
    return { ok: true, ms: performance.now() - t0 };
  } catch (e) {
    return { ok: false, typed: e instanceof VerifyError, code: e?.code ?? String(e), ms: performance.now() - t0 };
  }
}

const countBy = (list, key) => list.reduce((m, x) => ((m[key(x)] = (m[key(x)] ?? 0) + 1), m), {});
const started = performance.now();
const sb = await startSandbox({ seed: 13, args: ["--list-rate-limit", "0"] });
const report = { faults: FAULTS, maxRetries: MAX_RETRIES };
try {
  const client = new VerifyClient(sb.options({ maxRetries: MAX_RETRIES, timeoutMs: 5000 }));
  const root = `/v1/Account/${sb.authId}/Verify/Session/`;

  // ------------------------------------------------------------------ 1. reads
  // The sessions to read, made before the faults start.
  const uuids = [];
  for (let i = 0; i < READS / 2; i++) {
    uuids.push((await client.createSession({ recipient: `+1415555${String(i).padStart(4, "0")}` })).sessionUuid);
  }
  await sb.dev.faults({ spec: FAULTS, next: [] });
  const reads = await pool(READS, (i) =>
    outcome(() => (i % 2 === 0 ? client.getSession(uuids[i / 2]) : client.listSessions({ limit: 20, offset: (i - 1) / 2 }))),
  );
  const seen = await sb.dev.requests();
  const readKey = (i) => (i % 2 === 0 ? `GET ${root}${uuids[i / 2]}/` : `GET ${root}?limit=20&offset=${(i - 1) / 2}`);
  let attempts = 0;
  let faultsMet = 0;
  reads.forEach((r, i) => {
    const counts = seen[readKey(i)] ?? { received: 0, faulted: 0, handled: 0 };
    attempts += counts.received;
    faultsMet += counts.faulted;
    if (r.ok) {
      check(counts.handled === 1, `read ${i} succeeded but was handled ${counts.handled} times`);
      check(counts.faulted <= MAX_RETRIES, `read ${i} succeeded after ${counts.faulted} faults`);
    } else {
      check(r.typed, `read ${i} failed with an untyped ${r.code}`);
      check(counts.faulted === MAX_RETRIES + 1 && counts.handled === 0, `read ${i} gave up (${r.code}) after ${counts.faulted} faults, ${counts.handled} answers`);
    }
  });
  const succeeded = reads.filter((r) => r.ok).length;
  report.reads = {
    calls: READS,
    succeeded,
    successRate: succeeded / READS,
    // What four attempts at these odds allow: 1 − 0.25⁴.
    expectedSuccessRate: 1 - FAULT_ODDS ** (MAX_RETRIES + 1),
    retries: attempts - READS,
    faultsMet,
    failures: countBy(reads.filter((r) => !r.ok), (r) => r.code),
    p50Ms: Math.round(reads.map((r) => r.ms).sort((a, b) => a - b)[READS / 2]),
  };
  log(`reads: ${succeeded}/${READS} succeeded (${report.reads.retries} retries over ${faultsMet} faults)`);

  // ------------------------------------------------------------------ 2. writes
  const recipients = Array.from({ length: WRITES }, (_, i) => `+1415666${String(i).padStart(4, "0")}`);
  const creates = await pool(WRITES, async (i) => {
    const t0 = performance.now();
    try {
      return { ok: true, uuid: (await client.createSession({ recipient: recipients[i] })).sessionUuid, ms: performance.now() - t0 };
    } catch (e) {
      return { ok: false, typed: e instanceof VerifyError, code: e?.code ?? String(e) };
    }
  });
  // The codes are read without faults; then each created session is validated under them.
  await sb.dev.clearFaults();
  const codes = await Promise.all(creates.map((c) => (c.ok ? sb.dev.otp(c.uuid) : null)));
  await sb.dev.faults({ spec: FAULTS, next: [] });
  const validations = await pool(WRITES, (i) => (creates[i].ok ? outcome(() => client.validateSession(creates[i].uuid, codes[i])) : null));
  await sb.dev.clearFaults();
  const after = await sb.dev.requests();
  let duplicateCreates = 0;
  let lostCreates = 0;
  for (const [i, c] of creates.entries()) {
    const sent = (await sb.dev.messages(`?recipient=${encodeURIComponent(recipients[i])}`)).messages.length;
    if (sent > 1) duplicateCreates++;
    if (c.ok) check(sent === 1, `create ${i} succeeded and made ${sent} sessions`);
    else {
      check(c.typed, `create ${i} failed with an untyped ${c.code}`);
      if (sent !== 0) lostCreates++; // carried out, yet reported as failed
    }
  }
  let duplicateValidations = 0;
  let lostValidations = 0;
  validations.forEach((v, i) => {
    if (!v) return;
    const counts = after[`POST ${root}${creates[i].uuid}/`] ?? { handled: 0 };
    if (counts.handled > 1) duplicateValidations++;
    if (v.ok) check(counts.handled === 1, `validate ${i} succeeded, handled ${counts.handled} times`);
    else {
      check(v.typed, `validate ${i} failed with an untyped ${v.code}`);
      if (counts.handled !== 0) lostValidations++;
    }
  });
  check(duplicateCreates === 0, `${duplicateCreates} creates were handled twice`);
  check(duplicateValidations === 0, `${duplicateValidations} validations were handled twice`);
  check(lostCreates === 0 && lostValidations === 0, `${lostCreates} creates and ${lostValidations} validations failed yet were carried out`);
  const validated = validations.filter(Boolean);
  report.writes = {
    creates: WRITES,
    created: creates.filter((c) => c.ok).length,
    createFailures: countBy(creates.filter((c) => !c.ok), (c) => c.code),
    validations: validated.length,
    validated: validated.filter((v) => v.ok).length,
    validationFailures: countBy(validated.filter((v) => !v.ok), (v) => v.code),
    duplicateCreates,
    duplicateValidations,
    failedButCarriedOut: lostCreates + lostValidations,
  };
  log(`writes: ${report.writes.created}/${WRITES} created, ${report.writes.validated}/${validated.length} validated, duplicates ${duplicateCreates + duplicateValidations}`);

  // ------------------------------------------------------------------ 3. timeouts
  const TIMEOUT_MS = 300;
  await sb.dev.faults({ spec: "delay=2000ms", next: [] });
  const slow = new VerifyClient(sb.options({ maxRetries: 0, timeoutMs: TIMEOUT_MS }));
  const timeouts = await pool(20, (i) => outcome(() => slow.getSession(uuids[i])));
  await sb.dev.clearFaults();
  const worst = Math.max(...timeouts.map((t) => t.ms));
  check(timeouts.every((t) => !t.ok && t.code === "timeout"), `timeouts: ${JSON.stringify(countBy(timeouts, (t) => t.code))}`);
  check(worst <= 1.5 * TIMEOUT_MS, `a timeout of ${TIMEOUT_MS} ms fired after ${worst.toFixed(0)} ms`);
  report.timeouts = { timeoutMs: TIMEOUT_MS, calls: timeouts.length, worstMs: Math.round(worst), worstRatio: worst / TIMEOUT_MS };
  log(`timeouts: worst ${worst.toFixed(0)} ms for ${TIMEOUT_MS} ms (${(worst / TIMEOUT_MS).toFixed(2)}×)`);

  // ------------------------------------------------------------------ 4. bad bodies
  const MAX_BYTES = 64 * 1024;
  const bodies = {
    "an HTML page": (res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>502 Bad Gateway</title>"),
    "an empty body": (res) => res.writeHead(200, { "content-type": "application/json" }).end(),
    "truncated JSON": (res) => res.writeHead(200, { "content-type": "application/json" }).end('{"api_id":"a","session_uuid":"4124e518-'),
    "a 2xx of the wrong shape": (res) => res.writeHead(200, { "content-type": "application/json" }).end('{"hello":"world"}'),
    "a 10 MiB body": (res, state) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const push = () => {
        while (state.sent < 10 * 1024 * 1024) {
          state.sent += chunk.length;
          if (!res.write(chunk)) return res.once("drain", push);
        }
        res.end();
      };
      res.on("close", () => (state.closed = true));
      push();
    },
    "a body that never ends": (res, state) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"api_id":');
      state.timer = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(state.timer));
    },
  };
  let current = null;
  const state = {};
  const server = createServer((req, res) => bodies[current](res, state));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const hostile = new VerifyClient({ authId: sb.authId, authToken: "hostile", baseUrl: `http://127.0.0.1:${server.address().port}`, maxRetries: 0, timeoutMs: 1000, maxResponseBytes: MAX_BYTES });
  report.badBodies = [];
  for (const what of Object.keys(bodies)) {
    current = what;
    Object.assign(state, { sent: 0, closed: false });
    const r = await outcome(() => hostile.getSession(uuids[0]));
    const wanted = what === "a body that never ends" ? "timeout" : "invalid_response";
    check(!r.ok && r.typed && r.code === wanted, `${what}: ${r.ok ? "accepted" : r.code} (wanted ${wanted})`);
    // The client stops reading past maxResponseBytes and cancels the stream; what the
    // server wrote by then includes what the loopback socket buffers held (a few MB).
    if (what === "a 10 MiB body") check(state.sent < 10 * 1024 * 1024, `a 10 MiB body was sent whole: the read was not cancelled`);
    if (what === "a body that never ends") check(r.ms <= 1.5 * 1000, `a body that never ends: gave up after ${r.ms.toFixed(0)} ms`);
    report.badBodies.push({ what, code: r.code, ms: Math.round(r.ms), ...(what === "a 10 MiB body" ? { bytesWritten: state.sent } : {}) });
  }
  await new Promise((resolve) => server.close(resolve));
  server.closeAllConnections?.();
  // The module still works.
  const fine = await outcome(() => client.getSession(uuids[0]));
  check(fine.ok, `after the bad bodies, a call failed: ${fine.code}`);
  log(`bad bodies: ${report.badBodies.map((b) => `${b.what} → ${b.code}`).join("; ")}`);
} finally {
  await sb.stop();
}
report.seconds = Math.round((performance.now() - started) / 1000);
report.problems = problems;
mkdirSync(join(ROOT, "artifacts", "reliability"), { recursive: true });
writeFileSync(join(ROOT, "artifacts", "reliability", "faults.json"), JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report));
if (problems.length > 0) {
  console.error(`faults: ${problems.length} requirement(s) failed:\n  ${problems.slice(0, 20).join("\n  ")}`);
  process.exit(1);
}
