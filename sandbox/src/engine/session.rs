//! A Verify session and its attempts, and how they look on the wire.

use chrono::{DateTime, TimeDelta, Utc};
use plivo_verify_wasm::api::signature::CallbackMethod;
use serde::Serialize;

use super::prices::{self, Money};

/// How a code is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A text message.
    Sms,
    /// A phone call that reads the code out.
    Voice,
}

impl Channel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "sms" => Some(Channel::Sms),
            "voice" => Some(Channel::Voice),
            _ => None,
        }
    }
}

/// A session's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the right code.
    InProgress,
    /// The right code was given.
    Verified,
    /// Expired by time or by too many wrong codes.
    Expired,
}

impl Status {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "in-progress",
            Status::Verified => "verified",
            Status::Expired => "expired",
        }
    }

    /// Parses a wire name in any case.
    pub fn parse(text: &str) -> Option<Status> {
        [Status::InProgress, Status::Verified, Status::Expired]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

/// Where status callbacks go.
#[derive(Debug, Clone)]
pub struct Callback {
    /// Absolute http(s) URL.
    pub url: String,
    /// GET (query parameters) or POST (form body).
    pub method: CallbackMethod,
}

/// One step of an attempt's channel status, reached `after_ms` after the attempt started.
#[derive(Debug)]
pub struct Stage {
    after_ms: i64,
    /// The channel status.
    pub status: &'static str,
    /// The channel's error code (empty unless the delivery failed).
    pub error_code: &'static str,
}

const fn stage(after_ms: i64, status: &'static str, error_code: &'static str) -> Stage {
    Stage {
        after_ms,
        status,
        error_code,
    }
}

const SMS_DELIVERED: [Stage; 3] = [
    stage(0, "queued", ""),
    stage(1_000, "sent", ""),
    stage(3_000, "delivered", ""),
];
const SMS_UNDELIVERED: [Stage; 3] = [
    stage(0, "queued", ""),
    stage(1_000, "sent", ""),
    stage(3_000, "undelivered", "30008"),
];
const VOICE_ANSWERED: [Stage; 3] = [
    stage(0, "ringing", ""),
    stage(2_000, "in-progress", ""),
    stage(10_000, "completed", ""),
];
const VOICE_UNANSWERED: [Stage; 2] = [stage(0, "ringing", ""), stage(30_000, "no-answer", "480")];

/// One delivery of the code.
#[derive(Debug)]
pub struct Attempt {
    /// Identifies the SMS or call.
    pub uuid: String,
    /// How it was delivered.
    pub channel: Channel,
    /// When it was made.
    pub started_at: DateTime<Utc>,
    /// Whether this delivery fails (recipients ending in `0000`).
    pub fails: bool,
    /// How many of its stages have been announced by callbacks.
    pub announced: usize,
    /// What it cost.
    pub charge: Money,
}

impl Attempt {
    /// The channel status progression of this attempt.
    pub fn stages(&self) -> &'static [Stage] {
        match (self.channel, self.fails) {
            (Channel::Sms, false) => &SMS_DELIVERED,
            (Channel::Sms, true) => &SMS_UNDELIVERED,
            (Channel::Voice, false) => &VOICE_ANSWERED,
            (Channel::Voice, true) => &VOICE_UNANSWERED,
        }
    }

    /// When stage `index` is reached.
    pub fn stage_time(&self, index: usize) -> DateTime<Utc> {
        self.started_at + TimeDelta::milliseconds(self.stages()[index].after_ms)
    }

    /// The stage in force at `at` (the first one before it has started).
    pub fn stage_at(&self, at: DateTime<Utc>) -> &'static Stage {
        let stages = self.stages();
        let reached = (0..stages.len())
            .filter(|&i| self.stage_time(i) <= at)
            .count();
        &stages[reached.saturating_sub(1)]
    }
}

/// A Verify session. (No `Debug`: it holds the OTP.)
pub struct Session {
    /// Its id.
    pub uuid: String,
    /// The application it was sent with.
    pub app_uuid: String,
    /// The (sub)account that created it.
    pub account: String,
    /// E.164 digits without `+`.
    pub recipient: String,
    /// Language of the messages.
    pub locale: String,
    /// Brand shown in the message, when given.
    pub brand_name: Option<String>,
    /// Android SMS Retriever hash appended to SMS, when given.
    pub app_hash: Option<String>,
    /// The code. Never logged except on the sandbox console when sent.
    pub otp: String,
    /// Status callback target.
    pub callback: Option<Callback>,
    /// Deliveries, oldest first.
    pub attempts: Vec<Attempt>,
    /// Wrong codes given so far.
    pub wrong_codes: u32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it expires if not verified first.
    pub expires_at: DateTime<Utc>,
    /// When the right code was given.
    pub verified_at: Option<DateTime<Utc>>,
    /// When it expired (by time or attempts).
    pub expired_at: Option<DateTime<Utc>>,
}

impl Session {
    /// The status at `at`, as far as events up to now have decided it.
    pub fn status_at(&self, at: DateTime<Utc>) -> Status {
        match (self.verified_at, self.expired_at) {
            (Some(v), _) if v <= at => Status::Verified,
            (_, Some(e)) if e <= at => Status::Expired,
            _ => Status::InProgress,
        }
    }

    /// The status now.
    pub fn status(&self) -> Status {
        if self.verified_at.is_some() {
            Status::Verified
        } else if self.expired_at.is_some() {
            Status::Expired
        } else {
            Status::InProgress
        }
    }

    /// The last channel used.
    pub fn channel(&self) -> Channel {
        self.attempts.last().map_or(Channel::Sms, |a| a.channel)
    }

    /// The session as the API shows it at `now`.
    pub fn view(&self, now: DateTime<Utc>) -> SessionView<'_> {
        let attempt_charges: Vec<_> = self
            .attempts
            .iter()
            .map(|a| AttemptChargeView {
                attempt_uuid: &a.uuid,
                channel: a.channel.as_str(),
                charge: prices::five_decimals(a.charge),
            })
            .collect();
        SessionView {
            session_uuid: &self.uuid,
            app_uuid: &self.app_uuid,
            recipient: &self.recipient,
            channel: self.channel().as_str(),
            status: self.status().as_str(),
            locale: &self.locale,
            count: self.attempts.len(),
            attempt_details: self
                .attempts
                .iter()
                .map(|a| AttemptView {
                    channel: a.channel.as_str(),
                    attempt_uuid: &a.uuid,
                    status: a.stage_at(now).status,
                    time: rfc3339(a.started_at),
                })
                .collect(),
            charges: ChargesView {
                total_charge: prices::trimmed(self.attempts.iter().map(|a| a.charge).sum()),
                validation_charge: "0.0000",
                attempt_charges,
            },
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
            brand_name: self.brand_name.as_deref(),
            app_hash: self.app_hash.as_deref(),
            destination_country_iso2: prices::country_iso2(&self.recipient),
        }
    }

    /// The documented callback parameters for attempt `index` at stage `stage`, with the
    /// session status at `at`.
    pub fn callback_params(
        &self,
        index: usize,
        stage: &Stage,
        at: DateTime<Utc>,
    ) -> Vec<(String, String)> {
        let attempt = &self.attempts[index];
        [
            ("AttemptSequence", (index + 1).to_string()),
            ("AttemptUUID", attempt.uuid.clone()),
            ("Channel", attempt.channel.as_str().to_owned()),
            ("ChannelErrorCode", stage.error_code.to_owned()),
            ("ChannelStatus", stage.status.to_owned()),
            ("Recipient", self.recipient.clone()),
            (
                "RequestTime",
                attempt
                    .started_at
                    .format("%Y-%m-%d %H:%M:%S +0000 UTC")
                    .to_string(),
            ),
            ("SessionStatus", self.status_at(at).as_str().to_owned()),
            ("SessionUUID", self.uuid.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// `2023-06-01T10:40:05.804031Z`
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The Session object of the API.
#[derive(Serialize)]
pub struct SessionView<'a> {
    session_uuid: &'a str,
    app_uuid: &'a str,
    recipient: &'a str,
    channel: &'static str,
    status: &'static str,
    locale: &'a str,
    count: usize,
    attempt_details: Vec<AttemptView<'a>>,
    charges: ChargesView<'a>,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    brand_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_hash: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_country_iso2: Option<&'static str>,
}

#[derive(Serialize)]
struct AttemptView<'a> {
    channel: &'static str,
    attempt_uuid: &'a str,
    status: &'static str,
    time: String,
}

#[derive(Serialize)]
struct ChargesView<'a> {
    total_charge: String,
    validation_charge: &'static str,
    attempt_charges: Vec<AttemptChargeView<'a>>,
}

#[derive(Serialize)]
struct AttemptChargeView<'a> {
    attempt_uuid: &'a str,
    channel: &'static str,
    charge: String,
}
