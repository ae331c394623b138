// The bot check on /start through the packed package, offline: VerifyProxy with
// `challenge` set to a Turnstile secret key, checked against the sandbox's siteverify
// emulator (sandbox/src/http/turnstile.rs: tokens "pass.*" pass once, "fail.*" fail,
// "expired.*" have expired), and with the app's own function.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ensureInstalled } from "./support/install.mjs";
import { startSandbox } from "./support/sandbox.mjs";

ensureInstalled();
const { VerifyProxy, VerifyBrowserClient, VerifyError } = await import("plivo-verify-wasm");

let sandbox;
before(async () => {
  sandbox = await startSandbox({ seed: 41 });
});
after(() => sandbox?.child.kill());

/** A proxy in front of the sandbox whose fetch counts siteverify's and Plivo's requests. */
function proxyWith(extra = {}) {
  const seen = { siteverify: [], creates: 0 };
  const proxy = new VerifyProxy({
    ...sandbox.options(),
    proofSecret: "a-proof-secret-of-at-least-32-characters",
    challenge: "sandbox-turnstile-secret",
    turnstileUrl: new URL("/turnstile/v0/siteverify", sandbox.base).href,
    limits: { resendAfterSecs: 0, sendsPerRecipientIp: [100, 3600], sendsPerRecipient: [100, 3600], sendsPerIp: [100, 3600] },
    fetch: async (input, init) => {
      const url = String(input);
      if (url.includes("/turnstile/")) seen.siteverify.push(Object.fromEntries(new URLSearchParams(init.body)));
      else if (init?.method === "POST" && /\/Verify\/Session\/?$/.test(new URL(url).pathname)) seen.creates++;
      return fetch(input, init);
    },
    ...extra,
  });
  return { proxy, seen };
}

let number = 0;
function start(proxy, challengeToken, headers = {}) {
  const body = { recipient: `+1415555${String(2000 + number++).padStart(4, "0")}` };
  if (challengeToken !== undefined) body.challengeToken = challengeToken;
  return proxy.fetch(new Request("https://verify.example.com/verify/start", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.9", ...headers },
    body: JSON.stringify(body),
  }));
}

test("Turnstile: a missing, failed, expired or replayed token is refused and nothing is sent", async () => {
  const { proxy, seen } = proxyWith();
  for (const token of [undefined, "fail.1", "expired.1"]) {
    const r = await start(proxy, token);
    assert.equal(r.status, 403, String(token));
    const { error } = await r.json();
    assert.deepEqual([error.code, error.reason], ["challenge_failed", "challenge_failed"]);
  }
  assert.equal((await start(proxy, "pass.1")).status, 200, "a passing token");
  const replayed = await start(proxy, "pass.1");
  assert.equal(replayed.status, 403, "a token is single-use");
  assert.equal(seen.creates, 1, "one code sent, for the passing token only");
  // What siteverify was sent: the secret, the token, a fresh idempotency key per check;
  // remoteip only where the address can be trusted (here: no request.cf, so unknown).
  assert.equal(seen.siteverify.length, 4, "a missing token is refused without asking");
  for (const asked of seen.siteverify) {
    assert.equal(asked.secret, "sandbox-turnstile-secret");
    assert.match(asked.idempotency_key, /^[0-9a-f-]{36}$/);
    assert.equal(asked.remoteip, undefined);
  }
  assert.equal(new Set(seen.siteverify.map((a) => a.idempotency_key)).size, 4);
});

test("Turnstile: the client's trusted address goes to siteverify, and an unreachable siteverify sends nothing", async () => {
  const { proxy, seen } = proxyWith({ clientIp: () => "198.51.100.23" });
  assert.equal((await start(proxy, "pass.2")).status, 200);
  assert.equal(seen.siteverify[0].remoteip, "198.51.100.23");
  const down = proxyWith({ turnstileUrl: "http://127.0.0.1:9/turnstile/v0/siteverify" });
  const r = await start(down.proxy, "pass.3");
  assert.equal(r.status, 502);
  assert.equal((await r.json()).error.code, "upstream_error");
  assert.equal(down.seen.creates, 0);
});

test("the app's own check: only true passes, a throw is a failure to check, and the request is handed over", async () => {
  const asked = [];
  const { proxy, seen } = proxyWith({
    turnstileUrl: undefined,
    challenge: async (request, token) => {
      asked.push([request.headers.get("cf-connecting-ip"), token]);
      if (token === "boom") throw new Error("the app's check broke");
      return token === "yes" ? true : token === "truthy" ? "yes" : false;
    },
  });
  assert.equal((await start(proxy, "yes")).status, 200);
  assert.equal((await start(proxy, "truthy")).status, 403, "a truthy non-boolean does not pass");
  assert.equal((await start(proxy, "no")).status, 403);
  assert.equal((await start(proxy, "boom")).status, 502);
  assert.deepEqual(asked[0], ["203.0.113.9", "yes"]);
  assert.equal(seen.creates, 1);
});

test("bad challenge options are refused by name", () => {
  const bad = (options) => {
    try {
      proxyWith(options);
    } catch (e) {
      assert.ok(e instanceof VerifyError && e.code === "invalid_argument", String(e));
      return e.argument;
    }
    assert.fail(`accepted ${JSON.stringify(options)}`);
  };
  assert.equal(bad({ challenge: "" }), "challenge");
  assert.equal(bad({ challenge: "two words" }), "challenge");
  assert.equal(bad({ challenge: 5 }), "challenge");
  assert.equal(bad({ turnstileUrl: "ftp://x" }), "turnstileUrl");
  assert.equal(bad({ challenge: () => true, turnstileUrl: "https://x.example/siteverify" }), "turnstileUrl");
  assert.equal(bad({ challenge: undefined, turnstileUrl: "https://x.example/siteverify" }), "turnstileUrl");
});

test("the browser client sends the widget's token, and refuses a malformed one before sending", async () => {
  const { proxy, seen } = proxyWith();
  const client = new VerifyBrowserClient({
    endpoint: "https://verify.example.com/verify",
    fetch: (url, init) => proxy.fetch(new Request(url, init)),
  });
  const started = await client.start("+14155553001", { challengeToken: "pass.browser" });
  assert.match(started.sessionUuid, /^[0-9a-f-]{36}$/);
  const e = await client.start("+14155553002", { challengeToken: "with \"quotes\"" }).catch((e) => e);
  assert.ok(e instanceof VerifyError && e.argument === "challengeToken", String(e));
  assert.equal(seen.creates, 1);
});
