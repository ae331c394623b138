//! # plivo-verify-wasm
//!
//! A client for Plivo's Verify Session API (send a one-time code by SMS or voice, get and
//! list sessions, validate a code, receive status callbacks), written in Rust and compiled
//! to WebAssembly so that one package runs in browsers, Node and Cloudflare-style workers.
//!
//! ## Module map
//!
//! - [`api`]: plain Rust with no JavaScript in it, compiled and tested natively: every
//!   argument's validation, requests as data (byte for byte what goes on the wire), the
//!   answers' typed models, the error type with its stable codes, the retry policy, and
//!   status callbacks with their V3/V2 signatures (shared with the project's sandbox).
//! - [`proxy`]: the edge proxy's decisions (routes, CORS, guards, proofs, callbacks), plain
//!   Rust behind small traits for Plivo and the limits' store.
//! - [`js`]: the wasm-bindgen face: `VerifyClient`, the callback functions, `VerifyProxy`
//!   and its `VerifyLimiter` Durable Object, `verifyProof`, `VerifyBrowserClient`,
//!   `VerifyError`, and the TypeScript declarations.
//! - [`transport`]: the one place that calls `fetch`: timeouts, retries, reading answers.
#![deny(missing_docs)]

pub mod api;
pub mod js;
pub mod proxy;
pub mod transport;

// Smaller and faster than dlmalloc in wasm (single-threaded: no atomics).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
