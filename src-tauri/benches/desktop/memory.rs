//! Memory (PSS, RSS, private dirty) of a process and all it started, and of a program started in the
//! tray, with its time to tray-ready.

use std::time::Duration;

use crate::process::{end_tree, spawn_ready};
use crate::support::{tree, Desktop};
use crate::SETTLE;

/// PSS and RSS of a process and all its descendants.
#[derive(Debug, Default, Clone, Copy)]
pub struct Memory {
    pss_kb: u64,
    rss_kb: u64,
    /// Private_Dirty: pages only these processes have and that cannot be dropped and read back again
    /// (heap, relocated library data…), so neither sharing nor the kernel's reclaiming changes them.
    private_dirty_kb: u64,
    pub processes: usize,
}

impl Memory {
    pub fn pss_mb(&self) -> f64 {
        self.pss_kb as f64 / 1024.0
    }
    pub fn rss_mb(&self) -> f64 {
        self.rss_kb as f64 / 1024.0
    }
    pub fn private_dirty_mb(&self) -> f64 {
        self.private_dirty_kb as f64 / 1024.0
    }
}

pub fn memory(root: u32) -> Memory {
    let mut m = Memory::default();
    let mut parts = Vec::new();
    for pid in tree(root) {
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else { continue };
        let field = |name: &str| {
            rollup
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        m.pss_kb += field("Pss:");
        m.rss_kb += field("Rss:");
        m.private_dirty_kb += field("Private_Dirty:");
        m.processes += 1;
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        parts.push(format!("{} {:.1} MB", name.trim(), field("Pss:") as f64 / 1024.0));
    }
    eprintln!("  PSS by process: {}", parts.join(", "));
    m
}

/// Starts `program`, times it to "tray ready" on stderr, lets it settle, measures, stops it.
pub fn measure_spawned(desktop: &Desktop, program: &str, args: &[&str]) -> (Memory, Duration) {
    let (mut child, ready, _) = spawn_ready(desktop, program, args);
    std::thread::sleep(SETTLE);
    let m = memory(child.id());
    end_tree(child.id());
    let _ = child.wait();
    (m, ready)
}
