// End-to-end: <verify-phone> (plivo-verify-wasm/element) on a page of two lines
// (www/demo/element.html), in Debian's Chromium against the demo's servers (the sandbox and
// the demo worker's VerifyProxy in workerd). Screenshots of each state go to
// artifacts/e2e/element-*.png.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CODES, launchBrowser, screenshot, startDemo } from "./support.mjs";

const T = { timeout: 90_000 };
let demo;
let browser;
const contexts = [];

before(async () => {
  demo = await startDemo({
    env: { VERIFY_SANDBOX_MAX_ATTEMPTS: "3" },
    limits: { resendAfterSecs: 2, sendsPerRecipient: [3, 600], sendsPerIp: [1000, 3600], readsPerIp: [10000, 60] },
  });
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await demo?.stop();
});

/** The element's page; `init` runs in the page before its scripts (stubs). */
async function open(init) {
  const context = await browser.newContext({ viewport: { width: 640, height: 720 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  if (init) await page.addInitScript(init.script, init.arg);
  await page.goto(new URL("/element.html", demo.url).href);
  await page.waitForFunction(() => customElements.get("verify-phone") !== undefined);
  return { page, errors };
}

const hostState = (page) => page.locator("verify-phone").getAttribute("data-state");
const waitState = (page, state) => page.waitForSelector(`verify-phone[data-state="${state}"]`);

/** The newest code the sandbox delivered to `recipient`, after `count` messages. */
async function codeFor(recipient, count = 1) {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${demo.sandbox}/__sandbox/messages?recipient=${encodeURIComponent(recipient)}`);
    const { messages } = await r.json();
    if (messages.length >= count) {
      const code = /code is ([0-9 ]+)/.exec(messages[0].text)[1].replace(/ /g, "");
      CODES.add(code);
      return code;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no code for ${recipient}`);
}

/** Types the number and sends, by keyboard: number → channel → Send. */
async function sendByKeyboard(page, typed) {
  await page.locator("verify-phone #phone").focus();
  await page.keyboard.type(typed);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.querySelector("verify-phone").shadowRoot.activeElement?.name), "channel");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.querySelector("verify-phone").shadowRoot.activeElement?.className), "send");
  await page.keyboard.press("Enter");
  await waitState(page, "sent");
}

test("two lines give the whole flow: number checked as typed, code by keyboard, a wrong one, then verified with the proof", T, async () => {
  const { page, errors } = await open();
  await screenshot(page, "element-01-idle");
  const phone = page.locator("verify-phone #phone");
  await phone.fill("415 555");
  assert.equal(await phone.getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("verify-phone button.send").isDisabled(), true);
  assert.match(await page.locator("verify-phone #phone-hint").textContent(), /country code/);
  await screenshot(page, "element-02-invalid-number");
  await phone.fill("");
  // The allowed countries are shown, the labels name the fields, the status is live.
  assert.match(await page.locator("verify-phone #phone-hint").textContent(), /US, CA/);
  assert.equal(await page.getByLabel("Phone number").count(), 1);
  assert.equal(await page.locator("verify-phone .status").getAttribute("aria-live"), "polite");

  const recipient = "+14155550301";
  await sendByKeyboard(page, "+1 (415) 555-0301");
  const code = page.locator("verify-phone #code");
  assert.equal(await code.getAttribute("autocomplete"), "one-time-code");
  assert.equal(await code.getAttribute("inputmode"), "numeric");
  assert.equal(await page.evaluate(() => document.querySelector("verify-phone").shadowRoot.activeElement?.id), "code", "the code field has focus");
  assert.match(await page.locator("verify-phone button.send").textContent(), /Resend code in 0:0[0-2]/);
  assert.match(await page.locator("verify-phone #expiry").textContent(), /expires in [0-9]+:[0-9]{2}/);
  await screenshot(page, "element-03-sent");

  const right = await codeFor(recipient);
  const wrong = right.replace(/.$/, (d) => String((Number(d) + 1) % 10));
  await page.keyboard.type(wrong); // a whole code is checked at once
  await waitState(page, "incorrect");
  assert.match(await page.locator("verify-phone .status").textContent(), /isn't right/);
  await screenshot(page, "element-04-incorrect");
  const verified = page.evaluate(() => new Promise((resolve) => document.querySelector("verify-phone").addEventListener("verified", (e) => resolve(e.detail), { once: true })));
  await page.keyboard.type(right);
  const detail = await verified;
  await waitState(page, "verified");
  assert.equal(detail.recipient, recipient);
  const claims = JSON.parse(Buffer.from(detail.proof.split(".")[1], "base64url").toString());
  assert.equal(claims.phone_number, recipient);
  assert.equal(claims.sub, detail.sessionUuid);
  assert.equal(await page.locator("body").getAttribute("data-proof"), detail.proof, "the page got the event");
  await screenshot(page, "element-05-verified");
  assert.deepEqual(errors, []);
});

test("a pasted code with spaces works; the resend wait ends in 'call me instead'; the fourth code is rate limited with its wait", T, async () => {
  const { page } = await open();
  const recipient = "+14155550302";
  await page.locator("verify-phone #phone").fill(recipient);
  await page.locator("verify-phone button.send").click();
  await waitState(page, "sent");
  const call = page.locator("verify-phone button.call");
  assert.equal(await call.isHidden(), true, "not before the resend wait is over");
  await call.waitFor({ state: "visible" });
  await screenshot(page, "element-06-call-instead");
  await call.click();
  await waitState(page, "sent");
  assert.match(await page.locator("verify-phone .status").textContent(), /calling/);
  await page.locator("verify-phone button.send:not([disabled])").waitFor();
  await page.locator("verify-phone button.send").click();
  await waitState(page, "sent");
  await page.locator("verify-phone button.send:not([disabled])").waitFor();
  await page.locator("verify-phone button.send").click();
  await waitState(page, "rate_limited");
  assert.match(await page.locator("verify-phone .status").textContent(), /wait [0-9]+:[0-9]{2}/);
  assert.equal(await page.locator("verify-phone button.send").isDisabled(), true);
  await screenshot(page, "element-07-rate-limited");
  // The code of the last delivered message, pasted with spaces.
  const code = await codeFor(recipient, 3);
  await page.locator("verify-phone #code").fill(`${code.slice(0, 3)} ${code.slice(3)}`);
  await waitState(page, "verified");
});

test("WebOTP: the browser's code is filled in and checked by itself (navigator.credentials stubbed)", T, async () => {
  const { page } = await open({
    // The stub reads the delivered SMS from the sandbox, as Chrome would from the phone.
    script: (sandbox) => {
      window.OTPCredential = class OTPCredential {};
      const asked = (window.__webOtpAsked = []);
      Object.defineProperty(navigator, "credentials", { configurable: true, value: {
        async get(options) {
          asked.push(options.otp?.transport);
          for (;;) {
            if (options.signal?.aborted) throw new DOMException("aborted", "AbortError");
            const recipient = document.querySelector("verify-phone").shadowRoot.querySelector("#phone").value;
            const r = await fetch(`${sandbox}/__sandbox/messages?recipient=${encodeURIComponent(recipient)}`);
            const { messages } = await r.json();
            const m = messages[0] && /code is ([0-9]+)/.exec(messages[0].text);
            if (m) return { type: "otp", code: m[1] };
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        },
      } });
    },
    arg: demo.sandbox,
  });
  await page.locator("verify-phone #phone").fill("+14155550303");
  await page.locator("verify-phone button.send").click();
  await waitState(page, "verified");
  assert.deepEqual(await page.evaluate(() => window.__webOtpAsked), [["sms"]]);
  CODES.add(await codeFor("+14155550303"));
});

test("strings replaced, a Turnstile widget rendered with its token sent, and a network error said plainly", T, async () => {
  const { page } = await open({
    script: () => {
      // Turnstile's API, stubbed: renders a box and hands out a token at once.
      let n = 0;
      window.turnstile = {
        render(box, { callback }) {
          box.textContent = "[Turnstile]";
          setTimeout(() => callback(`pass.e2e-${++n}`));
          return "widget-1";
        },
        reset() {
          window.__turnstileResets = (window.__turnstileResets ?? 0) + 1;
        },
      };
    },
  });
  const bodies = [];
  page.on("request", (r) => r.url().endsWith("/verify/start") && bodies.push(JSON.parse(r.postData())));
  await page.evaluate(() => {
    const el = document.querySelector("verify-phone");
    el.strings = { send: "Envoyer le code", phoneLabel: "Numéro de téléphone" };
    el.setAttribute("turnstile-sitekey", "1x00000000000000000000AA");
  });
  assert.equal(await page.locator("verify-phone button.send").textContent(), "Envoyer le code");
  assert.equal(await page.getByLabel("Numéro de téléphone").count(), 1);
  await page.locator("verify-phone .challenge").waitFor({ state: "visible" });
  await page.locator("verify-phone #phone").fill("+14155550304");
  await page.locator("verify-phone button.send:not([disabled])").waitFor();
  await screenshot(page, "element-08-strings-and-turnstile");
  await page.locator("verify-phone button.send").click();
  await waitState(page, "sent");
  assert.equal(bodies[0].challengeToken, "pass.e2e-1");
  assert.equal(await page.evaluate(() => window.__turnstileResets), 1, "a token is used once");
  CODES.add(await codeFor("+14155550304"));
  // The worker goes away: the page says so, and recovers.
  await page.route("**/verify/check", (route) => route.abort("connectionfailed"));
  await page.locator("verify-phone #code").fill("000000");
  await waitState(page, "network_error");
  assert.match(await page.locator("verify-phone .status").textContent(), /couldn't reach/);
  await screenshot(page, "element-09-network-error");
  assert.equal(await hostState(page), "network_error");
});
