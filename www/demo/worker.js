// The demo's worker: the library's edge proxy (VerifyProxy, the same package as www/worker.js)
// under /verify/*, plus demo-only routes under /demo/*, and the page (static assets).
//
//   /verify/*           the proxy: start, check, session, callback (signed status callbacks)
//   GET /demo/config    { mode: "sandbox" | "real", codeLength, codeExpirySecs, resendAfterSecs }
//   GET /demo/events    the status callbacks onStatus received, newest first (in memory)
//   GET /demo/phone     sandbox mode only: the sandbox's outbox (the "sandbox phone")
//   GET /demo/sessions  ?status=&recipient=&offset=&limit= : VerifyClient.listSessions, server-side
//
// /demo/events and /demo/sessions show whole numbers and charges: in real mode they answer
// only with `Authorization: Bearer <DEMO_TOKEN>` (serve.mjs prints the page's URL with it).
// Every request must name an allowed Host (ALLOWED_HOSTS): a DNS-rebinding page, whose
// requests carry its own host name, gets 421 and never reaches the proxy or the demo routes.
//
// Bindings (set by www/demo/serve.mjs): PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, PROOF_SECRET,
// PLIVO_BASE_URL (sandbox mode), SANDBOX_URL (sandbox mode), PUBLIC_URL (optional),
// DEMO_MODE, DEMO_TOKEN (real mode), ALLOWED_HOSTS, CODE_LENGTH, CODE_EXPIRY_SECS, LIMITS
// (JSON), ASSETS (the page). Nothing here ever answers with the auth token or the proof secret.
import { VerifyClient, VerifyError, VerifyProxy } from "plivo-verify-wasm";

const MAX_EVENTS = 200;
const events = [];
let nextEventId = 1;
let proxy;
let client;

const json = (body, status = 200, headers = {}) =>
  Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
const error = (status, code, message, headers) => json({ error: { code, message } }, status, headers);

/** The LIMITS binding's object, for the page's config (the proxy reads it through fromEnv). */
function limits(env) {
  if (!env.LIMITS) return undefined;
  return typeof env.LIMITS === "string" ? JSON.parse(env.LIMITS) : env.LIMITS;
}

function getProxy(env) {
  if (proxy) return proxy;
  // The deployment's variables (credentials, PUBLIC_URL, LIMITS…) through fromEnv; the
  // demo's own settings on top.
  proxy = VerifyProxy.fromEnv(env, {
    basePath: "/verify",
    brandName: "Acme",
    codeLength: Number(env.CODE_LENGTH || 6),
    onStatus: (event) => {
      events.unshift({ id: nextEventId++, receivedAt: new Date().toISOString(), ...event });
      events.length = Math.min(events.length, MAX_EVENTS);
    },
  });
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

/** Whether two strings are equal, in time that depends on their length only. */
function sameSecret(a, b) {
  if (typeof a !== "string" || typeof b !== "string" || a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The routes that show whole numbers and charges: sandbox mode, or the demo token. */
function mayReadPrivate(request, env) {
  if (env.DEMO_MODE === "sandbox") return true;
  const auth = request.headers.get("authorization") ?? "";
  return Boolean(env.DEMO_TOKEN) && sameSecret(auth, `Bearer ${env.DEMO_TOKEN}`);
}

/** The Host allow-list (comma-separated `host:port`s); empty: any host. */
function hostAllowed(url, env) {
  const allowed = (env.ALLOWED_HOSTS ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  return allowed.length === 0 || allowed.includes(url.host.toLowerCase());
}

async function demo(request, url, env) {
  if (request.method !== "GET") return error(405, "method_not_allowed", "GET only", { allow: "GET" });
  if ((url.pathname === "/demo/events" || url.pathname === "/demo/sessions") && !mayReadPrivate(request, env)) {
    return error(401, "unauthorized", "real mode: this route needs the demo token", { "www-authenticate": "Bearer" });
  }
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
    if (!hostAllowed(url, env)) return error(421, "misdirected_request", "this host name is not served here");
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
