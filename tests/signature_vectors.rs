//! The published signature vectors (tests/fixtures/README.md) in every encoding Kisi might use.

use doorwatch::receive::signature::{parse_header, SignatureError, SigningKey};

const BODY: &[u8] = br#"{"uuid":"3f1c2a9e-8b7d-4c55-9e0a-1d2b3c4d5e6f","type":"lock.unlock","success":true}"#;
const HEX: &str = "97e99029fa2f2d861d130d1bfd1eb321c649b610df9f7c7294faa07e8a17b4f9";
const B64: &str = "l+mQKfovLYYdEw0b/R6zIcZJthDfn3xylPqgfooXtPk=";

fn key() -> SigningKey {
    SigningKey::new("test-signature-key").unwrap()
}

#[test]
fn kisi_vector_verifies_in_every_accepted_form() {
    assert_eq!(BODY.len(), 83);
    for header in [
        format!("sha256={HEX}"),
        HEX.to_owned(),
        HEX.to_uppercase(),
        format!("SHA256={}", HEX.to_uppercase()),
        B64.to_owned(),
        format!("sha256={B64}"),
        B64.trim_end_matches('=').to_owned(),
        B64.replace('+', "-").replace('/', "_"),
        format!("  sha256={HEX}  "),
    ] {
        assert_eq!(key().verify(BODY, Some(header.as_bytes())), Ok(()), "header {header:?}");
    }
}

#[test]
fn signing_produces_kisis_header_form() {
    assert_eq!(key().sign(BODY), format!("sha256={HEX}"));
}

#[test]
fn githubs_published_vector_verifies() {
    let key = SigningKey::new("It's a Secret to Everybody").unwrap();
    let hex = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(key.verify(b"Hello, World!", Some(format!("sha256={hex}").as_bytes())), Ok(()));
}

#[test]
fn wrong_key_is_a_mismatch() {
    let other = SigningKey::new("another-key").unwrap();
    assert_eq!(other.verify(BODY, Some(HEX.as_bytes())), Err(SignatureError::Mismatch));
}

#[test]
fn one_flipped_body_byte_is_a_mismatch() {
    for i in [0, 40, BODY.len() - 1] {
        let mut body = BODY.to_vec();
        body[i] ^= 0x01;
        assert_eq!(key().verify(&body, Some(HEX.as_bytes())), Err(SignatureError::Mismatch), "byte {i}");
    }
}

#[test]
fn one_flipped_digest_digit_is_a_mismatch() {
    let mut digest = HEX.to_owned();
    digest.replace_range(10..11, if &digest[10..11] == "0" { "1" } else { "0" });
    assert_eq!(key().verify(BODY, Some(digest.as_bytes())), Err(SignatureError::Mismatch));
}

#[test]
fn missing_and_malformed_headers_are_told_apart() {
    assert_eq!(key().verify(BODY, None), Err(SignatureError::Missing));
    assert_eq!(key().verify(BODY, Some(b"sha256=not-a-digest")), Err(SignatureError::Malformed));
    assert_eq!(parse_header(format!("sha1={HEX}").as_bytes()), Err(SignatureError::Malformed));
    assert_eq!(parse_header(&HEX.as_bytes()[..62]), Err(SignatureError::Malformed));
}
