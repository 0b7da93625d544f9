//! Any `X-Signature` value: parsing never panics, and a header only verifies if it is the body's MAC.
#![no_main]

use doorwatch::receive::signature::{parse_header, SigningKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_header(data);
    let key = SigningKey::new("fuzz-signing-key").unwrap();
    let body = b"{\"uuid\":\"fuzz\"}";
    if key.verify(body, Some(data)).is_ok() {
        assert_eq!(parse_header(data).ok(), parse_header(key.sign(body).as_bytes()).ok());
    }
});
