//! Reading JSON request bodies, strictly: every failure is a 400 naming the problem.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Largest accepted body.
const MAX_BODY: usize = 16 * 1024;

/// The request body as a JSON object.
pub async fn json_object(headers: &HeaderMap, body: Body) -> Result<Map<String, Value>, ApiError> {
    if let Some(kind) = headers.get(header::CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or_default();
        let essence = kind.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::bad_request(
                "Content-Type must be application/json",
            ));
        }
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::bad_request("request body is larger than 16 KiB"))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("request body must be a JSON object")),
        Err(_) if bytes.iter().all(u8::is_ascii_whitespace) => {
            Err(ApiError::bad_request("request body must be a JSON object"))
        }
        Err(_) => Err(ApiError::bad_request("request body is not valid JSON")),
    }
}

/// An optional string field (`null` counts as absent).
pub fn optional_str<'a>(
    map: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
    }
}

/// A required, non-empty string field.
pub fn required_str<'a>(map: &'a Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    match optional_str(map, name)? {
        Some(text) if !text.trim().is_empty() => Ok(text),
        _ => Err(ApiError::bad_request(format!("{name} is required"))),
    }
}
