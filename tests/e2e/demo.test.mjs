// End-to-end: the demo page in Debian's Chromium (playwright-core) against the demo's own
// servers (www/demo/serve.mjs: the sandbox and the demo worker in workerd), started here on
// free ports and stopped after. Screenshots go to artifacts/e2e/.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  CODES,
  ROOT,
  freePort,
  codeFromPhone,
  launchBrowser,
  openDemo,
  screenshot,
  sendCode,
  sendEnabled,
  startDemo,
  waitState,
} from "./support.mjs";
import { poll } from "../js/support/sandbox.mjs";

const T = { timeout: 90_000 };
let demo;
let browser;
const pages = [];
const bodies = []; // every answer of the worker to the page, scanned for secrets at the end

before(async () => {
  demo = await startDemo({
    env: { VERIFY_SANDBOX_MAX_ATTEMPTS: "3" },
    limits: { resendAfterSecs: 3, sendsPerRecipient: [3, 600], sendsPerIp: [1000, 3600], readsPerIp: [10000, 60] },
  });
  browser = await launchBrowser();
});

after(async () => {
  for (const p of pages) await p.context.close().catch(() => {});
  await browser?.close().catch(() => {});
  const stopped = await demo?.stop();
  if (stopped) assert.equal(stopped.code, 0, "the demo stops cleanly on SIGINT");
});

async function open(options) {
  const p = await openDemo(browser, demo.url, options);
  p.page.on("response", async (r) => {
    if (!/\/(demo|verify)\//.test(r.url())) return;
    try {
      bodies.push({ url: r.url(), text: await r.text() });
    } catch {
      /* a body already gone */
    }
  });
  pages.push(p);
  return p;
}

test("SMS: number validated as typed, code from the sandbox phone typed by keyboard, verified with the decoded proof", T, async () => {
  const { page, errors } = await open();
  assert.equal(await page.locator("#mode").getAttribute("data-mode"), "sandbox");
  assert.equal(await page.locator("#phone-panel").isVisible(), true);
  await screenshot(page, "01-initial");

  await page.locator("#phone").focus();
  await page.keyboard.type("415 555");
  assert.equal(await page.locator("#phone").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#send").isDisabled(), true);
  await screenshot(page, "02-invalid-number");
  await page.locator("#phone").fill("");

  const recipient = "+14155550101";
  await sendCode(page, recipient, "sms");
  const code = await codeFromPhone(page, recipient);
  assert.match(code, /^[0-9]{6}$/);
  assert.equal(await page.locator("#code").getAttribute("autocomplete"), "one-time-code");
  assert.equal(await page.locator("#code").getAttribute("inputmode"), "numeric");
  assert.equal(await page.locator("verify-phone").getAttribute("code-length"), "6", "the code's length from the worker");
  assert.match(await page.locator("#expiry").textContent(), /expires in (9:5|10:00)/);
  await screenshot(page, "03-code-sent");
  // The code input has focus after sending: keyboard only.
  await page.keyboard.type(code);
  await waitState(page, "verified");
  assert.equal(await page.locator("#proof-number").textContent(), recipient);
  assert.match(await page.locator("#proof-expiry").textContent(), /in (9|10) min/);
  await screenshot(page, "04-verified");
  assert.deepEqual(errors, []);
});

test("voice: the call's spoken code from the sandbox phone verifies", T, async () => {
  const { page } = await open();
  const recipient = "+442079460102";
  await sendCode(page, recipient, "voice");
  const message = page.locator(`#phone-messages li[data-recipient="${recipient}"]`).first();
  await message.waitFor();
  assert.match(await message.getAttribute("class"), /voice/);
  const code = await codeFromPhone(page, recipient);
  await page.keyboard.type(code);
  await waitState(page, "verified");
  await screenshot(page, "05-voice-verified");
});

test("wrong code, then the right one", T, async () => {
  const { page } = await open();
  const recipient = "+14155550103";
  await sendCode(page, recipient);
  const code = await codeFromPhone(page, recipient);
  const wrong = code === "111111" ? "222222" : "111111";
  await page.keyboard.type(wrong);
  await waitState(page, "incorrect");
  assert.match(await page.locator("#status").textContent(), /isn't right/);
  await screenshot(page, "06-incorrect");
  // The wrong code is selected: typing replaces it.
  await page.keyboard.type(code);
  await waitState(page, "verified");
});

test("paste of a whole code works", T, async () => {
  const { page } = await open();
  const recipient = "+14155550104";
  await sendCode(page, recipient);
  const code = await codeFromPhone(page, recipient);
  await page.locator("#code").evaluate((input, text) => {
    const data = new DataTransfer();
    data.setData("text", `Your code: ${text}`);
    input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, code);
  await waitState(page, "verified");
});

test("expiry: after the sandbox clock moves past the code's lifetime the code is expired", T, async () => {
  const { page } = await open();
  const recipient = "+14155550105";
  await sendCode(page, recipient);
  const code = await codeFromPhone(page, recipient);
  await demo.sandboxPost("/__sandbox/clock", { advance_secs: 601 });
  await page.keyboard.type(code);
  await waitState(page, "expired");
  assert.match(await page.locator("#status").textContent(), /expired/);
  await screenshot(page, "07-expired");
});

test("resend cooldown: counted down on the button, then a resend delivers again", T, async () => {
  const { page } = await open();
  const recipient = "+14155550106";
  await sendCode(page, recipient);
  await page.waitForSelector("#phone-messages li[data-recipient='+14155550106']");
  assert.equal(await page.locator("#send").isDisabled(), true);
  assert.match(await page.locator("#send").textContent(), /Resend code in 0:0[1-3]/);
  await screenshot(page, "08-resend-cooldown");
  await sendEnabled(page);
  assert.equal(await page.locator("#send").textContent(), "Resend code");
  await page.locator("#send").click();
  await codeFromPhone(page, recipient, { after: 1 });
  await waitState(page, "sent");
});

test("rate limit: the fourth code to one number is refused, with the wait shown", T, async () => {
  const { page } = await open();
  const recipient = "+14155550107";
  await sendCode(page, recipient);
  for (let i = 0; i < 3; i++) {
    await sendEnabled(page);
    await page.locator("#send").click();
    if (i < 2) await waitState(page, "sent");
  }
  await waitState(page, "rate_limited");
  assert.match(await page.locator("#status").textContent(), /wait [0-9]+:[0-9]{2}/);
  assert.equal(await page.locator("#send").isDisabled(), true);
  await screenshot(page, "09-rate-limited");
});

test("the event feed shows the signed status callbacks: queued, sent, delivered, verified", T, async () => {
  const { page } = await open();
  const recipient = "+14155550108";
  await sendCode(page, recipient);
  const code = await codeFromPhone(page, recipient);
  await page.keyboard.type(code);
  await waitState(page, "verified");
  const session = await page.locator("#proof-session").textContent();
  const feed = page.locator("#events");
  for (const status of ["queued", "sent", "delivered"]) {
    await feed.locator(`li[data-session="${session}"][data-status="${status}"]`).first().waitFor();
  }
  await feed.locator(`li[data-session="${session}"][data-session-status="verified"]`).first().waitFor();
  assert.match(await feed.locator(`li[data-session="${session}"][data-session-status="verified"]`).first().textContent(), /session verified/);
  await screenshot(page, "10-event-feed");
});

test("sessions table: status and recipient filters, paging", T, async () => {
  const { page } = await open();
  // Enough sessions for two pages of 5, whatever ran before.
  for (let i = 0; i < 6; i++) {
    const r = await page.request.post(new URL("/verify/start", demo.url).href, {
      data: { recipient: `+1415555020${i}` },
    });
    assert.equal(r.status(), 200);
  }
  await page.locator("#refresh").click();
  const rows = page.locator("#sessions-body tr[data-session]");
  // The refreshed first page (not the one loaded with the page): it has the last session made.
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll("#sessions-body tr[data-session]")];
    return rs.length === 5 && rs.some((r) => r.querySelector("td.mono").textContent === "+14155550205");
  });
  assert.equal(await page.locator("#next").isDisabled(), false);
  assert.equal(await page.locator("#prev").isDisabled(), true);
  const first = await rows.first().getAttribute("data-session");
  await page.locator("#next").click();
  await page.waitForFunction((f) => {
    const row = document.querySelector("#sessions-body tr[data-session]");
    return row && row.dataset.session !== f;
  }, first);
  assert.match(await page.locator("#page-info").textContent(), /^6–/);
  assert.equal(await page.locator("#prev").isDisabled(), false);
  await screenshot(page, "11-sessions-page-2");
  await page.locator("#prev").click();
  await page.waitForFunction((f) => document.querySelector("#sessions-body tr[data-session]")?.dataset.session === f, first);

  await page.locator("#f-status").selectOption("verified");
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll("#sessions-body tr[data-session]")];
    return rs.length > 0 && rs.every((r) => r.dataset.status === "verified");
  });
  await page.locator("#f-status").selectOption("");
  await page.locator("#f-recipient").fill("+1 415 555 0203");
  await page.locator("#apply").click();
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll("#sessions-body tr[data-session]")];
    return rs.length === 1 && rs[0].querySelector("td.mono").textContent === "+14155550203";
  });
  await screenshot(page, "12-sessions-filtered");
  // Responsive: the same page on a phone-sized screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "13-mobile");
});

test("too many wrong codes: the session is used up", T, async () => {
  const { page } = await open();
  const recipient = "+14155550109";
  await sendCode(page, recipient);
  const code = await codeFromPhone(page, recipient);
  const wrong = code === "111111" ? "222222" : "111111";
  for (let i = 0; i < 2; i++) {
    await page.keyboard.type(wrong);
    await waitState(page, "incorrect");
    await page.locator("#status").evaluate((s) => (s.dataset.state = "seen"));
  }
  await page.keyboard.type(wrong);
  await waitState(page, "too_many_attempts");
  assert.equal(await page.locator("#code-form").isHidden(), true);
  await screenshot(page, "14-too-many-attempts");
});

test("network error: a lost connection is said so, and a retry works", T, async () => {
  const { page } = await open();
  await page.route("**/verify/start", (route) => route.abort("internetdisconnected"));
  await page.locator("#phone").fill("+14155550110");
  await page.locator("#send").click();
  await waitState(page, "network_error");
  assert.match(await page.locator("#status").textContent(), /couldn't reach/);
  await screenshot(page, "15-network-error");
  await page.unroute("**/verify/start");
  await page.locator("#send").click();
  await waitState(page, "sent");
});

test("real mode (PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN set): no sandbox, says so, sandbox panels hidden", T, async () => {
  const closed = await freePort(); // nothing listens: the "real API" is unreachable, nothing leaves the machine
  const real = await startDemo({
    env: {
      PLIVO_AUTH_ID: "MAYYYYYYYYYYYYYYYYYY",
      PLIVO_AUTH_TOKEN: "not-a-real-token-0123456789",
      PLIVO_BASE_URL: `http://127.0.0.1:${closed}`,
    },
  });
  try {
    assert.ok(real.output.some((l) => /REAL API mode/.test(l)));
    assert.ok(!real.output.some((l) => /not-a-real-token/.test(l)));
    const { page, context } = await openDemo(browser, real.url);
    try {
      assert.equal(await page.locator("#mode").getAttribute("data-mode"), "real");
      assert.equal(await page.locator("#phone-panel").isHidden(), true);
      const phone = await page.request.get(new URL("/demo/phone", real.url).href);
      assert.equal(phone.status(), 404);
      // Numbers and charges are the token holder's only: the printed URL carries the token
      // in its #fragment; without it the routes answer 401.
      const printed = real.output.find((l) => /#demo-token=/.test(l))?.trim();
      assert.ok(printed, "the URL with the demo token is printed");
      const token = new URL(printed).hash.replace("#demo-token=", "");
      for (const route of ["/demo/events", "/demo/sessions"]) {
        const anonymous = await page.request.get(new URL(route, real.url).href);
        assert.equal(anonymous.status(), 401, route);
        const wrong = await page.request.get(new URL(route, real.url).href, { headers: { authorization: `Bearer ${"0".repeat(token.length)}` } });
        assert.equal(wrong.status(), 401, `${route} with a wrong token`);
      }
      const withToken = await page.request.get(new URL("/demo/events", real.url).href, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(withToken.status(), 200);
      // The page opened from the printed URL sends the token, and drops it from the address bar.
      const tokened = await context.newPage();
      const answers = [];
      tokened.on("response", (r) => r.url().includes("/demo/events") && answers.push(r.status()));
      await tokened.goto(printed);
      await poll(() => answers.length > 0, { what: "the page's /demo/events call" });
      assert.equal(answers[0], 200);
      assert.doesNotMatch(tokened.url(), /demo-token/);
      assert.doesNotMatch(await page.content(), /not-a-real-token/);
      await screenshot(page, "16-real-mode");
    } finally {
      await context.close();
    }
  } finally {
    const stopped = await real.stop();
    assert.equal(stopped.code, 0);
  }
});

/** GET `path` from the demo with a `Host` header of the caller's choosing (fetch cannot set one). */
function getWithHost(port, path, host) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("DNS rebinding: a request naming another host gets 421 and reaches nothing; sandbox mode needs no token", T, async () => {
  for (const path of ["/", "/verify/session/00000000-0000-4000-8000-000000000000", "/demo/events", "/demo/sessions"]) {
    const rebound = await getWithHost(demo.port, path, `attacker.example:${demo.port}`);
    assert.equal(rebound.status, 421, `${path}: ${rebound.body}`);
    assert.doesNotMatch(rebound.body, /\+1[0-9]{10}/, "no number in the answer");
  }
  for (const host of [`127.0.0.1:${demo.port}`, `localhost:${demo.port}`]) {
    assert.equal((await getWithHost(demo.port, "/demo/events", host)).status, 200, host);
  }
});

test("a second start on the same port says so and exits 1; nothing the page got holds a secret", T, async () => {
  const second = spawn(process.execPath, [join(ROOT, "www", "demo", "serve.mjs")], {
    env: { ...process.env, PLIVO_AUTH_ID: "", PLIVO_AUTH_TOKEN: "", DEMO_PORT: String(demo.port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  second.stderr.on("data", (d) => (err += d));
  const code = await new Promise((resolve) => {
    const t = setTimeout(() => second.kill("SIGKILL"), 30_000);
    second.once("exit", (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  assert.equal(code, 1);
  assert.match(err, /already in use/);
  // The sandbox's auth token is `sandbox-<32 hex>`: never in an answer to the page nor in the demo's output.
  assert.ok(bodies.length > 10);
  for (const { text } of bodies) assert.doesNotMatch(text, /sandbox-[0-9a-f]{32}/);
  // The codes: only the sandbox phone (/demo/phone, the sandbox's outbox) shows them.
  assert.ok(CODES.size >= 5);
  for (const { url, text } of bodies) {
    if (!/\/(verify\/|demo\/events)/.test(url)) continue;
    for (const code of CODES) assert.doesNotMatch(text, new RegExp(`(?<![0-9])${code}(?![0-9])`), `a code in ${url}`);
  }
  for (const line of demo.output) assert.doesNotMatch(line, /sandbox-[0-9a-f]{32}/);
  // The demo's own output (not the sandbox console it echoes) never shows a code.
  for (const line of demo.output.filter((l) => !l.startsWith("sandbox | "))) {
    for (const code of CODES) assert.ok(!line.includes(code), "a code in the demo's output");
  }
  assert.equal(demo.output.filter((l) => /https?:\/\//.test(l) && !l.startsWith("sandbox | ")).length, 1, "one URL printed");
});
