//! Schedule actions: Create/Describe/Update/Delete/ListSchedules. An enabled schedule starts
//! executions on the emulated clock (see `crate::scheduler`).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{check_name, ActionResult, Call};
use crate::clock::format_time;
use crate::error::{ApiError, ErrorCode};
use crate::scheduler::{self, CronSpec};
use crate::store::{Flow, Schedule, ScheduleMeta};

fn view(s: &Schedule) -> Map<String, Value> {
    let m = s.meta();
    let mut o = Map::new();
    o.insert("ScheduleId".into(), json!(s.id));
    o.insert("ScheduleName".into(), json!(s.name));
    o.insert("CronExpression".into(), json!(m.cron_expression));
    o.insert("Description".into(), json!(m.description));
    o.insert("Enable".into(), json!(m.enable));
    if let Some(p) = &m.payload {
        o.insert("Payload".into(), json!(p));
    }
    o.insert("CreatedTime".into(), json!(format_time(s.created_time)));
    o.insert(
        "LastModifiedTime".into(),
        json!(format_time(m.last_modified_time)),
    );
    o
}

fn flow(call: &Call<'_>) -> Result<Arc<Flow>, ApiError> {
    let name = call.params.required("FlowName")?;
    call.account
        .flow(name)
        .ok_or_else(|| ApiError::flow_not_exists(name))
}

fn schedule(call: &Call<'_>, f: &Flow) -> Result<Arc<Schedule>, ApiError> {
    let name = call.params.required("ScheduleName")?;
    f.schedule(name)
        .ok_or_else(|| ApiError::new(ErrorCode::ScheduleNotExists, &[name, &f.name]))
}

fn check_cron(expr: &str) -> Result<(), ApiError> {
    CronSpec::parse(expr)
        .map(|_| ())
        .map_err(|e| ApiError::invalid(format!("CronExpression {e}.")))
}

fn check_payload(p: &str) -> Result<(), ApiError> {
    match serde_json::from_str::<Value>(p) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(ApiError::invalid(
            "Payload must be a JSON object, e.g. {\"key\": \"value\"}.",
        )),
    }
}

fn arm(call: &Call<'_>, s: &Arc<Schedule>) {
    scheduler::arm(
        s,
        call.account.clone(),
        call.account_id.clone(),
        call.app.clock.clone(),
        call.app.tasks.clone(),
    );
}

/// CreateSchedule (`Enable` defaults to false).
pub fn create_schedule(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let name = p.required("ScheduleName")?;
    let cron = p.required("CronExpression")?;
    let f = flow(call)?;
    check_name("ScheduleName", name)?;
    check_cron(cron)?;
    let payload = p.optional("Payload");
    if let Some(pl) = payload {
        check_payload(pl)?;
    }
    let enable = p.optional_bool("Enable")?.unwrap_or(false);
    let now = call.app.clock.now();
    let meta = ScheduleMeta {
        cron_expression: cron.to_string(),
        payload: payload.map(str::to_string),
        description: p.get("Description").unwrap_or("").to_string(),
        enable,
        last_modified_time: now,
    };
    let s = Schedule::new(
        uuid::Uuid::new_v4().to_string(),
        name.to_string(),
        f.name.clone(),
        now,
        meta,
    );
    let s = f
        .add_schedule(s)
        .map_err(|_| ApiError::new(ErrorCode::ScheduleAlreadyExists, &[name, &f.name]))?;
    arm(call, &s);
    Ok(view(&s))
}

/// DescribeSchedule.
pub fn describe_schedule(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let s = schedule(call, &f)?;
    Ok(view(&s))
}

/// UpdateSchedule: the given fields change, omitted ones stay; the timer restarts.
pub fn update_schedule(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let f = flow(call)?;
    let s = schedule(call, &f)?;
    let cron = p.optional("CronExpression");
    if let Some(c) = cron {
        check_cron(c)?;
    }
    let payload = p.optional("Payload");
    if let Some(pl) = payload {
        check_payload(pl)?;
    }
    let enable = p.optional_bool("Enable")?;
    let now = call.app.clock.now();
    s.update(|m| {
        if let Some(c) = cron {
            m.cron_expression = c.to_string();
        }
        if let Some(pl) = payload {
            m.payload = Some(pl.to_string());
        }
        if let Some(d) = p.get("Description") {
            m.description = d.to_string();
        }
        if let Some(e) = enable {
            m.enable = e;
        }
        m.last_modified_time = now;
    });
    arm(call, &s);
    Ok(view(&s))
}

/// DeleteSchedule.
pub fn delete_schedule(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let s = schedule(call, &f)?;
    if let Some(s) = f.remove_schedule(&s.name) {
        s.disarm();
    }
    Ok(Map::new())
}

/// ListSchedules, by name; `NextToken` is the name of the first schedule of the next page.
pub fn list_schedules(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let limit = call.params.optional_int("Limit", 1, 1000)?.unwrap_or(60) as usize;
    let page = f.list_schedules(call.params.optional("NextToken"), limit);
    let mut out = Map::new();
    out.insert(
        "Schedules".into(),
        Value::Array(page.items.iter().map(|s| Value::Object(view(s))).collect()),
    );
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(out)
}
