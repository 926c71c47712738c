//! Latency samples, error counts and the printed report of one load phase.

use super::*;

#[derive(Default)]
pub(crate) struct Stats {
    /// Latency in nanoseconds, per action.
    pub(crate) lat: BTreeMap<&'static str, Vec<u64>>,
    /// Error code (or transport error) -> count.
    pub(crate) errors: BTreeMap<String, u64>,
    /// Completed iterations (all of their requests answered 200).
    pub(crate) iterations_ok: u64,
    /// Iterations with at least one error.
    pub(crate) iterations_err: u64,
}

impl Stats {
    pub(crate) fn merge(&mut self, o: Stats) {
        for (k, mut v) in o.lat {
            self.lat.entry(k).or_default().append(&mut v);
        }
        for (k, n) in o.errors {
            *self.errors.entry(k).or_default() += n;
        }
        self.iterations_ok += o.iterations_ok;
        self.iterations_err += o.iterations_err;
    }

    pub(crate) fn requests(&self) -> u64 {
        self.lat.values().map(|v| v.len() as u64).sum()
    }

    pub(crate) fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

pub(crate) fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[idx.clamp(1, sorted.len()) - 1] as f64 / 1e6
}

/// The result of one load phase.
pub(crate) struct Report {
    pub(crate) label: String,
    pub(crate) elapsed: f64,
    pub(crate) stats: Stats,
}

impl Report {
    pub(crate) fn req_per_s(&self) -> f64 {
        self.stats.requests() as f64 / self.elapsed
    }
    pub(crate) fn iter_per_s(&self) -> f64 {
        (self.stats.iterations_ok + self.stats.iterations_err) as f64 / self.elapsed
    }
    pub(crate) fn p99_ms(&self, action: &str) -> f64 {
        let mut v = self.stats.lat.get(action).cloned().unwrap_or_default();
        v.sort_unstable();
        pct(&v, 99.0)
    }

    pub(crate) fn print(&mut self) {
        let s = &mut self.stats;
        println!(
            "[{}] {:.2} s: {} requests, {:.0} req/s; {} iterations ({:.0}/s), {} with errors",
            self.label,
            self.elapsed,
            s.requests(),
            s.requests() as f64 / self.elapsed,
            s.iterations_ok + s.iterations_err,
            (s.iterations_ok + s.iterations_err) as f64 / self.elapsed,
            s.iterations_err
        );
        for (action, v) in s.lat.iter_mut() {
            v.sort_unstable();
            println!(
                "    {:<18} n={:<8} p50={:.3} ms  p99={:.3} ms  p99.9={:.3} ms  max={:.3} ms",
                action,
                v.len(),
                pct(v, 50.0),
                pct(v, 99.0),
                pct(v, 99.9),
                pct(v, 100.0)
            );
        }
        if s.errors.is_empty() {
            println!("    errors: none");
        } else {
            let list: Vec<String> = s.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            println!("    errors: {}", list.join(", "));
        }
    }
}
