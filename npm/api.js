// plivo-verify-wasm: what every entry (node.js, browser.js, workerd.js) exports, once the
// entry has instantiated the module. scripts/package.mjs copies this file into the package,
// checks that it names every export of the wasm-bindgen glue (and nothing else), and points
// the VerifyError import at the snippet wasm-bindgen wrote (snippets/<crate>-<hash>/…).
export {
  SessionIterator,
  VerifyBrowserClient,
  VerifyClient,
  VerifyLimiter,
  VerifyProxy,
  parseStatusCallback,
  verifyCallbackRequest,
  verifyCallbackSignature,
  verifyCallbackSignatureV2,
  verifyProof,
} from "./plivo_verify_wasm.js";
export { VerifyError } from "./snippets/verify_error.js";
