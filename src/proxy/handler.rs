//! What the proxy does with a request, as plain Rust: routing, CORS, body rules, input
//! validation, the guards, calls to Plivo (through [`Backend`]), proofs and callbacks.
//! The JS layer turns a fetch `Request` into a [`ProxyRequest`] and the [`Handled`] back
//! into a `Response`; time comes in as `now_ms`.

use crate::api::callback::{
    verify_received_callback, CallbackKeys, ReceivedCallback, StatusCallback, REPLAY_WINDOW_MS,
};
use crate::api::error::{Error, ErrorCode};
use crate::api::json::Json;
use crate::api::model::Session;
use crate::api::options::{CreateSessionParams, Options};
use crate::api::params::{is_e164, is_otp, is_uuid, required_text, Arg, E164, OTP, UUID};

use super::address::{client_bucket, Sources};
use super::config::ProxyConfig;
use super::limits::{Action, Decision, Rule};
use super::proof::{self, Proof};
use super::route::{check_origin, origin_of, path_of, route, Origin, Route};

/// Largest accepted request body.
pub const MAX_BODY: usize = 4 * 1024;
/// How long a session's check count is remembered.
const CHECKS_WINDOW_MS: u64 = 86_400_000;

/// The Verify API as the proxy uses it.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// Sends a code; the session's UUID.
    async fn create_session(&self, params: CreateSessionParams) -> Result<String, Error>;
    /// Reads a session.
    async fn get_session(&self, session_uuid: &str) -> Result<Session, Error>;
    /// Checks a code.
    async fn validate_session(&self, session_uuid: &str, otp: &str) -> Result<(), Error>;
}

/// Where the limits' counts live (one isolate's memory, or a Durable Object).
#[allow(async_fn_in_trait)]
pub trait LimitStore {
    /// Carries out `action` on `rules` at `now_ms` (see [`Limiter::act`](super::limits::Limiter::act)).
    async fn act(&self, rules: &[Rule], action: Action, now_ms: u64) -> Result<Decision, Error>;
}

/// A request as the handler needs it.
#[derive(Debug, Clone, Default)]
pub struct ProxyRequest {
    /// Upper-case method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The raw body (at most [`MAX_BODY`] bytes), or `None` when it was larger.
    pub body: Option<String>,
    /// The body parsed as a JSON object, when it is one.
    pub json: Option<Options>,
    /// Whether it came through Cloudflare (`request.cf` present).
    pub on_cloudflare: bool,
    /// What the app's `clientIp(request)` returned, when it has one.
    pub client_ip: Option<String>,
}

impl ProxyRequest {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyResponse {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (`Content-Type: application/json` is implied for a non-empty body).
    pub headers: Vec<(&'static str, String)>,
    /// JSON text, or empty.
    pub body: String,
}

/// The answer, and the status callback to hand to `onStatus` first (callback route).
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    /// What to answer.
    pub response: ProxyResponse,
    /// A verified callback seen for the first time.
    pub event: Option<AcceptedCallback>,
}

/// A verified callback whose nonces were just recorded as seen.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedCallback {
    /// Its fields, for `onStatus`.
    pub callback: StatusCallback,
    /// The nonces' rules, recorded at `at_ms`: [`Proxy::callback_failed`] takes them back.
    nonces: Vec<Rule>,
    at_ms: u64,
}

fn json(status: u16, body: Json) -> ProxyResponse {
    ProxyResponse {
        status,
        headers: Vec::new(),
        body: body.render(),
    }
}

/// `{"error": {"code", "message"}}`: every refusal the proxy (and its limiter) answers.
pub fn error(status: u16, code: ErrorCode, message: &str) -> ProxyResponse {
    json(
        status,
        Json::Object(vec![(
            "error",
            Json::Object(vec![
                ("code", Json::str(code.as_str())),
                ("message", Json::str(message)),
            ]),
        )]),
    )
}

fn rate_limited(retry_after_secs: u64, message: &str) -> ProxyResponse {
    let mut response = error(429, ErrorCode::RateLimited, message);
    response
        .headers
        .push(("Retry-After", retry_after_secs.to_string()));
    response
}

/// A failed call to Plivo, as the browser may see it: no credentials, no internals.
fn upstream(e: &Error) -> ProxyResponse {
    match e.code {
        ErrorCode::InvalidArgument => error(400, ErrorCode::InvalidArgument, &e.message),
        ErrorCode::NotFound => error(404, ErrorCode::NotFound, "no such session"),
        ErrorCode::BadRequest => error(400, ErrorCode::Rejected, &e.message),
        ErrorCode::RateLimited => rate_limited(
            e.retry_after_ms.map_or(60, |ms| ms.div_ceil(1000).max(1)),
            "the verification service is busy: try again later",
        ),
        ErrorCode::Timeout => error(
            504,
            ErrorCode::UpstreamTimeout,
            "the verification service did not answer in time",
        ),
        _ => error(
            502,
            ErrorCode::UpstreamError,
            "the verification service could not be reached or refused the request",
        ),
    }
}

/// `+14155550100` from what a person typed: spaces, dots, dashes and parentheses are
/// dropped; a missing `+` is assumed.
pub fn normalize_recipient(text: &str) -> Option<String> {
    let kept: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    let digits = kept.strip_prefix('+').unwrap_or(&kept);
    is_e164(digits).then(|| format!("+{digits}"))
}

/// The proxy: settings, Plivo, and the limits' store.
pub struct Proxy<B, S> {
    /// Settings.
    pub config: ProxyConfig,
    /// Plivo.
    pub backend: B,
    /// Counts of the limits.
    pub store: S,
}

impl<B: Backend, S: LimitStore> Proxy<B, S> {
    /// Answers one request at `now_ms` (Unix milliseconds).
    pub async fn handle(&self, request: &ProxyRequest, now_ms: u64) -> Handled {
        let own_origin = origin_of(&request.url);
        let route = route(
            &self.config.base_path,
            &request.method,
            path_of(&request.url),
        );
        if route == Route::Callback {
            return self.callback(request, now_ms).await;
        }
        let origin = check_origin(
            request.header("origin"),
            own_origin,
            &self.config.allowed_origins,
        );
        let mut response = match (&origin, &route) {
            (Origin::Refused, _) => error(
                403,
                ErrorCode::OriginNotAllowed,
                "this origin may not call the proxy",
            ),
            (_, Route::Preflight) => ProxyResponse {
                status: 204,
                headers: Vec::new(),
                body: String::new(),
            },
            (_, Route::NotFound) => error(404, ErrorCode::NotFound, "no such route"),
            (_, Route::WrongMethod(allow)) => {
                let mut response = error(405, ErrorCode::MethodNotAllowed, "method not allowed");
                response.headers.push(("Allow", (*allow).to_owned()));
                response
            }
            (_, Route::Status(uuid)) => self.status(uuid, request, now_ms).await,
            (_, Route::Start) => match json_body(request) {
                Ok(body) => self.start(body, request, now_ms).await,
                Err(response) => response,
            },
            (_, Route::Check) => match json_body(request) {
                Ok(body) => self.check(body, request, now_ms).await,
                Err(response) => response,
            },
            (_, Route::Callback) => unreachable!("answered above"),
        };
        if let Origin::Allowed(origin) = origin {
            response
                .headers
                .push(("Access-Control-Allow-Origin", origin));
            response.headers.push(("Vary", "Origin".into()));
            response
                .headers
                .push(("Access-Control-Expose-Headers", "Retry-After".into()));
            if route == Route::Preflight {
                response
                    .headers
                    .push(("Access-Control-Allow-Methods", "GET, POST, OPTIONS".into()));
                response
                    .headers
                    .push(("Access-Control-Allow-Headers", "Content-Type".into()));
                response
                    .headers
                    .push(("Access-Control-Max-Age", "600".into()));
            }
        }
        Handled {
            response,
            event: None,
        }
    }

    /// The client address the per-address limits count (see [`super::address`]).
    fn client_ip(&self, request: &ProxyRequest) -> String {
        let sources = Sources {
            from_app: request.client_ip.as_deref(),
            cf_connecting_ip: request.header("cf-connecting-ip"),
            on_cloudflare: request.on_cloudflare,
            forwarded_for: request.header("x-forwarded-for"),
        };
        client_bucket(sources, self.config.trust_forwarded_for)
    }

    async fn limit(
        &self,
        rules: &[Rule],
        record: bool,
        now_ms: u64,
    ) -> Result<Decision, ProxyResponse> {
        let action = if record {
            Action::Record
        } else {
            Action::Check
        };
        self.store.act(rules, action, now_ms).await.map_err(|_| {
            error(
                503,
                ErrorCode::LimitsUnavailable,
                "the rate limiter could not be reached",
            )
        })
    }

    /// Counts a request that will cost Plivo calls against its IP's allowance.
    async fn count_read(&self, request: &ProxyRequest, now_ms: u64) -> Result<(), ProxyResponse> {
        let window = self.config.limits.reads_per_ip;
        let rule = Rule {
            key: format!("read:{}", self.client_ip(request)),
            limit: window.count,
            window_ms: window.secs * 1000,
        };
        match self.limit(&[rule], true, now_ms).await? {
            Decision::Allowed => Ok(()),
            Decision::Limited { retry_after_secs } => Err(rate_limited(
                retry_after_secs,
                "too many requests from this address",
            )),
        }
    }

    fn failures_rule(&self, recipient: &str) -> Rule {
        let window = self.config.limits.failures_per_recipient;
        Rule {
            key: format!("fail:{recipient}"),
            limit: window.count,
            window_ms: window.secs * 1000,
        }
    }

    async fn start(&self, mut body: Options, request: &ProxyRequest, now_ms: u64) -> ProxyResponse {
        let recipient = match body.take("recipient") {
            Arg::Text(text) => normalize_recipient(&text),
            _ => None,
        };
        let Some(recipient) = recipient else {
            return error(
                400,
                ErrorCode::InvalidArgument,
                &format!("recipient: must be {E164}"),
            );
        };
        let channel = body.take("channel");
        if let Err(e) = body.finish() {
            return error(400, ErrorCode::InvalidArgument, &e.message);
        }
        let digits = &recipient[1..];
        let codes = &self.config.allowed_country_codes;
        if !codes.is_empty() && !codes.iter().any(|code| digits.starts_with(code.as_str())) {
            return error(
                403,
                ErrorCode::CountryNotAllowed,
                "codes cannot be sent to this country",
            );
        }
        let mut options = vec![
            ("recipient".to_owned(), Arg::Text(recipient.clone())),
            ("channel".to_owned(), channel),
        ];
        let settings = [
            ("appUuid", self.config.app_uuid.clone().map(Arg::Text)),
            ("brandName", self.config.brand_name.clone().map(Arg::Text)),
            (
                "codeLength",
                self.config.code_length.map(|n| Arg::Number(n as f64)),
            ),
            ("locale", self.config.locale.clone().map(Arg::Text)),
            ("url", self.config.callback_url().map(Arg::Text)),
            (
                "method",
                self.config.callback_url().map(|_| Arg::Text("POST".into())),
            ),
        ];
        for (key, value) in settings {
            if let Some(value) = value {
                options.push((key.to_owned(), value));
            }
        }
        let params = match CreateSessionParams::from_options(Options::new(options)) {
            Ok(params) => params,
            Err(e) => return error(400, ErrorCode::InvalidArgument, &e.message),
        };
        let channel = params.fields.iter().find(|(k, _)| *k == "channel").map_or(
            "sms".to_owned(),
            |(_, v)| match v {
                crate::api::options::BodyValue::Text(t) => t.clone(),
                crate::api::options::BodyValue::Integer(_) => "sms".to_owned(),
            },
        );
        match self
            .limit(&[self.failures_rule(&recipient)], false, now_ms)
            .await
        {
            Ok(Decision::Allowed) => {}
            Ok(Decision::Limited { retry_after_secs }) => {
                return rate_limited(retry_after_secs, "too many wrong codes for this number")
            }
            Err(response) => return response,
        }
        let limits = &self.config.limits;
        let mut rules = vec![
            Rule {
                key: format!("send:{recipient}"),
                limit: limits.sends_per_recipient.count,
                window_ms: limits.sends_per_recipient.secs * 1000,
            },
            Rule {
                key: format!("ip:{}", self.client_ip(request)),
                limit: limits.sends_per_ip.count,
                window_ms: limits.sends_per_ip.secs * 1000,
            },
        ];
        if limits.resend_after_secs > 0 {
            rules.push(Rule {
                key: format!("resend:{recipient}"),
                limit: 1,
                window_ms: limits.resend_after_secs * 1000,
            });
        }
        match self.limit(&rules, true, now_ms).await {
            Ok(Decision::Allowed) => {}
            Ok(Decision::Limited { retry_after_secs }) => {
                return rate_limited(
                    retry_after_secs,
                    "too many codes requested: wait before asking again",
                )
            }
            Err(response) => return response,
        }
        match self.backend.create_session(params).await {
            Ok(session_uuid) => json(
                200,
                Json::Object(vec![
                    ("sessionUuid", Json::str(session_uuid)),
                    ("channel", Json::str(channel)),
                    ("resendAfterSecs", Json::Int(limits.resend_after_secs)),
                ]),
            ),
            Err(e) => upstream(&e),
        }
    }

    async fn check(&self, mut body: Options, request: &ProxyRequest, now_ms: u64) -> ProxyResponse {
        let uuid = required_text("sessionUuid", body.take("sessionUuid"), is_uuid, UUID);
        let otp = required_text("otp", body.take("otp"), is_otp, OTP);
        let (uuid, otp) = match (uuid, otp, body.finish()) {
            (Ok(uuid), Ok(otp), Ok(())) => (uuid, otp),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => {
                return error(400, ErrorCode::InvalidArgument, &e.message)
            }
        };
        if let Err(response) = self.count_read(request, now_ms).await {
            return response;
        }
        let not_verified = |reason: &str| {
            json(
                200,
                Json::Object(vec![
                    ("verified", Json::Bool(false)),
                    ("reason", Json::str(reason)),
                ]),
            )
        };
        let checks = Rule {
            key: format!("check:{uuid}"),
            limit: self.config.limits.checks_per_session,
            window_ms: CHECKS_WINDOW_MS,
        };
        match self.limit(&[checks], true, now_ms).await {
            Ok(Decision::Allowed) => {}
            Ok(Decision::Limited { .. }) => return not_verified("too_many_attempts"),
            Err(response) => return response,
        }
        let session = match self.backend.get_session(&uuid).await {
            Ok(session) => session,
            Err(e) => return upstream(&e),
        };
        let Some(recipient) = session.recipient.as_deref().and_then(normalize_recipient) else {
            return error(
                502,
                ErrorCode::UpstreamError,
                "the verification service sent a session without a number",
            );
        };
        if session.status.as_deref() != Some("in-progress") {
            return not_verified("expired");
        }
        // A wrong code is counted before Plivo is asked, and given back when the code was
        // right or Plivo tried none: guesses sent at once can never get more tries at Plivo
        // than the limit allows.
        let failures = [self.failures_rule(&recipient)];
        match self.limit(&failures, true, now_ms).await {
            Ok(Decision::Allowed) => {}
            Ok(Decision::Limited { retry_after_secs }) => {
                return rate_limited(retry_after_secs, "too many wrong codes for this number")
            }
            Err(response) => return response,
        }
        let give_back = || async {
            // If the store fails here, the reservation stays: one try too few, never one
            // too many.
            let _ = self.store.act(&failures, Action::Undo, now_ms).await;
        };
        match self.backend.validate_session(&uuid, &otp).await {
            Ok(()) => {
                give_back().await;
                let now_secs = now_ms / 1000;
                let proof = Proof {
                    session_uuid: uuid,
                    recipient,
                    expires_at: now_secs + self.config.proof_ttl_secs,
                };
                let token = proof::sign(&proof, now_secs, &self.config.proof_secret);
                json(
                    200,
                    Json::Object(vec![
                        ("verified", Json::Bool(true)),
                        ("proof", Json::str(token)),
                    ]),
                )
            }
            Err(e) if e.code == ErrorCode::BadRequest => {
                // The session tells why: still open (a wrong code) or closed by this try.
                match self.backend.get_session(&uuid).await {
                    Ok(after) if after.status.as_deref() == Some("in-progress") => {
                        not_verified("incorrect")
                    }
                    Ok(_) => not_verified("too_many_attempts"),
                    Err(e) => upstream(&e),
                }
            }
            Err(e) => {
                // Plivo refused the request (404, 401, 429…): no code was tried. When the
                // outcome is unknown (a timeout, a lost connection, a 5xx), the code may have
                // been tried, so the reservation stays.
                if !matches!(
                    e.code,
                    ErrorCode::Timeout | ErrorCode::Network | ErrorCode::ServerError
                ) {
                    give_back().await;
                }
                upstream(&e)
            }
        }
    }

    async fn status(&self, uuid: &str, request: &ProxyRequest, now_ms: u64) -> ProxyResponse {
        if !is_uuid(uuid) {
            return error(
                400,
                ErrorCode::InvalidArgument,
                &format!("sessionUuid: must be {UUID}"),
            );
        }
        if let Err(response) = self.count_read(request, now_ms).await {
            return response;
        }
        match self.backend.get_session(uuid).await {
            Ok(session) => json(
                200,
                Json::Object(vec![
                    ("status", session.status.map_or(Json::Null, Json::str)),
                    ("channel", session.channel.map_or(Json::Null, Json::str)),
                    (
                        "attempts",
                        Json::Int(
                            session
                                .count
                                .unwrap_or(session.attempt_details.len() as u64),
                        ),
                    ),
                ]),
            ),
            Err(e) => upstream(&e),
        }
    }

    /// Plivo's status callback: verified (V2, Ma-V2 or V3), and passed on once per nonce.
    async fn callback(&self, request: &ProxyRequest, now_ms: u64) -> Handled {
        let refused = |status, code, message| Handled {
            response: error(status, code, message),
            event: None,
        };
        let Some(body) = request.body.as_deref() else {
            return refused(
                413,
                ErrorCode::PayloadTooLarge,
                "the body is larger than 4 KiB",
            );
        };
        let public = self.config.callback_url();
        let url = match (&public, request.url.split_once('?')) {
            (Some(public), Some((_, query))) => format!("{public}?{query}"),
            (Some(public), None) => public.clone(),
            (None, _) => request.url.clone(),
        };
        let received = ReceivedCallback::from_headers(&request.method, &url, body, |name| {
            request.header(name)
        });
        let keys = CallbackKeys {
            main: &self.config.client.auth_token,
            subaccounts: &self.config.subaccount_tokens,
        };
        let Ok(verified) = verify_received_callback(&received, keys) else {
            return refused(
                403,
                ErrorCode::InvalidSignature,
                "the callback's signature does not verify",
            );
        };
        let nonces = nonce_rules(verified.replay_keys);
        let received = |duplicate: bool| {
            let mut fields = vec![("received", Json::Bool(true))];
            if duplicate {
                fields.push(("duplicate", Json::Bool(true)));
            }
            json(200, Json::Object(fields))
        };
        match self.limit(&nonces, true, now_ms).await {
            // Seen before: a replay, or Plivo trying again after an answer it did not get.
            // Either way it was handled once, so it is acknowledged and not passed on.
            Ok(Decision::Limited { .. }) => Handled {
                response: received(true),
                event: None,
            },
            Ok(Decision::Allowed) => Handled {
                response: received(false),
                event: Some(AcceptedCallback {
                    callback: verified.callback,
                    nonces,
                    at_ms: now_ms,
                }),
            },
            Err(response) => Handled {
                response,
                event: None,
            },
        }
    }

    /// Takes back a callback's nonces when `onStatus` failed, so that Plivo's next try
    /// (which the 500 answer asks for) is passed on even if it carries the same nonce.
    pub async fn callback_failed(&self, accepted: &AcceptedCallback) {
        // If the store fails too, the nonce stays spent: a lost callback, never a doubled one.
        let _ = self
            .store
            .act(&accepted.nonces, Action::Undo, accepted.at_ms)
            .await;
    }
}

/// The rules that accept each of a callback's nonces once in [`REPLAY_WINDOW_MS`].
pub fn nonce_rules(replay_keys: Vec<String>) -> Vec<Rule> {
    replay_keys
        .into_iter()
        .map(|key| Rule {
            key,
            limit: 1,
            window_ms: REPLAY_WINDOW_MS,
        })
        .collect()
}

/// The JSON object body of `/start` and `/check`, or the answer refusing it.
fn json_body(request: &ProxyRequest) -> Result<Options, ProxyResponse> {
    let kind = request.header("content-type").unwrap_or_default();
    if !kind
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        return Err(error(
            415,
            ErrorCode::UnsupportedMediaType,
            "send a JSON body with Content-Type: application/json",
        ));
    }
    if request.body.is_none() {
        return Err(error(
            413,
            ErrorCode::PayloadTooLarge,
            "the body is larger than 4 KiB",
        ));
    }
    request.json.clone().ok_or_else(|| {
        error(
            400,
            ErrorCode::InvalidJson,
            "the body must be a JSON object",
        )
    })
}
