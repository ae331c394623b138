// The packed package's VerifyProxy attacked where it reads outside data: request bodies
// that trickle in or never end, and a flood of distinct keys, as an attacker sends it:
// 120,000 /check requests, each with a new session UUID and a new client address, so
// each leaves two keys in the in-memory limit store (reads per address, checks per session
// and address). Plivo is a `fetch` that answers 404 at once, so only the proxy is measured.
// Required: the store stays within its bound (100,000 keys by default) with the wasm
// memory flat once the bound is reached, and the proxy still answers right afterwards.
// The cost of the last requests against the first is printed (times are never asserted).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ensureInstalled } from "./support/install.mjs";

ensureInstalled();
const { VerifyProxy } = await import("plivo-verify-wasm");
const { initSync } = await import("plivo-verify-wasm/raw");
// Node's entry already instantiated the module: initSync returns that instance's exports.
const wasm = initSync({ module: new Uint8Array(0) });

const REQUESTS = Number(process.env.FLOOD_REQUESTS ?? 120_000);
const BATCH = 10_000;

const uuid = (n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const address = (n) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

function proxyWith(extra = {}) {
  let plivoCalls = 0;
  const proxy = new VerifyProxy({
    authId: "MAXXXXXXXXXXXXXXXXXX",
    authToken: "flood-test-token",
    proofSecret: "a-proof-secret-of-at-least-32-characters",
    clientIp: (request) => request.headers.get("x-test-ip"),
    // A day, like the checks' keys: eviction then takes keys in the order they came.
    limits: { readsPerIp: [1000, 86_400] },
    fetch: async () => {
      plivoCalls++;
      return new Response(JSON.stringify({ api_id: "x", error: "session not found" }), {
        status: 404,
        headers: { "content-type": "application/json" },
      });
    },
    ...extra,
  });
  return { proxy, calls: () => plivoCalls };
}

function check(n) {
  return new Request("https://verify.example.com/verify/check", {
    method: "POST",
    headers: { "content-type": "application/json", "x-test-ip": address(n) },
    body: JSON.stringify({ sessionUuid: uuid(n), otp: "123456" }),
  });
}

test(`a flood of ${REQUESTS} distinct keys: bounded store, flat memory, the last request costs what the first did`, async () => {
  const { proxy, calls } = proxyWith();
  const batches = [];
  const memory = [];
  for (let start = 0; start < REQUESTS; start += BATCH) {
    const began = performance.now();
    for (let n = start; n < start + BATCH; n++) {
      const response = await proxy.fetch(check(n));
      if (response.status !== 404) assert.fail(`request ${n}: ${response.status} ${await response.text()}`);
    }
    batches.push((performance.now() - began) / BATCH);
    memory.push(wasm.memory.buffer.byteLength);
  }
  assert.equal(calls(), REQUESTS, "every request was answered by (fake) Plivo, none refused");
  // 2 keys per request: the bound (100,000) is reached after 50,000 requests. Before it,
  // memory grows about 5 MiB per 10,000 requests; after it, evicted keys make room for new
  // ones: what remains is the allocator and the B-trees settling (measured: +3.6% by
  // 120,000, +5.3% by 150,000, then not one page more up to 400,000).
  const atBound = memory[50_000 / BATCH - 1];
  const growth = (memory.at(-1) - atBound) / atBound;
  assert.ok(growth < 0.08, `wasm memory by batch: ${memory.join(", ")} (+${(growth * 100).toFixed(1)}% after the bound)`);
  // The store still answers, and still counts: a new address's reads are refused past its limit.
  for (let i = 0; i < 1000; i++) await proxy.fetch(checkFrom(9_999_999, i));
  const refused = await proxy.fetch(checkFrom(9_999_999, 1000));
  assert.equal(refused.status, 429);
  assert.equal((await refused.json()).error.reason, "reads_per_ip");
  console.log(`flood: µs per request by batch of ${BATCH}: ${batches.map((t) => (t * 1000).toFixed(0)).join(", ")}; ` +
    `last/first ${(batches.at(-1) / batches[0]).toFixed(2)}; wasm memory ${memory.map((b) => (b / 2 ** 20).toFixed(1)).join(", ")} MiB ` +
    `(+${(growth * 100).toFixed(1)}% after the bound)`);
});

function checkFrom(ip, n) {
  const request = check(REQUESTS + n);
  request.headers.set("x-test-ip", address(ip));
  return request;
}

test("maxMemoryKeys bounds the store where the app says", async () => {
  for (const [maxMemoryKeys, expected] of [[undefined, 429], [10, 404]]) {
    const { proxy } = proxyWith({ maxMemoryKeys, limits: { readsPerIp: [3, 86_400] } });
    for (let i = 0; i < 3; i++) assert.equal((await proxy.fetch(checkFrom(1, i))).status, 404);
    // 20 other requests (40 keys): past a bound of 10, address 1's count is evicted first
    // (the oldest), and its next read is allowed again; within the default bound it is not.
    for (let n = 0; n < 20; n++) await proxy.fetch(check(n));
    assert.equal((await proxy.fetch(checkFrom(1, 3))).status, expected, `maxMemoryKeys ${maxMemoryKeys}`);
  }
  for (const bad of [0, -1, 1.5, "10", 1e9]) {
    assert.throws(() => proxyWith({ maxMemoryKeys: bad }), (e) => e.code === "invalid_argument" && e.argument === "maxMemoryKeys", String(bad));
  }
});

/** A request whose body sends `first` and then nothing more, never ending. */
function trickling(first) {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
  });
  return new Request("https://verify.example.com/verify/start", {
    method: "POST",
    headers: { "content-type": "application/json", "x-test-ip": "192.0.2.1" },
    body,
    duplex: "half",
  });
}

test("a body that trickles in meets the deadline: 408, nothing sent, and the proxy goes on", async () => {
  const { proxy, calls } = proxyWith({ bodyTimeoutMs: 300 });
  const began = performance.now();
  const response = await proxy.fetch(trickling('{"recipient":"+1415'));
  const waited = performance.now() - began;
  assert.equal(response.status, 408);
  assert.equal((await response.json()).error.code, "timeout");
  assert.ok(waited >= 250, `answered after ${waited.toFixed(0)} ms, not before the deadline`);
  assert.equal(calls(), 0, "nothing reached Plivo");
  assert.equal((await proxy.fetch(check(1))).status, 404, "the next request is served");
  for (const bad of [99, 60_001, "1000", 1.5]) {
    assert.throws(() => proxyWith({ bodyTimeoutMs: bad }), (e) => e.argument === "bodyTimeoutMs", String(bad));
  }
});

test("an endless body is cut at 4 KiB: 413 without reading on", async () => {
  const { proxy, calls } = proxyWith();
  let pulled = 0;
  const endless = new ReadableStream({
    pull(controller) {
      pulled += 1024;
      controller.enqueue(new Uint8Array(1024).fill(0x20));
    },
  });
  const response = await proxy.fetch(new Request("https://verify.example.com/verify/start", {
    method: "POST",
    headers: { "content-type": "application/json", "x-test-ip": "192.0.2.2" },
    body: endless,
    duplex: "half",
  }));
  assert.equal(response.status, 413);
  assert.ok(pulled <= 16 * 1024, `read ${pulled} bytes of an endless body`);
  assert.equal(calls(), 0);
});

test("failureCooldowns from JavaScript: one address's wrong codes cool it down, another address goes on", async () => {
  const uuid = "11111111-2222-4333-8444-555555555555";
  const fakePlivo = async (url, init) => {
    if ((init?.method ?? "GET") === "GET") {
      return Response.json({ api_id: "x", session_uuid: uuid, app_uuid: null, recipient: "14155550100", status: "in-progress", channel: "sms", count: 1, attempt_details: [] });
    }
    return Response.json({ api_id: "x", error: "invalid OTP" }, { status: 400 });
  };
  const { proxy } = proxyWith({ fetch: fakePlivo, limits: { readsPerIp: [1000, 60], failureCooldowns: [[2, 600], [3, 3600]] } });
  const wrong = (ip) => proxy.fetch(new Request("https://verify.example.com/verify/check", {
    method: "POST",
    headers: { "content-type": "application/json", "x-test-ip": ip },
    body: JSON.stringify({ sessionUuid: uuid, otp: "000000" }),
  }));
  for (let i = 0; i < 2; i++) assert.equal((await (await wrong("192.0.2.7")).json()).reason, "incorrect");
  const cooled = await wrong("192.0.2.7");
  assert.equal(cooled.status, 429);
  assert.equal((await cooled.json()).error.reason, "failure_cooldown");
  assert.ok(Number(cooled.headers.get("retry-after")) > 590);
  assert.equal((await (await wrong("192.0.2.8")).json()).reason, "incorrect", "another address is not held up");
});
