// One HTTP exchange for the wasm module (wasm-bindgen copies this file into the package).
// It lives in JavaScript because it is all calls into the runtime: done in one place it costs
// the module one crossing and one promise per request instead of a dozen.

/**
 * Calls `customFetch` (or the global `fetch`, looked up at call time) and reads the whole
 * answer, at most `maxBytes` of it. The timeout covers the answer and its body; when it
 * fires, the request is aborted and the promise rejects with a `TimeoutError`. What `fetch`
 * throws is passed on as is.
 *
 * Resolves to `{ status, retryAfter, body }` (`body` a `Uint8Array`); to `{ tooLarge: true }`
 * when the body is longer than `maxBytes`: a declared Content-Length over it is
 * refused unread, a stream is read chunk by chunk and cancelled past it, so no more than
 * about `maxBytes` is ever held; or to `{ notResponse }` naming what `fetch` resolved to
 * when that cannot be read as a Response.
 */
export async function exchange(customFetch, url, method, headers, body, timeoutMs, maxBytes) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException("The operation timed out.", "TimeoutError")),
    timeoutMs,
  );
  try {
    // The headers object is the client's, made once: a caller's fetch gets its own copy, so
    // that what it changes does not carry over to the next request.
    const init = { method, headers: customFetch ? { ...headers } : headers, signal: controller.signal };
    if (body !== undefined) init.body = body;
    const response = await (customFetch ? customFetch(url, init) : fetch(url, init));
    if (typeof response !== "object" || response === null) {
      return { notResponse: response === null ? "null" : typeof response };
    }
    const header = (name) => (typeof response.headers?.get === "function" ? response.headers.get(name) : null);
    const retryAfter = header("retry-after");
    const declared = Number(header("content-length"));
    if (declared > maxBytes) {
      controller.abort();
      return { tooLarge: true };
    }
    let bytes;
    try {
      bytes = await readAll(response, maxBytes);
    } catch (e) {
      if (e === NO_BODY) return { notResponse: "an object without a body to read" };
      throw e;
    }
    if (bytes === null) {
      controller.abort();
      return { tooLarge: true };
    }
    return { status: response.status, retryAfter: retryAfter ?? undefined, body: bytes };
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown by `readAll` for an object with no body to read. */
const NO_BODY = Symbol("no body");

/**
 * The whole body of a Request or Response, or `null` once it is longer than `maxBytes`: a
 * stream is read chunk by chunk and cancelled past the cap, so no more than about
 * `maxBytes` is ever held. `onReader` receives the stream's reader (to cancel it).
 */
async function readAll(source, maxBytes, onReader) {
  if (typeof source.body?.getReader === "function") {
    const reader = source.body.getReader();
    onReader?.(reader);
    const chunks = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        reader.cancel().catch(() => {});
        return null;
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.byteLength;
    }
    return bytes;
  }
  let bytes;
  if (source.body === null) {
    bytes = new Uint8Array(0);
  } else if (typeof source.arrayBuffer === "function") {
    // No stream to read (Firefox's Request, or a caller's fetch answering with a plain
    // object): read, then measure.
    bytes = new Uint8Array(await source.arrayBuffer());
  } else if (typeof source.text === "function") {
    bytes = new TextEncoder().encode(await source.text());
  } else {
    throw NO_BODY;
  }
  return bytes.byteLength > maxBytes ? null : bytes;
}

/**
 * A request's body for the proxy: resolves to `{ body }` (a `Uint8Array`), `{ tooLarge:
 * true }` past `maxBytes`, or `{ timedOut: true }` when it has not all arrived within
 * `timeoutMs` (a client trickling its body holds nothing longer than that). Rejects when the
 * body cannot be read.
 */
export async function readBody(request, maxBytes, timeoutMs) {
  let reader;
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(LATE), timeoutMs);
  });
  try {
    const bytes = await Promise.race([readAll(request, maxBytes, (r) => (reader = r)), late]);
    if (bytes === LATE) {
      reader?.cancel().catch(() => {});
      return { timedOut: true };
    }
    return bytes === null ? { tooLarge: true } : { body: bytes };
  } finally {
    clearTimeout(timer);
  }
}

const LATE = Symbol("late");

/**
 * A fresh Idempotency-Key for a start: a random UUID where the runtime has
 * `crypto.randomUUID` (browsers in secure contexts, Node >= 19, Deno, Bun, workers), else
 * random base-36 digits. Unique is enough, not secret (see src/js/browser.rs).
 */
export function newIdempotencyKey() {
  if (typeof globalThis.crypto?.randomUUID === "function") return globalThis.crypto.randomUUID();
  const digits = () => Math.random().toString(36).slice(2);
  return `${Date.now().toString(36)}-${digits()}-${digits()}`;
}

/**
 * WebOTP: the code of the SMS that just arrived, read by the browser (where `OTPCredential`
 * exists: Chrome on Android, Safari fills it through `autocomplete="one-time-code"` instead).
 * Asks `navigator.credentials.get({ otp: { transport: ["sms"] }, signal })`; resolves to its
 * `code`, or `undefined` when the browser has no WebOTP, the user declined, or `signal`
 * aborted the wait.
 */
export async function receiveOtp(signal) {
  const credentials = globalThis.navigator?.credentials;
  if (typeof globalThis.OTPCredential === "undefined" || typeof credentials?.get !== "function") return undefined;
  try {
    const credential = await credentials.get({ otp: { transport: ["sms"] }, ...(signal ? { signal } : {}) });
    return typeof credential?.code === "string" ? credential.code : undefined;
  } catch {
    return undefined;
  }
}
