// JavaScript that the wasm module imports (wasm-bindgen copies it into the package).

/**
 * Every failure of plivo-verify-wasm: an `Error` with a stable `code`, and the HTTP
 * `status`, Plivo's `apiId` and `retryAfterMs` when the server sent them. `argument` names
 * the argument at fault for `invalid_argument`; `reason` the proxy guard that refused.
 */
export class VerifyError extends Error {
  constructor(code, message, status, apiId, retryAfterMs, argument, reason) {
    super(message);
    this.name = "VerifyError";
    this.code = code;
    if (status !== undefined) this.status = status;
    if (apiId !== undefined) this.apiId = apiId;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
    if (argument !== undefined) this.argument = argument;
    if (reason !== undefined) this.reason = reason;
  }
}

/** Wraps an object with `next()` so that `for await` accepts it; `break` frees it. */
export function asyncIterable(iterator) {
  let finished = false;
  return {
    next() {
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return iterator.next();
    },
    return(value) {
      if (!finished) {
        finished = true;
        iterator.free();
      }
      return Promise.resolve({ value, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
