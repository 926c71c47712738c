//! Distributed Map runs: each item of a distributed Map runs as a child execution; the run
//! keeps the counts and the settings UpdateMapRun may change while it runs.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// A map run's status (DescribeMapRun).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapRunStatus {
    /// Not started yet.
    Pending,
    /// Child executions running.
    Running,
    /// Every item done within the tolerated failures.
    Succeeded,
    /// More failures than tolerated.
    Failed,
    /// The parent execution was stopped.
    Aborted,
}

impl MapRunStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MapRunStatus::Pending => "Pending",
            MapRunStatus::Running => "Running",
            MapRunStatus::Succeeded => "Succeeded",
            MapRunStatus::Failed => "Failed",
            MapRunStatus::Aborted => "Aborted",
        }
    }
}

/// The changing part of a map run.
#[derive(Debug, Clone)]
pub struct MapRunState {
    /// Status.
    pub status: MapRunStatus,
    /// When it ended.
    pub stopped_time: Option<DateTime<Utc>>,
    /// Child executions at once.
    pub concurrency: u32,
    /// Failures tolerated (count).
    pub tolerated_failed_count: Option<u64>,
    /// Failures tolerated (percentage of all items).
    pub tolerated_failed_percentage: Option<f64>,
    /// Items in all.
    pub total: u64,
    /// Not started.
    pub pending: u64,
    /// Running.
    pub running: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Failed.
    pub failed: u64,
    /// Not run or stopped because the run ended early.
    pub aborted: u64,
}

impl MapRunState {
    /// Whether `failed` failures are more than tolerated (no setting: none tolerated).
    pub fn over_tolerance(&self) -> bool {
        let by_count = self.tolerated_failed_count.is_none_or(|c| self.failed > c);
        let by_pct = self.tolerated_failed_percentage.is_none_or(|p| {
            self.total > 0 && (self.failed as f64) * 100.0 / (self.total as f64) > p
        });
        let any_setting =
            self.tolerated_failed_count.is_some() || self.tolerated_failed_percentage.is_some();
        if any_setting {
            by_count && by_pct
        } else {
            self.failed > 0
        }
    }
}

/// One map run.
#[derive(Debug)]
pub struct MapRun {
    /// `MapRunName`.
    pub name: String,
    /// The parent execution.
    pub execution_name: String,
    /// The flow.
    pub flow_name: String,
    /// Emulated start time.
    pub started_time: DateTime<Utc>,
    /// Woken by UpdateMapRun, so a raised `Concurrency` starts more children at once.
    pub settings_changed: tokio::sync::Notify,
    state: Mutex<MapRunState>,
}

impl MapRun {
    /// A new run.
    pub fn new(
        name: String,
        execution_name: String,
        flow_name: String,
        started_time: DateTime<Utc>,
        state: MapRunState,
    ) -> Self {
        MapRun {
            name,
            execution_name,
            flow_name,
            started_time,
            settings_changed: tokio::sync::Notify::new(),
            state: Mutex::new(state),
        }
    }

    /// A snapshot.
    pub fn state(&self) -> MapRunState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Change the state.
    pub fn update<T>(&self, f: impl FnOnce(&mut MapRunState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(failed: u64, count: Option<u64>, pct: Option<f64>) -> MapRunState {
        MapRunState {
            status: MapRunStatus::Running,
            stopped_time: None,
            concurrency: 1,
            tolerated_failed_count: count,
            tolerated_failed_percentage: pct,
            total: 10,
            pending: 0,
            running: 0,
            succeeded: 0,
            failed,
            aborted: 0,
        }
    }

    #[test]
    fn tolerance() {
        assert!(!st(0, None, None).over_tolerance());
        assert!(st(1, None, None).over_tolerance());
        assert!(!st(2, Some(2), None).over_tolerance());
        assert!(st(3, Some(2), None).over_tolerance());
        assert!(!st(2, None, Some(20.0)).over_tolerance());
        assert!(st(3, None, Some(20.0)).over_tolerance());
        // Both given: over only when over both.
        assert!(!st(3, Some(5), Some(20.0)).over_tolerance());
    }
}
