//! Which country a phone number is in, from its digits: the `allowedCountries` guard.
//!
//! Outside the North American Numbering Plan a country is told by its calling code (ITU-T
//! E.164 assignments). Where several ISO 3166 countries share a calling code (+44: GB, GG,
//! IM, JE; +590: GP, BL, MF; …) they are not told apart, so allowing one allows the group,
//! except +7, where Kazakhstan's numbers start 6 or 7. Inside NANP (+1) the area code
//! decides: the tables below are NANPA's assignments outside the United States, written
//! from NANPA's published lists. Witness checked: every Canadian code of reiver/go-e164's
//! `areacodes_ca_test.go` is here; 257, 273, 460, 942 (newer assignments) and the
//! non-geographic 600 and 622 are not in that copy and were not checked against another.
//! Any other geographic area code is the United States, so when NANPA assigns a new area
//! code outside the US it must be added here, or it would count as "US".

/// `ISO calling-code` pairs, one per country (NANP members are in [`NANP`]).
const CALLING_CODES: &str = "RU7 KZ7 EG20 ZA27 GR30 NL31 BE32 FR33 ES34 HU36 IT39 VA39 RO40 \
CH41 AT43 GB44 GG44 IM44 JE44 DK45 SE46 NO47 SJ47 PL48 DE49 PE51 MX52 CU53 AR54 BR55 CL56 \
CO57 VE58 MY60 AU61 CX61 CC61 ID62 PH63 NZ64 SG65 TH66 JP81 KR82 VN84 CN86 TR90 IN91 PK92 \
AF93 LK94 MM95 IR98 SS211 MA212 EH212 DZ213 TN216 LY218 GM220 SN221 MR222 ML223 GN224 CI225 \
BF226 NE227 TG228 BJ229 MU230 LR231 SL232 GH233 NG234 TD235 CF236 CM237 CV238 ST239 GQ240 \
GA241 CG242 CD243 AO244 GW245 IO246 SC248 SD249 RW250 ET251 SO252 DJ253 KE254 TZ255 UG256 \
BI257 MZ258 ZM260 MG261 RE262 YT262 ZW263 NA264 MW265 LS266 BW267 SZ268 KM269 SH290 ER291 \
AW297 FO298 GL299 GI350 PT351 LU352 IE353 IS354 AL355 MT356 CY357 FI358 AX358 BG359 LT370 \
LV371 EE372 MD373 AM374 BY375 AD376 MC377 SM378 UA380 RS381 ME382 HR385 SI386 BA387 MK389 \
CZ420 SK421 LI423 FK500 BZ501 GT502 SV503 HN504 NI505 CR506 PA507 PM508 HT509 GP590 BL590 \
MF590 BO591 GY592 EC593 GF594 PY595 MQ596 SR597 UY598 CW599 BQ599 TL670 NF672 BN673 NR674 \
PG675 TO676 SB677 VU678 FJ679 PW680 WF681 CK682 NU683 WS685 KI686 NC687 TV688 PF689 TK690 \
FM691 MH692 KP850 HK852 MO853 KH855 LA856 BD880 TW886 MV960 LB961 JO962 SY963 IQ964 KW965 \
SA966 YE967 OM968 PS970 AE971 IL972 BH973 QA974 BT975 MN976 NP977 TJ992 TM993 AZ994 GE995 \
KG996 UZ998";

/// NANP countries other than the US, each with its area codes.
const NANP: &str = "CA204,226,236,249,250,257,263,273,289,306,343,354,365,367,368,382,403,\
416,418,428,431,437,438,450,460,468,474,506,514,519,548,579,581,584,587,600,604,613,622,639,\
647,672,683,705,709,742,753,778,780,782,807,819,825,867,873,879,902,905,942 AG268 AI264 AS684 \
BB246 BM441 BS242 DM767 DO809,829,849 GD473 GU671 JM658,876 KN869 KY345 LC758 MP670 MS664 \
PR787,939 SX721 TC649 TT868 VC784 VG284 VI340";

/// NANP codes that are no place (toll-free, personal and premium services): no country.
const NANP_NON_GEOGRAPHIC: &str = "500,533,544,566,577,588,700,710,800,833,844,855,866,877,888,900";

fn pairs(table: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    table
        .split_ascii_whitespace()
        .map(|entry| entry.split_at(2.min(entry.len())))
}

/// Whether `code` is an ISO 3166 alpha-2 code this table knows.
pub fn is_country(code: &str) -> bool {
    code == "US"
        || pairs(CALLING_CODES)
            .chain(pairs(NANP))
            .any(|(iso, _)| iso == code)
}

/// The ISO codes a number (E.164 digits, no `+`) may belong to; empty when none.
pub fn countries_of(digits: &str) -> Vec<&'static str> {
    if let Some(national) = digits.strip_prefix('1') {
        let area = national.get(..3).unwrap_or_default();
        if area.len() < 3 || NANP_NON_GEOGRAPHIC.split(',').any(|c| c == area) {
            return Vec::new();
        }
        let owner = pairs(NANP).find(|(_, areas)| areas.split(',').any(|a| a == area));
        return vec![owner.map_or("US", |(iso, _)| iso)];
    }
    if let Some(national) = digits.strip_prefix('7') {
        let kazakh = matches!(national.as_bytes().first(), Some(b'6' | b'7'));
        return vec![if kazakh { "KZ" } else { "RU" }];
    }
    // Calling codes are prefix-free: at most one length matches.
    (2..=3)
        .filter_map(|len| digits.get(..len))
        .find_map(|code| {
            let group: Vec<_> = pairs(CALLING_CODES)
                .filter(|(_, c)| *c == code)
                .map(|(iso, _)| iso)
                .collect();
            (!group.is_empty()).then_some(group)
        })
        .unwrap_or_default()
}

/// Whether a number (E.164 digits) is in one of `allowed` (ISO codes).
pub fn is_in(digits: &str, allowed: &[String]) -> bool {
    countries_of(digits)
        .iter()
        .any(|iso| allowed.iter().any(|a| a == iso))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanp_numbers_are_told_apart_by_area_code() {
        for (number, country) in [
            ("14155550100", "US"),
            ("12125550100", "US"),
            ("14165550100", "CA"),
            ("16045550100", "CA"),
            ("18765550100", "JM"),
            ("16585550100", "JM"),
            ("18095550100", "DO"),
            ("18295550100", "DO"),
            ("12425550100", "BS"),
            ("17875550100", "PR"),
            ("13405550100", "VI"),
            ("16715550100", "GU"),
            ("14415550100", "BM"),
        ] {
            assert_eq!(countries_of(number), [country], "{number}");
        }
        for none in ["19005550100", "18005550100", "187"] {
            assert!(countries_of(none).is_empty(), "{none}");
        }
    }

    #[test]
    fn other_countries_by_calling_code() {
        assert_eq!(countries_of("447700900123"), ["GB", "GG", "IM", "JE"]);
        assert_eq!(countries_of("919876543210"), ["IN"]);
        assert_eq!(countries_of("4915123456789"), ["DE"]);
        assert_eq!(countries_of("2348012345678"), ["NG"]);
        assert_eq!(countries_of("3716123456"), ["LV"]);
        assert_eq!(countries_of("79161234567"), ["RU"]);
        assert_eq!(countries_of("77012345678"), ["KZ"]);
        assert!(countries_of("8081234567").is_empty(), "+808 is no country");
    }

    #[test]
    fn allowing_us_and_canada_refuses_the_caribbean() {
        let allowed = ["US".to_owned(), "CA".to_owned()];
        assert!(is_in("14155550100", &allowed));
        assert!(is_in("15145550100", &allowed));
        for refused in ["18765550100", "18095550100", "12685550100", "447700900123"] {
            assert!(!is_in(refused, &allowed), "{refused}");
        }
    }

    #[test]
    fn the_tables_are_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for (iso, codes) in pairs(CALLING_CODES).chain(pairs(NANP)) {
            assert!(iso.bytes().all(|b| b.is_ascii_uppercase()) && iso.len() == 2);
            assert!(seen.insert(iso), "{iso} twice");
            assert!(!codes.is_empty());
            assert!(codes
                .split(',')
                .all(|c| (1..=3).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit())));
        }
        assert!(seen.len() > 230, "{}", seen.len());
        let mut areas = std::collections::BTreeSet::new();
        for (_, codes) in pairs(NANP) {
            for area in codes.split(',') {
                assert!(areas.insert(area), "area code {area} twice");
            }
        }
        for area in NANP_NON_GEOGRAPHIC.split(',') {
            assert!(!areas.contains(area), "{area}");
        }
        assert!(is_country("US") && is_country("JM") && is_country("GB"));
        assert!(!is_country("XX") && !is_country("us"));
    }
}
