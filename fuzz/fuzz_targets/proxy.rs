//! The proxy's request handling: any method, path, headers and body (its JSON read as the
//! wasm package reads it), routed and answered by one long-lived proxy with a fake Plivo, at
//! a clock that only moves forward. Every answer must be JSON, and no answer may carry the
//! auth token, the proof secret or the code.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use plivo_verify_core::api::error::Error;
use plivo_verify_core::api::model::Session;
use plivo_verify_core::api::options::{CreateSessionParams, Options};
use plivo_verify_core::api::params::{Arg, SessionUuid};
use plivo_verify_core::proxy::config::ProxyConfig;
use plivo_verify_core::proxy::handler::{Backend, Proxy, ProxyRequest};
use plivo_verify_core::proxy::limits::MemoryStore;

const TOKEN: &str = "plivo-auth-token-for-fuzzing";
const SECRET: &str = "proof-secret-of-at-least-32-characters";
const OTP: &str = "482913";
const UUID: &str = "4124e518-a8c9-4feb-8cff-d86636ba9234";
const SESSION: &str = include_str!("../../tests/fixtures/reference/get_session.json");

/// Plivo, answering at once: every session is the reference's example; one code is right.
struct FakePlivo;

impl Backend for FakePlivo {
    async fn create_session(&self, _: CreateSessionParams) -> Result<String, Error> {
        Ok(UUID.to_owned())
    }
    async fn get_session(&self, _: &SessionUuid) -> Result<Session, Error> {
        serde_json::from_str(SESSION).map_err(|e| Error::invalid_response(e.to_string()))
    }
    async fn validate_session(&self, _: &SessionUuid, otp: &str) -> Result<(), Error> {
        if otp == OTP {
            Ok(())
        } else {
            Err(Error::from_status(
                400,
                Some("invalid OTP".into()),
                None,
                None,
            ))
        }
    }
    async fn sleep(&self, _: u64) {}
}

fn proxy() -> Proxy<FakePlivo, MemoryStore> {
    let text = |s: &str| Arg::Text(s.into());
    let options = vec![
        ("authId".into(), text("MAXXXXXXXXXXXXXXXXXX")),
        ("authToken".into(), text(TOKEN)),
        ("proofSecret".into(), text(SECRET)),
        ("publicUrl".into(), text("https://verify.example.com")),
        (
            "allowedOrigins".into(),
            Arg::List(vec![text("https://app.example.com")]),
        ),
    ];
    Proxy {
        config: ProxyConfig::from_options(Options::new(options)).expect("a valid configuration"),
        backend: FakePlivo,
        store: MemoryStore::with_max_keys(10_000),
    }
}

/// Polls to the end (the fake Plivo and the memory store never wait).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

thread_local! {
    static PROXY: Proxy<FakePlivo, MemoryStore> = proxy();
    static CLOCK: std::cell::Cell<u64> = const { std::cell::Cell::new(1_700_000_000_000) };
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// GET, POST, OPTIONS, or `other_method`.
    method: u8,
    other_method: &'a str,
    /// One of the proxy's routes with `tail` after it, or `tail` alone.
    route: u8,
    tail: &'a str,
    /// Whether the request comes from the allowed origin (else from its `origin` header).
    from_app: bool,
    headers: Vec<(&'a str, &'a str)>,
    body: Option<&'a str>,
    /// How far the clock moves first, in milliseconds.
    later: u16,
}

fuzz_target!(|input: Input<'_>| {
    let asked = format!("{input:?}");
    let json = match input.body.map(serde_json::from_str::<Arg>) {
        Some(Ok(Arg::Map(entries))) => Some(Options::new(entries)),
        _ => None,
    };
    let method = match input.method % 4 {
        0 => "GET",
        1 => "POST",
        2 => "OPTIONS",
        _ => input.other_method,
    };
    let route = [
        "/verify/start",
        "/verify/check",
        "/verify/session/",
        "/verify/callback",
        "",
    ];
    let path = format!(
        "{}{}",
        route[usize::from(input.route) % route.len()],
        input.tail
    );
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .take(64)
        .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
        .collect();
    if input.from_app {
        headers.insert(0, ("origin".into(), "https://app.example.com".into()));
        headers.insert(1, ("content-type".into(), "application/json".into()));
    }
    let request = ProxyRequest {
        method: method.to_ascii_uppercase(),
        url: format!("https://verify.example.com{path}"),
        headers,
        body: input.body.filter(|b| b.len() <= 4096).map(str::to_owned),
        json,
        on_cloudflare: false,
        client_ip: None,
    };
    let now = CLOCK.with(|c| {
        c.set(c.get() + u64::from(input.later));
        c.get()
    });
    let handled = PROXY.with(|proxy| block_on(proxy.handle(&request, now)));
    let body = &handled.response.body;
    // A secret the request did not itself carry (the right code is sent only by a fuzzer
    // that found it) never comes back.
    for secret in [TOKEN, SECRET, OTP] {
        assert!(
            asked.contains(secret) || !body.contains(secret),
            "an answer carries a secret: {body}"
        );
    }
    if !body.is_empty() {
        serde_json::from_str::<serde_json::Value>(body).expect("every answer is JSON");
    }
});
