//! The list route's filters, pagination and `session_time` parsing.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

use super::prices;
use super::session::{Session, Status};
use crate::error::ApiError;

/// Largest and default page size.
pub const MAX_LIMIT: usize = 20;

/// A comparison on the session's creation time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeFilter {
    /// Created within `[at, at + precision)`: `session_time` matches at the precision given.
    Within(DateTime<Utc>, TimeDelta),
    After(DateTime<Utc>),
    AtOrAfter(DateTime<Utc>),
    Before(DateTime<Utc>),
    AtOrBefore(DateTime<Utc>),
}

impl TimeFilter {
    fn matches(self, t: DateTime<Utc>) -> bool {
        match self {
            TimeFilter::Within(at, precision) => at <= t && t < at + precision,
            TimeFilter::After(at) => t > at,
            TimeFilter::AtOrAfter(at) => t >= at,
            TimeFilter::Before(at) => t < at,
            TimeFilter::AtOrBefore(at) => t <= at,
        }
    }
}

/// A parsed list request.
#[derive(Debug, Default)]
pub struct ListQuery {
    app_uuid: Option<String>,
    status: Option<Status>,
    recipient: Option<String>,
    subaccount: Option<String>,
    country: Option<String>,
    alias: Option<String>,
    brand_name: Option<String>,
    app_hash: Option<String>,
    times: Vec<TimeFilter>,
    /// Page size.
    pub limit: usize,
    /// Sessions skipped.
    pub offset: usize,
    /// The filters as given, for the `next` / `previous` links.
    echo: Vec<(String, String)>,
}

impl ListQuery {
    /// Parses the query string's pairs; unknown names are ignored, the last of a repeated
    /// name wins.
    pub fn parse(pairs: &[(String, String)]) -> Result<ListQuery, ApiError> {
        let mut query = ListQuery {
            limit: MAX_LIMIT,
            ..ListQuery::default()
        };
        let mut times: Vec<(String, TimeFilter)> = Vec::new();
        for (name, value) in pairs {
            let text = || Some(value.clone());
            match name.as_str() {
                "limit" => query.limit = parse_number(name, value, 1, MAX_LIMIT)?,
                "offset" => query.offset = parse_number(name, value, 0, usize::MAX)?,
                "app_uuid" => query.app_uuid = text(),
                "status" => {
                    query.status = Some(Status::parse(value).ok_or_else(|| {
                        ApiError::bad_request(
                            "status must be one of in-progress, verified, expired",
                        )
                    })?)
                }
                "recipient" => query.recipient = Some(value.trim_start_matches('+').to_owned()),
                "subaccount" => query.subaccount = text(),
                "country" => {
                    if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
                        return Err(ApiError::bad_request(
                            "country must be an ISO 3166 alpha-2 code such as US",
                        ));
                    }
                    query.country = Some(value.to_ascii_uppercase());
                }
                "alias" => query.alias = text(),
                "brand_name" => query.brand_name = text(),
                "app_hash" => query.app_hash = text(),
                "session_time" | "session_time__gt" | "session_time__gte" | "session_time__lt"
                | "session_time__lte" => {
                    let (at, precision) = parse_session_time(value).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "{name} must be a UTC time as YYYY-MM-DD HH:MM[:ss[.uuuuuu]]"
                        ))
                    })?;
                    let filter = match name.as_str() {
                        "session_time" => TimeFilter::Within(at, precision),
                        "session_time__gt" => TimeFilter::After(at),
                        "session_time__gte" => TimeFilter::AtOrAfter(at),
                        "session_time__lt" => TimeFilter::Before(at),
                        _ => TimeFilter::AtOrBefore(at),
                    };
                    times.retain(|(n, _)| n != name);
                    times.push((name.clone(), filter));
                }
                _ => continue,
            }
            if name != "limit" && name != "offset" {
                query.echo.retain(|(n, _)| n != name);
                query.echo.push((name.clone(), value.clone()));
            }
        }
        query.times = times.into_iter().map(|(_, f)| f).collect();
        Ok(query)
    }

    /// Whether `session` is listed at `now` for `account` (the main account sees all).
    pub fn matches(
        &self,
        session: &Session,
        account: &str,
        main: &str,
        now: DateTime<Utc>,
    ) -> bool {
        let created = session.created_at;
        let eq = |filter: &Option<String>, value: Option<&str>| {
            filter.as_deref().is_none_or(|f| Some(f) == value)
        };
        let subaccount = (session.account != main).then_some(session.account.as_str());
        (account == main || session.account == account)
            && created >= now - TimeDelta::days(90)
            && if self.times.is_empty() {
                created >= now - TimeDelta::hours(24)
            } else {
                self.times.iter().all(|f| f.matches(created))
            }
            && eq(&self.app_uuid, Some(&session.app_uuid))
            && self.status.is_none_or(|s| s == session.status())
            && eq(&self.recipient, Some(&session.recipient))
            && eq(&self.subaccount, subaccount)
            && eq(&self.country, prices::country_iso2(&session.recipient))
            && eq(&self.alias, None)
            && eq(&self.brand_name, session.brand_name.as_deref())
            && eq(&self.app_hash, session.app_hash.as_deref())
    }

    /// The relative URL of the page at `offset`, carrying the same filters.
    pub fn page_url(&self, account: &str, offset: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("limit", &self.limit.to_string());
        query.append_pair("offset", &offset.to_string());
        for (name, value) in &self.echo {
            query.append_pair(name, value);
        }
        format!("/v1/Account/{account}/Verify/Session/?{}", query.finish())
    }
}

fn parse_number(name: &str, value: &str, min: usize, max: usize) -> Result<usize, ApiError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            ApiError::bad_request(if max == usize::MAX {
                format!("{name} must be an integer >= {min}")
            } else {
                format!("{name} must be an integer between {min} and {max}")
            })
        })
}

/// Parses `YYYY-MM-DD HH:MM[:ss[.uuuuuu]]` (UTC; `T` also accepted between date and time,
/// `:` also accepted before the microseconds as one example of the reference writes it).
/// Returns the time and the precision it was given at.
pub fn parse_session_time(text: &str) -> Option<(DateTime<Utc>, TimeDelta)> {
    let (date, time) = text.trim().split_once([' ', 'T'])?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let parts: Vec<&str> = time.splitn(4, [':', '.']).collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (hour, minute) = (number(parts.first()?, 2)?, number(parts.get(1)?, 2)?);
    let (second, micros, precision) = match parts.as_slice() {
        [_, _] => (0, 0, TimeDelta::minutes(1)),
        [_, _, s] => (number(s, 2)?, 0, TimeDelta::seconds(1)),
        [_, _, s, frac] if (1..=6).contains(&frac.len()) => {
            let scale = 10u32.pow(6 - frac.len() as u32);
            let digits = number(frac, frac.len())?;
            let unit = TimeDelta::microseconds(i64::from(scale));
            (number(s, 2)?, digits * scale, unit)
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micros)?;
    Some((NaiveDateTime::new(date, time).and_utc(), precision))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn session_times_in_every_documented_precision() {
        assert_eq!(
            parse_session_time("2021-03-21 11:47"),
            Some((at("2021-03-21T11:47:00Z"), TimeDelta::minutes(1)))
        );
        assert_eq!(
            parse_session_time("2021-03-21 11:47:30"),
            Some((at("2021-03-21T11:47:30Z"), TimeDelta::seconds(1)))
        );
        assert_eq!(
            parse_session_time("2021-03-21 11:47:30.982811"),
            Some((
                at("2021-03-21T11:47:30.982811Z"),
                TimeDelta::microseconds(1)
            ))
        );
        assert_eq!(
            parse_session_time("2021-03-21 11:47:30:98"),
            Some((
                at("2021-03-21T11:47:30.98Z"),
                TimeDelta::microseconds(10_000)
            ))
        );
        for bad in [
            "",
            "2021-03-21",
            "2021-03-21 11",
            "2021-13-21 11:47",
            "2021-03-21 24:00",
            "2021-03-21 1:47",
            "2021-03-21 11:47:30.1234567",
            "2021-03-21 11:47:30.",
            "2021-03-21 11:47:+1",
            "yesterday",
        ] {
            assert_eq!(parse_session_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_filters_and_echoes_them() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let q = ListQuery::parse(&pairs(&[
            ("status", "Expired"),
            ("limit", "5"),
            ("recipient", "+14155550100"),
            ("unknown", "x"),
        ]))
        .unwrap();
        assert_eq!(q.status, Some(Status::Expired));
        assert_eq!(q.limit, 5);
        assert_eq!(
            q.page_url("MAX", 10),
            "/v1/Account/MAX/Verify/Session/?limit=5&offset=10&status=Expired&recipient=%2B14155550100"
        );
        for (name, value) in [
            ("limit", "0"),
            ("limit", "21"),
            ("limit", "x"),
            ("offset", "-1"),
            ("status", "done"),
            ("country", "USA"),
            ("session_time__gt", "2021-03-21"),
        ] {
            let error = ListQuery::parse(&pairs(&[(name, value)])).unwrap_err();
            assert_eq!(error.status, 400);
            assert!(error.message.starts_with(name), "{}", error.message);
        }
    }
}
