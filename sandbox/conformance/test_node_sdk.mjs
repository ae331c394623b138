// Conformance: Plivo's official Node SDK (`plivo`, a devDependency) against verify-sandbox.
// Every `verify_session` operation the SDK has, its errors, and its signature validators on
// the callbacks the sandbox sends. Where the SDK itself is wrong, the test says so and checks
// the rest. Run by scripts/test-conformance (node --test), each file with sandboxes of its own.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import plivo from "plivo";
import { startReceiver as receiver } from "../../tests/js/support/receiver.mjs";
import { poll, startSandbox } from "../../tests/js/support/sandbox.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The SDK's client, pointed at a sandbox (`url` replaces https://api.plivo.com/v1/Account/{id}). */
const sdkClient = (sb, authId = sb.authId, authToken = sb.authToken) =>
  new plivo.Client(authId, authToken, { url: `${sb.base}/v1/Account/${authId}` });

/** Runs `call` and returns what it threw or rejected with. */
async function rejection(call) {
  try {
    await call();
  } catch (e) {
    return e;
  }
  assert.fail("expected the SDK call to fail");
}

describe("the Node SDK's verify_session against the sandbox", () => {
  const SUB = `SA${"N".repeat(18)}`;
  let sb;
  let sdk;
  let rx;

  before(async () => {
    sb = await startSandbox({ seed: 11, args: ["--list-rate-limit", "0", "--subaccount", `${SUB}:tok-node-sub`] });
    sdk = sdkClient(sb);
    rx = await receiver();
  });
  after(async () => {
    await rx?.close();
    await sb?.stop();
  });

  test("create with every argument the SDK takes, then get", async () => {
    const appUuid = "3cdec449-a367-435e-b4f9-40d777a7cfcc";
    const created = await sdk.verify_session.create({
      app_uuid: appUuid,
      recipient: "+919876500401",
      url: `${rx.base}/cb?tenant=node`,
      method: "POST",
      channel: "voice",
      locale: "en_US",
      brand_name: "Acme",
      app_hash: "FA+9qCX9VSu",
      code_length: 5,
      dtmf: 2,
      fraud_check: "block",
    });
    assert.equal(created.message, "Session initiated");
    assert.match(created.sessionUuid, UUID);
    assert.match(created.apiId, UUID);
    assert.equal((await sb.dev.otp(created.sessionUuid)).length, 5);

    const s = await sdk.verify_session.get(created.sessionUuid);
    assert.equal(s.sessionUuid, created.sessionUuid);
    assert.equal(s.appUuid, appUuid);
    assert.equal(s.recipient, "919876500401");
    assert.equal(s.channel, "voice");
    assert.equal(s.status, "in-progress");
    assert.equal(s.locale, "en_US");
    assert.equal(s.count, 1);
    assert.equal(s.alias, null);
    assert.equal(s.requestor_ip, "");
    assert.equal(s.destination_country_iso2, "IN");
    assert.equal(s.destination_network, "Jio");
    const [attempt] = s.attemptDetails;
    assert.equal(attempt.channel, "voice");
    assert.match(attempt.attemptUuid, UUID);
    assert.equal(attempt.brandName, "Acme");
    assert.equal(attempt.appHash, "FA+9qCX9VSu");
    assert.equal(attempt.codeLength, 5);
    assert.equal(attempt.dtmf, 2);
    assert.equal(attempt.fraudCheck, "block");
    assert.ok(Date.parse(attempt.time) >= Date.parse(s.createdAt));
    assert.equal(s.charges.attemptCharges[0].attemptUuid, attempt.attemptUuid);
    assert.equal(s.charges.validationCharge, "0.0000");
  });

  test("validate: a wrong code is refused, the right one verifies and is charged", async () => {
    const { sessionUuid } = await sdk.verify_session.create({ recipient: "+14155550402" });
    const otp = await sb.dev.otp(sessionUuid);
    const wrong = [...otp].map((d) => String((Number(d) + 1) % 10)).join("");
    const refused = await rejection(() => sdk.verify_session.validate({ id: sessionUuid, otp: wrong }));
    assert.match(String(refused.message), /invalid OTP/);
    const ok = await sdk.verify_session.validate({ id: sessionUuid, otp });
    assert.equal(ok.message, "session validated successfully.");
    assert.match(ok.apiId, UUID);
    const s = await sdk.verify_session.get(sessionUuid);
    assert.equal(s.status, "verified");
    const charges = s.charges;
    assert.ok(Number(charges.validationCharge) > 0, "a validation is charged");
    const attempts = charges.attemptCharges.reduce((sum, c) => sum + Number(c.charge), 0);
    assert.ok(Math.abs(Number(charges.totalCharge) - attempts - Number(charges.validationCharge)) < 1e-9);
    const again = await rejection(() => sdk.verify_session.validate({ id: sessionUuid, otp }));
    assert.match(String(again.message), /already validated/);
  });

  test("get: an unknown session and wrong credentials are errors", async () => {
    const missing = await rejection(() => sdk.verify_session.get("00000000-0000-4000-8000-000000000000"));
    assert.match(String(missing.message), /not found/);
    const denied = await rejection(() => sdkClient(sb, sb.authId, "wrong-token").verify_session.get("00000000-0000-4000-8000-000000000000"));
    assert.ok(denied instanceof Error);
    assert.doesNotMatch(String(denied.message), new RegExp(sb.authToken));
  });

  test("list: filters, pagination and a subaccount's implicit filter", async () => {
    await sb.dev.reset();
    const sub = sdkClient(sb, SUB, "tok-node-sub");
    const a = (await sdk.verify_session.create({ recipient: "+14155550410", brand_name: "Acme", app_hash: "HASHA" })).sessionUuid;
    const b = (await sdk.verify_session.create({ recipient: "+447700900410", brand_name: "Beta" })).sessionUuid;
    const c = (await sub.verify_session.create({ recipient: "+919876500410", channel: "voice" })).sessionUuid;
    const ids = (page) => page.sessions.map((s) => s.sessionUuid);
    const all = await sdk.verify_session.list();
    assert.deepEqual(ids(all), [c, b, a]);
    assert.equal(all.meta.limit, 20);
    assert.equal(all.meta.next, null);
    assert.deepEqual(ids(await sdk.verify_session.list({ brand_name: "Acme" })), [a]);
    assert.deepEqual(ids(await sdk.verify_session.list({ app_hash: "HASHA" })), [a]);
    assert.deepEqual(ids(await sdk.verify_session.list({ country: "GB" })), [b]);
    assert.deepEqual(ids(await sdk.verify_session.list({ recipient: "+919876500410" })), [c]);
    assert.deepEqual(ids(await sdk.verify_session.list({ status: "in-progress", subaccount: SUB })), [c]);
    assert.deepEqual(ids(await sdk.verify_session.list({ alias: "none" })), [], "sandbox apps have no alias");
    assert.deepEqual(ids(await sub.verify_session.list()), [c], "a subaccount lists its own");
    const first = await sdk.verify_session.list({ limit: 2, offset: 0 });
    assert.deepEqual(ids(first), [c, b]);
    assert.match(first.meta.next, /offset=2/);
    assert.deepEqual(ids(await sdk.verify_session.list({ limit: 2, offset: 2 })), [a]);
    // `session_time` reaches the sandbox as given; the `__gt`-style filters do not (see the
    // SDK's bug below).
    const minute = (await sdk.verify_session.get(a)).createdAt.slice(0, 16).replace("T", " ");
    const atThatMinute = await sdk.verify_session.list({ session_time: minute });
    assert.ok(ids(atThatMinute).includes(a), minute);
    assert.ok(atThatMinute.sessions.every((s) => s.createdAt.replace("T", " ").startsWith(minute)));
    assert.deepEqual(ids(await sdk.verify_session.list({ session_time: "2020-01-01 00:00" })), []);
    const bad = await rejection(() => sdk.verify_session.list({ country: "Britain" }));
    assert.match(String(bad.message), /country/);
  });

  test("its signature validators accept the sandbox's callbacks (V2 and Ma-V2 by default)", async () => {
    const { sessionUuid } = await sdk.verify_session.create({ recipient: "+14155550420", url: `${rx.base}/cb/node?x=1` });
    const got = await poll(() => rx.received.filter((r) => r.body.includes(sessionUuid)).length >= 2 && rx.received.filter((r) => r.body.includes(sessionUuid)), {
      tries: 200,
      what: "two callbacks",
    });
    for (const r of got) {
      const url = `${rx.base}${r.path}`;
      const h = r.headers;
      assert.equal(h["x-plivo-signature-v3"], undefined, "V3 only with --sign");
      const nonce = h["x-plivo-signature-v2-nonce"];
      assert.equal(plivo.validateSignature(url, nonce, h["x-plivo-signature-v2"], sb.authToken), true);
      assert.equal(plivo.validateSignature(url, nonce, h["x-plivo-signature-ma-v2"], sb.authToken), true);
      assert.equal(plivo.validateSignature(url, nonce, h["x-plivo-signature-v2"], `${sb.authToken}x`), false);
      assert.equal(plivo.validateSignature(url, `${nonce}1`, h["x-plivo-signature-ma-v2"], sb.authToken), false);
    }
    // A subaccount's session: V2 with its token, Ma-V2 with the main one.
    const sub = sdkClient(sb, SUB, "tok-node-sub");
    const subSession = (await sub.verify_session.create({ recipient: "+14155550421", url: `${rx.base}/cb/sub` })).sessionUuid;
    const [r] = await poll(() => rx.received.filter((x) => x.body.includes(subSession)).length && rx.received.filter((x) => x.body.includes(subSession)), {
      tries: 200,
      what: "a subaccount's callback",
    });
    const nonce = r.headers["x-plivo-signature-v2-nonce"];
    assert.equal(plivo.validateSignature(`${rx.base}/cb/sub`, nonce, r.headers["x-plivo-signature-v2"], "tok-node-sub"), true);
    assert.equal(plivo.validateSignature(`${rx.base}/cb/sub`, nonce, r.headers["x-plivo-signature-v2"], sb.authToken), false);
    assert.equal(plivo.validateSignature(`${rx.base}/cb/sub`, nonce, r.headers["x-plivo-signature-ma-v2"], sb.authToken), true);
  });
});

test("the Node SDK's V3 validator accepts the sandbox's V3 (--sign all)", async () => {
  const sb = await startSandbox({ seed: 12, args: ["--sign", "all"] });
  const rx = await receiver();
  try {
    const sdk = sdkClient(sb);
    const { sessionUuid } = await sdk.verify_session.create({ recipient: "+14155550430", url: `${rx.base}/cb/v3?tenant=a` });
    const [r] = await poll(() => rx.received.filter((x) => x.body.includes(sessionUuid)).length && rx.received.filter((x) => x.body.includes(sessionUuid)), {
      tries: 200,
      what: "a callback",
    });
    const url = `${rx.base}${r.path}`;
    const params = Object.fromEntries(new URLSearchParams(r.body));
    const v3 = (p, token = sb.authToken) =>
      plivo.validateV3Signature("POST", url, r.headers["x-plivo-signature-v3-nonce"], token, r.headers["x-plivo-signature-v3"], p);
    assert.equal(v3(params), true);
    assert.equal(v3({ ...params, ChannelStatus: "failed" }), false);
    assert.equal(v3(params, `${sb.authToken}x`), false);
    assert.equal(plivo.validateSignature(url, r.headers["x-plivo-signature-v2-nonce"], r.headers["x-plivo-signature-ma-v2"], sb.authToken), true);
  } finally {
    await rx.close();
    await sb.stop();
  }
});

// The SDK's own bugs, shown against a stub that records what it is sent and answers as
// Plivo may, so that they stay known (and a fixed SDK fails these tests, to be updated).
async function stub(answer) {
  const urls = [];
  const bodies = [];
  const server = createServer((req, res) => {
    urls.push(req.url);
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      bodies.push(body);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    urls,
    bodies,
    sdk: sdkClient({ base, authId: "MAXXXXXXXXXXXXXXXXXX", authToken: "t" }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test("the Node SDK's session_time__gt|gte|lt|lte filters lose an underscore (its bug)", async () => {
  const s = await stub({ api_id: "a", meta: { limit: 20, offset: 0, next: null, previous: null }, sessions: null });
  try {
    const page = await s.sdk.verify_session.list({ session_time__gt: "2024-01-01 10:00", session_time__lte: "2024-01-02 10:00" });
    const query = new URL(s.urls[0], "http://x").searchParams;
    // The reference names them session_time__gt etc.; the SDK sends session_time_gt, which
    // Plivo does not know, so the filter is silently dropped.
    assert.equal(query.get("session_time_gt"), "2024-01-01 10:00");
    assert.equal(query.get("session_time_lte"), "2024-01-02 10:00");
    assert.equal(query.get("session_time__gt"), null);
    // `"sessions": null` is passed on as null (ours reads it as an empty page).
    assert.equal(page.sessions, null);
  } finally {
    await s.close();
  }
});

test("the Node SDK's get throws on a session without charges (its bug)", async () => {
  const s = await stub({ api_id: "a", session_uuid: "d8f1b187-ddcb-438a-a298-eb17fb2b31f5", status: "expired", attempt_details: [] });
  try {
    const e = await rejection(() => s.sdk.verify_session.get("d8f1b187-ddcb-438a-a298-eb17fb2b31f5"));
    assert.ok(e instanceof TypeError, `the SDK reads charges.totalCharge of undefined: ${e}`);
  } finally {
    await s.close();
  }
});

test("the Node SDK drops dtmf: 0 from a create (its bug: a truthiness check)", async () => {
  const s = await stub({ api_id: "a", message: "Session initiated", session_uuid: "d8f1b187-ddcb-438a-a298-eb17fb2b31f5" });
  try {
    await s.sdk.verify_session.create({ recipient: "+14155550100", dtmf: 0 });
    assert.equal(JSON.parse(s.bodies[0]).dtmf, undefined);
  } finally {
    await s.close();
  }
});
