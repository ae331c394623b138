// A Cloudflare-style worker (ES module) using the package as a worker author would:
// `import … from "plivo-verify-wasm"`. workerd-run.mjs resolves that name through the
// package's exports map (the `workerd` condition) and runs this file in workerd with
// Miniflare. No Node built-ins, no `window`: only what workerd offers.
//
// Bindings: PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, PLIVO_BASE_URL (the sandbox), SANDBOX_URL.
import {
  VerifyClient,
  VerifyError,
  parseStatusCallback,
  verifyCallbackRequest,
  verifyCallbackSignatureV2,
} from "plivo-verify-wasm";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

/** What a failure looked like, for the test to check (never the message: no secrets out). */
async function outcome(call) {
  try {
    await call();
    return { ok: true };
  } catch (e) {
    return {
      ok: false,
      isVerifyError: e instanceof VerifyError,
      isError: e instanceof Error,
      name: e?.name,
      code: e?.code,
      status: e?.status,
      argument: e?.argument,
      retryAfterMs: e?.retryAfterMs,
      hasApiId: typeof e?.apiId === "string",
    };
  }
}

async function sandbox(env, method, path, body) {
  const response = await fetch(env.SANDBOX_URL + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`sandbox ${path}: ${response.status}`);
  return response.json();
}

async function flow(env) {
  const out = {
    runtime: {
      window: typeof window,
      process: typeof process,
      require: typeof require,
      Buffer: typeof Buffer,
      WebSocketPair: typeof WebSocketPair,
    },
  };

  // fromEnv with the Worker's env: credentials and base URL from bindings.
  const client = VerifyClient.fromEnv(env);
  const created = await client.createSession({ recipient: "+14155550100", brandName: "Worker" });
  const { otp } = await sandbox(env, "GET", `/__sandbox/sessions/${created.sessionUuid}/otp`);
  const validated = await client.validateSession(created.sessionUuid, otp);
  const session = await client.getSession(created.sessionUuid);
  out.flow = {
    uuidOk: UUID.test(created.sessionUuid),
    createMessage: created.message,
    validatedMessage: typeof validated.message,
    status: session.status,
    sameUuid: session.sessionUuid === created.sessionUuid,
    recipient: session.recipient,
    count: session.count,
    attempts: session.attemptDetails.length,
    totalCharge: typeof session.charges?.totalCharge,
  };

  // A list over pages, then every page with for await.
  const ids = [];
  for (const recipient of ["+14155550201", "+14155550202", "+14155550203"]) {
    ids.push((await client.createSession({ recipient, brandName: "WorkerPage" })).sessionUuid);
  }
  const first = await client.listSessions({ brandName: "WorkerPage", limit: 2 });
  const second = await client.listSessions({ brandName: "WorkerPage", limit: 2, offset: 2 });
  const seen = [];
  for await (const s of client.sessions({ brandName: "WorkerPage", limit: 2 })) seen.push(s.sessionUuid);
  out.list = {
    pageSizes: [first.sessions.length, second.sessions.length],
    firstHasNext: typeof first.meta.next === "string",
    lastHasNext: second.meta.next !== null,
    iterated: seen.length,
    iteratedAll: [...seen].sort().join() === [...ids].sort().join(),
    newestFirst: seen.join() === [...ids].reverse().join(),
    verified: (await client.listSessions({ status: "verified" })).sessions.map((s) => s.sessionUuid).includes(created.sessionUuid),
  };

  // Errors.
  let fetches = 0;
  const counting = (input, init) => {
    fetches++;
    return fetch(input, init);
  };
  const base = { authId: env.PLIVO_AUTH_ID, authToken: env.PLIVO_AUTH_TOKEN, baseUrl: env.PLIVO_BASE_URL };
  out.errors = {};
  out.errors.authentication = await outcome(() =>
    new VerifyClient({ ...base, authToken: "wrong-token" }).getSession(UNKNOWN),
  );
  out.errors.notFound = await outcome(() => client.getSession(UNKNOWN));
  await sandbox(env, "POST", "/__sandbox/faults", { next: ["503", "503", "503"] });
  const retrying = new VerifyClient({ ...base, fetch: counting, maxRetries: 2 });
  out.errors.serverError = { ...(await outcome(() => retrying.listSessions({ limit: 1 }))), fetches };
  await sandbox(env, "POST", "/__sandbox/faults", { next: ["429"] });
  out.errors.rateLimited = await outcome(() =>
    new VerifyClient({ ...base, maxRetries: 0 }).listSessions({ limit: 1 }),
  );
  await sandbox(env, "POST", "/__sandbox/faults", { spec: "delay=1500ms" });
  out.errors.timeout = await outcome(() =>
    new VerifyClient({ ...base, timeoutMs: 100, maxRetries: 0 }).getSession(UNKNOWN),
  );
  await sandbox(env, "POST", "/__sandbox/faults", { spec: "", next: [] });
  const before = fetches;
  out.errors.badRecipient = await outcome(() => retrying.createSession({ recipient: 42 }));
  out.errors.badUuid = await outcome(() => retrying.getSession("../../x"));
  out.errors.badOptions = await outcome(() => new VerifyClient({ authId: env.PLIVO_AUTH_ID }));
  out.errors.badFetches = fetches - before;
  out.parsed = parseStatusCallback({ SessionUUID: UNKNOWN, Channel: "SMS" });
  return out;
}

// Status callbacks the sandbox delivered to this worker, checked with the package.
const callbacks = [];

async function receiveCallback(request, env) {
  const tampered = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.method === "POST" ? (await request.clone().text()).replace(/Recipient=[^&]*/, "Recipient=19999999999") : undefined,
  });
  try {
    const fields = await verifyCallbackRequest(request, env.PLIVO_AUTH_TOKEN);
    // The sandbox signs as Plivo signs Verify callbacks (V2 and Ma-V2): the parameters are
    // not signed, the nonce is, and it was just spent.
    const forged = await outcome(() => verifyCallbackRequest(tampered, env.PLIVO_AUTH_TOKEN));
    const replayed = await outcome(() => verifyCallbackRequest(request, env.PLIVO_AUTH_TOKEN));
    const signatureOk = verifyCallbackSignatureV2({
      url: request.url,
      nonce: request.headers.get("x-plivo-signature-v2-nonce") ?? "",
      signature: request.headers.get("x-plivo-signature-v2") ?? undefined,
      maSignature: request.headers.get("x-plivo-signature-ma-v2") ?? undefined,
      authToken: env.PLIVO_AUTH_TOKEN,
    });
    callbacks.push({ fields, forged, replayed, signatureOk, hasV3: request.headers.has("x-plivo-signature-v3") });
    return new Response(null, { status: 204 });
  } catch (e) {
    callbacks.push({ rejected: e instanceof VerifyError ? e.code : String(e), url: request.url });
    return new Response(null, { status: 403 });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/flow") return Response.json(await flow(env));
      if (url.pathname === "/start") {
        const client = VerifyClient.fromEnv(env);
        const created = await client.createSession({
          recipient: "+14155550300",
          url: url.searchParams.get("callback"),
          method: "POST",
        });
        return Response.json(created);
      }
      if (url.pathname === "/callback") return await receiveCallback(request, env);
      if (url.pathname === "/callbacks") return Response.json(callbacks);
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ crashed: `${e?.name}: ${e?.code ?? ""} ${e?.stack ?? e}` }, { status: 500 });
    }
  },
};
