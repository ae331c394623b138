// The demo's main path in Debian's Firefox ESR, through geckodriver (webdriver.mjs), on the
// demo page and on <verify-phone>'s two-line page: a number entered, a code sent by SMS, the
// code read from the sandbox and entered, verified. The rest of the e2e suite runs in
// Chromium (demo.test.mjs, element.test.mjs). Screenshots: artifacts/e2e/firefox-*.png.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ARTIFACTS, CODES, startDemo } from "./support.mjs";
import { startFirefox } from "./webdriver.mjs";

let demo;
let firefox;

before(async () => {
  demo = await startDemo({ limits: { resendAfterSecs: 3, sendsPerIp: [1000, 3600], readsPerIp: [10000, 60] } });
  firefox = await startFirefox();
});
after(async () => {
  await firefox?.quit();
  const stopped = await demo?.stop();
  if (stopped) assert.equal(stopped.code, 0, "the demo stops cleanly on SIGINT");
});

/**
 * The flow in <verify-phone> on the page at `path`, by WebDriver: inside the element's shadow
 * root (WebDriver's CSS lookups stop at it), typed through input events, sent with a click;
 * the code read from the sandbox's outbox. Resolves when the element says verified.
 */
async function verifyInShadow(path, recipient) {
  await firefox.go(new URL(path, demo.url).href);
  await firefox.waitFor(`return customElements.get("verify-phone") !== undefined && document.body.dataset.ready !== "false"`, { what: "the element defined" });
  const inShadow = (body) => `const root = document.querySelector("verify-phone").shadowRoot; ${body}`;
  const enter = (selector, value) =>
    firefox.run(inShadow(`const i = root.querySelector(arguments[0]); i.focus(); i.value = arguments[1]; i.dispatchEvent(new Event("input", { bubbles: true })); return true;`), selector, value);
  await enter("#phone", recipient);
  await firefox.waitFor(inShadow(`return !root.querySelector("#send").disabled`), { what: "Send enabled for a valid number" });
  await firefox.run(inShadow(`root.querySelector("#send").click(); return true;`));
  await firefox.waitFor(`return document.querySelector("verify-phone").dataset.state === "sent"`, { what: "the sent state" });
  let code;
  for (let i = 0; i < 100 && !code; i++) {
    const { messages } = await (await fetch(`${demo.sandbox}/__sandbox/messages?recipient=${encodeURIComponent(recipient)}`)).json();
    code = messages[0] && /code is ([0-9 ]+)/.exec(messages[0].text)?.[1].replace(/ /g, "");
    if (!code) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.match(code ?? "", /^[0-9]{6}$/);
  CODES.add(code);
  await firefox.run(`document.querySelector("verify-phone").addEventListener("verified", (e) => { document.body.dataset.verifiedFor = e.detail.recipient; }); return true;`);
  await enter("#code", code);
  await firefox.waitFor(`return document.querySelector("verify-phone").dataset.state === "verified"`, { what: "the verified state" });
  assert.equal(await firefox.run(`return document.body.dataset.verifiedFor`), recipient);
}

test("Firefox: the demo, SMS code from the sandbox, typed, verified with the proof's number shown", { timeout: 90_000 }, async () => {
  const recipient = "+14155550191";
  await verifyInShadow("/", recipient);
  await firefox.waitFor(`return document.querySelector("#proof-number").textContent === arguments[0]`, { what: "the proof's number" }, recipient);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, "firefox-verified.png"), await firefox.screenshot());
});

test("Firefox: <verify-phone> on its two-line page, verified, the proof handed to the page", { timeout: 90_000 }, async () => {
  await verifyInShadow("/element.html", "+14155550192");
  assert.ok((await firefox.run(`return document.body.dataset.proof`)).split(".").length === 3, "the page got the proof");
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, "firefox-element-verified.png"), await firefox.screenshot());
});
