//! # plivo-verify-core
//!
//! Plivo's Verify Session API as plain Rust, shared by the WebAssembly package
//! (`plivo-verify-wasm`, its JavaScript face) and the local sandbox (`verify-sandbox`).
//! Nothing here knows JavaScript: this crate depends on neither wasm-bindgen nor js-sys, so
//! the compiler holds that line. Time and randomness come in as values.
//!
//! - [`api`]: every argument's validation, requests as data (byte for byte what goes on the
//!   wire), the answers' typed models, the error type with its stable codes, the retry
//!   policy, and status callbacks with their V3/V2 signatures.
//! - [`proxy`]: the edge proxy's decisions (routes, CORS, guards, proofs, callbacks), behind
//!   small traits for Plivo and the limits' store.
#![deny(missing_docs)]

pub mod api;
pub mod proxy;

#[cfg(test)]
mod typescript;
