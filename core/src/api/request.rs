//! Requests as plain data: method, URL (path and query, percent-encoded), headers and body.
//! The transport executes them; tests compare them byte for byte.

use super::options::{BodyValue, CreateSessionParams, ListFilter};
use super::params::SessionUuid;
use crate::api::base64::Base64::Standard as BASE64;

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read: never has a body.
    Get,
    /// Write: a JSON body.
    Post,
}

impl Method {
    /// `"GET"` / `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One API call, ready to send. Its `Debug` leaves the body out: it may hold a code.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiRequest {
    /// GET or POST.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// JSON body (POST only).
    pub body: Option<String>,
    /// Safe to repeat after a failure whose outcome is unknown (5xx, network, timeout).
    pub idempotent: bool,
}

impl std::fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field(
                "body",
                &self.body.as_ref().map(|b| format!("<{} bytes>", b.len())),
            )
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

/// Where and as whom requests go.
#[derive(Clone)]
pub struct Endpoint {
    base_url: String,
    auth_id: String,
    authorization: String,
}

impl Endpoint {
    /// `base_url` without a trailing slash is expected (`https://api.plivo.com`); one is
    /// trimmed if present.
    pub fn new(base_url: &str, auth_id: &str, auth_token: &str) -> Endpoint {
        Endpoint {
            base_url: base_url.trim_end_matches('/').to_owned(),
            auth_id: auth_id.to_owned(),
            authorization: format!("Basic {}", BASE64.encode(format!("{auth_id}:{auth_token}"))),
        }
    }

    /// The `Authorization` header value. Holds the token: never log it.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }

    /// `{base}/v1/Account/{auth_id}/Verify/Session/` (+ `{uuid}/`).
    fn session_url(&self, session_uuid: Option<&str>) -> String {
        let mut url = format!(
            "{}/v1/Account/{}/Verify/Session/",
            self.base_url,
            encode_path_segment(&self.auth_id)
        );
        if let Some(uuid) = session_uuid {
            url.push_str(&encode_path_segment(uuid));
            url.push('/');
        }
        url
    }

    /// `POST .../Session/` with the given fields only.
    pub fn create_session(&self, params: &CreateSessionParams) -> ApiRequest {
        ApiRequest {
            method: Method::Post,
            url: self.session_url(None),
            body: Some(json_object(&params.fields())),
            idempotent: false,
        }
    }

    /// `GET .../Session/{uuid}/`.
    pub fn get_session(&self, session_uuid: &SessionUuid) -> ApiRequest {
        ApiRequest {
            method: Method::Get,
            url: self.session_url(Some(session_uuid.as_str())),
            body: None,
            idempotent: true,
        }
    }

    /// `GET .../Session/?limit=&offset=&<filters>`.
    pub fn list_sessions(&self, filter: &ListFilter) -> ApiRequest {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &filter.filters {
            query.append_pair(name, value);
        }
        if let Some(limit) = filter.limit {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(offset) = filter.offset {
            query.append_pair("offset", &offset.to_string());
        }
        let query = query.finish();
        let mut url = self.session_url(None);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        ApiRequest {
            method: Method::Get,
            url,
            body: None,
            idempotent: true,
        }
    }

    /// `POST .../Session/{uuid}/` with `{"otp": "..."}`.
    pub fn validate_session(&self, session_uuid: &SessionUuid, otp: &str) -> ApiRequest {
        ApiRequest {
            method: Method::Post,
            url: self.session_url(Some(session_uuid.as_str())),
            body: Some(json_object(&[("otp", BodyValue::Text(otp.to_owned()))])),
            idempotent: false,
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A flat JSON object, keys in the order given.
fn json_object(fields: &[(&'static str, BodyValue)]) -> String {
    struct Fields<'a>(&'a [(&'static str, BodyValue)]);
    impl serde::Serialize for Fields<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (key, value) in self.0 {
                match value {
                    BodyValue::Text(text) => map.serialize_entry(key, text)?,
                    BodyValue::Integer(n) => map.serialize_entry(key, n)?,
                }
            }
            map.end()
        }
    }
    serde_json::to_string(&Fields(fields)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::options::Options;
    use super::super::params::Arg;
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::new(
            "https://api.plivo.com/",
            "MAXXXXXXXXXXXXXXXXXX",
            "secret-token",
        )
    }

    fn opts(entries: &[(&str, Arg)]) -> Options {
        Options::new(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn basic_auth() {
        assert_eq!(
            Endpoint::new("http://x", "MA1", "t0k").authorization(),
            "Basic TUExOnQwaw=="
        );
    }

    #[test]
    fn create_is_a_post_with_only_the_given_keys() {
        let params = CreateSessionParams::from_options(opts(&[
            ("recipient", Arg::Text("+14155550100".into())),
            ("brandName", Arg::Text("Acme \"Co\"\n\u{1}é".into())),
            ("codeLength", Arg::Number(6.0)),
            ("url", Arg::Text("https://example.com/cb?a=1".into())),
        ]))
        .unwrap();
        let request = endpoint().create_session(&params);
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url,
            "https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Verify/Session/"
        );
        assert_eq!(
            request.body.as_deref(),
            Some(
                r#"{"recipient":"+14155550100","url":"https://example.com/cb?a=1","brand_name":"Acme \"Co\"\n\u0001é","code_length":6}"#
            )
        );
        assert!(!request.idempotent);
    }

    #[test]
    fn get_and_validate_address_the_session() {
        let uuid = "8e712097-8090-4644-81e7-8f4265d8354e";
        let session = SessionUuid::parse(uuid).unwrap();
        let get = endpoint().get_session(&session);
        assert_eq!(get.method, Method::Get);
        assert_eq!(get.body, None);
        assert!(get.idempotent);
        assert_eq!(
            get.url,
            format!("https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Verify/Session/{uuid}/")
        );
        let validate = endpoint().validate_session(&session, "123456");
        assert_eq!(validate.url, get.url);
        assert_eq!(validate.body.as_deref(), Some(r#"{"otp":"123456"}"#));
        let shown = format!("{validate:?}");
        assert!(
            !shown.contains("123456") && shown.contains("16 bytes"),
            "{shown}"
        );
    }

    #[test]
    fn create_sends_the_sdks_extra_keys_byte_for_byte() {
        let params = CreateSessionParams::from_options(opts(&[
            ("recipient", Arg::Text("+14155550100".into())),
            ("channel", Arg::Text("voice".into())),
            ("dtmf", Arg::Number(1.0)),
            ("fraudCheck", Arg::Text("block".into())),
            ("otp", Arg::Text("0042".into())),
        ]))
        .unwrap();
        assert_eq!(
            endpoint().create_session(&params).body.as_deref(),
            Some(
                r#"{"recipient":"+14155550100","channel":"voice","fraud_check":"block","otp":"0042","dtmf":1}"#
            )
        );
    }

    #[test]
    fn list_puts_filters_in_the_query_with_their_wire_names() {
        let filter = ListFilter::from_options(opts(&[
            ("sessionTimeGt", Arg::Text("2021-03-21 11:47".into())),
            ("recipient", Arg::Text("+14155550100".into())),
            ("limit", Arg::Number(2.0)),
            ("offset", Arg::Number(6.0)),
        ]))
        .unwrap();
        let request = endpoint().list_sessions(&filter);
        assert_eq!(request.body, None);
        assert_eq!(
            request.url,
            "https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Verify/Session/?recipient=%2B14155550100&session_time__gt=2021-03-21+11%3A47&limit=2&offset=6"
        );
        let all = endpoint().list_sessions(&ListFilter::default());
        assert!(all.url.ends_with("/Verify/Session/"));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_path_segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
        let uuid = SessionUuid::parse("8e712097-8090-4644-81e7-8f4265d8354e").unwrap();
        let odd = Endpoint::new("http://h", "MA/../x", "t").get_session(&uuid);
        assert_eq!(
            odd.url,
            format!("http://h/v1/Account/MA%2F..%2Fx/Verify/Session/{uuid}/")
        );
    }
}
