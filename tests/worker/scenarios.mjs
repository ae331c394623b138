// The worker suite's scenarios: www/worker.js in workerd (Miniflare 4) against a sandbox.
// Each runs in its own process (support/run-scenario.mjs, started by worker.test.mjs with a
// timeout) on a fresh sandbox and worker, and ends with the secrets scan of everything the
// worker answered and logged. `options` (an object, or a function making one) configure the
// harness (support/harness.mjs); `cleanup(options)` runs after; `minOtps` is how many codes
// the sandbox must have issued (so the scan had them to look for).
//
// Time: the proxy's limits run on the real clock, the sandbox's expiry on its own (moved with
// POST /__sandbox/clock). No check depends on how long anything took: Retry-After values are
// checked against the configured windows only.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALLOWED_ORIGIN, OTHER_ORIGIN, importPackage, poll } from "./support/harness.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

/**
 * An error answer: status, JSON `{error: {code, message}}` and nothing else, or, for a
 * guard's refusal, `{error: {code, message, reason}}` with `reason` the guard's name.
 */
function isError(res, status, code, what = "", reason = undefined) {
  const where = `${what} -> ${res.status} ${res.text}`;
  assert.equal(res.status, status, where);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, where);
  assert.deepEqual(Object.keys(res.json ?? {}), ["error"], where);
  const keys = reason === undefined ? ["code", "message"] : ["code", "message", "reason"];
  assert.deepEqual(Object.keys(res.json.error).sort(), keys, where);
  assert.equal(res.json.error.code, code, where);
  assert.equal(typeof res.json.error.message, "string", where);
  if (reason !== undefined) assert.equal(res.json.error.reason, reason, where);
}

/**
 * A 429 with `Retry-After` in whole seconds within (min, max]; returns it. `reason`: the
 * guard expected to refuse, or null for Plivo's own 429 passed on (no guard named).
 */
function isRateLimited(res, { min = 0, max, reason }, what = "") {
  assert.ok(reason !== undefined, "name the guard expected to refuse");
  isError(res, 429, "rate_limited", what, reason ?? undefined);
  const header = res.headers.get("retry-after");
  assert.match(header ?? "", /^[0-9]+$/, `${what}: Retry-After ${header}`);
  const secs = Number(header);
  assert.ok(secs > min && secs <= max, `${what}: Retry-After ${secs} not in (${min}, ${max}]`);
  return secs;
}

/** A successful /start: `{sessionUuid, channel, resendAfterSecs}`. */
function isStarted(res, what = "") {
  assert.equal(res.status, 200, `${what} -> ${res.status} ${res.text}`);
  assert.deepEqual(Object.keys(res.json).sort(), ["channel", "resendAfterSecs", "sessionUuid"], what);
  assert.match(res.json.sessionUuid, UUID, what);
  return res.json.sessionUuid;
}

/** Messages the sandbox "delivered" to `recipient` (digits, no +). */
async function sent(h, recipient) {
  return (await h.sandbox.dev.messages(`?recipient=${recipient}&limit=1000`)).messages;
}

const notVerified = (reason) => ({ verified: false, reason });

export const scenarios = {
  // start -> the code from the sandbox -> check -> a proof verifyProof accepts.
  flow: {
    minOtps: 1,
    async run(h) {
      const { verifyProof, VerifyError } = await importPackage();
      // As a person types it: the proxy normalises it to +14155550100.
      const started = await h.start("+1 (415) 555-0100", { ip: "203.0.113.1" });
      const uuid = isStarted(started, "start");
      assert.deepEqual(started.json, { sessionUuid: uuid, channel: "sms", resendAfterSecs: 30 });
      const messages = await sent(h, "14155550100");
      assert.equal(messages.length, 1, "one code sent, to the normalised number");
      assert.equal(messages[0].session_uuid, uuid);

      // The status route shows only status, channel and attempts.
      const before = await h.status(uuid);
      assert.equal(before.status, 200, before.text);
      assert.deepEqual(before.json, { status: "in-progress", channel: "sms", attempts: 1 });

      const checked = await h.check(uuid, await h.otp(uuid));
      assert.equal(checked.status, 200, checked.text);
      assert.deepEqual(Object.keys(checked.json).sort(), ["proof", "verified"]);
      assert.equal(checked.json.verified, true);
      assert.equal(checked.headers.get("cache-control"), "no-store", "a proof is never cached");

      // The proof: accepted with the proxy's secret, refused with any other or if altered.
      const nowSecs = Math.floor(Date.now() / 1000);
      const claims = verifyProof(checked.json.proof, h.proofSecret);
      assert.equal(claims.sessionUuid, uuid);
      assert.equal(claims.recipient, "+14155550100");
      assert.ok(Number.isInteger(claims.expiresAt), "expiresAt is unix seconds");
      assert.ok(claims.expiresAt > nowSecs && claims.expiresAt <= nowSecs + 600, `expiresAt ${claims.expiresAt} within proofTtlSecs`);
      const refused = (proof, secret) => {
        try {
          verifyProof(proof, secret);
        } catch (e) {
          assert.ok(e instanceof VerifyError, `${e}`);
          return e.code;
        }
        return "accepted";
      };
      assert.equal(refused(checked.json.proof, `${h.proofSecret.slice(0, -1)}x`), "invalid_proof", "a wrong secret");
      assert.equal(refused(checked.json.proof, "another-secret-of-at-least-32-characters"), "invalid_proof");
      const [header, payload, signature] = checked.json.proof.split(".");
      const forged = Buffer.from(
        Buffer.from(payload, "base64url").toString().replace("+14155550100", "+14155550199"),
      ).toString("base64url");
      assert.equal(refused(`${header}.${forged}.${signature}`, h.proofSecret), "invalid_proof", "altered claims");
      assert.equal(refused("not-a-proof", h.proofSecret), "invalid_proof");
      // The same proof checked by a standard JWT library, pinned to HS256 (the README's recipe).
      const jwt = (await import("jsonwebtoken")).default;
      const standard = jwt.verify(checked.json.proof, h.proofSecret, {
        algorithms: ["HS256"],
        audience: "plivo-verify-wasm",
        issuer: "plivo-verify-wasm",
      });
      assert.equal(standard.sub, uuid);
      assert.equal(standard.phone_number, "+14155550100");
      assert.equal(standard.jti, claims.id);
      assert.throws(() => jwt.verify(checked.json.proof, h.proofSecret, { algorithms: ["HS256"], audience: "https://other.example" }));
      assert.equal(verifyProof(checked.json.proof, [h.proofSecret], { audience: "plivo-verify-wasm" }).sessionUuid, uuid);
      assert.throws(() => verifyProof(checked.json.proof, h.proofSecret, { audience: "https://other.example" }), (e) => e.code === "invalid_proof");

      const after = await h.status(uuid);
      assert.deepEqual(after.json, { status: "verified", channel: "sms", attempts: 1 });
      // The code cannot be used twice.
      const again = await h.check(uuid, await h.otp(uuid));
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json.verified, false, "a used code verifies nothing");
      assert.equal(again.json.proof, undefined);

      // Routes: unknown ones 404, wrong methods 405 with Allow, bad and unknown sessions.
      isError(await h.request("/verify/nope", { method: "POST", json: {} }), 404, "not_found", "unknown route");
      isError(await h.request("/elsewhere"), 404, "not_found", "outside /verify");
      for (const path of ["/verify", "/verify/", "/verify/session/", "/verify/session/a/b"]) {
        isError(await h.request(path), 404, "not_found", path);
      }
      const wrongMethod = await h.request("/verify/start");
      isError(wrongMethod, 405, "method_not_allowed", "GET /start");
      assert.equal(wrongMethod.headers.get("allow"), "POST, OPTIONS");
      isError(await h.request("/verify/check", { method: "PUT" }), 405, "method_not_allowed", "PUT /check");
      isError(await h.status(UNKNOWN), 404, "not_found", "unknown session");
      isError(await h.status("not-a-uuid"), 400, "invalid_argument", "bad session id");
      return { reusedCode: again.json.reason };
    },
  },

  // A wrong code is a result, not an error; the right one still works afterwards.
  "wrong code": {
    minOtps: 1,
    async run(h) {
      const uuid = isStarted(await h.start("+14155550101"));
      const wrong = await h.check(uuid, await h.wrongOtp(uuid));
      assert.equal(wrong.status, 200, wrong.text);
      assert.deepEqual(wrong.json, notVerified("incorrect"));
      assert.deepEqual((await h.status(uuid)).json, { status: "in-progress", channel: "sms", attempts: 1 });
      const right = await h.check(uuid, await h.otp(uuid));
      assert.equal(right.json.verified, true, right.text);
    },
  },

  // The sandbox's clock moves past the code's expiry: the right code no longer verifies.
  expiry: {
    minOtps: 1,
    async run(h) {
      const uuid = isStarted(await h.start("+14155550102"));
      const otp = await h.otp(uuid);
      await h.sandbox.dev.advanceClock(601);
      const late = await h.check(uuid, otp);
      assert.equal(late.status, 200, late.text);
      assert.deepEqual(late.json, notVerified("expired"));
      assert.equal((await h.status(uuid)).json.status, "expired");
    },
  },

  "limit: sends per recipient": {
    options: { vars: { LIMITS: { sendsPerRecipient: [2, 600], resendAfterSecs: 0 } } },
    minOtps: 2,
    async run(h) {
      // Different IPs and spellings: the count is the number's.
      isStarted(await h.start("+14155550110", { ip: "203.0.113.10" }), "1st");
      isStarted(await h.start("1 415 555 0110", { ip: "203.0.113.11" }), "2nd, spelt otherwise");
      const retry = isRateLimited(await h.start("+14155550110", { ip: "203.0.113.12" }), { max: 600, reason: "sends_per_recipient" }, "3rd");
      assert.equal((await sent(h, "14155550110")).length, 2, "the refused request sent nothing");
      isStarted(await h.start("+14155550111", { ip: "203.0.113.12" }), "another number");
      return { retryAfter: retry };
    },
  },

  "limit: sends per IP": {
    options: { vars: { LIMITS: { sendsPerIp: [3, 3600], resendAfterSecs: 0 } } },
    minOtps: 4,
    async run(h) {
      const ip = "198.51.100.7";
      for (const n of [20, 21, 22]) isStarted(await h.start(`+141555501${n}`, { ip }), `number ${n}`);
      // Over the per-IP limit (3600 s window: longer than any per-number window here).
      const retry = isRateLimited(await h.start("+14155550123", { ip }), { min: 600, max: 3600, reason: "sends_per_ip" }, "4th from one IP");
      assert.equal((await sent(h, "14155550123")).length, 0, "nothing sent");
      isStarted(await h.start("+14155550123", { ip: "198.51.100.8" }), "the same number from another IP");

      // X-Forwarded-For is not trusted (trustForwardedFor is off): changing it changes nothing.
      const forwarded = (n) => ({ headers: { "x-forwarded-for": `192.0.2.${n}` } });
      for (const n of [30, 31, 32]) isStarted(await h.start(`+141555501${n}`, forwarded(n)), `forwarded ${n}`);
      isRateLimited(await h.start("+14155550133", forwarded(33)), { min: 600, max: 3600, reason: "sends_per_ip" }, "4th, another X-Forwarded-For");
      return { retryAfter: retry };
    },
  },

  "limit: resend wait": {
    minOtps: 2,
    async run(h) {
      const first = await h.start("+14155550140", { ip: "203.0.113.40" });
      isStarted(first);
      assert.equal(first.json.resendAfterSecs, 30);
      const retry = isRateLimited(await h.start("+14155550140", { ip: "203.0.113.40" }), { max: 30, reason: "resend_wait" }, "resend at once");
      assert.equal((await sent(h, "14155550140")).length, 1, "no second message");
      isStarted(await h.start("+14155550141", { ip: "203.0.113.40" }), "another number");
      // The wait is the asking address's: another address is not held up by it (the
      // number's own cap, sendsPerRecipient, still counts both).
      isStarted(await h.start("+14155550140", { ip: "203.0.113.41" }), "the number from another address");
      return { retryAfter: retry };
    },
  },

  // checksPerSession: the cap is an answer (`too_many_attempts`), and the code no longer counts.
  "limit: checks per session": {
    options: { vars: { LIMITS: { checksPerSession: 3 } } },
    minOtps: 1,
    async run(h) {
      const uuid = isStarted(await h.start("+14155550150"));
      const wrong = await h.wrongOtp(uuid);
      for (let i = 1; i <= 3; i++) {
        const res = await h.check(uuid, wrong);
        assert.deepEqual(res.json, notVerified("incorrect"), `wrong code ${i}: ${res.text}`);
      }
      const capped = await h.check(uuid, await h.otp(uuid));
      assert.equal(capped.status, 200, capped.text);
      assert.deepEqual(capped.json, notVerified("too_many_attempts"), "the right code after the cap");
      assert.equal((await h.status(uuid)).json.status, "in-progress", "the capped check never reached Plivo");
      return { retryAfter: capped.headers.get("retry-after") };
    },
  },

  // failuresPerRecipient: wrong codes lock the number out, for checks and new sends alike.
  "limit: failures per recipient": {
    options: { vars: { LIMITS: { failuresPerRecipient: [2, 86400], checksPerSession: 10, resendAfterSecs: 0 } } },
    minOtps: 2,
    async run(h) {
      const uuid = isStarted(await h.start("+14155550160"));
      const wrong = await h.wrongOtp(uuid);
      for (let i = 1; i <= 2; i++) assert.deepEqual((await h.check(uuid, wrong)).json, notVerified("incorrect"));
      // The day-long window: longer than the send windows (600 s, 3600 s).
      const retry = isRateLimited(await h.check(uuid, await h.otp(uuid)), { min: 3600, max: 86400, reason: "failures_per_recipient" }, "right code, locked out");
      assert.equal((await h.status(uuid)).json.status, "in-progress");
      isRateLimited(await h.start("+14155550160", { ip: "203.0.113.60" }), { min: 3600, max: 86400, reason: "failures_per_recipient" }, "new send, locked out");
      // Another number is not affected.
      const other = isStarted(await h.start("+14155550161", { ip: "203.0.113.61" }));
      assert.equal((await h.check(other, await h.otp(other))).json.verified, true);
      return { retryAfter: retry };
    },
  },

  // An attack on the wrong-code limit: guesses sent at once. Each reserves a failure before
  // Plivo is asked, so no more than the limit reach Plivo (counted at the sandbox).
  "limit: parallel guesses stay within failures per recipient": {
    // Two instances sharing the Durable Object limiter: the guesses arrive through both.
    options: {
      workers: 2,
      limiter: "durable-object",
      vars: { LIMITS: { failuresPerRecipient: [3, 86400], checksPerSession: 20, resendAfterSecs: 0 } },
    },
    minOtps: 3,
    async run(h) {
      const uuid = isStarted(await h.start("+14155550165"));
      const wrong = await h.wrongOtp(uuid);
      const validations = () => h.sandbox.apiRequests().filter((l) => l.startsWith(`POST `) && l.includes(`/Verify/Session/${uuid}/`)).length;
      await h.sandbox.settleLog();
      const before = validations();
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => h.check(uuid, wrong, { worker: i % 2 ? "a" : "b" })));
      await h.sandbox.settleLog();
      const reached = validations() - before;
      assert.equal(reached, 3, `8 wrong codes at once with failuresPerRecipient [3, …]: ${reached} reached Plivo`);
      const limited = answers.filter((a) => a.status === 429).length;
      assert.equal(limited, 5, answers.map((a) => a.status).join(","));
      for (const a of answers.filter((a) => a.status === 200)) assert.deepEqual(a.json, notVerified("incorrect"));

      // A right code gives its reservation back (through the Durable Object): all 3 tries remain.
      const verified = isStarted(await h.start("+14155550166", { worker: "a" }));
      assert.equal((await h.check(verified, await h.otp(verified), { worker: "b" })).json.verified, true);
      const next = isStarted(await h.start("+14155550166", { worker: "b" }));
      const nextWrong = await h.wrongOtp(next);
      for (let i = 0; i < 3; i++) assert.deepEqual((await h.check(next, nextWrong, { worker: "a" })).json, notVerified("incorrect"), `try ${i + 1}`);
      isRateLimited(await h.check(next, nextWrong), { min: 3600, max: 86400, reason: "failures_per_recipient" }, "the fourth wrong code");
      return { reached, limited };
    },
  },

  // Status callbacks: the sandbox calls the worker back (PUBLIC_URL is its URL), signed as
  // Plivo signs Verify callbacks; each signed one reaches onStatus (its log line) once, a
  // replay gets 200 "duplicate", anything else 403 (413 when too large) and no onStatus.
  callbacks: {
    options: { publicUrl: true },
    minOtps: 1,
    async run(h) {
      const uuid = isStarted(await h.start("+14155550170"));
      const callbackUrl = `${h.url}/verify/callback`;
      const statusLines = () => h.logs.filter((l) => l.includes(`verify status: session ${uuid}`));
      const delivered = (records) => records.filter((r) => r.state === "delivered");
      const records = async () => (await h.sandbox.dev.callbacks(`?session_uuid=${uuid}`)).callbacks;

      const first = await poll(async () => delivered(await records()).length > 0 && (await records()), {
        what: "a callback delivered to the worker",
        tries: 200,
      });
      for (const r of first) {
        assert.equal(r.url, callbackUrl, "the proxy asked for callbacks at PUBLIC_URL/verify/callback");
        assert.notEqual(r.state, "failed", `a callback failed: ${r.last_status} ${r.last_error}`);
      }
      await poll(() => statusLines().length > 0, { what: "onStatus's log line", tries: 200 });

      // Verifying the code makes another callback (SessionStatus verified).
      assert.equal((await h.check(uuid, await h.otp(uuid))).json.verified, true);
      await poll(async () => delivered(await records()).some((r) => r.params.SessionStatus === "verified"), {
        what: "the 'verified' callback delivered",
        tries: 200,
      });
      await poll(() => statusLines().some((l) => / session verified /.test(l)), { what: "onStatus for 'verified'", tries: 200 });
      for (const r of await records()) {
        assert.notEqual(r.state, "failed", `callback ${r.params.ChannelStatus}: ${r.last_status} ${r.last_error}`);
        if (r.state === "delivered") assert.equal(r.last_status, 200);
      }
      assert.ok(
        h.logs.every((l) => !l.includes("14155550170")),
        "onStatus's log line does not show the whole number",
      );

      // What the sandbox sent is signed as Plivo signs Verify callbacks: V2, Ma-V2, a nonce.
      const [signed] = delivered(await records());
      const headers = { "content-type": "application/x-www-form-urlencoded", ...signed.sent.headers };
      assert.ok(headers["X-Plivo-Signature-Ma-V2"] && !headers["X-Plivo-Signature-V3"], JSON.stringify(Object.keys(headers)));
      const post = (init) => h.request(init.path ?? "/verify/callback", { method: "POST", ...init });
      const before = statusLines().length;
      // Its nonce is spent: the same request again, or with other parameters, is
      // acknowledged (Plivo stops trying) and not passed on.
      const altered = signed.sent.body.replace(/Recipient=[0-9]+/, "Recipient=19999999999");
      for (const [what, body] of [["exact replay", signed.sent.body], ["captured signature, other parameters", altered]]) {
        const res = await post({ headers, body });
        assert.equal(res.status, 200, `${what}: ${res.text}`);
        assert.equal(res.json.duplicate, true, what);
      }
      assert.equal(statusLines().length, before, "a replay never reaches onStatus");
      // Signed afresh here (node:crypto, a new nonce): passed on once.
      const nonce = `${Date.now()}`.padStart(20, "0");
      const mac = (key) => createHmac("sha256", key).update(callbackUrl + nonce).digest("base64");
      const fresh = {
        "content-type": headers["content-type"],
        "X-Plivo-Signature-V2": mac(h.authToken),
        "X-Plivo-Signature-Ma-V2": mac(h.authToken),
        "X-Plivo-Signature-V2-Nonce": nonce,
      };
      const accepted = await post({ headers: fresh, body: signed.sent.body });
      assert.equal(accepted.status, 200, `a freshly signed callback: ${accepted.text}`);
      assert.equal(accepted.json.duplicate, undefined);
      assert.equal(statusLines().length, before + 1, "onStatus was called");
      assert.equal((await post({ headers: fresh, body: signed.sent.body })).json.duplicate, true);

      const without = (...names) => Object.fromEntries(Object.entries(fresh).filter(([k]) => !names.includes(k)));
      const other = `${Date.now() + 1}`.padStart(20, "0");
      const bad = {
        "no signature": post({ headers: { "content-type": headers["content-type"] }, body: signed.sent.body }),
        "no nonce": post({ headers: without("X-Plivo-Signature-V2-Nonce"), body: signed.sent.body }),
        "another nonce": post({ headers: { ...fresh, "X-Plivo-Signature-V2-Nonce": other }, body: signed.sent.body }),
        "another token": post({
          headers: { ...fresh, "X-Plivo-Signature-V2": mac("not-the-token"), "X-Plivo-Signature-Ma-V2": mac("not-the-token") },
          body: signed.sent.body,
        }),
        "a nonce of 10 kB": post({ headers: { ...fresh, "X-Plivo-Signature-V2-Nonce": "1".repeat(10 * 1024) }, body: signed.sent.body }),
        "10,000 signatures in one header": post({
          headers: { ...fresh, "X-Plivo-Signature-V2": `${"AAAA,".repeat(10_000)}${fresh["X-Plivo-Signature-V2"]}` },
          body: signed.sent.body,
        }),
        "a malformed signature": post({
          headers: { ...without("X-Plivo-Signature-V2"), "X-Plivo-Signature-Ma-V2": "%%%not base64%%%" },
          body: signed.sent.body,
        }),
        "GET, unsigned": h.request(`/verify/callback?SessionUUID=${uuid}&SessionStatus=verified`),
      };
      for (const [what, pending] of Object.entries(bad)) isError(await pending, 403, "invalid_signature", what);
      const large = await post({ headers: { ...fresh, "X-Plivo-Signature-V2-Nonce": other }, body: `${signed.sent.body}&Pad=${"x".repeat(5000)}` });
      isError(large, 413, "payload_too_large", "over 4 KiB");
      assert.equal(statusLines().length, before + 1, "no refused callback reached onStatus");
      return { callbacks: (await records()).length, statusLines: statusLines().length };
    },
  },

  cors: {
    options: { vars: { LIMITS: { resendAfterSecs: 30 } } },
    minOtps: 3,
    async run(h) {
      const preflight = (origin, path = "/verify/start") =>
        h.request(path, {
          method: "OPTIONS",
          origin,
          headers: { "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
        });
      const lower = (v) => (v ?? "").toLowerCase();

      // An allowed origin: preflight and actual requests carry its CORS headers.
      const ok = await preflight(ALLOWED_ORIGIN);
      assert.ok(ok.status === 204 || ok.status === 200, `preflight ${ok.status} ${ok.text}`);
      assert.equal(ok.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
      assert.match(ok.headers.get("access-control-allow-methods") ?? "", /\bPOST\b/);
      assert.match(lower(ok.headers.get("access-control-allow-headers")), /\bcontent-type\b/);
      assert.match(lower(ok.headers.get("vary")), /\borigin\b/);
      const statusPreflight = await preflight(ALLOWED_ORIGIN, `/verify/session/${UNKNOWN}`);
      assert.equal(statusPreflight.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);

      const started = await h.start("+14155550180", { origin: ALLOWED_ORIGIN });
      isStarted(started, "allowed origin");
      assert.equal(started.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
      assert.match(lower(started.headers.get("vary")), /\borigin\b/);
      // Errors reach the page too, and it can read Retry-After.
      const limited = await h.start("+14155550180", { origin: ALLOWED_ORIGIN });
      isRateLimited(limited, { max: 30, reason: "resend_wait" }, "resend from the allowed origin");
      assert.equal(limited.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
      assert.match(lower(limited.headers.get("access-control-expose-headers")), /\bretry-after\b/);
      const invalid = await h.start("not a number", { origin: ALLOWED_ORIGIN });
      isError(invalid, 400, "invalid_argument");
      assert.equal(invalid.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);

      // Another origin: refused before anything is done, and no CORS headers for it.
      const refusedPreflight = await preflight(OTHER_ORIGIN);
      assert.ok(refusedPreflight.status >= 400, `preflight from another origin: ${refusedPreflight.status}`);
      assert.equal(refusedPreflight.headers.get("access-control-allow-origin"), null);
      const refused = await h.start("+14155550181", { origin: OTHER_ORIGIN });
      isError(refused, 403, "origin_not_allowed", "start from another origin");
      assert.equal(refused.headers.get("access-control-allow-origin"), null);
      assert.equal((await sent(h, "14155550181")).length, 0, "nothing sent for another origin");
      isError(await h.status(UNKNOWN, { origin: OTHER_ORIGIN }), 403, "origin_not_allowed", "status from another origin");
      isError(await h.check(UNKNOWN, "123456", { origin: OTHER_ORIGIN }), 403, "origin_not_allowed", "check");
      isError(await h.start("+14155550181", { origin: "null" }), 403, "origin_not_allowed", "Origin: null");
      isError(await h.start("+14155550181", { origin: `${ALLOWED_ORIGIN}.evil.example` }), 403, "origin_not_allowed", "a lookalike");

      // No Origin (not a browser's cross-origin call), or the worker's own: no CORS headers needed.
      const plain = await h.start("+14155550182");
      isStarted(plain, "no Origin");
      assert.equal(plain.headers.get("access-control-allow-origin"), null);
      isStarted(await h.start("+14155550183", { origin: h.url }), "same origin");
    },
  },

  // Bodies the proxy refuses before anything is sent, and the one it takes.
  bodies: {
    options: { vars: { ALLOWED_COUNTRIES: "US,CA" } },
    minOtps: 1,
    async run(h) {
      const raw = (path, body, type) =>
        h.request(path, { method: "POST", body, headers: type ? { "content-type": type } : {} });
      const json = "application/json";
      // 4 KiB is the limit: 4096 bytes are read (and refused for the unknown field), 4097 are not.
      const sized = (n) => {
        const text = JSON.stringify({ recipient: "+14155550190", pad: "" });
        return text.replace('"pad":""', `"pad":"${"x".repeat(n - text.length)}"`);
      };
      assert.equal(sized(4096).length, 4096);
      isError(await raw("/verify/start", sized(4096), json), 400, "invalid_argument", "4096 bytes");
      isError(await raw("/verify/start", sized(4097), json), 413, "payload_too_large", "4097 bytes");
      const big = JSON.stringify({ recipient: "+14155550190", pad: "x".repeat(5000) });
      isError(await raw("/verify/start", big, json), 413, "payload_too_large", "5 KB");
      isError(await raw("/verify/check", big, json), 413, "payload_too_large", "5 KB check");
      // The same without Content-Length (streamed): still read no further than 4 KiB.
      const stream = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
          controller.close();
        },
      });
      isError(
        await h.request("/verify/start", { method: "POST", body: stream, duplex: "half", headers: { "content-type": json } }),
        413,
        "payload_too_large",
        "5 KB streamed",
      );
      isError(await raw("/verify/start", '{"recipient":', json), 400, "invalid_json", "not JSON");
      isError(await raw("/verify/start", "", json), 400, "invalid_json", "empty");
      isError(await raw("/verify/start", '["+14155550190"]', json), 400, "invalid_json", "an array");
      isError(await raw("/verify/start", '"+14155550190"', json), 400, "invalid_json", "a string");
      isError(await raw("/verify/start", "null", json), 400, "invalid_json", "null");
      // A key twice: JSON.parse would take the last, a filter in front the first. Refused, and
      // neither number gets a code.
      const twice = '{"recipient":"+14155550191","recipient":"+14155550192"}';
      isError(await raw("/verify/start", twice, json), 400, "invalid_json", "a key twice");
      assert.equal((await sent(h, "14155550191")).length + (await sent(h, "14155550192")).length, 0, "nothing sent for a key twice");
      const body = JSON.stringify({ recipient: "+14155550190" });
      isError(await raw("/verify/start", body, "text/plain"), 415, "unsupported_media_type", "text/plain");
      isError(await raw("/verify/start", body, undefined), 415, "unsupported_media_type", "no type");
      isError(await raw("/verify/start", "recipient=%2B14155550190", "application/x-www-form-urlencoded"), 415, "unsupported_media_type", "a form");
      for (const [what, value] of [
        ["no recipient", {}],
        ["not a number", { recipient: "call me" }],
        ["a number as a number", { recipient: 14155550190 }],
        ["too short", { recipient: "+1415" }],
        ["a bad channel", { recipient: "+14155550190", channel: "fax" }],
        ["an unknown field", { recipient: "+14155550190", otp: "123456" }],
      ]) {
        isError(await raw("/verify/start", JSON.stringify(value), json), 400, "invalid_argument", `start: ${what}`);
      }
      for (const [what, value] of [
        ["no otp", { sessionUuid: UNKNOWN }],
        ["a bad otp", { sessionUuid: UNKNOWN, otp: "12ab" }],
        ["a bad session", { sessionUuid: "../x", otp: "123456" }],
        ["an unknown field", { sessionUuid: UNKNOWN, otp: "123456", recipient: "+14155550190" }],
      ]) {
        isError(await raw("/verify/check", JSON.stringify(value), json), 400, "invalid_argument", `check: ${what}`);
      }
      isError(await h.start("+447700900123"), 403, "country_not_allowed", "a country not allowed", "country_not_allowed");
      // +1 is not the United States: Jamaica and the Dominican Republic share it.
      isError(await h.start("+18765550190"), 403, "country_not_allowed", "Jamaica under US,CA", "country_not_allowed");
      isError(await h.start("+18095550190"), 403, "country_not_allowed", "the Dominican Republic", "country_not_allowed");
      assert.equal((await h.sandbox.dev.messages("?limit=1000")).messages.length, 0, "nothing refused was sent");

      // JSON with a charset, and a voice call: taken.
      const ok = await raw("/verify/start", JSON.stringify({ recipient: "+14155550190", channel: "voice" }), "application/json; charset=utf-8");
      isStarted(ok, "JSON with a charset");
      assert.equal(ok.json.channel, "voice");
      assert.equal((await sent(h, "14155550190")).length, 1);
    },
  },

  // Plivo failing: the browser gets a clean 502/429, never Plivo's words or the credentials.
  "upstream errors": {
    options: { vars: { LIMITS: { resendAfterSecs: 0 } } },
    async run(h) {
      await h.sandbox.dev.faults({ next: ["503"] });
      isError(await h.start("+14155550200", { ip: "203.0.113.200" }), 502, "upstream_error", "Plivo 503");
      await h.sandbox.dev.faults({ next: ["reset"] });
      isError(await h.start("+14155550201", { ip: "203.0.113.201" }), 502, "upstream_error", "connection reset");
      // A write is retried on 429 only (maxRetries 2): three in a row reach the browser.
      await h.sandbox.dev.faults({ next: ["429", "429", "429"] });
      const busy = await h.start("+14155550202", { ip: "203.0.113.202" });
      isRateLimited(busy, { max: 60, reason: null }, "Plivo 429");
      await h.sandbox.dev.clearFaults();
      isStarted(await h.start("+14155550203", { ip: "203.0.113.203" }), "Plivo back");
    },
  },

  // The worker with a wrong auth token (Plivo refuses it) and with a bad proof secret.
  "wrong credentials": {
    options: { authToken: "wrong-auth-token-0123456789" },
    async run(h) {
      const res = await h.start("+14155550210");
      isError(res, 502, "upstream_error", "Plivo says 401");
      // (The scan also looks for this token, the one the worker holds.)
      assert.equal(h.authToken, "wrong-auth-token-0123456789");
    },
  },
  misconfigured: {
    options: { proofSecret: "too-short" },
    async run(h) {
      for (const path of ["/verify/start", "/verify/check"]) {
        isError(await h.request(path, { method: "POST", json: {} }), 500, "misconfigured", path);
      }
      await poll(() => h.logs.some((l) => l.includes("verify proxy misconfigured")), { what: "the log line" });
      const line = h.logs.find((l) => l.includes("verify proxy misconfigured"));
      // VerifyProxy.fromEnv names the variable the operator set, never its value.
      assert.match(line, /invalid_argument PROOF_SECRET/, "the log names the variable");
      assert.ok(!h.logs.some((l) => l.includes("too-short")), "the log shows the value");
      isError(await h.request("/other"), 404, "not_found");
    },
  },

  // VerifyBrowserClient against the worker, with the global fetch pointed at it.
  "browser client": {
    options: { vars: { ALLOWED_COUNTRY_CODES: "1" } },
    minOtps: 1,
    async run(h) {
      const { VerifyBrowserClient, VerifyError, verifyProof } = await importPackage();
      let calls = 0;
      const realFetch = globalThis.fetch;
      // The page's fetch: relative URLs (and the worker's own) go to the worker; anything
      // else (the harness's calls to the sandbox) to the network as before.
      const toWorker = (extraHeaders = {}) => async (input, init = {}) => {
        const url = new URL(String(input), h.url);
        if (url.origin !== new URL(h.url).origin) return realFetch(input, init);
        calls++;
        const headers = new Headers(init.headers);
        for (const [k, v] of Object.entries(extraHeaders)) headers.set(k, v);
        const res = await h.request(url.pathname + url.search, { ...init, headers });
        return new Response(res.status === 204 ? null : res.text, { status: res.status, headers: res.headers });
      };
      globalThis.fetch = toWorker();
      try {
        const client = new VerifyBrowserClient({ endpoint: "/verify" });
        const started = await client.start("+1 415 555 0220");
        assert.match(started.sessionUuid, UUID);
        assert.equal(started.channel, "sms");
        assert.equal(started.resendAfterSecs, 30);
        const uuid = started.sessionUuid;
        assert.deepEqual(await client.check(uuid, await h.wrongOtp(uuid)), notVerified("incorrect"));
        const ok = await client.check(uuid, await h.otp(uuid));
        assert.equal(ok.verified, true);
        assert.equal(verifyProof(ok.proof, h.proofSecret).recipient, "+14155550220");
        assert.deepEqual(await client.status(uuid), { status: "verified", channel: "sms", attempts: 1 });

        const failure = async (promise) => {
          try {
            await promise;
          } catch (e) {
            assert.ok(e instanceof VerifyError && e instanceof Error, `${e}`);
            return { code: e.code, status: e.status, retryAfterMs: e.retryAfterMs, argument: e.argument, reason: e.reason };
          }
          assert.fail("resolved");
        };
        // Started again within 30 s (a double click, a retry): the same key, the first
        // answer, nothing sent. A new user action (its own key) meets the resend wait.
        const again = await client.start("+14155550220");
        assert.equal(again.sessionUuid, uuid, "the same start's answer");
        const limited = await failure(client.start("+14155550220", { idempotencyKey: "a-second-click" }));
        assert.equal(limited.code, "rate_limited");
        assert.equal(limited.status, 429);
        assert.equal(limited.reason, "resend_wait", "the guard that refused reaches the page");
        assert.ok(limited.retryAfterMs >= 1000 && limited.retryAfterMs <= 30_000, `retryAfterMs ${limited.retryAfterMs}`);
        const abroad = await failure(client.start("+447700900123"));
        assert.deepEqual([abroad.code, abroad.reason], ["country_not_allowed", "country_not_allowed"]);
        const unknown = await failure(client.status(UNKNOWN));
        assert.equal(unknown.code, "not_found");
        assert.equal(unknown.status, 404);

        // Bad arguments are refused before anything is sent.
        const before = calls;
        const badRecipient = await failure(client.start("hello"));
        assert.equal(badRecipient.code, "invalid_argument");
        assert.equal(badRecipient.argument, "recipient");
        assert.equal((await failure(client.check(uuid, "12ab"))).argument, "otp");
        assert.equal((await failure(client.status("../x"))).argument, "sessionUuid");
        assert.equal(calls, before, "nothing was sent for bad arguments");

        // An explicit fetch, from a page on an origin the proxy does not allow.
        const elsewhere = new VerifyBrowserClient({ endpoint: `${h.url}/verify`, fetch: toWorker({ origin: OTHER_ORIGIN }) });
        const refused = await failure(elsewhere.start("+14155550221"));
        assert.equal(refused.code, "origin_not_allowed");
        assert.equal(refused.status, 403);
      } finally {
        globalThis.fetch = realFetch;
      }
    },
  },

  // Two instances of the worker, one Durable Object limiter: one combined count.
  "two workers, one Durable Object limiter": {
    options: { workers: 2, limiter: "durable-object", vars: { LIMITS: { sendsPerIp: [3, 3600], resendAfterSecs: 0 } } },
    minOtps: 6,
    async run(h) {
      const ip = "198.51.100.50";
      const results = [];
      for (const [worker, n] of [["a", 1], ["b", 2], ["a", 3], ["b", 4], ["a", 5]]) {
        results.push((await h.start(`+1415555030${n}`, { ip, worker })).status);
      }
      assert.deepEqual(results, [200, 200, 200, 429, 429], "3 sends per IP across both instances");

      // At once: eight requests from another IP, four through each instance. The limiter
      // decides one at a time, so exactly three get through.
      const burst = await Promise.all(
        [1, 2, 3, 4, 5, 6, 7, 8].map((n) =>
          h.start(`+1415555032${n}`, { ip: "198.51.100.52", worker: n % 2 ? "a" : "b" }),
        ),
      );
      const statuses = burst.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429, 429], "a concurrent burst across both");
      return { statuses: results, burst: burst.map((r) => r.status) };
    },
  },
  // Idempotent starts across instances: ten /starts at once with one Idempotency-Key, five
  // through each worker, against the real Durable Objects: one code, one session for all.
  "two workers, one Idempotency-Key": {
    options: { workers: 2, limiter: "durable-object" },
    minOtps: 1,
    async run(h) {
      const creates = () => h.sandbox.apiRequests().filter((l) => /^POST \S*\/Verify\/Session\/?(\s|$)/.test(l)).length;
      await h.sandbox.settleLog();
      const before = creates();
      const key = "3f0e8a52-2b6c-4d1e-9f7a-5c4b3a291807";
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
        h.start("+14155550340", { worker: i % 2 ? "a" : "b", ip: `198.51.100.${60 + i}`, headers: { "idempotency-key": key } })));
      await h.sandbox.settleLog();
      assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200), answers.map((a) => a.text).join(" "));
      assert.equal(new Set(answers.map((a) => a.json.sessionUuid)).size, 1, "one session for all ten");
      assert.equal(creates() - before, 1, "one code sent");
      return { creates: creates() - before };
    },
  },
  // The control: with the default memory store the two instances do not share (so the test
  // above can fail): each counts its own three.
  "two workers, memory store (not shared)": {
    options: { workers: 2, limiter: "memory", vars: { LIMITS: { sendsPerIp: [3, 3600], resendAfterSecs: 0 } } },
    minOtps: 6,
    async run(h) {
      const ip = "198.51.100.51";
      const results = [];
      for (const [worker, n] of [["a", 1], ["b", 2], ["a", 3], ["b", 4], ["a", 5], ["b", 6], ["a", 7], ["b", 8]]) {
        results.push((await h.start(`+1415555031${n}`, { ip, worker })).status);
      }
      assert.deepEqual(results, [200, 200, 200, 200, 200, 200, 429, 429], "each isolate counts alone");
      return { statuses: results };
    },
  },

  // The Durable Object keeps its counts in storage: a restart of workerd forgets nothing.
  "Durable Object limiter persists": {
    options: () => ({
      limiter: "durable-object",
      persist: mkdtempSync(join(tmpdir(), "plivo-verify-do-")),
      vars: { LIMITS: { sendsPerIp: [2, 3600], resendAfterSecs: 0 } },
    }),
    minOtps: 2,
    async run(h) {
      const ip = "198.51.100.60";
      isStarted(await h.start("+14155550401", { ip }));
      isStarted(await h.start("+14155550402", { ip }));
      await h.restart();
      isRateLimited(await h.start("+14155550403", { ip }), { min: 600, max: 3600, reason: "sends_per_ip" }, "after the restart");
    },
    cleanup(options) {
      rmSync(options.persist, { recursive: true, force: true });
    },
  },
};
