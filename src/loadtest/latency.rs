//! Latency samples and their percentiles.

use std::time::Duration;

use serde::Serialize;

/// Collected latencies.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<Duration>);

/// Percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    /// Samples.
    pub count: usize,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latencies {
    /// Records one sample.
    pub fn push(&mut self, latency: Duration) {
        self.0.push(latency);
    }

    /// Adds another set's samples.
    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// Samples so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No samples.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The percentiles (nearest rank).
    pub fn summary(&self) -> Summary {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let at = |q: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[rank - 1].as_secs_f64() * 1000.0
        };
        Summary { count: sorted.len(), p50_ms: at(0.50), p90_ms: at(0.90), p99_ms: at(0.99), max_ms: at(1.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut latencies = Latencies::default();
        for ms in 1..=100 {
            latencies.push(Duration::from_millis(ms));
        }
        let summary = latencies.summary();
        assert_eq!((summary.count, summary.p50_ms, summary.p99_ms, summary.max_ms), (100, 50.0, 99.0, 100.0));
        assert_eq!(Latencies::default().summary().p99_ms, 0.0);
    }
}
