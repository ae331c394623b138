// plivo-verify-wasm/browser-client: the browser client alone, for pages. Its own small
// module (built without the server side), fetched and instantiated at import (top-level
// await). scripts/package.mjs points the VerifyError import at wasm-bindgen's snippet: the
// same class as the main entries'.
import init from "./plivo_verify_browser.js";

await init({ module_or_path: new URL("./plivo_verify_browser_bg.wasm", import.meta.url) });

export { VerifyBrowserClient } from "./plivo_verify_browser.js";
export { VerifyError } from "./snippets/verify_error.js";
