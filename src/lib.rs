//! # plivo-verify-wasm
//!
//! A client for Plivo's Verify Session API (send a one-time code by SMS or voice, get and
//! list sessions, validate a code, receive status callbacks), written in Rust and compiled
//! to WebAssembly so that one package runs in browsers, Node and Cloudflare-style workers.
//!
//! ## Module map
//!
//! - [`api`]: plain Rust with no JavaScript in it: the wire format's pieces that are shared
//!   by the client and the project's Verify sandbox. Today it holds the status-callback
//!   signatures ([`api::signature`]); typed models, validation and request building arrive
//!   with the client.
#![deny(missing_docs)]

pub mod api;
