//! A Verify session and its attempts, and how they look on the wire.

use chrono::{DateTime, TimeDelta, Utc};
use plivo_verify_core::api::signature::CallbackMethod;
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
const SMS_FAILED: [Stage; 2] = [stage(0, "queued", ""), stage(1_000, "failed", "30003")];
const VOICE_UNANSWERED: [Stage; 2] = [stage(0, "ringing", ""), stage(30_000, "no-answer", "480")];

/// How a delivery ends, by the recipient's last digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Everything else.
    Delivered,
    /// Numbers ending in `0000`: sms `undelivered`, voice unanswered.
    Undelivered,
    /// Numbers ending in `9999`: sms `failed` at once, voice unanswered.
    Failed,
}

impl Delivery {
    /// The outcome for a recipient (digits).
    pub fn for_recipient(recipient: &str) -> Delivery {
        if recipient.ends_with("0000") {
            Delivery::Undelivered
        } else if recipient.ends_with("9999") {
            Delivery::Failed
        } else {
            Delivery::Delivered
        }
    }
}

/// What one create request asked of its attempt, shown in `attempt_details`.
#[derive(Debug, Clone, Default)]
pub struct AttemptSettings {
    /// Brand in the message.
    pub brand_name: Option<String>,
    /// Android SMS Retriever hash.
    pub app_hash: Option<String>,
    /// The `dtmf` setting.
    pub dtmf: Option<u64>,
    /// The `fraud_check` setting.
    pub fraud_check: Option<String>,
}

/// One delivery of the code.
#[derive(Debug)]
pub struct Attempt {
    /// Identifies the SMS or call.
    pub uuid: String,
    /// How it was delivered.
    pub channel: Channel,
    /// When it was made.
    pub started_at: DateTime<Utc>,
    /// How the delivery ends.
    pub delivery: Delivery,
    /// What the request asked for.
    pub settings: AttemptSettings,
    /// How many of its stages have been announced by callbacks.
    pub announced: usize,
    /// What it cost.
    pub charge: Money,
}

impl Attempt {
    /// The channel status progression of this attempt.
    pub fn stages(&self) -> &'static [Stage] {
        match (self.channel, self.delivery) {
            (Channel::Sms, Delivery::Delivered) => &SMS_DELIVERED,
            (Channel::Sms, Delivery::Undelivered) => &SMS_UNDELIVERED,
            (Channel::Sms, Delivery::Failed) => &SMS_FAILED,
            (Channel::Voice, Delivery::Delivered) => &VOICE_ANSWERED,
            (Channel::Voice, _) => &VOICE_UNANSWERED,
        }
    }

    /// When stage `index` is reached.
    pub fn stage_time(&self, index: usize) -> DateTime<Utc> {
        self.started_at + TimeDelta::milliseconds(self.stages()[index].after_ms)
    }

    /// The status `attempt_details` shows at `at`. Voice attempts read as in Plivo's
    /// reference example, upper case: `ANSWER` once answered, `EARLY MEDIA` when the call
    /// ended unanswered (charged nothing); sms shows its channel status.
    pub fn detail_status(&self, at: DateTime<Utc>) -> &'static str {
        let status = self.stage_at(at).status;
        match (self.channel, status) {
            (Channel::Voice, "in-progress" | "completed") => "ANSWER",
            (Channel::Voice, "no-answer") => "EARLY MEDIA",
            _ => status,
        }
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
    /// Brand of the create that made it (what the `brand_name` filter matches).
    pub brand_name: Option<String>,
    /// Hash of the create that made it (what the `app_hash` filter matches).
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

    /// The session as the API shows it at `now`, times written with `clock`'s offset.
    pub fn view(&self, now: DateTime<Utc>, times: &TimeFormat) -> SessionView<'_> {
        // Plivo charges for a successful validation (the SDKs' fixtures: `0.05`, counted
        // in `total_charge`).
        let validation = match self.status() {
            Status::Verified => prices::validation_charge(&self.recipient),
            _ => 0,
        };
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
                    status: a.detail_status(now),
                    time: times.format(a.started_at),
                    brand_name: a.settings.brand_name.as_deref(),
                    app_hash: a.settings.app_hash.as_deref(),
                    code_length: self.otp.len(),
                    dtmf: a.settings.dtmf,
                    fraud_check: a.settings.fraud_check.as_deref(),
                })
                .collect(),
            charges: ChargesView {
                total_charge: prices::trimmed(
                    self.attempts
                        .iter()
                        .map(|a| a.charge)
                        .sum::<prices::Money>()
                        + validation,
                ),
                validation_charge: prices::four_decimals(validation),
                attempt_charges,
            },
            created_at: times.format(self.created_at),
            updated_at: times.format(self.updated_at),
            alias: None,
            requestor_ip: "",
            destination_country_iso2: prices::country_iso2(&self.recipient).unwrap_or(""),
            destination_network: prices::network(&self.recipient),
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

/// How the API writes times: UTC with microseconds and `Z` (the reference's examples), or
/// in a fixed offset with the fraction trimmed, as the SDKs' fixtures show
/// (`2023-07-24T22:47:21.279363+05:30`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeFormat {
    /// `None`: UTC with `Z`.
    pub offset: Option<chrono::FixedOffset>,
}

impl TimeFormat {
    /// `at` in this format.
    pub fn format(&self, at: DateTime<Utc>) -> String {
        match self.offset {
            None => rfc3339(at),
            Some(offset) => at
                .with_timezone(&offset)
                .format("%Y-%m-%dT%H:%M:%S%.f%:z")
                .to_string(),
        }
    }
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
    /// The application's alias: sandbox applications have none.
    alias: Option<&'static str>,
    /// Plivo's fixtures show `""`.
    requestor_ip: &'static str,
    /// `""` when the price table does not know the country, as Plivo answers.
    destination_country_iso2: &'static str,
    destination_network: Option<&'static str>,
}

#[derive(Serialize)]
struct AttemptView<'a> {
    channel: &'static str,
    attempt_uuid: &'a str,
    status: &'static str,
    time: String,
    brand_name: Option<&'a str>,
    app_hash: Option<&'a str>,
    code_length: usize,
    dtmf: Option<u64>,
    fraud_check: Option<&'a str>,
}

#[derive(Serialize)]
struct ChargesView<'a> {
    total_charge: String,
    validation_charge: String,
    attempt_charges: Vec<AttemptChargeView<'a>>,
}

#[derive(Serialize)]
struct AttemptChargeView<'a> {
    attempt_uuid: &'a str,
    channel: &'static str,
    charge: String,
}
