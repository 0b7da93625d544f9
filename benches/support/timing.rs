//! How the query benchmarks time a view: warm runs, then the median and the 99th percentile.

// Each benchmark takes the parts it needs.
#![allow(dead_code)]

use std::time::Instant;

/// Times `f` over `runs` runs after a short warm-up; returns (median, p99) in seconds.
pub fn time(runs: usize, mut f: impl FnMut() -> usize) -> (f64, f64) {
    for _ in 0..10 {
        std::hint::black_box(f());
    }
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples[runs / 2], samples[runs * 99 / 100])
}

/// Seconds as milliseconds for a table: `1.434 ms`.
pub fn ms(s: f64) -> String {
    format!("{:.3} ms", s * 1000.0)
}
