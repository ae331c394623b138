// The whole flow in Deno or Bun, importing the installed package by name as their users
// would: the client against the sandbox, then VerifyProxy on the runtime's own HTTP server
// (Deno.serve, Bun.serve) in front of the same sandbox, the browser's calls made to it, and
// the proof checked. Run by runtimes.test.mjs, which starts the sandbox and passes it in:
//   VERIFY_SANDBOX_URL, PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN
// Prints one line, `RESULT {json}`, and exits 0 when every check held.
import { VerifyClient, VerifyError, VerifyProxy, verifyProof } from "plivo-verify-wasm";

const env = (name) => (globalThis.Deno ? Deno.env.get(name) : process.env[name]);
const sandbox = env("VERIFY_SANDBOX_URL");
const authId = env("PLIVO_AUTH_ID");
const authToken = env("PLIVO_AUTH_TOKEN");
const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : `node ${process.versions.node}`;
const checks = [];

function check(what, ok) {
  checks.push(what);
  if (!ok) throw new Error(`${runtime}: ${what}`);
}

async function otpOf(sessionUuid) {
  const response = await fetch(`${sandbox}/__sandbox/sessions/${sessionUuid}/otp`);
  return (await response.json()).otp;
}

async function rejection(call) {
  try {
    await call();
  } catch (e) {
    return e;
  }
  return null;
}

/** Serves `handler` on the runtime's own HTTP server, on a free loopback port. */
function serve(handler) {
  if (globalThis.Deno) {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
    return { url: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
  }
  if (globalThis.Bun) {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
    return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
  }
  throw new Error("serve: Deno or Bun only");
}

async function clientFlow() {
  const client = new VerifyClient({ authId, authToken, baseUrl: sandbox });
  const recipient = globalThis.Deno ? "+14155550701" : "+14155550702";
  const { sessionUuid } = await client.createSession({ recipient, channel: "sms", brandName: "Runtimes" });
  check("createSession gives a session", /^[0-9a-f-]{36}$/.test(sessionUuid));
  const otp = await otpOf(sessionUuid);
  const wrong = [...otp].map((d) => String((Number(d) + 1) % 10)).join("");
  const refused = await rejection(() => client.validateSession(sessionUuid, wrong));
  check("a wrong code is a VerifyError bad_request", refused instanceof VerifyError && refused instanceof Error && refused.code === "bad_request");
  const validated = await client.validateSession(sessionUuid, otp);
  check("the right code validates", validated.message === "session validated successfully.");
  const session = await client.getSession(sessionUuid);
  check("getSession: verified", session.status === "verified" && session.attemptDetails[0].brandName === "Runtimes");
  const page = await client.listSessions({ recipient, limit: 5 });
  check("listSessions finds it", page.sessions.some((s) => s.sessionUuid === sessionUuid));
  let seen = 0;
  for await (const s of client.sessions({ recipient })) seen += s.sessionUuid === sessionUuid ? 1 : 0;
  check("sessions() pages to it", seen === 1);
  const bad = await rejection(() => client.createSession({ recipient: 42 }));
  check("bad input: invalid_argument naming it", bad?.code === "invalid_argument" && bad?.argument === "recipient");
  return sessionUuid;
}

async function proxyFlow() {
  const proofSecret = "a-proof-secret-of-at-least-32-characters";
  const proxy = new VerifyProxy({ authId, authToken, baseUrl: sandbox, proofSecret });
  const server = serve((request) => proxy.fetch(request));
  try {
    const post = (path, body) =>
      fetch(`${server.url}/verify${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const recipient = globalThis.Deno ? "+1 415 555 0703" : "+1 415 555 0704";
    const started = await post("/start", { recipient });
    const { sessionUuid } = await started.json();
    check("/start through the runtime's server", started.status === 200 && /^[0-9a-f-]{36}$/.test(sessionUuid));
    const refused = await post("/start", { recipient: "not a number" });
    check("/start refuses a bad number with 400", refused.status === 400 && (await refused.json()).error.code === "invalid_argument");
    const checked = await (await post("/check", { sessionUuid, otp: await otpOf(sessionUuid) })).json();
    check("/check with the right code gives a proof", checked.verified === true && typeof checked.proof === "string");
    const proof = verifyProof(checked.proof, proofSecret);
    check("verifyProof reads it", proof.sessionUuid === sessionUuid && proof.recipient === recipient.replaceAll(" ", ""));
    const status = await (await fetch(`${server.url}/verify/session/${sessionUuid}`)).json();
    check("/session shows the status only", status.status === "verified" && !("recipient" in status));
  } finally {
    await server.stop();
  }
}

try {
  const sessionUuid = await clientFlow();
  await proxyFlow();
  console.log(`RESULT ${JSON.stringify({ runtime, ok: true, checks: checks.length, sessionUuid })}`);
} catch (e) {
  console.log(`RESULT ${JSON.stringify({ runtime, ok: false, checks: checks.length, error: String(e?.message ?? e) })}`);
  if (globalThis.Deno) Deno.exit(1);
  else process.exit(1);
}
