//! The emulated clock: every wait in the emulator (Wait states, timeouts, retry intervals) goes
//! through it, so tests can run time faster (`--time-scale`) or jump it (`advance`).
//!
//! Emulated now = wall time at start + real elapsed / scale + total advanced. A sleeper waits for
//! an emulated deadline: it sleeps the equivalent real duration, and wakes early whenever the
//! clock is advanced to re-check. Sleeping costs no thread.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use tokio::sync::Notify;
use tokio::time::Instant;

/// A shared emulated clock.
#[derive(Debug)]
pub struct Clock {
    origin_real: Instant,
    origin_emulated: DateTime<Utc>,
    scale: f64,
    advanced_ms: AtomicI64,
    advanced: Notify,
}

impl Clock {
    /// A clock starting at the wall time, running `1/scale` emulated seconds per real second.
    pub fn new(scale: f64) -> Self {
        Clock {
            origin_real: Instant::now(),
            origin_emulated: Utc::now(),
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
            advanced_ms: AtomicI64::new(0),
            advanced: Notify::new(),
        }
    }

    /// The time scale factor.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Emulated now, in whole milliseconds (the precision the API reports, so a time read back
    /// from a response compares equal to the one stored).
    pub fn now(&self) -> DateTime<Utc> {
        let real = self.origin_real.elapsed().as_secs_f64() / self.scale;
        let t = self.origin_emulated
            + chrono::Duration::microseconds((real * 1e6) as i64)
            + chrono::Duration::milliseconds(self.advanced_ms.load(Ordering::SeqCst));
        t.trunc_subsecs(3)
    }

    /// Jump emulated time forward by `seconds` and wake every sleeper to re-check its deadline.
    pub fn advance(&self, seconds: f64) {
        let ms = (seconds.max(0.0) * 1000.0).round() as i64;
        self.advanced_ms.fetch_add(ms, Ordering::SeqCst);
        self.advanced.notify_waiters();
    }

    /// Sleep until emulated time reaches `deadline`.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        loop {
            let notified = self.advanced.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let remaining = (deadline - self.now())
                .num_microseconds()
                .unwrap_or(i64::MAX);
            if remaining <= 0 {
                return;
            }
            let real = Duration::from_secs_f64((remaining as f64 / 1e6) * self.scale);
            tokio::select! {
                _ = tokio::time::sleep(real) => {}
                _ = &mut notified => {}
            }
        }
    }

    /// Sleep for `seconds` of emulated time.
    pub async fn sleep(&self, seconds: f64) {
        let deadline = self.now() + chrono::Duration::milliseconds((seconds * 1000.0) as i64);
        self.sleep_until(deadline).await;
    }
}

/// RFC 3339 UTC with milliseconds, as the API reports times: `2019-01-01T01:01:01.001Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn time_format_has_milliseconds() {
        let t = DateTime::parse_from_rfc3339("2019-01-01T01:01:01.001Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_time(t), "2019-01-01T01:01:01.001Z");
    }

    #[tokio::test]
    async fn advance_wakes_sleepers() {
        let clock = Arc::new(Clock::new(1.0));
        let c = clock.clone();
        let sleeper = tokio::spawn(async move { c.sleep(3600.0).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!sleeper.is_finished());
        clock.advance(3600.0);
        tokio::time::timeout(Duration::from_secs(2), sleeper)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn scale_speeds_time_up() {
        let clock = Clock::new(0.001);
        let start = std::time::Instant::now();
        clock.sleep(2.0).await; // 2 ms real
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
