//! The integration suite in headless Chromium (`wasm-pack test --headless --chrome --
//! --test browser`). Without `run_in_browser` the browser runner would skip every test.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

include!("wasm/suite.rs");
