//! Command line and environment settings.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

use crate::faults::FaultSpec;

/// The auth id served when none is given.
pub const DEFAULT_AUTH_ID: &str = "MAXXXXXXXXXXXXXXXXXX";
/// The auth token accepted when none is given (printed at start: it is no secret).
pub const DEFAULT_AUTH_TOKEN: &str = "sandbox-auth-token";

/// A stateful local emulator of Plivo's Verify Session API.
///
/// No `Debug`: the auth tokens must not end up in any output.
#[derive(Parser)]
#[command(name = "verify-sandbox", version, about, long_about = None)]
pub struct Config {
    /// Address to listen on; port 0 picks a free one (printed as the first stdout line).
    #[arg(long, env = "VERIFY_SANDBOX_LISTEN", default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,

    /// The account's auth id (`MA` + 18 characters).
    #[arg(long, env = "PLIVO_AUTH_ID", default_value = DEFAULT_AUTH_ID, value_parser = parse_main_account)]
    pub auth_id: String,

    /// The account's auth token (Basic-auth password and callback signing key).
    #[arg(long, env = "PLIVO_AUTH_TOKEN", default_value = DEFAULT_AUTH_TOKEN, hide_env_values = true, hide_default_value = true)]
    pub auth_token: String,

    /// Session lifetime: `600s`, `10m`, `1h`, `500ms` or plain seconds.
    #[arg(long, env = "VERIFY_SANDBOX_CODE_EXPIRY", default_value = "600s", value_parser = parse_duration)]
    pub code_expiry: Duration,

    /// Validation attempts a session allows: the Nth wrong code expires it.
    #[arg(long, env = "VERIFY_SANDBOX_MAX_ATTEMPTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,

    /// List requests allowed per minute per account (0: unlimited).
    #[arg(long, env = "VERIFY_SANDBOX_LIST_RATE_LIMIT", default_value_t = 20)]
    pub list_rate_limit: u32,

    /// Fault injection, e.g. `429=0.1,500=0.05,503=0.05,delay=200ms,reset=0.02`.
    #[arg(long, env = "VERIFY_SANDBOX_FAULTS", default_value = "", value_parser = FaultSpec::parse)]
    pub faults: FaultSpec,

    /// Seed for every random choice (OTPs, UUIDs, nonces, faults); random when absent.
    #[arg(long, env = "VERIFY_SANDBOX_SEED")]
    pub seed: Option<u64>,

    /// A subaccount to accept as well, `SA…:token` (repeatable).
    #[arg(long = "subaccount", env = "VERIFY_SANDBOX_SUBACCOUNTS", value_delimiter = ',', value_parser = parse_subaccount, hide_env_values = true)]
    pub subaccounts: Vec<(String, String)>,

    /// Write the answers' times in this UTC offset (`+05:30`), as some accounts see them;
    /// default: UTC with `Z`, as the reference's examples.
    #[arg(long, env = "VERIFY_SANDBOX_TIME_OFFSET", value_parser = parse_offset)]
    pub time_offset: Option<chrono::FixedOffset>,

    /// How callbacks are signed: `v2` (`X-Plivo-Signature-V2`, `-Ma-V2` and `-V2-Nonce`, as
    /// Plivo's Verify documentation describes), `v3` (`X-Plivo-Signature-V3` and its nonce
    /// only) or `all` (both sets).
    #[arg(long, env = "VERIFY_SANDBOX_SIGN", value_enum, default_value_t = Signing::V2)]
    pub sign: Signing,

    /// Stop when standard input reaches its end. For a parent that may die without stopping
    /// the sandbox (a crashed test run): spawn it with a pipe for stdin, and when the parent
    /// is gone, so is the sandbox.
    #[arg(long)]
    pub exit_on_stdin_eof: bool,
}

/// Which signature headers callbacks carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Signing {
    /// V2 (the session's account token), Ma-V2 (the main token), one nonce: Plivo's Verify.
    V2,
    /// V3 and its nonce only (signs the parameters too).
    V3,
    /// Both sets.
    All,
}

/// Parses `600s`, `10m`, `1h`, `500ms` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 600s, 10m or 500ms"))?;
    let millis = match unit {
        "ms" => Some(number),
        "" | "s" => number.checked_mul(1_000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => return Err(format!("unknown unit `{unit}` in `{text}` (ms, s, m or h)")),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// Parses `+05:30`, `-08:00` or `+00:00`.
pub fn parse_offset(text: &str) -> Result<chrono::FixedOffset, String> {
    let bad = || format!("`{text}` is not a UTC offset such as +05:30 or -08:00");
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return Err(bad()),
    };
    let (hours, minutes) = rest.split_once(':').ok_or_else(bad)?;
    let (hours, minutes): (i32, i32) = match (hours.parse(), minutes.parse()) {
        (Ok(h), Ok(m)) if hours.len() == 2 && minutes.len() == 2 && h <= 14 && m < 60 => (h, m),
        _ => return Err(bad()),
    };
    chrono::FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(bad)
}

fn is_account_id(id: &str, prefix: &str) -> bool {
    id.len() == 20 && id.starts_with(prefix) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn parse_main_account(id: &str) -> Result<String, String> {
    if is_account_id(id, "MA") {
        Ok(id.to_owned())
    } else {
        Err("an auth id is `MA` followed by 18 letters or digits".into())
    }
}

fn parse_subaccount(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((id, token)) if is_account_id(id, "SA") && !token.is_empty() => {
            Ok((id.to_owned(), token.to_owned()))
        }
        _ => Err("a subaccount is `SA` + 18 letters or digits, `:`, and its token".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("600s"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("600"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn offsets() {
        assert_eq!(
            parse_offset("+05:30").map(|o| o.local_minus_utc()),
            Ok(19_800)
        );
        assert_eq!(
            parse_offset("-08:00").map(|o| o.local_minus_utc()),
            Ok(-28_800)
        );
        for bad in ["05:30", "+5:30", "+05", "+15:00", "+05:60", ""] {
            assert!(parse_offset(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn accounts() {
        assert!(parse_main_account("MAXXXXXXXXXXXXXXXXXX").is_ok());
        assert!(parse_main_account("SAXXXXXXXXXXXXXXXXXX").is_err());
        assert!(parse_main_account("MAX").is_err());
        assert!(parse_subaccount("SAXXXXXXXXXXXXXXXXX1:tok").is_ok());
        assert!(parse_subaccount("SAXXXXXXXXXXXXXXXXX1:").is_err());
        assert!(parse_subaccount("SAXXXXXXXXXXXXXXXXX1").is_err());
    }
}
