//! How the client waits and retries, and how a failed connection is put into words: the pause
//! between tries, Kisi's `Retry-After` when it sends one, and a transport error without the URL.

use std::time::Duration;

/// 0.5 s, 1 s, 2 s, 4 s, … at most 8 s.
pub(super) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(4))
}

pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get("retry-after")?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(60)))
}

/// A transport failure in words, without the URL's query (which may hold a cursor) or any header.
pub(super) fn describe_transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        "connection refused or no route".to_owned()
    } else {
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        let mut last = None;
        while let Some(s) = source {
            last = Some(s.to_string());
            source = s.source();
        }
        last.unwrap_or_else(|| "connection closed without an answer".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(20), Duration::from_secs(8));
    }
}
