// One cold start, in a fresh Node process: import + initialise one client, make one call
// (getSession of an existing session) against the sandbox, print one JSON line.
//   node bench/cold-child.mjs ours|plivo|fetch   (env: SANDBOX_URL, PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, SESSION_UUID)
const start = performance.now(); // ms since the process started (Node's own bootstrap before it)
const which = process.argv[2];
const { SANDBOX_URL: base, PLIVO_AUTH_ID: authId, PLIVO_AUTH_TOKEN: authToken, SESSION_UUID: uuid } = process.env;
let get;
if (which === "ours") {
  const { VerifyClient } = await import("plivo-verify-wasm");
  const client = new VerifyClient({ authId, authToken, baseUrl: base });
  get = () => client.getSession(uuid);
} else if (which === "plivo") {
  const plivo = (await import("plivo")).default;
  const client = new plivo.Client(authId, authToken, { url: `${base}/v1/Account/${authId}` });
  get = () => client.verify_session.get(uuid);
} else {
  const auth = "Basic " + Buffer.from(`${authId}:${authToken}`).toString("base64");
  get = async () => {
    const res = await fetch(`${base}/v1/Account/${authId}/Verify/Session/${uuid}/`, { headers: { authorization: auth } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.json();
  };
}
const ready = performance.now();
const session = await get();
const done = performance.now();
if (!session) throw new Error("no answer");
console.log(JSON.stringify({ which, bootMs: start, importMs: ready - start, callMs: done - ready, totalMs: done - start, sinceProcessStartMs: done }));
