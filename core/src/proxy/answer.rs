//! What the proxy answers, described once with serde: `handler` writes these as JSON,
//! `VerifyBrowserClient` reads them, and their TypeScript is generated from them into
//! `core/ts/proxy.d.ts` (see `core/src/typescript.rs`).

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::api::error::ErrorCode;

/// Answer of the proxy's `/start`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename_all = "camelCase"))]
pub struct StartResult {
    /// The session the code was sent for.
    pub session_uuid: String,
    /// How the code is delivered.
    #[cfg_attr(test, ts(type = "Channel"))]
    pub channel: String,
    /// Seconds before another code may be sent to this number.
    pub resend_after_secs: u64,
}

/// Why `/check` did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename_all = "snake_case"))]
pub enum CheckRefusal {
    /// A wrong code; the session is still open.
    Incorrect,
    /// The session expired.
    Expired,
    /// The wrong codes used up the session's attempts.
    TooManyAttempts,
}

/// Answer of the proxy's `/check`: `{ verified: true, proof }` or `{ verified: false, reason }`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(ts_rs::TS), ts(untagged))]
pub enum CheckResult {
    /// The code was right: the proof of it (verified with `verifyProof`).
    Verified {
        // `()`: the variant says it; the `Serialize` impl writes `true`.
        /// `true`: the code was right.
        #[cfg_attr(test, ts(type = "true"))]
        verified: (),
        /// The proof, an HS256 JWT.
        proof: String,
    },
    /// The code was not accepted.
    Refused {
        /// `false`: it was not.
        #[cfg_attr(test, ts(type = "false"))]
        verified: (),
        /// Why.
        reason: CheckRefusal,
    },
}

impl CheckResult {
    /// The code was right.
    pub fn verified(proof: String) -> CheckResult {
        CheckResult::Verified {
            verified: (),
            proof,
        }
    }

    /// The code was not accepted.
    pub fn refused(reason: CheckRefusal) -> CheckResult {
        CheckResult::Refused {
            verified: (),
            reason,
        }
    }
}

impl Serialize for CheckResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("CheckResult", 2)?;
        match self {
            CheckResult::Verified { proof, .. } => {
                out.serialize_field("verified", &true)?;
                out.serialize_field("proof", proof)?;
            }
            CheckResult::Refused { reason, .. } => {
                out.serialize_field("verified", &false)?;
                out.serialize_field("reason", reason)?;
            }
        }
        out.end()
    }
}

/// Answer of the proxy's `/session/{uuid}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionStatusResult {
    /// The session's status, lower case.
    #[cfg_attr(test, ts(type = "SessionStatus | null"))]
    pub status: Option<String>,
    /// How its last code went out.
    #[cfg_attr(test, ts(type = "Channel | (string & {}) | null"))]
    pub channel: Option<String>,
    /// Codes sent so far.
    pub attempts: u64,
}

/// Answer to Plivo's status callback: `{ received: true }`, with `duplicate: true` for a
/// nonce seen before (acknowledged, not passed on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackReceived {
    /// A repeat of a callback already handled.
    pub duplicate: bool,
}

impl Serialize for CallbackReceived {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("CallbackReceived", 2)?;
        out.serialize_field("received", &true)?;
        if self.duplicate {
            out.serialize_field("duplicate", &true)?;
        } else {
            out.skip_field("duplicate")?;
        }
        out.end()
    }
}

/// `{"error": {"code", "message", "reason"?}}`: every refusal of the proxy and its limiter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Refusal<'a> {
    /// What went wrong.
    pub error: RefusalDetail<'a>,
}

/// The inside of a [`Refusal`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RefusalDetail<'a> {
    /// The `VerifyError` code.
    #[serde(serialize_with = "code_name")]
    pub code: ErrorCode,
    /// For people.
    pub message: &'a str,
    /// The guard that refused, for a guard's refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

fn code_name<S: Serializer>(code: &ErrorCode, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(code.as_str())
}

/// `value` as JSON text (these types always serialize).
pub fn to_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answers_are_written_as_the_browser_client_reads_them() {
        let start = StartResult {
            session_uuid: "u".into(),
            channel: "sms".into(),
            resend_after_secs: 30,
        };
        assert_eq!(
            to_text(&start),
            r#"{"sessionUuid":"u","channel":"sms","resendAfterSecs":30}"#
        );
        let verified = CheckResult::verified("p".into());
        assert_eq!(to_text(&verified), r#"{"verified":true,"proof":"p"}"#);
        let refused = CheckResult::refused(CheckRefusal::TooManyAttempts);
        assert_eq!(
            to_text(&refused),
            r#"{"verified":false,"reason":"too_many_attempts"}"#
        );
        let status = SessionStatusResult {
            status: None,
            channel: Some("voice".into()),
            attempts: 2,
        };
        assert_eq!(
            to_text(&status),
            r#"{"status":null,"channel":"voice","attempts":2}"#
        );
        assert_eq!(
            to_text(&CallbackReceived { duplicate: false }),
            r#"{"received":true}"#
        );
        assert_eq!(
            to_text(&CallbackReceived { duplicate: true }),
            r#"{"received":true,"duplicate":true}"#
        );
        let refusal = Refusal {
            error: RefusalDetail {
                code: ErrorCode::RateLimited,
                message: "m \"q\"",
                reason: Some("sends_total"),
            },
        };
        assert_eq!(
            to_text(&refusal),
            r#"{"error":{"code":"rate_limited","message":"m \"q\"","reason":"sends_total"}}"#
        );
    }
}
