// Runs one scenario of support/worker.js in workerd (Miniflare 4) and prints its answer as
// one line `RESULT {json}`. workerd.test.mjs starts it in its own process, with a timeout,
// for each scenario (a failed workerd start can hang the next one).
//
//   SANDBOX_URL=… PLIVO_AUTH_ID=… PLIVO_AUTH_TOKEN=… node workerd-run.mjs flow|callback
//
// The worker imports "plivo-verify-wasm"; workerd has no node_modules resolution, so
// stage-worker.mjs resolves the name the way wrangler does (the package's exports map, the
// `workerd` condition) and rewrites the import to the file it picks, in a copy of the
// installed package.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { stageWorker } from "./stage-worker.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const scenario = process.argv[2];
const { SANDBOX_URL, PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN } = process.env;

async function main() {
  const staged = stageWorker(join(here, "worker.js"));
  try {
    const mf = new Miniflare({
      modules: true,
      scriptPath: staged.scriptPath,
      modulesRoot: staged.root,
      modulesRules: staged.modulesRules,
      compatibilityDate: "2025-06-01",
      bindings: { PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, PLIVO_BASE_URL: SANDBOX_URL, SANDBOX_URL },
      host: "127.0.0.1",
      port: 0,
    });
    try {
      let result;
      if (scenario === "flow") {
        const response = await mf.dispatchFetch("http://worker.test/flow");
        result = { status: response.status, body: await response.json() };
      } else if (scenario === "callback") {
        const url = await mf.ready;
        const callback = new URL("/callback?tenant=acme", url).href;
        const started = await mf.dispatchFetch(`http://worker.test/start?callback=${encodeURIComponent(callback)}`);
        const created = await started.json();
        let received = [];
        for (let i = 0; i < 100 && received.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          received = await (await mf.dispatchFetch("http://worker.test/callbacks")).json();
        }
        result = { status: started.status, sessionUuid: created.sessionUuid, callbacks: received };
      } else {
        throw new Error(`unknown scenario ${scenario}`);
      }
      console.log(`RESULT ${JSON.stringify(result)}`);
    } finally {
      await mf.dispose();
    }
  } finally {
    staged.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(`workerd-run ${scenario}: ${error?.stack ?? error}`);
      process.exit(1);
    },
  );
}
