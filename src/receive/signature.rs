//! Webhook signature checking: HMAC-SHA256 over the raw body, carried in `X-Signature`.
//!
//! Kisi documents the header as `sha256=<MAC>` in one place and a bare value in another, and never says
//! whether the MAC is hex or base64, so the parser accepts an optional `sha256=` prefix and lower- or
//! upper-case hex or base64. The comparison itself is constant-time (`Mac::verify_slice`).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The shared secret between Kisi and this receiver. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// A key from its text form; `None` for an empty or all-blank key, which means "no check".
    pub fn new(key: &str) -> Option<SigningKey> {
        let key = key.trim();
        (!key.is_empty()).then(|| SigningKey(key.as_bytes().to_vec()))
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.0).expect("HMAC accepts keys of any length")
    }

    /// The header value Kisi would send for `body`: `sha256=<lowercase hex>`.
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// Checks an `X-Signature` header value (or its absence) against `body`.
    pub fn verify(&self, body: &[u8], header: Option<&[u8]>) -> Result<(), SignatureError> {
        let digest = parse_header(header.ok_or(SignatureError::Missing)?)?;
        let mut mac = self.mac();
        mac.update(body);
        mac.verify_slice(&digest).map_err(|_| SignatureError::Mismatch)
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// Why a delivery's signature was not accepted. The messages are safe to log and to return to the
/// sender: they never contain the key or the expected digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Signature header is missing, but a signing key is configured")]
    Missing,
    #[error("the X-Signature header is not a SHA-256 digest in hex or base64")]
    Malformed,
    #[error("the X-Signature header does not match the body (is the signing key the same as in Kisi?)")]
    Mismatch,
}

/// Reads the 32-byte digest out of a header value: optional `sha256=` (any case), then 64 hex digits
/// (any case) or base64 (standard or URL-safe alphabet, padded or not).
pub fn parse_header(value: &[u8]) -> Result<[u8; 32], SignatureError> {
    let text = std::str::from_utf8(value).map_err(|_| SignatureError::Malformed)?.trim();
    let text = match text.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sha256=") => &text[7..],
        _ => text,
    };
    let mut digest = [0u8; 32];
    if text.len() == 64 && hex::decode_to_slice(text, &mut digest).is_ok() {
        return Ok(digest);
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    for engine in engines {
        if let Ok(bytes) = engine.decode(text) {
            if let Ok(d) = <[u8; 32]>::try_from(bytes.as_slice()) {
                return Ok(d);
            }
        }
    }
    Err(SignatureError::Malformed)
}

/// A fresh random signing key for a new integration: 32 random bytes as 64 hex characters.
pub fn generate_key() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = SigningKey::new("hunter2-very-secret").unwrap();
        assert!(!format!("{key:?}").contains("hunter2"));
    }

    #[test]
    fn blank_keys_mean_no_check() {
        assert!(SigningKey::new("  ").is_none());
        assert!(SigningKey::new("").is_none());
    }

    #[test]
    fn generated_keys_are_long_and_distinct() {
        let (a, b) = (generate_key(), generate_key());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_length_digests_are_malformed() {
        assert_eq!(parse_header(b"sha256=abcd"), Err(SignatureError::Malformed));
        assert_eq!(parse_header(b""), Err(SignatureError::Malformed));
        assert_eq!(parse_header(&[0xff, 0xfe]), Err(SignatureError::Malformed));
    }
}
