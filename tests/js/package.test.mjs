// The built package as a user gets it: `npm pack` of pkg/ installed as
// tests/js/node_modules/plivo-verify-wasm, imported by name (so Node picks the `node`
// condition of its exports map), driven against a sandbox this file starts.
import assert from "node:assert/strict";
import { createServer as createNetServer } from "node:net";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ensureInstalled, INSTALLED, installedFiles, ROOT } from "./support/install.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { countingFetch, poll, redact, secret, startSandbox } from "./support/sandbox.mjs";

const PUBLIC = [
  "VerifyClient",
  "VerifyError",
  "parseStatusCallback",
  "verifyCallbackRequest",
  "verifyCallbackSignature",
  "verifyCallbackSignatureV2",
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let api; // the package's namespace
let sandbox;
const secrets = []; // the auth token and every OTP read: no error may contain them
const seenErrors = [];

before(async () => {
  ensureInstalled();
  api = await import("plivo-verify-wasm");
  sandbox = await startSandbox({ seed: 7, args: ["--list-rate-limit", "0"] });
  secrets.push(sandbox.authToken);
});
after(async () => {
  await sandbox?.stop();
});

/** Runs `call` (sync throw or rejection expected) and checks the VerifyError it gives. */
async function failure(call, expected) {
  let error;
  try {
    const value = call();
    await value;
    error = null;
  } catch (e) {
    error = e;
  }
  if (!error) assert.fail(`expected a VerifyError with code ${expected.code}, but the call succeeded`);
  seenErrors.push(error);
  // assert.fail with a redacted message: the values compared could hold a secret.
  if (!(error instanceof api.VerifyError) || !(error instanceof Error) || error.name !== "VerifyError") {
    assert.fail(redact(`not a VerifyError: ${error?.name}: ${error?.message}`));
  }
  for (const [key, value] of Object.entries(expected)) {
    if (error[key] !== value) {
      assert.fail(redact(`${key} is ${JSON.stringify(error[key])}, expected ${JSON.stringify(value)} (${error.code}: ${error.message})`));
    }
  }
  return error;
}

function client(extra = {}) {
  return new api.VerifyClient(sandbox.options(extra));
}

async function otpOf(uuid) {
  const otp = await sandbox.dev.otp(uuid);
  secrets.push(otp);
  secret(wrongCode(otp));
  return otp;
}

/** A valid code that is not `otp` (same length). */
function wrongCode(otp) {
  return [...otp].map((d) => String((Number(d) + 1) % 10)).join("");
}

/** `YYYY-MM-DD HH:MM` (UTC) of `date`, the format of the list time filters. */
function sessionTime(date) {
  return date.toISOString().slice(0, 16).replace("T", " ");
}

describe("the package as npm installs it", () => {
  test("only the package's files are published", () => {
    const files = installedFiles();
    const expected = [
      "api.js",
      "browser-client.d.ts",
      "browser-client.js",
      "browser.js",
      "element.d.ts",
      "element.js",
      "index.d.ts",
      "node.js",
      "package.json",
      "plivo_verify_browser.d.ts",
      "plivo_verify_browser.js",
      "plivo_verify_browser_bg.wasm",
      "plivo_verify_wasm.d.ts",
      "plivo_verify_wasm.js",
      "plivo_verify_wasm_bg.wasm",
      "workerd.js",
    ];
    for (const name of expected) assert.ok(files.includes(name), `${name} is not published`);
    const snippet = files.filter((f) => /^snippets\/plivo-verify-wasm-[0-9a-f]+\/src\/js\/(verify_error|exchange)\.js$/.test(f));
    assert.equal(snippet.length, 2, `the VerifyError and exchange snippets expected in ${files}`);
    const others = files.filter((f) => !expected.includes(f) && !snippet.includes(f));
    assert.deepEqual(others.filter((f) => !/^(README|LICEN[CS]E)[^/]*$/i.test(f)), [], "unexpected published files");
  });

  test("package.json: ESM, the crate's version, an exports map for every runtime", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "tests/js/node_modules/plivo-verify-wasm/package.json"), "utf8"));
    const cargo = readFileSync(join(ROOT, "Cargo.toml"), "utf8");
    const version = cargo.split("[package]")[1].match(/^version\s*=\s*"([^"]+)"/m)[1];
    assert.equal(manifest.name, "plivo-verify-wasm");
    assert.equal(manifest.version, version);
    assert.equal(manifest.type, "module");
    assert.equal(manifest.types, "./index.d.ts");
    assert.deepEqual(Object.entries(manifest.exports["."]), [
      ["types", "./index.d.ts"],
      ["workerd", "./workerd.js"],
      ["node", "./node.js"],
      ["browser", "./browser.js"],
      ["default", "./browser.js"],
    ]);
    assert.deepEqual(manifest.exports["./raw"], { types: "./plivo_verify_wasm.d.ts", default: "./plivo_verify_wasm.js" });
    assert.deepEqual(manifest.exports["./browser-client"], { types: "./browser-client.d.ts", default: "./browser-client.js" });
    assert.deepEqual(manifest.exports["./element"], { types: "./element.d.ts", default: "./element.js" });
    assert.deepEqual([...manifest.sideEffects].sort(), ["./browser-client.js", "./browser.js", "./element.js", "./node.js", "./workerd.js"]);
    assert.equal(manifest.engines.node, ">=18");
    assert.ok(manifest.license && manifest.description && manifest.repository);
  });

  test("the name resolves through the exports map (node condition)", () => {
    const resolve = (specifier) => import.meta.resolve(specifier);
    assert.match(resolve("plivo-verify-wasm"), /\/node_modules\/plivo-verify-wasm\/node\.js$/);
    assert.match(resolve("plivo-verify-wasm/raw"), /\/node_modules\/plivo-verify-wasm\/plivo_verify_wasm\.js$/);
    assert.match(resolve("plivo-verify-wasm/plivo_verify_wasm_bg.wasm"), /\/plivo_verify_wasm_bg\.wasm$/);
    assert.match(resolve("plivo-verify-wasm/browser-client"), /\/node_modules\/plivo-verify-wasm\/browser-client\.js$/);
    assert.match(resolve("plivo-verify-wasm/element"), /\/node_modules\/plivo-verify-wasm\/element\.js$/);
    assert.match(resolve("plivo-verify-wasm/package.json"), /\/package\.json$/);
    assert.throws(() => resolve("plivo-verify-wasm/node.js"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
  });

  test("every public name is exported, and nothing internal", async () => {
    for (const name of PUBLIC) assert.equal(typeof api[name], "function", `${name} is not exported`);
    const names = Object.keys(api);
    assert.deepEqual(names.filter((n) => n === "default" || n === "initSync" || n.startsWith("__")), []);
    const raw = await import("plivo-verify-wasm/raw");
    const rawPublic = Object.keys(raw).filter((n) => n !== "default" && n !== "initSync" && !n.startsWith("__"));
    assert.deepEqual(names.sort(), [...rawPublic, "VerifyError"].sort());
  });

  test("importing it is all the set-up Node needs", async () => {
    // No init() was called: the wasm module is ready at import.
    const callback = api.parseStatusCallback("SessionUUID=8e712097-8090-4644-81e7-8f4265d8354e&ChannelStatus=Delivered");
    assert.equal(callback.sessionUuid, "8e712097-8090-4644-81e7-8f4265d8354e");
    assert.equal(callback.channelStatus, "delivered");
    const session = await client().createSession({ recipient: "+14155550199" });
    assert.match(session.sessionUuid, UUID);
  });

  test("VerifyError is an Error class, shared with the raw entry", async () => {
    const { VerifyError } = api;
    assert.equal(typeof VerifyError, "function");
    assert.ok(VerifyError.prototype instanceof Error);
    const made = new VerifyError("timeout", "the request timed out");
    assert.ok(made instanceof Error && made instanceof VerifyError);
    assert.equal(made.name, "VerifyError");
    assert.equal(made.code, "timeout");
    const raw = await import("plivo-verify-wasm/raw");
    // The raw entry is the same module instance: already initialised, same error class.
    assert.throws(() => new raw.VerifyClient({}), (e) => e instanceof VerifyError && e.code === "invalid_argument");
    const thrown = await failure(() => new api.VerifyClient({ authId: "MA1" }), {
      code: "invalid_argument",
      argument: "authToken",
    });
    assert.ok(thrown.stack.includes("VerifyError"));
  });

  test("VerifyClient.fromEnv reads a given env object, else process.env", async () => {
    const unknown = "8e712097-8090-4644-81e7-8f4265d8354e";
    const env = { PLIVO_AUTH_ID: sandbox.authId, PLIVO_AUTH_TOKEN: sandbox.authToken, PLIVO_BASE_URL: sandbox.base };
    await failure(() => api.VerifyClient.fromEnv(env).getSession(unknown), { code: "not_found", status: 404 });
    const saved = { ...process.env };
    try {
      Object.assign(process.env, env);
      await failure(() => api.VerifyClient.fromEnv().getSession(unknown), { code: "not_found", status: 404 });
    } finally {
      for (const key of Object.keys(env)) {
        if (key in saved) process.env[key] = saved[key];
        else delete process.env[key];
      }
    }
  });

  test("VerifyProxy.fromEnv reads every variable, and its options win", async () => {
    const env = {
      PLIVO_AUTH_ID: sandbox.authId,
      PLIVO_AUTH_TOKEN: sandbox.authToken,
      PLIVO_BASE_URL: sandbox.base,
      PROOF_SECRET: "f".repeat(32),
      ALLOWED_COUNTRIES: "US, CA",
      ALLOWED_ORIGINS: "https://app.example",
      LIMITS: '{"sendsPerRecipient":[1,3600]}',
      SHADOW: "false",
    };
    const start = (proxy, recipient, origin = "https://app.example") =>
      proxy.fetch(
        new Request("http://proxy.test/verify/start", {
          method: "POST",
          headers: { "content-type": "application/json", origin },
          body: JSON.stringify({ recipient }),
        }),
      );
    const proxy = api.VerifyProxy.fromEnv(env, { basePath: "/verify" });
    // ALLOWED_COUNTRIES: Jamaica's +1 876 is not the US or Canada.
    const jamaica = await start(proxy, "+18765550100");
    assert.equal(jamaica.status, 403);
    assert.equal((await jamaica.json()).error.code, "country_not_allowed");
    // ALLOWED_ORIGINS.
    assert.equal((await start(proxy, "+14155550123", "https://evil.example")).status, 403);
    // PLIVO_BASE_URL and the credentials: a real session at the sandbox.
    const sent = await start(proxy, "+14155550123");
    assert.equal(sent.status, 200, await sent.clone().text());
    assert.match((await sent.json()).sessionUuid, UUID);
    // LIMITS: one send per number.
    assert.equal((await start(proxy, "+14155550123")).status, 429);
    // Options on top of env: another country list wins over ALLOWED_COUNTRIES.
    const gbOnly = api.VerifyProxy.fromEnv(env, { basePath: "/verify", allowedCountries: ["GB"] });
    assert.equal((await start(gbOnly, "+14155550124")).status, 403);
    // PROOF_SECRET_PREVIOUS verifies proofs of the secret it replaced: both are kept.
    const rotated = api.VerifyProxy.fromEnv({ ...env, PROOF_SECRET_PREVIOUS: "e".repeat(32) });
    assert.ok(rotated instanceof api.VerifyProxy);
    // The app's own proofSecret replaces the variables (then not needed); LIMIT_SHARDS
    // applies with the VERIFY_LIMITER binding only, as the worker always read it.
    const { PROOF_SECRET: _unused, ...noSecret } = env;
    assert.ok(api.VerifyProxy.fromEnv({ ...noSecret, LIMIT_SHARDS: "8" }, { proofSecret: "g".repeat(32) }) instanceof api.VerifyProxy);
    // A bad value names its variable and never shows the value.
    const thrown = await failure(() => api.VerifyProxy.fromEnv({ ...env, LIMITS: '{"sendsTotal": "s3cr3t"}' }), {
      code: "invalid_argument",
      argument: "LIMITS.sendsTotal",
    });
    assert.ok(!thrown.message.includes("s3cr3t"), thrown.message);
  });
});

describe("the whole flow against the sandbox", () => {
  const created = []; // sessions of the list tests
  const brand = "PageTest";

  test("a caller's fetch that changes the headers it is given changes no other request", async () => {
    const seen = [];
    const meddling = (input, init) => {
      seen.push({ ...init.headers });
      init.headers["X-Added"] = "by the caller's fetch";
      delete init.headers.Authorization;
      return fetch(input, { ...init, headers: { ...init.headers, Authorization: seen[0].Authorization } });
    };
    const verify = client({ fetch: meddling });
    const { sessionUuid } = await verify.createSession({ recipient: "+14155550101" });
    await verify.getSession(sessionUuid);
    await verify.getSession(sessionUuid);
    assert.equal(seen.length, 3);
    for (const headers of seen) {
      assert.equal(headers["X-Added"], undefined);
      assert.match(headers.Authorization, /^Basic /);
    }
  });

  test("create, read the code, validate, and get shows verified", async () => {
    const counted = countingFetch();
    const verify = client({ fetch: counted.fetch, userAgent: "package-test/1" });
    const answer = await verify.createSession({ recipient: "+14155550100", brandName: "Acme", codeLength: 6 });
    assert.match(answer.sessionUuid, UUID);
    assert.equal(typeof answer.apiId, "string");
    assert.equal(answer.message, "Session initiated");
    const { sessionUuid } = answer;

    const before = await verify.getSession(sessionUuid);
    assert.equal(before.status, "in-progress");

    const otp = await otpOf(sessionUuid);
    assert.equal(otp.length, 6);
    const { messages } = await sandbox.dev.messages(`?recipient=${encodeURIComponent("+14155550100")}&limit=1`);
    assert.ok(messages[0].text.includes("Acme"), "the brand name reached the message");

    const validated = await verify.validateSession(sessionUuid, otp);
    assert.equal(typeof validated.message, "string");

    const session = await verify.getSession(sessionUuid);
    assert.equal(session.status, "verified");
    assert.equal(session.sessionUuid, sessionUuid);
    assert.equal(session.recipient, "14155550100");
    assert.equal(session.channel, "sms");
    assert.equal(session.count, 1);
    assert.equal(typeof session.apiId, "string");
    assert.equal(session.locale, "en");
    assert.match(session.createdAt, /^\d{4}-\d\d-\d\dT/);
    assert.match(session.updatedAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(session.attemptDetails.length, 1);
    const [attempt] = session.attemptDetails;
    assert.match(attempt.attemptUuid, UUID);
    assert.equal(attempt.channel, "sms");
    assert.equal(typeof attempt.status, "string");
    assert.match(session.charges.totalCharge, /^\d+\.\d+$/);
    assert.match(session.charges.validationCharge, /^\d+\.\d+$/);
    assert.equal(session.charges.attemptCharges[0].attemptUuid, attempt.attemptUuid);
    assert.match(session.charges.attemptCharges[0].charge, /^\d+\.\d{5}$/);

    // The same code again: Plivo's 400, with its message.
    await failure(() => verify.validateSession(sessionUuid, otp), {
      code: "bad_request",
      status: 400,
      message: "session already validated",
    });

    // What went on the wire: the documented routes, with the trailing slash.
    const base = `${sandbox.base}/v1/Account/${sandbox.authId}/Verify/Session/`;
    assert.deepEqual(
      counted.calls.map((c) => `${c.method} ${c.url.replace(base, "")}`),
      ["POST ", `GET ${sessionUuid}/`, `POST ${sessionUuid}/`, `GET ${sessionUuid}/`, `POST ${sessionUuid}/`],
    );
  });

  test("every answer's keys are those its generated interface declares", async () => {
    // The interfaces generated from the core's serde types (core/ts/answers.d.ts), as the
    // published d.ts carries them: name -> { required, optional } field names.
    const dts = readFileSync(join(INSTALLED, "plivo_verify_wasm.d.ts"), "utf8");
    const declared = new Map();
    for (const [, name, body] of dts.matchAll(/^export type (\w+) = \{\n([\s\S]*?)\n\};/gm)) {
      const fields = [...body.matchAll(/^\s+(\w+)(\??):/gm)];
      declared.set(name, { required: fields.filter((f) => !f[2]).map((f) => f[1]), optional: fields.filter((f) => f[2]).map((f) => f[1]) });
    }
    const checked = new Set();
    const matches = (value, name) => {
      const shape = declared.get(name);
      assert.ok(shape, `${name} is declared`);
      const keys = Object.keys(value).sort();
      for (const key of keys) assert.ok(shape.required.includes(key) || shape.optional.includes(key), `${name}.${key} is not declared`);
      for (const key of shape.required) assert.ok(key in value, `${name}.${key} is declared but missing`);
      checked.add(name);
    };
    const session = (s) => {
      matches(s, "Session");
      s.attemptDetails.forEach((a) => matches(a, "AttemptDetail"));
      matches(s.charges, "Charges");
      s.charges.attemptCharges.forEach((c) => matches(c, "AttemptCharge"));
    };
    const verify = client();
    const created = await verify.createSession({ recipient: "+14155550177" });
    matches(created, "CreateSessionResponse");
    session(await verify.getSession(created.sessionUuid));
    matches(await verify.validateSession(created.sessionUuid, await otpOf(created.sessionUuid)), "ValidateSessionResponse");
    const list = await verify.listSessions({ recipient: "14155550177" });
    matches(list, "SessionList");
    matches(list.meta, "ListMeta");
    assert.ok(list.sessions.length > 0);
    list.sessions.forEach(session);
    assert.deepEqual([...checked].sort(), ["AttemptCharge", "AttemptDetail", "Charges", "CreateSessionResponse", "ListMeta", "Session", "SessionList", "ValidateSessionResponse"]);
  });

  test("a wrong code is refused and the session stays open", async () => {
    const verify = client();
    const { sessionUuid } = await verify.createSession({ recipient: "+447700900123" });
    const otp = await otpOf(sessionUuid);
    await failure(() => verify.validateSession(sessionUuid, wrongCode(otp)), {
      code: "bad_request",
      status: 400,
      message: "invalid OTP",
    });
    assert.equal((await verify.getSession(sessionUuid)).status, "in-progress");
    await verify.validateSession(sessionUuid, otp);
    assert.equal((await verify.getSession(sessionUuid)).status, "verified");
  });

  test("voice, locale, code length and a re-send", async () => {
    const verify = client();
    const first = await verify.createSession({
      recipient: "919876543210",
      channel: "voice",
      locale: "en_US",
      codeLength: 4,
      appHash: "FA+9qCX9VSu",
    });
    const otp = await otpOf(first.sessionUuid);
    assert.equal(otp.length, 4);
    let session = await verify.getSession(first.sessionUuid);
    assert.equal(session.channel, "voice");
    assert.equal(session.locale, "en_US");
    // A second create for the same recipient re-sends on the open session.
    const again = await verify.createSession({ recipient: "+919876543210", channel: "sms" });
    assert.equal(again.sessionUuid, first.sessionUuid);
    session = await verify.getSession(first.sessionUuid);
    assert.equal(session.count, 2);
    assert.equal(session.channel, "sms");
    assert.deepEqual(session.attemptDetails.map((a) => a.channel).sort(), ["sms", "voice"]);
  });

  test("listSessions: filters and pagination", async () => {
    const counted = countingFetch();
    const verify = client({ fetch: counted.fetch });
    for (let i = 0; i < 5; i++) {
      const { sessionUuid } = await verify.createSession({ recipient: `+1415555020${i}`, brandName: brand });
      created.push(sessionUuid);
    }
    const pages = [];
    for (const offset of [0, 2, 4]) pages.push(await verify.listSessions({ brandName: brand, limit: 2, offset }));
    assert.deepEqual(pages.map((p) => p.sessions.length), [2, 2, 1]);
    assert.deepEqual(pages.map((p) => [p.meta.limit, p.meta.offset]), [[2, 0], [2, 2], [2, 4]]);
    assert.equal(typeof pages[0].meta.next, "string");
    assert.equal(pages[0].meta.previous, null);
    assert.equal(typeof pages[1].meta.previous, "string");
    assert.equal(pages[2].meta.next, null);
    assert.equal(typeof pages[0].apiId, "string");
    const listed = pages.flatMap((p) => p.sessions.map((s) => s.sessionUuid));
    assert.deepEqual([...listed].sort(), [...created].sort());
    // Newest first.
    assert.deepEqual(listed, [...created].reverse());

    const byRecipient = await verify.listSessions({ recipient: "+14155550203" });
    assert.deepEqual(byRecipient.sessions.map((s) => s.sessionUuid), [created[3]]);
    const verified = await verify.listSessions({ status: "verified" });
    assert.ok(verified.sessions.length >= 2);
    assert.ok(verified.sessions.every((s) => s.status === "verified"));
    const hourAgo = sessionTime(new Date(Date.now() - 3600_000));
    const recent = await verify.listSessions({ brandName: brand, sessionTimeGt: hourAgo, sessionTimeLte: "2999-12-31 23:59" });
    assert.equal(recent.sessions.length, 5);
    const old = await verify.listSessions({ sessionTimeLt: "2001-01-01 00:00" });
    assert.deepEqual(old.sessions, []);
    const none = await verify.listSessions({ appUuid: "8e712097-8090-4644-81e7-8f4265d8354e" });
    assert.deepEqual(none.sessions, []);
    const everything = await verify.listSessions();
    assert.ok(everything.sessions.length >= 5);

    // Lists are GETs with the filters in the query, by their exact wire names.
    const lists = counted.calls.filter((c) => c.method === "GET");
    assert.ok(lists.some((c) => c.url.includes(`session_time__gt=${encodeURIComponent(hourAgo).replace(/%20/g, "+")}`)
      || c.url.includes(`session_time__gt=${encodeURIComponent(hourAgo)}`)), "session_time__gt in the query");
    assert.ok(lists.some((c) => /[?&]brand_name=PageTest(&|$)/.test(c.url)));
  });

  test("for await over sessions() reads every page", async () => {
    const counted = countingFetch();
    const verify = client({ fetch: counted.fetch });
    const seen = [];
    for await (const session of verify.sessions({ brandName: brand, limit: 2 })) {
      assert.match(session.sessionUuid, UUID);
      seen.push(session.sessionUuid);
    }
    assert.deepEqual(seen, [...created].reverse());
    assert.equal(counted.calls.length, 3, "three pages of 2, 2 and 1");
  });

  test("sessions() waits out a 429 and goes on", async () => {
    const counted = countingFetch();
    // No transport retries: the iterator itself must wait out the 429 (Retry-After: 1).
    const verify = client({ fetch: counted.fetch, maxRetries: 0 });
    const seen = [];
    for await (const session of verify.sessions({ brandName: brand, limit: 2 })) {
      seen.push(session.sessionUuid);
      if (seen.length === 2) await sandbox.dev.faults({ next: ["429"] });
    }
    assert.deepEqual(seen, [...created].reverse());
    assert.equal(counted.calls.length, 4, "three pages and one refused request");
  });

  test("sessions(): break stops it, and it can be started again", async () => {
    const verify = client();
    for await (const session of verify.sessions({ brandName: brand, limit: 2 })) {
      assert.equal(session.sessionUuid, created.at(-1));
      break;
    }
    let count = 0;
    for await (const _ of verify.sessions({ brandName: brand })) count++;
    assert.equal(count, 5);
  });
});

describe("errors", () => {
  const unknown = "00000000-0000-4000-8000-000000000000";

  test("a wrong auth token: authentication (401)", async () => {
    const wrong = secret(`wrong-${sandbox.authToken.slice(4)}x`);
    secrets.push(wrong);
    const error = await failure(() => client({ authToken: wrong }).getSession(unknown), {
      code: "authentication",
      status: 401,
    });
    assert.equal(typeof error.apiId, "string");
  });

  test("an unknown session: not_found (404)", async () => {
    const verify = client();
    const error = await failure(() => verify.getSession(unknown), { code: "not_found", status: 404 });
    assert.equal(typeof error.apiId, "string");
    await failure(() => verify.validateSession(unknown, "123456"), { code: "not_found", status: 404 });
  });

  test("503s: reads retry up to maxRetries, then server_error", async () => {
    const counted = countingFetch();
    const verify = client({ fetch: counted.fetch, maxRetries: 2 });
    await sandbox.dev.faults({ next: ["503", "503", "503"] });
    await failure(() => verify.listSessions({ limit: 1 }), { code: "server_error", status: 503 });
    assert.equal(counted.calls.length, 3, "one attempt and two retries");
    // Two 503s, then the answer: the retries hide them.
    await sandbox.dev.faults({ next: ["503", "503"] });
    const { sessions } = await verify.listSessions({ limit: 1 });
    assert.equal(sessions.length, 1);
    assert.equal(counted.calls.length, 6);
  });

  test("a 503 on create is not retried (the first attempt may have done it)", async () => {
    const counted = countingFetch();
    const verify = client({ fetch: counted.fetch, maxRetries: 2 });
    await sandbox.dev.faults({ next: ["503", "503"] });
    await failure(() => verify.createSession({ recipient: "+33612345678" }), { code: "server_error", status: 503 });
    assert.equal(counted.calls.length, 1);
    await sandbox.dev.clearFaults();
    const sent = await sandbox.dev.messages(`?recipient=${encodeURIComponent("+33612345678")}`);
    assert.deepEqual(sent.messages, [], "the faulted create sent nothing");
  });

  test("429 with Retry-After: rate_limited with retryAfterMs; writes retry a 429", async () => {
    const counted = countingFetch();
    const noRetry = client({ fetch: counted.fetch, maxRetries: 0 });
    await sandbox.dev.faults({ next: ["429"] });
    const error = await failure(() => noRetry.listSessions({ limit: 1 }), { code: "rate_limited", status: 429 });
    assert.equal(error.retryAfterMs, 1000);
    // A refused create did nothing, so it is retried after Retry-After.
    const retrying = client({ fetch: counted.fetch, maxRetries: 1 });
    await sandbox.dev.faults({ next: ["429"] });
    const { sessionUuid } = await retrying.createSession({ recipient: "+4915112345678" });
    assert.match(sessionUuid, UUID);
    assert.equal(counted.calls.length, 3);
  });

  test("no answer in time: timeout", async () => {
    const verify = client({ timeoutMs: 100, maxRetries: 0 });
    await sandbox.dev.faults({ spec: "delay=1500ms" });
    try {
      await failure(() => verify.getSession(unknown), { code: "timeout" });
    } finally {
      await sandbox.dev.clearFaults();
    }
  });

  test("nobody listening: network, and reads retry it", async () => {
    const port = await new Promise((resolve) => {
      const server = createNetServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
    const counted = countingFetch();
    const verify = new api.VerifyClient({
      authId: sandbox.authId,
      authToken: sandbox.authToken,
      baseUrl: `http://127.0.0.1:${port}`,
      maxRetries: 1,
      fetch: counted.fetch,
    });
    await failure(() => verify.getSession(unknown), { code: "network" });
    assert.equal(counted.calls.length, 2);
    await failure(() => verify.createSession({ recipient: "+14155550123" }), { code: "network" });
    assert.equal(counted.calls.length, 3, "a create is not retried after a network error");
  });

  test("a 64 MiB answer is refused without being read whole (maxResponseBytes, default 1 MiB)", async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 64 * 1024 * 1024;
    /** A streamed answer of TOTAL bytes that counts what was pulled from it. */
    const huge = (declare) => {
      const seen = { pulled: 0, cancelled: false };
      const stream = new ReadableStream({
        pull(controller) {
          if (seen.pulled >= TOTAL) return controller.close();
          seen.pulled += CHUNK;
          controller.enqueue(new Uint8Array(CHUNK).fill(0x20));
        },
        cancel() {
          seen.cancelled = true;
        },
      });
      const headers = declare ? { "content-length": String(TOTAL) } : {};
      return { seen, fetch: async () => new Response(stream, { status: 200, headers }) };
    };
    const streamed = huge(false);
    await failure(() => client({ fetch: streamed.fetch }).getSession(unknown), { code: "invalid_response" });
    assert.ok(streamed.seen.pulled <= 1024 * 1024 + 2 * CHUNK, `${streamed.seen.pulled} bytes pulled`);
    assert.equal(streamed.seen.cancelled, true, "the stream was cancelled past the cap");
    const declared = huge(true);
    await failure(() => client({ fetch: declared.fetch }).getSession(unknown), { code: "invalid_response" });
    assert.ok(declared.seen.pulled <= 2 * CHUNK, `a declared Content-Length over the cap is refused unread (${declared.seen.pulled} pulled)`);
    // A lower cap, against the sandbox: a page of sessions is more than 1 KiB.
    const small = client({ maxResponseBytes: 1024 });
    for (let i = 0; i < 3; i++) await small.createSession({ recipient: `+1415555095${i}` });
    await failure(() => small.listSessions({ limit: 20 }), { code: "invalid_response" });
    await failure(() => client({ maxResponseBytes: 1023 }), { code: "invalid_argument", argument: "maxResponseBytes" });
    // The module still works, and the cap does not stand in an ordinary answer's way.
    assert.ok((await client().listSessions({ limit: 20 })).sessions.length >= 3);
  });

  test("a 2xx of the wrong shape: invalid_response", async () => {
    const answering = (body) => client({ fetch: async () => new Response(JSON.stringify(body), { status: 200 }) });
    await failure(() => answering({ status: "verified", recipient: "14155550100" }).getSession(unknown), { code: "invalid_response", status: 200 });
    await failure(() => answering({ session_uuid: null }).getSession(unknown), { code: "invalid_response", status: 200 });
    await failure(() => answering({ api_id: "a", meta: { limit: 20 } }).listSessions(), { code: "invalid_response", status: 200 });
    await failure(() => answering({ meta: {}, sessions: [{ status: "verified" }] }).listSessions(), { code: "invalid_response", status: 200 });
    const empty = await answering({ meta: { limit: 20, offset: 0, next: null, previous: null }, sessions: null }).listSessions();
    assert.deepEqual(empty.sessions, [], "sessions: null is an empty page");
  });

  test("an answer that is not JSON: invalid_response", async () => {
    const verify = client({ fetch: async () => new Response("<html>oops</html>", { status: 200 }) });
    await failure(() => verify.getSession(unknown), { code: "invalid_response", status: 200 });
    const badGateway = client({ fetch: async () => new Response("oops", { status: 502 }), maxRetries: 0 });
    await failure(() => badGateway.getSession(unknown), { code: "server_error", status: 502 });
  });
});

describe("status callbacks", () => {
  let receiver;
  // A sandbox of its own that signs with every scheme (V2 and Ma-V2, as Plivo signs Verify
  // callbacks, and V3), so each check below meets real headers.
  let signing;

  before(async () => {
    signing = await startSandbox({ seed: 8, args: ["--sign", "all"] });
    secrets.push(signing.authToken);
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await signing?.stop();
  });

  /** Creates a session with a callback URL and waits for its first callback. */
  async function firstCallback(method, recipient) {
    const url = `${receiver.base}/cb/${method.toLowerCase()}?tenant=acme`;
    const verify = new api.VerifyClient(signing.options());
    const { sessionUuid } = await verify.createSession({ recipient, url, method });
    const callback = await poll(() => receiver.received.find((r) => r.method === method && (r.body + r.path).includes(sessionUuid)), {
      tries: 200,
      what: `a ${method} callback from the sandbox`,
    });
    return { sessionUuid, callback, url: `${receiver.base}${callback.path}` };
  }

  /** The received callback as the fetch `Request` a worker or server would see. */
  const asRequest = (c, url, headers = c.headers, body = c.body) =>
    new Request(url, {
      method: c.method,
      headers: Object.entries(headers).filter(([k]) => k.startsWith("x-plivo-") || k === "content-type"),
      body: c.method === "POST" ? body : undefined,
    });

  /** V2 headers for `url` and a fresh nonce, computed here (node:crypto), not by the sandbox. */
  function signV2(url, token, maToken = token) {
    const nonce = String(Date.now()) + String(Math.random()).slice(2, 8);
    const base = url.split("?")[0];
    const mac = (key) => createHmac("sha256", key).update(base + nonce).digest("base64");
    return { "x-plivo-signature-v2": mac(token), "x-plivo-signature-ma-v2": mac(maToken), "x-plivo-signature-v2-nonce": nonce };
  }

  test("a POST callback: verifyCallbackRequest once per nonce, verifyCallbackSignature(V2), parseStatusCallback", async () => {
    const { sessionUuid, callback, url } = await firstCallback("POST", "+14155550300");
    const token = signing.authToken;
    const request = asRequest(callback, url);
    const fields = await api.verifyCallbackRequest(request, token);
    assert.equal(fields.sessionUuid, sessionUuid);
    assert.equal(fields.channel, "sms");
    assert.equal(fields.attemptSequence, 1);
    assert.equal(fields.recipient.replace("+", ""), "14155550300");
    assert.equal(fields.sessionStatus, "in-progress");
    assert.equal(typeof fields.channelStatus, "string");
    assert.equal(typeof fields.requestTime, "string");
    // The body can still be read: the verifier read a clone.
    assert.equal(await request.text(), callback.body);
    assert.deepEqual(api.parseStatusCallback(new URLSearchParams(callback.body)), fields);
    assert.deepEqual(api.parseStatusCallback(callback.body), fields);
    assert.deepEqual(api.parseStatusCallback(Object.fromEntries(new URLSearchParams(callback.body))), fields);

    // The same callback again, or with either header set alone: its nonces are spent.
    const h = callback.headers;
    const v2Only = Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith("x-plivo-signature-v3")));
    const v3Only = Object.fromEntries(Object.entries(h).filter(([k]) => !k.includes("v2")));
    for (const headers of [h, v2Only, v3Only]) {
      await failure(() => api.verifyCallbackRequest(asRequest(callback, url, headers), token), { code: "replayed_callback" });
    }
    // A captured V2 signature with other parameters: refused by its nonce, not by V2.
    const tampered = callback.body.replace(/SessionStatus=[^&]*/, "SessionStatus=verified");
    assert.notEqual(tampered, callback.body);
    await failure(() => api.verifyCallbackRequest(asRequest(callback, url, v2Only, tampered), token), { code: "replayed_callback" });

    const v3 = { method: "POST", url, params: callback.body, nonce: h["x-plivo-signature-v3-nonce"], signature: h["x-plivo-signature-v3"], authToken: token };
    assert.equal(api.verifyCallbackSignature(v3), true);
    assert.equal(api.verifyCallbackSignature({ ...v3, params: new URLSearchParams(callback.body) }), true);
    assert.equal(api.verifyCallbackSignature({ ...v3, params: tampered }), false);
    assert.equal(api.verifyCallbackSignature({ ...v3, authToken: `${token}x` }), false);
    assert.equal(api.verifyCallbackSignature({ ...v3, url: url.replace("tenant=acme", "tenant=evil") }), false);
    const v2 = { url, nonce: h["x-plivo-signature-v2-nonce"], signature: h["x-plivo-signature-v2"], authToken: token };
    assert.equal(api.verifyCallbackSignatureV2(v2), true);
    assert.equal(api.verifyCallbackSignatureV2({ url, nonce: v2.nonce, maSignature: h["x-plivo-signature-ma-v2"], authToken: token }), true);
    assert.equal(api.verifyCallbackSignatureV2({ ...v2, nonce: `${v2.nonce}1` }), false);
    assert.equal(api.verifyCallbackSignatureV2({ ...v2, authToken: `${token}x` }), false);
    const sub = signV2(url, "subaccount-token", "not-the-main-token");
    const subParams = { url, nonce: sub["x-plivo-signature-v2-nonce"], signature: sub["x-plivo-signature-v2"], authToken: token };
    assert.equal(api.verifyCallbackSignatureV2(subParams), false);
    assert.equal(api.verifyCallbackSignatureV2({ ...subParams, subaccountTokens: ["subaccount-token"] }), true);

    // Signed afresh (V2 and Ma-V2 as Plivo's docs describe, a new nonce): accepted once.
    const fresh = { "content-type": "application/x-www-form-urlencoded", ...signV2(url, token) };
    assert.equal((await api.verifyCallbackRequest(asRequest(callback, url, fresh), token)).sessionUuid, sessionUuid);
    await failure(() => api.verifyCallbackRequest(asRequest(callback, url, fresh), token), { code: "replayed_callback" });
    // A subaccount's session: V2 with its token, a broken Ma-V2.
    const bySub = { "content-type": "application/x-www-form-urlencoded", ...signV2(url, "subaccount-token", "wrong") };
    await failure(() => api.verifyCallbackRequest(asRequest(callback, url, bySub), token), { code: "invalid_signature" });
    const viaSub = await api.verifyCallbackRequest(asRequest(callback, url, bySub), token, { subaccountTokens: ["subaccount-token"] });
    assert.equal(viaSub.sessionUuid, sessionUuid);

    // Wrong token, no signature: invalid_signature, and nothing spent.
    const again = { "content-type": "application/x-www-form-urlencoded", ...signV2(url, token) };
    await failure(() => api.verifyCallbackRequest(asRequest(callback, url, again), `${token}x`), { code: "invalid_signature" });
    await failure(() => api.verifyCallbackRequest(asRequest(callback, url, { "content-type": "application/x-www-form-urlencoded" }), token), {
      code: "invalid_signature",
    });
    // A proxy rewrote the URL: pass the public one.
    const proxied = asRequest(callback, `http://internal.example:8080/hooks?x=1`, again);
    await failure(() => api.verifyCallbackRequest(proxied, token), { code: "invalid_signature" });
    assert.equal((await api.verifyCallbackRequest(asRequest(callback, `http://internal.example:8080/hooks?x=1`, again), token, { url })).sessionUuid, sessionUuid);
    // allowV2 is gone: V2 is always accepted.
    await failure(() => api.verifyCallbackRequest(asRequest(callback, url), token, { allowV2: true }), { code: "invalid_argument", argument: "allowV2" });
  });

  test("hostile callbacks: oversized bodies and headers, malformed nonces", async () => {
    const token = signing.authToken;
    const url = "https://example.com/cb";
    const post = (headers, body = "SessionUUID=d8f1b187-ddcb-438a-a298-eb17fb2b31f5") =>
      new Request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
    const good = signV2(url, token);
    await failure(() => api.verifyCallbackRequest(post(good, "x=".padEnd(5000, "y")), token), { code: "payload_too_large" });
    const many = `${"AAAA,".repeat(10_000)}${good["x-plivo-signature-v2"]}`;
    await failure(() => api.verifyCallbackRequest(post({ ...good, "x-plivo-signature-v2": many }), token), { code: "invalid_signature" });
    const longNonce = "1".repeat(10 * 1024);
    const mac = createHmac("sha256", token).update(url + longNonce).digest("base64");
    await failure(() => api.verifyCallbackRequest(post({ "x-plivo-signature-ma-v2": mac, "x-plivo-signature-v2-nonce": longNonce }), token), {
      code: "invalid_signature",
    });
    // Nothing was spent, and the module still works.
    assert.equal((await api.verifyCallbackRequest(post(good), token)).sessionUuid, "d8f1b187-ddcb-438a-a298-eb17fb2b31f5");
  });

  test("a GET callback: the parameters are in the query", async () => {
    const { sessionUuid, callback, url } = await firstCallback("GET", "+14155550301");
    assert.equal(callback.body, "");
    const h = callback.headers;
    const query = new URL(url).searchParams;
    query.delete("tenant");
    assert.equal(
      api.verifyCallbackSignature({ method: "GET", url, params: query, nonce: h["x-plivo-signature-v3-nonce"], signature: h["x-plivo-signature-v3"], authToken: signing.authToken }),
      true,
    );
    const forged = url.replace(/SessionStatus=[^&]*/, "SessionStatus=verified");
    const v3Only = Object.fromEntries(Object.entries(h).filter(([k]) => !k.includes("v2")));
    await failure(() => api.verifyCallbackRequest(asRequest(callback, forged, v3Only), signing.authToken), { code: "invalid_signature" });
    const fields = await api.verifyCallbackRequest(asRequest(callback, url), signing.authToken);
    assert.equal(fields.sessionUuid, sessionUuid);
  });
});

test("no error message carries the auth token or a code", () => {
  assert.ok(seenErrors.length >= 20, `only ${seenErrors.length} errors were checked`);
  assert.ok(secrets.length >= 4);
  const [token, ...others] = secrets; // the sandbox's token, then codes and a wrong token
  for (const error of seenErrors) {
    // Messages are not printed here: they could hold the very secret being checked.
    assert.ok(!`${error.message}\n${error.stack}\n${JSON.stringify(error)}`.includes(token), `a ${error.code} error contains the auth token`);
    for (const secret of others) {
      assert.ok(!String(error.message).includes(secret), `a ${error.code} error message contains a secret`);
    }
  }
});
