// CPU profile of one client doing one op in a loop against a fresh sandbox, then the top
// functions by self time (and by package) from the .cpuprofile:
//   node bench/profile.mjs [ours|plivo|fetch] [get|list|create|validate|flow] [calls] [concurrency]
// It re-runs itself under `node --cpu-prof`; the profile is left in bench/profiles/.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, CLIENTS, installPackage, rawClient, recipient, startSandbox } from "./support.mjs";

const [which = "ours", op = "get", n = "3000", conc = "1"] = process.argv.slice(2);
if (!process.env.BENCH_PROFILE_CHILD) {
  installPackage();
  const dir = join(BENCH, "profiles");
  mkdirSync(dir, { recursive: true });
  const name = `${which}-${op}-${Date.now()}.cpuprofile`;
  const r = spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", name, new URL(import.meta.url).pathname, which, op, n, conc], { stdio: "inherit", env: { ...process.env, BENCH_PROFILE_CHILD: "1" } });
  if (r.status !== 0) process.exit(1);
  const prof = JSON.parse(readFileSync(join(dir, name), "utf8"));
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map();
  const dt = prof.timeDeltas;
  const counts = new Map();
  prof.samples.forEach((id, i) => counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0)));
  let total = 0;
  const bucket = new Map();
  for (const [id, us] of counts) {
    const f = byId.get(id).callFrame;
    const where = f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/bench\//, "bench/");
    const key = `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const pkg = f.url.includes("plivo-verify-wasm") ? (f.url.startsWith("wasm://") ? "ours (wasm)" : "ours (JS glue)")
      : f.url.startsWith("wasm://") ? "ours (wasm)" : f.url.includes("node_modules/") ? f.url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, "$1")
      : f.url.startsWith("node:") ? "node internals" : f.url === "" ? (f.functionName.startsWith("(") ? f.functionName : "native/builtin") : "bench";
    bucket.set(pkg, (bucket.get(pkg) ?? 0) + us);
    total += us;
  }
  console.log(`\nself time, ${which} ${op}: total ${(total / 1000).toFixed(0)} ms (profile bench/profiles/${name})`);
  for (const [k, us] of [...bucket].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`);
  console.log("top functions:");
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`);
} else {
  const sb = await startSandbox();
  try {
    const raw = rawClient(sb);
    const client = await CLIENTS[which](sb);
    const uuid = await raw.create(recipient());
    if (op === "list") for (let i = 0; i < 20; i++) await raw.create(recipient());
    const otp = async (u) => (await (await fetch(`${sb.base}/__sandbox/sessions/${u}/otp`)).json()).otp;
    const one = {
      get: () => client.get(uuid),
      list: () => client.list(),
      create: () => client.create(recipient()),
      validate: async () => { const u = await raw.create(recipient()); await client.validate(u, await otp(u)); },
      flow: async () => { const u = await client.create(recipient()); await client.validate(u, await otp(u)); },
    }[op];
    let next = 0;
    const total = Number(n);
    await Promise.all(Array.from({ length: Number(conc) }, async () => { while (next++ < total) await one(); }));
  } finally {
    await sb.stop();
  }
}
