// The deployable edge proxy: a Cloudflare Worker (ES module) that holds the Plivo credentials
// and serves the browser-facing Verify API under /verify (start, check, session, callback).
// Everything it does is the package's VerifyProxy, which reads the configuration from `env`
// (VerifyProxy.fromEnv); this file only routes and logs. Deploy: see wrangler.toml beside it.
//
//   secrets  PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, PROOF_SECRET (>= 32 characters)
//            PROOF_SECRET_PREVIOUS  the secret PROOF_SECRET replaced, while its proofs may
//                             still be in flight (a rotation); optional
//            PLIVO_SUBACCOUNT_TOKENS  comma-separated tokens of subaccounts whose sessions'
//                             callbacks come here (their X-Plivo-Signature-V2); optional
//   vars     PUBLIC_URL       where Plivo reaches this worker (status callbacks); optional
//            PROOF_AUDIENCE   the proofs' "aud" (your app's origin); optional
//            ALLOWED_ORIGINS  comma-separated origins allowed to call cross-origin; optional
//            ALLOWED_COUNTRIES  comma-separated ISO 3166 countries codes may be sent to
//                             (e.g. "US,CA,GB"); optional: any (an SMS-pumping guard worth
//                             setting; NANP countries are told apart by area code)
//            ALLOWED_COUNTRY_CODES  comma-separated calling codes (e.g. "44"); optional
//            SHADOW           "true": the guards decide and log, but never refuse ("false"
//                             or unset: they refuse; any other value is a misconfiguration)
//            PLIVO_BASE_URL   another Plivo API base (the local sandbox); optional
//            LIMITS           the guards' limits as JSON, e.g. {"sendsPerRecipient":[3,600]};
//                             optional (the package's defaults otherwise)
//   binding  VERIFY_LIMITER   Durable Object namespace of VerifyLimiter: the rate limits'
//                             counts, shared by every instance; without it each isolate
//                             counts in its own memory
//   vars     LIMIT_SHARDS     objects the counts are spread over (1 to 1024; default 32);
//                             changing it starts the counts over; read with the binding only
import { VerifyLimiter, VerifyProxy } from "plivo-verify-wasm";

// The Durable Object class must be exported by the worker that defines it.
export { VerifyLimiter };

const BASE_PATH = "/verify";

/**
 * One line per status callback Plivo delivers. Never the auth token, a code or the whole
 * number: the session, the channel's progress, and the number's last two digits.
 */
function logStatus(event) {
  const number = event.recipient ? `…${String(event.recipient).slice(-2)}` : "?";
  console.log(
    `verify status: session ${event.sessionUuid} attempt ${event.attemptSequence ?? "?"} ` +
      `${event.channel ?? "?"} ${event.channelStatus ?? "?"}` +
      (event.channelErrorCode ? ` (error ${event.channelErrorCode})` : "") +
      ` session ${event.sessionStatus ?? "?"} to ${number}`,
  );
}

const error = (status, code, message) => Response.json({ error: { code, message } }, { status });

// One proxy per isolate (env is the same for every request of a deployment).
let proxy;

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname !== BASE_PATH && !pathname.startsWith(`${BASE_PATH}/`)) {
      return error(404, "not_found", "no such route");
    }
    if (!proxy) {
      try {
        // Every variable above is read by VerifyProxy.fromEnv; code-only settings on top.
        proxy = VerifyProxy.fromEnv(env, { basePath: BASE_PATH, onStatus: logStatus });
      } catch (e) {
        // A bad setting: VerifyError names it (e.argument), never its value. Logged for the
        // operator; the browser learns nothing about the configuration.
        console.error(`verify proxy misconfigured: ${e?.code ?? e?.name} ${e?.argument ?? ""}`);
        return error(500, "misconfigured", "the verification proxy is not configured");
      }
    }
    return proxy.fetch(request);
  },
};
