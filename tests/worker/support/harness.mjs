// What one scenario process of the worker suite runs on: a sandbox of its own
// (tests/js/support/sandbox.mjs), www/worker.js staged with the installed package
// (tests/js/support/stage-worker.mjs) and run in workerd by Miniflare 4 against it, and a
// record of everything the worker answered (status, headers, body) and logged, which
// `scanSecrets` searches for the auth token, the proof secret and every OTP the sandbox
// issued.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Miniflare } from "miniflare";
import { INSTALLED, ROOT, resolveExport } from "../../js/support/install.mjs";
import { freePort, poll, redact, secret, startSandbox } from "../../js/support/sandbox.mjs";
import { MODULES_RULES, stageWorker } from "../../js/support/stage-worker.mjs";

export { poll, redact, secret };

// VERIFY_WORKER_SOURCE: another worker file, to check that the suite fails on a broken one.
export const WORKER_SOURCE = process.env.VERIFY_WORKER_SOURCE || join(ROOT, "www", "worker.js");
export const ALLOWED_ORIGIN = "https://app.example.com";
export const OTHER_ORIGIN = "https://evil.example";

/** compatibility_date of www/wrangler.toml: the tests run the worker as it is deployed. */
export function compatibilityDate() {
  const toml = readFileSync(join(ROOT, "www", "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([0-9-]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("www/wrangler.toml has no compatibility_date");
  return date;
}

/** The package as Node imports it (its exports map, `node` condition). */
export async function importPackage() {
  const manifest = JSON.parse(readFileSync(join(INSTALLED, "package.json"), "utf8"));
  const entry = resolveExport(manifest, ["node", "import", "default"]);
  return import(pathToFileURL(join(INSTALLED, entry)).href);
}

/**
 * VERIFY_WORKER_BUNDLE: a directory with wrangler's bundle of www/ (`wrangler deploy
 * --dry-run --outdir`: worker.js and the .wasm); scripts/check-worker-bundle runs scenarios
 * on it, so the artifact that would be uploaded is the one tested.
 */
function bundled(dir) {
  return { root: dir, scriptPath: join(dir, "worker.js"), modulesRules: MODULES_RULES, dispose: () => {} };
}

/**
 * Starts the sandbox and the worker(s).
 *
 * options:
 *   vars:     extra bindings of every worker (ALLOWED_ORIGINS, LIMITS, …; objects are JSON-encoded)
 *   limiter:  "durable-object" (VERIFY_LIMITER bound; the default) or "memory" (no binding)
 *   workers:  1 or 2 instances of www/worker.js ("a", "b"); with the Durable Object, "b"
 *             binds the class of "a" (one limiter for both)
 *   publicUrl: true to set PUBLIC_URL to the worker's own URL (the sandbox calls it back)
 *   persist:  a directory for the Durable Objects' storage (survives `restart()`)
 *   proofSecret, authToken: override the worker's secrets (misconfiguration tests)
 */
export async function startHarness(options = {}) {
  const sandbox = await startSandbox({ seed: options.seed ?? 7 });
  let staged;
  try {
    staged = process.env.VERIFY_WORKER_BUNDLE ? bundled(process.env.VERIFY_WORKER_BUNDLE) : stageWorker(WORKER_SOURCE);
    return await startWorkers(sandbox, staged, options);
  } catch (e) {
    staged?.dispose();
    await sandbox.stop();
    throw e;
  }
}

async function startWorkers(sandbox, staged, options) {
  const { limiter = "durable-object", workers = 1, publicUrl = false, persist } = options;
  const proofSecret = secret(options.proofSecret ?? `proof-${randomBytes(24).toString("hex")}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs = [];
  const records = [];

  const authToken = secret(options.authToken ?? sandbox.authToken);
  const vars = {
    PLIVO_AUTH_ID: sandbox.authId,
    PLIVO_AUTH_TOKEN: authToken,
    PROOF_SECRET: proofSecret,
    PLIVO_BASE_URL: sandbox.base,
    ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    ...(publicUrl ? { PUBLIC_URL: url } : {}),
  };
  for (const [key, value] of Object.entries(options.vars ?? {})) {
    vars[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const names = workers === 2 ? ["a", "b"] : ["a"];
  const workerOptions = names.map((name, i) => ({
    name,
    modules: true,
    scriptPath: staged.scriptPath,
    modulesRoot: staged.root,
    modulesRules: staged.modulesRules,
    compatibilityDate: compatibilityDate(),
    bindings: vars,
    ...(limiter === "durable-object"
      ? {
          durableObjects: {
            VERIFY_LIMITER: i === 0 ? "VerifyLimiter" : { className: "VerifyLimiter", scriptName: names[0] },
          },
        }
      : {}),
  }));

  const collect = (stream) => {
    createInterface({ input: stream }).on("line", (line) => logs.push(line));
  };
  const miniflareOptions = {
    workers: workerOptions,
    host: "127.0.0.1",
    port,
    handleRuntimeStdio: (stdout, stderr) => {
      collect(stdout);
      collect(stderr);
    },
    ...(persist ? { durableObjectsPersist: persist } : {}),
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
  };
  let mf = new Miniflare(miniflareOptions);
  try {
    await mf.ready;
  } catch (e) {
    await mf.dispose().catch(() => {});
    throw e;
  }

  /** Keeps what the worker answered, for the scan; returns it read. */
  async function record(where, response) {
    const text = await response.text();
    const headers = [...response.headers];
    records.push({ where, status: response.status, headers, body: text });
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: new Headers(headers), text, json };
  }

  /**
   * One request to a worker ("a" or "b"). `json` sets the body and Content-Type; `ip` sets
   * CF-Connecting-IP; `origin` sets Origin. Resolves to { status, headers, text, json }.
   */
  async function request(path, init = {}) {
    const { worker = "a", json, ip, origin, headers = {}, ...rest } = init;
    const h = new Headers(headers);
    if (json !== undefined) {
      h.set("content-type", "application/json");
      rest.body = JSON.stringify(json);
    }
    if (ip) h.set("cf-connecting-ip", ip);
    if (origin) h.set("origin", origin);
    const target = new URL(path, url).href;
    const response =
      worker === "a"
        ? await mf.dispatchFetch(target, { ...rest, headers: h })
        : await (await mf.getWorker(worker)).fetch(target, { ...rest, headers: h });
    return record(`${rest.method ?? "GET"} ${path} (${worker})`, response);
  }

  return {
    sandbox,
    /** The worker's auth token (the sandbox's, unless a test gave it another). */
    authToken,
    proofSecret,
    url,
    logs,
    records,
    record,
    request,
    start: (recipient, init = {}) => {
      const { channel, ...rest } = init;
      return request("/verify/start", {
        method: "POST",
        json: channel ? { recipient, channel } : { recipient },
        ...rest,
      });
    },
    check: (sessionUuid, otp, init = {}) =>
      request("/verify/check", { method: "POST", json: { sessionUuid, otp }, ...init }),
    status: (sessionUuid, init = {}) => request(`/verify/session/${sessionUuid}`, init),
    /** The session's code (a secret: never print it). */
    otp: (sessionUuid) => sandbox.dev.otp(sessionUuid),
    /** A wrong code for this session: its code with the last digit changed. */
    wrongOtp: async (sessionUuid) => {
      const otp = await sandbox.dev.otp(sessionUuid);
      return otp.slice(0, -1) + String((Number(otp.at(-1)) + 1) % 10);
    },
    /** Stops workerd and starts it again (same port, same Durable Object storage if persisted). */
    async restart() {
      await mf.dispose();
      mf = new Miniflare(miniflareOptions);
      await mf.ready;
    },
    async stop() {
      try {
        await mf.dispose();
      } finally {
        staged.dispose();
        await sandbox.stop();
      }
    },
  };
}

/** `needle` found in `text`? OTPs only as whole digit runs (no false hit inside a longer number). */
function contains(text, needle) {
  if (needle.digits) return new RegExp(`(?<![0-9])${needle.value}(?![0-9])`).test(text);
  return text.includes(needle.value);
}

/** Every place a needle appears: [{ where, what }] (never the value). */
export function findLeaks(haystacks, needles) {
  const leaks = [];
  for (const { where, text } of haystacks) {
    for (const needle of needles) if (contains(text, needle)) leaks.push({ where, what: needle.name });
  }
  return leaks;
}

/** Every code the sandbox issued in this run: from its outbox, and per session. */
async function issuedOtps(sandbox) {
  const { messages } = await sandbox.dev.messages("?limit=1000");
  const codes = new Map();
  for (const m of messages) {
    // "… code is 123456" (sms), or spoken digit by digit (voice).
    const code = /code is ([0-9][0-9 ,.-]*[0-9])/.exec(m.text)?.[1].replace(/[^0-9]/g, "");
    assert.match(code ?? "", /^[0-9]{4,8}$/, `a message of session ${m.session_uuid} names no code`);
    codes.set(secret(code), m.session_uuid);
  }
  for (const uuid of new Set(messages.map((m) => m.session_uuid))) {
    codes.set(await sandbox.dev.otp(uuid), uuid);
  }
  return codes;
}

/**
 * The secrets scan: every response body and header the worker gave in this process, and
 * every line it logged, searched for the auth token(s) (and their Basic-auth form), the proof
 * secret and every OTP the sandbox issued. Asserts none appears; first checks that the
 * search itself finds each kind of needle. Returns counts for the report.
 */
export async function scanSecrets(h, { minOtps = 0, extraHaystacks = [] } = {}) {
  const { sandbox } = h;
  const otps = await issuedOtps(sandbox);
  const tokens = [...new Set([sandbox.authToken, h.authToken])];
  const needles = [
    ...tokens.flatMap((token, i) => [
      { name: `auth token ${i + 1}`, value: token },
      { name: `auth token ${i + 1} as Basic auth`, value: Buffer.from(`${sandbox.authId}:${token}`).toString("base64") },
    ]),
    { name: "the proof secret", value: h.proofSecret },
    ...[...otps].map(([value, uuid]) => ({ name: `the OTP of session ${uuid}`, value, digits: true })),
  ];
  // The search finds what it looks for (else a broken scan would pass everything).
  for (const needle of needles) {
    const probe = [{ where: "probe", text: `{"x":"${needle.value}"} ` }];
    assert.equal(findLeaks(probe, [needle]).length, 1, `the scan cannot find ${needle.name}`);
  }
  const haystacks = [
    ...h.records.map((r) => ({
      where: `${r.where} -> ${r.status}`,
      text: `${r.headers.map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${r.body}`,
    })),
    ...h.logs.map((line, i) => ({ where: `worker log line ${i + 1}`, text: line })),
    ...extraHaystacks,
  ];
  const leaks = findLeaks(haystacks, needles);
  assert.deepEqual(leaks, [], "a secret appeared in a response or a log line");
  assert.ok(h.records.length > 0, "the scan saw no response");
  assert.ok(otps.size >= minOtps, `the scan knew ${otps.size} OTPs, expected at least ${minOtps}`);
  return {
    responses: h.records.length,
    headers: h.records.reduce((n, r) => n + r.headers.length, 0),
    logLines: h.logs.length,
    otps: otps.size,
  };
}
