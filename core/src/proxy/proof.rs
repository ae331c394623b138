//! The proof of verification: a JWT (HS256) that an app's server checks with `verifyProof`
//! or any JWT library pinned to HS256. Header `{"alg":"HS256","typ":"JWT","kid":<key id>}`;
//! claims, in this order:
//! `{"iss":<issuer>,"aud":<audience>,"sub":<session uuid>,"phone_number":<E.164>,"iat":<s>,
//! "exp":<s>,"jti":<id>}`.
//!
//! The key id names the secret (a hash of it, not the secret), so that a verifier holding
//! `[current, previous]` during a rotation picks the right one. The proof id is an HMAC of
//! the session and the time: unique per proof (a session is verified once) and not
//! guessable, for apps that accept each proof once.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::api::base64::Base64;
use crate::api::error::{Error, ErrorCode};
use crate::api::params::{SessionUuid, E164};

/// JWTs use base64url without padding.
const B64: Base64 = Base64::UrlSafe;

/// The default issuer and audience.
pub const ISSUER: &str = "plivo-verify-wasm";
/// Secrets a verifier (or the proxy, during a rotation) may hold.
pub const MAX_SECRETS: usize = 4;

/// Whether `text` may be an issuer or audience: written into the claims as is, so no
/// character JSON would escape.
pub fn is_claim_name(text: &str) -> bool {
    (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/@+".contains(&b))
}

/// What a proof says (what `verifyProof` hands JavaScript, in camelCase).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "VerifiedProof"))]
pub struct Proof {
    /// The verified session.
    #[cfg_attr(test, ts(as = "String"))]
    pub session_uuid: SessionUuid,
    /// The verified number, E.164 with `+`.
    #[cfg_attr(test, ts(as = "String"))]
    pub recipient: E164,
    /// Unix seconds when it was issued.
    pub issued_at: u64,
    /// Unix seconds after which the proof is worthless.
    pub expires_at: u64,
    /// Who issued it (`iss`).
    pub issuer: String,
    /// Whom it is for (`aud`).
    pub audience: String,
    /// Unique per proof (`jti`).
    pub id: String,
}

fn mac(secret: &str, signed: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(signed.as_bytes());
    mac
}

/// The key id of `secret`: 11 base64url characters of its SHA-256.
pub fn key_id(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    B64.encode(&digest[..8])
}

fn header(secret: &str) -> String {
    B64.encode(format!(
        r#"{{"alg":"HS256","typ":"JWT","kid":"{}"}}"#,
        key_id(secret)
    ))
}

/// The proof id of a session verified at `issued_at`.
fn proof_id(session_uuid: &str, issued_at: u64, secret: &str) -> String {
    let digest = mac(secret, &format!("jti:{session_uuid}:{issued_at}")).finalize();
    B64.encode(&digest.into_bytes()[..16])
}

/// Signs a proof that `recipient` verified `session_uuid` at `now_secs`, valid `ttl_secs`.
pub fn sign(
    session_uuid: &SessionUuid,
    recipient: &E164,
    now_secs: u64,
    ttl_secs: u64,
    issuer: &str,
    audience: &str,
    secret: &str,
) -> String {
    let claims = format!(
        r#"{{"iss":"{issuer}","aud":"{audience}","sub":"{session_uuid}","phone_number":"{recipient}","iat":{now_secs},"exp":{},"jti":"{}"}}"#,
        now_secs + ttl_secs,
        proof_id(session_uuid.as_str(), now_secs, secret)
    );
    let signed = format!("{}.{}", header(secret), B64.encode(claims));
    let signature = B64.encode(mac(secret, &signed).finalize().into_bytes());
    format!("{signed}.{signature}")
}

/// What a verifier requires besides the signature.
#[derive(Debug, Clone, Default)]
pub struct Expected<'a> {
    /// `aud` must be this, when given.
    pub audience: Option<&'a str>,
    /// `iss` must be this, when given.
    pub issuer: Option<&'a str>,
}

/// Checks a proof's signature with whichever of `secrets` its key id names (constant
/// time), its expiry at `now_secs`, and `expected`.
pub fn verify(
    token: &str,
    secrets: &[String],
    expected: &Expected<'_>,
    now_secs: u64,
) -> Result<Proof, Error> {
    let invalid = || {
        Error::new(
            ErrorCode::InvalidProof,
            "the proof is not one this proxy signed",
        )
    };
    let (signed, signature) = token.trim().rsplit_once('.').ok_or_else(invalid)?;
    let (head, claims) = signed.split_once('.').ok_or_else(invalid)?;
    let signature = B64.decode(signature).ok_or_else(invalid)?;
    let secret = secrets
        .iter()
        .find(|secret| header(secret) == head)
        .ok_or_else(invalid)?;
    if mac(secret, signed).verify_slice(&signature).is_err() {
        return Err(invalid());
    }
    // Signed by us, so the claims have exactly the layout `sign` writes.
    let claims =
        String::from_utf8(B64.decode(claims).ok_or_else(invalid)?).map_err(|_| invalid())?;
    let proof = parse_claims(&claims).ok_or_else(invalid)?;
    let wrong = |what: &str| {
        Error::new(
            ErrorCode::InvalidProof,
            format!("the proof is for another {what}"),
        )
    };
    if expected.audience.is_some_and(|a| a != proof.audience) {
        return Err(wrong("audience"));
    }
    if expected.issuer.is_some_and(|i| i != proof.issuer) {
        return Err(wrong("issuer"));
    }
    if now_secs >= proof.expires_at {
        return Err(Error::new(ErrorCode::ExpiredProof, "the proof has expired"));
    }
    Ok(proof)
}

fn parse_claims(claims: &str) -> Option<Proof> {
    let rest = claims.strip_prefix(r#"{"iss":""#)?;
    let (issuer, rest) = rest.split_once(r#"","aud":""#)?;
    let (audience, rest) = rest.split_once(r#"","sub":""#)?;
    let (session_uuid, rest) = rest.split_once(r#"","phone_number":""#)?;
    let (recipient, rest) = rest.split_once(r#"","iat":"#)?;
    let (issued_at, rest) = rest.split_once(r#","exp":"#)?;
    let (expires_at, rest) = rest.split_once(r#","jti":""#)?;
    let id = rest.strip_suffix(r#""}"#)?;
    if !(is_claim_name(issuer) && is_claim_name(audience) && recipient.starts_with('+')) {
        return None;
    }
    Some(Proof {
        session_uuid: SessionUuid::parse(session_uuid)?,
        recipient: E164::parse(recipient)?,
        issued_at: issued_at.parse().ok()?,
        expires_at: expires_at.parse().ok()?,
        issuer: issuer.to_owned(),
        audience: audience.to_owned(),
        id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "8e712097-8090-4644-81e7-8f4265d8354e";
    const SECRET: &str = "a-long-proof-secret-for-tests-0001";

    fn uuid() -> SessionUuid {
        SessionUuid::parse(UUID).unwrap()
    }

    fn token(secret: &str, audience: &str) -> String {
        sign(
            &uuid(),
            &E164::parse("+14155550100").unwrap(),
            1_000_000,
            600,
            ISSUER,
            audience,
            secret,
        )
    }

    fn secrets(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn round_trips_until_it_expires() {
        let t = token(SECRET, "https://app.example.com");
        assert_eq!(t.split('.').count(), 3, "a JWT");
        let p = verify(&t, &secrets(&[SECRET]), &Expected::default(), 1_000_599).unwrap();
        assert_eq!(
            (p.session_uuid.as_str(), p.recipient.as_str()),
            (UUID, "+14155550100")
        );
        assert_eq!((p.issued_at, p.expires_at), (1_000_000, 1_000_600));
        assert_eq!(p.audience, "https://app.example.com");
        assert_eq!(p.id.len(), 22);
        let e = verify(&t, &secrets(&[SECRET]), &Expected::default(), 1_000_600).unwrap_err();
        assert_eq!(e.code, ErrorCode::ExpiredProof);
    }

    #[test]
    fn is_a_standard_hs256_jwt() {
        // Checked against an independent HS256 computation (RFC 7515 layout).
        let t = token("secret", "app");
        let (signed, sig) = t.rsplit_once('.').unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(signed.as_bytes());
        assert_eq!(
            B64.decode(sig).unwrap(),
            mac.finalize().into_bytes().to_vec()
        );
        let part = |n| {
            let bytes = B64.decode(signed.split('.').nth(n).unwrap()).unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        };
        let (head, claims) = (part(0), part(1));
        assert_eq!(head["alg"], "HS256");
        assert_eq!(head["kid"], key_id("secret"));
        assert_eq!(claims["sub"], UUID);
        assert_eq!(claims["phone_number"], "+14155550100");
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], "app");
        assert_eq!(
            (claims["iat"].as_u64(), claims["exp"].as_u64()),
            (Some(1_000_000), Some(1_000_600))
        );
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() == 22));
    }

    #[test]
    fn a_rotation_accepts_the_previous_secret_by_its_key_id() {
        let old = token("the-previous-proof-secret-000000000", "app");
        let new = token(SECRET, "app");
        let both = secrets(&[SECRET, "the-previous-proof-secret-000000000"]);
        for t in [&old, &new] {
            assert!(verify(t, &both, &Expected::default(), 1_000_001).is_ok());
        }
        assert_eq!(
            verify(&old, &secrets(&[SECRET]), &Expected::default(), 1_000_001)
                .unwrap_err()
                .code,
            ErrorCode::InvalidProof,
            "once the old secret is dropped, its proofs are not accepted"
        );
        assert_ne!(
            key_id(SECRET),
            key_id("the-previous-proof-secret-000000000")
        );
    }

    #[test]
    fn audience_and_issuer_are_checked_when_asked() {
        let t = token(SECRET, "https://app.example.com");
        let s = secrets(&[SECRET]);
        let expect = |audience, issuer| Expected { audience, issuer };
        assert!(verify(
            &t,
            &s,
            &expect(Some("https://app.example.com"), Some(ISSUER)),
            1_000_001
        )
        .is_ok());
        for bad in [
            expect(Some("https://evil.example"), None),
            expect(None, Some("someone-else")),
        ] {
            assert_eq!(
                verify(&t, &s, &bad, 1_000_001).unwrap_err().code,
                ErrorCode::InvalidProof
            );
        }
    }

    #[test]
    fn refuses_forgeries() {
        let t = token(SECRET, "app");
        let s = secrets(&[SECRET]);
        for bad in [
            String::new(),
            "x".into(),
            "a.b.c".into(),
            t.replace("eyJ", "eyK"),
            format!("{t}x"),
            token("another-secret-of-32-characters-xx", "app"),
        ] {
            assert_eq!(
                verify(&bad, &s, &Expected::default(), 1_000_000)
                    .unwrap_err()
                    .code,
                ErrorCode::InvalidProof,
                "{bad}"
            );
        }
        // Claims swapped under a valid signature no longer match it.
        let other = sign(
            &uuid(),
            &E164::parse("+14155550199").unwrap(),
            1_000_000,
            600,
            ISSUER,
            "app",
            SECRET,
        );
        let mut parts: Vec<&str> = t.split('.').collect();
        parts[1] = other.split('.').nth(1).unwrap();
        assert_eq!(
            verify(&parts.join("."), &s, &Expected::default(), 1_000_000)
                .unwrap_err()
                .code,
            ErrorCode::InvalidProof
        );
        // "alg":"none" and other headers are not ours: refused before any MAC.
        let none = format!(
            "{}.{}.",
            B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert!(verify(&none, &s, &Expected::default(), 1_000_000).is_err());
    }
}
