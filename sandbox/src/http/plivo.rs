//! The four Plivo routes: create, get, list, validate.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Extension;
use plivo_verify_core::api::params::{is_e164, is_http_url};
use plivo_verify_core::api::signature::CallbackMethod;
use serde_json::{Map, Value};

use super::auth::Caller;
use super::body::{json_object, optional_str, required_str};
use super::{error_response, reply, App};
use crate::engine::list::ListQuery;
use crate::engine::session::{AttemptSettings, Callback, Channel};
use crate::engine::CreateParams;
use crate::error::ApiError;

/// `POST .../Session/`
pub async fn create(
    State(app): State<App>,
    Extension(Caller(account)): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = match json_object(&headers, body)
        .await
        .and_then(|b| create_params(&b))
    {
        Ok(params) => params,
        Err(error) => return app.error(error),
    };
    app.run(|engine| {
        let session_uuid = engine.create(&account, params);
        let api_id = engine.api_id();
        // 202, as the SDKs' mocks of this route answer (the reference lists 202 "Resource
        // changed" among the statuses it sends).
        let mut response = reply(
            api_id,
            serde_json::json!({ "message": "Session initiated", "session_uuid": session_uuid }),
        );
        *response.status_mut() = axum::http::StatusCode::ACCEPTED;
        response
    })
}

/// `GET .../Session/{uuid}/`
pub async fn get(
    State(app): State<App>,
    Extension(Caller(account)): Extension<Caller>,
    Path((_, uuid)): Path<(String, String)>,
) -> Response {
    app.run(|engine| {
        let api_id = engine.api_id();
        match engine.get(&account, &uuid) {
            Ok(session) => reply(api_id, session),
            Err(error) => error_response(api_id, error),
        }
    })
}

/// `GET .../Session/`
pub async fn list(
    State(app): State<App>,
    Extension(Caller(account)): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    app.run(|engine| {
        let api_id = engine.api_id();
        // A rejected request changes nothing, so it does not count against the limit.
        let page = ListQuery::parse(&pairs)
            .and_then(|query| engine.count_list_request(&account).map(|()| query));
        match page {
            Ok(query) => reply(api_id, engine.list(&account, &query)),
            Err(error) => error_response(api_id, error),
        }
    })
}

/// `POST .../Session/{uuid}/`
pub async fn validate(
    State(app): State<App>,
    Extension(Caller(account)): Extension<Caller>,
    Path((_, uuid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let otp = match json_object(&headers, body)
        .await
        .and_then(|b| otp_param(&b))
    {
        Ok(otp) => otp,
        Err(error) => return app.error(error),
    };
    app.run(|engine| {
        let api_id = engine.api_id();
        match engine.validate(&account, &uuid, &otp) {
            Ok(()) => reply(
                api_id,
                serde_json::json!({ "message": "session validated successfully." }),
            ),
            Err(error) => error_response(api_id, error),
        }
    })
}

/// Validates a create body as Plivo takes what its SDKs send: any optional key may be
/// `null` (Ruby sends them all), `code_length: 0` means "not set" (.NET sends it on every
/// create), and `otp` may be a number (Node's own tests send one). Unknown keys are ignored.
fn create_params(body: &Map<String, Value>) -> Result<CreateParams, ApiError> {
    let recipient = required_str(body, "recipient")?;
    let recipient = normalize_recipient(recipient).ok_or_else(|| {
        ApiError::bad_request(
            "recipient must be an E.164 phone number (7 to 15 digits, + optional)",
        )
    })?;
    let app_uuid = optional_str(body, "app_uuid")?
        .map(|text| {
            uuid::Uuid::try_parse(text)
                .map(|u| u.hyphenated().to_string())
                .map_err(|_| ApiError::bad_request("app_uuid must be a UUID"))
        })
        .transpose()?;
    let channel = match optional_str(body, "channel")? {
        None => Channel::Sms,
        Some(text) => Channel::parse(&text.to_ascii_lowercase())
            .ok_or_else(|| ApiError::bad_request("channel must be sms or voice"))?,
    };
    let method = match optional_str(body, "method")?
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("POST") => CallbackMethod::Post,
        Some("GET") => CallbackMethod::Get,
        Some(_) => return Err(ApiError::bad_request("method must be GET or POST")),
    };
    let callback = optional_str(body, "url")?
        .map(|url| {
            is_http_url(url)
                .then(|| Callback {
                    url: url.to_owned(),
                    method,
                })
                .ok_or_else(|| ApiError::bad_request("url must be an absolute http(s) URL"))
        })
        .transpose()?;
    let locale = optional_str(body, "locale")?.unwrap_or("en");
    if locale.is_empty()
        || locale.len() > 16
        || !locale
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ApiError::bad_request(
            "locale must be a language code such as en or en_US",
        ));
    }
    let short_text = |name: &str| -> Result<Option<String>, ApiError> {
        match optional_str(body, name)? {
            Some(text) if text.is_empty() || text.chars().count() > 64 => Err(
                ApiError::bad_request(format!("{name} must be 1 to 64 characters")),
            ),
            other => Ok(other.map(str::to_owned)),
        }
    };
    let code_length = match body.get("code_length") {
        None | Some(Value::Null) => 6,
        Some(value) if value.as_u64() == Some(0) => 6,
        Some(value) => value
            .as_u64()
            .filter(|n| (4..=8).contains(n))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| ApiError::bad_request("code_length must be an integer from 4 to 8"))?,
    };
    let otp = match body.get("otp") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "otp must be a string of 4 to 8 digits",
            ))
        }
    };
    if let Some(otp) = &otp {
        if !(4..=8).contains(&otp.len()) || !otp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::bad_request(
                "otp must be a string of 4 to 8 digits",
            ));
        }
    }
    let dtmf = match body.get("dtmf") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .ok_or_else(|| ApiError::bad_request("dtmf must be a non-negative integer"))?,
        ),
    };
    Ok(CreateParams {
        recipient,
        app_uuid,
        channel,
        callback,
        locale: locale.to_owned(),
        settings: AttemptSettings {
            brand_name: short_text("brand_name")?,
            app_hash: short_text("app_hash")?,
            dtmf,
            fraud_check: short_text("fraud_check")?,
        },
        code_length,
        otp,
    })
}

/// `+14155550100` or `14155550100` → `14155550100`.
fn normalize_recipient(text: &str) -> Option<String> {
    is_e164(text).then(|| text.trim_start_matches('+').to_owned())
}

/// The code of a validate body: `otp` (or `OTP`, as Plivo's curl example sends it).
fn otp_param(body: &Map<String, Value>) -> Result<String, ApiError> {
    let name = if body.contains_key("otp") {
        "otp"
    } else {
        "OTP"
    };
    match body.get(name) {
        Some(Value::String(otp)) if !otp.is_empty() => Ok(otp.clone()),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            Err(ApiError::bad_request("otp is required"))
        }
        Some(_) => Err(ApiError::bad_request("otp must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: Value) -> Map<String, Value> {
        json.as_object().cloned().unwrap()
    }

    #[test]
    fn recipients() {
        assert_eq!(
            normalize_recipient("+14155550100").as_deref(),
            Some("14155550100")
        );
        assert_eq!(normalize_recipient("1234567").as_deref(), Some("1234567"));
        for bad in [
            "",
            "+",
            "123456",
            "1234567890123456",
            "+1 415 555 0100",
            "++14155550100",
            "１２３４５６７",
        ] {
            assert_eq!(normalize_recipient(bad), None, "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(is_http_url("https://example.com/cb?x=1"));
        assert!(is_http_url("http://127.0.0.1:9/cb"));
        assert!(is_http_url("HTTPS://Example.com"));
        for bad in [
            "",
            "example.com/cb",
            "ftp://x/y",
            "https://",
            "https:///path",
            "https://a b/",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn create_errors_name_the_parameter() {
        let cases = [
            (serde_json::json!({}), "recipient is required"),
            (
                serde_json::json!({"recipient": 14155550100u64}),
                "recipient must be a string",
            ),
            (
                serde_json::json!({"recipient": "abc"}),
                "recipient must be an E.164",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "channel": "fax"}),
                "channel must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "method": "PUT"}),
                "method must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "url": "/relative"}),
                "url must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "app_uuid": "x"}),
                "app_uuid must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "code_length": 9}),
                "code_length must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "code_length": "6"}),
                "code_length must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "code_length": 5.5}),
                "code_length must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "locale": ""}),
                "locale must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "brand_name": ""}),
                "brand_name must",
            ),
            (
                serde_json::json!({"recipient": "+14155550100", "app_hash": 1}),
                "app_hash must",
            ),
        ];
        for (json, expected) in cases {
            let error = create_params(&body(json.clone())).err().unwrap();
            assert!(
                error.message.starts_with(expected),
                "{json}: {}",
                error.message
            );
        }
        let ok = create_params(&body(serde_json::json!({
            "recipient": "+14155550100", "channel": "voice", "method": "get",
            "url": "http://x/cb", "code_length": 4, "dtmf": 1, "locale": null
        })))
        .unwrap();
        assert_eq!(ok.channel, Channel::Voice);
        assert_eq!(ok.code_length, 4);
        assert_eq!(ok.settings.dtmf, Some(1));
        assert_eq!(ok.callback.unwrap().method, CallbackMethod::Get);
    }

    #[test]
    fn what_the_real_sdks_send_is_accepted() {
        // .NET: code_length 0 on every create.
        let dotnet = create_params(&body(serde_json::json!({
            "recipient": "+14155550100", "code_length": 0
        })))
        .unwrap();
        assert_eq!(dotnet.code_length, 6);
        // Ruby: every optional key, null.
        let ruby = create_params(&body(serde_json::json!({
            "recipient": "+14155550100", "app_uuid": null, "channel": null, "url": null,
            "method": null, "locale": null, "brand_name": null, "app_hash": null,
            "code_length": null, "dtmf": null, "fraud_check": null, "otp": null
        })))
        .unwrap();
        assert_eq!((ruby.channel, ruby.otp), (Channel::Sms, None));
        // Node's tests: otp as a number.
        let node = create_params(&body(serde_json::json!({
            "recipient": "+14155550100", "otp": 123456, "fraud_check": "block"
        })))
        .unwrap();
        assert_eq!(node.otp.as_deref(), Some("123456"));
        assert_eq!(node.settings.fraud_check.as_deref(), Some("block"));
        for bad in [
            serde_json::json!({"recipient": "+14155550100", "otp": "12"}),
            serde_json::json!({"recipient": "+14155550100", "otp": "12ab56"}),
            serde_json::json!({"recipient": "+14155550100", "otp": -1234}),
            serde_json::json!({"recipient": "+14155550100", "otp": true}),
            serde_json::json!({"recipient": "+14155550100", "dtmf": -1}),
            serde_json::json!({"recipient": "+14155550100", "dtmf": "1"}),
            serde_json::json!({"recipient": "+14155550100", "fraud_check": 1}),
        ] {
            assert!(create_params(&body(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn otp_body() {
        assert_eq!(
            otp_param(&body(serde_json::json!({"otp": "1234"}))).unwrap(),
            "1234"
        );
        assert_eq!(
            otp_param(&body(serde_json::json!({"OTP": "1234"}))).unwrap(),
            "1234"
        );
        assert!(otp_param(&body(serde_json::json!({"otp": 1234}))).is_err());
        assert!(otp_param(&body(serde_json::json!({}))).is_err());
        assert!(otp_param(&body(serde_json::json!({"otp": ""}))).is_err());
    }
}
