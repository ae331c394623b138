// plivo-verify-wasm for browsers and bundlers: the module is fetched and instantiated at
// import (top-level await). The wasm-bindgen glue is ./plivo_verify_wasm.js ("./raw").
import init from "./plivo_verify_wasm.js";

await init({ module_or_path: new URL("./plivo_verify_wasm_bg.wasm", import.meta.url) });

export * from "./api.js";
