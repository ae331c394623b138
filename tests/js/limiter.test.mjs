// The packed package's sharded Durable Object store, in Node: VerifyProxy with
// `limitStore` a namespace of real VerifyLimiter objects over an in-memory storage that
// behaves as a Durable Object's (get/put/delete/list, one alarm), counting what each object
// is asked. Plivo is a `fetch` answering at once. (workerd runs the same objects for real in
// tests/worker/ and in the load test.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { ensureInstalled } from "./support/install.mjs";

ensureInstalled();
const { VerifyLimiter, VerifyProxy } = await import("plivo-verify-wasm");

/** A Durable Object's storage, in memory. */
function storage() {
  const data = new Map();
  let alarm = null;
  return {
    data,
    alarmAt: () => alarm,
    async get(keys) {
      return new Map(keys.filter((k) => data.has(k)).map((k) => [k, structuredClone(data.get(k))]));
    },
    async put(entries) {
      for (const [k, v] of Object.entries(entries)) data.set(k, structuredClone(v));
    },
    async delete(keys) {
      // Cloudflare's storage takes at most 128 keys in one call.
      if (keys.length > 128) throw new Error(`delete of ${keys.length} keys`);
      for (const k of keys) data.delete(k);
    },
    async list({ limit = Infinity, startAfter } = {}) {
      const sorted = [...data].sort(([a], [b]) => (a < b ? -1 : 1));
      return new Map(sorted.filter(([k]) => startAfter === undefined || k > startAfter).slice(0, limit));
    },
    async getAlarm() {
      return alarm;
    },
    async setAlarm(at) {
      alarm = Number(at);
    },
  };
}

/**
 * A namespace of VerifyLimiter objects by name; `asked[name]` counts each one's requests,
 * `recorded[name]` those that would count an event.
 */
function namespace() {
  const objects = new Map();
  const asked = {};
  const recorded = {};
  return {
    objects,
    asked,
    recorded,
    idFromName: (name) => name,
    get(id) {
      if (!objects.has(id)) {
        const state = { storage: storage() };
        objects.set(id, { state, limiter: new VerifyLimiter(state, {}) });
      }
      const object = objects.get(id);
      return {
        fetch: (url, init) => {
          asked[id] = (asked[id] ?? 0) + 1;
          if (JSON.parse(init.body).action === "record") recorded[id] = (recorded[id] ?? 0) + 1;
          // One request at a time per object, as a Durable Object's input gate delivers them.
          const answer = (object.queue ?? Promise.resolve()).then(() => object.limiter.fetch(new Request(url, init)));
          object.queue = answer.catch(() => {});
          return answer;
        },
      };
    },
  };
}

let serial = 0;
function proxyWith(ns, extra = {}) {
  return new VerifyProxy({
    authId: "MAXXXXXXXXXXXXXXXXXX",
    authToken: "limiter-test-token",
    proofSecret: "a-proof-secret-of-at-least-32-characters",
    clientIp: (request) => request.headers.get("x-test-ip"),
    limitStore: ns,
    fetch: async () =>
      Response.json({ api_id: "x", message: "Session initiated", session_uuid: `00000000-0000-4000-8000-${String(++serial).padStart(12, "0")}` }, { status: 202 }),
    ...extra,
  });
}

function start(proxy, recipient, ip) {
  return proxy.fetch(new Request("https://verify.example.com/verify/start", {
    method: "POST",
    headers: { "content-type": "application/json", "x-test-ip": ip },
    body: JSON.stringify({ recipient }),
  }));
}

/** FNV-1a of the key's subject, as the package spreads keys (src/js/limiter.rs). */
function shardOf(key, count) {
  const rest = key.slice(key.indexOf(":") + 1);
  const end = rest.indexOf(":");
  const subject = end >= 0 && (rest.startsWith("+") || end === 36) ? rest.slice(0, end) : rest;
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(subject)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % count;
}

test("keys spread over the shards: each object holds only its own", async () => {
  const ns = namespace();
  const proxy = proxyWith(ns, { limits: { sendsPerIp: [100, 3600] } });
  for (let n = 0; n < 40; n++) assert.equal((await start(proxy, `+1415${200 + n}0100`, `10.0.0.${n}`)).status, 200);
  assert.ok(ns.objects.size > 10, `${ns.objects.size} objects used`);
  for (const [name, { state }] of ns.objects) {
    const shard = Number(name.split(":")[1]);
    for (const key of state.storage.data.keys()) assert.equal(shardOf(key, 32), shard, `${key} in ${name}`);
  }
  const stored = [...ns.objects.values()][0].state.storage.data.values().next().value;
  assert.deepEqual(Object.keys(stored).sort(), ["events", "windowMs"]);
});

test("all or nothing over several objects: a send one object refuses is taken back from the others", async () => {
  const ns = namespace();
  const limits = { sendsPerRecipient: [1, 600], sendsPerIp: [2, 3600], resendAfterSecs: 0, sendsPerRecipientIp: [5, 3600] };
  const proxy = proxyWith(ns, { limits });
  const ip = "198.51.100.9";
  // A number whose count lives in another object than the address's.
  let number = 14155550100;
  while (shardOf(`send:+${number}`, 32) === shardOf(`ip:${ip}`, 32)) number++;
  assert.equal((await start(proxy, `+${number}`, ip)).status, 200);
  const refused = await start(proxy, `+${number}`, ip);
  assert.equal(refused.status, 429);
  assert.equal((await refused.json()).error.reason, "sends_per_recipient");
  const ipObject = ns.objects.get(`plivo-verify-limits:${shardOf(`ip:${ip}`, 32)}`);
  assert.equal(ipObject.state.storage.data.get(`ip:${ip}`).events.length, 1, "the refused send's count was undone");
  // So the address still has its second send, and only then is refused.
  assert.equal((await start(proxy, `+${number + 1000}`, ip)).status, 200);
  const third = await start(proxy, `+${number + 2000}`, ip);
  assert.equal((await third.json()).error.reason, "sends_per_ip");
});

test("a refusal is remembered in the isolate: the flood that follows never reaches the objects", async () => {
  const ns = namespace();
  const proxy = proxyWith(ns, { limits: { sendsPerRecipient: [1, 600] } });
  assert.equal((await start(proxy, "+14155550111", "10.1.0.1")).status, 200);
  assert.equal((await start(proxy, "+14155550111", "10.1.0.2")).status, 429);
  const sum = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
  const [asked, recorded] = [sum(ns.asked), sum(ns.recorded)];
  for (let i = 0; i < 200; i++) {
    const r = await start(proxy, "+14155550111", `10.1.1.${i}`);
    assert.equal(r.status, 429);
    assert.equal((await r.json()).error.reason, "sends_per_recipient");
    assert.ok(Number(r.headers.get("retry-after")) > 500);
  }
  assert.equal(sum(ns.recorded), recorded, "200 refused sends, not one record asked of an object");
  assert.equal(sum(ns.asked), asked, "nor any check: the isolate already knew the answer");
});

test("an object's alarm deletes what expired and sets the next one; a check writes nothing", async () => {
  const ns = namespace();
  const proxy = proxyWith(ns, { limits: { readsPerIp: [5, 1], resendAfterSecs: 0 } });
  const check = () => proxy.fetch(new Request("https://verify.example.com/verify/session/00000000-0000-4000-8000-000000000001", {
    headers: { "x-test-ip": "10.2.0.1" },
  }));
  await check();
  const name = `plivo-verify-limits:${shardOf("read:10.2.0.1", 32)}`;
  const { state, limiter } = ns.objects.get(name);
  assert.ok(state.storage.data.has("read:10.2.0.1"));
  const alarm = state.storage.alarmAt();
  assert.ok(alarm > Date.now() && alarm <= Date.now() + 1000, `alarm at +${alarm - Date.now()} ms`);
  await new Promise((r) => setTimeout(r, 1100));
  await limiter.alarm();
  assert.equal(state.storage.data.has("read:10.2.0.1"), false, "swept");
  // Events stored as a bare array (before windows were stored) are still read.
  state.storage.data.set("read:10.2.0.1", [Date.now(), Date.now(), Date.now(), Date.now(), Date.now()]);
  const limited = await check();
  assert.equal(limited.status, 429);
  // The failures' number-wide bound is checked (read-only) before every send: no write.
  const before = structuredClone([...ns.objects].map(([n, o]) => [n, [...o.state.storage.data]]));
  await proxyWith(ns, { limits: { sendsPerRecipient: [0, 60] } }).fetch(new Request("https://verify.example.com/verify/start", {
    method: "POST",
    headers: { "content-type": "application/json", "x-test-ip": "10.3.0.1" },
    body: JSON.stringify({ recipient: "+14155550999" }),
  }));
  const failKey = "fail:+14155550999";
  assert.ok(![...ns.objects.values()].some((o) => o.state.storage.data.has(failKey)), "the check wrote nothing");
  assert.ok(before.length <= ns.objects.size);
});

test("limitShards: 1 is the single object of old; bad values and mixed-up options are refused", async () => {
  const ns = namespace();
  const proxy = proxyWith(ns, { limitShards: 1 });
  assert.equal((await start(proxy, "+14155550123", "10.4.0.1")).status, 200);
  assert.deepEqual([...ns.objects.keys()], ["plivo-verify-limits"]);
  for (const bad of [0, 1025, 1.5, "8"]) {
    assert.throws(() => proxyWith(namespace(), { limitShards: bad }), (e) => e.argument === "limitShards", String(bad));
  }
  assert.throws(() => proxyWith(undefined, { limitStore: undefined, limitShards: 4 }), (e) => e.argument === "limitShards");
  assert.throws(() => proxyWith(namespace(), { maxMemoryKeys: 10 }), (e) => e.argument === "maxMemoryKeys", "the memory store's bound, with a limitStore");
});

test("an object with more keys than one alarm deletes sweeps them page by page", async () => {
  const state = { storage: storage() };
  const limiter = new VerifyLimiter(state, {});
  const old = Date.now() - 10_000;
  for (let i = 0; i < 300; i++) state.storage.data.set(`read:10.9.${i >> 8}.${i & 255}`, { windowMs: 1000, events: [old] });
  state.storage.data.set("read:live", { windowMs: 3_600_000, events: [Date.now()] });
  for (let alarms = 1; alarms <= 3; alarms++) {
    await limiter.alarm();
    assert.ok(state.storage.alarmAt() !== null, `alarm ${alarms} set the next one`);
  }
  assert.deepEqual([...state.storage.data.keys()], ["read:live"], "300 expired keys gone in 3 alarms, the live one kept");
  assert.ok(state.storage.alarmAt() >= Date.now() + 50_000, "then the next sweep waits");
});

test("an Idempotency-Key holds across instances: ten starts at once through two proxies send one code", async () => {
  const ns = namespace();
  let creates = 0;
  // Plivo takes a moment, so the repeats arrive while the first is at work.
  const fetch = async () => {
    creates++;
    await new Promise((r) => setTimeout(r, 50));
    return Response.json({ api_id: "x", message: "Session initiated", session_uuid: `00000000-0000-4000-8000-${String(++serial).padStart(12, "0")}` }, { status: 202 });
  };
  const proxies = [proxyWith(ns, { fetch }), proxyWith(ns, { fetch })];
  const key = "7d0c2c4e-6f1b-4c8e-9a57-1b2c3d4e5f60";
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
    proxies[i % 2].fetch(new Request("https://verify.example.com/verify/start", {
      method: "POST",
      headers: { "content-type": "application/json", "x-test-ip": `10.9.0.${i}`, "idempotency-key": key },
      body: JSON.stringify({ recipient: "+14155550177" }),
    }))));
  const bodies = await Promise.all(answers.map((r) => r.json()));
  assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200), JSON.stringify(bodies));
  assert.equal(creates, 1, "one code sent");
  assert.equal(new Set(bodies.map((b) => b.sessionUuid)).size, 1, "one session for all");
  // The key's object keeps the first answer's session with the key, and its alarm's window.
  const stored = [...ns.objects.values()].flatMap(({ state }) => [...state.storage.data]).find(([k]) => k.startsWith("idem:"));
  assert.equal(stored[1].note, bodies[0].sessionUuid);
  assert.equal(stored[1].windowMs, 30_000);
});
