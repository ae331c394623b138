// Runs a process that reports with one `RESULT {json}` line (the runtimes', workerd's and the
// hostile-input runs), with a timeout, from the repository's root. Nothing reaches outside:
// Deno's update check and prompts are off.
import { spawn } from "node:child_process";
import { ROOT } from "./install.mjs";

/** Resolves to `{ code, result (the RESULT's JSON, or null), out (stdout and stderr) }`. */
export function runForResult(command, args, { env = {}, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      resolve({ code: code ?? signal, result: line ? JSON.parse(line.slice(7)) : null, out });
    });
  });
}
