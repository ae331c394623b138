//! The JavaScript face: wasm-bindgen classes and functions with camelCase names,
//! TypeScript types, Promise-returning methods and `VerifyError` objects. It converts and
//! hands over; the rules live in [`crate::api`].

pub mod browser;
pub mod callbacks;
pub mod client;
pub mod convert;
pub mod error;
pub mod proxy;
mod types;
