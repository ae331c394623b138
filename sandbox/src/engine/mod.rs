//! The sandbox's state and every rule of the Verify Session API: sessions, attempts,
//! expiry, validation, listing, the outbox and the events that become status callbacks.
//!
//! Time is the sandbox [`Clock`]; everything due by "now" is applied lazily by
//! [`Engine::advance`] (on every request, and by a background ticker so callbacks flow).

mod clock;
pub mod list;
mod prices;
mod random;
pub mod session;

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

pub use clock::Clock;
use list::ListQuery;
pub use random::Random;
use session::{
    Attempt, AttemptSettings, Callback, Channel, Delivery, Session, SessionView, Status, TimeFormat,
};

use crate::error::ApiError;
use crate::faults::{FaultSpec, Faults};
use crate::requests::RequestLog;

/// The application sessions use when the create request names none.
pub const DEFAULT_APP_UUID: &str = "4f7a5e2c-8c1d-4a4e-9f3b-5ad0c0de0001";
/// Brand in messages when neither the request nor the application gives one.
const DEFAULT_BRAND: &str = "Sandbox";

/// Rules that do not change while the sandbox runs.
pub struct Settings {
    /// The main account's auth id.
    pub main_account: String,
    /// Session lifetime.
    pub code_expiry: TimeDelta,
    /// The Nth wrong code expires a session.
    pub max_attempts: u32,
    /// List requests per minute per account (0: unlimited).
    pub list_rate_limit: u32,
    /// Faults in force at start (and after a reset).
    pub faults: FaultSpec,
    /// How answers write times.
    pub times: TimeFormat,
}

/// A validated create request.
pub struct CreateParams {
    /// Digits without `+`.
    pub recipient: String,
    /// Application; the default one when absent.
    pub app_uuid: Option<String>,
    /// Delivery channel.
    pub channel: Channel,
    /// Status callbacks, when wanted.
    pub callback: Option<Callback>,
    /// Message language.
    pub locale: String,
    /// Brand, hash, `dtmf` and `fraud_check` of this attempt.
    pub settings: AttemptSettings,
    /// Digits in a generated code.
    pub code_length: usize,
    /// The caller's own code (the SDKs' `otp`), used instead of a generated one.
    pub otp: Option<String>,
}

/// A status callback to deliver.
#[derive(Debug, Clone)]
pub struct CallbackJob {
    /// The session it is about.
    pub session_uuid: String,
    /// The (sub)account that made the session: its token signs `X-Plivo-Signature-V2`.
    pub account: String,
    /// Where and how.
    pub url: String,
    /// GET or POST.
    pub method: plivo_verify_core::api::signature::CallbackMethod,
    /// The documented fields.
    pub params: Vec<(String, String)>,
}

/// A message the sandbox "delivered" (the outbox of `/__sandbox/messages`).
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Session it belongs to.
    pub session_uuid: String,
    /// Attempt it belongs to.
    pub attempt_uuid: String,
    /// `+` and digits.
    pub recipient: String,
    /// `sms` or `voice`.
    pub channel: &'static str,
    /// What the phone shows, or what the call says.
    pub text: String,
    /// When it was sent (RFC 3339).
    pub time: String,
}

/// One page of the list route.
#[derive(Serialize)]
pub struct ListPage<'a> {
    /// `limit, offset, next, previous`.
    pub meta: Meta,
    /// Newest first.
    pub sessions: Vec<SessionView<'a>>,
}

/// Pagination of a list page.
#[derive(Serialize)]
pub struct Meta {
    limit: usize,
    offset: usize,
    next: Option<String>,
    previous: Option<String>,
}

/// All state.
pub struct Engine {
    settings: Settings,
    /// The sandbox clock.
    pub clock: Clock,
    /// Every random choice.
    pub random: Random,
    /// Faults in force.
    pub faults: Faults,
    /// What reached the Plivo routes.
    pub requests: RequestLog,
    sessions: Vec<Session>,
    by_uuid: HashMap<String, usize>,
    /// Sessions with something still due (a channel status or the expiry).
    live: Vec<usize>,
    /// The in-progress session of each (account, app, recipient).
    open: HashMap<(String, String, String), usize>,
    outbox: Vec<Message>,
    list_requests: HashMap<String, VecDeque<DateTime<Utc>>>,
    callbacks: Vec<CallbackJob>,
}

impl Engine {
    /// An empty sandbox.
    pub fn new(settings: Settings, random: Random) -> Engine {
        let faults = Faults {
            spec: settings.faults.clone(),
            next: VecDeque::new(),
        };
        Engine {
            settings,
            clock: Clock::default(),
            random,
            faults,
            requests: RequestLog::default(),
            sessions: Vec::new(),
            by_uuid: HashMap::new(),
            live: Vec::new(),
            open: HashMap::new(),
            outbox: Vec::new(),
            list_requests: HashMap::new(),
            callbacks: Vec::new(),
        }
    }

    /// The callbacks produced since the last call.
    pub fn take_callbacks(&mut self) -> Vec<CallbackJob> {
        std::mem::take(&mut self.callbacks)
    }

    /// A fresh `api_id`.
    pub fn api_id(&mut self) -> String {
        self.random.uuid()
    }

    /// Applies everything due by now to every session.
    pub fn advance(&mut self) {
        let now = self.clock.now();
        let live = std::mem::take(&mut self.live);
        for idx in live {
            if self.advance_session(idx, now) {
                self.live.push(idx);
            }
        }
    }

    /// Applies what is due by `now` to one session; returns whether more is still due.
    fn advance_session(&mut self, idx: usize, now: DateTime<Utc>) -> bool {
        let session = &mut self.sessions[idx];
        let mut due: Vec<(DateTime<Utc>, usize, usize)> = Vec::new();
        for (a, attempt) in session.attempts.iter_mut().enumerate() {
            while attempt.announced < attempt.stages().len()
                && attempt.stage_time(attempt.announced) <= now
            {
                due.push((attempt.stage_time(attempt.announced), a, attempt.announced));
                attempt.announced += 1;
            }
        }
        let mut expired_now = None;
        if session.status() == Status::InProgress && session.expires_at <= now {
            session.expired_at = Some(session.expires_at);
            session.updated_at = session.expires_at;
            expired_now = Some(session.expires_at);
        }
        due.sort_by_key(|&(at, ..)| at);
        for (at, a, stage) in due {
            let stage = &self.sessions[idx].attempts[a].stages()[stage];
            self.emit(idx, a, stage, at);
        }
        if let Some(at) = expired_now {
            self.emit_session_event(idx, at);
            self.close(idx);
        }
        let session = &self.sessions[idx];
        session.status() == Status::InProgress
            || session
                .attempts
                .iter()
                .any(|a| a.announced < a.stages().len())
    }

    /// Queues the callback for one event of attempt `a`, if the session wants callbacks.
    fn emit(&mut self, idx: usize, a: usize, stage: &session::Stage, at: DateTime<Utc>) {
        let session = &self.sessions[idx];
        if let Some(callback) = &session.callback {
            self.callbacks.push(CallbackJob {
                session_uuid: session.uuid.clone(),
                account: session.account.clone(),
                url: callback.url.clone(),
                method: callback.method,
                params: session.callback_params(a, stage, at),
            });
        }
    }

    /// Queues the callback for a session status change (verified or expired), carrying the
    /// last attempt's channel status.
    fn emit_session_event(&mut self, idx: usize, at: DateTime<Utc>) {
        let session = &self.sessions[idx];
        if let Some(last) = session.attempts.len().checked_sub(1) {
            let stage = session.attempts[last].stage_at(at);
            self.emit(idx, last, stage, at);
        }
    }

    /// Forgets the session as the open one of its recipient.
    fn close(&mut self, idx: usize) {
        let s = &self.sessions[idx];
        let key = (s.account.clone(), s.app_uuid.clone(), s.recipient.clone());
        if self.open.get(&key) == Some(&idx) {
            self.open.remove(&key);
        }
    }

    /// Finds a session `account` may see, applying what is due first.
    fn find(&mut self, account: &str, uuid: &str) -> Result<usize, ApiError> {
        let idx = *self
            .by_uuid
            .get(uuid)
            .filter(|&&idx| self.visible(account, &self.sessions[idx]))
            .ok_or_else(|| ApiError::not_found("session not found"))?;
        let now = self.clock.now();
        self.advance_session(idx, now);
        Ok(idx)
    }

    fn visible(&self, account: &str, session: &Session) -> bool {
        account == self.settings.main_account || session.account == account
    }

    /// Creates a session, or re-sends the code of the recipient's open one.
    pub fn create(&mut self, account: &str, params: CreateParams) -> String {
        let now = self.clock.now();
        let app_uuid = params
            .app_uuid
            .unwrap_or_else(|| DEFAULT_APP_UUID.to_owned());
        let key = (
            account.to_owned(),
            app_uuid.clone(),
            params.recipient.clone(),
        );
        if let Some(&idx) = self.open.get(&key) {
            self.advance_session(idx, now);
            if self.sessions[idx].status() == Status::InProgress {
                if params.callback.is_some() {
                    self.sessions[idx].callback = params.callback;
                }
                self.send_attempt(idx, params.channel, params.settings, now);
                return self.sessions[idx].uuid.clone();
            }
        }
        let uuid = self.random.uuid();
        let otp = match params.otp {
            Some(otp) => otp,
            None => self.random.digits(params.code_length),
        };
        let idx = self.sessions.len();
        self.sessions.push(Session {
            uuid: uuid.clone(),
            app_uuid,
            account: account.to_owned(),
            recipient: params.recipient,
            locale: params.locale,
            brand_name: params.settings.brand_name.clone(),
            app_hash: params.settings.app_hash.clone(),
            otp,
            callback: params.callback,
            attempts: Vec::new(),
            wrong_codes: 0,
            created_at: now,
            updated_at: now,
            expires_at: now + self.settings.code_expiry,
            verified_at: None,
            expired_at: None,
        });
        self.by_uuid.insert(uuid.clone(), idx);
        self.open.insert(key, idx);
        self.live.push(idx);
        self.send_attempt(idx, params.channel, params.settings, now);
        uuid
    }

    /// Makes one delivery attempt: outbox message, console line, first channel status.
    fn send_attempt(
        &mut self,
        idx: usize,
        channel: Channel,
        settings: AttemptSettings,
        now: DateTime<Utc>,
    ) {
        let attempt_uuid = self.random.uuid();
        let session = &mut self.sessions[idx];
        let delivery = Delivery::for_recipient(&session.recipient);
        let brand = settings
            .brand_name
            .clone()
            .or_else(|| session.brand_name.clone())
            .unwrap_or_else(|| DEFAULT_BRAND.to_owned());
        let app_hash = settings.app_hash.clone();
        session.attempts.push(Attempt {
            uuid: attempt_uuid.clone(),
            channel,
            started_at: now,
            delivery,
            settings,
            announced: 0,
            charge: prices::attempt_charge(
                &session.recipient,
                &channel,
                delivery == Delivery::Delivered,
            ),
        });
        session.updated_at = now;
        let text = match channel {
            Channel::Sms => {
                let mut text = format!("Your {brand} verification code is {}", session.otp);
                if let Some(hash) = &app_hash {
                    text.push('\n');
                    text.push_str(hash);
                }
                text
            }
            Channel::Voice => {
                let spoken = session.otp.chars().map(String::from).collect::<Vec<_>>();
                let spoken = spoken.join(" ");
                format!("Your {brand} verification code is {spoken}. Once again, your code is {spoken}.")
            }
        };
        crate::console::otp_sent(
            &session.otp,
            &session.recipient,
            channel.as_str(),
            &session.uuid,
        );
        self.outbox.push(Message {
            session_uuid: session.uuid.clone(),
            attempt_uuid,
            recipient: format!("+{}", session.recipient),
            channel: channel.as_str(),
            text,
            time: session::rfc3339(now),
        });
        self.advance_session(idx, now);
    }

    /// The Session object.
    pub fn get(&mut self, account: &str, uuid: &str) -> Result<SessionView<'_>, ApiError> {
        let idx = self.find(account, uuid)?;
        let now = self.clock.now();
        Ok(self.sessions[idx].view(now, &self.settings.times))
    }

    /// Checks a code.
    pub fn validate(&mut self, account: &str, uuid: &str, otp: &str) -> Result<(), ApiError> {
        let idx = self.find(account, uuid)?;
        let now = self.clock.now();
        match self.sessions[idx].status() {
            Status::Verified => return Err(ApiError::bad_request("session already validated")),
            Status::Expired => return Err(ApiError::bad_request("session expired")),
            Status::InProgress => {}
        }
        let session = &mut self.sessions[idx];
        if constant_time_eq(session.otp.as_bytes(), otp.as_bytes()) {
            session.verified_at = Some(now);
            session.updated_at = now;
            self.emit_session_event(idx, now);
            self.close(idx);
            return Ok(());
        }
        session.wrong_codes += 1;
        if session.wrong_codes < self.settings.max_attempts {
            return Err(ApiError::bad_request("invalid OTP"));
        }
        session.expired_at = Some(now);
        session.updated_at = now;
        self.emit_session_event(idx, now);
        self.close(idx);
        Err(ApiError::bad_request("too many attempts: session expired"))
    }

    /// Counts a list request against the per-account rate limit.
    pub fn count_list_request(&mut self, account: &str) -> Result<(), ApiError> {
        let limit = self.settings.list_rate_limit as usize;
        if limit == 0 {
            return Ok(());
        }
        let now = self.clock.now();
        let window = self.list_requests.entry(account.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|&t| t <= now - TimeDelta::minutes(1))
        {
            window.pop_front();
        }
        if let Some(&oldest) = window.front().filter(|_| window.len() >= limit) {
            let wait = oldest + TimeDelta::minutes(1) - now;
            let secs = (wait.num_milliseconds() + 999) / 1000;
            return Err(ApiError::rate_limited(
                "too many requests",
                u64::try_from(secs).unwrap_or(1),
            ));
        }
        window.push_back(now);
        Ok(())
    }

    /// One page of the sessions `account` may see, newest first.
    pub fn list(&mut self, account: &str, query: &ListQuery) -> ListPage<'_> {
        self.advance();
        let now = self.clock.now();
        let main = &self.settings.main_account;
        let matching: Vec<&Session> = self
            .sessions
            .iter()
            .rev()
            .filter(|s| query.matches(s, account, main, now))
            .collect();
        let total = matching.len();
        let (limit, offset) = (query.limit, query.offset);
        let sessions = matching
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|s| s.view(now, &self.settings.times))
            .collect();
        let next =
            (offset.saturating_add(limit) < total).then(|| query.page_url(account, offset + limit));
        let previous = (offset > 0).then(|| query.page_url(account, offset.saturating_sub(limit)));
        ListPage {
            meta: Meta {
                limit,
                offset,
                next,
                previous,
            },
            sessions,
        }
    }

    /// A session's code (developer endpoint).
    pub fn otp(&self, uuid: &str) -> Option<&str> {
        self.by_uuid
            .get(uuid)
            .map(|&idx| self.sessions[idx].otp.as_str())
    }

    /// Delivered messages, newest first.
    pub fn messages(&self, recipient: Option<&str>, limit: usize) -> Vec<&Message> {
        let wanted = recipient.map(|r| r.trim_start_matches('+'));
        self.outbox
            .iter()
            .rev()
            .filter(|m| wanted.is_none_or(|r| m.recipient[1..] == *r))
            .take(limit)
            .collect()
    }

    /// Forgets all sessions, messages, rate-limit counts and the request log; the clock and
    /// the faults go back to their start values. (The random generator goes on, so ids stay
    /// unique.)
    pub fn reset(&mut self) {
        self.clock = Clock::default();
        self.requests.clear();
        self.faults = Faults {
            spec: self.settings.faults.clone(),
            next: VecDeque::new(),
        };
        self.sessions.clear();
        self.by_uuid.clear();
        self.live.clear();
        self.open.clear();
        self.outbox.clear();
        self.list_requests.clear();
        self.callbacks.clear();
    }
}

/// Compares without stopping at the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
