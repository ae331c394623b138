//! A small price table by calling code, standing in for Plivo's per-country pricing.

use super::session::Channel;

/// Money in units of 1/100000 (Plivo shows attempt charges with five decimals).
pub type Money = u64;

struct Country {
    calling_code: &'static str,
    iso2: &'static str,
    network: &'static str,
    sms: Money,
    voice: Money,
    validation: Money,
}

const COUNTRIES: [Country; 6] = [
    Country {
        calling_code: "1",
        iso2: "US",
        network: "Sandbox US Mobile",
        sms: 550,
        voice: 1_300,
        validation: 3_000,
    },
    Country {
        calling_code: "33",
        iso2: "FR",
        network: "Sandbox FR Mobile",
        sms: 7_500,
        voice: 2_000,
        validation: 5_000,
    },
    Country {
        calling_code: "44",
        iso2: "GB",
        network: "Sandbox UK Mobile",
        sms: 4_000,
        voice: 1_500,
        validation: 4_000,
    },
    Country {
        calling_code: "49",
        iso2: "DE",
        network: "Sandbox DE Mobile",
        sms: 8_500,
        voice: 2_000,
        validation: 5_000,
    },
    Country {
        calling_code: "61",
        iso2: "AU",
        network: "Sandbox AU Mobile",
        sms: 5_000,
        voice: 3_000,
        validation: 4_000,
    },
    Country {
        calling_code: "91",
        iso2: "IN",
        network: "Jio",
        sms: 8_000,
        voice: 3_300,
        validation: 5_000,
    },
];
const OTHER_SMS: Money = 5_000;
const OTHER_VOICE: Money = 3_000;
const OTHER_VALIDATION: Money = 5_000;

fn country(recipient: &str) -> Option<&'static Country> {
    COUNTRIES
        .iter()
        .find(|c| recipient.starts_with(c.calling_code))
}

/// ISO 3166 alpha-2 code of a recipient (digits, no `+`), when the table knows it.
pub fn country_iso2(recipient: &str) -> Option<&'static str> {
    country(recipient).map(|c| c.iso2)
}

/// The network a recipient is on, when the table knows the country.
pub fn network(recipient: &str) -> Option<&'static str> {
    country(recipient).map(|c| c.network)
}

/// What a successful validation costs.
pub fn validation_charge(recipient: &str) -> Money {
    country(recipient).map_or(OTHER_VALIDATION, |c| c.validation)
}

/// Price of one attempt; an unanswered call costs nothing.
pub fn attempt_charge(recipient: &str, channel: &Channel, answered: bool) -> Money {
    let known = country(recipient);
    match channel {
        Channel::Voice if !answered => 0,
        Channel::Voice => known.map_or(OTHER_VOICE, |c| c.voice),
        _ => known.map_or(OTHER_SMS, |c| c.sms),
    }
}

/// `0.08000`: an attempt charge as Plivo shows it.
pub fn five_decimals(amount: Money) -> String {
    format!("{}.{:05}", amount / 100_000, amount % 100_000)
}

/// `0.0500`: a validation charge as the reference shows it.
pub fn four_decimals(amount: Money) -> String {
    let text = five_decimals(amount);
    text[..text.len() - 1].to_owned()
}

/// `0.113`: a total as Plivo shows it (trailing zeros trimmed, one decimal kept).
pub fn trimmed(amount: Money) -> String {
    let text = five_decimals(amount);
    let trimmed = text.trim_end_matches('0');
    if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_reference() {
        assert_eq!(five_decimals(8_000), "0.08000");
        assert_eq!(five_decimals(3_300), "0.03300");
        assert_eq!(trimmed(8_000), "0.08");
        assert_eq!(trimmed(11_300), "0.113");
        assert_eq!(trimmed(0), "0.0");
        assert_eq!(trimmed(100_000), "1.0");
        assert_eq!(four_decimals(0), "0.0000");
        assert_eq!(four_decimals(5_000), "0.0500");
    }

    #[test]
    fn prices_by_calling_code() {
        assert_eq!(attempt_charge("918681951370", &Channel::Sms, true), 8_000);
        assert_eq!(attempt_charge("919380013443", &Channel::Voice, true), 3_300);
        assert_eq!(attempt_charge("919380013443", &Channel::Voice, false), 0);
        assert_eq!(
            attempt_charge("8613800000000", &Channel::Sms, true),
            OTHER_SMS
        );
        assert_eq!(country_iso2("14155550100"), Some("US"));
        assert_eq!(country_iso2("8613800000000"), None);
    }
}
