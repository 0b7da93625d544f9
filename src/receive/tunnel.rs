//! The ngrok tunnel: a public HTTPS address for the receiver, opened in-process with the `ngrok` crate.
//!
//! The tunnel is a listener, not a proxy: ngrok hands over the connections it accepted at its edge, and
//! they are served by the same ingest router as the loopback socket (webhook and health check only —
//! the UI never goes through it), accepting only the tunnel's own public Host. Its state is a value the
//! tray, the window and `doorwatch serve` show: off, connecting, online (with the URL) or offline (with
//! the reason). A bad token or a domain the account does not own is said as such and not retried until
//! the settings change; a network problem is retried with a growing pause. Whatever the tunnel does,
//! the local receiver keeps storing events.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::TryStreamExt;
use ngrok::prelude::*;
use serde::Serialize;
use tokio::sync::{oneshot, watch};

use crate::receive::ingest::{self, IngestConfig, KeySlot};
use crate::store::Store;

/// How long opening a session and its endpoint may take before it counts as "no answer".
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Pauses between reconnection attempts: 1 s, 2 s, 4 s, … at most a minute.
const MAX_PAUSE: Duration = Duration::from_secs(60);

/// What the tunnel is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TunnelStatus {
    /// No authtoken: the receiver is local only.
    Off,
    Connecting,
    Online {
        url: String,
    },
    Offline {
        problem: Problem,
        reason: String,
    },
}

impl TunnelStatus {
    pub fn url(&self) -> Option<&str> {
        match self {
            TunnelStatus::Online { url } => Some(url),
            _ => None,
        }
    }

    /// In words, for the tray, the status bar and `serve`.
    pub fn describe(&self) -> String {
        match self {
            TunnelStatus::Off => "tunnel off (no ngrok authtoken): Kisi cannot reach this computer".to_owned(),
            TunnelStatus::Connecting => "tunnel connecting…".to_owned(),
            TunnelStatus::Online { url } => format!("tunnel online at {url}"),
            TunnelStatus::Offline { reason, .. } => format!("tunnel offline: {reason}"),
        }
    }
}

/// Why the tunnel is offline, so the UI can offer the right fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The authtoken is malformed or ngrok refused it: enter it again. Not retried.
    BadToken,
    /// The fixed domain is not this account's: fix the domain. Not retried.
    DomainNotYours,
    /// ngrok's servers cannot be reached (no network, a firewall): retried.
    Unreachable,
    /// Anything else ngrok said: retried.
    Other,
}

impl Problem {
    pub const ALL: [Problem; 4] = [Problem::BadToken, Problem::DomainNotYours, Problem::Unreachable, Problem::Other];

    /// A few words for a status bar (the whole reason is in the status's `reason`).
    pub fn short(self) -> &'static str {
        match self {
            Problem::BadToken => "token refused",
            Problem::DomainNotYours => "domain not yours",
            Problem::Unreachable => "ngrok unreachable",
            Problem::Other => "see above",
        }
    }

    /// The name it has in the UI's types.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::BadToken => "bad_token",
            Problem::DomainNotYours => "domain_not_yours",
            Problem::Unreachable => "unreachable",
            Problem::Other => "other",
        }
    }

    fn retried(self) -> bool {
        matches!(self, Problem::Unreachable | Problem::Other)
    }
}

/// An ngrok authtoken. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Authtoken(String);

impl Authtoken {
    pub fn new(text: &str) -> Option<Authtoken> {
        let text = text.trim();
        (!text.is_empty()).then(|| Authtoken(text.to_owned()))
    }

    /// ngrok's authtokens are long runs of letters, digits and `_`; anything else was mis-pasted.
    fn looks_valid(&self) -> bool {
        self.0.len() >= 20 && self.0.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
}

impl std::fmt::Debug for Authtoken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authtoken(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct TunnelConfig {
    pub authtoken: Authtoken,
    /// The account's fixed domain (e.g. `door-watch.ngrok-free.app`), so the URL survives restarts.
    pub domain: Option<String>,
    /// Another server than ngrok's (`DOORWATCH_NGROK_SERVER`; tests point it at an address that refuses or hangs).
    pub server_addr: Option<String>,
}

/// A running tunnel. Its status changes are published on a watch channel.
pub struct Tunnel {
    status: watch::Receiver<TunnelStatus>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Tunnel {
    /// Starts connecting on the current runtime; deliveries that come through are stored in `store`
    /// and checked with the same signing key as the local receiver's (`key`).
    pub fn start(config: TunnelConfig, store: Store, key: KeySlot) -> Tunnel {
        let (status_tx, status) = watch::channel(TunnelStatus::Connecting);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(config, store, key, status_tx, stopped));
        Tunnel { status, stop: Some(stop), task }
    }

    pub fn status(&self) -> watch::Receiver<TunnelStatus> {
        self.status.clone()
    }

    /// Closes the tunnel, letting deliveries under way finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

async fn run(
    config: TunnelConfig,
    store: Store,
    key: KeySlot,
    status: watch::Sender<TunnelStatus>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut attempt = 0u32;
    loop {
        status.send_replace(TunnelStatus::Connecting);
        let opened = tokio::select! {
            opened = tokio::time::timeout(CONNECT_TIMEOUT, open(&config)) => opened.unwrap_or_else(|_| {
                Err((Problem::Unreachable, "ngrok did not answer in time; is the network up?".to_owned()))
            }),
            _ = &mut stopped => return,
        };
        let (problem, reason) = match opened {
            Ok((session, listener)) => {
                attempt = 0;
                let url = listener.url().to_owned();
                tracing::info!(%url, "tunnel online");
                status.send_replace(TunnelStatus::Online { url: url.clone() });
                let router = ingest::router(store.clone(), tunnel_ingest_config(&url, key.clone()));
                let (ended, on_end) = oneshot::channel();
                let listener = TunnelListener { tunnel: listener, ended: Some(ended) };
                let mut stop_now = false;
                crate::receive::server::serve(listener, router, async {
                    tokio::select! {
                        _ = &mut stopped => stop_now = true,
                        _ = on_end => {}
                    }
                })
                .await;
                drop(session);
                if stop_now {
                    return;
                }
                (Problem::Unreachable, "the connection to ngrok was lost; reconnecting".to_owned())
            }
            Err(failure) => failure,
        };
        tracing::warn!(%reason, "tunnel offline");
        status.send_replace(TunnelStatus::Offline { problem, reason });
        if !problem.retried() {
            // Nothing changes until the user enters another token or domain (which starts a new tunnel).
            let _ = stopped.await;
            return;
        }
        attempt += 1;
        let pause = Duration::from_secs(1u64 << attempt.min(6)).min(MAX_PAUSE);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = &mut stopped => return,
        }
    }
}

/// Only the tunnel's own public host name is accepted on its connections.
fn tunnel_ingest_config(url: &str, key: KeySlot) -> IngestConfig {
    let host = url.split("://").nth(1).unwrap_or(url).split('/').next().unwrap_or_default().to_owned();
    IngestConfig { signing_key: key, allowed_hosts: Some(vec![host]), ..IngestConfig::any_host(None) }
}

async fn open(config: &TunnelConfig) -> Result<(ngrok::Session, ngrok::tunnel::HttpTunnel), (Problem, String)> {
    if !config.authtoken.looks_valid() {
        return Err((
            Problem::BadToken,
            "that is not an ngrok authtoken; copy it again from dashboard.ngrok.com → Your Authtoken".to_owned(),
        ));
    }
    let mut builder = ngrok::Session::builder();
    builder.authtoken(config.authtoken.0.clone());
    builder.client_info("doorwatch", env!("CARGO_PKG_VERSION"), None::<String>);
    if let Some(addr) = &config.server_addr {
        builder.server_addr(addr.clone()).map_err(|e| (Problem::Other, format!("bad ngrok server address: {e}")))?;
    }
    // A dropped session ends here instead of ngrok's own endless retry, so this module's loop shows
    // the outage and reconnects with its own pauses.
    builder.connector(|host, port, tls, error: Option<ngrok::tunnel::AcceptError>| async move {
        if error.is_some() {
            return Err(ngrok::session::ConnectError::Canceled);
        }
        ngrok::session::default_connect(host, port, tls, None).await
    });
    let session = builder.connect().await.map_err(|e| describe_connect_error(&e))?;
    let mut endpoint = session.http_endpoint();
    if let Some(domain) = config.domain.as_deref().filter(|d| !d.trim().is_empty()) {
        endpoint.domain(domain.trim());
    }
    endpoint.forwards_to("Doorwatch webhook receiver");
    let tunnel = endpoint.listen().await.map_err(|e| describe_rpc_error(e.error_code(), &e.msg(), config))?;
    Ok((session, tunnel))
}

fn describe_connect_error(e: &ngrok::session::ConnectError) -> (Problem, String) {
    use ngrok::session::ConnectError;
    match e {
        ConnectError::Tcp(io) => (Problem::Unreachable, format!("cannot reach ngrok ({io}); is the network up?")),
        ConnectError::Tls(_) => (
            Problem::Unreachable,
            "could not open a secure connection to ngrok (a proxy or firewall may be in the way)".to_owned(),
        ),
        ConnectError::Start(_) => {
            (Problem::Unreachable, "ngrok's server did not start a session (a proxy may be in the way)".to_owned())
        }
        ConnectError::Auth(rpc) | ConnectError::Rebind(rpc) => classify_code(rpc.error_code(), &rpc.msg()),
        other => (Problem::Other, other.msg()),
    }
}

fn describe_rpc_error(code: Option<&str>, message: &str, config: &TunnelConfig) -> (Problem, String) {
    let (problem, reason) = classify_code(code, message);
    match (problem, &config.domain) {
        (Problem::DomainNotYours, Some(domain)) => (
            problem,
            format!("the domain {domain} does not belong to this ngrok account; check it at dashboard.ngrok.com → Domains ({reason})"),
        ),
        _ => (problem, reason),
    }
}

/// ngrok's error codes, as listed at ngrok.com/docs/errors, sorted into what the user can do.
pub fn classify_code(code: Option<&str>, message: &str) -> (Problem, String) {
    let first_line = message.lines().next().unwrap_or(message).trim();
    match code.unwrap_or_default() {
        // The authtoken is invalid, revoked, missing, or belongs to an unverified account.
        "ERR_NGROK_105" | "ERR_NGROK_106" | "ERR_NGROK_107" | "ERR_NGROK_4018" => (
            Problem::BadToken,
            format!(
                "ngrok refused the authtoken ({first_line}); copy it again from dashboard.ngrok.com → Your Authtoken"
            ),
        ),
        // The requested domain is another account's, not reserved, or not allowed on this plan.
        "ERR_NGROK_313" | "ERR_NGROK_319" | "ERR_NGROK_320" | "ERR_NGROK_326" | "ERR_NGROK_15013" => {
            (Problem::DomainNotYours, first_line.to_owned())
        }
        "ERR_NGROK_108" => (
            Problem::Other,
            "this ngrok account already has an agent running elsewhere (free accounts allow one at a time)".to_owned(),
        ),
        "ERR_NGROK_334" => {
            (Problem::Other, "this address is already online elsewhere (another Doorwatch or ngrok agent?)".to_owned())
        }
        "" => (Problem::Other, format!("ngrok: {first_line}")),
        code => (Problem::Other, format!("ngrok: {first_line} ({code})")),
    }
}

/// The tunnel's accepted connections as an axum listener. When ngrok ends the stream (session lost),
/// it says so on `ended` and accepts nothing more, so the serve loop stops and the tunnel reconnects.
struct TunnelListener {
    tunnel: ngrok::tunnel::HttpTunnel,
    ended: Option<oneshot::Sender<()>>,
}

impl axum::serve::Listener for TunnelListener {
    type Io = ngrok::conn::EndpointConn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.tunnel.try_next().await {
            Ok(Some(conn)) => {
                let addr = conn.remote_addr();
                return (conn, addr);
            }
            Ok(None) => tracing::warn!("the ngrok tunnel closed"),
            Err(e) => tracing::warn!(error = %e, "the ngrok tunnel failed"),
        }
        if let Some(ended) = self.ended.take() {
            let _ = ended.send(());
        }
        std::future::pending().await
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(SocketAddr::from(([0, 0, 0, 0], 0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ngrok_error_codes_become_problems_the_user_can_fix() {
        assert_eq!(
            classify_code(Some("ERR_NGROK_105"), "The authtoken you specified is invalid.").0,
            Problem::BadToken
        );
        assert_eq!(classify_code(Some("ERR_NGROK_320"), "reserved for another account").0, Problem::DomainNotYours);
        assert_eq!(classify_code(Some("ERR_NGROK_9999"), "something new").1, "ngrok: something new (ERR_NGROK_9999)");
        assert!(!Problem::BadToken.retried());
        assert!(Problem::Unreachable.retried());
    }

    #[test]
    fn tokens_are_checked_for_shape_and_never_shown() {
        let token = Authtoken::new(" 2abcDEF123456789_abcdefGHIJ ").unwrap();
        assert!(token.looks_valid());
        assert!(!Authtoken::new("paste here").unwrap().looks_valid());
        assert!(!format!("{token:?}").contains("2abc"));
    }

    #[test]
    fn tunnel_connections_must_name_the_public_host() {
        let config = tunnel_ingest_config("https://door.ngrok.app", KeySlot::new(None));
        assert_eq!(config.allowed_hosts, Some(vec!["door.ngrok.app".to_owned()]));
    }
}
