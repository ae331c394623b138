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
    if (typeof response.body?.getReader === "function") {
      const reader = response.body.getReader();
      const chunks = [];
      let total = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          reader.cancel().catch(() => {});
          controller.abort();
          return { tooLarge: true };
        }
        chunks.push(value);
      }
      bytes = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.byteLength;
      }
    } else if (typeof response.arrayBuffer === "function") {
      // No stream to read (a caller's fetch may answer with a plain object): read, then measure.
      bytes = new Uint8Array(await response.arrayBuffer());
    } else if (typeof response.text === "function") {
      bytes = new TextEncoder().encode(await response.text());
    } else {
      return { notResponse: "an object without a body to read" };
    }
    if (bytes.byteLength > maxBytes) return { tooLarge: true };
    return { status: response.status, retryAfter: retryAfter ?? undefined, body: bytes };
  } finally {
    clearTimeout(timer);
  }
}
