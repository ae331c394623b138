// The package inside workerd (Miniflare 4): a worker imports it through the `workerd`
// condition (the .wasm imported as a compiled module, no fetch of it, no Node built-ins)
// and runs the flow against a sandbox this file starts. Each scenario runs in its own
// process (support/workerd-run.mjs) with a timeout.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ensureInstalled, ROOT } from "./support/install.mjs";
import { redact, startSandbox } from "./support/sandbox.mjs";

const RUNNER = join(ROOT, "tests/js/support/workerd-run.mjs");
const TIMEOUT_MS = 45_000;
let sandbox;

before(async () => {
  ensureInstalled();
  sandbox = await startSandbox({ seed: 23 });
});
after(async () => {
  await sandbox?.stop();
});

/** Runs one scenario in a fresh process; resolves to its RESULT. */
function scenario(name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, name], {
      env: {
        ...process.env,
        SANDBOX_URL: sandbox.base,
        PLIVO_AUTH_ID: sandbox.authId,
        PLIVO_AUTH_TOKEN: sandbox.authToken,
      },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(7)));
      const why = signal ? `killed (${signal}) after ${TIMEOUT_MS} ms` : `exit code ${code}`;
      const output = redact(`${stdout}\n${stderr}`).slice(-4000);
      reject(new Error(`workerd scenario ${name}: ${why}\n${output}`));
    });
  });
}

test("in workerd: create, validate, get, list, iterate, and every error", async () => {
  const { status, body } = await scenario("flow");
  assert.equal(status, 200, JSON.stringify(body));
  // A worker, not Node or a browser window.
  assert.deepEqual(body.runtime, {
    window: "undefined",
    process: "undefined",
    require: "undefined",
    Buffer: "undefined",
    WebSocketPair: "function",
  });
  assert.deepEqual(body.flow, {
    uuidOk: true,
    createMessage: "Session initiated",
    validatedMessage: "string",
    status: "verified",
    sameUuid: true,
    recipient: "14155550100",
    count: 1,
    attempts: 1,
    totalCharge: "string",
  });
  assert.deepEqual(body.list, {
    pageSizes: [2, 1],
    firstHasNext: true,
    lastHasNext: false,
    iterated: 3,
    iteratedAll: true,
    newestFirst: true,
    verified: true,
  });
  const error = (code, extra = {}) => ({ ok: false, isVerifyError: true, isError: true, name: "VerifyError", code, ...extra });
  const { errors } = body;
  assert.deepEqual(errors.authentication, error("authentication", { status: 401, hasApiId: true }));
  assert.deepEqual(errors.notFound, error("not_found", { status: 404, hasApiId: true }));
  assert.deepEqual(errors.serverError, error("server_error", { status: 503, hasApiId: true, fetches: 3 }));
  assert.deepEqual(errors.rateLimited, error("rate_limited", { status: 429, retryAfterMs: 1000, hasApiId: true }));
  assert.deepEqual(errors.timeout, error("timeout", { hasApiId: false }));
  assert.deepEqual(errors.badRecipient, error("invalid_argument", { argument: "recipient", hasApiId: false }));
  assert.deepEqual(errors.badUuid, error("invalid_argument", { argument: "sessionUuid", hasApiId: false }));
  assert.deepEqual(errors.badOptions, error("invalid_argument", { argument: "authToken", hasApiId: false }));
  assert.equal(errors.badFetches, 0, "bad input sent nothing");
  assert.equal(body.parsed.sessionUuid, "00000000-0000-4000-8000-000000000000");
  assert.equal(body.parsed.channel, "sms");
});

test("in workerd: status callbacks from the sandbox verified with verifyCallbackRequest", async () => {
  const result = await scenario("callback");
  assert.equal(result.status, 200);
  assert.ok(result.callbacks.length >= 1, "the worker received a callback");
  const [first] = result.callbacks;
  assert.equal(first.rejected, undefined, `the worker refused the callback: ${first.rejected}`);
  assert.equal(first.fields.sessionUuid, result.sessionUuid);
  assert.equal(first.fields.channel, "sms");
  assert.equal(first.fields.attemptSequence, 1);
  assert.equal(first.signatureOk, true, "V2 and Ma-V2 verify");
  assert.equal(first.hasV3, false, "the sandbox signs as Plivo's Verify docs say: no V3");
  assert.equal(first.forged.code, "replayed_callback", "a captured signature with other parameters");
  assert.equal(first.forged.isVerifyError, true);
  assert.equal(first.replayed.code, "replayed_callback", "the same callback again");
});
