//! # plivo-verify-wasm
//!
//! A client for Plivo's Verify Session API (send a one-time code by SMS or voice, get and
//! list sessions, validate a code, receive status callbacks), written in Rust and compiled
//! to WebAssembly so that one package runs in browsers, Node and Cloudflare-style workers.
//!
//! ## Module map
//!
//! This crate is the JavaScript face and the transport; everything that does not know
//! JavaScript lives in the `plivo-verify-core` crate, re-exported here as [`api`] and
//! [`proxy`] (see `ARCHITECTURE.md`).
//!
//! - [`api`] (core): every argument's validation, requests as data, the answers' typed
//!   models, the error type with its stable codes, the retry policy, status callbacks.
//! - [`proxy`] (core): the edge proxy's decisions (routes, CORS, guards, proofs, callbacks).
//! - [`js`]: the wasm-bindgen face: `VerifyClient`, the callback functions, `VerifyProxy`
//!   and its `VerifyLimiter` Durable Object, `verifyProof`, `VerifyBrowserClient`,
//!   `VerifyError`, and the TypeScript declarations.
//! - [`transport`]: the one place that calls `fetch`: timeouts, retries, reading answers.
#![deny(missing_docs)]

pub use plivo_verify_core::{api, proxy};

pub mod js;
pub mod transport;

// Smaller and faster than dlmalloc in wasm (single-threaded: no atomics).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
