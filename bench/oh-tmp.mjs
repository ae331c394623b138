import { readFileSync } from "node:fs";
const { VerifyClient } = await import("plivo-verify-wasm");
const session = JSON.parse(readFileSync("../tests/fixtures/reference/get_session.json","utf8"));
const page = { api_id: session.api_id, meta: { limit: 20, offset: 0, next: null, previous: null, total_count: 20 }, sessions: Array.from({ length: 20 }, () => session) };
const body = JSON.stringify(page);
console.log("body bytes", body.length);
const memoryFetch = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });
const ours = new VerifyClient({ authId: "MAXXXXXXXXXXXXXXXXXX", authToken: "token", fetch: memoryFetch });
const mode = process.argv[2] ?? "ours";
const n = 3000;
for (let k = 0; k < 2; k++) {
const t0 = performance.now();
for (let i = 0; i < n; i++) { if (mode === "ours") await ours.listSessions({ limit: 20 }); else await (await memoryFetch()).json(); }
console.log(mode, ((performance.now() - t0) * 1000 / n).toFixed(1), "µs");
}
