// Runs one scenario of ../scenarios.mjs in this process and prints one line
// `RESULT {json}` (its name, how many checks it made, the secrets scan's counts). Exits 1 on
// any failed check, with the message redacted (no token, proof secret or OTP). worker.test.mjs
// starts one such process per scenario, with a timeout: a failed workerd start can hang.
//
//   node tests/worker/support/run-scenario.mjs NAME
import { fileURLToPath } from "node:url";
import { scenarios } from "../scenarios.mjs";
import { redact, scanSecrets, startHarness } from "./harness.mjs";

async function main(name) {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const options = typeof scenario.options === "function" ? scenario.options() : (scenario.options ?? {});
  let h;
  try {
    h = await startHarness(options);
  } catch (e) {
    scenario.cleanup?.(options);
    throw e;
  }
  try {
    const details = (await scenario.run(h)) ?? {};
    const scan = await scanSecrets(h, { minOtps: scenario.minOtps ?? 0, extraHaystacks: details.haystacks ?? [] });
    delete details.haystacks;
    return { name, details, scan };
  } catch (e) {
    // What the worker logged helps explain a failure (redacted like everything printed).
    if (h.logs.length) console.error(redact(`worker log:\n${h.logs.slice(-40).join("\n")}`));
    throw e;
  } finally {
    await h.stop();
    scenario.cleanup?.(options);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const name = process.argv[2];
  main(name).then(
    (result) => {
      console.log(`RESULT ${JSON.stringify(result)}`);
      process.exit(0);
    },
    (error) => {
      console.error(redact(`scenario ${name}: ${error?.stack ?? error}`));
      process.exit(1);
    },
  );
}
