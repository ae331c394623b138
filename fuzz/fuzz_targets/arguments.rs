//! The client's and the proxy's argument validation: any JSON value (as JavaScript could
//! pass it, and as the proxy reads a request body) as every option bag and typed value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plivo_verify_core::api::options::{ClientConfig, CreateSessionParams, ListFilter, Options};
use plivo_verify_core::api::params::{Arg, Channel, SessionUuid, E164};
use plivo_verify_core::proxy::config::ProxyConfig;

fn options(arg: &Arg) -> Options {
    match arg {
        Arg::Map(entries) => Options::new(entries.clone()),
        _ => Options::default(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(arg) = serde_json::from_slice::<Arg>(data) else {
        return;
    };
    let _ = CreateSessionParams::from_options(options(&arg));
    let _ = ListFilter::from_options(options(&arg));
    let _ = ClientConfig::from_options(options(&arg));
    let _ = ProxyConfig::from_options(options(&arg));
    let _ = SessionUuid::from_arg("sessionUuid", arg.clone());
    let _ = E164::from_arg("recipient", arg.clone());
    let _ = E164::from_typed_arg("recipient", arg.clone());
    let _ = Channel::from_arg("channel", arg.clone());
    if let Arg::Text(text) = &arg {
        let _ = E164::from_typed(text);
    }
});
