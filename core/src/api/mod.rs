//! The Verify Session API as plain Rust data: nothing here knows about JavaScript, so all
//! of it compiles and is tested natively.
//!
//! - [`params`] and [`options`]: every argument's rules, and the validated create
//!   parameters and list filters.
//! - [`request`]: requests as data (method, URL, body), built byte for byte.
//! - [`model`]: the answers' objects, described once with serde (lenient on the wire,
//!   camelCase for JS; their TypeScript is generated from them).
//! - [`error`]: the one error type with its stable codes.
//! - [`retry`]: which failures are retried, and after how long.
//! - [`signature`] and [`callback`]: status callbacks, their signatures and their fields.
//! - [`base64`]: the two base64 forms the package uses.

pub mod base64;
pub mod callback;
pub mod error;
pub mod model;
pub mod options;
pub mod params;
pub mod request;
pub mod retry;
pub mod signature;
