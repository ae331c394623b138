// The bad-input table (support/bad-input-table.mjs) in Deno or Bun, importing the installed
// package by name. Run by hostile.test.mjs; prints one line, `RESULT {json}`, and exits 0
// when every case was refused as it should be, nothing was sent and the module still works.
import * as api from "plivo-verify-wasm";
import { runTable } from "../support/bad-input-table.mjs";

const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : `node ${process.versions.node}`;
const result = { runtime, ...(await runTable(api)) };
console.log(`RESULT ${JSON.stringify(result)}`);
const ok = result.failed === 0 && result.fetchCalls === 0 && result.stillWorks;
if (globalThis.Deno) Deno.exit(ok ? 0 : 1);
else process.exit(ok ? 0 : 1);
