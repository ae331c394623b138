//! The API's objects as Rust types: read from the wire (snake_case, lenient: any field may
//! be missing or null, numbers may come as strings and money as numbers, statuses in any
//! case) and handed to JavaScript in camelCase.

use serde::{Deserialize, Deserializer, Serialize};

/// Answer of create: the new (or re-sent) session.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct CreateSessionResponse {
    /// Plivo's request id.
    #[serde(default)]
    pub api_id: Option<String>,
    /// `"Session initiated"`.
    #[serde(default)]
    pub message: Option<String>,
    /// The session's id (required: without it the answer is useless).
    pub session_uuid: String,
}

/// Answer of validate.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct ValidateSessionResponse {
    /// Plivo's request id.
    #[serde(default)]
    pub api_id: Option<String>,
    /// `"session validated successfully."`
    #[serde(default)]
    pub message: Option<String>,
}

/// A Verify session, as get and list return it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all(serialize = "camelCase"))]
pub struct Session {
    /// Plivo's request id (get only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_id: Option<String>,
    /// The session's id.
    pub session_uuid: Option<String>,
    /// The Verify application used.
    pub app_uuid: Option<String>,
    /// The number the code went to.
    pub recipient: Option<String>,
    /// The last channel used (`sms`, `voice`), lower case.
    #[serde(deserialize_with = "lower_case")]
    pub channel: Option<String>,
    /// `in-progress`, `verified`, `expired` (lower case; other values pass through).
    #[serde(deserialize_with = "lower_case")]
    pub status: Option<String>,
    /// Language of the messages.
    pub locale: Option<String>,
    /// Number of attempts.
    #[serde(deserialize_with = "lenient_count")]
    pub count: Option<u64>,
    /// Every delivery attempt.
    #[serde(deserialize_with = "list_or_null")]
    pub attempt_details: Vec<AttemptDetail>,
    /// What the session cost.
    pub charges: Option<Charges>,
    /// Creation time (UTC, as sent).
    pub created_at: Option<String>,
    /// Last change (UTC, as sent).
    pub updated_at: Option<String>,
    /// Present on some accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Present on some accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requestor_ip: Option<String>,
    /// Present on some accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_country_iso2: Option<String>,
    /// Present on some accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_network: Option<String>,
}

/// One delivery attempt of a session.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all(serialize = "camelCase"))]
pub struct AttemptDetail {
    /// `sms` or `voice`, lower case.
    #[serde(deserialize_with = "lower_case")]
    pub channel: Option<String>,
    /// The attempt's id.
    pub attempt_uuid: Option<String>,
    /// The channel status (`delivered`, `answer`, …), lower case.
    #[serde(deserialize_with = "lower_case")]
    pub status: Option<String>,
    /// When it was made.
    pub time: Option<String>,
}

/// The charges of a session, as decimal strings.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all(serialize = "camelCase"))]
pub struct Charges {
    /// Sum of all charges.
    #[serde(deserialize_with = "money")]
    pub total_charge: Option<String>,
    /// Charge for validating.
    #[serde(deserialize_with = "money")]
    pub validation_charge: Option<String>,
    /// One per attempt.
    #[serde(deserialize_with = "list_or_null")]
    pub attempt_charges: Vec<AttemptCharge>,
}

/// What one attempt cost.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all(serialize = "camelCase"))]
pub struct AttemptCharge {
    /// The attempt's id.
    pub attempt_uuid: Option<String>,
    /// `sms` or `voice`, lower case.
    #[serde(deserialize_with = "lower_case")]
    pub channel: Option<String>,
    /// Decimal string.
    #[serde(deserialize_with = "money")]
    pub charge: Option<String>,
}

/// Answer of list.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct SessionList {
    /// Plivo's request id.
    #[serde(default)]
    pub api_id: Option<String>,
    /// Pagination.
    pub meta: Meta,
    /// This page, newest first.
    #[serde(default, deserialize_with = "list_or_null")]
    pub sessions: Vec<Session>,
}

/// Pagination of a list answer.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Meta {
    /// Page size.
    #[serde(deserialize_with = "lenient_count")]
    pub limit: Option<u64>,
    /// Sessions skipped.
    #[serde(deserialize_with = "lenient_count")]
    pub offset: Option<u64>,
    /// Relative URL of the next page, `null` on the last.
    pub next: Option<String>,
    /// Relative URL of the previous page, `null` on the first.
    pub previous: Option<String>,
}

/// An error answer: `{"api_id": "...", "error": "..."}` (both optional).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// Plivo's request id.
    pub api_id: Option<String>,
    /// Readable message (a string; anything else is ignored).
    #[serde(deserialize_with = "string_only")]
    pub error: Option<String>,
}

/// A value of any JSON type, kept only when it is of the type wanted.
#[derive(Deserialize)]
#[serde(untagged)]
enum Loose {
    Text(String),
    Unsigned(u64),
    Float(f64),
    Other(serde::de::IgnoredAny),
}

fn lower_case<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Loose>::deserialize(d)?.and_then(|v| match v {
        Loose::Text(text) => Some(text.to_ascii_lowercase()),
        _ => None,
    }))
}

fn string_only<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Loose>::deserialize(d)?.and_then(|v| match v {
        Loose::Text(text) => Some(text),
        _ => None,
    }))
}

fn lenient_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(Option::<Loose>::deserialize(d)?.and_then(|v| match v {
        Loose::Unsigned(n) => Some(n),
        Loose::Float(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => Some(f as u64),
        Loose::Text(text) => text.trim().parse().ok(),
        _ => None,
    }))
}

/// A decimal string; an integer is written out, a fractional number is dropped (turning a
/// binary float back into a decimal could invent digits Plivo never sent).
fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Loose>::deserialize(d)?.and_then(|v| match v {
        Loose::Text(text) => Some(text),
        Loose::Unsigned(n) => Some(n.to_string()),
        _ => None,
    }))
}

fn list_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: &str = include_str!("../../tests/fixtures/reference/get_session.json");
    const LIST: &str = include_str!("../../tests/fixtures/reference/list_sessions.json");
    const CREATE: &str = include_str!("../../tests/fixtures/reference/create_session.json");
    const VALIDATE: &str = include_str!("../../tests/fixtures/reference/validate_session.json");

    #[test]
    fn the_reference_get_example() {
        let s: Session = serde_json::from_str(GET).unwrap();
        assert_eq!(
            s.api_id.as_deref(),
            Some("abf7fc2b-fac5-471c-9592-74ed6834b5e6")
        );
        assert_eq!(
            s.status.as_deref(),
            Some("expired"),
            "\"Expired\" is normalised"
        );
        assert_eq!(s.count, Some(3));
        assert_eq!(s.channel.as_deref(), Some("voice"));
        let statuses: Vec<_> = s
            .attempt_details
            .iter()
            .map(|a| a.status.as_deref())
            .collect();
        assert_eq!(
            statuses,
            [Some("answer"), Some("delivered"), Some("early media")]
        );
        let charges = s.charges.unwrap();
        assert_eq!(charges.total_charge.as_deref(), Some("0.113"));
        assert_eq!(charges.validation_charge.as_deref(), Some("0.0000"));
        assert_eq!(
            charges.attempt_charges[1].charge.as_deref(),
            Some("0.08000")
        );
        assert_eq!(s.updated_at.as_deref(), Some("2023-06-01T08:53:25.577153Z"));
        assert_eq!(s.alias, None);
    }

    #[test]
    fn the_reference_list_example() {
        let list: SessionList = serde_json::from_str(LIST).unwrap();
        assert_eq!(list.meta.limit, Some(20));
        assert_eq!(list.meta.next, None);
        assert_eq!(list.sessions.len(), 2);
        assert_eq!(
            list.sessions[1].attempt_details[0].status.as_deref(),
            Some("answer"),
            "\"ANSWER\""
        );
        assert_eq!(list.sessions[0].locale, None, "absent fields are None");
    }

    #[test]
    fn the_reference_create_and_validate_examples() {
        let created: CreateSessionResponse = serde_json::from_str(CREATE).unwrap();
        assert_eq!(created.session_uuid, "8e712097-8090-4644-81e7-8f4265d8354e");
        assert_eq!(created.message.as_deref(), Some("Session initiated"));
        // The reference's validate example ends its object with a comma, which is not
        // JSON; with that fixed it parses.
        assert!(serde_json::from_str::<ValidateSessionResponse>(VALIDATE).is_err());
        let fixed = VALIDATE.replace("successfully.\",", "successfully.\"");
        let validated: ValidateSessionResponse = serde_json::from_str(&fixed).unwrap();
        assert_eq!(
            validated.message.as_deref(),
            Some("session validated successfully.")
        );
    }

    #[test]
    fn nulls_strings_for_numbers_and_numbers_for_money() {
        let s: Session = serde_json::from_str(
            r#"{"session_uuid": null, "count": "2", "status": 7, "attempt_details": null,
                "charges": {"total_charge": 1, "validation_charge": 0.05, "attempt_charges": null},
                "alias": "a", "requestor_ip": "1.2.3.4", "destination_country_iso2": "US",
                "destination_network": "X", "unknown_field": {"nested": true}}"#,
        )
        .unwrap();
        assert_eq!(s.session_uuid, None);
        assert_eq!(s.count, Some(2));
        assert_eq!(
            s.status, None,
            "a non-string status is dropped, not an error"
        );
        assert!(s.attempt_details.is_empty());
        let charges = s.charges.unwrap();
        assert_eq!(charges.total_charge.as_deref(), Some("1"));
        assert_eq!(charges.validation_charge, None);
        assert_eq!(s.requestor_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(
            serde_json::from_str::<Session>("{}").unwrap(),
            Session::default()
        );
    }

    #[test]
    fn shapes_that_are_not_the_documented_ones_fail() {
        // (A top-level array would fill a struct positionally: the transport accepts only a
        // JSON object as an answer's body before it gets here.)
        assert!(serde_json::from_str::<Session>(r#"{"attempt_details": "x"}"#).is_err());
        assert!(serde_json::from_str::<CreateSessionResponse>(r#"{"api_id": "x"}"#).is_err());
        assert!(serde_json::from_str::<SessionList>(r#"{"sessions": []}"#).is_err());
        let e: ErrorBody = serde_json::from_str(r#"{"api_id": "a", "error": {"x": 1}}"#).unwrap();
        assert_eq!(e.error, None);
    }

    #[test]
    fn serialises_camel_case_for_js() {
        let s: Session = serde_json::from_str(GET).unwrap();
        let js = serde_json::to_value(&s).unwrap();
        assert_eq!(js["sessionUuid"], "60ea68db-b123-46d9-9eb2-1201d516dbbd");
        assert_eq!(
            js["attemptDetails"][0]["attemptUuid"],
            "90cc6cde-db80-4d14-9716-3aaa2b403377"
        );
        assert_eq!(js["charges"]["attemptCharges"][0]["charge"], "0.03300");
        assert!(
            js.get("alias").is_none(),
            "optional extras are left out when absent"
        );
        assert!(
            js.get("locale").unwrap().is_null(),
            "documented fields are null when absent"
        );
    }
}
