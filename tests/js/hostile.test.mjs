// The bad-input table (support/bad-input-table.mjs: every function and constructor, hostile
// values among them) in Deno, Bun and workerd, as bad-input.test.mjs runs it in Node: each
// runtime in a process of its own with a timeout, printing one RESULT line.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { before, test } from "node:test";
import { ensureInstalled, ROOT } from "./support/install.mjs";

const BIN = join(ROOT, "node_modules", ".bin");
const TIMEOUT_MS = 120_000;

before(() => ensureInstalled());

/** Runs `command args…`; resolves to its RESULT (or why there is none). */
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      resolve({ code: code ?? signal, result: line ? JSON.parse(line.slice(7)) : null, out: out.slice(-3000) });
    });
  });
}

const TABLE = join(ROOT, "tests", "js", "runtimes", "hostile.mjs");
const RUNTIMES = [
  ["Deno", join(BIN, "deno"), ["run", "--allow-read", "--allow-env", "--node-modules-dir=manual", TABLE]],
  ["Bun", join(BIN, "bun"), ["run", TABLE]],
  ["workerd", process.execPath, [join(ROOT, "tests", "js", "support", "hostile-workerd.mjs")]],
];

for (const [name, command, args] of RUNTIMES) {
  test(`${name}: the bad-input table, every case a VerifyError naming its argument, nothing sent, the module working after`, async () => {
    const { code, result, out } = await run(command, args);
    assert.ok(result, `${name} printed no RESULT (exit ${code}):\n${out}`);
    assert.ok(result.cases > 1500, `${name} ran ${result.cases} cases`);
    assert.deepEqual(result.problems, [], `${name}: ${result.failed} of ${result.cases} cases went wrong`);
    assert.equal(result.fetchCalls, 0, `${name}: the table sent requests`);
    assert.ok(result.stillWorks, `${name}: the module did not work after the table`);
    console.log(`${name} (${result.runtime}): ${result.cases} cases, 0 wrong`);
  });
}
