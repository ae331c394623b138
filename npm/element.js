// plivo-verify-wasm/element: <verify-phone>, the whole verification flow as one custom
// element, built on VerifyBrowserClient (its own small module). A page needs two lines:
//
//   <script type="module" src="/node_modules/plivo-verify-wasm/element.js"></script>
//   <verify-phone endpoint="/verify"></verify-phone>
//
// It asks for a number (checked as it is typed, E.164), sends a code by SMS or voice (with
// "call me instead" once the resend wait is over), takes the code (autocomplete
// "one-time-code", numeric, pasted codes, WebOTP where the browser has it), counts down the
// resend wait and the code's expiry, and says every outcome in an aria-live status. On
// success it fires `verified` with `{ proof, sessionUuid, recipient }`: send the proof to your
// server (verifyProof). Strings: `element.strings = { … }`; styles: CSS custom properties
// (--verify-phone-*) and ::part(); states: the host's `data-state`.
import { VerifyBrowserClient, VerifyError } from "./browser-client.js";

/** The element's texts (English); replace any of them with `element.strings = { … }`. */
export const DEFAULT_STRINGS = {
  phoneLabel: "Phone number",
  phoneHint: "With the country code, e.g. +1 415 555 0100.",
  countriesHint: (countries) => `Codes can be sent to: ${countries.join(", ")}.`,
  invalidNumber: "Enter the number with its country code, starting with +.",
  channelLegend: "Send the code by",
  sms: "Text message",
  voice: "Phone call",
  send: "Send code",
  resend: "Resend code",
  resendIn: (wait) => `Resend code in ${wait}`,
  callInstead: "Call me instead",
  codeLabel: "Code",
  check: "Verify",
  change: "Change number",
  sending: "Sending your code…",
  calling: "Calling you…",
  sentSms: (recipient) => `We sent a code to ${recipient}.`,
  sentVoice: (recipient) => `We're calling ${recipient} with your code.`,
  expiresIn: (wait) => `The code expires in ${wait}.`,
  checking: "Checking…",
  verified: "Your number is verified.",
  incorrect: "That code isn't right. Check it and try again.",
  expired: "This code has expired. Send a new code.",
  tooManyAttempts: "Too many wrong codes. This code no longer works: send a new one.",
  rateLimited: (wait) => `Too many attempts for now. Please wait ${wait} before trying again.`,
  challengeFailed: "The security check did not pass. Try again.",
  challengeNeeded: "Complete the security check first.",
  networkError: "We couldn't reach the server. Check your connection and try again.",
  error: (message) => `Something went wrong: ${message}`,
};

const STYLE = `
:host { display: block; font: var(--verify-phone-font, inherit); color: var(--verify-phone-text, inherit);
  max-width: var(--verify-phone-max-width, 24rem); }
[hidden] { display: none !important; }
form { display: grid; gap: var(--verify-phone-gap, .5rem); margin: 0 0 var(--verify-phone-gap, .5rem); }
label, legend { font-weight: 600; }
fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: 1rem; flex-wrap: wrap; }
fieldset label { font-weight: 400; }
input[type=tel], input[inputmode=numeric] { font: inherit; padding: .5rem .625rem;
  border: 1px solid var(--verify-phone-border, #8a8f98); border-radius: var(--verify-phone-radius, .375rem);
  background: var(--verify-phone-input-background, #fff); color: inherit; }
input[aria-invalid=true] { border-color: var(--verify-phone-error, #b3261e); }
input[inputmode=numeric] { letter-spacing: .3em; font-variant-numeric: tabular-nums; }
button { font: inherit; padding: .5rem .875rem; border-radius: var(--verify-phone-radius, .375rem); cursor: pointer;
  border: 1px solid var(--verify-phone-accent, #1a56db); background: var(--verify-phone-accent, #1a56db);
  color: var(--verify-phone-accent-text, #fff); }
button.secondary { background: transparent; color: var(--verify-phone-accent, #1a56db); }
button:disabled { opacity: .55; cursor: not-allowed; }
:focus-visible { outline: var(--verify-phone-focus-width, 3px) solid var(--verify-phone-focus, #f59e0b); outline-offset: 2px; }
.hint, .countdown { font-size: .875em; margin: 0; color: var(--verify-phone-muted, #555c66); }
.status { margin: 0; min-height: 1.4em; }
:host([data-state=verified]) .status { color: var(--verify-phone-success, #146c2e); font-weight: 600; }
:host([data-state=incorrect]) .status, :host([data-state=expired]) .status,
:host([data-state=too_many_attempts]) .status, :host([data-state=rate_limited]) .status,
:host([data-state=network_error]) .status, :host([data-state=challenge_failed]) .status,
:host([data-state=error]) .status { color: var(--verify-phone-error, #b3261e); }
`;

const TEMPLATE = `
<form class="phone" part="phone-form" novalidate>
  <label part="label" for="phone" data-text="phoneLabel"></label>
  <input part="input phone-input" id="phone" name="phone" type="tel" autocomplete="tel" inputmode="tel"
    aria-describedby="phone-hint" required>
  <p class="hint" part="hint" id="phone-hint"></p>
  <fieldset part="channels"><legend data-text="channelLegend"></legend>
    <label><input type="radio" name="channel" value="sms" checked> <span data-text="sms"></span></label>
    <label><input type="radio" name="channel" value="voice"> <span data-text="voice"></span></label>
  </fieldset>
  <div part="challenge" class="challenge" hidden></div>
  <button part="button send-button" class="send" id="send" type="submit"></button>
</form>
<form class="code" id="code-form" part="code-form" novalidate hidden>
  <label part="label" for="code" data-text="codeLabel"></label>
  <input part="input code-input" id="code" name="code" autocomplete="one-time-code" inputmode="numeric"
    pattern="[0-9]*" aria-describedby="expiry">
  <p class="countdown" part="countdown" id="expiry"></p>
  <button part="button check-button" class="check" id="check" type="submit" data-text="check"></button>
  <button part="button call-button" class="call secondary" id="call" type="button" data-text="callInstead" hidden></button>
  <button part="button change-button" class="change secondary" id="change" type="button" data-text="change"></button>
</form>
<p class="status" id="status" part="status" role="status" aria-live="polite" data-state="idle"></p>
`;

/** The typed number in E.164, or undefined: the package's own rule (the one /start applies). */
const normalise = (typed) => VerifyBrowserClient.normaliseNumber(typed);

/** `m:ss` of a wait in milliseconds (rounded up to the second). */
function clock(ms) {
  const secs = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
}

const text = (value, ...args) => (typeof value === "function" ? value(...args) : String(value));

/** A fresh key per user action (a click), so that the proxy sends one code for it. */
const actionKey = () => globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/**
 * `<verify-phone>`. Attributes: `endpoint` (the proxy, default `/verify`), `channels`
 * (`"sms voice"`, the default, or one of them), `countries` (ISO codes to show, e.g.
 * `"US CA"`), `code-length` (4 to 8, default 6: the code is checked when complete),
 * `code-expiry` (seconds, default 600, as your Verify app's), `turnstile-sitekey` (renders
 * Cloudflare Turnstile and sends its token as `challengeToken`). Properties: `strings`,
 * `client` (a VerifyBrowserClient of your own), `state`. Events: `verified` (detail
 * `{ proof, sessionUuid, recipient }`) and `statechange` (detail `{ state }`).
 */
export class VerifyPhoneElement extends HTMLElement {
  static observedAttributes = ["endpoint", "channels", "countries", "code-length", "turnstile-sitekey"];

  #strings = { ...DEFAULT_STRINGS };
  #client = null;
  #ui;
  #state = "idle";
  #session = null; // { sessionUuid, recipient, channel, resendAt, expiresAt }
  #waitUntil = 0; // a rate limit's end
  #timer = 0;
  #webOtp = null;
  #challenge = { widget: undefined, token: undefined };
  #busy = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open", delegatesFocus: true });
    root.innerHTML = `<style>${STYLE}</style>${TEMPLATE}`;
    const $ = (selector) => root.querySelector(selector);
    this.#ui = {
      root,
      phoneForm: $("form.phone"),
      phone: $("#phone"),
      hint: $("#phone-hint"),
      channels: $("fieldset"),
      challenge: $(".challenge"),
      send: $("button.send"),
      codeForm: $("form.code"),
      code: $("#code"),
      expiry: $("#expiry"),
      check: $("button.check"),
      call: $("button.call"),
      change: $("button.change"),
      status: $(".status"),
    };
    const ui = this.#ui;
    ui.phone.addEventListener("input", () => this.#render());
    ui.phoneForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#start(this.#channel());
    });
    ui.call.addEventListener("click", () => this.#start("voice"));
    ui.change.addEventListener("click", () => this.#reset());
    ui.code.addEventListener("paste", (event) => {
      // A pasted message ("Your code: 123456") gives its digits.
      const digits = (event.clipboardData?.getData("text") ?? "").replace(/[^0-9]/g, "");
      if (digits.length < this.#codeLength()) return;
      event.preventDefault();
      ui.code.value = digits.slice(0, this.#codeLength());
      ui.code.dispatchEvent(new Event("input"));
    });
    ui.code.addEventListener("input", () => {
      // Pasted or autofilled codes keep their digits only ("123 456", "123-456").
      const digits = ui.code.value.replace(/[^0-9]/g, "").slice(0, this.#codeLength());
      if (digits !== ui.code.value) ui.code.value = digits;
      this.#render();
      if (digits.length === this.#codeLength()) this.#check();
    });
    ui.codeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#check();
    });
  }

  connectedCallback() {
    this.dataset.state ??= this.#state;
    this.#renderTexts();
    this.#renderChallenge();
    this.#render();
  }

  disconnectedCallback() {
    this.#stopWaiting();
  }

  attributeChangedCallback(name) {
    if (!this.isConnected) return;
    // A new endpoint needs a client of its own (unless the app gave one).
    if (name === "endpoint" && !this.#appClient) this.#client = null;
    this.#renderTexts();
    this.#renderChallenge();
    this.#render();
  }

  /** The texts in use; assign an object to replace some (the rest stay). */
  get strings() {
    return { ...this.#strings };
  }
  set strings(value) {
    this.#strings = { ...this.#strings, ...(value ?? {}) };
    this.#renderTexts();
    this.#render();
  }

  #appClient = false;
  /** The VerifyBrowserClient the element talks through (one of its own by default). */
  get client() {
    this.#client ??= new VerifyBrowserClient({ endpoint: this.getAttribute("endpoint") || "/verify" });
    return this.#client;
  }
  set client(value) {
    this.#client = value;
    this.#appClient = value != null;
  }

  /** What the element shows: idle, sending, sent, checking, verified, incorrect, expired,
   * too_many_attempts, rate_limited, challenge_failed, network_error or error. */
  get state() {
    return this.#state;
  }

  #codeLength() {
    const n = Number(this.getAttribute("code-length"));
    return Number.isInteger(n) && n >= 4 && n <= 8 ? n : 6;
  }

  #codeExpiryMs() {
    const n = Number(this.getAttribute("code-expiry"));
    return (Number.isFinite(n) && n > 0 ? n : 600) * 1000;
  }

  #allowedChannels() {
    const listed = (this.getAttribute("channels") ?? "sms voice").split(/[\s,]+/).filter((c) => c === "sms" || c === "voice");
    return listed.length ? listed : ["sms", "voice"];
  }

  #channel() {
    const picked = this.#ui.channels.querySelector("input:checked")?.value;
    const allowed = this.#allowedChannels();
    return allowed.includes(picked) ? picked : allowed[0];
  }

  /** Back to an empty number, as at first (the demo's "Verify another number"). */
  reset() {
    this.#stopWaiting();
    this.#session = null;
    this.#ui.code.value = "";
    this.#ui.phone.value = "";
    this.#setState("idle", "");
    this.#ui.phone.focus();
  }

  #setState(state, message) {
    this.#state = state;
    this.dataset.state = state;
    this.#ui.status.dataset.state = state;
    this.#ui.status.textContent = message ?? "";
    this.dispatchEvent(new CustomEvent("statechange", { detail: { state } }));
    this.#render();
  }

  #renderTexts() {
    const s = this.#strings;
    for (const node of this.#ui.root.querySelectorAll("[data-text]")) node.textContent = text(s[node.dataset.text]);
    // Room for a pasted "123 456" or "123-456": the input handler keeps the digits.
    this.#ui.code.maxLength = this.#codeLength() * 2;
    this.#ui.code.setAttribute("aria-label", `${text(s.codeLabel)} (${this.#codeLength()})`);
  }

  /** Cloudflare Turnstile, when a site key is set: its script, then its widget. */
  #renderChallenge() {
    const sitekey = this.getAttribute("turnstile-sitekey");
    const box = this.#ui.challenge;
    box.hidden = !sitekey;
    if (!sitekey || this.#challenge.widget !== undefined) return;
    const render = () => {
      if (this.#challenge.widget !== undefined || !globalThis.turnstile) return;
      this.#challenge.widget = globalThis.turnstile.render(box, {
        sitekey,
        callback: (token) => {
          this.#challenge.token = token;
          this.#render();
        },
        "expired-callback": () => {
          this.#challenge.token = undefined;
          this.#render();
        },
      });
    };
    if (globalThis.turnstile) return render();
    if (!document.querySelector("script[data-verify-phone-turnstile]")) {
      const script = document.createElement("script");
      script.src = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";
      script.async = true;
      script.dataset.verifyPhoneTurnstile = "";
      document.head.append(script);
    }
    document.querySelector("script[data-verify-phone-turnstile]").addEventListener("load", render, { once: true });
  }

  /** Buttons, countdowns and field states from the current state and clock. */
  #render() {
    const ui = this.#ui;
    const s = this.#strings;
    const now = Date.now();
    const typed = ui.phone.value.trim();
    const valid = normalise(typed) !== undefined;
    const invalid = typed !== "" && !valid;
    ui.phone.setAttribute("aria-invalid", String(invalid));
    const countries = (this.getAttribute("countries") ?? "").split(/[\s,]+/).filter(Boolean);
    ui.hint.textContent = invalid
      ? text(s.invalidNumber)
      : [text(s.phoneHint), countries.length ? text(s.countriesHint, countries) : ""].filter(Boolean).join(" ");
    const allowed = this.#allowedChannels();
    ui.channels.hidden = allowed.length < 2 || this.#state === "verified";
    const session = this.#session;
    const resendWait = session ? session.resendAt - now : 0;
    const limitWait = this.#waitUntil - now;
    const verified = this.#state === "verified";
    const needsToken = !ui.challenge.hidden && !this.#challenge.token;
    ui.send.hidden = verified;
    ui.send.disabled = this.#busy || verified || !valid || resendWait > 0 || limitWait > 0 || needsToken;
    ui.send.textContent = session
      ? resendWait > 0
        ? text(s.resendIn, clock(resendWait))
        : text(s.resend)
      : text(s.send);
    ui.phone.readOnly = session !== null;
    // A code that can no longer pass (expired, used up) leaves only "send a new one".
    const spent = ["expired", "too_many_attempts"].includes(this.#state);
    ui.codeForm.hidden = session === null || verified || spent;
    ui.call.hidden = !(session && session.channel === "sms" && allowed.includes("voice") && resendWait <= 0 && !verified);
    ui.call.disabled = this.#busy || limitWait > 0 || needsToken;
    ui.check.disabled = this.#busy || ui.code.value.length !== this.#codeLength();
    ui.code.disabled = this.#busy && this.#state === "checking";
    ui.expiry.textContent = session && !verified && session.expiresAt > now ? text(s.expiresIn, clock(session.expiresAt - now)) : "";
    if (this.#state === "rate_limited") {
      ui.status.textContent = limitWait > 0 ? text(s.rateLimited, clock(limitWait)) : "";
    }
    const ticking = !verified && (resendWait > 0 || limitWait > 0 || (session && session.expiresAt > now));
    if (ticking && !this.#timer) {
      this.#timer = setInterval(() => this.#render(), 250);
    } else if (!ticking && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = 0;
    }
  }

  async #start(channel) {
    const ui = this.#ui;
    const recipient = normalise(ui.phone.value.trim());
    if (this.#busy || recipient === undefined) return;
    if (!ui.challenge.hidden && !this.#challenge.token) return this.#setState("challenge_failed", text(this.#strings.challengeNeeded));
    this.#busy = true;
    this.#setState("sending", text(channel === "voice" ? this.#strings.calling : this.#strings.sending));
    const options = { channel, idempotencyKey: actionKey() };
    if (this.#challenge.token) options.challengeToken = this.#challenge.token;
    try {
      const started = await this.client.start(recipient, options);
      const now = Date.now();
      const fresh = started.sessionUuid !== this.#session?.sessionUuid;
      this.#session = {
        sessionUuid: started.sessionUuid,
        recipient,
        channel: started.channel,
        resendAt: now + started.resendAfterSecs * 1000,
        expiresAt: fresh ? now + this.#codeExpiryMs() : this.#session.expiresAt,
      };
      this.#busy = false;
      this.#setState("sent", text(started.channel === "voice" ? this.#strings.sentVoice : this.#strings.sentSms, recipient));
      ui.code.value = "";
      ui.code.focus();
      this.#waitForWebOtp();
    } catch (e) {
      this.#busy = false;
      this.#failed(e);
    } finally {
      this.#spendChallenge();
      this.#render();
    }
  }

  async #check() {
    const ui = this.#ui;
    const session = this.#session;
    const code = ui.code.value;
    if (this.#busy || !session || code.length !== this.#codeLength()) return;
    this.#busy = true;
    this.#setState("checking", text(this.#strings.checking));
    try {
      const result = await this.client.check(session.sessionUuid, code);
      this.#busy = false;
      if (result.verified) {
        this.#stopWaiting();
        this.#setState("verified", text(this.#strings.verified));
        this.dispatchEvent(new CustomEvent("verified", {
          detail: { proof: result.proof, sessionUuid: session.sessionUuid, recipient: session.recipient },
          bubbles: true,
          composed: true,
        }));
        return;
      }
      const [state, message] = {
        incorrect: ["incorrect", this.#strings.incorrect],
        expired: ["expired", this.#strings.expired],
        too_many_attempts: ["too_many_attempts", this.#strings.tooManyAttempts],
      }[result.reason] ?? ["incorrect", this.#strings.incorrect];
      if (state !== "incorrect") session.expiresAt = 0;
      this.#setState(state, text(message));
      if (state === "incorrect") {
        // Selected: typing the right code replaces it.
        ui.code.focus();
        ui.code.select();
      } else {
        ui.send.focus();
      }
    } catch (e) {
      this.#busy = false;
      this.#failed(e);
    }
  }

  #failed(e) {
    const s = this.#strings;
    if (!(e instanceof VerifyError)) return this.#setState("error", text(s.error, String(e?.message ?? e)));
    switch (e.code) {
      case "rate_limited":
        this.#waitUntil = Date.now() + (e.retryAfterMs ?? 30_000);
        return this.#setState("rate_limited", text(s.rateLimited, clock(this.#waitUntil - Date.now())));
      case "challenge_failed":
        return this.#setState("challenge_failed", text(s.challengeFailed));
      case "network":
      case "timeout":
        return this.#setState("network_error", text(s.networkError));
      default:
        return this.#setState("error", text(s.error, e.message));
    }
  }

  /** A Turnstile token is single-use: after a start, a fresh one is needed. */
  #spendChallenge() {
    if (this.#challenge.token === undefined) return;
    this.#challenge.token = undefined;
    if (this.#challenge.widget !== undefined) globalThis.turnstile?.reset?.(this.#challenge.widget);
  }

  /** WebOTP: where the browser reads the SMS's code, fill it in and check it. */
  #waitForWebOtp() {
    this.#webOtp?.abort();
    if (this.#session?.channel !== "sms" || typeof this.client.receiveCode !== "function") return;
    const waiting = new AbortController();
    this.#webOtp = waiting;
    this.client.receiveCode(waiting.signal).then((code) => {
      if (!code || waiting.signal.aborted || this.#state === "verified") return;
      this.#ui.code.value = code.slice(0, this.#codeLength());
      this.#render();
      this.#check();
    });
  }

  #stopWaiting() {
    this.#webOtp?.abort();
    this.#webOtp = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = 0;
  }

  /** Back to the number, kept for editing ("Change number"). */
  #reset() {
    const typed = this.#ui.phone.value;
    this.reset();
    this.#ui.phone.value = typed;
    this.#render();
  }
}

if (!customElements.get("verify-phone")) customElements.define("verify-phone", VerifyPhoneElement);
