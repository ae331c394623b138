//! What the proxy does with a request, as plain Rust: routing, CORS, body rules, input
//! validation, the guards, calls to Plivo (through [`Backend`]), proofs and callbacks.
//! The JS layer turns a fetch `Request` into a [`ProxyRequest`] and the [`Handled`] back
//! into a `Response`; time comes in as `now_ms`.

use crate::api::callback::{
    verify_received_callback, CallbackKeys, ReceivedCallback, StatusCallback, REPLAY_WINDOW_MS,
};
use crate::api::error::{Error, ErrorCode};
use crate::api::model::Session;
use crate::api::options::{CreateSessionParams, Options};
use crate::api::params::{
    is_challenge_token, is_idempotency_key, is_otp, optional_text, required_text, Channel,
    SessionUuid, CHALLENGE_TOKEN, E164, IDEMPOTENCY_KEY, OTP, UUID,
};

use super::address::{client, Client, Sources};
use super::answer::{
    to_text, CallbackReceived, CheckRefusal, CheckResult, Refusal, RefusalDetail,
    SessionStatusResult, StartResult,
};
use super::config::{ProxyConfig, Window, PREFIX_FREE_DIGITS};
use super::country;
use super::limits::{Action, Claim, Decision, Rule};
use super::proof;
use super::route::{check_origin, origin_of, path_of, route, Origin, Route};

/// Largest accepted request body.
pub const MAX_BODY: usize = 4 * 1024;
/// How long a session's check count is remembered.
const CHECKS_WINDOW_MS: u64 = 86_400_000;
/// How long a repeat of an idempotent start waits for the first one's outcome at most (the
/// first one's Plivo call is bounded by the client's timeout).
const IDEMPOTENT_WAIT_MS: u64 = 20_000;
/// How long an `Idempotency-Key` holds when resend waits are off (`resendAfterSecs: 0`).
const IDEMPOTENT_WINDOW_SECS: u64 = 30;

/// The Verify API as the proxy uses it.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// Sends a code; the session's UUID.
    async fn create_session(&self, params: CreateSessionParams) -> Result<String, Error>;
    /// Reads a session.
    async fn get_session(&self, session_uuid: &SessionUuid) -> Result<Session, Error>;
    /// Checks a code.
    async fn validate_session(&self, session_uuid: &SessionUuid, otp: &str) -> Result<(), Error>;
    /// Waits `ms` milliseconds (the runtime's timer): while a repeat of an idempotent start
    /// waits for the first one's outcome.
    async fn sleep(&self, ms: u64);
}

/// A bot check of `/start` (Cloudflare Turnstile's siteverify, or the app's own function),
/// for one request.
#[allow(async_fn_in_trait)]
pub trait Challenger {
    /// Whether `token` passes, for a client at `remote_ip` (when its address is known).
    /// `Err`: the check could not be made (nothing is sent then either).
    async fn passes(&self, token: &str, remote_ip: Option<&str>) -> Result<bool, Error>;
}

/// No bot check: the proxy's `challenge` option is not set.
pub struct NoChallenge;

impl Challenger for NoChallenge {
    async fn passes(&self, _: &str, _: Option<&str>) -> Result<bool, Error> {
        Ok(true)
    }
}

/// Where the limits' counts live (one isolate's memory, or a Durable Object).
#[allow(async_fn_in_trait)]
pub trait LimitStore {
    /// Carries out `action` on `rules` at `now_ms` (see [`Limiter::act`](super::limits::Limiter::act)).
    async fn act(&self, rules: &[Rule], action: Action, now_ms: u64) -> Result<Decision, Error>;

    /// A refusal of one of `rules` that this store knows without asking anyone (the
    /// Durable Object store remembers its objects' refusals in the isolate), if any. The
    /// memory store is asked at no cost, so it knows none.
    fn known_refusal(&self, _rules: &[Rule], _now_ms: u64) -> Option<Decision> {
        None
    }

    /// Holds `rule`'s key if no one does (see [`Limiter::claim`](super::limits::Limiter::claim)).
    async fn claim(&self, rule: &Rule, now_ms: u64) -> Result<Claim, Error>;

    /// Leaves `note` on `rule`'s key, held since a claim, for the rest of its window.
    async fn leave_note(&self, rule: &Rule, note: &str, now_ms: u64) -> Result<(), Error>;
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
    /// In shadow mode, the guards that would have refused this request (their reasons).
    pub shadowed: Vec<&'static str>,
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

fn json<T: serde::Serialize>(status: u16, body: &T) -> ProxyResponse {
    ProxyResponse {
        status,
        headers: Vec::new(),
        body: to_text(body),
    }
}

/// `{"error": {"code", "message"}}`: every refusal the proxy (and its limiter) answers.
pub fn error(status: u16, code: ErrorCode, message: &str) -> ProxyResponse {
    refusal(status, code, message, None)
}

/// An error answer; a guard's refusal also names the guard (`reason`).
fn refusal(status: u16, code: ErrorCode, message: &str, reason: Option<&str>) -> ProxyResponse {
    let error = RefusalDetail {
        code,
        message,
        reason,
    };
    json(status, &Refusal { error })
}

/// A guard's refusal (its reason and wait) as a 429.
fn limited((reason, retry_after_secs): (&str, u64)) -> ProxyResponse {
    rate_limited(retry_after_secs, refusal_message(reason), Some(reason))
}

fn rate_limited(retry_after_secs: u64, message: &str, reason: Option<&str>) -> ProxyResponse {
    let mut response = refusal(429, ErrorCode::RateLimited, message, reason);
    response
        .headers
        .push(("Retry-After", retry_after_secs.to_string()));
    response
}

/// A limit the proxy applies, and the name its refusals carry as `reason`.
#[derive(Debug, Clone)]
pub struct Guard {
    /// What is counted.
    pub rule: Rule,
    /// Machine-readable name, e.g. `sends_per_recipient`.
    pub reason: &'static str,
}

fn guard(reason: &'static str, key: String, window: Window) -> Guard {
    Guard {
        rule: Rule {
            key,
            limit: window.count,
            window_ms: window.secs * 1000,
        },
        reason,
    }
}

/// What a guard's refusal tells the browser.
fn refusal_message(reason: &str) -> &'static str {
    match reason {
        "reads_per_ip" => "too many requests from this address",
        "failures_per_recipient" | "failure_cooldown" | "failures_per_ip" => {
            "too many wrong codes: wait before trying again"
        }
        "resend_wait" => "a code was just sent: wait before asking again",
        "sends_total" => "codes cannot be sent right now: try again later",
        _ => "too many codes requested: wait before asking again",
    }
}

/// One request being answered: when, from which client address, and (in shadow mode) the
/// guards that would have refused it.
struct Call {
    now_ms: u64,
    /// The address the per-address limits count (see [`super::address`]).
    ip: String,
    /// The client's own address, when a trusted source gave one.
    address: Option<String>,
    shadowed: std::cell::RefCell<Vec<&'static str>>,
}

/// The limit store failed: nothing is sent without its word.
fn limits_unavailable() -> ProxyResponse {
    error(
        503,
        ErrorCode::LimitsUnavailable,
        "the rate limiter could not be reached",
    )
}

/// The request's `Idempotency-Key` ([`IDEMPOTENCY_KEY`]), if it has one.
fn idempotency_key(request: &ProxyRequest) -> Result<Option<&str>, ProxyResponse> {
    match request.header("idempotency-key") {
        None => Ok(None),
        Some(key) if is_idempotency_key(key) => Ok(Some(key)),
        Some(_) => Err(error(
            400,
            ErrorCode::InvalidArgument,
            &format!("Idempotency-Key must be {IDEMPOTENCY_KEY}"),
        )),
    }
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
            None,
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
    /// Answers one request at `now_ms` (Unix milliseconds), with no bot check.
    pub async fn handle(&self, request: &ProxyRequest, now_ms: u64) -> Handled {
        self.handle_checked(request, now_ms, None::<&NoChallenge>)
            .await
    }

    /// Answers one request at `now_ms`; with a `challenger`, `/start` must carry a
    /// `challengeToken` that passes it.
    pub async fn handle_checked<C: Challenger>(
        &self,
        request: &ProxyRequest,
        now_ms: u64,
        challenger: Option<&C>,
    ) -> Handled {
        let own_origin = origin_of(&request.url);
        let route = route(
            &self.config.base_path,
            &request.method,
            path_of(&request.url),
        );
        if route == Route::Callback {
            return self.callback(request, now_ms).await;
        }
        let Client { bucket, address } = self.client(request);
        let call = Call {
            now_ms,
            ip: bucket,
            address,
            shadowed: Default::default(),
        };
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
            (_, Route::Status(uuid)) => self.status(uuid, &call).await,
            (_, Route::Start) => match (json_body(request), idempotency_key(request)) {
                (Ok(body), Ok(key)) => self.start(body, key, challenger, &call).await,
                (Err(response), _) | (_, Err(response)) => response,
            },
            (_, Route::Check) => match json_body(request) {
                Ok(body) => self.check(body, &call).await,
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
                response.headers.push((
                    "Access-Control-Allow-Headers",
                    "Content-Type, Idempotency-Key".into(),
                ));
                response
                    .headers
                    .push(("Access-Control-Max-Age", "600".into()));
            }
        }
        Handled {
            response,
            event: None,
            shadowed: call.shadowed.into_inner(),
        }
    }

    /// Where the request comes from, as far as a trusted source says (see [`super::address`]).
    fn client(&self, request: &ProxyRequest) -> Client {
        let sources = Sources {
            from_app: request.client_ip.as_deref(),
            cf_connecting_ip: request.header("cf-connecting-ip"),
            on_cloudflare: request.on_cloudflare,
            forwarded_for: request.header("x-forwarded-for"),
        };
        client(sources, self.config.trust_forwarded_for)
    }

    async fn act(
        &self,
        rules: &[Rule],
        action: Action,
        now_ms: u64,
    ) -> Result<Decision, ProxyResponse> {
        self.store
            .act(rules, action, now_ms)
            .await
            .map_err(|_| limits_unavailable())
    }

    /// Applies `guards` (all or nothing): `Ok(true)` when allowed (and, for a record,
    /// counted), `Ok(false)` when a guard refused but shadow mode let the request through
    /// (nothing counted), or the refusing guard's reason and wait.
    async fn apply(
        &self,
        guards: &[Guard],
        action: Action,
        call: &Call,
    ) -> Result<Result<bool, (&'static str, u64)>, ProxyResponse> {
        let rules: Vec<Rule> = guards.iter().map(|g| g.rule.clone()).collect();
        let decision = self.act(&rules, action, call.now_ms).await?;
        Ok(self.decided(guards, decision, call))
    }

    /// What `decision` on `guards` means for the request (see [`Proxy::apply`]).
    fn decided(
        &self,
        guards: &[Guard],
        decision: Decision,
        call: &Call,
    ) -> Result<bool, (&'static str, u64)> {
        match decision {
            Decision::Allowed => Ok(true),
            Decision::Limited {
                retry_after_secs,
                rule,
            } => {
                let reason = guards.get(rule).map_or("limit", |g| g.reason);
                if self.config.shadow {
                    call.shadowed.borrow_mut().push(reason);
                    return Ok(false);
                }
                Err((reason, retry_after_secs))
            }
        }
    }

    /// Like [`Proxy::apply`], answering a refusal with 429 and its reason.
    async fn enforce(
        &self,
        guards: &[Guard],
        action: Action,
        call: &Call,
    ) -> Result<bool, ProxyResponse> {
        match self.apply(guards, action, call).await? {
            Ok(counted) => Ok(counted),
            Err(refused) => Err(limited(refused)),
        }
    }

    /// Counts a request that will cost Plivo calls against its address's allowance.
    async fn count_read(&self, call: &Call) -> Result<(), ProxyResponse> {
        let reads = guard(
            "reads_per_ip",
            format!("read:{}", call.ip),
            self.config.limits.reads_per_ip,
        );
        self.enforce(&[reads], Action::Record, call)
            .await
            .map(|_| ())
    }

    /// The wrong-code guards of `recipient` for this request's address: the number's bound
    /// (first: [`Proxy::start`] checks it alone), its cool-downs, and the address's bound.
    fn failure_guards(&self, recipient: &str, call: &Call) -> Vec<Guard> {
        let limits = &self.config.limits;
        let mut guards = vec![guard(
            "failures_per_recipient",
            format!("fail:{recipient}"),
            limits.failures_per_recipient,
        )];
        for &window in &limits.failure_cooldowns {
            guards.push(guard(
                "failure_cooldown",
                format!("fail:{recipient}:{}", call.ip),
                window,
            ));
        }
        guards.push(guard(
            "failures_per_ip",
            format!("fail-ip:{}", call.ip),
            limits.failures_per_ip,
        ));
        guards
    }

    /// The send guards of a code to `recipient` over `channel`.
    fn send_guards(&self, recipient: &str, channel: &str, call: &Call) -> Vec<Guard> {
        let limits = &self.config.limits;
        let digits = &recipient[1..];
        let prefix = &digits[..digits.len().saturating_sub(PREFIX_FREE_DIGITS)];
        let mut guards = vec![
            guard(
                "sends_per_recipient",
                format!("send:{recipient}"),
                limits.sends_per_recipient,
            ),
            guard(
                "sends_per_recipient_ip",
                format!("send:{recipient}:{}", call.ip),
                limits.sends_per_recipient_ip,
            ),
            guard(
                "sends_per_ip",
                format!("ip:{}", call.ip),
                limits.sends_per_ip,
            ),
            guard(
                "sends_per_prefix",
                format!("prefix:{prefix}"),
                limits.sends_per_prefix,
            ),
            guard("sends_total", "sends:total".to_owned(), limits.sends_total),
        ];
        if channel == "voice" {
            guards.push(guard(
                "voice_per_recipient",
                format!("voice:{recipient}"),
                limits.voice_per_recipient,
            ));
        }
        if limits.resend_after_secs > 0 {
            guards.push(guard(
                "resend_wait",
                format!("resend:{recipient}:{}", call.ip),
                Window {
                    count: 1,
                    secs: limits.resend_after_secs,
                },
            ));
        }
        guards
    }

    /// Whether codes may be sent to `recipient`'s country.
    fn country_allowed(&self, recipient: &E164) -> bool {
        let digits = recipient.digits();
        let codes = &self.config.allowed_country_codes;
        let countries = &self.config.allowed_countries;
        if codes.is_empty() && countries.is_empty() {
            return true;
        }
        codes.iter().any(|code| digits.starts_with(code.as_str()))
            || country::is_in(digits, countries)
    }

    /// `/start`: sends a code, once per `Idempotency-Key` (see [`Proxy::start_once`]).
    async fn start<C: Challenger>(
        &self,
        mut body: Options,
        key: Option<&str>,
        challenger: Option<&C>,
        call: &Call,
    ) -> ProxyResponse {
        let recipient = E164::from_typed_arg("recipient", body.take("recipient"));
        let channel = Channel::from_arg("channel", body.take("channel"));
        let token = optional_text(
            "challengeToken",
            body.take("challengeToken"),
            is_challenge_token,
            CHALLENGE_TOKEN,
        );
        let (recipient, channel, token) = match (recipient, channel, token, body.finish()) {
            (Ok(recipient), Ok(channel), Ok(token), Ok(())) => (recipient, channel, token),
            (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
                return error(400, ErrorCode::InvalidArgument, &e.message)
            }
        };
        let check = challenger.map(|c| (c, token.as_deref()));
        if !self.country_allowed(&recipient) {
            if !self.config.shadow {
                return refusal(
                    403,
                    ErrorCode::CountryNotAllowed,
                    "codes cannot be sent to this country",
                    Some("country_not_allowed"),
                );
            }
            call.shadowed.borrow_mut().push("country_not_allowed");
        }
        // The app's settings were checked when the proxy was made.
        let config = &self.config;
        let url = config.callback_url();
        let params = CreateSessionParams {
            channel,
            app_uuid: config.app_uuid.clone(),
            brand_name: config.brand_name.clone(),
            code_length: config.code_length,
            locale: config.locale.clone(),
            method: url.as_ref().map(|_| "POST".to_owned()),
            url,
            ..CreateSessionParams::new(recipient.clone())
        };
        let channel = channel.unwrap_or(Channel::Sms).as_str();
        let started = match key {
            Some(key) => self.start_once(key, params, channel, check, call).await,
            None => self.send(params, channel, check, call).await,
        };
        match started {
            Ok(started) => json(200, &started),
            Err(response) => response,
        }
    }

    /// A start with an `Idempotency-Key`: the first request of a key (for this number and
    /// channel) sends, and its repeats within the resend window, at once or later, from
    /// any instance sharing the limit store, answer what it answered without sending. A
    /// repeat waits (at most [`IDEMPOTENT_WAIT_MS`]) while the first is at work; if the
    /// first fails, the key is given up and a repeat sends afresh.
    async fn start_once<C: Challenger>(
        &self,
        key: &str,
        params: CreateSessionParams,
        channel: &str,
        check: Option<(&C, Option<&str>)>,
        call: &Call,
    ) -> Result<StartResult, ProxyResponse> {
        let limits = &self.config.limits;
        let window_secs = match limits.resend_after_secs {
            0 => IDEMPOTENT_WINDOW_SECS,
            secs => secs,
        };
        let rule = Rule {
            key: format!("idem:{}:{channel}:{key}", params.recipient.as_str()),
            limit: 1,
            window_ms: window_secs * 1000,
        };
        let (mut waited, mut pause) = (0, 25);
        loop {
            let now_ms = call.now_ms + waited;
            match self.store.claim(&rule, now_ms).await {
                Err(_) => return Err(limits_unavailable()),
                Ok(Claim::Won) => break,
                Ok(Claim::Held(Some(note))) => {
                    let session_uuid = SessionUuid::parse(&note).ok_or_else(limits_unavailable)?;
                    return Ok(StartResult {
                        session_uuid: session_uuid.as_str().to_owned(),
                        channel: channel.to_owned(),
                        resend_after_secs: limits.resend_after_secs,
                    });
                }
                Ok(Claim::Held(None)) if waited >= IDEMPOTENT_WAIT_MS => {
                    return Err(error(
                        409,
                        ErrorCode::InProgress,
                        "a start with this Idempotency-Key is still at work: try again",
                    ));
                }
                Ok(Claim::Held(None)) => {
                    self.backend.sleep(pause).await;
                    waited += pause;
                    pause = (pause * 2).min(1_000);
                }
            }
        }
        let claimed_at = call.now_ms + waited;
        let started = self.send(params, channel, check, call).await;
        let kept = match &started {
            Ok(started) => self
                .store
                .leave_note(&rule, &started.session_uuid, claimed_at)
                .await
                .is_ok(),
            Err(_) => false,
        };
        if !kept {
            let _ = self.store.act(&[rule], Action::Undo, claimed_at).await;
        }
        started
    }

    /// Sends a code, once the bot check (when there is one) and the send guards allow it.
    async fn send<C: Challenger>(
        &self,
        params: CreateSessionParams,
        channel: &str,
        check: Option<(&C, Option<&str>)>,
        call: &Call,
    ) -> Result<StartResult, ProxyResponse> {
        if let Some((challenger, token)) = check {
            self.challenge(challenger, token, call).await?;
        }
        let recipient = params.recipient.as_str().to_owned();
        let recipient = recipient.as_str();
        let sends = self.send_guards(recipient, channel, call);
        // A flood that is refused anyway is refused here, before any store is asked.
        let rules: Vec<Rule> = sends.iter().map(|g| g.rule.clone()).collect();
        let known = (!self.config.shadow)
            .then(|| self.store.known_refusal(&rules, call.now_ms))
            .flatten();
        if let Some(Err(refused)) = known.map(|d| self.decided(&sends, d, call)) {
            return Err(limited(refused));
        }
        // A number whose checks stopped gets no more codes either.
        let locked = &self.failure_guards(recipient, call)[..1];
        self.enforce(locked, Action::Check, call).await?;
        let counted = self.enforce(&sends, Action::Record, call).await?;
        match self.backend.create_session(params).await {
            Ok(session_uuid) => Ok(StartResult {
                session_uuid,
                channel: channel.to_owned(),
                resend_after_secs: self.config.limits.resend_after_secs,
            }),
            Err(e) => {
                if counted && plivo_declined(&e) {
                    self.give_back(&sends, call).await;
                }
                Err(upstream(&e))
            }
        }
    }

    /// The bot check: first of the guards, so that a bot without a passing token uses up
    /// no limit (not even the shared `sendsTotal`) and no token is spent on a repeat of an
    /// idempotent start. In shadow mode a failure is logged and let through.
    async fn challenge<C: Challenger>(
        &self,
        challenger: &C,
        token: Option<&str>,
        call: &Call,
    ) -> Result<(), ProxyResponse> {
        let passed = match token {
            None => false,
            // The client's own address (not its bucket), when a trusted source gave one.
            Some(token) => {
                let remote_ip = call.address.as_deref();
                challenger.passes(token, remote_ip).await.map_err(|_| {
                    error(
                        502,
                        ErrorCode::UpstreamError,
                        "the bot check could not be reached",
                    )
                })?
            }
        };
        if passed {
            return Ok(());
        }
        if self.config.shadow {
            call.shadowed.borrow_mut().push("challenge_failed");
            return Ok(());
        }
        let message = match token {
            None => "a bot check is required: send challengeToken",
            Some(_) => "the bot check did not pass",
        };
        Err(refusal(
            403,
            ErrorCode::ChallengeFailed,
            message,
            Some("challenge_failed"),
        ))
    }

    /// Takes back what `guards` counted for this request (a failure on our side or
    /// Plivo's). If the store fails here, the count stays: one try too few, never one too
    /// many.
    async fn give_back(&self, guards: &[Guard], call: &Call) {
        let rules: Vec<Rule> = guards.iter().map(|g| g.rule.clone()).collect();
        let _ = self.store.act(&rules, Action::Undo, call.now_ms).await;
    }

    async fn check(&self, mut body: Options, call: &Call) -> ProxyResponse {
        let uuid = SessionUuid::from_arg("sessionUuid", body.take("sessionUuid"));
        let otp = required_text("otp", body.take("otp"), is_otp, OTP);
        let (uuid, otp) = match (uuid, otp, body.finish()) {
            (Ok(uuid), Ok(otp), Ok(())) => (uuid, otp),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => {
                return error(400, ErrorCode::InvalidArgument, &e.message)
            }
        };
        if let Err(response) = self.count_read(call).await {
            return response;
        }
        let not_verified = |reason| json(200, &CheckResult::refused(reason));
        // Counted per address: someone else who learns the session's UUID (a second
        // `/start` for the number gets the same one) cannot use up the owner's checks.
        let checks = guard(
            "checks_per_session",
            format!("check:{uuid}:{}", call.ip),
            Window {
                count: self.config.limits.checks_per_session,
                secs: CHECKS_WINDOW_MS / 1000,
            },
        );
        match self.apply(&[checks], Action::Record, call).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return not_verified(CheckRefusal::TooManyAttempts),
            Err(response) => return response,
        }
        let session = match self.backend.get_session(&uuid).await {
            Ok(session) => session,
            Err(e) => return upstream(&e),
        };
        if let Some(app_uuid) = &self.config.app_uuid {
            // Proofs only for this app's sessions, whatever else the account holds.
            if session.app_uuid.as_deref() != Some(app_uuid.as_str()) {
                return error(404, ErrorCode::NotFound, "no such session");
            }
        }
        let Some(recipient) = session.recipient.as_deref().and_then(E164::from_typed) else {
            return error(
                502,
                ErrorCode::UpstreamError,
                "the verification service sent a session without a number",
            );
        };
        if session.status.as_deref() != Some("in-progress") {
            return not_verified(CheckRefusal::Expired);
        }
        // A wrong code is counted before Plivo is asked, and given back when the code was
        // right or Plivo tried none: guesses sent at once can never get more tries at Plivo
        // than the limits allow.
        let failures = self.failure_guards(recipient.as_str(), call);
        let reserved = match self.enforce(&failures, Action::Record, call).await {
            Ok(counted) => counted,
            Err(response) => return response,
        };
        match self.backend.validate_session(&uuid, &otp).await {
            Ok(()) => {
                if reserved {
                    self.give_back(&failures, call).await;
                }
                // A right code ends the number's run of failures, and this address's.
                let run: Vec<Rule> = failures[..failures.len() - 1]
                    .iter()
                    .map(|g| g.rule.clone())
                    .collect();
                let _ = self.store.act(&run, Action::Reset, call.now_ms).await;
                let config = &self.config;
                let token = proof::sign(
                    &uuid,
                    &recipient,
                    call.now_ms / 1000,
                    config.proof_ttl_secs,
                    &config.proof_issuer,
                    &config.proof_audience,
                    &config.proof_secrets[0],
                );
                json(200, &CheckResult::verified(token))
            }
            Err(e) if e.code == ErrorCode::BadRequest => {
                // The session tells why: still open (a wrong code) or closed by this try.
                match self.backend.get_session(&uuid).await {
                    Ok(after) if after.status.as_deref() == Some("in-progress") => {
                        not_verified(CheckRefusal::Incorrect)
                    }
                    Ok(_) => not_verified(CheckRefusal::TooManyAttempts),
                    Err(e) => upstream(&e),
                }
            }
            Err(e) => {
                if reserved && plivo_declined(&e) {
                    self.give_back(&failures, call).await;
                }
                upstream(&e)
            }
        }
    }

    async fn status(&self, uuid: &str, call: &Call) -> ProxyResponse {
        let Some(uuid) = SessionUuid::parse(uuid) else {
            return error(
                400,
                ErrorCode::InvalidArgument,
                &format!("sessionUuid: must be {UUID}"),
            );
        };
        if let Err(response) = self.count_read(call).await {
            return response;
        }
        match self.backend.get_session(&uuid).await {
            Ok(session) => json(
                200,
                &SessionStatusResult {
                    attempts: session
                        .count
                        .unwrap_or(session.attempt_details.len() as u64),
                    status: session.status,
                    channel: session.channel,
                },
            ),
            Err(e) => upstream(&e),
        }
    }

    /// Plivo's status callback: verified (V2, Ma-V2 or V3), and passed on once per nonce.
    async fn callback(&self, request: &ProxyRequest, now_ms: u64) -> Handled {
        let refused = |status, code, message| Handled {
            response: error(status, code, message),
            event: None,
            shadowed: Vec::new(),
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
        let received = |duplicate| json(200, &CallbackReceived { duplicate });
        match self.act(&nonces, Action::Record, now_ms).await {
            // Seen before: a replay, or Plivo trying again after an answer it did not get.
            // Either way it was handled once, so it is acknowledged and not passed on.
            Ok(Decision::Limited { .. }) => Handled {
                response: received(true),
                event: None,
                shadowed: Vec::new(),
            },
            Ok(Decision::Allowed) => Handled {
                response: received(false),
                event: Some(AcceptedCallback {
                    callback: verified.callback,
                    nonces,
                    at_ms: now_ms,
                }),
                shadowed: Vec::new(),
            },
            Err(response) => Handled {
                response,
                event: None,
                shadowed: Vec::new(),
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

/// Whether Plivo answered and tried nothing (it refused the request: 400s, 401, 404,
/// 429). When the outcome is unknown (a timeout, a lost connection, a 5xx), the code may
/// have been sent or tried, so what was counted stays.
fn plivo_declined(e: &Error) -> bool {
    !matches!(
        e.code,
        ErrorCode::Timeout | ErrorCode::Network | ErrorCode::ServerError
    )
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
