//! The one error type of the API: an HTTP status and a readable message.

use axum::http::StatusCode;

/// A refused request, answered as `{"api_id": "...", "error": "<message>"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong, naming the parameter when one is at fault. Never a secret.
    pub message: String,
    /// Seconds for `Retry-After` (429 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400: a parameter is missing or invalid.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401: authentication failed.
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "authentication failed")
    }

    /// 403: not allowed from here.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// 404: no such resource.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 405: wrong method.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
    }

    /// 429: too many requests; retry after `secs`.
    pub fn rate_limited(message: impl Into<String>, secs: u64) -> ApiError {
        ApiError {
            retry_after: Some(secs.max(1)),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }

    /// Any status, for injected faults.
    pub fn fault(status: StatusCode) -> ApiError {
        let message = match status.as_u16() {
            429 => "too many requests",
            _ => "injected fault: the sandbox pretends to fail",
        };
        let mut error = ApiError::new(status, message);
        if status == StatusCode::TOO_MANY_REQUESTS {
            error.retry_after = Some(1);
        }
        error
    }
}
