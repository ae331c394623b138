// The demo's worker: the library's edge proxy (VerifyProxy, the same package as www/worker.js)
// under /verify/*, plus demo-only routes under /demo/*, and the page (static assets).
//
//   /verify/*           the proxy: start, check, session, callback (signed status callbacks)
//   GET /demo/config    { mode: "sandbox" | "real", codeLength, codeExpirySecs, resendAfterSecs }
//   GET /demo/events    the status callbacks onStatus received, newest first (in memory)
//   GET /demo/phone     sandbox mode only: the sandbox's outbox (the "sandbox phone")
//   GET /demo/sessions  ?status=&recipient=&offset=&limit= : VerifyClient.listSessions, server-side
//
// Bindings (set by www/demo/serve.mjs): PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, PROOF_SECRET,
// PLIVO_BASE_URL (sandbox mode), SANDBOX_URL (sandbox mode), PUBLIC_URL (optional),
// DEMO_MODE, CODE_LENGTH, CODE_EXPIRY_SECS, LIMITS (JSON), ASSETS (the page).
// Nothing here ever answers with the auth token or the proof secret.
import { VerifyClient, VerifyError, VerifyProxy } from "plivo-verify-wasm";

const MAX_EVENTS = 200;
const events = [];
let nextEventId = 1;
let proxy;
let client;

const json = (body, status = 200, headers = {}) =>
  Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
const error = (status, code, message, headers) => json({ error: { code, message } }, status, headers);

function limits(env) {
  if (!env.LIMITS) return undefined;
  return typeof env.LIMITS === "string" ? JSON.parse(env.LIMITS) : env.LIMITS;
}

function getProxy(env) {
  if (proxy) return proxy;
  const opts = {
    authId: env.PLIVO_AUTH_ID,
    authToken: env.PLIVO_AUTH_TOKEN,
    proofSecret: env.PROOF_SECRET,
    basePath: "/verify",
    brandName: "Acme",
    codeLength: Number(env.CODE_LENGTH || 6),
    onStatus: (event) => {
      events.unshift({ id: nextEventId++, receivedAt: new Date().toISOString(), ...event });
      events.length = Math.min(events.length, MAX_EVENTS);
    },
  };
  if (env.PLIVO_BASE_URL) opts.baseUrl = env.PLIVO_BASE_URL;
  if (env.PUBLIC_URL) opts.publicUrl = env.PUBLIC_URL;
  const l = limits(env);
  if (l) opts.limits = l;
  proxy = new VerifyProxy(opts);
  return proxy;
}

function getClient(env) {
  if (!client) {
    const opts = { authId: env.PLIVO_AUTH_ID, authToken: env.PLIVO_AUTH_TOKEN, maxRetries: 1 };
    if (env.PLIVO_BASE_URL) opts.baseUrl = env.PLIVO_BASE_URL;
    client = new VerifyClient(opts);
  }
  return client;
}

/** A VerifyError as the page sees it: code and message only (never a secret, by the package's contract). */
function fromVerifyError(e) {
  if (e instanceof VerifyError || e?.name === "VerifyError") {
    const status = e.code === "invalid_argument" ? 400 : e.code === "rate_limited" ? 429 : 502;
    const headers = e.retryAfterMs ? { "retry-after": String(Math.ceil(e.retryAfterMs / 1000)) } : {};
    return error(status, e.code, e.message, headers);
  }
  return error(500, "internal", "unexpected error");
}

async function sessions(url, env) {
  const q = url.searchParams;
  const filter = {};
  const status = q.get("status");
  if (status) filter.status = status;
  const recipient = q.get("recipient");
  if (recipient) filter.recipient = recipient.replace(/[\s().-]/g, "");
  const limit = q.get("limit");
  filter.limit = limit ? Number(limit) : 10;
  const offset = q.get("offset");
  if (offset) filter.offset = Number(offset);
  try {
    const page = await getClient(env).listSessions(filter);
    return json({
      meta: page.meta,
      sessions: page.sessions.map((s) => ({
        sessionUuid: s.sessionUuid,
        recipient: s.recipient,
        channel: s.channel,
        status: s.status,
        count: s.count,
        totalCharge: s.charges?.totalCharge ?? null,
        attempts: (s.attemptDetails ?? []).map((a) => ({ channel: a.channel, status: a.status, time: a.time })),
        createdAt: s.createdAt,
        updatedAt: s.updatedAt,
      })),
    });
  } catch (e) {
    return fromVerifyError(e);
  }
}

async function phone(url, env) {
  if (env.DEMO_MODE !== "sandbox" || !env.SANDBOX_URL) return error(404, "not_found", "sandbox mode only");
  const limit = Math.min(Number(url.searchParams.get("limit") || 20), 100);
  try {
    const r = await fetch(`${env.SANDBOX_URL}/__sandbox/messages?limit=${limit}`);
    if (!r.ok) return error(502, "upstream_error", `the sandbox answered ${r.status}`);
    const { messages } = await r.json();
    return json({ messages });
  } catch {
    return error(502, "upstream_error", "the sandbox is unreachable");
  }
}

async function demo(request, url, env) {
  if (request.method !== "GET") return error(405, "method_not_allowed", "GET only", { allow: "GET" });
  switch (url.pathname) {
    case "/demo/config":
      return json({
        mode: env.DEMO_MODE === "sandbox" ? "sandbox" : "real",
        codeLength: Number(env.CODE_LENGTH || 6),
        codeExpirySecs: Number(env.CODE_EXPIRY_SECS || 600),
        resendAfterSecs: limits(env)?.resendAfterSecs ?? 30,
        callbacks: Boolean(env.PUBLIC_URL),
      });
    case "/demo/events":
      return json({ events });
    case "/demo/phone":
      return phone(url, env);
    case "/demo/sessions":
      return sessions(url, env);
    default:
      return error(404, "not_found", "no such route");
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/verify" || url.pathname.startsWith("/verify/")) {
      try {
        return await getProxy(env).fetch(request);
      } catch (e) {
        console.error(`demo: verify proxy misconfigured: ${e?.code ?? e?.name} ${e?.argument ?? ""}`);
        return error(500, "misconfigured", "the verification proxy is not configured");
      }
    }
    if (url.pathname.startsWith("/demo/")) return demo(request, url, env);
    if (env.ASSETS) return env.ASSETS.fetch(request);
    return error(404, "not_found", "no such route");
  },
};
