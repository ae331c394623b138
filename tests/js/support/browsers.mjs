// Opens a page in a headless browser — Debian's Chromium (/usr/bin/chromium; CHROMIUM=path
// overrides) or Firefox ESR (/usr/bin/firefox-esr; FIREFOX=path) — and waits for what the
// page reports: the page posts its results to its own server, which resolves `report`. No
// WebDriver, no Playwright: the page does the work and tells.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";

/** Why a Chromium test cannot run here, or false. */
export const noChromium = () => !existsSync(CHROMIUM) && `no ${CHROMIUM}`;
/** Why a Firefox test cannot run here, or false. */
export const noFirefox = () => !existsSync(FIREFOX) && `no ${FIREFOX}`;

/** Firefox preferences that keep a test profile quiet: no updates, telemetry or first-run pages. */
const FIREFOX_PREFS = {
  "app.update.enabled": false,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "datareporting.policy.dataSubmissionEnabled": false,
  "toolkit.telemetry.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "extensions.update.enabled": false,
};

/** Loads `url` in headless Chromium; see `runIn`. */
export function runInChromium(url, report, options) {
  return runIn("chromium", url, report, options);
}

/** Loads `url` in headless Firefox; see `runIn`. */
export function runInFirefox(url, report, options) {
  return runIn("firefox", url, report, options);
}

function launch(browser, url, profile) {
  if (browser === "firefox") {
    const prefs = Object.entries(FIREFOX_PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`);
    writeFileSync(join(profile, "user.js"), `${prefs.join("\n")}\n`);
    return spawn(FIREFOX, ["--headless", "--no-remote", "--profile", profile, url], {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
      env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1" },
    });
  }
  return spawn(
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
}

/**
 * Loads `url` and resolves with the value of `report` (a promise the page's POST resolves);
 * rejects when the browser exits first or nothing comes within `timeoutMs`. The browser and
 * its helpers are stopped however this ends.
 */
async function runIn(browser, url, report, { timeoutMs = 45_000 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), `plivo-verify-${browser}-`));
  const child = launch(browser, url, profile);
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let timer;
  try {
    return await Promise.race([
      report,
      exited.then((code) => {
        throw new Error(`${browser} exited (${code}) before the page reported:\n${stderr.slice(-2000)}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no report from the page within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    const group = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    if (child.exitCode === null && child.signalCode === null) {
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
