//! The JavaScript face: wasm-bindgen classes and functions with camelCase names,
//! TypeScript types, Promise-returning methods and `VerifyError` objects. It converts and
//! hands over; the rules live in [`crate::api`].

pub mod browser;
#[cfg(feature = "server")]
pub mod callbacks;
#[cfg(feature = "server")]
pub(crate) mod challenge;
#[cfg(feature = "server")]
pub mod client;
pub mod convert;
#[cfg(feature = "server")]
pub(crate) mod env;
pub mod error;
#[cfg(feature = "server")]
pub mod limiter;
#[cfg(feature = "server")]
pub mod proxy;
mod types;
#[cfg(feature = "server")]
pub(crate) mod web;
