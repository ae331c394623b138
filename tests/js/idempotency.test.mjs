// Idempotent starts through the packed package: the proxy's Idempotency-Key (memory store)
// and the browser client's one key per user action, against a fake Plivo that counts the
// codes it sends. (Across instances with the Durable Object store: limiter.test.mjs; in
// workerd: tests/worker/.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { ensureInstalled } from "./support/install.mjs";

ensureInstalled();
// The whole module's VerifyBrowserClient is the browser module's code (src/js/browser.rs);
// the browser module itself loads only in browsers (tests/e2e).
const { VerifyProxy, VerifyBrowserClient, VerifyError } = await import("plivo-verify-wasm");

/** A proxy whose Plivo answers after `delayMs`, counting creates; `lose` drops answers. */
function setup({ delayMs = 30 } = {}) {
  const plivo = { creates: 0, keys: [], loseNext: false };
  let serial = 0;
  const proxy = new VerifyProxy({
    authId: "MAXXXXXXXXXXXXXXXXXX",
    authToken: "idempotency-test-token",
    proofSecret: "a-proof-secret-of-at-least-32-characters",
    fetch: async () => {
      plivo.creates++;
      await new Promise((r) => setTimeout(r, delayMs));
      return Response.json({ api_id: "x", message: "Session initiated", session_uuid: `00000000-0000-4000-8000-${String(++serial).padStart(12, "0")}` }, { status: 202 });
    },
  });
  // The page's fetch, to the proxy in this process; it can lose an answer on the way back.
  const pageFetch = async (url, init) => {
    const request = new Request(new URL(url, "https://app.example.com"), init);
    plivo.keys.push(request.headers.get("idempotency-key"));
    const response = await proxy.fetch(request);
    if (plivo.loseNext) {
      plivo.loseNext = false;
      throw new TypeError("network error: the answer was lost");
    }
    return response;
  };
  return { proxy, plivo, client: new VerifyBrowserClient({ endpoint: "https://app.example.com/verify", fetch: pageFetch }) };
}

const start = (proxy, key, recipient = "+14155550123") =>
  proxy.fetch(new Request("https://app.example.com/verify/start", {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === undefined ? {} : { "idempotency-key": key }) },
    body: JSON.stringify({ recipient }),
  }));

test("ten starts at once with one Idempotency-Key send one code and answer one session", async () => {
  const { proxy, plivo } = setup();
  const answers = await Promise.all(Array.from({ length: 10 }, () => start(proxy, "one-user-action")));
  const bodies = await Promise.all(answers.map((r) => r.json()));
  assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
  assert.equal(plivo.creates, 1);
  assert.equal(new Set(bodies.map((b) => b.sessionUuid)).size, 1);
  // Without a key, a second start is a second request: the resend wait refuses it.
  assert.equal((await start(proxy)).status, 429);
  assert.equal(plivo.creates, 1);
});

test("a malformed Idempotency-Key is refused with nothing sent, and the proxy goes on", async () => {
  const { proxy, plivo } = setup();
  for (const key of ["", "two words", "k".repeat(129), "clé", "a\tb"]) {
    const r = await start(proxy, key);
    assert.equal(r.status, 400, JSON.stringify(key));
    assert.equal((await r.json()).error.code, "invalid_argument");
  }
  assert.equal(plivo.creates, 0);
  assert.equal((await start(proxy, "k".repeat(128))).status, 200);
});

test("the browser client: a double click sends one code, and so does a start retried after a lost answer", async () => {
  const { plivo, client } = setup();
  const [a, b] = await Promise.all([client.start("+1 415 555 0123"), client.start("(415) 555-0123".replace(/^/, "+1 "))]);
  assert.equal(plivo.creates, 1, "one code for the double click");
  assert.equal(a.sessionUuid, b.sessionUuid);
  assert.equal(new Set(plivo.keys).size, 1, "one key for both");
  // The app retries a start whose answer was lost: the same key, the first answer, no send.
  const { plivo: lossy, client: retrying } = setup();
  lossy.loseNext = true;
  const lost = await retrying.start("+14155550124").catch((e) => e);
  assert.ok(lost instanceof VerifyError && lost.code === "network", String(lost));
  const retried = await retrying.start("+14155550124");
  assert.equal(lossy.creates, 1, "the retry sent nothing");
  assert.match(retried.sessionUuid, /^00000000-0000-4000-8000-/);
  // Another number, or the other channel, is another action: a new key.
  await retrying.start("+14155550125");
  await retrying.start("+14155550124", { channel: "voice" }).catch(() => {});
  assert.equal(new Set(lossy.keys).size, 3);
});

test("the browser client takes the app's own key, and refuses a malformed one before sending", async () => {
  const { plivo, client } = setup();
  await client.start("+14155550126", { idempotencyKey: "button-press-1" });
  assert.deepEqual(plivo.keys, ["button-press-1"]);
  for (const idempotencyKey of ["", "a b", 5, "k".repeat(129)]) {
    const e = await client.start("+14155550126", { idempotencyKey }).catch((e) => e);
    assert.ok(e instanceof VerifyError && e.code === "invalid_argument" && e.argument === "idempotencyKey", String(e));
  }
  assert.equal(plivo.keys.length, 1, "nothing sent");
});
