// The demo page. Talks only to the worker: the verification form is <verify-phone>
// (plivo-verify-wasm/element, on the package's VerifyBrowserClient: /verify/*, no
// credentials here); this file adds the demo's panels from the demo-only routes /demo/*:
// the decoded proof, the status callbacks, the sandbox phone and the sessions table.
import "/pkg/element.js";

const $ = (id) => document.getElementById(id);
const verify = $("verify-phone");
const PAGE_SIZE = 5;
const POLL_MS = 1500;

const state = {
  config: { mode: "sandbox", codeLength: 6, codeExpirySecs: 600, resendAfterSecs: 30 },
  offset: 0,
};

// ---------- helpers ----------
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

// ---------- the element's outcomes ----------
verify.addEventListener("verified", (event) => {
  const { proof, sessionUuid, recipient } = event.detail;
  const claims = decodeJwt(proof);
  $("proof-number").textContent = claims.phone_number ?? recipient;
  $("proof-session").textContent = claims.sub ?? sessionUuid;
  const exp = new Date(claims.exp * 1000);
  $("proof-expiry").textContent = `${exp.toLocaleString()} (in ${Math.round((claims.exp * 1000 - Date.now()) / 60000)} min)`;
  $("proof").hidden = false;
  $("again").focus();
});
verify.addEventListener("statechange", (event) => {
  // A session was made or checked: the table shows it.
  if (["sent", "verified", "incorrect", "expired", "too_many_attempts"].includes(event.detail.state)) loadSessions();
});
$("again").addEventListener("click", () => {
  $("proof").hidden = true;
  verify.reset();
});

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
  const mode = $("mode");
  try {
    state.config = { ...state.config, ...(await getJson("/demo/config")) };
    mode.textContent = state.config.mode === "sandbox" ? "Sandbox mode · nothing is really sent" : "Live mode · real messages";
  } catch {
    mode.textContent = "We couldn't reach the server. Reload the page to try again.";
  }
  mode.dataset.mode = state.config.mode;
  verify.setAttribute("code-length", String(state.config.codeLength));
  verify.setAttribute("code-expiry", String(state.config.codeExpirySecs));
  if (!state.config.callbacks) $("events-hint").textContent = "Status callbacks are off (no public URL for this worker).";
  if (state.config.mode === "sandbox") {
    $("phone-panel").hidden = false;
    pollPhone();
    setInterval(pollPhone, POLL_MS);
  }
  pollEvents();
  setInterval(pollEvents, POLL_MS);
  loadSessions();
  document.body.dataset.ready = "true";
}
boot();
