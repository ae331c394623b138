// Opens a page in headless Chromium (Debian's, /usr/bin/chromium; CHROMIUM=path overrides)
// and waits for what the page reports: the page posts its results to its own server, which
// resolves `report`. No WebDriver, no Playwright: the page does the work and tells.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Why a Chromium test cannot run here, or false. */
export const noChromium = () => !existsSync(CHROMIUM) && `no ${CHROMIUM}`;

/**
 * Loads `url` and resolves with the value of `report` (a promise the page's POST resolves);
 * rejects when Chromium exits first or nothing comes within `timeoutMs`. Chromium and its
 * helpers are stopped however this ends.
 */
export async function runInChromium(url, report, { timeoutMs = 45_000 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "plivo-verify-chromium-"));
  const chromium = spawn(
    CHROMIUM,
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      url,
    ],
    // Its own process group, so the helper processes end with it.
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  let stderr = "";
  chromium.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => chromium.once("exit", resolve));
  let timer;
  try {
    return await Promise.race([
      report,
      exited.then((code) => {
        throw new Error(`chromium exited (${code}) before the page reported:\n${stderr.slice(-2000)}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no report from the page within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    const group = (signal) => {
      try {
        process.kill(-chromium.pid, signal);
      } catch {
        // already gone
      }
    };
    if (chromium.exitCode === null && chromium.signalCode === null) {
      group("SIGTERM");
      const killer = setTimeout(() => group("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
    group("SIGKILL");
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    } catch {
      // A leftover temporary profile is not the package's failure.
    }
  }
}
