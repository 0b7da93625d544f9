//! The one way tests and benches deliver a webhook the way Kisi does: a JSON POST to a real URL, signed
//! with `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` when there is a key. The signature is
//! computed here with `hmac` directly, not with Doorwatch's own signer, so a test checks Doorwatch's
//! verifier against an independent implementation (as `fake_kisi` signs what it sends).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Kisi's header value for `body` signed with `key`.
pub fn signature(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Posts `body` to `url` as Kisi would, signed with `key` when there is one; the status and the body
/// of the answer.
pub async fn deliver(client: &reqwest::Client, url: &str, body: &[u8], key: Option<&str>) -> (u16, String) {
    let mut request = client.post(url).header("content-type", "application/json").body(body.to_vec());
    if let Some(key) = key {
        request = request.header("x-signature", signature(key, body));
    }
    let response = request.send().await.expect("the receiver answers");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// [`deliver`] from a test that is not async.
#[allow(dead_code)] // each test binary compiles this file on its own and uses part of it
pub fn deliver_blocking(url: &str, body: &[u8], key: Option<&str>) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    rt.block_on(deliver(&reqwest::Client::new(), url, body, key))
}
