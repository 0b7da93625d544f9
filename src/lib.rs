//! Doorwatch's core: everything that receives, checks, stores and lists Kisi door events, with no GUI.
//! The headless `doorwatch` command and the desktop app are both thin layers over this crate.
//!
//! The path of one event: [`ingest`] (HTTP checks, [`signature`], the tolerant [`event`] parse) →
//! [`store`] (group-committed SQLite; the answer goes out after the commit) → the store's feed of new
//! events → whoever shows them.

pub mod alert;
pub mod backfill;
pub mod cli;
pub mod config;
pub mod event;
pub mod export;
pub mod ingest;
pub mod kisi;
pub mod online;
pub mod private_file;
pub mod receiver;
pub mod retention;
pub mod secrets;
pub mod send_test;
pub mod server;
pub mod settings;
pub mod signature;
pub mod status;
pub mod store;
pub mod tunnel;
