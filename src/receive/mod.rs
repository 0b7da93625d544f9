//! Receiving webhooks: the HTTP server ([`server`]), the ingest router's checks ([`ingest`]), the
//! signature ([`signature`]) and the public tunnel ([`tunnel`]). [`Receiver`] is the running receiver:
//! the store, the loopback listener and the ingest router together.

pub mod ingest;
pub mod server;
pub mod signature;
pub mod trust;
pub mod tunnel;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::sync::oneshot;

use crate::store::{Store, StoreError, StoreOptions};
use ingest::{IngestConfig, KeySlot};
use server::BindError;
use signature::SigningKey;

/// The webhook's path on the ingest router (a contract: Kisi's integration points at it).
pub const WEBHOOK_PATH: &str = "/webhooks/kisi";

#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub signing_key: Option<SigningKey>,
    pub store: StoreOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bind(#[from] BindError),
}

/// A receiver serving on loopback. Stop it with [`Receiver::stop`] to let in-flight deliveries finish.
pub struct Receiver {
    store: Store,
    addr: SocketAddr,
    key: KeySlot,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Opens the store, binds the listener and starts serving on the current tokio runtime.
    pub async fn start(config: ReceiverConfig) -> Result<Receiver, ReceiverError> {
        let store = Store::open(&config.db, config.store.clone())?;
        let listener = server::bind_loopback(config.listen).await?;
        let addr = listener
            .local_addr()
            .map_err(|source| ReceiverError::Bind(BindError::Io { addr: config.listen, source }))?;
        let ingest_config = IngestConfig::local(addr, config.signing_key);
        let key = ingest_config.signing_key.clone();
        let router = ingest::router(store.clone(), ingest_config);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, router, async {
            let _ = stopped.await;
        }));
        Ok(Receiver { store, addr, key, stop: Some(stop), task })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The local webhook URL, e.g. `http://127.0.0.1:8787/webhooks/kisi`.
    pub fn local_url(&self) -> String {
        format!("http://{}{WEBHOOK_PATH}", self.addr)
    }

    pub fn signature_check_on(&self) -> bool {
        self.key.is_set()
    }

    /// The key slot the router checks with: the tunnel's connections and setup share it.
    pub fn key_slot(&self) -> KeySlot {
        self.key.clone()
    }

    /// Changes the signing key for the deliveries that arrive from now on.
    pub fn set_signing_key(&self, key: Option<SigningKey>) {
        self.key.set(key);
    }

    /// Stops accepting, lets the requests under way finish their commits, then closes the store.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        let store = self.store.clone();
        drop(self);
        // The last handle joins the writer thread, which may block briefly: not on a runtime worker.
        let _ = tokio::task::spawn_blocking(move || drop(store)).await;
    }
}
