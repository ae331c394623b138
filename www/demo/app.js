// The demo page. Talks only to the worker: /verify/* through the package's
// VerifyBrowserClient (no credentials here), and the demo-only routes /demo/*.
import { VerifyBrowserClient } from "/pkg/browser-client.js";

const $ = (id) => document.getElementById(id);
const verify = new VerifyBrowserClient({ endpoint: "/verify" });
const PAGE_SIZE = 5;
const POLL_MS = 1500;

const state = {
  config: { mode: "sandbox", codeLength: 6, codeExpirySecs: 600, resendAfterSecs: 30 },
  sessionUuid: null,
  recipient: null,
  resendAt: 0, // ms timestamp
  expiresAt: 0,
  blockedUntil: 0, // rate limited until
  busy: false,
  done: false,
  offset: 0,
};

// ---------- helpers ----------
const normalise = (text) => text.replace(/[\s().-]/g, "");
const isE164 = (text) => /^\+[1-9][0-9]{6,14}$/.test(normalise(text));
function clock(secs) {
  secs = Math.max(0, Math.ceil(secs));
  const m = Math.floor(secs / 60);
  const s = String(secs % 60).padStart(2, "0");
  return `${m}:${s}`;
}
function maskNumber(n) {
  if (!n) return "?";
  const d = String(n).replace(/^\+/, "");
  return `+${d.slice(0, Math.max(1, d.length - 4)).replace(/[0-9]/g, "•")}${d.slice(-4)}`;
}
const plus = (n) => (n ? (String(n).startsWith("+") ? String(n) : `+${n}`) : "");
function timeOf(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}
/** The JWT's payload, decoded for display only (the server checks the signature). */
function decodeJwt(token) {
  const part = token.split(".")[1] ?? "";
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function setStatus(kind, message) {
  const box = $("status");
  box.dataset.state = kind;
  box.textContent = message;
}

// ---------- phone input ----------
const phone = $("phone");
function validatePhone() {
  const value = phone.value.trim();
  const hint = $("phone-hint");
  if (!value) {
    phone.removeAttribute("aria-invalid");
    hint.dataset.valid = "";
    hint.textContent = "Include the country code, e.g. +1 415 555 0100.";
  } else if (isE164(value)) {
    phone.setAttribute("aria-invalid", "false");
    hint.dataset.valid = "yes";
    hint.textContent = `Looks good: ${normalise(value)}`;
  } else {
    phone.setAttribute("aria-invalid", "true");
    hint.dataset.valid = "no";
    const digits = normalise(value);
    hint.textContent = !digits.startsWith("+")
      ? "Start with + and the country code, e.g. +1 415 555 0100."
      : /[^+0-9]/.test(digits)
        ? "Only digits, spaces, dashes and parentheses, please."
        : "An international number has 7 to 15 digits after the +.";
  }
  updateSendButton();
}
phone.addEventListener("input", validatePhone);

function channel() {
  return document.querySelector('input[name="channel"]:checked').value;
}

// ---------- send / resend ----------
function updateSendButton() {
  const send = $("send");
  const now = Date.now();
  if (state.busy === "send") {
    send.disabled = true;
    send.setAttribute("aria-busy", "true");
    send.textContent = "Sending…";
    return;
  }
  send.removeAttribute("aria-busy");
  const waitResend = state.sessionUuid && !state.done ? (state.resendAt - now) / 1000 : 0;
  const waitLimit = (state.blockedUntil - now) / 1000;
  const wait = Math.max(waitResend, waitLimit);
  const label = state.sessionUuid && !state.done ? "Resend code" : "Send code";
  if (wait > 0) {
    send.disabled = true;
    send.textContent = `${label} in ${clock(wait)}`;
  } else {
    send.disabled = Boolean(state.busy) || !isE164(phone.value.trim()) || state.done;
    send.textContent = label;
  }
}

function errorMessage(e) {
  switch (e?.code) {
    case "network":
    case "timeout":
      return ["network_error", "We couldn't reach the server. Check your connection and try again."];
    case "invalid_argument":
      return ["error", `That doesn't look right: ${e.message}`];
    case "country_not_allowed":
      return ["error", "We can't send codes to that country."];
    case "upstream_error":
    case "upstream_timeout":
    case "server_error":
      return ["error", "The verification service is having trouble. Please try again in a moment."];
    default:
      return ["error", e?.message || "Something went wrong."];
  }
}

function rateLimited(e) {
  const secs = Math.ceil((e.retryAfterMs ?? 60000) / 1000);
  state.blockedUntil = Date.now() + secs * 1000;
  const box = $("status");
  box.dataset.state = "rate_limited";
  box.dataset.until = String(state.blockedUntil);
  renderRateLimited();
}
function renderRateLimited() {
  const box = $("status");
  if (box.dataset.state !== "rate_limited") return;
  const left = (state.blockedUntil - Date.now()) / 1000;
  box.textContent =
    left > 0
      ? `Too many attempts for now. Please wait ${clock(left)} before trying again.`
      : "You can try again now.";
}

$("start-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if ($("send").disabled) return;
  const recipient = normalise(phone.value.trim());
  state.busy = "send";
  updateSendButton();
  setStatus("sending", channel() === "voice" ? "Calling you…" : "Sending your code…");
  try {
    const result = await verify.start(recipient, { channel: channel() });
    const now = Date.now();
    if (result.sessionUuid !== state.sessionUuid) state.expiresAt = now + state.config.codeExpirySecs * 1000;
    state.sessionUuid = result.sessionUuid;
    state.recipient = recipient;
    state.resendAt = now + result.resendAfterSecs * 1000;
    phone.readOnly = true;
    $("change").hidden = false;
    $("code-form").hidden = false;
    $("sent-to").textContent =
      result.channel === "voice" ? `We're calling ${recipient} with your code.` : `We sent a code to ${recipient}.`;
    setStatus("sent", result.channel === "voice" ? "Answer the call to hear your code." : "Code sent. Check your messages.");
    const code = $("code");
    code.value = "";
    code.disabled = false;
    code.focus();
    updateCheckButton();
    loadSessions();
  } catch (e) {
    if (e?.code === "rate_limited") rateLimited(e);
    else setStatus(...errorMessage(e));
  } finally {
    state.busy = false;
    updateSendButton();
  }
});

$("change").addEventListener("click", () => reset(true));
$("again").addEventListener("click", () => reset(true));

function reset(focus) {
  Object.assign(state, { sessionUuid: null, recipient: null, resendAt: 0, expiresAt: 0, done: false });
  phone.readOnly = false;
  $("change").hidden = true;
  $("code-form").hidden = true;
  $("proof").hidden = true;
  $("start-form").hidden = false;
  $("code").value = "";
  setStatus("idle", "");
  updateSendButton();
  if (focus) phone.focus();
}

// ---------- code ----------
const code = $("code");
function updateCheckButton() {
  const ok = new RegExp(`^[0-9]{${state.config.codeLength}}$`).test(code.value);
  const check = $("check");
  check.disabled = !ok || state.busy === "check" || state.done;
  check.textContent = state.busy === "check" ? "Verifying…" : "Verify";
  if (state.busy === "check") check.setAttribute("aria-busy", "true");
  else check.removeAttribute("aria-busy");
}
code.addEventListener("input", () => {
  const digits = code.value.replace(/[^0-9]/g, "").slice(0, state.config.codeLength);
  if (digits !== code.value) code.value = digits;
  updateCheckButton();
  if (digits.length === state.config.codeLength && !state.busy) $("code-form").requestSubmit();
});
code.addEventListener("paste", (event) => {
  const text = event.clipboardData?.getData("text") ?? "";
  const digits = text.replace(/[^0-9]/g, "");
  if (digits.length >= state.config.codeLength) {
    event.preventDefault();
    code.value = digits.slice(0, state.config.codeLength);
    code.dispatchEvent(new Event("input"));
  }
});

$("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if ($("check").disabled || !state.sessionUuid) return;
  state.busy = "check";
  updateCheckButton();
  setStatus("verifying", "Checking your code…");
  try {
    const result = await verify.check(state.sessionUuid, code.value);
    if (result.verified) {
      state.done = true;
      const claims = decodeJwt(result.proof);
      $("proof-number").textContent = claims.phone_number ?? state.recipient;
      $("proof-session").textContent = claims.sub ?? state.sessionUuid;
      const exp = new Date(claims.exp * 1000);
      $("proof-expiry").textContent = `${exp.toLocaleString()} (in ${Math.round((claims.exp * 1000 - Date.now()) / 60000)} min)`;
      $("proof").hidden = false;
      $("code-form").hidden = true;
      $("start-form").hidden = true;
      setStatus("verified", `Phone number ${claims.phone_number ?? state.recipient} verified.`);
      $("again").focus();
    } else if (result.reason === "incorrect") {
      setStatus("incorrect", "That code isn't right. Check it and try again.");
      code.select();
      code.focus();
    } else if (result.reason === "expired") {
      state.sessionUuid = null;
      setStatus("expired", "This code has expired. Send a new code.");
      $("code-form").hidden = true;
      $("send").focus();
    } else if (result.reason === "too_many_attempts") {
      state.sessionUuid = null;
      setStatus("too_many_attempts", "Too many wrong codes. This code no longer works: send a new one.");
      $("code-form").hidden = true;
      $("send").focus();
    }
    loadSessions();
  } catch (e) {
    if (e?.code === "rate_limited") rateLimited(e);
    else setStatus(...errorMessage(e));
  } finally {
    state.busy = false;
    updateCheckButton();
    updateSendButton();
  }
});

// ---------- countdowns ----------
function tick() {
  updateSendButton();
  renderRateLimited();
  const expiry = $("expiry");
  if (state.sessionUuid && !state.done && state.expiresAt) {
    const left = (state.expiresAt - Date.now()) / 1000;
    expiry.textContent = left > 0 ? `The code expires in ${clock(left)}.` : "The code has expired.";
  } else {
    expiry.textContent = "";
  }
}
setInterval(tick, 250);

// ---------- polling: events and sandbox phone ----------
// Real mode: the demo token for /demo/events and /demo/sessions, from the URL's #fragment
// (which the browser sends nowhere), kept for the tab and taken out of the address bar.
const DEMO_TOKEN = (() => {
  const match = /(?:^#|&)demo-token=([0-9A-Za-z_-]{16,128})/.exec(location.hash);
  if (match) {
    sessionStorage.setItem("demo-token", match[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem("demo-token");
})();

async function getJson(path) {
  const headers = { accept: "application/json" };
  if (DEMO_TOKEN) headers.authorization = `Bearer ${DEMO_TOKEN}`;
  const r = await fetch(path, { headers });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body?.error?.message ?? `HTTP ${r.status}`), { status: r.status });
  return body;
}

const EVENT_LABELS = {
  queued: "queued",
  sent: "sent",
  delivered: "delivered",
  undelivered: "not delivered",
  failed: "failed",
  ringing: "ringing",
  "in-progress": "call in progress",
  completed: "call completed",
  "no-answer": "no answer",
};
let lastEventsKey = "";
async function pollEvents() {
  try {
    const { events } = await getJson("/demo/events");
    const key = events.map((e) => e.id).join(",");
    if (key === lastEventsKey) return;
    lastEventsKey = key;
    const list = $("events");
    list.replaceChildren(
      ...events.slice(0, 30).map((e) => {
        const session = e.sessionStatus === "verified" || e.sessionStatus === "expired" ? e.sessionStatus : null;
        const chan = e.channel === "voice" ? "Voice" : "SMS";
        const what = `${chan} ${EVENT_LABELS[e.channelStatus] ?? e.channelStatus ?? ""}`.trim();
        return el(
          "li",
          { class: `event ${session ? `session-${session}` : ""}`, "data-session": e.sessionUuid ?? "", "data-status": e.channelStatus ?? "", "data-session-status": e.sessionStatus ?? "" },
          el("span", { class: "when", text: timeOf(e.receivedAt) }),
          el("span", { class: "what" }, what, session ? el("span", { class: `badge ${session}`, text: `session ${session}` }) : null),
          el("span", { class: "meta", text: `attempt ${e.attemptSequence ?? "?"} · ${maskNumber(e.recipient)} · ${String(e.sessionUuid).slice(0, 8)}` }),
        );
      }),
    );
    if (!events.length) list.append(el("li", { class: "empty", text: "No callbacks yet." }));
  } catch {
    /* next poll */
  }
}

let lastPhoneKey = "";
async function pollPhone() {
  try {
    const { messages } = await getJson("/demo/phone?limit=10");
    const key = messages.map((m) => m.attempt_uuid).join(",");
    if (key === lastPhoneKey) return;
    lastPhoneKey = key;
    const list = $("phone-messages");
    list.replaceChildren(
      ...messages.map((m) =>
        el(
          "li",
          { class: `message ${m.channel}`, "data-recipient": plus(m.recipient), "data-session": m.session_uuid },
          el("span", { class: "from", text: `${m.channel === "voice" ? "Voice call" : "SMS"} to ${plus(m.recipient)} · ${timeOf(m.time)}` }),
          el("span", { class: "text", text: m.text }),
        ),
      ),
    );
    if (!messages.length) list.append(el("li", { class: "empty", text: "No messages yet." }));
  } catch {
    /* next poll */
  }
}

// ---------- sessions table ----------
let sessionsRequest = 0;
async function loadSessions() {
  const mine = ++sessionsRequest;
  const form = new FormData($("filters"));
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(state.offset) });
  if (form.get("status")) params.set("status", form.get("status"));
  const recipient = String(form.get("recipient") ?? "").trim();
  if (recipient) params.set("recipient", recipient);
  const body = $("sessions-body");
  $("sessions-table").setAttribute("aria-busy", "true");
  try {
    const page = await getJson(`/demo/sessions?${params}`);
    if (mine !== sessionsRequest) return;
    body.replaceChildren(
      ...page.sessions.map((s) =>
        el(
          "tr",
          { "data-session": s.sessionUuid ?? "", "data-status": s.status ?? "" },
          el("td", { text: timeOf(s.createdAt) }),
          el("td", { class: "mono", text: plus(s.recipient) }),
          el("td", {}, el("span", { class: `badge ${s.status}`, text: s.status ?? "?" })),
          el("td", { text: s.channel === "voice" ? "Voice" : s.channel === "sms" ? "SMS" : (s.channel ?? "") }),
          el("td", { class: "num", text: String(s.count ?? "") }),
          el("td", { class: "num mono", text: s.totalCharge ?? "" }),
        ),
      ),
    );
    if (!page.sessions.length) {
      body.append(el("tr", {}, el("td", { colspan: "6", class: "empty", text: "No sessions match." })));
    }
    const from = page.sessions.length ? state.offset + 1 : 0;
    $("page-info").textContent = `${from}–${state.offset + page.sessions.length}`;
    $("prev").disabled = !page.meta.previous && state.offset === 0;
    $("next").disabled = !page.meta.next;
  } catch (e) {
    if (mine !== sessionsRequest) return;
    body.replaceChildren(el("tr", {}, el("td", { colspan: "6", class: "empty", text: `Could not load sessions: ${e.message}` })));
  } finally {
    if (mine === sessionsRequest) $("sessions-table").removeAttribute("aria-busy");
  }
}
$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  state.offset = 0;
  loadSessions();
});
$("f-status").addEventListener("change", () => {
  state.offset = 0;
  loadSessions();
});
$("prev").addEventListener("click", () => {
  state.offset = Math.max(0, state.offset - PAGE_SIZE);
  loadSessions();
});
$("next").addEventListener("click", () => {
  state.offset += PAGE_SIZE;
  loadSessions();
});
$("refresh").addEventListener("click", () => loadSessions());

// ---------- start ----------
async function boot() {
  try {
    state.config = { ...state.config, ...(await getJson("/demo/config")) };
  } catch {
    setStatus("network_error", "We couldn't reach the server. Reload the page to try again.");
  }
  const mode = $("mode");
  mode.dataset.mode = state.config.mode;
  mode.textContent = state.config.mode === "sandbox" ? "Sandbox mode · nothing is really sent" : "Live mode · real messages";
  code.maxLength = state.config.codeLength;
  $("code-length").textContent = String(state.config.codeLength);
  if (!state.config.callbacks) $("events-hint").textContent = "Status callbacks are off (no public URL for this worker).";
  if (state.config.mode === "sandbox") {
    $("phone-panel").hidden = false;
    pollPhone();
    setInterval(pollPhone, POLL_MS);
  }
  pollEvents();
  setInterval(pollEvents, POLL_MS);
  validatePhone();
  loadSessions();
  document.body.dataset.ready = "true";
}
boot();
