//! TypeScript declarations of the objects the JS API takes and returns (appended to the
//! generated `.d.ts`). What the core hands JavaScript (the answers, the proxy's answers,
//! callbacks, proofs and error codes) is generated from its serde types into `core/ts/` (see
//! `core/src/typescript.rs`); the option bags are written here.

use wasm_bindgen::prelude::*;

/// `VerifyErrorCode`, generated from `ErrorCode`.
#[wasm_bindgen(typescript_custom_section)]
const ERROR_CODES: &str = include_str!("../../core/ts/errors.d.ts");

/// The server side's answers, generated from the core's models.
#[cfg(feature = "server")]
#[wasm_bindgen(typescript_custom_section)]
const ANSWERS: &str = include_str!("../../core/ts/answers.d.ts");

/// The proxy's answers (what `VerifyBrowserClient` resolves to), generated from the core's
/// `proxy::answer`.
#[wasm_bindgen(typescript_custom_section)]
const PROXY_ANSWERS: &str = include_str!("../../core/ts/proxy.d.ts");

/// What every build declares: errors, and the browser client's objects.
#[wasm_bindgen(typescript_custom_section)]
const COMMON_TYPES: &str = r#"
/** How a code is delivered. */
export type Channel = "sms" | "voice";

/** A session's status (lower case; values Plivo may add pass through). */
export type SessionStatus = "in-progress" | "verified" | "expired" | (string & {});

/** Options of `new VerifyBrowserClient(options)`. */
export interface VerifyBrowserClientOptions {
  /** The proxy's base path or URL; default `"/verify"`. */
  endpoint?: string;
  fetch?: typeof fetch;
  /** Per request, milliseconds; default 10000. */
  timeoutMs?: number;
}

/** Options of `VerifyBrowserClient.start(recipient, options)`. */
export interface StartOptions {
  /** `"sms"` (the default) or `"voice"`. */
  channel?: Channel;
  /**
   * The start's `Idempotency-Key` (1 to 128 letters, digits or `-_.:`): one per user action.
   * Default: the last start's for the same number and channel within 30 s, else a new one.
   */
  idempotencyKey?: string;
  /** The bot check's token (Turnstile's widget response), when the proxy has `challenge`. */
  challengeToken?: string;
}
"#;

/// The server side's objects (the `server` feature).
#[cfg(feature = "server")]
#[wasm_bindgen(typescript_custom_section)]
const SERVER_TYPES: &str = r#"
/** Options of `new VerifyClient(options)`. */
export interface VerifyClientOptions {
  /** Plivo auth id (`MA…`, or a subaccount's `SA…`). */
  authId: string;
  /** Plivo auth token. Keep it server-side. */
  authToken: string;
  /** API origin; default `"https://api.plivo.com"` (point it at the sandbox for tests). */
  baseUrl?: string;
  /** Per attempt, in milliseconds (1–600000); default 10000. */
  timeoutMs?: number;
  /**
   * Longest answer body read (1024–67108864 bytes); default 1048576 (1 MiB). A longer one is
   * `invalid_response`, refused unread when its Content-Length says so, else cancelled past the cap.
   */
  maxResponseBytes?: number;
  /** Retries after the first attempt (0–10); default 2. Writes retry only on 429. */
  maxRetries?: number;
  /** Your own `fetch` (proxies, tracing, tests); default the global one. */
  fetch?: typeof fetch;
  /** Appended to the `User-Agent` `plivo-verify-wasm/<version>`. */
  userAgent?: string;
}

/** Arguments of `createSession`. */
export interface CreateSessionParams {
  /** E.164 number, `+` optional, 7–15 digits. */
  recipient: string;
  /** Verify application; default the account's default application. */
  appUuid?: string;
  /** Default `"sms"`. */
  channel?: Channel;
  /** Absolute http(s) URL for status callbacks. */
  url?: string;
  /** Method of the status callbacks; default `"POST"`. */
  method?: "GET" | "POST";
  /** Language of the message, e.g. `"en"`, `"en_US"`. */
  locale?: string;
  /** Brand shown in the message. */
  brandName?: string;
  /** Android SMS Retriever hash, appended to the SMS. */
  appHash?: string;
  /** Digits in the code, 4–8. */
  codeLength?: number;
  /** Plivo's `dtmf` setting for voice (a non-negative integer). */
  dtmf?: number;
  /** Plivo's `fraud_check` setting, e.g. `"block"`. */
  fraudCheck?: string;
  /** A code of your choosing (4–8 digits, as a string) instead of a generated one. */
  otp?: string;
}

/** Filters of `listSessions` / `sessions`. Times are UTC, `YYYY-MM-DD HH:MM[:ss[.uuuuuu]]`. */
export interface ListSessionsFilter {
  appUuid?: string;
  status?: "in-progress" | "verified" | "expired";
  recipient?: string;
  /** A subaccount's auth id (`SA…`). */
  subaccount?: string;
  /** Page size, 1–20 (default 20). */
  limit?: number;
  offset?: number;
  sessionTime?: string;
  sessionTimeGt?: string;
  sessionTimeGte?: string;
  sessionTimeLt?: string;
  sessionTimeLte?: string;
  brandName?: string;
  appHash?: string;
  /** ISO 3166 alpha-2 country code of the number, e.g. `"IN"`. */
  country?: string;
  /** The Verify application's alias. */
  alias?: string;
}

/** Callback parameters: form fields or query parameters. */
export type CallbackParams = URLSearchParams | Record<string, string | string[]> | string;

/** Arguments of `verifyCallbackSignature` (V3). */
export interface VerifyCallbackSignatureParams {
  method: "GET" | "POST";
  /** The URL Plivo called (with its own query, if any). */
  url: string;
  /** The callback's parameters (form body for POST, query for GET). */
  params?: CallbackParams;
  /** `X-Plivo-Signature-V3-Nonce`. */
  nonce: string;
  /** `X-Plivo-Signature-V3`. */
  signature: string;
  authToken: string;
}

/** Arguments of `verifyCallbackSignatureV2`. */
export interface VerifyCallbackSignatureV2Params {
  url: string;
  /** `X-Plivo-Signature-V2-Nonce`. */
  nonce: string;
  /** `X-Plivo-Signature-V2` (the session's account or subaccount token). At least one of the two. */
  signature?: string;
  /** `X-Plivo-Signature-Ma-V2` (the main account's token). */
  maSignature?: string;
  /** The main account's token. */
  authToken: string;
  /** Tokens of subaccounts, for `signature`. */
  subaccountTokens?: string[];
}

/** `[count, seconds]`: at most `count` events per `seconds`. */
export type LimitWindow = [number, number];

/**
 * The proxy's guards. A refusal answers 429 with `Retry-After` and names its guard in
 * `error.reason` (the key below in snake_case, e.g. `sends_per_recipient`; `resend_wait`,
 * `failure_cooldown`).
 */
export interface ProxyLimits {
  /** Codes sent to one number, whoever asks; default `[10, 3600]`. */
  sendsPerRecipient?: LimitWindow;
  /** Codes sent to one number at one client address's request; default `[3, 3600]`. */
  sendsPerRecipientIp?: LimitWindow;
  /** Codes requested from one client address; default `[10, 3600]`. */
  sendsPerIp?: LimitWindow;
  /** Codes sent in all (a brake on pumping); default `[1000, 3600]`. */
  sendsTotal?: LimitWindow;
  /** Codes sent to numbers that differ only in their last 3 digits; default `[20, 3600]`. */
  sendsPerPrefix?: LimitWindow;
  /** Voice calls to one number; default `[3, 3600]`. */
  voicePerRecipient?: LimitWindow;
  /** Wait between two sends to one number from one address, seconds; default 30. */
  resendAfterSecs?: number;
  /** Code checks per session from one client address; default 5. */
  checksPerSession?: number;
  /** Consecutive wrong codes for one number from anywhere before its checks and sends stop (NIST SP 800-63B); default `[100, 86400]`. A right code starts over. */
  failuresPerRecipient?: LimitWindow;
  /** Growing cool-downs on wrong codes for one number from one address (1 to 4 windows); default `[[5, 300], [10, 3600], [20, 86400]]`. */
  failureCooldowns?: LimitWindow[];
  /** Wrong codes from one client address, any number; default `[30, 3600]`. */
  failuresPerIp?: LimitWindow;
  /** `/check` and `/session` requests from one client IP (each costs Plivo calls); default `[60, 60]`. */
  readsPerIp?: LimitWindow;
}

/** ISO 3166 alpha-2 country code, e.g. `"US"`. */
export type CountryCode = string;

/** A Durable Object namespace binding (of the `VerifyLimiter` class). */
export interface LimitStoreNamespace {
  idFromName(name: string): unknown;
  get(id: never): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** Options of `new VerifyProxy(options)`. */
export interface VerifyProxyOptions extends VerifyClientOptions {
  appUuid?: string;
  brandName?: string;
  codeLength?: number;
  locale?: string;
  /** Where the routes live; default `"/verify"`. */
  basePath?: string;
  /** Origins allowed to call cross-origin (exact, e.g. `"https://app.example.com"`); others get 403. */
  allowedOrigins?: string[];
  /** Where Plivo reaches the proxy: callbacks go to `publicUrl + basePath + "/callback"`. */
  publicUrl?: string;
  /** Calling codes codes may be sent to, e.g. `["1", "44"]`; absent: any. `"1"` admits every NANP country (Jamaica, the Dominican Republic…): prefer `allowedCountries`. */
  allowedCountryCodes?: string[];
  /** Countries codes may be sent to, e.g. `["US", "CA"]` (NANP told apart by area code); absent: any. With `allowedCountryCodes`, either admits. */
  allowedCountries?: CountryCode[];
  limits?: ProxyLimits;
  /** Decide and log (`console.warn`, the guard's name only) but never refuse: to tune the limits on live traffic. Default false. */
  shadow?: boolean;
  /** Keys the in-memory limit store keeps (oldest evicted first); default 100000. */
  maxMemoryKeys?: number;
  /** How long a request's body may take to arrive, ms (then 408 `timeout`); default 10000. */
  bodyTimeoutMs?: number;
  /** Signs the proofs of verification: a random string of at least 32 characters. Or `proofSecrets`. */
  proofSecret?: string;
  /** During a rotation: `[current, previous…]` (1 to 4); the first signs, each verifies. Instead of `proofSecret`. */
  proofSecrets?: string[];
  /** The proofs' `iss`; default `"plivo-verify-wasm"`. */
  proofIssuer?: string;
  /** The proofs' `aud`, e.g. your app's origin; default `"plivo-verify-wasm"`. */
  proofAudience?: string;
  /** Proof lifetime in seconds; default 600. */
  proofTtlSecs?: number;
  /**
   * Proxies of your own in front that append the client's address to `X-Forwarded-For`:
   * `true` (one) or their number (1–10); that many entries from the right counts. Default
   * false. `CF-Connecting-IP` counts only on Cloudflare (`request.cf` present).
   */
  trustForwardedFor?: boolean | number;
  /**
   * The client's address as your platform knows it (e.g. Deno's `info.remoteAddr`, Node's
   * socket); it counts before any header. A throw or a non-string counts as unknown.
   */
  clientIp?: (request: Request) => string | Promise<string>;
  /**
   * A bot check on `/start`, whose body must then carry `challengeToken`: Cloudflare
   * Turnstile's secret key (each token is checked with siteverify, with the client's address
   * and an idempotency key; tokens are single-use), or your own check (only `true` passes).
   * A missing or failing token is refused (403, reason `challenge_failed`) before any limit
   * counts it, and nothing is sent.
   */
  challenge?: string | ((request: Request, token: string) => boolean | Promise<boolean>);
  /** Where siteverify is (the sandbox's emulator, in tests); default Cloudflare's. */
  turnstileUrl?: string;
  /**
   * Auth tokens of subaccounts whose sessions send callbacks here: their `X-Plivo-Signature-V2`
   * is made with the subaccount's token (`X-Plivo-Signature-Ma-V2` always with `authToken`).
   */
  subaccountTokens?: string[];
  /**
   * Receives every verified status callback once (a nonce seen in the last 24 hours is
   * acknowledged and not passed on). A throw or rejection answers 500 and takes the nonce
   * back, so Plivo's next try is passed on.
   */
  onStatus?: (event: StatusCallback) => void | Promise<void>;
  /** Share the limits between instances: the `VerifyLimiter` Durable Object binding. Default: this isolate's memory. */
  limitStore?: LimitStoreNamespace;
  /** With `limitStore`: objects the counts are spread over by key (1 to 1024; default 32). Changing it starts the counts over. */
  limitShards?: number;
}

/** What `verifyProof` requires besides the signature and the expiry. */
export interface VerifyProofOptions {
  /** The proxy's `proofAudience`: a proof for another audience is `invalid_proof`. */
  audience?: string;
  /** The proxy's `proofIssuer`. */
  issuer?: string;
}

/** Options of `verifyCallbackRequest`. */
export interface VerifyCallbackRequestOptions {
  /** The public URL Plivo called, when a proxy rewrote `request.url`. */
  url?: string;
  /** Auth tokens of subaccounts whose sessions send callbacks here (their V2 signatures). */
  subaccountTokens?: string[];
  /**
   * Where accepted nonces are remembered for 24 hours (a replay rejects with
   * `replayed_callback`): the `VerifyLimiter` Durable Object binding, shared by every
   * instance. Default: this isolate's memory.
   */
  limitStore?: LimitStoreNamespace;
}
"#;
