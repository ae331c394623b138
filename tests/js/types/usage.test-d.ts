// Type-checked by scripts/test-js with `tsc --noEmit --strict` against the published d.ts
// (tests/js/node_modules/plivo-verify-wasm, i.e. pkg/ as npm packs it), never run.
// Realistic use of every function and result field, and `@ts-expect-error` on wrong
// arguments: if the types were loose (`any`, missing fields), those lines would compile
// and tsc would fail on the unused directive.
import {
  VerifyClient,
  VerifyError,
  VerifyProxy,
  parseStatusCallback,
  verifyCallbackRequest,
  verifyCallbackSignature,
  verifyCallbackSignatureV2,
} from "plivo-verify-wasm";
import type {
  AttemptCharge,
  AttemptDetail,
  CallbackParams,
  Channel,
  Charges,
  CreateSessionParams,
  CreateSessionResponse,
  ListMeta,
  ListSessionsFilter,
  Session,
  SessionList,
  SessionStatus,
  StatusCallback,
  ValidateSessionResponse,
  VerifyClientOptions,
  VerifyErrorCode,
  VerifyProxyOptions,
} from "plivo-verify-wasm";
import * as raw from "plivo-verify-wasm/raw";

/** Fails to compile when T is `any`. */
type NotAny<T> = 0 extends 1 & T ? never : T;
function notAny<T>(value: NotAny<T>): T {
  return value;
}
/** Compiles only when A and B are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function same<A, B>(_proof: Equals<A, B>): void {}

interface Env {
  PLIVO_AUTH_ID: string;
  PLIVO_AUTH_TOKEN: string;
  PLIVO_BASE_URL?: string;
}

export async function flow(env: Env): Promise<void> {
  const options: VerifyClientOptions = {
    authId: env.PLIVO_AUTH_ID,
    authToken: env.PLIVO_AUTH_TOKEN,
    baseUrl: env.PLIVO_BASE_URL,
    timeoutMs: 5000,
    maxRetries: 3,
    fetch: (input, init) => fetch(input, init),
    userAgent: "my-app/1.0",
  };
  const client = new VerifyClient(options);
  const fromEnv: VerifyClient = VerifyClient.fromEnv({ ...env });
  const fromProcessEnv: VerifyClient = VerifyClient.fromEnv();

  const params: CreateSessionParams = {
    recipient: "+14155550100",
    appUuid: "8e712097-8090-4644-81e7-8f4265d8354e",
    channel: "voice",
    url: "https://example.com/callback",
    method: "POST",
    locale: "en_US",
    brandName: "Acme",
    appHash: "FA+9qCX9VSu",
    codeLength: 6,
    dtmf: 1,
    fraudCheck: "block",
    otp: "123456",
  };
  const created: CreateSessionResponse = await client.createSession(params);
  const uuid: string = notAny(created.sessionUuid);
  const apiId: string | null = notAny(created.apiId);
  const message: string | null = notAny(created.message);
  await fromEnv.createSession({ recipient: "14155550100" });

  const validated: ValidateSessionResponse = await client.validateSession(uuid, "123456");
  const validatedMessage: string | null = notAny(validated.message);
  const validatedApiId: string | null = notAny(validated.apiId);
  const validatedUuid: string | null = notAny(validated.sessionUuid);

  const session: Session = await client.getSession(uuid);
  notAny(session);
  const sessionUuid: string = notAny(session.sessionUuid);
  const appUuid: string | null = notAny(session.appUuid);
  const recipient: string | null = notAny(session.recipient);
  const channel: Channel | string | null = notAny(session.channel);
  const status: SessionStatus | null = notAny(session.status);
  // Known values autocomplete; values Plivo may add later still type-check as strings.
  const statuses: SessionStatus[] = ["verified", "expired", "in-progress", "some-future-status"];
  const isVerified: boolean = status === "verified";
  const locale: string | null = notAny(session.locale);
  const count: number | null = notAny(session.count);
  const attempts: AttemptDetail[] = notAny(session.attemptDetails);
  for (const attempt of attempts) {
    const c: string | null = notAny(attempt.channel);
    const a: string | null = notAny(attempt.attemptUuid);
    const s: string | null = notAny(attempt.status);
    const t: string | null = notAny(attempt.time);
    const settings: [string | null, string | null, number | null, number | null, string | null] = [
      notAny(attempt.brandName),
      notAny(attempt.appHash),
      notAny(attempt.codeLength),
      notAny(attempt.dtmf),
      notAny(attempt.fraudCheck),
    ];
  }
  const charges: Charges | null = notAny(session.charges);
  if (charges) {
    const total: string | null = notAny(charges.totalCharge);
    const validation: string | null = notAny(charges.validationCharge);
    const perAttempt: AttemptCharge[] = notAny(charges.attemptCharges);
    const first = perAttempt[0];
    const charge: string | null = first ? notAny(first.charge) : null;
    const attemptUuid: string | null = first ? notAny(first.attemptUuid) : null;
    const attemptChannel: string | null = first ? notAny(first.channel) : null;
  }
  const createdAt: string | null = notAny(session.createdAt);
  const updatedAt: string | null = notAny(session.updatedAt);
  const extras: [string | null, string | null, string | null, string | null, string | undefined] = [
    notAny(session.alias),
    notAny(session.requestorIp),
    notAny(session.destinationCountryIso2),
    notAny(session.destinationNetwork),
    notAny(session.apiId),
  ];

  const filter: ListSessionsFilter = {
    appUuid: "8e712097-8090-4644-81e7-8f4265d8354e",
    status: "verified",
    recipient: "+14155550100",
    subaccount: "SAXXXXXXXXXXXXXXXXXX",
    limit: 20,
    offset: 40,
    sessionTime: "2024-01-01 10:00",
    sessionTimeGt: "2024-01-01 10:00",
    sessionTimeGte: "2024-01-01 10:00:00",
    sessionTimeLt: "2024-01-02 10:00:00.5",
    sessionTimeLte: "2024-01-02 10:00",
    brandName: "Acme",
    appHash: "FA+9qCX9VSu",
    country: "IN",
    alias: "new_voice45",
  };
  const page: SessionList = await client.listSessions(filter);
  const meta: ListMeta = notAny(page.meta);
  const next: string | null = notAny(meta.next);
  const previous: string | null = notAny(meta.previous);
  const limit: number | null = notAny(meta.limit);
  const offset: number | null = notAny(meta.offset);
  const listed: Session[] = notAny(page.sessions);
  const pageApiId: string | null = notAny(page.apiId);
  const everything: SessionList = await client.listSessions();
  const noFilter: SessionList = await fromProcessEnv.listSessions({});

  for await (const s of client.sessions({ status: "expired" })) {
    same<typeof s, Session>(true);
    if (s.status === "expired") break;
  }
  for await (const s of client.sessions()) notAny(s);

  try {
    await client.getSession(uuid);
  } catch (error) {
    if (error instanceof VerifyError) {
      same<typeof error.code, VerifyErrorCode>(true);
      const code: VerifyErrorCode = error.code;
      switch (code) {
        case "invalid_argument": {
          const argument: string | undefined = notAny(error.argument);
          break;
        }
        case "rate_limited": {
          const wait: number | undefined = notAny(error.retryAfterMs);
          break;
        }
        case "not_found":
        case "authentication":
        case "forbidden":
        case "method_not_allowed":
        case "server_error":
        case "timeout":
        case "network":
        case "invalid_response":
        case "invalid_signature":
        case "bad_request":
        case "invalid_proof":
        case "expired_proof":
        case "origin_not_allowed":
        case "country_not_allowed":
        case "payload_too_large":
        case "unsupported_media_type":
        case "invalid_json":
        case "rejected":
        case "upstream_error":
        case "upstream_timeout":
        case "limits_unavailable":
        case "on_status_failed":
        case "in_progress":
        case "challenge_failed":
        case "replayed_callback":
          break;
        default: {
          const exhaustive: never = code;
        }
      }
      const httpStatus: number | undefined = notAny(error.status);
      const requestId: string | undefined = notAny(error.apiId);
      const name: "VerifyError" = error.name;
      const asError: Error = error;
    }
  }
}

export async function callbacks(request: Request, authToken: string): Promise<Response> {
  const callback: StatusCallback = await verifyCallbackRequest(request, authToken);
  await verifyCallbackRequest(request, authToken, { url: "https://example.com/cb", subaccountTokens: ["sub-token"] });
  const fields: [number | null, string | null, string | null, string | null, string | null, string | null, string | null, string | null, string] = [
    notAny(callback.attemptSequence),
    notAny(callback.attemptUuid),
    notAny(callback.channel),
    notAny(callback.channelErrorCode),
    notAny(callback.channelStatus),
    notAny(callback.recipient),
    notAny(callback.requestTime),
    notAny(callback.sessionStatus),
    notAny(callback.sessionUuid),
  ];
  const sources: CallbackParams[] = [new URLSearchParams("a=b"), { SessionUUID: "x" }, "SessionUUID=x", { Channel: ["sms"] }];
  for (const source of sources) {
    const parsed: StatusCallback = parseStatusCallback(source);
  }
  const v3: boolean = verifyCallbackSignature({
    method: "POST",
    url: request.url,
    params: await request.clone().text(),
    nonce: request.headers.get("x-plivo-signature-v3-nonce") ?? "",
    signature: request.headers.get("x-plivo-signature-v3") ?? "",
    authToken,
  });
  const v2: boolean = verifyCallbackSignatureV2({
    url: request.url,
    nonce: request.headers.get("x-plivo-signature-v2-nonce") ?? "",
    signature: request.headers.get("x-plivo-signature-v2") ?? undefined,
    maSignature: request.headers.get("x-plivo-signature-ma-v2") ?? undefined,
    authToken,
  });
  return new Response(null, { status: v3 || v2 ? 204 : 403 });
}

export function rawEntry(bytes: Uint8Array): void {
  raw.initSync({ module: bytes });
  const client: raw.VerifyClient = new raw.VerifyClient({ authId: "MA", authToken: "t" });
  void raw.default({ module_or_path: new URL("https://example.com/x.wasm") });
}

export function wrongArguments(client: VerifyClient, request: Request): void {
  // @ts-expect-error authToken is required
  new VerifyClient({ authId: "MA" });
  // @ts-expect-error timeoutMs is a number
  new VerifyClient({ authId: "MA", authToken: "t", timeoutMs: "1000" });
  // @ts-expect-error fetch is a function
  new VerifyClient({ authId: "MA", authToken: "t", fetch: "fetch" });
  // @ts-expect-error unknown option
  new VerifyClient({ authId: "MA", authToken: "t", authTokn: "t" });
  // @ts-expect-error options are required
  new VerifyClient();
  // @ts-expect-error env is an object
  VerifyClient.fromEnv(42);

  // @ts-expect-error recipient is required
  void client.createSession({});
  // @ts-expect-error recipient is a string
  void client.createSession({ recipient: 14155550100 });
  // @ts-expect-error channel is "sms" or "voice"
  void client.createSession({ recipient: "+14155550100", channel: "fax" });
  // @ts-expect-error method is "GET" or "POST"
  void client.createSession({ recipient: "+14155550100", method: "PUT" });
  // @ts-expect-error codeLength is a number
  void client.createSession({ recipient: "+14155550100", codeLength: "6" });
  // @ts-expect-error camelCase only
  void client.createSession({ recipient: "+14155550100", brand_name: "Acme" });

  // @ts-expect-error sessionUuid is a string
  void client.getSession(42);
  // @ts-expect-error sessionUuid is required
  void client.getSession();
  // @ts-expect-error otp is a string
  void client.validateSession("8e712097-8090-4644-81e7-8f4265d8354e", 123456);
  // @ts-expect-error otp is required
  void client.validateSession("8e712097-8090-4644-81e7-8f4265d8354e");

  // @ts-expect-error limit is a number
  void client.listSessions({ limit: "5" });
  // @ts-expect-error status is one of the documented three
  void client.listSessions({ status: "done" });
  // @ts-expect-error filter is an object
  void client.listSessions("status=verified");
  // @ts-expect-error snake_case filters do not exist
  client.sessions({ session_time__gt: "2024-01-01 10:00" });

  // @ts-expect-error method is "GET" or "POST"
  verifyCallbackSignature({ method: "PUT", url: "u", nonce: "n", signature: "s", authToken: "t" });
  // @ts-expect-error authToken is required
  verifyCallbackSignature({ method: "GET", url: "u", nonce: "n", signature: "s" });
  // @ts-expect-error nonce is a string
  verifyCallbackSignatureV2({ url: "u", nonce: 1, signature: "s", authToken: "t" });
  // @ts-expect-error a fetch Request, not a URL
  void verifyCallbackRequest("https://example.com/cb", "t");
  // @ts-expect-error the token is a string
  void verifyCallbackRequest(request, 42);
  // @ts-expect-error allowV2 is no longer an option
  void verifyCallbackRequest(request, "t", { allowV2: true });
  // @ts-expect-error subaccountTokens is an array of strings
  void verifyCallbackRequest(request, "t", { subaccountTokens: "sub-token" });
  // @ts-expect-error params are URLSearchParams, a record of strings or a string
  parseStatusCallback(42);
  // @ts-expect-error values are strings
  parseStatusCallback({ SessionUUID: 1 });

  // @ts-expect-error the results are typed: no such field
  void client.getSession("x").then((s) => s.sessionUUID);
  // @ts-expect-error status is a string, not a number
  void client.getSession("x").then((s): number | null => s.status);
  // @ts-expect-error a boolean, not a Promise
  void verifyCallbackSignatureV2({ url: "u", nonce: "n", signature: "s", authToken: "t" }).then;

  const code: VerifyErrorCode = "timeout";
  // @ts-expect-error not a VerifyErrorCode
  const wrong: VerifyErrorCode = "teapot";
}

export function proxy(env: { PLIVO_AUTH_ID: string; PLIVO_AUTH_TOKEN: string; PROOF_SECRET: string }): VerifyProxy {
  const options: VerifyProxyOptions = {
    authId: env.PLIVO_AUTH_ID,
    authToken: env.PLIVO_AUTH_TOKEN,
    proofSecret: env.PROOF_SECRET,
    subaccountTokens: ["sub-token"],
    trustForwardedFor: 2,
    clientIp: (request: Request) => request.headers.get("x-real-ip") ?? "",
    maxResponseBytes: 65536,
  };
  void new VerifyProxy({ ...options, trustForwardedFor: true, clientIp: async () => "203.0.113.7" });
  // @ts-expect-error trustForwardedFor is a boolean or a number
  void new VerifyProxy({ ...options, trustForwardedFor: "yes" });
  // @ts-expect-error clientIp gives a string
  void new VerifyProxy({ ...options, clientIp: () => 42 });
  // @ts-expect-error allowV2 is no longer an option
  void new VerifyProxy({ ...options, allowV2: true });
  // A worker's env, with the code-only settings on top.
  const fromEnv: VerifyProxy = VerifyProxy.fromEnv({ ...env }, { basePath: "/verify", onStatus: () => {} });
  void fromEnv;
  void VerifyProxy.fromEnv();
  // @ts-expect-error basePath is a string
  void VerifyProxy.fromEnv({ ...env }, { basePath: 1 });
  return new VerifyProxy(options);
}
