//! The Verify Session API as plain Rust data: nothing here knows about JavaScript, so all
//! of it compiles and is tested natively.

pub mod signature;
