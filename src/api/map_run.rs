//! Map Run actions of a distributed Map: DescribeMapRun, UpdateMapRun.

use std::sync::Arc;

use serde_json::{json, Map};

use super::execution::execution;
use super::{ActionResult, Call};
use crate::error::{ApiError, ErrorCode};

fn map_run(call: &Call<'_>) -> Result<Arc<crate::store::MapRun>, ApiError> {
    let e = execution(call)?;
    let name = call.params.required("MapRunName")?;
    let runs = e.map_runs.lock().unwrap_or_else(|p| p.into_inner());
    runs.iter()
        .find(|r| r.name == name)
        .cloned()
        .ok_or_else(|| ApiError::new(ErrorCode::MapRunNotExists, &[name, &e.name]))
}

/// DescribeMapRun.
pub fn describe_map_run(call: &Call<'_>) -> ActionResult {
    let r = map_run(call)?;
    let s = r.state();
    let mut o = Map::new();
    o.insert("MapRunName".into(), json!(r.name));
    o.insert("ExecutionName".into(), json!(r.execution_name));
    o.insert("Status".into(), json!(s.status.as_str()));
    o.insert(
        "StartedTime".into(),
        json!(crate::clock::format_time(r.started_time)),
    );
    if let Some(t) = s.stopped_time {
        o.insert("StoppedTime".into(), json!(crate::clock::format_time(t)));
    }
    o.insert("Concurrency".into(), json!(s.concurrency));
    o.insert(
        "ItemCounts".into(),
        json!({
            "Total": s.total, "Pending": s.pending, "Running": s.running,
            "Succeed": s.succeeded, "Failed": s.failed, "Aborted": s.aborted,
        }),
    );
    o.insert(
        "ToleratedFailedCount".into(),
        json!(s.tolerated_failed_count.unwrap_or(0)),
    );
    o.insert(
        "ToleratedFailedPercentage".into(),
        json!(s.tolerated_failed_percentage.unwrap_or(0.0)),
    );
    Ok(o)
}

/// UpdateMapRun: `Concurrency` (1-300), `ToleratedFailedCount`, `ToleratedFailedPercentage` (0-100).
pub fn update_map_run(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let concurrency = p.optional_int("Concurrency", 1, 300)?;
    let count = p.optional_int("ToleratedFailedCount", 0, i64::MAX)?;
    let pct = match p.optional("ToleratedFailedPercentage") {
        None => None,
        Some(raw) => Some(
            raw.parse::<f64>()
                .ok()
                .filter(|v| (0.0..=100.0).contains(v))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "ToleratedFailedPercentage must be a number from 0 to 100, got '{raw}'."
                    ))
                })?,
        ),
    };
    let r = map_run(call)?;
    let s = r.update(|s| {
        if let Some(c) = concurrency {
            s.concurrency = c as u32;
        }
        if let Some(c) = count {
            s.tolerated_failed_count = Some(c as u64);
        }
        if let Some(v) = pct {
            s.tolerated_failed_percentage = Some(v);
        }
        s.clone()
    });
    r.settings_changed.notify_one();
    let mut o = Map::new();
    o.insert("FlowName".into(), json!(r.flow_name));
    o.insert("ExecutionName".into(), json!(r.execution_name));
    o.insert("MapRunName".into(), json!(r.name));
    o.insert("Concurrency".into(), json!(s.concurrency));
    o.insert(
        "ToleratedFailedCount".into(),
        json!(s.tolerated_failed_count.unwrap_or(0)),
    );
    o.insert(
        "ToleratedFailedPercentage".into(),
        json!(s.tolerated_failed_percentage.unwrap_or(0.0)),
    );
    Ok(o)
}
