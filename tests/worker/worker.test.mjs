// The deployable worker (www/worker.js) in workerd, through Miniflare 4, against the Verify
// sandbox: one test per scenario of scenarios.mjs, each in its own process
// (support/run-scenario.mjs) with a timeout, two at a time. Each process starts its own
// sandbox and worker, checks its scenario, and ends with the secrets scan (no auth token,
// proof secret or OTP in any response or log line of the worker); it prints one RESULT line.
//
//   node --test tests/worker/      (scripts/test-worker builds the sandbox and runs it)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ensureInstalled, ROOT } from "../js/support/install.mjs";
import { findLeaks } from "./support/harness.mjs";
import { scenarios } from "./scenarios.mjs";

const RUNNER = join(ROOT, "tests/worker/support/run-scenario.mjs");
const TIMEOUT_MS = 60_000;

before(() => ensureInstalled());

/** Runs one scenario in a fresh process group; resolves to its RESULT. */
function run(name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, name], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: workerd and the sandbox go with it
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, TIMEOUT_MS);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      killGroup(); // anything it left behind
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(7)));
      // The runner redacts what it prints (no token, proof secret or OTP).
      const why = timedOut ? `killed after ${TIMEOUT_MS} ms` : `exit ${code ?? signal}`;
      reject(new Error(`scenario "${name}": ${why}\n${`${stdout}\n${stderr}`.slice(-6000)}`));
    });
  });
}

test("the secrets scan finds what it looks for, and only whole codes", () => {
  const needles = [
    { name: "token", value: "tok-0123456789abcdef" },
    { name: "otp", value: "123456", digits: true },
  ];
  const hits = findLeaks(
    [
      { where: "body", text: '{"otp":"123456"}' },
      { where: "header", text: "x-debug: tok-0123456789abcdef" },
      { where: "longer number", text: "Retry-After: 91234567" },
      { where: "clean", text: '{"verified":true}' },
    ],
    needles,
  );
  assert.deepEqual(hits, [
    { where: "body", what: "otp" },
    { where: "header", what: "token" },
  ]);
});

describe("the worker in workerd", { concurrency: 2 }, () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    test(name, async () => {
      const result = await run(name);
      assert.equal(result.name, name);
      // The scan ran on this scenario's answers and knew its codes.
      assert.ok(result.scan.responses > 0, "the scan saw responses");
      assert.ok(result.scan.otps >= (scenario.minOtps ?? 0), `the scan knew ${result.scan.otps} OTPs`);
    });
  }
});
