// The bad-input table (support/bad-input-table.mjs: every function and constructor, hostile
// values among them) in Deno, Bun and workerd, as bad-input.test.mjs runs it in Node: each
// runtime in a process of its own with a timeout, printing one RESULT line.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import { ensureInstalled, ROOT } from "./support/install.mjs";
import { runForResult } from "./support/result.mjs";

const BIN = join(ROOT, "node_modules", ".bin");
const TIMEOUT_MS = 120_000;

before(() => ensureInstalled());


const TABLE = join(ROOT, "tests", "js", "runtimes", "hostile.mjs");
const RUNTIMES = [
  ["Deno", join(BIN, "deno"), ["run", "--allow-read", "--allow-env", "--node-modules-dir=manual", TABLE]],
  ["Bun", join(BIN, "bun"), ["run", TABLE]],
  ["workerd", process.execPath, [join(ROOT, "tests", "js", "support", "hostile-workerd.mjs")]],
];

for (const [name, command, args] of RUNTIMES) {
  test(`${name}: the bad-input table, every case a VerifyError naming its argument, nothing sent, the module working after`, async () => {
    const { code, result, out: all } = await runForResult(command, args, { timeoutMs: TIMEOUT_MS });
    const out = all.slice(-3000);
    assert.ok(result, `${name} printed no RESULT (exit ${code}):\n${out}`);
    assert.ok(result.cases > 1500, `${name} ran ${result.cases} cases`);
    assert.deepEqual(result.problems, [], `${name}: ${result.failed} of ${result.cases} cases went wrong`);
    assert.equal(result.fetchCalls, 0, `${name}: the table sent requests`);
    assert.ok(result.stillWorks, `${name}: the module did not work after the table`);
    console.log(`${name} (${result.runtime}): ${result.cases} cases, 0 wrong`);
  });
}
