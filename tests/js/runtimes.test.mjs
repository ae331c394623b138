// The installed package in Deno and Bun (both from npm, devDependencies of the repository):
// runtimes/flow.mjs runs the client flow against a sandbox and VerifyProxy on the runtime's
// own HTTP server (Deno.serve, Bun.serve), importing "plivo-verify-wasm" by name. Each run is
// a process of its own with a timeout; it prints one RESULT line.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ensureInstalled, ROOT } from "./support/install.mjs";
import { runForResult } from "./support/result.mjs";
import { redact, startSandbox } from "./support/sandbox.mjs";

const FLOW = join(ROOT, "tests", "js", "runtimes", "flow.mjs");
const BIN = join(ROOT, "node_modules", ".bin");
const TIMEOUT_MS = 60_000;

let sandbox;
before(async () => {
  ensureInstalled();
  sandbox = await startSandbox({ seed: 21, args: ["--list-rate-limit", "0"] });
});
after(async () => {
  await sandbox?.stop();
});

/** Runs the flow with `command args…`; resolves to its RESULT and output. */
async function runFlow(command, args) {
  const env = { VERIFY_SANDBOX_URL: sandbox.base, PLIVO_AUTH_ID: sandbox.authId, PLIVO_AUTH_TOKEN: sandbox.authToken };
  const run = await runForResult(command, [...args, FLOW], { env, timeoutMs: TIMEOUT_MS });
  return { ...run, out: redact(run.out).slice(-4000) };
}

const RUNTIMES = [
  // --node-modules-dir=manual: Deno resolves "plivo-verify-wasm" from node_modules, as Node does.
  ["Deno", join(BIN, "deno"), ["run", "--allow-net=127.0.0.1", "--allow-read", "--allow-env", "--node-modules-dir=manual"], /^deno 2\./],
  ["Bun", join(BIN, "bun"), ["run"], /^bun 1\./],
];

for (const [name, command, args, version] of RUNTIMES) {
  test(`${name}: the client flow and VerifyProxy on its own HTTP server`, async () => {
    const { code, result, out } = await runFlow(command, args);
    assert.ok(result, `${name} printed no RESULT (exit ${code}):\n${out}`);
    assert.equal(result.ok, true, `${name}: ${result.error}\n${out}`);
    assert.equal(code, 0);
    assert.match(result.runtime, version);
    assert.equal(result.checks, 12, "every check of the flow ran");
    const session = await new (await import("plivo-verify-wasm")).VerifyClient(sandbox.options()).getSession(result.sessionUuid);
    assert.equal(session.status, "verified", "the sandbox saw the flow");
    console.log(`${name}: ${result.runtime}, ${result.checks} checks passed`);
  });
}
