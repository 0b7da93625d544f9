//! Serving the ingest router on a listener: HTTP/1.1 with a header timeout (a client that trickles its
//! headers is cut off), and a graceful stop that lets every in-flight delivery finish its commit.
//!
//! Any [`axum::serve::Listener`] works, so the loopback socket and the tunnel's connections are served
//! by the same code.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::Listener;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long a client may take to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful stop waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "refusing to listen on {0}: Doorwatch's local receiver listens on loopback only (127.0.0.1 or [::1]); \
         to receive from Kisi over the internet, use the tunnel"
    )]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source} (is another Doorwatch already running? choose another port with --listen or DOORWATCH_LISTEN)")]
    Io { addr: SocketAddr, source: std::io::Error },
}

/// Binds the local receiver's socket, which must be on loopback.
pub async fn bind_loopback(addr: SocketAddr) -> Result<TcpListener, BindError> {
    if !addr.ip().is_loopback() {
        return Err(BindError::NotLoopback(addr));
    }
    TcpListener::bind(addr).await.map_err(|source| BindError::Io { addr, source })
}

/// At most this many connections are served at once; the next is accepted when one closes. Kisi opens a
/// handful; a flood of idle connections from the internet (through the tunnel) must not exhaust the
/// laptop's file descriptors or memory. Idle ones close after [`HEADER_TIMEOUT`].
pub const MAX_CONNECTIONS: usize = 256;

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and waits (up to
/// [`SHUTDOWN_GRACE`]) for the requests under way, so their commits finish and their answers go out.
pub async fn serve<L: Listener>(listener: L, router: Router, shutdown: impl Future<Output = ()>) {
    serve_limited(listener, router, shutdown, MAX_CONNECTIONS).await
}

/// [`serve`] with at most `limit` connections at once.
pub async fn serve_limited<L: Listener>(
    mut listener: L,
    router: Router,
    shutdown: impl Future<Output = ()>,
    limit: usize,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limit));
    loop {
        // A free slot first, then the next connection: beyond the limit, connections wait in the
        // listener's backlog rather than being served.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        tokio::select! {
            (io, _addr) = listener.accept() => {
                let service = TowerToHyperService::new(router.clone());
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(io), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    drop(slot);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("some connections were still open after {} s; stopping without them", SHUTDOWN_GRACE.as_secs());
        }
    }
}
