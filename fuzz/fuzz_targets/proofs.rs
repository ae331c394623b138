//! Proofs of verification (HS256 JWTs) as `verifyProof` reads them: any token, and tokens
//! this proxy signed, checked at any time against any audience and issuer.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use plivo_verify_core::api::params::{Arg, SessionUuid, E164};
use plivo_verify_core::proxy::proof::{self, is_claim_name, Expected};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    token: &'a str,
    secrets: Vec<String>,
    audience: Option<&'a str>,
    issuer: Option<&'a str>,
    now: u64,
    /// A proof to sign: session, number, issued at, lifetime, issuer, audience.
    signed: Option<(u128, u64, u32, u16, &'a str, &'a str)>,
}

const SECRET: &str = "proof-secret-of-at-least-32-characters";

fuzz_target!(|input: Input<'_>| {
    let secrets: Vec<String> = input.secrets.into_iter().take(8).collect();
    let expected = Expected {
        audience: input.audience,
        issuer: input.issuer,
    };
    let _ = proof::verify(input.token, &secrets, &expected, input.now);

    let Some((uuid, number, issued, ttl, issuer, audience)) = input.signed else {
        return;
    };
    // A valid session and number made of the fuzzer's integers (so that signing is always
    // reached); issuer and audience as given when they may be claims.
    let hex = format!("{uuid:032x}");
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    );
    let number = format!("+1415{:07}", number % 10_000_000);
    let (Ok(uuid), Ok(number)) = (
        SessionUuid::from_arg("sessionUuid", Arg::Text(uuid)),
        E164::from_arg("recipient", Arg::Text(number)),
    ) else {
        panic!("a well-formed session UUID or number is refused");
    };
    let issuer = if is_claim_name(issuer) {
        issuer
    } else {
        "verify.example.com"
    };
    let audience = if is_claim_name(audience) {
        audience
    } else {
        "app.example.com"
    };
    let (issued, ttl) = (u64::from(issued), u64::from(ttl).max(1));
    let token = proof::sign(&uuid, &number, issued, ttl, issuer, audience, SECRET);
    let secrets = [SECRET.to_owned()];
    let expected = Expected {
        audience: Some(audience),
        issuer: Some(issuer),
    };
    let proof = proof::verify(&token, &secrets, &expected, issued)
        .unwrap_or_else(|e| panic!("a proof just signed is refused: {e}"));
    assert_eq!(proof.session_uuid.as_str(), uuid.as_str());
    assert!(
        proof::verify(&token, &secrets, &expected, issued + ttl + 1).is_err(),
        "expired"
    );
    let other = ["another-secret-of-at-least-32-characters".to_owned()];
    assert!(
        proof::verify(&token, &other, &expected, issued).is_err(),
        "another secret"
    );
});
