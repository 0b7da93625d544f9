//! Deliveries the receiver refused before they reached the store: why ([`RejectReason`], with the
//! words the status bar uses) and the record kept in the bounded rejection log.

use serde::Serialize;

/// Why a delivery was refused before it reached the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    BrowserOrigin,
    HostNotAllowed,
    UnsupportedMediaType,
    TooLarge,
    Timeout,
    MissingSignature,
    MalformedSignature,
    BadSignature,
    MalformedJson,
    NotAnObject,
    /// The signing key could not be read (a locked keyring): refused with 503 so that Kisi retries.
    KeyUnreadable,
    /// The receiver is public, has no signing key, and unsigned deliveries were not chosen.
    UnsignedRefused,
    /// More unverified deliveries in a minute than a public receiver stores.
    TooManyUnverified,
}

impl RejectReason {
    pub const ALL: [RejectReason; 13] = [
        RejectReason::BrowserOrigin,
        RejectReason::HostNotAllowed,
        RejectReason::UnsupportedMediaType,
        RejectReason::TooLarge,
        RejectReason::Timeout,
        RejectReason::MissingSignature,
        RejectReason::MalformedSignature,
        RejectReason::BadSignature,
        RejectReason::MalformedJson,
        RejectReason::NotAnObject,
        RejectReason::KeyUnreadable,
        RejectReason::UnsignedRefused,
        RejectReason::TooManyUnverified,
    ];

    pub fn parse(s: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::BrowserOrigin => "browser_origin",
            RejectReason::HostNotAllowed => "host_not_allowed",
            RejectReason::UnsupportedMediaType => "unsupported_media_type",
            RejectReason::TooLarge => "too_large",
            RejectReason::Timeout => "timeout",
            RejectReason::MissingSignature => "missing_signature",
            RejectReason::MalformedSignature => "malformed_signature",
            RejectReason::BadSignature => "bad_signature",
            RejectReason::MalformedJson => "malformed_json",
            RejectReason::NotAnObject => "not_an_object",
            RejectReason::KeyUnreadable => "signing_key_unreadable",
            RejectReason::UnsignedRefused => "unsigned_refused",
            RejectReason::TooManyUnverified => "too_many_unverified",
        }
    }

    /// Words for the status bar: "3 rejected: bad signature".
    pub fn describe(self) -> &'static str {
        match self {
            RejectReason::BrowserOrigin => "sent by a web browser",
            RejectReason::HostNotAllowed => "wrong Host header",
            RejectReason::UnsupportedMediaType => "not JSON",
            RejectReason::TooLarge => "too large",
            RejectReason::Timeout => "too slow",
            RejectReason::MissingSignature => "no signature",
            RejectReason::MalformedSignature => "unreadable signature",
            RejectReason::BadSignature => "bad signature",
            RejectReason::MalformedJson => "malformed JSON",
            RejectReason::NotAnObject => "not an event object",
            RejectReason::KeyUnreadable => "signing key unreadable",
            RejectReason::UnsignedRefused => "unsigned, refused",
            RejectReason::TooManyUnverified => "too many unverified",
        }
    }
}

/// A refused delivery, for the bounded rejection log.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub at: i64,
    pub reason: RejectReason,
    pub size: u64,
    /// A short explanation, never the body or a signature; at most a quoted, shortened Host or Content-Type.
    pub detail: String,
}
