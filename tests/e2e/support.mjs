// The e2e tests' harness: starts the demo exactly as `make demo` does (www/demo/serve.mjs,
// the sandbox plus the demo worker in workerd) on free ports, and Debian's Chromium through
// playwright-core. Everything is bounded by timeouts; stop() ends what start() began.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { freePort } from "../js/support/sandbox.mjs";

export { freePort };

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ARTIFACTS = join(ROOT, "artifacts", "e2e");
export const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";

/**
 * Starts the demo (www/demo/serve.mjs). `limits`: DEMO_LIMITS. Resolves to
 * { url, sandbox, output, stop }; `output` holds its stdout+stderr lines.
 */
export async function startDemo({ limits, env = {} } = {}) {
  const port = await freePort();
  const sandboxPort = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "www", "demo", "serve.mjs")], {
    cwd: ROOT,
    env: {
      ...process.env,
      PLIVO_AUTH_ID: "",
      PLIVO_AUTH_TOKEN: "",
      DEMO_PORT: String(port),
      DEMO_SANDBOX_PORT: String(sandboxPort),
      VERIFY_SANDBOX_LIST_RATE_LIMIT: "0",
      ...(limits ? { DEMO_LIMITS: JSON.stringify(limits) } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = [];
  createInterface({ input: child.stderr }).on("line", (l) => output.push(l));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo was not ready within 60 s:\n${output.join("\n")}`)), 60_000);
    createInterface({ input: child.stdout }).on("line", (l) => {
      output.push(l);
      if (l.startsWith("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code ?? signal}) before ready:\n${output.join("\n")}`));
    });
  });
  const sandbox = `http://127.0.0.1:${sandboxPort}`;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    sandbox,
    output,
    child,
    exited,
    async sandboxPost(path, body) {
      const r = await fetch(sandbox + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`sandbox POST ${path}: ${r.status}`);
      return r.json();
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 30_000,
  });
}

/** A fresh page on the demo, with the page's errors collected. */
export async function openDemo(browser, url, { viewport = { width: 1200, height: 1000 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, context, errors };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Every code a test read from the sandbox phone (for the secrets scan). */
export const CODES = new Set();

/** The latest code the sandbox phone panel shows for `recipient` (digits only). */
export async function codeFromPhone(page, recipient, { after } = {}) {
  const item = page.locator(`#phone-messages li[data-recipient="${recipient}"]`).first();
  await item.waitFor();
  if (after) {
    await page.waitForFunction(
      ([r, n]) => document.querySelectorAll(`#phone-messages li[data-recipient="${r}"]`).length > n,
      [recipient, after],
    );
  }
  const text = await item.locator(".text").textContent();
  const m = /code is ([0-9 ]+)/.exec(text);
  if (!m) throw new Error("no code in the sandbox phone's message");
  const code = m[1].replace(/ /g, "");
  CODES.add(code);
  return code;
}

/** What has focus, inside <verify-phone>'s shadow root when it has it. */
const focused = (page) =>
  page.evaluate(() => {
    const active = document.activeElement?.shadowRoot?.activeElement ?? document.activeElement;
    return { id: active?.id, name: active?.name, value: active?.value };
  });

/** Types a number, picks the channel, sends: all by keyboard (in <verify-phone>). */
export async function sendCode(page, recipient, channel = "sms") {
  // Keyboard only, in the form's focus order: number → channel (arrow keys) → Send.
  await page.locator("#phone").focus();
  await page.keyboard.type(recipient);
  await page.keyboard.press("Tab");
  const radio = await focused(page);
  if (radio.name !== "channel") throw new Error("Tab from the number does not reach the channel");
  if (radio.value !== channel) await page.keyboard.press(channel === "voice" ? "ArrowRight" : "ArrowLeft");
  if ((await page.locator('input[name="channel"]:checked').getAttribute("value")) !== channel) {
    throw new Error(`the arrow keys do not select ${channel}`);
  }
  await page.keyboard.press("Tab");
  if ((await focused(page)).id !== "send") throw new Error("Tab from the channel does not reach Send");
  await page.keyboard.press("Enter");
  await page.waitForSelector('#status[data-state="sent"]');
}

/** Waits until Send (or Resend) can be pressed. */
export const sendEnabled = (page) => page.locator("#send:not([disabled])").waitFor({ timeout: 15_000 });

export const state = (page) => page.locator("#status").getAttribute("data-state");
export const waitState = (page, s) => page.waitForSelector(`#status[data-state="${s}"]`);
