// Client overhead without a network: our client and a raw-fetch client both call the same
// in-memory `fetch` that answers with the reference's JSON (a `Response` made per call), so
// the difference is only what each client does around `fetch` (validation, the wasm
// boundary, reading and re-shaping the answer). Best of several rounds, each a loop of
// sequential calls; the loopback latency section shows the same cost diluted by a network.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, ratio } from "./support.mjs";

const ROUNDS = 7;
const UUID = "4124e518-a8c9-4feb-8cff-d86636ba9234";
const AUTH_ID = "MAXXXXXXXXXXXXXXXXXX";

const fixture = (name) => readFileSync(join(ROOT, "tests", "fixtures", "reference", name), "utf8");

/** The answer bodies: Plivo's reference examples (a 20-session page for list). */
function bodies() {
  const session = JSON.parse(fixture("get_session.json"));
  const page = { api_id: session.api_id, meta: { limit: 20, offset: 0, next: null, previous: null, total_count: 20 }, sessions: Array.from({ length: 20 }, () => session) };
  return {
    create: fixture("create_session.json"),
    get: JSON.stringify(session),
    list: JSON.stringify(page),
    // The reference's own validate example has a trailing comma; this is it as JSON.
    validate: JSON.stringify({ api_id: session.api_id, message: "session validated successfully." }),
  };
}

async function perCallUs(call, calls) {
  const started = performance.now();
  for (let i = 0; i < calls; i++) await call();
  return ((performance.now() - started) * 1000) / calls;
}

/** Per-call µs of ours and of raw fetch for each op, and their ratio and difference. */
export async function overhead({ calls, log }) {
  const { VerifyClient } = await import("plivo-verify-wasm");
  const answers = bodies();
  let body = "";
  const memoryFetch = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  const ours = new VerifyClient({ authId: AUTH_ID, authToken: "token", fetch: memoryFetch });
  const auth = "Basic " + Buffer.from(`${AUTH_ID}:token`).toString("base64");
  const root = `https://api.plivo.com/v1/Account/${AUTH_ID}/Verify/Session/`;
  const raw = async (method, url, payload) => {
    const headers = payload === undefined ? { authorization: auth } : { authorization: auth, "content-type": "application/json" };
    const res = await memoryFetch(url, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload) });
    return res.json();
  };
  const ops = {
    create: { ours: () => ours.createSession({ recipient: "+14155550100" }), fetch: () => raw("POST", root, { recipient: "+14155550100" }) },
    get: { ours: () => ours.getSession(UUID), fetch: () => raw("GET", `${root}${UUID}/`) },
    list: { ours: () => ours.listSessions({ limit: 20 }), fetch: () => raw("GET", `${root}?limit=20`) },
    validate: { ours: () => ours.validateSession(UUID, "123456"), fetch: () => raw("POST", `${root}${UUID}/`, { otp: "123456" }) },
  };
  const out = {};
  for (const [op, clients] of Object.entries(ops)) {
    body = answers[op];
    const n = op === "list" ? Math.max(200, Math.floor(calls / 5)) : calls;
    const best = { ours: Infinity, fetch: Infinity };
    for (let round = 0; round <= ROUNDS; round++) {
      for (const name of round % 2 ? ["fetch", "ours"] : ["ours", "fetch"]) {
        const us = await perCallUs(clients[name], n);
        if (round > 0) best[name] = Math.min(best[name], us); // round 0 warms up
      }
    }
    out[op] = { calls: n, oursUs: best.ours, fetchUs: best.fetch, extraUs: best.ours - best.fetch, oursVsFetch: ratio(best.ours, best.fetch) };
    log(`overhead ${op}: ours ${best.ours.toFixed(1)} µs, fetch ${best.fetch.toFixed(1)} µs per call without a network`);
  }
  return out;
}
