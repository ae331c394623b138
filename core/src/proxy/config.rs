//! The proxy's settings, validated: Plivo credentials, the server-side session settings,
//! routes, CORS, the guards' limits and the proof.

use crate::api::callback::take_callback_options;
use crate::api::error::Error;
use crate::api::options::{ClientConfig, Options};
use crate::api::params::*;

use super::proof;

/// A `[count, seconds]` limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Events allowed.
    pub count: u32,
    /// Per this many seconds.
    pub secs: u64,
}

/// The guards' limits. Each is counted where an attacker cannot use up someone else's
/// allowance with one address: per number *and address* for the short-term ones, per number
/// only for the bounds that protect the phone's owner and the bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Codes sent to one number, whoever asks (default 10 per hour: the bound on texts one
    /// phone receives).
    pub sends_per_recipient: Window,
    /// Codes sent to one number at the request of one client address (default 3 per hour),
    /// so one address never uses up the number's allowance.
    pub sends_per_recipient_ip: Window,
    /// Codes requested by one client address, to any number (default 10 per hour).
    pub sends_per_ip: Window,
    /// Codes sent by this proxy in all (default 1,000 per hour): the brake on a pumping run
    /// spread over many numbers and addresses.
    pub sends_total: Window,
    /// Codes sent to numbers that differ only in their last [`PREFIX_FREE_DIGITS`] digits
    /// (default 20 per hour): pumping walks number ranges.
    pub sends_per_prefix: Window,
    /// Voice calls to one number (default 3 per hour): a call costs several texts.
    pub voice_per_recipient: Window,
    /// Minimum wait between two sends to one number from one address (default 30 s).
    pub resend_after_secs: u64,
    /// Code checks per session from one client address (default 5).
    pub checks_per_session: u32,
    /// Consecutive wrong codes for one number, from anywhere, before its checks and sends
    /// stop (default 100 per day, NIST SP 800-63B's bound); a right code starts over.
    pub failures_per_recipient: Window,
    /// Growing cool-downs on wrong codes for one number from one address (default 5 per
    /// 5 minutes, 10 per hour, 20 per day); a right code starts over.
    pub failure_cooldowns: Vec<Window>,
    /// Wrong codes from one client address, for any number (default 30 per hour).
    pub failures_per_ip: Window,
    /// `/check` and `/session/{uuid}` requests from one client IP (default 60 per minute):
    /// each costs calls to Plivo, whatever the session UUID.
    pub reads_per_ip: Window,
}

/// The digits a number keeps out of its prefix for `sendsPerPrefix` (a block of 1,000).
pub const PREFIX_FREE_DIGITS: usize = 3;
/// At most this many cool-down windows.
const MAX_COOLDOWNS: usize = 4;

const fn per(count: u32, secs: u64) -> Window {
    Window { count, secs }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            sends_per_recipient: per(10, 3_600),
            sends_per_recipient_ip: per(3, 3_600),
            sends_per_ip: per(10, 3_600),
            sends_total: per(1_000, 3_600),
            sends_per_prefix: per(20, 3_600),
            voice_per_recipient: per(3, 3_600),
            resend_after_secs: 30,
            checks_per_session: 5,
            failures_per_recipient: per(100, 86_400),
            failure_cooldowns: vec![per(5, 300), per(10, 3_600), per(20, 86_400)],
            failures_per_ip: per(30, 3_600),
            reads_per_ip: per(60, 60),
        }
    }
}

/// Validated settings of `new VerifyProxy(options)` (the JS layer takes `onStatus`,
/// `fetch` and `limitStore` out first). No `Debug`: it holds secrets.
pub struct ProxyConfig {
    /// Plivo credentials and the client's settings.
    pub client: ClientConfig,
    /// Server-side session settings.
    pub app_uuid: Option<String>,
    /// Brand in the message.
    pub brand_name: Option<String>,
    /// Digits in the code.
    pub code_length: Option<u64>,
    /// Message language.
    pub locale: Option<String>,
    /// Where the routes live, e.g. `/verify` (no trailing slash).
    pub base_path: String,
    /// Origins allowed to call cross-origin; empty: same origin only.
    pub allowed_origins: Vec<String>,
    /// The public origin (and path prefix) Plivo reaches the callback route at.
    pub public_url: Option<String>,
    /// Calling codes codes may be sent to; empty: any.
    pub allowed_country_codes: Vec<String>,
    /// ISO 3166 countries codes may be sent to (see [`super::country`]); empty: any.
    pub allowed_countries: Vec<String>,
    /// Decide and report, but never refuse (to tune the limits on live traffic).
    pub shadow: bool,
    /// The guards.
    pub limits: Limits,
    /// The proofs' secrets (at least 32 characters each): the first signs, every one
    /// verifies (a rotation's previous secret).
    pub proof_secrets: Vec<String>,
    /// The proofs' `iss`.
    pub proof_issuer: String,
    /// The proofs' `aud`.
    pub proof_audience: String,
    /// Proof lifetime.
    pub proof_ttl_secs: u64,
    /// Proxies of the app's own in front that append to `X-Forwarded-For` (0: the header
    /// is not trusted); see [`super::address`].
    pub trust_forwarded_for: u32,
    /// Tokens of subaccounts whose sessions' callbacks arrive here (their V2 signatures).
    pub subaccount_tokens: Vec<String>,
}

fn is_base_path(text: &str) -> bool {
    text.starts_with('/')
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
        && !text.contains("//")
}

/// `scheme://host[:port]`, nothing after.
pub fn is_origin(text: &str) -> bool {
    is_http_url(text) && text.splitn(4, '/').nth(3).is_none()
}

fn is_calling_code(text: &str) -> bool {
    (1..=3).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0')
}

/// `trustForwardedFor`: `true` (one proxy in front), `false`, or a number of hops 1..=10.
fn trusted_hops(arg: Arg) -> Result<u32, Error> {
    match arg {
        Arg::Absent | Arg::Bool(false) => Ok(0),
        Arg::Bool(true) => Ok(1),
        Arg::Number(n) if n.fract() == 0.0 && (1.0..=10.0).contains(&n) => Ok(n as u32),
        _ => Err(Error::invalid_argument(
            "trustForwardedFor",
            "must be true, false, or the number of proxies in front (1 to 10)",
        )),
    }
}

/// A proof secret: at least 32 characters.
pub fn is_secret(text: &str) -> bool {
    text.chars().count() >= 32
}

const SECRET: &str = "a random string of at least 32 characters";
const SECRETS: &str = "secrets, each at least 32 characters";
const CLAIM_NAME: &str = "1 to 128 URL characters, such as https://app.example.com";

/// A proof secret, or a list of 1 to 4 (`[current, previous…]`: the first signs).
pub fn secrets(name: &'static str, arg: Arg) -> Result<Vec<String>, Error> {
    match arg {
        Arg::List(ref items) if !(1..=proof::MAX_SECRETS).contains(&items.len()) => {
            Err(Error::invalid_argument(
                name,
                format!("must list 1 to {} secrets", proof::MAX_SECRETS),
            ))
        }
        Arg::List(_) => string_list(name, arg, is_secret, SECRETS),
        arg => required_text(name, arg, is_secret, SECRET).map(|s| vec![s]),
    }
}

fn string_list(
    name: &'static str,
    arg: Arg,
    rule: fn(&str) -> bool,
    expected: &str,
) -> Result<Vec<String>, Error> {
    match arg {
        Arg::Absent => Ok(Vec::new()),
        Arg::List(items) => items
            .into_iter()
            .map(|item| match item {
                Arg::Text(text) if rule(&text) => Ok(text),
                _ => Err(Error::invalid_argument(
                    name,
                    format!("must list {expected}"),
                )),
            })
            .collect(),
        other => Err(Error::invalid_argument(
            name,
            format!("must be an array of {expected}, not {}", other.type_name()),
        )),
    }
}

const WINDOW: &str = "[count, seconds]: integers, count 0 to 1000000, seconds 1 to 32000000";

/// `[count, seconds]`, or `None`.
fn parse_window(arg: &Arg) -> Option<Window> {
    let Arg::List(items) = arg else { return None };
    match items.as_slice() {
        [Arg::Number(count), Arg::Number(secs)]
            if count.fract() == 0.0
                && secs.fract() == 0.0
                && (0.0..=1e6).contains(count)
                && (1.0..=3.2e7).contains(secs) =>
        {
            Some(per(*count as u32, *secs as u64))
        }
        _ => None,
    }
}

fn window(name: &'static str, arg: Arg, default: Window) -> Result<Window, Error> {
    match arg {
        Arg::Absent => Ok(default),
        arg => parse_window(&arg)
            .ok_or_else(|| Error::invalid_argument(name, format!("must be {WINDOW}"))),
    }
}

/// A list of 1 to [`MAX_COOLDOWNS`] windows.
fn windows(name: &'static str, arg: Arg, default: Vec<Window>) -> Result<Vec<Window>, Error> {
    let bad = || {
        Error::invalid_argument(
            name,
            format!("must list 1 to {MAX_COOLDOWNS} windows, each {WINDOW}"),
        )
    };
    match arg {
        Arg::Absent => Ok(default),
        Arg::List(items) if (1..=MAX_COOLDOWNS).contains(&items.len()) => items
            .iter()
            .map(|item| parse_window(item).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

impl Limits {
    fn from_arg(arg: Arg) -> Result<Limits, Error> {
        let defaults = Limits::default();
        let entries = match arg {
            Arg::Absent => return Ok(defaults),
            Arg::Map(entries) => entries,
            other => {
                return Err(Error::invalid_argument(
                    "limits",
                    format!("must be an object, not {}", other.type_name()),
                ))
            }
        };
        let mut options = Options::new(entries);
        let mut take = |key: &'static str, name: &'static str, default: Window| {
            window(name, options.take(key), default)
        };
        let sends_per_recipient = take(
            "sendsPerRecipient",
            "limits.sendsPerRecipient",
            defaults.sends_per_recipient,
        )?;
        let sends_per_recipient_ip = take(
            "sendsPerRecipientIp",
            "limits.sendsPerRecipientIp",
            defaults.sends_per_recipient_ip,
        )?;
        let sends_per_ip = take("sendsPerIp", "limits.sendsPerIp", defaults.sends_per_ip)?;
        let sends_total = take("sendsTotal", "limits.sendsTotal", defaults.sends_total)?;
        let sends_per_prefix = take(
            "sendsPerPrefix",
            "limits.sendsPerPrefix",
            defaults.sends_per_prefix,
        )?;
        let voice_per_recipient = take(
            "voicePerRecipient",
            "limits.voicePerRecipient",
            defaults.voice_per_recipient,
        )?;
        let failures_per_recipient = take(
            "failuresPerRecipient",
            "limits.failuresPerRecipient",
            defaults.failures_per_recipient,
        )?;
        let failures_per_ip = take(
            "failuresPerIp",
            "limits.failuresPerIp",
            defaults.failures_per_ip,
        )?;
        let reads_per_ip = take("readsPerIp", "limits.readsPerIp", defaults.reads_per_ip)?;
        let limits = Limits {
            sends_per_recipient,
            sends_per_recipient_ip,
            sends_per_ip,
            sends_total,
            sends_per_prefix,
            voice_per_recipient,
            resend_after_secs: optional_integer(
                "limits.resendAfterSecs",
                options.take("resendAfterSecs"),
                0,
                86_400,
            )?
            .unwrap_or(defaults.resend_after_secs),
            checks_per_session: optional_integer(
                "limits.checksPerSession",
                options.take("checksPerSession"),
                1,
                100,
            )?
            .map_or(defaults.checks_per_session, |n| n as u32),
            failures_per_recipient,
            failure_cooldowns: windows(
                "limits.failureCooldowns",
                options.take("failureCooldowns"),
                defaults.failure_cooldowns,
            )?,
            failures_per_ip,
            reads_per_ip,
        };
        options.finish().map_err(|e| {
            Error::invalid_argument(
                format!("limits.{}", e.argument.unwrap_or_default()),
                "is not a known limit",
            )
        })?;
        Ok(limits)
    }
}

impl ProxyConfig {
    /// Validates the options; what is not the proxy's goes to [`ClientConfig`].
    pub fn from_options(mut options: Options) -> Result<ProxyConfig, Error> {
        let app_uuid = optional_text("appUuid", options.take("appUuid"), is_uuid, UUID)?;
        let brand_name = optional_text(
            "brandName",
            options.take("brandName"),
            is_short_text,
            SHORT_TEXT,
        )?;
        let code_length = optional_integer("codeLength", options.take("codeLength"), 4, 8)?;
        let locale = optional_text("locale", options.take("locale"), is_locale, LOCALE)?;
        let base_path = optional_text(
            "basePath",
            options.take("basePath"),
            is_base_path,
            "a path such as /verify",
        )?
        .map(|p| p.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| "/verify".to_owned());
        let allowed_origins = string_list(
            "allowedOrigins",
            options.take("allowedOrigins"),
            is_origin,
            "origins such as https://app.example.com",
        )?;
        let public_url = optional_text(
            "publicUrl",
            options.take("publicUrl"),
            is_http_url,
            HTTP_URL,
        )?
        .map(|u| u.trim_end_matches('/').to_owned());
        let allowed_country_codes = string_list(
            "allowedCountryCodes",
            options.take("allowedCountryCodes"),
            is_calling_code,
            "calling codes such as \"1\" or \"44\"",
        )?;
        let allowed_countries = string_list(
            "allowedCountries",
            options.take("allowedCountries"),
            super::country::is_country,
            "ISO 3166 country codes such as \"US\" or \"GB\"",
        )?;
        let shadow = match options.take("shadow") {
            Arg::Absent => false,
            Arg::Bool(shadow) => shadow,
            other => {
                return Err(Error::invalid_argument(
                    "shadow",
                    format!("must be true or false, not {}", other.type_name()),
                ))
            }
        };
        let limits = Limits::from_arg(options.take("limits"))?;
        let proof_secrets = match (options.take("proofSecret"), options.take("proofSecrets")) {
            (single, Arg::Absent) => secrets("proofSecret", single)?,
            (Arg::Absent, several @ Arg::List(_)) => secrets("proofSecrets", several)?,
            // Not a list: string_list's "must be an array of secrets…, not <type>".
            (Arg::Absent, other) => string_list("proofSecrets", other, is_secret, SECRETS)?,
            _ => {
                return Err(Error::invalid_argument(
                    "proofSecrets",
                    "give proofSecret or proofSecrets, not both",
                ))
            }
        };
        let claim = |name: &'static str, arg: Arg| {
            optional_text(name, arg, proof::is_claim_name, CLAIM_NAME)
                .map(|text| text.unwrap_or_else(|| proof::ISSUER.to_owned()))
        };
        let proof_issuer = claim("proofIssuer", options.take("proofIssuer"))?;
        let proof_audience = claim("proofAudience", options.take("proofAudience"))?;
        let proof_ttl_secs =
            optional_integer("proofTtlSecs", options.take("proofTtlSecs"), 1, 86_400)?
                .unwrap_or(600);
        let trust_forwarded_for = trusted_hops(options.take("trustForwardedFor"))?;
        let subaccount_tokens = take_callback_options(&mut options)?;
        let client = ClientConfig::from_options(options)?;
        // The callback URL Plivo is given on every send, checked here once.
        if let Some(url) = &public_url {
            if !is_http_url(&format!("{url}{base_path}/callback")) {
                return Err(Error::invalid_argument(
                    "publicUrl",
                    format!("with basePath and /callback, must stay {HTTP_URL} of at most 2048 characters"),
                ));
            }
        }
        Ok(ProxyConfig {
            client,
            app_uuid,
            brand_name,
            code_length,
            locale,
            base_path,
            allowed_origins,
            public_url,
            allowed_country_codes,
            allowed_countries,
            shadow,
            limits,
            proof_secrets,
            proof_issuer,
            proof_audience,
            proof_ttl_secs,
            trust_forwarded_for,
            subaccount_tokens,
        })
    }

    /// Where Plivo should send status callbacks, when the proxy is publicly reachable.
    pub fn callback_url(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|url| format!("{url}{}/callback", self.base_path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn text(s: &str) -> Arg {
        Arg::Text(s.into())
    }

    fn base() -> Vec<(String, Arg)> {
        vec![
            ("authId".into(), text("MAXXXXXXXXXXXXXXXXXX")),
            ("authToken".into(), text("token")),
            ("proofSecret".into(), text(&"s".repeat(32))),
        ]
    }

    #[test]
    fn defaults() {
        let c = ProxyConfig::from_options(Options::new(base())).unwrap();
        assert_eq!(c.base_path, "/verify");
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.proof_ttl_secs, 600);
        assert_eq!(c.callback_url(), None);
    }

    #[test]
    fn reads_everything() {
        let mut o = base();
        o.push(("basePath".into(), text("/otp/")));
        o.push(("publicUrl".into(), text("https://app.example.com/")));
        o.push((
            "allowedOrigins".into(),
            Arg::List(vec![text("https://app.example.com")]),
        ));
        o.push((
            "allowedCountryCodes".into(),
            Arg::List(vec![text("1"), text("44")]),
        ));
        o.push((
            "limits".into(),
            Arg::Map(vec![
                (
                    "sendsPerRecipient".into(),
                    Arg::List(vec![Arg::Number(2.0), Arg::Number(60.0)]),
                ),
                ("checksPerSession".into(), Arg::Number(3.0)),
            ]),
        ));
        let c = ProxyConfig::from_options(Options::new(o)).unwrap();
        assert_eq!(c.base_path, "/otp");
        assert_eq!(
            c.callback_url().as_deref(),
            Some("https://app.example.com/otp/callback")
        );
        assert_eq!(c.limits.sends_per_recipient, Window { count: 2, secs: 60 });
        assert_eq!(c.limits.checks_per_session, 3);
        assert_eq!(c.limits.sends_per_ip, Limits::default().sends_per_ip);
        assert_eq!(c.allowed_country_codes, ["1", "44"]);
    }

    #[test]
    fn the_callback_url_is_checked_once_with_its_path() {
        let host = format!("https://{}.example", "a".repeat(2000));
        let mut o = base();
        o.push(("publicUrl".into(), text(&host)));
        assert!(ProxyConfig::from_options(Options::new(o.clone())).is_ok());
        o.push(("basePath".into(), text(&format!("/{}", "v".repeat(40)))));
        let Err(e) = ProxyConfig::from_options(Options::new(o)) else {
            panic!("a callback URL over 2048 characters was accepted");
        };
        assert_eq!(e.argument.as_deref(), Some("publicUrl"));
    }

    #[test]
    fn refuses_bad_settings_by_name() {
        for (name, value) in [
            ("proofSecret", text("short")),
            ("basePath", text("verify")),
            ("allowedOrigins", text("https://a.example")),
            (
                "allowedOrigins",
                Arg::List(vec![text("https://a.example/path")]),
            ),
            ("allowedCountryCodes", Arg::List(vec![text("+1")])),
            (
                "limits",
                Arg::Map(vec![(
                    "sendsPerIp".into(),
                    Arg::List(vec![Arg::Number(1.0)]),
                )]),
            ),
            (
                "limits",
                Arg::Map(vec![("perDay".into(), Arg::Number(1.0))]),
            ),
            ("trustForwardedFor", text("yes")),
            ("trustForwardedFor", Arg::Number(0.0)),
            ("trustForwardedFor", Arg::Number(11.0)),
            ("trustForwardedFor", Arg::Number(1.5)),
            ("authToken", Arg::Absent),
            ("surprise", Arg::Bool(true)),
        ] {
            let mut o: Vec<(String, Arg)> = base().into_iter().filter(|(k, _)| k != name).collect();
            o.push((name.into(), value.clone()));
            let e = ProxyConfig::from_options(Options::new(o))
                .err()
                .expect(name);
            assert!(
                e.argument.as_deref().unwrap_or_default().starts_with(name),
                "{name}: {:?}",
                e.argument
            );
            assert!(
                !e.message.contains(&"s".repeat(32)),
                "no secret in messages"
            );
        }
    }
}
