// The bad-input table (issue 13): wrong values for every argument of every exported
// function and constructor, hostile ones among them (Proxies that throw or are revoked,
// getters that throw, 1 MB strings, lone surrogates, control characters, extreme numbers,
// `__proto__` keys). Each must throw (or reject with) a VerifyError `invalid_argument`
// naming the argument, before anything is sent. Shared by bad-input.test.mjs (Node, against
// a sandbox) and runtimes/hostile.mjs (Deno, Bun and workerd): it imports nothing, and is
// handed the package and what it needs.

/** The secret a case passes as a token: no message may repeat it. */
export const SECRET = "s3cret token with spaces";

/** Every function the table covers. */
export const FUNCTIONS = [
  "new VerifyClient",
  "VerifyClient.fromEnv",
  "createSession",
  "getSession",
  "validateSession",
  "listSessions",
  "sessions",
  "verifyCallbackSignature",
  "verifyCallbackSignatureV2",
  "verifyCallbackRequest",
  "parseStatusCallback",
  "new VerifyProxy",
  "VerifyProxy.fromEnv",
  "verifyProof",
];

/** A value as a case's name shows it (some cannot be printed at all). */
export const show = (v) => {
  if (typeof v === "string") return JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "function";
  if (typeof v === "symbol") return "symbol";
  if (v === undefined) return "undefined";
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    try {
      return String(v);
    } catch {
      return "a value that cannot be printed (a Proxy)";
    }
  }
};

/**
 * The cases: `{ fn, argument, value, call }`. `api`: the package's exports; `client()`: a
 * VerifyClient whose fetch the caller watches (asked for when a case runs); `clientOptions()`: valid options of a
 * VerifyClient; `clientEnv()`: valid variables of VerifyClient.fromEnv.
 */
export function buildTable({ api, client, clientOptions, clientEnv }) {
  const cases = [];
  const add = (fn, argument, values, call) => {
    for (const value of values) cases.push({ fn, argument, value, call: () => call(value) });
  };
  const UUID = "8e712097-8090-4644-81e7-8f4265d8354e";


  // Values of the wrong JS type, for any argument that wants a string.
  const NOT_STRINGS = [null, 42, 0, Number.NaN, true, false, {}, [], ["x"], () => "x", 10n, Symbol("s")];
  // For an argument that wants an integer.
  const NOT_INTEGERS = [null, "5", "", true, {}, [], [5], Number.NaN, Number.POSITIVE_INFINITY, 10n];
  // For an argument that wants an options object.
  const NOT_OBJECTS = [null, 42, "x", true, [], [{}], () => ({}), Symbol("o")];

  const show = (v) => {
    if (typeof v === "string") return JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v);
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "function") return "function";
    if (typeof v === "symbol") return "symbol";
    if (v === undefined) return "undefined";
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      try {
        return String(v);
      } catch {
        return "a value that cannot be printed (a Proxy)";
      }
    }
  };


  // --- new VerifyClient(options) -------------------------------------------------------
  const good = () => clientOptions();
  const clientWith = (key, value) => new api.VerifyClient({ ...good(), [key]: value });
  const clientWithout = (key) => {
    const options = good();
    delete options[key];
    return new api.VerifyClient(options);
  };
  add("new VerifyClient", "options", [undefined, ...NOT_OBJECTS], (v) => new api.VerifyClient(v));
  add("new VerifyClient", "authId", NOT_STRINGS, (v) => clientWith("authId", v));
  add("new VerifyClient", "authId", ["", "MA:XX", "MA XX", "a\nb", "x".repeat(300), "MA/../../x", "MA?x=1", "MA#x", "MA%2F", "MA.X", "MAÉ"], (v) => clientWith("authId", v));
  add("new VerifyClient", "authId", [undefined], () => clientWithout("authId"));
  add("new VerifyClient", "authToken", NOT_STRINGS, (v) => clientWith("authToken", v));
  add("new VerifyClient", "authToken", ["", SECRET, "tab\there"], (v) => clientWith("authToken", v));
  add("new VerifyClient", "authToken", [undefined], () => clientWithout("authToken"));
  add("new VerifyClient", "baseUrl", NOT_STRINGS, (v) => clientWith("baseUrl", v));
  add("new VerifyClient", "baseUrl", ["", "api.plivo.com", "ftp://api.plivo.com", "/v1", "https://", "javascript:alert(1)"], (v) => clientWith("baseUrl", v));
  add("new VerifyClient", "timeoutMs", [...NOT_INTEGERS, 0, -1, 1.5, 600_001], (v) => clientWith("timeoutMs", v));
  add("new VerifyClient", "maxRetries", [...NOT_INTEGERS, -1, 11, 0.5], (v) => clientWith("maxRetries", v));
  add("new VerifyClient", "fetch", [null, "fetch", 42, true, {}, []], (v) => clientWith("fetch", v));
  add("new VerifyClient", "userAgent", [...NOT_STRINGS, "", "  ", "a\nb"], (v) => clientWith("userAgent", v));
  add("new VerifyClient", "authTokn", ["typo"], (v) => clientWith("authTokn", v));

  // --- VerifyClient.fromEnv(env) ---------------------------------------------------------
  const env = () => clientEnv();
  const envWith = (key, value) => api.VerifyClient.fromEnv({ ...env(), [key]: value });
  add("VerifyClient.fromEnv", "env", [42, "PLIVO_AUTH_ID=x", true, []], (v) => api.VerifyClient.fromEnv(v));
  add("VerifyClient.fromEnv", "PLIVO_AUTH_ID", [undefined, "", 42, null, {}], (v) => envWith("PLIVO_AUTH_ID", v));
  add("VerifyClient.fromEnv", "PLIVO_AUTH_ID", ["MA:XX"], (v) => envWith("PLIVO_AUTH_ID", v));
  add("VerifyClient.fromEnv", "PLIVO_AUTH_TOKEN", [undefined, "", 42, true, SECRET], (v) => envWith("PLIVO_AUTH_TOKEN", v));
  add("VerifyClient.fromEnv", "PLIVO_BASE_URL", [42, {}, "api.plivo.com", "ftp://x"], (v) => envWith("PLIVO_BASE_URL", v));

  // --- createSession(params) ---------------------------------------------------------------
  const create = (params) => client().createSession(params);
  const createWith = (key, value) => create({ recipient: "+14155550100", [key]: value });
  add("createSession", "params", [undefined, ...NOT_OBJECTS], create);
  add("createSession", "recipient", [undefined, ...NOT_STRINGS], (v) => create({ recipient: v }));
  add("createSession", "recipient", [14155550100, "", "abc", "+", "+123456", "+1234567890123456", "+1 415 555 0100", "++14155550100", "1415555010a", "+14155550100\n"], (v) => create({ recipient: v }));
  add("createSession", "appUuid", [...NOT_STRINGS, "", "nope", UUID.slice(0, 35), `${UUID}0`, "../../../etc/passwd-aaaaaaaaaaaaaaaaa", UUID.replace(/-/g, "_")], (v) => createWith("appUuid", v));
  add("createSession", "channel", [...NOT_STRINGS, "", "SMS", "Voice", "fax", "whatsapp"], (v) => createWith("channel", v));
  add("createSession", "url", [...NOT_STRINGS, "", "/relative", "example.com/cb", "ftp://x/y", "javascript:alert(1)", "https://", "https://a b/"], (v) => createWith("url", v));
  add("createSession", "method", [...NOT_STRINGS, "", "PUT", "get", "post", "DELETE"], (v) => createWith("method", v));
  add("createSession", "locale", [...NOT_STRINGS, "", "e", "en US", "en/US"], (v) => createWith("locale", v));
  add("createSession", "brandName", [...NOT_STRINGS, "", "   ", "x".repeat(65)], (v) => createWith("brandName", v));
  add("createSession", "appHash", [...NOT_STRINGS, "", " ", "y".repeat(65)], (v) => createWith("appHash", v));
  add("createSession", "codeLength", [...NOT_INTEGERS, 3, 9, 6.5, -6, 0], (v) => createWith("codeLength", v));
  add("createSession", "dtmf", [...NOT_INTEGERS, -1, 1.5, 2 ** 53], (v) => createWith("dtmf", v));
  add("createSession", "fraudCheck", [...NOT_STRINGS, "", " ", "z".repeat(65)], (v) => createWith("fraudCheck", v));
  add("createSession", "otp", [...NOT_STRINGS, 123456, "", "123", "123456789", "12a4", " 1234", "１２３４"], (v) => createWith("otp", v));
  add("createSession", "recipent", ["+14155550100"], (v) => createWith("recipent", v));
  add("createSession", "code_length", [6], (v) => createWith("code_length", v));

  // --- getSession(sessionUuid) ---------------------------------------------------------------
  const BAD_UUIDS = [
    "",
    "nope",
    UUID.slice(0, 35),
    `${UUID}/`,
    `${UUID.slice(0, 35)}/`,
    "../../../../../../../../../../../../x",
    `${UUID.slice(0, 33)}%2F`,
    UUID.replace(/-/g, ""),
    UUID.toUpperCase().replace("E", "G"),
    ` ${UUID.slice(1)}`,
  ];
  add("getSession", "sessionUuid", [undefined, ...NOT_STRINGS, ...BAD_UUIDS], (v) => client().getSession(v));

  // --- validateSession(sessionUuid, otp) -----------------------------------------------------
  add("validateSession", "sessionUuid", [undefined, ...NOT_STRINGS, ...BAD_UUIDS], (v) => client().validateSession(v, "123456"));
  add("validateSession", "otp", [undefined, ...NOT_STRINGS, 123456, "", "123", "123456789", "12a4", " 1234", "1234 ", "１２３４", "12.4"], (v) => client().validateSession(UUID, v));

  // --- listSessions(filter) and sessions(filter) ----------------------------------------------
  const BAD_TIMES = [...NOT_STRINGS, "", "yesterday", "2021-03-21", "2021-03-21T11:47", "2021-02-29 11:47", "2021-03-21 24:00", "2021-03-21 11:60", "2021-03-21 11:47:30.1234567", "1969-12-31 23:59"];
  const filterCases = [
    ["filter", [...NOT_OBJECTS], (v) => v],
    ["appUuid", [...NOT_STRINGS, "", "nope"]],
    ["status", [...NOT_STRINGS, "", "done", "Verified", "in progress"]],
    ["recipient", [...NOT_STRINGS, "", "+1", "abc"]],
    ["subaccount", [...NOT_STRINGS, "", "MAXXXXXXXXXXXXXXXXXX", "SA123"]],
    ["limit", [...NOT_INTEGERS, 0, 21, 2.5, -1]],
    ["offset", [...NOT_INTEGERS, -1, 1.5]],
    ["sessionTime", BAD_TIMES],
    ["sessionTimeGt", BAD_TIMES],
    ["sessionTimeGte", BAD_TIMES],
    ["sessionTimeLt", BAD_TIMES],
    ["sessionTimeLte", BAD_TIMES],
    ["brandName", [...NOT_STRINGS, "", " "]],
    ["appHash", [...NOT_STRINGS, ""]],
    ["country", [...NOT_STRINGS, "", "us", "USA", "U", "1"]],
    ["alias", [...NOT_STRINGS, "", " "]],
    ["sessionTimeGT", ["2021-03-21 11:47"]],
    ["session_time__gt", ["2021-03-21 11:47"]],
  ];
  for (const [argument, values, make = (v) => ({ [argument]: v })] of filterCases) {
    add("listSessions", argument, values, (v) => client().listSessions(make(v)));
    // sessions() hands the error out on the first next(), the way `for await` sees it.
    add("sessions", argument, values, async (v) => {
      for await (const _ of client().sessions(make(v))) {
        throw new Error("sessions() yielded for a bad filter");
      }
    });
  }

  // --- verifyCallbackSignature(params), verifyCallbackSignatureV2(params) ----------------------
  const v3 = () => ({ method: "POST", url: "https://example.com/cb", params: { SessionUUID: UUID }, nonce: "12345", signature: "c2lnbmF0dXJl", authToken: "token" });
  const v3With = (key, value) => api.verifyCallbackSignature({ ...v3(), [key]: value });
  const v3Without = (key) => {
    const params = v3();
    delete params[key];
    return api.verifyCallbackSignature(params);
  };
  add("verifyCallbackSignature", "params", [undefined, ...NOT_OBJECTS], (v) => api.verifyCallbackSignature(v));
  for (const key of ["method", "url", "nonce", "signature", "authToken"]) {
    add("verifyCallbackSignature", key, [undefined], () => v3Without(key));
    add("verifyCallbackSignature", key, [...NOT_STRINGS, ""], (v) => v3With(key, v));
  }
  add("verifyCallbackSignature", "method", ["PUT", "HEAD"], (v) => v3With("method", v));
  add("verifyCallbackSignature", "url", ["/cb", "example.com/cb", "ftp://x/cb"], (v) => v3With("url", v));
  add("verifyCallbackSignature", "params", [42, true, [["SessionUUID", UUID]], { SessionUUID: 42 }, { SessionUUID: null }, { SessionUUID: [1] }], (v) => v3With("params", v));
  add("verifyCallbackSignature", "authtoken", ["token"], (v) => v3With("authtoken", v));

  const v2 = () => ({ url: "https://example.com/cb", nonce: "12345", signature: "c2lnbmF0dXJl", authToken: "token" });
  const v2With = (key, value) => api.verifyCallbackSignatureV2({ ...v2(), [key]: value });
  add("verifyCallbackSignatureV2", "params", [undefined, ...NOT_OBJECTS], (v) => api.verifyCallbackSignatureV2(v));
  for (const key of ["url", "nonce", "signature", "authToken"]) {
    add("verifyCallbackSignatureV2", key, [undefined, ...NOT_STRINGS, ""], (v) => v2With(key, v));
  }
  add("verifyCallbackSignatureV2", "maSignature", [...NOT_STRINGS, ""], (v) => v2With("maSignature", v));
  add("verifyCallbackSignatureV2", "subaccountTokens", [null, "tok", 1, {}, [1], [""], ["has space"]], (v) => v2With("subaccountTokens", v));
  add("verifyCallbackSignatureV2", "allowV2", [true], (v) => v2With("allowV2", v));
  add("verifyCallbackSignatureV2", "url", ["/cb", "ftp://x/cb"], (v) => v2With("url", v));
  add("verifyCallbackSignatureV2", "method", ["POST"], (v) => v2With("method", v));

  // --- verifyCallbackRequest(request, authToken, options) ------------------------------------
  const callbackRequest = () =>
    new Request("https://example.com/cb", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-plivo-signature-v3": "c2ln", "x-plivo-signature-v3-nonce": "1" },
      body: `SessionUUID=${UUID}`,
    });
  add("verifyCallbackRequest", "request", [undefined, null, 42, "https://example.com/cb", true, {}, [], new URL("https://example.com/cb")], (v) => api.verifyCallbackRequest(v, "token"));
  add("verifyCallbackRequest", "authToken", [undefined, ...NOT_STRINGS, "", "   "], (v) => api.verifyCallbackRequest(callbackRequest(), v));
  add("verifyCallbackRequest", "options", NOT_OBJECTS, (v) => api.verifyCallbackRequest(callbackRequest(), "token", v));
  add("verifyCallbackRequest", "url", [...NOT_STRINGS, "", "/cb", "ftp://x/cb"], (v) => api.verifyCallbackRequest(callbackRequest(), "token", { url: v }));
  add("verifyCallbackRequest", "allowV2", [true, false, null, "yes", 1, {}], (v) => api.verifyCallbackRequest(callbackRequest(), "token", { allowV2: v }));
  add("verifyCallbackRequest", "subaccountTokens", [null, "tok", 1, {}, [1], [""], ["has space"], [null], Array(101).fill("t")], (v) =>
    api.verifyCallbackRequest(callbackRequest(), "token", { subaccountTokens: v }),
  );
  add("verifyCallbackRequest", "limitStore", [null, 1, "x", {}, { idFromName: 1 }], (v) => api.verifyCallbackRequest(callbackRequest(), "token", { limitStore: v }));
  add("verifyCallbackRequest", "allowv2", [true], (v) => api.verifyCallbackRequest(callbackRequest(), "token", { allowv2: v }));

  // --- parseStatusCallback(params) -------------------------------------------------------------
  add("parseStatusCallback", "params", [undefined, null, 42, true, [], [["SessionUUID", UUID]], () => "x", 10n, "", "?", "Channel=sms", {}, { SessionUUID: "" }, { SessionUUID: 42 }, { SessionUUID: null }, { SessionUUID: [UUID, 1] }, new URLSearchParams("Channel=sms")], (v) => api.parseStatusCallback(v));

  // --- new VerifyProxy(options) ---------------------------------------------------------
  // The proxy's own options; those it shares with VerifyClient are the rows above.
  const proxyGood = () => ({ authId: "MAXXXXXXXXXXXXXXXXXX", authToken: "token", proofSecret: "p".repeat(32) });
  const proxyWith = (key, value) => new api.VerifyProxy({ ...proxyGood(), [key]: value });
  const proxyWithout = (key, extra) => {
    const options = { ...proxyGood(), ...extra };
    delete options[key];
    return new api.VerifyProxy(options);
  };
  const limitsWith = (key, value) => proxyWith("limits", { [key]: value });
  const NOT_LISTS = [null, "US", 1, true, {}, () => []];
  const BAD_WINDOWS = [null, 5, "5", [], [5], [5, 60, 1], [-1, 60], [5, 0], [1.5, 60], [5, "60"], [5, 3.3e7], { count: 5, secs: 60 }];
  const fakeStore = { idFromName: () => ({}), get: () => ({ fetch: async () => new Response("{}") }) };
  add("new VerifyProxy", "options", [undefined, ...NOT_OBJECTS], (v) => new api.VerifyProxy(v));
  add("new VerifyProxy", "proofSecret", [undefined], () => proxyWithout("proofSecret"));
  add("new VerifyProxy", "proofSecret", [...NOT_STRINGS.filter((v) => !Array.isArray(v)), "", "short", "p".repeat(31)], (v) => proxyWith("proofSecret", v));
  add("new VerifyProxy", "proofSecrets", [null, "p".repeat(32), [], ["short"], [42], Array(5).fill("p".repeat(32))], (v) => proxyWithout("proofSecret", { proofSecrets: v }));
  add("new VerifyProxy", "proofSecrets", [["p".repeat(32)]], (v) => proxyWith("proofSecrets", v));
  add("new VerifyProxy", "proofIssuer", [...NOT_STRINGS, "", "has space", "x".repeat(129)], (v) => proxyWith("proofIssuer", v));
  add("new VerifyProxy", "proofAudience", [...NOT_STRINGS, "", "a\nb", "x".repeat(129)], (v) => proxyWith("proofAudience", v));
  add("new VerifyProxy", "proofTtlSecs", [...NOT_INTEGERS, 0, -1, 1.5, 86_401], (v) => proxyWith("proofTtlSecs", v));
  add("new VerifyProxy", "appUuid", [...NOT_STRINGS, "", "nope"], (v) => proxyWith("appUuid", v));
  add("new VerifyProxy", "codeLength", [...NOT_INTEGERS, 3, 9], (v) => proxyWith("codeLength", v));
  add("new VerifyProxy", "basePath", [...NOT_STRINGS, "", "verify", "/a b"], (v) => proxyWith("basePath", v));
  add("new VerifyProxy", "allowedOrigins", [...NOT_LISTS, ["app.example.com"], ["https://app.example.com/"], [42]], (v) => proxyWith("allowedOrigins", v));
  add("new VerifyProxy", "publicUrl", [...NOT_STRINGS, "", "/relative", "ftp://x"], (v) => proxyWith("publicUrl", v));
  add("new VerifyProxy", "allowedCountryCodes", [...NOT_LISTS, ["+1"], ["0"], ["1234"], [1]], (v) => proxyWith("allowedCountryCodes", v));
  add("new VerifyProxy", "allowedCountries", [...NOT_LISTS, ["us"], ["USA"], ["XX"], [""], [1], ["US", null]], (v) => proxyWith("allowedCountries", v));
  add("new VerifyProxy", "shadow", [null, 0, 1, "true", "false", {}, []], (v) => proxyWith("shadow", v));
  add("new VerifyProxy", "maxMemoryKeys", [...NOT_INTEGERS, 0, -1, 1.5], (v) => proxyWith("maxMemoryKeys", v));
  add("new VerifyProxy", "maxMemoryKeys", [1000], (v) => new api.VerifyProxy({ ...proxyGood(), limitStore: fakeStore, maxMemoryKeys: v }));
  add("new VerifyProxy", "bodyTimeoutMs", [...NOT_INTEGERS, 0, 99, 60_001, 1.5], (v) => proxyWith("bodyTimeoutMs", v));
  add("new VerifyProxy", "limitShards", [8], (v) => proxyWith("limitShards", v));
  add("new VerifyProxy", "limitShards", [...NOT_INTEGERS, 0, 1025, 2.5], (v) => new api.VerifyProxy({ ...proxyGood(), limitStore: fakeStore, limitShards: v }));
  add("new VerifyProxy", "limitStore", [null, 1, "x", {}, { idFromName: 1 }], (v) => proxyWith("limitStore", v));
  add("new VerifyProxy", "trustForwardedFor", [null, 0, 11, 1.5, "true", {}], (v) => proxyWith("trustForwardedFor", v));
  add("new VerifyProxy", "clientIp", [null, "1.2.3.4", 42, {}], (v) => proxyWith("clientIp", v));
  add("new VerifyProxy", "onStatus", [null, "log", 42, {}], (v) => proxyWith("onStatus", v));
  add("new VerifyProxy", "limits", [null, 42, "strict", true, []], (v) => proxyWith("limits", v));
  for (const key of ["sendsPerRecipient", "sendsPerRecipientIp", "sendsPerIp", "sendsTotal", "sendsPerPrefix", "voicePerRecipient", "failuresPerRecipient", "failuresPerIp", "readsPerIp"]) {
    add("new VerifyProxy", `limits.${key}`, BAD_WINDOWS, (v) => limitsWith(key, v));
  }
  add("new VerifyProxy", "limits.resendAfterSecs", [...NOT_INTEGERS, -1, 86_401, 0.5], (v) => limitsWith("resendAfterSecs", v));
  add("new VerifyProxy", "limits.checksPerSession", [...NOT_INTEGERS, 0, 101, 2.5], (v) => limitsWith("checksPerSession", v));
  add("new VerifyProxy", "limits.failureCooldowns", [null, [], [5, 300], [[5, 300], null], [[5]], Array(9).fill([5, 300]), "[[5,300]]"], (v) => limitsWith("failureCooldowns", v));
  add("new VerifyProxy", "limits.sendsPerNumber", [[5, 60]], (v) => limitsWith("sendsPerNumber", v));
  add("new VerifyProxy", "proofsecret", ["p".repeat(32)], (v) => proxyWith("proofsecret", v));

  // --- VerifyProxy.fromEnv(env, options) -------------------------------------------------
  // Each variable's error names the variable (not the option it becomes), never its value.
  const proxyEnv = () => ({ PLIVO_AUTH_ID: "MAXXXXXXXXXXXXXXXXXX", PLIVO_AUTH_TOKEN: "token", PROOF_SECRET: "p".repeat(32) });
  const proxyEnvWith = (key, value) => api.VerifyProxy.fromEnv({ ...proxyEnv(), [key]: value });
  add("VerifyProxy.fromEnv", "env", [42, "PLIVO_AUTH_ID=x", true, []], (v) => api.VerifyProxy.fromEnv(v));
  add("VerifyProxy.fromEnv", "options", [null, 42, "x", true, []], (v) => api.VerifyProxy.fromEnv(proxyEnv(), v));
  add("VerifyProxy.fromEnv", "PLIVO_AUTH_ID", [undefined, "", 42, {}, "MA:XX"], (v) => proxyEnvWith("PLIVO_AUTH_ID", v));
  add("VerifyProxy.fromEnv", "PLIVO_AUTH_TOKEN", [undefined, 42, SECRET], (v) => proxyEnvWith("PLIVO_AUTH_TOKEN", v));
  add("VerifyProxy.fromEnv", "PROOF_SECRET", [undefined, "", 42, "short"], (v) => proxyEnvWith("PROOF_SECRET", v));
  add("VerifyProxy.fromEnv", "PROOF_SECRET_PREVIOUS", [42, "short"], (v) => proxyEnvWith("PROOF_SECRET_PREVIOUS", v));
  // An option the app set itself is named as the option, even where a variable could set it.
  add("VerifyProxy.fromEnv", "publicUrl", ["example.com"], (v) => api.VerifyProxy.fromEnv({ ...proxyEnv(), PUBLIC_URL: "https://ok.example" }, { publicUrl: v }));
  add("VerifyProxy.fromEnv", "PUBLIC_URL", [42, "example.com", "ftp://x"], (v) => proxyEnvWith("PUBLIC_URL", v));
  add("VerifyProxy.fromEnv", "PROOF_AUDIENCE", [42, "has space"], (v) => proxyEnvWith("PROOF_AUDIENCE", v));
  add("VerifyProxy.fromEnv", "ALLOWED_ORIGINS", [42, true, "example.com", "https://a.example, nope"], (v) => proxyEnvWith("ALLOWED_ORIGINS", v));
  add("VerifyProxy.fromEnv", "ALLOWED_COUNTRIES", [42, "usa", "US,XX1"], (v) => proxyEnvWith("ALLOWED_COUNTRIES", v));
  add("VerifyProxy.fromEnv", "ALLOWED_COUNTRY_CODES", [42, "+44", "44,abc"], (v) => proxyEnvWith("ALLOWED_COUNTRY_CODES", v));
  add("VerifyProxy.fromEnv", "PLIVO_SUBACCOUNT_TOKENS", [42, {}], (v) => proxyEnvWith("PLIVO_SUBACCOUNT_TOKENS", v));
  add("VerifyProxy.fromEnv", "SHADOW", [42, "yes", "1", {}], (v) => proxyEnvWith("SHADOW", v));
  add("VerifyProxy.fromEnv", "LIMITS", [42, true, "{", "[1,2]"], (v) => proxyEnvWith("LIMITS", v));
  add("VerifyProxy.fromEnv", "LIMITS.sendsPerRecipient", ['{"sendsPerRecipient":"x"}', { sendsPerRecipient: [-1, 60] }], (v) => proxyEnvWith("LIMITS", v));
  add("VerifyProxy.fromEnv", "LIMITS.nope", ['{"nope":[1,60]}'], (v) => proxyEnvWith("LIMITS", v));
  add("VerifyProxy.fromEnv", "VERIFY_LIMITER", [42, "VerifyLimiter", true, {}], (v) => proxyEnvWith("VERIFY_LIMITER", v));
  add("VerifyProxy.fromEnv", "LIMIT_SHARDS", ["x", "-1", "0", "1025", "1.5", true], (v) => api.VerifyProxy.fromEnv({ ...proxyEnv(), VERIFY_LIMITER: fakeStore, LIMIT_SHARDS: v }));

  // --- verifyProof(proof, proofSecret, options) -------------------------------------------
  const PROOF_SECRET = "q".repeat(32);
  add("verifyProof", "proof", [undefined, ...NOT_STRINGS, ""], (v) => api.verifyProof(v, PROOF_SECRET));
  add("verifyProof", "proofSecret", [undefined, ...NOT_STRINGS.filter((v) => !Array.isArray(v)), "", "short", [], ["short"], [PROOF_SECRET, 1], Array(5).fill(PROOF_SECRET)], (v) => api.verifyProof("a.b.c", v));
  add("verifyProof", "options", NOT_OBJECTS, (v) => api.verifyProof("a.b.c", PROOF_SECRET, v));
  add("verifyProof", "audience", [...NOT_STRINGS, "", "has space"], (v) => api.verifyProof("a.b.c", PROOF_SECRET, { audience: v }));
  add("verifyProof", "issuer", [...NOT_STRINGS, "", "x".repeat(129)], (v) => api.verifyProof("a.b.c", PROOF_SECRET, { issuer: v }));
  add("verifyProof", "audiance", ["x"], (v) => api.verifyProof("a.b.c", PROOF_SECRET, { audiance: v }));

  // --- hostile values (issue 13): Proxies that throw or are revoked, getters that throw,
  // 1 MB strings, lone surrogates, control characters, extreme numbers, `__proto__` keys ------
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const trap = (name) => () => {
    throw new Error(`${name} trap`);
  };
  const trapping = () => new Proxy({}, { ownKeys: trap("ownKeys"), get: trap("get"), getPrototypeOf: trap("getPrototypeOf"), has: trap("has"), getOwnPropertyDescriptor: trap("getOwnPropertyDescriptor") });
  const throwingGetter = () => ({
    get recipient() {
      throw new Error("a getter");
    },
  });
  // Objects no property of which can be read, and (for option bags whose keys are read) one
  // whose getter throws.
  const UNREADABLE = [revoked(), trapping(), new Proxy([], { get: trap("get") })];
  const HOSTILE_OBJECTS = [...UNREADABLE, throwingGetter()];
  const HOSTILE_STRINGS = ["x".repeat(1 << 20), "\uD800", "\uDC00+14155550100", "a\u0000b", "\u202E", revoked(), trapping(), { toString: trap("toString") }];
  const HOSTILE_COUNTS = [-0, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 64];
  add("new VerifyClient", "options", HOSTILE_OBJECTS, (v) => new api.VerifyClient(v));
  add("new VerifyClient", "authId", HOSTILE_STRINGS, (v) => clientWith("authId", v));
  add("new VerifyClient", "timeoutMs", HOSTILE_COUNTS, (v) => clientWith("timeoutMs", v));
  add("createSession", "params", HOSTILE_OBJECTS, create);
  add("createSession", "recipient", HOSTILE_STRINGS, (v) => create({ recipient: v }));
  add("createSession", "recipient", [JSON.parse('{"__proto__":{"recipient":"+14155550100"}}')], create);
  add("createSession", "codeLength", HOSTILE_COUNTS, (v) => createWith("codeLength", v));
  add("getSession", "sessionUuid", [...HOSTILE_STRINGS, `${UUID.slice(0, 34)}/..`, `..%2F${UUID.slice(5)}`], (v) => client().getSession(v));
  add("validateSession", "otp", HOSTILE_STRINGS, (v) => client().validateSession(UUID, v));
  add("listSessions", "filter", UNREADABLE, (v) => client().listSessions(v));
  add("listSessions", "limit", HOSTILE_COUNTS, (v) => client().listSessions({ limit: v }));
  add("verifyCallbackSignature", "params", UNREADABLE, (v) => api.verifyCallbackSignature(v));
  add("verifyCallbackSignature", "url", HOSTILE_STRINGS, (v) => v3With("url", v));
  add("parseStatusCallback", "params", UNREADABLE, (v) => api.parseStatusCallback(v));
  add("new VerifyProxy", "options", UNREADABLE, (v) => new api.VerifyProxy(v));
  add("new VerifyProxy", "limits", UNREADABLE, (v) => proxyWith("limits", v));
  add("verifyProof", "options", UNREADABLE, (v) => api.verifyProof("a.b.c", PROOF_SECRET, v));

  return cases;
}

/** What went wrong with one case, or null. `tokens`: strings no message may contain. */
export async function checkCase(api, c, tokens) {
  let error = null;
  try {
    await c.call();
  } catch (e) {
    error = e;
  }
  const where = `${c.argument} = ${show(c.value)}`;
  if (error === null) return `${where}: accepted`;
  if (!(error instanceof api.VerifyError) || !(error instanceof Error)) {
    return `${where}: threw ${error?.name ?? typeof error} (${error?.message}), not a VerifyError`;
  }
  if (error.code !== "invalid_argument" || error.argument !== c.argument) {
    return `${where}: code ${error.code}, argument ${error.argument} (${error.message})`;
  }
  if (typeof error.message !== "string" || !error.message.includes(c.argument)) {
    return `${where}: the message does not name the argument: ${error.message}`;
  }
  if (tokens.some((t) => error.message.includes(t))) return `${where}: the message repeats a token`;
  if (error.status !== undefined) return `${where}: has an HTTP status ${error.status}`;
  return null;
}

/** Plivo's answer to a create, for the check that the module still works after the table. */
const CREATED = '{"api_id":"3e3b1f6e-4a7b-11ef-9d2a-0242ac110003","message":"Session initiated","session_uuid":"4124e518-a8c9-4feb-8cff-d86636ba9234"}';

/**
 * Runs the whole table in this runtime, without a sandbox (nothing may be sent): a client
 * whose fetch counts calls, every case checked, then one real call to show the module still
 * works. Resolves to `{ cases, failed, problems (the first 20), fetchCalls, stillWorks }`.
 */
export async function runTable(api) {
  let fetchCalls = 0;
  const fetch = async () => {
    fetchCalls++;
    return new Response("{}", { status: 500 });
  };
  const options = { authId: "MAXXXXXXXXXXXXXXXXXX", authToken: "token", baseUrl: "https://api.plivo.example", fetch };
  const client = new api.VerifyClient(options);
  const cases = buildTable({
    api,
    client: () => client,
    clientOptions: () => ({ ...options }),
    clientEnv: () => ({ PLIVO_AUTH_ID: options.authId, PLIVO_AUTH_TOKEN: options.authToken, PLIVO_BASE_URL: options.baseUrl }),
  });
  const problems = [];
  for (const c of cases) {
    const problem = await checkCase(api, c, [SECRET]);
    if (problem) problems.push(`${c.fn}: ${problem}`);
  }
  const working = new api.VerifyClient({ ...options, fetch: async () => new Response(CREATED, { status: 202 }) });
  let stillWorks = false;
  try {
    stillWorks = (await working.createSession({ recipient: "+14155550100" })).sessionUuid === "4124e518-a8c9-4feb-8cff-d86636ba9234";
  } catch {
    stillWorks = false;
  }
  return { cases: cases.length, failed: problems.length, problems: problems.slice(0, 20), fetchCalls, stillWorks };
}
