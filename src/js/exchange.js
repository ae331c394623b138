// One HTTP exchange for the wasm module (wasm-bindgen copies this file into the package).
// It lives in JavaScript because it is all calls into the runtime: done in one place it costs
// the module one crossing and one promise per request instead of a dozen.

/**
 * Calls `customFetch` (or the global `fetch`, looked up at call time) and reads the whole
 * answer. The timeout covers the answer and its body; when it fires, the request is aborted
 * and the promise rejects with a `TimeoutError`. What `fetch` throws is passed on as is.
 *
 * Resolves to `{ status, retryAfter, body }` (`body` a `Uint8Array`), or to
 * `{ notResponse }` naming what `fetch` resolved to when that cannot be read as a Response.
 */
export async function exchange(customFetch, url, method, headers, body, timeoutMs) {
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
    const retryAfter = typeof response.headers?.get === "function" ? response.headers.get("retry-after") : null;
    let bytes;
    if (typeof response.arrayBuffer === "function") {
      bytes = new Uint8Array(await response.arrayBuffer());
    } else if (typeof response.text === "function") {
      bytes = new TextEncoder().encode(await response.text());
    } else {
      return { notResponse: "an object without a body to read" };
    }
    return { status: response.status, retryAfter: retryAfter ?? undefined, body: bytes };
  } finally {
    clearTimeout(timer);
  }
}
