// The bad-input table (support/bad-input-table.mjs) in Node: wrong and hostile values for
// every argument of every function, each a VerifyError `invalid_argument` naming the
// argument, before anything is sent: the client's fetch is never called and the sandbox
// logs no API request. Afterwards the module still works. (runtimes/hostile.mjs runs the
// same table in Deno, Bun and workerd.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ensureInstalled } from "./support/install.mjs";
import { buildTable, checkCase, FUNCTIONS, SECRET } from "./support/bad-input-table.mjs";
import { countingFetch, redact, secret, startSandbox } from "./support/sandbox.mjs";

ensureInstalled();
const api = await import("plivo-verify-wasm");
let sandbox;
let counted;
let client;
const cases = buildTable({
  api,
  client: () => client,
  clientOptions: () => sandbox.options(),
  clientEnv: () => ({ PLIVO_AUTH_ID: sandbox.authId, PLIVO_AUTH_TOKEN: sandbox.authToken, PLIVO_BASE_URL: sandbox.base }),
});

before(async () => {
  sandbox = await startSandbox({ seed: 11 });
  counted = countingFetch();
  client = new api.VerifyClient(sandbox.options({ fetch: counted.fetch }));
  secret(SECRET);
});
after(async () => {
  await sandbox?.stop();
});

test("the table covers every function", () => {
  for (const fn of FUNCTIONS) assert.ok(cases.some((c) => c.fn === fn), `${fn} has no case`);
  assert.ok(cases.length > 400, `${cases.length} cases`);
});

let loggedBefore;
let messagesBefore;

test("before the table: the sandbox's log and outbox", async () => {
  loggedBefore = await sandbox.settleLog();
  messagesBefore = (await sandbox.dev.messages()).messages.length;
  assert.equal(typeof loggedBefore, "number");
});

for (const fn of FUNCTIONS) {
  const mine = cases.filter((c) => c.fn === fn);
  const argumentsCovered = [...new Set(mine.map((c) => c.argument))];
  test(`${fn}: ${mine.length} wrong values for ${argumentsCovered.length} argument(s), each invalid_argument naming it`, async () => {
    const problems = [];
    for (const c of mine) {
      const problem = await checkCase(api, c, [SECRET, sandbox.authToken]);
      if (problem) problems.push(problem);
    }
    if (problems.length > 0) assert.fail(redact(`${problems.length} of ${mine.length} cases went wrong:\n  ${problems.join("\n  ")}`));
  });
}

test("nothing of the table was sent", async () => {
  assert.deepEqual(counted.calls, [], "the client's fetch was called");
  assert.equal(await sandbox.settleLog(), loggedBefore, "the sandbox received API requests");
  assert.equal((await sandbox.dev.messages()).messages.length, messagesBefore, "a code was sent");
});

const UUID = "8e712097-8090-4644-81e7-8f4265d8354e";
const v3 = () => ({ method: "POST", url: "https://example.com/cb", params: { SessionUUID: UUID }, nonce: "12345", signature: "c2lnbmF0dXJl", authToken: "token" });
const v2 = () => ({ url: "https://example.com/cb", nonce: "12345", signature: "c2lnbmF0dXJl", authToken: "token" });

test("the module still works after the whole table", async () => {
  const { sessionUuid } = await client.createSession({ recipient: "+14155550100" });
  const otp = await sandbox.dev.otp(sessionUuid);
  await client.validateSession(sessionUuid, otp);
  assert.equal((await client.getSession(sessionUuid)).status, "verified");
  const { sessions } = await client.listSessions({ limit: 1 });
  assert.equal(sessions[0].sessionUuid, sessionUuid);
  assert.equal(counted.calls.length, 4);
  assert.equal(api.parseStatusCallback({ SessionUUID: UUID }).sessionUuid, UUID);
  assert.equal(api.verifyCallbackSignatureV2(v2()), false);
  assert.equal(api.verifyCallbackSignature(v3()), false);
});
