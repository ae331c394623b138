// Runs the bad-input table in workerd (Miniflare 4): stages support/hostile-worker.js with
// the installed package and the table, asks it once, prints `RESULT {json}`. Run by
// hostile.test.mjs in its own process, with a timeout.
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { ROOT } from "./install.mjs";
import { stageWorker } from "./stage-worker.mjs";

const support = join(ROOT, "tests", "js", "support");
const staged = stageWorker(join(support, "hostile-worker.js"), [[join(support, "bad-input-table.mjs"), "bad-input-table.js"]]);
try {
  const mf = new Miniflare({
    modules: true,
    scriptPath: staged.scriptPath,
    modulesRoot: staged.root,
    modulesRules: staged.modulesRules,
    compatibilityDate: "2025-06-01",
  });
  try {
    const response = await mf.dispatchFetch("http://worker.test/");
    console.log(`RESULT ${JSON.stringify(await response.json())}`);
  } finally {
    await mf.dispose();
  }
} finally {
  staged.dispose();
}
