// plivo-verify-wasm for Cloudflare Workers and other workerd-style runtimes, which import
// .wasm files as compiled WebAssembly.Module objects: instantiated at import, with no
// fetch and no Node built-ins. The wasm-bindgen glue is ./plivo_verify_wasm.js ("./raw").
import wasm from "./plivo_verify_wasm_bg.wasm";
import { initSync } from "./plivo_verify_wasm.js";

initSync({ module: wasm });

export * from "./api.js";
