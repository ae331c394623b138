// plivo-verify-wasm for Node >= 18 (and Deno, Bun): the module is compiled and
// instantiated at import. The wasm-bindgen glue is ./plivo_verify_wasm.js ("./raw").
import { readFileSync } from "node:fs";
import { initSync } from "./plivo_verify_wasm.js";

initSync({ module: readFileSync(new URL("./plivo_verify_wasm_bg.wasm", import.meta.url)) });

export * from "./api.js";
