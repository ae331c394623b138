//! The options objects of the calls (create parameters, list filters), validated.

use super::error::Error;
use super::params::*;

/// A JS options object, loosely typed: its own keys and their values, in order.
#[derive(Debug, Clone, Default)]
pub struct Options {
    entries: Vec<(String, Arg)>,
}

impl Options {
    /// From `(key, value)` pairs.
    pub fn new(entries: Vec<(String, Arg)>) -> Options {
        Options { entries }
    }

    /// Removes and returns `key`'s value ([`Arg::Absent`] when missing).
    pub fn take(&mut self, key: &str) -> Arg {
        match self.entries.iter().position(|(k, _)| k == key) {
            Some(i) => self.entries.remove(i).1,
            None => Arg::Absent,
        }
    }

    /// Refuses keys nobody took (a typo would otherwise be silently ignored).
    pub fn finish(self) -> Result<(), Error> {
        match self.entries.into_iter().find(|(_, v)| *v != Arg::Absent) {
            Some((key, _)) => Err(Error::invalid_argument(key, "is not a known option")),
            None => Ok(()),
        }
    }
}

fn is_method(text: &str) -> bool {
    matches!(text, "GET" | "POST")
}

fn is_status(text: &str) -> bool {
    matches!(text, "in-progress" | "verified" | "expired")
}

/// A string option: its JS name, its wire name, its rule, and what the rule expects.
struct TextOption {
    js: &'static str,
    wire: &'static str,
    rule: fn(&str) -> bool,
    expected: &'static str,
}

const fn text_option(
    js: &'static str,
    wire: &'static str,
    rule: fn(&str) -> bool,
    expected: &'static str,
) -> TextOption {
    TextOption {
        js,
        wire,
        rule,
        expected,
    }
}

/// An ISO 3166 alpha-2 country code.
const COUNTRY: &str = "an ISO 3166 alpha-2 country code such as \"US\" (two capital letters)";

fn is_country(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase())
}

/// The string filters of list, in wire order.
const LIST_TEXT_OPTIONS: [TextOption; 13] = [
    text_option("appUuid", "app_uuid", is_uuid, UUID),
    text_option(
        "status",
        "status",
        is_status,
        "\"in-progress\", \"verified\" or \"expired\"",
    ),
    text_option("recipient", "recipient", is_e164, E164::EXPECTED),
    text_option("subaccount", "subaccount", is_subaccount, SUBACCOUNT),
    text_option("sessionTime", "session_time", is_session_time, SESSION_TIME),
    text_option(
        "sessionTimeGt",
        "session_time__gt",
        is_session_time,
        SESSION_TIME,
    ),
    text_option(
        "sessionTimeGte",
        "session_time__gte",
        is_session_time,
        SESSION_TIME,
    ),
    text_option(
        "sessionTimeLt",
        "session_time__lt",
        is_session_time,
        SESSION_TIME,
    ),
    text_option(
        "sessionTimeLte",
        "session_time__lte",
        is_session_time,
        SESSION_TIME,
    ),
    text_option("brandName", "brand_name", is_non_empty, NON_EMPTY),
    text_option("appHash", "app_hash", is_non_empty, NON_EMPTY),
    text_option("country", "country", is_country, COUNTRY),
    text_option("alias", "alias", is_non_empty, NON_EMPTY),
];

/// A value of a create request body.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyValue {
    /// A JSON string.
    Text(String),
    /// A JSON integer.
    Integer(u64),
}

/// Validated arguments of create: what the body carries, only what was given. Every value
/// is expected to have passed its rule: through [`CreateSessionParams::from_options`], or
/// built from values checked where they arrived, as the proxy does (the fields are public
/// for that; nothing here checks them again). Its `Debug` hides a caller's `otp`.
#[derive(Clone, PartialEq)]
pub struct CreateSessionParams {
    /// Who gets the code.
    pub recipient: E164,
    /// The Verify application whose settings apply.
    pub app_uuid: Option<String>,
    /// SMS (Plivo's default) or voice.
    pub channel: Option<Channel>,
    /// Where Plivo sends status callbacks.
    pub url: Option<String>,
    /// `"GET"` or `"POST"`: how Plivo calls `url`.
    pub method: Option<String>,
    /// The language of the message.
    pub locale: Option<String>,
    /// The brand named in the message.
    pub brand_name: Option<String>,
    /// Android's SMS Retriever hash.
    pub app_hash: Option<String>,
    /// Plivo's fraud check setting.
    pub fraud_check: Option<String>,
    /// A code of the caller's choosing (the SDKs' `otp`), sent as a string.
    pub otp: Option<String>,
    /// 4 to 8 digits.
    pub code_length: Option<u64>,
    /// An integer in every SDK (Go: `*int`), with no documented range.
    pub dtmf: Option<u64>,
}

impl std::fmt::Debug for CreateSessionParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = BodyValue::Text("<hidden>".into());
        let fields = self.fields();
        f.debug_map()
            .entries(
                fields
                    .iter()
                    .map(|(k, v)| (k, if *k == "otp" { &hidden } else { v })),
            )
            .finish()
    }
}

impl CreateSessionParams {
    /// A code for `recipient`, with Plivo's defaults for the rest.
    pub fn new(recipient: E164) -> CreateSessionParams {
        CreateSessionParams {
            recipient,
            app_uuid: None,
            channel: None,
            url: None,
            method: None,
            locale: None,
            brand_name: None,
            app_hash: None,
            fraud_check: None,
            otp: None,
            code_length: None,
            dtmf: None,
        }
    }

    /// Validates `{ recipient, appUuid?, channel?, url?, method?, locale?, brandName?,
    /// appHash?, fraudCheck?, otp?, codeLength?, dtmf? }` (the keys Plivo's SDKs send).
    pub fn from_options(mut options: Options) -> Result<CreateSessionParams, Error> {
        let mut params =
            CreateSessionParams::new(E164::from_arg("recipient", options.take("recipient"))?);
        params.channel = Channel::from_arg("channel", options.take("channel"))?;
        let mut text = |js: &'static str, rule: fn(&str) -> bool, expected: &str| {
            optional_text(js, options.take(js), rule, expected)
        };
        params.app_uuid = text("appUuid", is_uuid, UUID)?;
        params.url = text("url", is_http_url, HTTP_URL)?;
        params.method = text("method", is_method, "\"GET\" or \"POST\"")?;
        params.locale = text("locale", is_locale, LOCALE)?;
        params.brand_name = text("brandName", is_short_text, SHORT_TEXT)?;
        params.app_hash = text("appHash", is_short_text, SHORT_TEXT)?;
        params.fraud_check = text("fraudCheck", is_short_text, SHORT_TEXT)?;
        params.otp = text("otp", is_otp, OTP)?;
        params.code_length = optional_integer("codeLength", options.take("codeLength"), 4, 8)?;
        params.dtmf = optional_integer("dtmf", options.take("dtmf"), 0, MAX_SAFE_INTEGER)?;
        options.finish()?;
        Ok(params)
    }

    /// The body's `(wire name, value)` pairs in wire order: what goes to Plivo.
    pub fn fields(&self) -> Vec<(&'static str, BodyValue)> {
        let text = |wire, value: &Option<String>| {
            value.as_ref().map(|t| (wire, BodyValue::Text(t.clone())))
        };
        let channel = self.channel.map(|c| c.as_str().to_owned());
        [
            Some((
                "recipient",
                BodyValue::Text(self.recipient.as_str().to_owned()),
            )),
            text("app_uuid", &self.app_uuid),
            text("channel", &channel),
            text("url", &self.url),
            text("method", &self.method),
            text("locale", &self.locale),
            text("brand_name", &self.brand_name),
            text("app_hash", &self.app_hash),
            text("fraud_check", &self.fraud_check),
            text("otp", &self.otp),
            self.code_length
                .map(|n| ("code_length", BodyValue::Integer(n))),
            self.dtmf.map(|n| ("dtmf", BodyValue::Integer(n))),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Validated list filters: query parameters in wire order, only those given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListFilter {
    /// `(wire name, value)` of every filter but `limit` and `offset`.
    pub filters: Vec<(&'static str, String)>,
    /// Page size, 1..=20.
    pub limit: Option<u64>,
    /// Sessions to skip.
    pub offset: Option<u64>,
}

impl ListFilter {
    /// Validates `{ appUuid?, status?, recipient?, subaccount?, limit?, offset?,
    /// sessionTime?, sessionTimeGt?, sessionTimeGte?, sessionTimeLt?, sessionTimeLte?,
    /// brandName?, appHash?, country?, alias? }`.
    pub fn from_options(mut options: Options) -> Result<ListFilter, Error> {
        let mut filter = ListFilter::default();
        for o in &LIST_TEXT_OPTIONS {
            if let Some(value) = optional_text(o.js, options.take(o.js), o.rule, o.expected)? {
                filter.filters.push((o.wire, value));
            }
        }
        filter.limit = optional_integer("limit", options.take("limit"), 1, 20)?;
        filter.offset = optional_integer("offset", options.take("offset"), 0, MAX_SAFE_INTEGER)?;
        options.finish()?;
        Ok(filter)
    }
}

/// The default API host.
pub const DEFAULT_BASE_URL: &str = "https://api.plivo.com";
/// Default per-attempt timeout.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Default retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u64 = 2;
/// Default longest answer read (1 MiB: a page of 20 sessions is about 20 KB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// Validated client settings (`fetch` is handled by the JS layer). No `Debug`: it holds the
/// auth token.
pub struct ClientConfig {
    /// Plivo auth id (path segment and Basic-auth user).
    pub auth_id: String,
    /// Plivo auth token (Basic-auth password).
    pub auth_token: String,
    /// `https://api.plivo.com` or another http(s) origin (the sandbox).
    pub base_url: String,
    /// Per attempt, 1..=600000.
    pub timeout_ms: u32,
    /// Longest answer body read, 1 KiB..=64 MiB; a longer one is `invalid_response`.
    pub max_response_bytes: u32,
    /// 0..=10.
    pub max_retries: u32,
    /// Appended to `plivo-verify-wasm/<version>`.
    pub user_agent: Option<String>,
}

/// An auth id or token: 1 to 256 characters, no whitespace or control characters.
pub(crate) fn is_credential(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 256
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Letters and digits, as Plivo's auth ids are (`MA` or `SA` and 18 more). It is a segment of
/// every request's path (percent-encoded there too): anything else is a mistyped or pasted-in
/// value, refused here with a clear error rather than sent as a 401.
fn is_auth_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_user_agent(text: &str) -> bool {
    !text.trim().is_empty() && text.len() <= 256 && !text.chars().any(char::is_control)
}

impl ClientConfig {
    /// Validates `{ authId, authToken, baseUrl?, timeoutMs?, maxResponseBytes?, maxRetries?,
    /// userAgent? }`.
    pub fn from_options(mut options: Options) -> Result<ClientConfig, Error> {
        let auth_id = required_text(
            "authId",
            options.take("authId"),
            is_auth_id,
            "a Plivo auth id: letters and digits, such as MAXXXXXXXXXXXXXXXXXX",
        )?;
        // The message must not echo the token: `required_text` never includes the value.
        let auth_token = required_text(
            "authToken",
            options.take("authToken"),
            is_credential,
            "a Plivo auth token (no spaces)",
        )?;
        let base_url = optional_text("baseUrl", options.take("baseUrl"), is_http_url, HTTP_URL)?
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let timeout_ms = optional_integer("timeoutMs", options.take("timeoutMs"), 1, 600_000)?
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        let max_response_bytes = optional_integer(
            "maxResponseBytes",
            options.take("maxResponseBytes"),
            1024,
            64 * 1024 * 1024,
        )?
        .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        let max_retries = optional_integer("maxRetries", options.take("maxRetries"), 0, 10)?
            .unwrap_or(DEFAULT_MAX_RETRIES);
        let user_agent = optional_text(
            "userAgent",
            options.take("userAgent"),
            is_user_agent,
            "a non-empty string without control characters",
        )?;
        options.finish()?;
        Ok(ClientConfig {
            auth_id,
            auth_token,
            base_url,
            timeout_ms: timeout_ms as u32,
            max_response_bytes: max_response_bytes as u32,
            max_retries: max_retries as u32,
            user_agent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(entries: &[(&str, Arg)]) -> Options {
        Options::new(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn text(s: &str) -> Arg {
        Arg::Text(s.into())
    }

    #[test]
    fn create_keeps_only_what_was_given_in_wire_order() {
        let p = CreateSessionParams::from_options(options(&[
            ("codeLength", Arg::Number(6.0)),
            ("channel", text("voice")),
            ("recipient", text("+14155550100")),
            ("locale", Arg::Absent),
        ]))
        .unwrap();
        assert_eq!(
            p.fields(),
            vec![
                ("recipient", BodyValue::Text("+14155550100".into())),
                ("channel", BodyValue::Text("voice".into())),
                ("code_length", BodyValue::Integer(6)),
            ]
        );
    }

    #[test]
    fn create_carries_every_option_the_sdks_send() {
        let p = CreateSessionParams::from_options(options(&[
            ("recipient", text("+14155550100")),
            ("dtmf", Arg::Number(0.0)),
            ("fraudCheck", text("block")),
            ("otp", text("012345")),
            ("codeLength", Arg::Number(6.0)),
        ]))
        .unwrap();
        assert_eq!(
            p.fields(),
            vec![
                ("recipient", BodyValue::Text("+14155550100".into())),
                ("fraud_check", BodyValue::Text("block".into())),
                ("otp", BodyValue::Text("012345".into())),
                ("code_length", BodyValue::Integer(6)),
                ("dtmf", BodyValue::Integer(0)),
            ]
        );
        let f = ListFilter::from_options(options(&[
            ("country", text("IN")),
            ("alias", text("new_voice45")),
        ]))
        .unwrap();
        assert_eq!(
            f.filters,
            vec![("country", "IN".into()), ("alias", "new_voice45".into())]
        );
    }

    #[test]
    fn debug_output_hides_a_chosen_code() {
        let p = CreateSessionParams::from_options(options(&[
            ("recipient", text("+14155550100")),
            ("otp", text("482913")),
        ]))
        .unwrap();
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("482913") && shown.contains("+14155550100"),
            "{shown}"
        );
    }

    #[test]
    fn every_bad_create_argument_is_named() {
        let ok = ("recipient", text("+14155550100"));
        let cases: Vec<(&str, Arg)> = vec![
            ("recipient", Arg::Absent),
            ("recipient", Arg::Number(14155550100.0)),
            ("recipient", Arg::Other("null")),
            ("recipient", text("abc")),
            ("appUuid", text("nope")),
            ("appUuid", Arg::Number(1.0)),
            ("channel", text("SMS")),
            ("channel", text("fax")),
            ("channel", Arg::Other("object")),
            ("url", text("/relative")),
            ("url", text("ftp://x/y")),
            ("method", text("PUT")),
            ("method", text("get")),
            ("locale", text("")),
            ("locale", Arg::Other("boolean")),
            ("brandName", text("")),
            ("brandName", text(&"x".repeat(65))),
            ("appHash", Arg::Other("array")),
            ("codeLength", Arg::Number(3.0)),
            ("codeLength", Arg::Number(9.0)),
            ("codeLength", Arg::Number(6.5)),
            ("codeLength", text("6")),
            ("codeLength", Arg::Other("null")),
            ("dtmf", Arg::Number(-1.0)),
            ("dtmf", Arg::Number(1.5)),
            ("dtmf", text("1")),
            ("fraudCheck", text("")),
            ("fraudCheck", Arg::Bool(true)),
            ("otp", Arg::Number(123456.0)),
            ("otp", text("12a456")),
            ("otp", text("123")),
            ("otp", text("123456789")),
            ("recipent", text("+14155550100")),
        ];
        for (name, value) in cases {
            let mut entries = vec![ok.clone()];
            if name == "recipient" {
                entries.clear();
            }
            entries.push((name, value.clone()));
            let e = CreateSessionParams::from_options(options(&entries)).unwrap_err();
            assert_eq!(
                e.argument.as_deref(),
                Some(name),
                "{name} = {value:?}: {}",
                e.message
            );
        }
    }

    #[test]
    fn client_config() {
        let c = ClientConfig::from_options(options(&[
            ("authId", text("MAXXXXXXXXXXXXXXXXXX")),
            ("authToken", text("secret-token")),
        ]))
        .unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!((c.timeout_ms, c.max_retries), (10_000, 2));
        for (name, value) in [
            ("authId", Arg::Absent),
            ("authId", text("")),
            ("authId", text("MA:X")),
            ("authToken", Arg::Absent),
            ("authToken", Arg::Number(1.0)),
            ("authToken", text("has space")),
            ("baseUrl", text("api.plivo.com")),
            ("timeoutMs", Arg::Number(0.0)),
            ("timeoutMs", text("1000")),
            ("maxRetries", Arg::Number(11.0)),
            ("maxResponseBytes", Arg::Number(1023.0)),
            (
                "maxResponseBytes",
                Arg::Number(64.0 * 1024.0 * 1024.0 + 1.0),
            ),
            ("maxRetries", Arg::Number(-1.0)),
            ("userAgent", text("")),
            ("fetchh", Arg::Other("function")),
        ] {
            let mut entries = vec![("authId", text("MA1")), ("authToken", text("t"))];
            entries.retain(|(k, _)| *k != name);
            entries.push((name, value.clone()));
            let e = ClientConfig::from_options(options(&entries)).err().unwrap();
            assert_eq!(e.argument.as_deref(), Some(name), "{name} = {value:?}");
            assert!(
                !e.message.contains("has space"),
                "the token is never echoed"
            );
        }
    }

    #[test]
    fn list_filters() {
        let f = ListFilter::from_options(options(&[
            ("limit", Arg::Number(5.0)),
            ("sessionTimeGt", text("2021-03-21 11:47")),
            ("status", text("verified")),
        ]))
        .unwrap();
        assert_eq!(f.limit, Some(5));
        assert_eq!(
            f.filters,
            vec![
                ("status", "verified".into()),
                ("session_time__gt", "2021-03-21 11:47".into())
            ]
        );
        for (name, value) in [
            ("limit", Arg::Number(0.0)),
            ("limit", Arg::Number(21.0)),
            ("offset", Arg::Number(-1.0)),
            ("offset", text("0")),
            ("status", text("Expired")),
            ("recipient", text("+1")),
            ("subaccount", text("MAXXXXXXXXXXXXXXXXXX")),
            ("sessionTime", text("yesterday")),
            ("sessionTimeLte", Arg::Number(0.0)),
            ("brandName", text(" ")),
            ("country", text("us")),
            ("country", text("USA")),
            ("country", Arg::Number(1.0)),
            ("alias", text("")),
            ("sessionTimeGT", text("2021-03-21 11:47")),
        ] {
            let e = ListFilter::from_options(options(&[(name, value.clone())])).unwrap_err();
            assert_eq!(e.argument.as_deref(), Some(name), "{name} = {value:?}");
        }
    }
}
