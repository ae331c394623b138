//! The integration suite under Node (`wasm-pack test --node -- --test node`).
#![cfg(target_arch = "wasm32")]

include!("wasm/suite.rs");
