//! HTTP Basic authentication of the Plivo routes, for the main account and subaccounts.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::App;
use crate::engine::constant_time_eq;
use crate::error::ApiError;

/// The credentials the sandbox accepts. (No `Debug`: it holds tokens.)
pub struct Accounts {
    tokens: HashMap<String, String>,
}

impl Accounts {
    /// The main account and any subaccounts, as `(auth_id, auth_token)`.
    pub fn new(main: (String, String), subaccounts: Vec<(String, String)>) -> Accounts {
        Accounts {
            tokens: std::iter::once(main).chain(subaccounts).collect(),
        }
    }

    /// Whether `token` is `auth_id`'s, compared in constant time.
    fn accepts(&self, auth_id: &str, token: &str) -> bool {
        self.tokens
            .get(auth_id)
            .is_some_and(|expected| constant_time_eq(expected.as_bytes(), token.as_bytes()))
    }
}

/// The authenticated account of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub String);

/// Middleware: Basic auth whose id matches the path's `/v1/Account/{auth_id}/`.
pub async fn require(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let path_id = request.uri().path().split('/').nth(3).unwrap_or_default();
    let credentials = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| BASE64.decode(encoded.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let authenticated = credentials.as_deref().and_then(|text| {
        let (id, token) = text.split_once(':')?;
        (id == path_id && app.accounts.accepts(id, token)).then(|| id.to_owned())
    });
    match authenticated {
        Some(id) => {
            request.extensions_mut().insert(Caller(id));
            next.run(request).await
        }
        None => {
            let mut response = app.error(ApiError::unauthorized());
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Plivo Verify sandbox\""),
            );
            response
        }
    }
}
