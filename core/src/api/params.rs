//! Arguments of every call, validated before anything is sent.
//!
//! The JS layer hands each argument over as an [`Arg`] (what JavaScript passed, typed
//! loosely), so that every rule, wrong JS types included, lives and is tested here.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::Error;

/// One argument as JavaScript passed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// `undefined`, or the key was not there.
    Absent,
    /// A string.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// An array.
    List(Vec<Arg>),
    /// A plain object: its own keys in order.
    Map(Vec<(String, Arg)>),
    /// Anything else, by its JS type name: `"null"`, `"boolean"`, `"object"`, …
    Other(&'static str),
}

/// JSON read as the value JavaScript would have passed (`null` is `Other("null")`), so
/// that a request's JSON body meets the same rules as an argument (serde, as every JSON the
/// server side reads). An object with a key twice is refused: `JSON.parse` would keep the
/// last, [`Options`](super::options::Options) the first, and a guard in front of the proxy
/// either; no reading of it is the right one.
impl<'de> Deserialize<'de> for Arg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Arg, D::Error> {
        d.deserialize_any(ArgVisitor)
    }
}

struct ArgVisitor;

impl<'de> Visitor<'de> for ArgVisitor {
    type Value = Arg;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Arg, E> {
        Ok(Arg::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Arg, E> {
        Ok(Arg::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Arg, E> {
        Ok(Arg::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Arg, E> {
        Ok(Arg::Number(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Arg, E> {
        Ok(Arg::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Arg, E> {
        Ok(Arg::Text(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Arg, E> {
        Ok(Arg::Other("null"))
    }
    fn visit_none<E: de::Error>(self) -> Result<Arg, E> {
        Ok(Arg::Other("null"))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Arg, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Arg, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Arg::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Arg, A::Error> {
        let mut entries: Vec<(String, Arg)> = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        // Sorted, a repeated key sits next to itself: n log n, not a scan per key.
        let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(de::Error::custom("an object has a key twice"));
        }
        Ok(Arg::Map(entries))
    }
}

impl Arg {
    /// The JS type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Arg::Absent => "undefined",
            Arg::Text(_) => "string",
            Arg::Number(_) => "number",
            Arg::Bool(_) => "boolean",
            Arg::List(_) => "array",
            Arg::Map(_) => "object",
            Arg::Other(name) => name,
        }
    }
}

/// A required string, checked by `rule` (which says what is expected).
pub fn required_text(
    name: &'static str,
    arg: Arg,
    rule: fn(&str) -> bool,
    expected: &str,
) -> Result<String, Error> {
    match arg {
        Arg::Text(text) if rule(&text) => Ok(text),
        Arg::Absent => Err(Error::invalid_argument(
            name,
            format!("is required: {expected}"),
        )),
        Arg::Text(_) => Err(Error::invalid_argument(name, format!("must be {expected}"))),
        other => Err(Error::invalid_argument(
            name,
            format!("must be {expected}, not {}", other.type_name()),
        )),
    }
}

/// An optional string, checked by `rule` when given.
pub fn optional_text(
    name: &'static str,
    arg: Arg,
    rule: fn(&str) -> bool,
    expected: &str,
) -> Result<Option<String>, Error> {
    match arg {
        Arg::Absent => Ok(None),
        arg => required_text(name, arg, rule, expected).map(Some),
    }
}

/// An optional integer in `min..=max`.
pub fn optional_integer(
    name: &'static str,
    arg: Arg,
    min: u64,
    max: u64,
) -> Result<Option<u64>, Error> {
    match arg {
        Arg::Absent => Ok(None),
        Arg::Number(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => {
            Ok(Some(n as u64))
        }
        other => {
            let range = if max >= MAX_SAFE_INTEGER {
                format!("an integer >= {min}")
            } else {
                format!("an integer from {min} to {max}")
            };
            let got = match other {
                Arg::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => (n as i64).to_string(),
                Arg::Number(_) => "a fraction or not a number".to_owned(),
                other => other.type_name().to_owned(),
            };
            Err(Error::invalid_argument(
                name,
                format!("must be {range}, not {got}"),
            ))
        }
    }
}

/// An optional boolean.
pub fn optional_bool(name: &'static str, arg: Arg) -> Result<Option<bool>, Error> {
    match arg {
        Arg::Absent => Ok(None),
        Arg::Bool(value) => Ok(Some(value)),
        other => Err(Error::invalid_argument(
            name,
            format!("must be a boolean, not {}", other.type_name()),
        )),
    }
}

/// The largest integer a JS number holds exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// E.164: a `+` (optional) and 7 to 15 digits ([`E164::EXPECTED`]).
pub fn is_e164(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A UUID: 8-4-4-4-12 hex digits.
pub const UUID: &str = "a UUID such as 8e712097-8090-4644-81e7-8f4265d8354e";
/// See [`UUID`].
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A session's UUID, checked once where it arrives: holding one means it is well formed, so
/// it is safe in a URL path and in a limit's key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionUuid(String);

impl SessionUuid {
    /// `text`, if it is a UUID ([`UUID`]).
    pub fn parse(text: &str) -> Option<SessionUuid> {
        is_uuid(text).then(|| SessionUuid(text.to_owned()))
    }

    /// The required argument `name`.
    pub fn from_arg(name: &'static str, arg: Arg) -> Result<SessionUuid, Error> {
        required_text(name, arg, is_uuid, UUID).map(SessionUuid)
    }

    /// The UUID's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164, checked once where it arrives: a `+` (optional) and 7 to 15
/// digits, kept as given, which is what goes to Plivo.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct E164(String);

impl E164 {
    /// What the rule expects, for messages.
    pub const EXPECTED: &'static str =
        "an E.164 phone number such as +14155550100 (7 to 15 digits)";

    /// `text`, if it is an E.164 number.
    pub fn parse(text: &str) -> Option<E164> {
        is_e164(text).then(|| E164(text.to_owned()))
    }

    /// The required argument `name`.
    pub fn from_arg(name: &'static str, arg: Arg) -> Result<E164, Error> {
        required_text(name, arg, is_e164, E164::EXPECTED).map(E164)
    }

    /// `+14155550100` from what a person typed: spaces, dots, dashes and parentheses are
    /// dropped; a missing `+` is assumed.
    pub fn from_typed(text: &str) -> Option<E164> {
        let kept: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
            .collect();
        let digits = kept.strip_prefix('+').unwrap_or(&kept);
        is_e164(digits).then(|| E164(format!("+{digits}")))
    }

    /// The required argument `name` as a person typed it ([`E164::from_typed`]).
    pub fn from_typed_arg(name: &'static str, arg: Arg) -> Result<E164, Error> {
        let rule = |text: &str| E164::from_typed(text).is_some();
        let typed = required_text(name, arg, rule, E164::EXPECTED)?;
        // The rule just held, so `from_typed` gives a number.
        Ok(E164::from_typed(&typed).unwrap_or(E164(typed)))
    }

    /// The number as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its digits, without the `+`.
    pub fn digits(&self) -> &str {
        self.0.strip_prefix('+').unwrap_or(&self.0)
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the code is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A text message (Plivo's default).
    Sms,
    /// A phone call that reads the code out.
    Voice,
}

impl Channel {
    /// What the rule expects, for messages.
    pub const EXPECTED: &'static str = "\"sms\" or \"voice\"";

    /// `"sms"` or `"voice"`, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
        }
    }

    /// The optional argument `name`.
    pub fn from_arg(name: &'static str, arg: Arg) -> Result<Option<Channel>, Error> {
        let text = optional_text(
            name,
            arg,
            |t| matches!(t, "sms" | "voice"),
            Channel::EXPECTED,
        )?;
        Ok(text.map(|t| {
            if t == "voice" {
                Channel::Voice
            } else {
                Channel::Sms
            }
        }))
    }
}

/// A code: 4 to 8 digits.
pub const OTP: &str = "a string of 4 to 8 digits";
/// See [`OTP`].
pub fn is_otp(text: &str) -> bool {
    (4..=8).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// An `Idempotency-Key` of the proxy's `/start`: 1 to 128 letters, digits or `-_.:` (as a
/// UUID or a base64url token is).
pub const IDEMPOTENCY_KEY: &str = "1 to 128 letters, digits or -_.:";
/// See [`IDEMPOTENCY_KEY`].
pub fn is_idempotency_key(text: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-_.:".contains(&b);
    (1..=128).contains(&text.len()) && text.bytes().all(allowed)
}

/// A bot check's token (`challengeToken`, e.g. Turnstile's widget response): 1 to 2,048
/// letters, digits or `-_.:+/=` (base64 and base64url, nothing a JSON string escapes).
pub const CHALLENGE_TOKEN: &str = "1 to 2048 letters, digits or -_.:+/=";
/// See [`CHALLENGE_TOKEN`].
pub fn is_challenge_token(text: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-_.:+/=".contains(&b);
    (1..=2048).contains(&text.len()) && text.bytes().all(allowed)
}

/// An absolute http(s) URL.
pub const HTTP_URL: &str = "an absolute http(s) URL";
/// See [`HTTP_URL`].
pub fn is_http_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    !host.is_empty()
        && !host.starts_with(':')
        && text.len() <= 2048
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A short, non-empty text (brand names, app hashes).
pub const SHORT_TEXT: &str = "a non-empty string of at most 64 characters";
/// See [`SHORT_TEXT`].
pub fn is_short_text(text: &str) -> bool {
    !text.trim().is_empty() && text.chars().count() <= 64
}

/// A language code: `en`, `en_US`, `es`.
pub const LOCALE: &str = "a language code such as en or en_US";
/// See [`LOCALE`].
pub fn is_locale(text: &str) -> bool {
    (2..=16).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A subaccount's auth id: `SA` and 18 letters or digits.
pub const SUBACCOUNT: &str = "a subaccount auth id (SA and 18 letters or digits)";
/// See [`SUBACCOUNT`].
pub fn is_subaccount(text: &str) -> bool {
    text.len() == 20 && text.starts_with("SA") && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A non-empty string.
pub const NON_EMPTY: &str = "a non-empty string";
/// See [`NON_EMPTY`].
pub fn is_non_empty(text: &str) -> bool {
    !text.trim().is_empty()
}

/// `session_time` filters: `YYYY-MM-DD HH:MM[:ss[.uuuuuu]]`, UTC.
pub const SESSION_TIME: &str = "a UTC time as YYYY-MM-DD HH:MM[:ss[.uuuuuu]]";
/// See [`SESSION_TIME`]. Checks the shape and the ranges of each field.
pub fn is_session_time(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let fixed = b.len() >= 16 && b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':';
    if !fixed {
        return false;
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if year < 1970 || !(1..=days).contains(&day) || hour > 23 || minute > 59 {
        return false;
    }
    match b.len() {
        16 => true,
        19 | 21..=26 => {
            let seconds_ok = b[16] == b':' && digits(17..19).is_some_and(|s| s <= 59);
            let fraction_ok = b.len() == 19 || (b[19] == b'.' && digits(20..b.len()).is_some());
            seconds_ok && fraction_ok
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_read_as_javascript_would_pass_it_and_a_repeated_key_is_refused() {
        let read = |json: &str| serde_json::from_str::<Arg>(json);
        assert_eq!(
            read(r#"{"a":"x","b":[1,true,null],"c":{"d":2.5}}"#).unwrap(),
            Arg::Map(vec![
                ("a".into(), Arg::Text("x".into())),
                (
                    "b".into(),
                    Arg::List(vec![Arg::Number(1.0), Arg::Bool(true), Arg::Other("null")])
                ),
                ("c".into(), Arg::Map(vec![("d".into(), Arg::Number(2.5))])),
            ])
        );
        assert!(read(r#"{"recipient":"+14155550100","recipient":"+14155550101"}"#).is_err());
        assert!(read(r#"{"a":{"k":1,"j":2,"k":3}}"#).is_err());
        // Nesting is bounded by serde_json (128 levels), not by the stack.
        assert!(read(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))).is_err());
    }

    #[test]
    fn a_session_uuid_is_checked_where_it_arrives() {
        let uuid = "8e712097-8090-4644-81e7-8f4265d8354e";
        assert_eq!(SessionUuid::parse(uuid).unwrap().as_str(), uuid);
        assert_eq!(SessionUuid::parse("../x"), None);
        let e = SessionUuid::from_arg("sessionUuid", Arg::Number(1.0)).unwrap_err();
        assert_eq!(e.argument.as_deref(), Some("sessionUuid"));
        assert!(e.message.contains("not number"), "{}", e.message);
    }

    #[test]
    fn a_typed_number_becomes_e164_with_its_plus() {
        for typed in [
            "+1 (415) 555-0100",
            "1.415.555.0100",
            "+14155550100",
            "1\u{a0}415 5550100",
        ] {
            let number = E164::from_typed(typed).unwrap();
            assert_eq!(
                (number.as_str(), number.digits()),
                ("+14155550100", "14155550100")
            );
        }
        for bad in ["", "+", "415-CALL-NOW", "+1 415 555 0100 ext 2", "123456"] {
            assert_eq!(E164::from_typed(bad), None, "{bad}");
        }
        // Kept as given for Plivo: without a `+` when given without one.
        assert_eq!(
            E164::parse("918681951370").unwrap().as_str(),
            "918681951370"
        );
        let e = E164::from_typed_arg("recipient", Arg::Bool(true)).unwrap_err();
        assert!(e.message.contains("not boolean"), "{}", e.message);
        let e = E164::from_typed_arg("recipient", Arg::Text("x".into())).unwrap_err();
        assert_eq!(e.argument.as_deref(), Some("recipient"));
    }

    #[test]
    fn a_channel_is_sms_or_voice() {
        assert_eq!(Channel::from_arg("channel", Arg::Absent).unwrap(), None);
        let voice = Channel::from_arg("channel", Arg::Text("voice".into())).unwrap();
        assert_eq!(voice.map(Channel::as_str), Some("voice"));
        for bad in [
            Arg::Text("SMS".into()),
            Arg::Text("fax".into()),
            Arg::Other("null"),
        ] {
            assert!(Channel::from_arg("channel", bad).is_err());
        }
    }

    #[test]
    fn rules() {
        assert!(is_e164("+14155550100") && is_e164("918681951370") && is_e164("1234567"));
        for bad in [
            "",
            "+",
            "123456",
            "+1234567890123456",
            "+1 415",
            "++1415555010",
            "1415555010a",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
        assert!(is_uuid("8e712097-8090-4644-81e7-8f4265d8354e"));
        for bad in [
            "",
            "8e712097",
            "8e712097-8090-4644-81e7-8f4265d8354",
            "../../../etc/passwd-aaaaaaaaaaaaaaaaa",
            "8e712097x8090-4644-81e7-8f4265d8354e",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
        assert!(is_otp("1234") && is_otp("12345678"));
        assert!(!is_otp("123") && !is_otp("123456789") && !is_otp("12a4") && !is_otp(" 1234"));
        assert!(is_http_url("https://example.com/cb?x=1") && is_http_url("HTTP://127.0.0.1:8/"));
        for bad in [
            "",
            "example.com",
            "ftp://x",
            "https://",
            "https:///x",
            "https://a b",
            "javascript:alert(1)",
            "https://:80/",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
        assert!(is_locale("en") && is_locale("en_US") && !is_locale("e") && !is_locale("en US"));
        assert!(is_subaccount("SAXXXXXXXXXXXXXXXXX1") && !is_subaccount("MAXXXXXXXXXXXXXXXXX1"));
    }

    #[test]
    fn session_times() {
        for good in [
            "2021-03-21 11:47",
            "2021-03-21 11:47:30",
            "2021-03-21 11:47:30.982811",
            "2024-02-29 00:00:00.1",
        ] {
            assert!(is_session_time(good), "{good}");
        }
        for bad in [
            "",
            "2021-03-21",
            "2021-03-21T11:47",
            "2021-02-29 11:47",
            "2021-03-21 24:00",
            "2021-03-21 11:60",
            "2021-03-21 11:47:60",
            "2021-03-21 11:47:30.",
            "2021-03-21 11:47:30.1234567",
            "2021-3-21 11:47",
            "1969-12-31 23:59",
        ] {
            assert!(!is_session_time(bad), "{bad}");
        }
    }

    #[test]
    fn wrong_types_name_the_argument() {
        let e = required_text("recipient", Arg::Number(1.0), is_e164, E164::EXPECTED).unwrap_err();
        assert_eq!(e.argument.as_deref(), Some("recipient"));
        assert!(
            e.message.starts_with("recipient: must be an E.164"),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("not number"));
        let e = required_text("recipient", Arg::Absent, is_e164, E164::EXPECTED).unwrap_err();
        assert!(e.message.starts_with("recipient: is required"));
        let e = optional_text("locale", Arg::Other("null"), is_locale, LOCALE).unwrap_err();
        assert!(e.message.ends_with("not null"));
        assert_eq!(
            optional_integer("limit", Arg::Number(20.0), 1, 20),
            Ok(Some(20))
        );
        for bad in [
            Arg::Number(0.0),
            Arg::Number(21.0),
            Arg::Number(2.5),
            Arg::Number(f64::NAN),
            Arg::Text("5".into()),
            Arg::Other("null"),
        ] {
            assert!(
                optional_integer("limit", bad.clone(), 1, 20).is_err(),
                "{bad:?}"
            );
        }
    }
}
