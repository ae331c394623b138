//! When to try a failed call again, and after how long.
//!
//! Reads (get, list) are retried on 429, 5xx, network errors and timeouts. Writes (create,
//! validate) only on 429: the server refused them, so nothing was done; after a 5xx, a
//! timeout or a lost connection the first attempt may have succeeded, and a second would
//! send a second code or burn a validation attempt.

use super::error::{Error, ErrorCode};

/// First backoff step.
const BASE_DELAY_MS: u64 = 250;
/// Longest backoff step.
const MAX_DELAY_MS: u64 = 8_000;
/// A `Retry-After` longer than this is handed back to the caller instead of waited out.
pub const MAX_RETRY_AFTER_MS: u64 = 60_000;

/// The wait before retry number `retry` (0 for the first retry), or `None` to give up.
/// `jitter` is a uniform draw in `[0, 1)`.
pub fn retry_delay(
    idempotent: bool,
    error: &Error,
    retry: u32,
    max_retries: u32,
    jitter: f64,
) -> Option<u64> {
    if retry >= max_retries {
        return None;
    }
    match error.code {
        ErrorCode::RateLimited => match error.retry_after_ms {
            Some(ms) if ms > MAX_RETRY_AFTER_MS => None,
            Some(ms) => Some(ms),
            None => Some(backoff(retry, jitter)),
        },
        ErrorCode::ServerError | ErrorCode::Network | ErrorCode::Timeout if idempotent => {
            Some(backoff(retry, jitter))
        }
        _ => None,
    }
}

/// Exponential backoff with "equal jitter": half the step fixed, half random.
pub fn backoff(retry: u32, jitter: f64) -> u64 {
    let step = BASE_DELAY_MS
        .saturating_mul(1u64 << retry.min(20))
        .min(MAX_DELAY_MS);
    let jitter = jitter.clamp(0.0, 1.0);
    step / 2 + (step as f64 / 2.0 * jitter) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: ErrorCode) -> Error {
        Error::new(code, "x")
    }

    #[test]
    fn reads_retry_on_transient_failures() {
        for code in [
            ErrorCode::ServerError,
            ErrorCode::Network,
            ErrorCode::Timeout,
            ErrorCode::RateLimited,
        ] {
            assert!(
                retry_delay(true, &error(code), 0, 2, 0.5).is_some(),
                "{code:?}"
            );
        }
        for code in [
            ErrorCode::NotFound,
            ErrorCode::Authentication,
            ErrorCode::BadRequest,
            ErrorCode::InvalidResponse,
        ] {
            assert_eq!(retry_delay(true, &error(code), 0, 2, 0.5), None, "{code:?}");
        }
    }

    #[test]
    fn writes_retry_only_when_refused() {
        assert!(retry_delay(false, &error(ErrorCode::RateLimited), 0, 2, 0.5).is_some());
        for code in [
            ErrorCode::ServerError,
            ErrorCode::Network,
            ErrorCode::Timeout,
        ] {
            assert_eq!(
                retry_delay(false, &error(code), 0, 2, 0.5),
                None,
                "{code:?}"
            );
        }
    }

    #[test]
    fn honours_retry_after_and_the_budget() {
        let mut limited = Error::from_status(429, None, None, Some("3"));
        assert_eq!(retry_delay(false, &limited, 1, 2, 0.9), Some(3_000));
        assert_eq!(retry_delay(false, &limited, 2, 2, 0.9), None);
        assert_eq!(retry_delay(false, &limited, 0, 0, 0.9), None);
        limited.retry_after_ms = Some(MAX_RETRY_AFTER_MS + 1);
        assert_eq!(retry_delay(false, &limited, 0, 2, 0.9), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        assert_eq!(backoff(0, 0.0), 125);
        assert_eq!(backoff(0, 0.999_999), 249);
        assert_eq!(backoff(1, 0.0), 250);
        assert_eq!(backoff(10, 0.0), 4_000);
        assert_eq!(backoff(u32::MAX, 1.0), 8_000);
    }
}
