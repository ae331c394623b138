//! The proxy's decisions end to end, with a fake Plivo, the in-memory limits and a clock
//! the tests move. Every answer is also scanned for secrets.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::api::error::{Error, ErrorCode};
use crate::api::model::Session;
use crate::api::options::{CreateSessionParams, Options};
use crate::api::params::Arg;
use crate::api::params::SessionUuid;
use crate::api::signature::{sign_v2, sign_v3, CallbackMethod};

use super::config::ProxyConfig;
use super::handler::{AcceptedCallback, Backend, Handled, Proxy, ProxyRequest, ProxyResponse};
use super::limits::MemoryStore;
use super::proof;

mod attacks;
mod challenge;
mod idempotency;

const TOKEN: &str = "plivo-auth-token-for-tests";
const SECRET: &str = "proof-secret-of-at-least-32-characters";
const OTP: &str = "482913";
const T0: u64 = 1_700_000_000_000;

/// Runs a future that never waits on anything outside (the fakes answer at once).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

struct FakeSession {
    recipient: String,
    app_uuid: Option<String>,
    status: String,
    wrong: u32,
    created_at: u64,
}

/// Plivo, faked: the code is always `OTP`; the third wrong code expires a session (or the
/// `max_wrong`th); with `like_plivo`, a create for a number with an open session sends
/// again on that session, and sessions expire after 10 minutes of `clock`.
#[derive(Default)]
struct FakePlivo {
    max_wrong: std::cell::Cell<Option<u32>>,
    like_plivo: std::cell::Cell<bool>,
    clock: std::rc::Rc<std::cell::Cell<u64>>,
    sessions: RefCell<HashMap<String, FakeSession>>,
    created: RefCell<Vec<CreateSessionParams>>,
    calls: RefCell<u32>,
    validations: RefCell<u32>,
    fail_with: RefCell<Option<Error>>,
    /// The next validation fails with this (other calls go on).
    fail_validation_with: RefCell<Option<Error>>,
    /// Validations wait once before answering, as a real network does: requests sent at
    /// once then overlap.
    slow_validations: RefCell<bool>,
    /// Creates wait once before answering, likewise.
    slow_creates: RefCell<bool>,
}

/// Pending on its first poll, ready on the second.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

/// Runs futures side by side (polled in turn until all are done), as an isolate serves
/// requests that arrive at once.
fn block_on_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut cx = Context::from_waker(Waker::noop());
    while outputs.iter().any(Option::is_none) {
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                    *output = Some(value);
                }
            }
        }
    }
    outputs.into_iter().flatten().collect()
}

impl FakePlivo {
    /// With `like_plivo`, sessions expire 10 minutes after they were made.
    fn expire_old(&self) {
        if !self.like_plivo.get() {
            return;
        }
        let now = self.clock.get();
        for s in self.sessions.borrow_mut().values_mut() {
            if s.status == "in-progress" && now >= s.created_at + 600_000 {
                s.status = "expired".into();
            }
        }
    }

    fn call(&self) -> Result<(), Error> {
        *self.calls.borrow_mut() += 1;
        self.fail_with.borrow_mut().take().map_or(Ok(()), Err)
    }
}

impl Backend for FakePlivo {
    async fn create_session(&self, params: CreateSessionParams) -> Result<String, Error> {
        if *self.slow_creates.borrow() {
            YieldOnce(false).await;
        }
        self.call()?;
        let recipient = params.recipient.digits().to_owned();
        if self.like_plivo.get() {
            self.expire_old();
            let open = self.sessions.borrow().iter().find_map(|(uuid, s)| {
                (s.recipient == recipient && s.status == "in-progress").then(|| uuid.clone())
            });
            if let Some(uuid) = open {
                self.created.borrow_mut().push(params);
                return Ok(uuid);
            }
        }
        let uuid = format!(
            "00000000-0000-4000-8000-{:012}",
            self.sessions.borrow().len() + 1
        );
        self.sessions.borrow_mut().insert(
            uuid.clone(),
            FakeSession {
                recipient,
                app_uuid: params.app_uuid.clone(),
                status: "in-progress".into(),
                wrong: 0,
                created_at: self.clock.get(),
            },
        );
        self.created.borrow_mut().push(params);
        Ok(uuid)
    }

    async fn get_session(&self, session_uuid: &SessionUuid) -> Result<Session, Error> {
        self.call()?;
        self.expire_old();
        let sessions = self.sessions.borrow();
        let s = sessions
            .get(session_uuid.as_str())
            .ok_or_else(|| Error::from_status(404, Some("session not found".into()), None, None))?;
        Ok(Session {
            session_uuid: session_uuid.to_string(),
            recipient: Some(s.recipient.clone()),
            app_uuid: s.app_uuid.clone(),
            status: Some(s.status.clone()),
            channel: Some("sms".into()),
            count: Some(1),
            ..Session::default()
        })
    }

    async fn validate_session(&self, session_uuid: &SessionUuid, otp: &str) -> Result<(), Error> {
        self.call()?;
        *self.validations.borrow_mut() += 1;
        if let Some(e) = self.fail_validation_with.borrow_mut().take() {
            return Err(e);
        }
        if *self.slow_validations.borrow() {
            YieldOnce(false).await;
        }
        self.expire_old();
        let mut sessions = self.sessions.borrow_mut();
        let s = sessions
            .get_mut(session_uuid.as_str())
            .ok_or_else(|| Error::from_status(404, None, None, None))?;
        if s.status != "in-progress" {
            return Err(Error::from_status(
                400,
                Some("session expired".into()),
                None,
                None,
            ));
        }
        if otp == OTP {
            s.status = "verified".into();
            return Ok(());
        }
        s.wrong += 1;
        if s.wrong >= self.max_wrong.get().unwrap_or(3) {
            s.status = "expired".into();
        }
        Err(Error::from_status(
            400,
            Some("invalid OTP".into()),
            None,
            None,
        ))
    }

    /// Yields once (other requests run meanwhile) and moves the clock on.
    async fn sleep(&self, ms: u64) {
        YieldOnce(false).await;
        self.clock.set(self.clock.get() + ms);
    }
}

fn config(extra: Vec<(&str, Arg)>) -> ProxyConfig {
    let text = |s: &str| Arg::Text(s.into());
    let mut options: Vec<(String, Arg)> = vec![
        ("authId".into(), text("MAXXXXXXXXXXXXXXXXXX")),
        ("authToken".into(), text(TOKEN)),
        ("proofSecret".into(), text(SECRET)),
        ("publicUrl".into(), text("https://verify.example.com")),
        (
            "allowedOrigins".into(),
            Arg::List(vec![text("https://app.example.com")]),
        ),
        (
            "allowedCountryCodes".into(),
            Arg::List(vec![text("1"), text("44")]),
        ),
        (
            "limits".into(),
            Arg::Map(vec![
                (
                    "sendsPerRecipient".into(),
                    Arg::List(vec![Arg::Number(2.0), Arg::Number(600.0)]),
                ),
                (
                    "sendsPerIp".into(),
                    Arg::List(vec![Arg::Number(3.0), Arg::Number(3600.0)]),
                ),
                ("checksPerSession".into(), Arg::Number(4.0)),
                (
                    "failuresPerRecipient".into(),
                    Arg::List(vec![Arg::Number(3.0), Arg::Number(86400.0)]),
                ),
            ]),
        ),
    ];
    for (key, value) in extra {
        options.retain(|(k, _)| k != key);
        options.push((key.into(), value));
    }
    ProxyConfig::from_options(Options::new(options)).unwrap_or_else(|e| panic!("{e}"))
}

struct Harness {
    proxy: Proxy<FakePlivo, MemoryStore>,
    now: RefCell<u64>,
    /// The bot check every request meets, when set.
    challenge: Option<HumanCheck>,
}

/// A bot check that passes the tokens people have (`human…`) and no other: a script that
/// cannot solve it has none.
struct HumanCheck;

impl super::handler::Challenger for HumanCheck {
    async fn passes(&self, token: &str, _: Option<&str>) -> Result<bool, Error> {
        Ok(token.starts_with("human"))
    }
}

fn harness() -> Harness {
    harness_with(vec![])
}

fn harness_with(extra: Vec<(&str, Arg)>) -> Harness {
    let backend = FakePlivo::default();
    backend.clock.set(T0);
    Harness {
        proxy: Proxy {
            config: config(extra),
            backend,
            store: MemoryStore::default(),
        },
        now: RefCell::new(T0),
        challenge: None,
    }
}

struct Answer {
    status: u16,
    body: serde_json::Value,
    raw: ProxyResponse,
    event: Option<AcceptedCallback>,
    shadowed: Vec<&'static str>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.raw
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    fn reason(&self) -> &str {
        self.body["error"]["reason"].as_str().unwrap_or_default()
    }
}

impl Harness {
    fn advance(&self, secs: u64) {
        *self.now.borrow_mut() += secs * 1000;
        self.proxy.backend.clock.set(*self.now.borrow());
    }

    fn send(&self, request: ProxyRequest) -> Answer {
        let Handled {
            response,
            event,
            shadowed,
        } = block_on(self.proxy.handle_checked(
            &request,
            *self.now.borrow(),
            self.challenge.as_ref(),
        ));
        // No secret ever leaves in an answer.
        let everything = format!("{} {:?}", response.body, response.headers);
        for secret in [TOKEN, SECRET, OTP] {
            assert!(
                !everything.contains(secret),
                "a secret in an answer: {everything}"
            );
        }
        let body = if response.body.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&response.body).expect("answers are JSON")
        };
        Answer {
            status: response.status,
            body,
            raw: response,
            event,
            shadowed,
        }
    }

    fn post(&self, path: &str, fields: &[(&str, Arg)]) -> Answer {
        self.send(post_request(path, fields, &[]))
    }

    fn start(&self, recipient: &str) -> Answer {
        self.post(
            "/verify/start",
            &[("recipient", Arg::Text(recipient.into()))],
        )
    }

    fn check(&self, uuid: &str, otp: &str) -> Answer {
        self.post(
            "/verify/check",
            &[
                ("sessionUuid", Arg::Text(uuid.into())),
                ("otp", Arg::Text(otp.into())),
            ],
        )
    }

    fn calls(&self) -> u32 {
        *self.proxy.backend.calls.borrow()
    }
}

fn post_request(path: &str, fields: &[(&str, Arg)], headers: &[(&str, &str)]) -> ProxyRequest {
    let options = Options::new(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    );
    let mut all = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("cf-connecting-ip".to_owned(), "203.0.113.7".to_owned()),
    ];
    for (k, v) in headers {
        all.retain(|(name, _)| name != k);
        all.push((k.to_string(), v.to_string()));
    }
    ProxyRequest {
        method: "POST".into(),
        url: format!("https://verify.example.com{path}"),
        headers: all,
        body: Some("{...}".into()),
        json: Some(options),
        // As on Cloudflare, where CF-Connecting-IP can be trusted.
        on_cloudflare: true,
        client_ip: None,
    }
}

fn get_request(path: &str) -> ProxyRequest {
    ProxyRequest {
        method: "GET".into(),
        url: format!("https://verify.example.com{path}"),
        on_cloudflare: true,
        ..ProxyRequest::default()
    }
}

#[test]
fn start_sends_a_code_with_the_server_side_settings() {
    let h = harness_with(vec![
        ("brandName", Arg::Text("Acme".into())),
        ("codeLength", Arg::Number(6.0)),
    ]);
    let a = h.start("+1 (415) 555-0100");
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["channel"], "sms");
    assert_eq!(a.body["resendAfterSecs"], 30);
    assert!(a.body["sessionUuid"].as_str().unwrap().len() == 36);
    {
        let created = h.proxy.backend.created.borrow();
        let sent = &created[0];
        assert_eq!(sent.recipient.as_str(), "+14155550100", "normalised");
        assert_eq!(
            sent.url.as_deref(),
            Some("https://verify.example.com/verify/callback")
        );
        assert_eq!(sent.method.as_deref(), Some("POST"));
        assert_eq!(sent.brand_name.as_deref(), Some("Acme"));
    }
    let voice = h.post(
        "/verify/start",
        &[
            ("recipient", Arg::Text("+447700900123".into())),
            ("channel", Arg::Text("voice".into())),
        ],
    );
    assert_eq!(voice.body["channel"], "voice");
}

#[test]
fn bad_starts_are_refused_before_plivo_hears_of_them() {
    let h = harness();
    let cases: Vec<(ProxyRequest, u16, &str)> = vec![
        (
            post_request("/verify/start", &[], &[]),
            400,
            "invalid_argument",
        ),
        (
            post_request(
                "/verify/start",
                &[("recipient", Arg::Number(14155550100.0))],
                &[],
            ),
            400,
            "invalid_argument",
        ),
        (
            post_request(
                "/verify/start",
                &[("recipient", Arg::Text("call me".into()))],
                &[],
            ),
            400,
            "invalid_argument",
        ),
        (
            post_request(
                "/verify/start",
                &[
                    ("recipient", Arg::Text("+14155550100".into())),
                    ("channel", Arg::Text("fax".into())),
                ],
                &[],
            ),
            400,
            "invalid_argument",
        ),
        (
            post_request(
                "/verify/start",
                &[
                    ("recipient", Arg::Text("+14155550100".into())),
                    ("url", Arg::Text("https://evil.example".into())),
                ],
                &[],
            ),
            400,
            "invalid_argument",
        ),
        (
            post_request(
                "/verify/start",
                &[("recipient", Arg::Text("+33612345678".into()))],
                &[],
            ),
            403,
            "country_not_allowed",
        ),
        (
            post_request(
                "/verify/start",
                &[("recipient", Arg::Text("+14155550100".into()))],
                &[("content-type", "text/plain")],
            ),
            415,
            "unsupported_media_type",
        ),
        (
            ProxyRequest {
                body: None,
                ..post_request("/verify/start", &[], &[])
            },
            413,
            "payload_too_large",
        ),
        (
            ProxyRequest {
                json: None,
                ..post_request("/verify/start", &[], &[])
            },
            400,
            "invalid_json",
        ),
    ];
    for (request, status, code) in cases {
        let a = h.send(request);
        assert_eq!((a.status, a.code()), (status, code), "{}", a.body);
    }
    assert_eq!(h.calls(), 0, "nothing reached Plivo");
    assert_eq!(h.start("+14155550100").status, 200, "and it still works");
}

#[test]
fn resends_wait_and_sends_per_recipient_are_capped() {
    let h = harness();
    assert_eq!(h.start("+14155550100").status, 200);
    let a = h.start("+14155550100");
    assert_eq!((a.status, a.code()), (429, "rate_limited"));
    assert_eq!(a.header("Retry-After"), Some("30"));
    h.advance(30);
    assert_eq!(h.start("+14155550100").status, 200);
    h.advance(30);
    let a = h.start("+14155550100");
    assert_eq!(a.status, 429, "2 sends per 600 s");
    assert_eq!(a.header("Retry-After"), Some("540"));
    assert_eq!(h.calls(), 2);
    h.advance(540);
    assert_eq!(h.start("+14155550100").status, 200);
}

#[test]
fn sends_per_ip_are_capped_and_forwarded_for_is_trusted_only_when_asked() {
    let h = harness();
    for n in 0..3 {
        assert_eq!(h.start(&format!("+1415555010{n}")).status, 200);
    }
    assert_eq!(h.start("+14155550109").status, 429);
    let elsewhere = post_request(
        "/verify/start",
        &[("recipient", Arg::Text("+14155550109".into()))],
        &[("cf-connecting-ip", "198.51.100.1")],
    );
    assert_eq!(h.send(elsewhere).status, 200);

    // Without a trusted address every request shares one bucket; with trustForwardedFor the
    // entry the app's proxy appended (the right-most) counts, whatever the client put left.
    let forwarded = |h: &Harness, n: u32, list: String, on_cloudflare: bool| {
        let mut r = post_request(
            "/verify/start",
            &[("recipient", Arg::Text(format!("+141555502{n:02}")))],
            &[("x-forwarded-for", &list)],
        );
        r.headers.retain(|(k, _)| k != "cf-connecting-ip");
        r.on_cloudflare = on_cloudflare;
        h.send(r).status
    };
    let appended = |n: u32| format!("10.0.0.{n}, 192.0.2.{n}");
    let untrusting = harness();
    let statuses: Vec<u16> = (0..4)
        .map(|n| forwarded(&untrusting, n, appended(n), true))
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429], "one shared bucket");
    let trusting = harness_with(vec![("trustForwardedFor", Arg::Bool(true))]);
    let statuses: Vec<u16> = (0..4)
        .map(|n| forwarded(&trusting, n, appended(n), false))
        .collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 200],
        "four appended addresses, four buckets"
    );
    // Spoofing the left-most entries does not open new buckets.
    let spoofing = harness_with(vec![("trustForwardedFor", Arg::Bool(true))]);
    let statuses: Vec<u16> = (0..4)
        .map(|n| forwarded(&spoofing, n, format!("198.51.100.{n}, 192.0.2.1"), false))
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
}

#[test]
fn cf_connecting_ip_counts_only_on_cloudflare() {
    // Off Cloudflare (Node, Deno, Bun, self-hosted workerd) the header is the client's own
    // writing: changing it opens no new bucket.
    let h = harness();
    let statuses: Vec<u16> = (0..4)
        .map(|n| {
            let mut r = post_request(
                "/verify/start",
                &[("recipient", Arg::Text(format!("+141555503{n:02}")))],
                &[("cf-connecting-ip", &format!("198.51.100.{n}"))],
            );
            r.on_cloudflare = false;
            h.send(r).status
        })
        .collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 429],
        "spoofed addresses share one bucket"
    );
}

#[test]
fn ipv6_clients_count_per_64_and_the_apps_client_ip_comes_first() {
    let h = harness();
    let from = |n: u32, ip: &str, app: Option<&str>| {
        let mut r = post_request(
            "/verify/start",
            &[("recipient", Arg::Text(format!("+141555504{n:02}")))],
            &[("cf-connecting-ip", ip)],
        );
        r.client_ip = app.map(str::to_owned);
        h.send(r).status
    };
    // Rotating through one /64 is one client.
    let statuses: Vec<u16> = (0..4)
        .map(|n| from(n, &format!("2001:db8:7:7::{n:x}"), None))
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
    assert_eq!(
        from(4, "2001:db8:7:8::1", None),
        200,
        "the next /64 is another"
    );
    // The app's clientIp(request) wins over the header.
    assert_eq!(from(5, "2001:db8:7:8::1", Some("198.51.100.77")), 200);
}

#[test]
fn the_right_code_gives_a_proof_the_app_server_can_check() {
    let h = harness();
    let uuid = h.start("+14155550100").body["sessionUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = h.check(&uuid, OTP);
    assert_eq!(a.status, 200);
    assert_eq!(a.body["verified"], true);
    let token = a.body["proof"].as_str().unwrap();
    let expected = proof::Expected {
        audience: Some(proof::ISSUER),
        issuer: Some(proof::ISSUER),
    };
    let checked = proof::verify(token, &[SECRET.into()], &expected, T0 / 1000 + 1).unwrap();
    assert_eq!(checked.session_uuid.as_str(), uuid);
    assert_eq!(checked.recipient.as_str(), "+14155550100");
    assert_eq!(checked.expires_at, T0 / 1000 + 600);
    assert!(proof::verify(
        token,
        &["another-secret-of-32-characters!!".into()],
        &expected,
        T0 / 1000
    )
    .is_err());
    assert_eq!(
        h.check(&uuid, OTP).body["reason"],
        "expired",
        "a code works once"
    );
}

#[test]
fn wrong_codes_are_results_with_a_reason() {
    let h = harness();
    let uuid = h.start("+14155550100").body["sessionUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = h.check(&uuid, "000000");
    assert_eq!(
        (
            a.status,
            a.body["verified"].as_bool(),
            a.body["reason"].as_str()
        ),
        (200, Some(false), Some("incorrect"))
    );
    assert_eq!(h.check(&uuid, "000001").body["reason"], "incorrect");
    assert_eq!(
        h.check(&uuid, "000002").body["reason"],
        "too_many_attempts",
        "Plivo expired it"
    );
    assert_eq!(h.check(&uuid, OTP).body["reason"], "expired");
}

#[test]
fn checks_per_session_are_capped_without_asking_plivo() {
    let h = harness_with(vec![(
        "limits",
        Arg::Map(vec![
            ("checksPerSession".into(), Arg::Number(2.0)),
            (
                "failuresPerRecipient".into(),
                Arg::List(vec![Arg::Number(100.0), Arg::Number(60.0)]),
            ),
        ]),
    )]);
    let uuid = h.start("+14155550100").body["sessionUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    h.check(&uuid, "000000");
    h.check(&uuid, "000001");
    let before = h.calls();
    assert_eq!(h.check(&uuid, OTP).body["reason"], "too_many_attempts");
    assert_eq!(h.calls(), before, "refused here, not at Plivo");
}

#[test]
fn wrong_codes_per_recipient_lock_the_number_out() {
    let h = harness_with(vec![(
        "limits",
        Arg::Map(vec![
            (
                "failuresPerRecipient".into(),
                Arg::List(vec![Arg::Number(3.0), Arg::Number(3600.0)]),
            ),
            ("resendAfterSecs".into(), Arg::Number(0.0)),
            (
                "sendsPerRecipient".into(),
                Arg::List(vec![Arg::Number(10.0), Arg::Number(600.0)]),
            ),
        ]),
    )]);
    let first = h.start("+14155550100").body["sessionUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    h.check(&first, "000000");
    h.check(&first, "000001");
    let second = h.start("+14155550100").body["sessionUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    h.check(&second, "000002");
    let a = h.check(&second, OTP);
    assert_eq!(
        (a.status, a.code()),
        (429, "rate_limited"),
        "even the right code waits"
    );
    assert_eq!(a.header("Retry-After"), Some("3600"));
    assert_eq!(
        h.start("+14155550100").status,
        429,
        "and no new code is sent"
    );
    h.advance(3600);
    assert_eq!(h.check(&second, OTP).body["verified"], true);
}

#[test]
fn wrong_codes_sent_at_once_never_exceed_the_limit_at_plivo() {
    let h = harness_with(vec![(
        "limits",
        Arg::Map(vec![
            (
                "failuresPerRecipient".into(),
                Arg::List(vec![Arg::Number(3.0), Arg::Number(86400.0)]),
            ),
            ("checksPerSession".into(), Arg::Number(20.0)),
        ]),
    )]);
    let uuid = h.start("+14155550100").body["sessionUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    *h.proxy.backend.slow_validations.borrow_mut() = true;
    let guesses: Vec<ProxyRequest> = (0..8)
        .map(|i| {
            post_request(
                "/verify/check",
                &[
                    ("sessionUuid", Arg::Text(uuid.clone())),
                    ("otp", Arg::Text(format!("00000{i}"))),
                ],
                &[],
            )
        })
        .collect();
    let now = *h.now.borrow();
    let answers = block_on_all(guesses.iter().map(|r| h.proxy.handle(r, now)).collect());
    assert_eq!(
        *h.proxy.backend.validations.borrow(),
        3,
        "8 wrong codes at once, 3 allowed: only 3 reach Plivo"
    );
    let limited = answers.iter().filter(|a| a.response.status == 429).count();
    assert_eq!(limited, 5);
    // A right code gives its reservation back: after a verification all 3 tries are left.
    *h.proxy.backend.slow_validations.borrow_mut() = false;
    h.advance(86_400);
    let session = |h: &Harness| {
        h.start("+14155550100").body["sessionUuid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let verified = session(&h);
    assert_eq!(h.check(&verified, OTP).body["verified"], true);
    h.advance(31);
    let next = session(&h);
    assert_eq!(h.check(&next, "111110").body["reason"], "incorrect");
    assert_eq!(h.check(&next, "111111").body["reason"], "incorrect");
    let third = h.check(&next, "111112");
    assert_eq!(
        (third.status, third.body["reason"].as_str()),
        (200, Some("too_many_attempts")),
        "the third wrong code reached Plivo (which expired the session): not refused here"
    );
}

#[test]
fn a_check_whose_outcome_is_unknown_keeps_its_reservation() {
    let h = harness_with(vec![(
        "limits",
        Arg::Map(vec![
            (
                "failuresPerRecipient".into(),
                Arg::List(vec![Arg::Number(1.0), Arg::Number(86400.0)]),
            ),
            ("checksPerSession".into(), Arg::Number(20.0)),
        ]),
    )]);
    let uuid = h.start("+14155550100").body["sessionUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let fail_validation = |e: Error| *h.proxy.backend.fail_validation_with.borrow_mut() = Some(e);
    // Plivo refused the request outright (429): no code was tried, the try is given back.
    fail_validation(Error::from_status(429, None, None, None));
    assert_eq!(h.check(&uuid, OTP).status, 429);
    // A timeout: the code may have been tried at Plivo, so the one try is spent.
    fail_validation(Error::new(ErrorCode::Timeout, "timed out"));
    assert_eq!(h.check(&uuid, OTP).code(), "upstream_timeout");
    let a = h.check(&uuid, OTP);
    assert_eq!((a.status, a.code()), (429, "rate_limited"), "{}", a.body);
}

#[test]
fn bad_checks_are_refused() {
    let h = harness();
    for fields in [
        vec![
            ("sessionUuid", Arg::Text("../../x".into())),
            ("otp", Arg::Text(OTP.into())),
        ],
        vec![
            (
                "sessionUuid",
                Arg::Text("00000000-0000-4000-8000-000000000001".into()),
            ),
            ("otp", Arg::Number(482913.0)),
        ],
        vec![(
            "sessionUuid",
            Arg::Text("00000000-0000-4000-8000-000000000001".into()),
        )],
        vec![
            (
                "sessionUuid",
                Arg::Text("00000000-0000-4000-8000-000000000001".into()),
            ),
            ("otp", Arg::Text("12".into())),
            ("x", Arg::Bool(true)),
        ],
    ] {
        let a = h.post("/verify/check", &fields);
        assert_eq!(
            (a.status, a.code()),
            (400, "invalid_argument"),
            "{}",
            a.body
        );
    }
    assert_eq!(h.calls(), 0);
    let a = h.check("00000000-0000-4000-8000-000000000099", OTP);
    assert_eq!((a.status, a.code()), (404, "not_found"));
}

#[test]
fn the_status_route_shows_only_what_a_browser_needs() {
    let h = harness();
    let uuid = h.start("+14155550100").body["sessionUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = h.send(get_request(&format!("/verify/session/{uuid}")));
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body,
        serde_json::json!({"status": "in-progress", "channel": "sms", "attempts": 1})
    );
    assert!(!a.raw.body.contains("4155550100"));
    assert_eq!(
        h.send(get_request("/verify/session/nope")).code(),
        "invalid_argument"
    );
}

#[test]
fn plivo_failures_never_leak_credentials() {
    let h = harness_with(vec![(
        "limits",
        Arg::Map(vec![(
            "sendsPerIp".into(),
            Arg::List(vec![Arg::Number(100.0), Arg::Number(60.0)]),
        )]),
    )]);
    for (error, status, code) in [
        (
            Error::from_status(401, Some(format!("bad token {TOKEN}")), None, None),
            502,
            "upstream_error",
        ),
        (
            Error::new(ErrorCode::Timeout, "the request timed out"),
            504,
            "upstream_timeout",
        ),
        (
            Error::from_status(429, None, None, Some("7")),
            429,
            "rate_limited",
        ),
        (
            Error::from_status(500, None, None, None),
            502,
            "upstream_error",
        ),
    ] {
        *h.proxy.backend.fail_with.borrow_mut() = Some(error);
        h.advance(31);
        let a = h.start(&format!("+1415555{:04}", h.calls()));
        assert_eq!((a.status, a.code()), (status, code), "{}", a.body);
    }
}

fn signed_callback(url_called: &str, token: &str) -> ProxyRequest {
    let params = crate::api::signature::VECTOR_PARAMS;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let signature = sign_v3(
        token,
        CallbackMethod::Post,
        "https://verify.example.com/verify/callback",
        &params,
        "1234",
    );
    ProxyRequest {
        method: "POST".into(),
        url: url_called.into(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("x-plivo-signature-v3".into(), signature),
            ("x-plivo-signature-v3-nonce".into(), "1234".into()),
        ],
        body: Some(body),
        json: None,
        ..ProxyRequest::default()
    }
}

#[test]
fn signed_callbacks_reach_on_status_and_others_get_403() {
    let h = harness();
    // Behind a proxy that rewrote the URL: the public URL is what was signed.
    let a = h.send(signed_callback(
        "http://internal:8787/verify/callback",
        TOKEN,
    ));
    assert_eq!(a.status, 200);
    let event = a.event.expect("handed to onStatus").callback;
    assert_eq!(event.channel_status.as_deref(), Some("delivered"));
    assert_eq!(event.session_uuid, "d8f1b187-ddcb-438a-a298-eb17fb2b31f5");

    let forged = h.send(signed_callback(
        "https://verify.example.com/verify/callback",
        "not-the-token",
    ));
    assert_eq!((forged.status, forged.code()), (403, "invalid_signature"));
    assert!(forged.event.is_none());
    let mut tampered = signed_callback("https://verify.example.com/verify/callback", TOKEN);
    tampered.body = tampered.body.map(|b| b.replace("delivered", "failed"));
    assert_eq!(h.send(tampered).status, 403);
    let mut unsigned = signed_callback("https://verify.example.com/verify/callback", TOKEN);
    unsigned.headers.retain(|(k, _)| !k.starts_with("x-plivo"));
    assert_eq!(h.send(unsigned).status, 403);
}

const SUB_TOKEN: &str = "subaccount-auth-token-for-tests";
const PUBLIC_CALLBACK: &str = "https://verify.example.com/verify/callback";

/// A status callback exactly as Plivo's Verify docs describe it: a form POST with
/// `X-Plivo-Signature-V2` (made with `v2_token`), `X-Plivo-Signature-Ma-V2` (made with
/// `ma_token`) and `X-Plivo-Signature-V2-Nonce`.
fn plivo_callback(v2_token: &str, ma_token: &str, nonce: &str) -> ProxyRequest {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(crate::api::signature::VECTOR_PARAMS)
        .finish();
    ProxyRequest {
        method: "POST".into(),
        url: "http://internal:8787/verify/callback".into(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            (
                "x-plivo-signature-v2".into(),
                sign_v2(v2_token, PUBLIC_CALLBACK, nonce),
            ),
            (
                "x-plivo-signature-ma-v2".into(),
                sign_v2(ma_token, PUBLIC_CALLBACK, nonce),
            ),
            ("x-plivo-signature-v2-nonce".into(), nonce.into()),
        ],
        body: Some(body),
        json: None,
        ..ProxyRequest::default()
    }
}

#[test]
fn a_callback_as_plivo_signs_it_reaches_on_status_once() {
    let h = harness();
    let first = h.send(plivo_callback(TOKEN, TOKEN, "05429567804466091622"));
    assert_eq!(first.status, 200, "{}", first.body);
    let event = first.event.expect("handed to onStatus").callback;
    assert_eq!(event.session_uuid, "d8f1b187-ddcb-438a-a298-eb17fb2b31f5");
    // The same request again: acknowledged (Plivo stops trying), not passed on.
    let again = h.send(plivo_callback(TOKEN, TOKEN, "05429567804466091622"));
    assert_eq!(again.status, 200);
    assert_eq!(again.body["duplicate"], true);
    assert!(again.event.is_none());
    // A captured signature with other parameters: V2 does not sign them, the nonce does.
    let mut altered = plivo_callback(TOKEN, TOKEN, "05429567804466091622");
    altered.body = altered.body.map(|b| b.replace("delivered", "failed"));
    assert!(h.send(altered).event.is_none());
    // A day later the nonce is forgotten (Plivo never reuses one that old).
    h.advance(86_400);
    assert!(h
        .send(plivo_callback(TOKEN, TOKEN, "05429567804466091622"))
        .event
        .is_some());
}

#[test]
fn a_subaccount_session_verifies_by_its_v2_or_the_main_ma_v2() {
    let main_only = harness();
    let with_sub = harness_with(vec![(
        "subaccountTokens",
        Arg::List(vec![Arg::Text(SUB_TOKEN.into())]),
    )]);
    // V2 with the subaccount's token, Ma-V2 with the main token: either proxy accepts it.
    for h in [&main_only, &with_sub] {
        assert!(h
            .send(plivo_callback(SUB_TOKEN, TOKEN, "1"))
            .event
            .is_some());
    }
    // With a broken Ma-V2, only the proxy that knows the subaccount's token accepts it.
    let a = main_only.send(plivo_callback(SUB_TOKEN, "wrong", "2"));
    assert_eq!((a.status, a.code()), (403, "invalid_signature"));
    assert!(with_sub
        .send(plivo_callback(SUB_TOKEN, "wrong", "2"))
        .event
        .is_some());
    // Ma-V2 is the main account's: a subaccount token does not make one.
    let a = with_sub.send(plivo_callback("wrong", SUB_TOKEN, "3"));
    assert_eq!(a.status, 403);
    assert!(a.event.is_none());
}

#[test]
fn a_failed_on_status_takes_the_nonce_back() {
    let h = harness();
    let accepted = h.send(plivo_callback(TOKEN, TOKEN, "77")).event.unwrap();
    block_on(h.proxy.callback_failed(&accepted));
    let retried = h.send(plivo_callback(TOKEN, TOKEN, "77"));
    assert!(retried.event.is_some(), "Plivo's next try is passed on");
    assert!(h.send(plivo_callback(TOKEN, TOKEN, "77")).event.is_none());
}

#[test]
fn every_verified_nonce_is_spent() {
    let h = harness();
    // V3 and V2 on one request; replaying either header set alone is refused.
    let mut both = signed_callback(PUBLIC_CALLBACK, TOKEN);
    both.headers.extend(
        plivo_callback(TOKEN, TOKEN, "88")
            .headers
            .into_iter()
            .skip(1),
    );
    assert!(h.send(both.clone()).event.is_some());
    let mut v2_alone = both.clone();
    v2_alone
        .headers
        .retain(|(k, _)| !k.starts_with("x-plivo-signature-v3"));
    let mut v3_alone = both;
    v3_alone.headers.retain(|(k, _)| !k.contains("v2"));
    for replay in [v2_alone, v3_alone] {
        let a = h.send(replay);
        assert_eq!((a.status, a.body["duplicate"].as_bool()), (200, Some(true)));
        assert!(a.event.is_none());
    }
}

#[test]
fn hostile_callbacks_are_refused_with_nothing_passed_on() {
    let h = harness();
    let with_header = |name: &str, value: String| {
        let mut r = plivo_callback(TOKEN, TOKEN, "99");
        r.headers.retain(|(k, _)| k != name);
        r.headers.push((name.into(), value));
        r
    };
    let good = sign_v2(TOKEN, PUBLIC_CALLBACK, "99");
    // A header of 10,000 signatures refuses the request, whatever the other one says.
    let many = format!("{}{good}", "AAAA,".repeat(10_000));
    let long_nonce = "1".repeat(10 * 1024);
    let mut cases = vec![
        with_header("x-plivo-signature-v2", many.clone()),
        with_header("x-plivo-signature-ma-v2", many),
        with_header("x-plivo-signature-ma-v2", "%%%not base64%%%".into()),
        plivo_callback(TOKEN, TOKEN, &long_nonce),
        plivo_callback(TOKEN, TOKEN, "12 34"),
    ];
    cases[2]
        .headers
        .retain(|(k, _)| k != "x-plivo-signature-v2");
    let mut too_large = plivo_callback(TOKEN, TOKEN, "100");
    too_large.body = None;
    for (i, request) in cases.into_iter().enumerate() {
        let a = h.send(request);
        assert!(a.event.is_none(), "case {i}");
        assert_eq!(a.status, 403, "case {i}: {}", a.body);
    }
    let a = h.send(too_large);
    assert_eq!((a.status, a.code()), (413, "payload_too_large"));
    assert!(a.event.is_none());
    // Nothing was spent: the genuine callback still goes through.
    assert!(h.send(plivo_callback(TOKEN, TOKEN, "99")).event.is_some());
}

#[test]
fn allow_v2_is_refused_with_what_replaced_it() {
    let options = vec![
        (
            "authId".to_owned(),
            Arg::Text("MAXXXXXXXXXXXXXXXXXX".into()),
        ),
        ("authToken".to_owned(), Arg::Text(TOKEN.into())),
        ("proofSecret".to_owned(), Arg::Text(SECRET.into())),
        ("allowV2".to_owned(), Arg::Bool(true)),
    ];
    let e = ProxyConfig::from_options(Options::new(options))
        .err()
        .unwrap();
    assert_eq!(e.argument.as_deref(), Some("allowV2"));
    assert!(e.message.contains("always accepted"), "{}", e.message);
    for bad in [
        Arg::Text(SUB_TOKEN.into()),
        Arg::List(vec![Arg::Number(1.0)]),
        Arg::List(vec![Arg::Text("has space".into())]),
        Arg::List(vec![Arg::Text("t".into()); 101]),
    ] {
        let options = vec![
            (
                "authId".to_owned(),
                Arg::Text("MAXXXXXXXXXXXXXXXXXX".into()),
            ),
            ("authToken".to_owned(), Arg::Text(TOKEN.into())),
            ("proofSecret".to_owned(), Arg::Text(SECRET.into())),
            ("subaccountTokens".to_owned(), bad),
        ];
        let e = ProxyConfig::from_options(Options::new(options))
            .err()
            .unwrap();
        assert_eq!(e.argument.as_deref(), Some("subaccountTokens"));
        assert!(!e.message.contains("has space") && !e.message.contains(SUB_TOKEN));
    }
}

#[test]
fn cors_answers_allowed_origins_only() {
    let h = harness();
    let from = |origin: &str| {
        post_request(
            "/verify/start",
            &[("recipient", Arg::Text("+14155550100".into()))],
            &[("origin", origin)],
        )
    };
    let a = h.send(from("https://app.example.com"));
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("Access-Control-Allow-Origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        a.header("Access-Control-Expose-Headers"),
        Some("Retry-After")
    );

    let calls = h.calls();
    let a = h.send(from("https://evil.example"));
    assert_eq!((a.status, a.code()), (403, "origin_not_allowed"));
    assert_eq!(a.header("Access-Control-Allow-Origin"), None);
    assert_eq!(h.calls(), calls, "refused before anything was done");

    let same = h.send(from("https://verify.example.com"));
    assert_eq!(
        same.status, 429,
        "same origin passes CORS (then meets the resend wait)"
    );
    assert_eq!(same.header("Access-Control-Allow-Origin"), None);

    let mut preflight = get_request("/verify/check");
    preflight.method = "OPTIONS".into();
    preflight.headers = vec![("origin".into(), "https://app.example.com".into())];
    let a = h.send(preflight.clone());
    assert_eq!(a.status, 204);
    assert_eq!(
        a.header("Access-Control-Allow-Methods"),
        Some("GET, POST, OPTIONS")
    );
    assert_eq!(
        a.header("Access-Control-Allow-Headers"),
        Some("Content-Type, Idempotency-Key")
    );
    preflight.headers = vec![("origin".into(), "https://evil.example".into())];
    assert_eq!(h.send(preflight).status, 403);
}

#[test]
fn reads_per_ip_are_capped_whatever_the_session() {
    let h = harness_with(vec![(
        "limits",
        Arg::Map(vec![(
            "readsPerIp".into(),
            Arg::List(vec![Arg::Number(3.0), Arg::Number(60.0)]),
        )]),
    )]);
    let made_up = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
    let mut status = get_request(&format!("/verify/session/{}", made_up(90)));
    status
        .headers
        .push(("cf-connecting-ip".into(), "203.0.113.7".into()));
    assert_eq!(h.send(status.clone()).status, 404);
    assert_eq!(h.check(&made_up(91), OTP).status, 404);
    assert_eq!(h.check(&made_up(92), OTP).status, 404);
    let calls = h.calls();
    let a = h.check(&made_up(93), OTP);
    assert_eq!((a.status, a.code()), (429, "rate_limited"));
    assert_eq!(a.header("Retry-After"), Some("60"));
    assert_eq!(h.send(status).status, 429);
    assert_eq!(h.calls(), calls, "Plivo was not asked");
}

#[test]
fn unknown_routes_and_methods() {
    let h = harness();
    let a = h.send(get_request("/verify/nothing"));
    assert_eq!((a.status, a.code()), (404, "not_found"));
    let a = h.send(get_request("/verify/start"));
    assert_eq!((a.status, a.code()), (405, "method_not_allowed"));
    assert_eq!(a.header("Allow"), Some("POST, OPTIONS"));
}
