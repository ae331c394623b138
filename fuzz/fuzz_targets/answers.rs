//! Plivo's answers to the four operations (and error bodies), read as the client reads
//! them (serde_json into the models), then written for JavaScript.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plivo_verify_core::api::model::{
    CreateSessionResponse, ErrorBody, Session, SessionList, ValidateSessionResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Reads `data` as `T`; what is read must be writable.
fn read<T: DeserializeOwned + Serialize>(data: &[u8]) {
    if let Ok(answer) = serde_json::from_slice::<T>(data) {
        serde_json::to_string(&answer).expect("a model read is a model written");
    }
}

fuzz_target!(|data: &[u8]| {
    read::<CreateSessionResponse>(data);
    read::<Session>(data);
    read::<SessionList>(data);
    read::<ValidateSessionResponse>(data);
    let _ = serde_json::from_slice::<ErrorBody>(data);
});
