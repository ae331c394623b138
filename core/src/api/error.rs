//! The one error type: a stable code, a readable message, and what the server said.

use std::fmt;

/// What kind of failure; stable, so callers can branch on it (`error.code` in JS, the
/// variant's name in snake_case: `RateLimited` is `"rate_limited"`). New codes may come, so
/// a `match` outside this crate needs an arm for the others.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// An argument was missing or invalid; nothing was sent.
    InvalidArgument,
    /// 401: the credentials were refused.
    Authentication,
    /// 403.
    Forbidden,
    /// 404: no such session (or route).
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 429: too many requests; see `retry_after_ms`.
    RateLimited,
    /// 5xx.
    ServerError,
    /// No answer within the time limit.
    Timeout,
    /// The request could not be sent or the connection failed.
    Network,
    /// The answer was not JSON or not the documented shape.
    InvalidResponse,
    /// A callback's signature did not verify.
    InvalidSignature,
    /// Any other 4xx (Plivo answers 400 to a wrong or expired code, for instance).
    BadRequest,
    /// A proof of verification that this proxy did not sign (or was altered).
    InvalidProof,
    /// A proof of verification past its expiry.
    ExpiredProof,
    /// Proxy: a cross-origin request from an origin not on the allow-list.
    OriginNotAllowed,
    /// Proxy: the number's country is not on the allow-list.
    CountryNotAllowed,
    /// Proxy: a body over 4 KiB.
    PayloadTooLarge,
    /// Proxy: a body that is not `application/json`.
    UnsupportedMediaType,
    /// Proxy: a body that is not a JSON object.
    InvalidJson,
    /// Proxy: Plivo refused the request (its message says why).
    Rejected,
    /// Proxy: Plivo could not be reached or refused the proxy.
    UpstreamError,
    /// Proxy: Plivo did not answer in time.
    UpstreamTimeout,
    /// Proxy: the rate limiter could not be reached.
    LimitsUnavailable,
    /// Proxy: the `onStatus` handler threw.
    OnStatusFailed,
    /// Proxy: a start with the same `Idempotency-Key` is still at work (409).
    InProgress,
    /// Proxy: the bot check (`challengeToken`) was missing or did not pass (403).
    ChallengeFailed,
    /// A correctly signed callback whose nonce was already accepted: a replay, or a repeat
    /// of one handled before. It is not handled again.
    ReplayedCallback,
}

/// Every code: for parsing a code a server sent, and for checking the TypeScript union.
pub const ALL_CODES: &[ErrorCode] = <ErrorCode as strum::VariantArray>::VARIANTS;

impl ErrorCode {
    /// The code as JS sees it (`"rate_limited"`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The code named `text`, if it is one.
    pub fn parse(text: &str) -> Option<ErrorCode> {
        text.parse().ok()
    }

    /// The code for an HTTP error status.
    pub fn for_status(status: u16) -> ErrorCode {
        match status {
            401 => ErrorCode::Authentication,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            429 => ErrorCode::RateLimited,
            500..=599 => ErrorCode::ServerError,
            _ => ErrorCode::BadRequest,
        }
    }
}

/// A failed call. Its message never holds a secret (auth token, OTP): the constructors
/// take only what the library or the server wrote.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure.
    pub code: ErrorCode,
    /// Readable: the server's `error` text when it sent one.
    pub message: String,
    /// The argument at fault (`invalid_argument` only), as the JS API names it.
    pub argument: Option<String>,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Plivo's request id, when the answer had one.
    pub api_id: Option<String>,
    /// How long the server asked to wait (`Retry-After`), in milliseconds.
    pub retry_after_ms: Option<u64>,
    /// The proxy guard that refused (`sends_per_recipient`…), in answers of `VerifyProxy`.
    pub reason: Option<String>,
}

impl Error {
    /// A failure with no HTTP answer behind it.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            argument: None,
            status: None,
            api_id: None,
            retry_after_ms: None,
            reason: None,
        }
    }

    /// `invalid_argument` naming the argument: `"recipient: must be ..."`.
    pub fn invalid_argument(argument: impl Into<String>, problem: impl fmt::Display) -> Error {
        let argument = argument.into();
        Error {
            message: format!("{argument}: {problem}"),
            argument: Some(argument),
            ..Error::new(ErrorCode::InvalidArgument, "")
        }
    }

    /// An answer that is not the documented shape.
    pub fn invalid_response(problem: impl fmt::Display) -> Error {
        Error::new(
            ErrorCode::InvalidResponse,
            format!("invalid response: {problem}"),
        )
    }

    /// An HTTP error answer: the status, Plivo's `error` text and `api_id` when given, and
    /// `Retry-After` (seconds or an HTTP date is not parsed: seconds only).
    pub fn from_status(
        status: u16,
        server_message: Option<String>,
        api_id: Option<String>,
        retry_after: Option<&str>,
    ) -> Error {
        let code = ErrorCode::for_status(status);
        let message = server_message
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| format!("HTTP {status}"));
        Error {
            status: Some(status),
            api_id,
            retry_after_ms: retry_after.and_then(parse_retry_after),
            ..Error::new(code, message)
        }
    }
}

/// `Retry-After` in whole seconds → milliseconds (an HTTP date is not used: `None`).
pub fn parse_retry_after(value: &str) -> Option<u64> {
    let secs: u64 = value.trim().parse().ok()?;
    secs.checked_mul(1000)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code.as_str())
            .field("message", &self.message)
            .field("status", &self.status)
            .field("api_id", &self.api_id)
            .finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_codes() {
        for (status, code) in [
            (400, "bad_request"),
            (401, "authentication"),
            (403, "forbidden"),
            (404, "not_found"),
            (405, "method_not_allowed"),
            (429, "rate_limited"),
            (500, "server_error"),
            (503, "server_error"),
            (418, "bad_request"),
        ] {
            assert_eq!(ErrorCode::for_status(status).as_str(), code, "{status}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for &code in ALL_CODES {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    #[test]
    fn keeps_what_the_server_said() {
        let e = Error::from_status(
            429,
            Some("too many requests".into()),
            Some("a1".into()),
            Some("2"),
        );
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert_eq!(e.message, "too many requests");
        assert_eq!(e.status, Some(429));
        assert_eq!(e.api_id.as_deref(), Some("a1"));
        assert_eq!(e.retry_after_ms, Some(2000));
        let e = Error::from_status(502, None, None, Some("soon"));
        assert_eq!(e.message, "HTTP 502");
        assert_eq!(e.retry_after_ms, None);
        assert_eq!(parse_retry_after(" 0 "), Some(0));
        assert_eq!(parse_retry_after("0.5"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
