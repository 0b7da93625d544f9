//! Doorwatch's core: everything that receives, checks, stores, lists and alerts on Kisi door events,
//! with no GUI. The headless `doorwatch` command and the desktop app are both thin layers over this
//! crate; `ARCHITECTURE.md` at the repository's root is the map.
//!
//! The folders follow the path of one event: [`receive`] (HTTP checks, the signature, the tolerant
//! [`event`] parse, the tunnel) → [`store`] (group-committed SQLite; the answer goes out after the
//! commit) → the store's feed of new events → [`alert`] (what deserves a notification) → whoever shows
//! them. [`kisi`] talks to Kisi's API (setup, backfill); [`config`] says where things are and how they
//! are set; [`app`] is the running Doorwatch that the [`cli`] and the desktop shell both consume.

pub mod alert;
pub mod app;
pub mod cli;
pub mod config;
pub mod event;
pub mod kisi;
pub mod receive;
pub mod store;
