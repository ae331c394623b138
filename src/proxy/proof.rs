//! The proof of verification: a JWT (HS256, signed with the proxy's `proofSecret`) that an
//! app's server can check with `verifyProof` or any JWT library. Claims, in this order:
//! `{"iss":"plivo-verify-wasm","sub":<session uuid>,"phone_number":<E.164>,"iat":<s>,"exp":<s>}`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::api::base64::Base64;
use crate::api::error::{Error, ErrorCode};
use crate::api::json::Json;
use crate::api::model::ToJson;
use crate::api::params::{is_e164, is_uuid};

/// JWTs use base64url without padding.
const B64: Base64 = Base64::UrlSafe;

/// `{"alg":"HS256","typ":"JWT"}`, base64url.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
/// The issuer claim.
pub const ISSUER: &str = "plivo-verify-wasm";

/// What a proof says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The verified session.
    pub session_uuid: String,
    /// The verified number, E.164 with `+`.
    pub recipient: String,
    /// Unix seconds after which the proof is worthless.
    pub expires_at: u64,
}

impl ToJson for Proof {
    fn to_json(&self) -> Json<'_> {
        Json::Object(vec![
            ("sessionUuid", Json::str(self.session_uuid.as_str())),
            ("recipient", Json::str(self.recipient.as_str())),
            ("expiresAt", Json::Int(self.expires_at)),
        ])
    }
}

fn mac(secret: &str, signed: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(signed.as_bytes());
    mac
}

/// Signs a proof issued at `now_secs`.
pub fn sign(proof: &Proof, now_secs: u64, secret: &str) -> String {
    let claims = format!(
        r#"{{"iss":"{ISSUER}","sub":"{}","phone_number":"{}","iat":{now_secs},"exp":{}}}"#,
        proof.session_uuid, proof.recipient, proof.expires_at
    );
    let signed = format!("{HEADER}.{}", B64.encode(claims));
    let signature = B64.encode(mac(secret, &signed).finalize().into_bytes());
    format!("{signed}.{signature}")
}

/// Checks a proof's signature (constant time) and expiry at `now_secs`.
pub fn verify(token: &str, secret: &str, now_secs: u64) -> Result<Proof, Error> {
    let invalid = || {
        Error::new(
            ErrorCode::InvalidProof,
            "the proof is not one this proxy signed",
        )
    };
    let (signed, signature) = token.trim().rsplit_once('.').ok_or_else(invalid)?;
    let (header, claims) = signed.split_once('.').ok_or_else(invalid)?;
    let signature = B64.decode(signature).ok_or_else(invalid)?;
    if header != HEADER || mac(secret, signed).verify_slice(&signature).is_err() {
        return Err(invalid());
    }
    // Signed by us, so the claims have exactly the layout `sign` writes.
    let claims =
        String::from_utf8(B64.decode(claims).ok_or_else(invalid)?).map_err(|_| invalid())?;
    let proof = parse_claims(&claims).ok_or_else(invalid)?;
    if now_secs >= proof.expires_at {
        return Err(Error::new(ErrorCode::ExpiredProof, "the proof has expired"));
    }
    Ok(proof)
}

fn parse_claims(claims: &str) -> Option<Proof> {
    let rest = claims.strip_prefix(&format!(r#"{{"iss":"{ISSUER}","sub":""#))?;
    let (session_uuid, rest) = rest.split_once(r#"","phone_number":""#)?;
    let (recipient, rest) = rest.split_once(r#"","iat":"#)?;
    let (_, rest) = rest.split_once(r#","exp":"#)?;
    let expires_at = rest.strip_suffix('}')?.parse().ok()?;
    (is_uuid(session_uuid) && recipient.starts_with('+') && is_e164(recipient)).then(|| Proof {
        session_uuid: session_uuid.to_owned(),
        recipient: recipient.to_owned(),
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof() -> Proof {
        Proof {
            session_uuid: "8e712097-8090-4644-81e7-8f4265d8354e".into(),
            recipient: "+14155550100".into(),
            expires_at: 1_000_600,
        }
    }

    #[test]
    fn round_trips_until_it_expires() {
        let token = sign(&proof(), 1_000_000, "a-long-proof-secret-for-tests");
        assert_eq!(token.split('.').count(), 3, "a JWT");
        assert_eq!(
            verify(&token, "a-long-proof-secret-for-tests", 1_000_599),
            Ok(proof())
        );
        let e = verify(&token, "a-long-proof-secret-for-tests", 1_000_600).unwrap_err();
        assert_eq!(e.code, ErrorCode::ExpiredProof);
    }

    #[test]
    fn is_a_standard_hs256_jwt() {
        // Checked against an independent HS256 computation (RFC 7515 layout).
        let token = sign(&proof(), 1_000_000, "secret");
        let (signed, sig) = token.rsplit_once('.').unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(signed.as_bytes());
        assert_eq!(
            B64.decode(sig).unwrap(),
            mac.finalize().into_bytes().to_vec()
        );
        let claims =
            String::from_utf8(B64.decode(signed.split('.').nth(1).unwrap()).unwrap()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&claims).unwrap();
        assert_eq!(json["sub"], "8e712097-8090-4644-81e7-8f4265d8354e");
        assert_eq!(json["phone_number"], "+14155550100");
        assert_eq!(json["exp"], 1_000_600);
        assert_eq!(json["iat"], 1_000_000);
    }

    #[test]
    fn refuses_forgeries() {
        let token = sign(&proof(), 1_000_000, "secret");
        for bad in [
            String::new(),
            "x".into(),
            "a.b.c".into(),
            token.replace("eyJ", "eyK"),
            format!("{token}x"),
            sign(&proof(), 1_000_000, "another-secret"),
        ] {
            assert_eq!(
                verify(&bad, "secret", 1_000_000).unwrap_err().code,
                ErrorCode::InvalidProof,
                "{bad}"
            );
        }
        // A token whose claims were swapped keeps a signature that no longer matches.
        let (h, _) = token.split_once('.').unwrap();
        let other = sign(
            &Proof {
                recipient: "+14155550199".into(),
                ..proof()
            },
            1_000_000,
            "secret",
        );
        let forged = format!(
            "{h}.{}.{}",
            other.split('.').nth(1).unwrap(),
            token.rsplit('.').next().unwrap()
        );
        assert_eq!(
            verify(&forged, "secret", 1_000_000).unwrap_err().code,
            ErrorCode::InvalidProof
        );
    }
}
