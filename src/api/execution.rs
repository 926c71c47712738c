//! Execution actions: StartExecution, StartSyncExecution, StopExecution, DescribeExecution,
//! GetExecutionHistory, ListExecutions (Map Runs are in `map_run.rs`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{check_len, check_name, views, ActionResult, Answer, Call};
use crate::error::{ApiError, ErrorCode};
use crate::protocol::response::Reply;
use crate::store::{Execution, Flow, Started};

/// Largest `Limit` of GetExecutionHistory.
const HISTORY_MAX_LIMIT: i64 = 1000;
/// Default `Limit` of GetExecutionHistory.
const HISTORY_DEFAULT_LIMIT: i64 = 60;

fn flow(call: &Call<'_>, param: &str) -> Result<(Arc<Flow>, String), ApiError> {
    let name = call.params.required(param)?;
    let f = call
        .account
        .flow(name)
        .ok_or_else(|| ApiError::flow_not_exists(name))?;
    Ok((f, name.to_string()))
}

pub(super) fn execution(call: &Call<'_>) -> Result<Arc<Execution>, ApiError> {
    let (f, flow_name) = flow(call, "FlowName")?;
    let name = call.params.required("ExecutionName")?;
    f.execution(name)
        .ok_or_else(|| ApiError::execution_not_exists(name, &flow_name))
}

/// The `Input` parameter: a JSON object as text, `{}` when absent.
fn input_param(p: &crate::protocol::params::Params) -> Result<String, ApiError> {
    match p.optional("Input") {
        None => Ok("{}".to_string()),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(_)) => Ok(raw.to_string()),
            _ => Err(ApiError::invalid(
                "Input must be a JSON object, e.g. {\"key\":\"value\"}.",
            )),
        },
    }
}

/// StartExecution.
pub fn start_execution(call: &Call<'_>) -> Answer {
    let p = call.params;
    let (f, flow_name) = flow(call, "FlowName")?;
    let name = match p.optional("ExecutionName") {
        Some(n) => {
            check_name("ExecutionName", n)?;
            n.to_string()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let input = input_param(p)?;
    let version = super::versions::resolve_qualifier(&f, p.optional("Qualifier"))?;
    let callback_token = p.optional("CallbackFnFTaskToken").map(str::to_string);
    if let Some(t) = &callback_token {
        if !call.app.tasks.tokens.is_pending(&call.account_id, t) {
            return Err(ApiError::invalid(format!(
                "CallbackFnFTaskToken '{t}' is not the token of a task waiting for a callback."
            )));
        }
    }
    let meta = f.meta();
    if meta.execution_mode == "Express" {
        return Err(ApiError::invalid(format!(
            "Flow {flow_name} runs in Express mode; start it with StartSyncExecution."
        )));
    }
    let started = crate::engine::start(
        &f,
        crate::engine::StartRequest {
            name: name.clone(),
            input,
            callback_token,
            account: call.account_id.clone(),
            version,
        },
        &call.app.clock,
        &call.app.tasks,
    );
    match started {
        Started::New(e) | Started::InProgress(e) => Ok(views::execution_reply(&e, false)),
        Started::Ended(_) => Err(ApiError::new(
            ErrorCode::ExecutionAlreadyExists,
            &[&name, &flow_name],
        )),
        Started::FlowDeleted => Err(ApiError::flow_not_exists(&flow_name)),
    }
}

/// StopExecution.
pub fn stop_execution(call: &Call<'_>) -> Answer {
    let p = call.params;
    let error = p.get("Error");
    let cause = p.get("Cause");
    check_len("Error", error, 1, 128)?;
    check_len("Cause", cause, 1, 4096)?;
    let e = execution(call)?;
    match e.stop(error, cause, call.app.clock.now()) {
        Ok(()) => Ok(views::execution_reply(&e, false)),
        Err(_) => Err(ApiError::new(
            ErrorCode::ExecutionAlreadyCompleted,
            &[&e.name, &e.flow_name],
        )),
    }
}

/// DescribeExecution, with long polling through `WaitTimeSeconds` (0-60).
pub async fn describe_execution(call: &Call<'_>) -> Answer {
    let wait = call
        .params
        .optional_int("WaitTimeSeconds", 0, 60)?
        .unwrap_or(0);
    let e = execution(call)?;
    if wait > 0 {
        let finished = e.finished.notified();
        tokio::pin!(finished);
        finished.as_mut().enable();
        if e.status().in_progress() {
            let _ = tokio::time::timeout(Duration::from_secs(wait as u64), finished).await;
        }
    }
    Ok(views::execution_reply(&e, false))
}

/// GetExecutionHistory, paged by `NextToken` (the EventId to continue from).
pub fn get_execution_history(call: &Call<'_>) -> Answer {
    let p = call.params;
    let limit = p
        .optional_int("Limit", 1, HISTORY_MAX_LIMIT)?
        .unwrap_or(HISTORY_DEFAULT_LIMIT) as usize;
    let from = match p.optional("NextToken") {
        None => 1u64,
        Some(t) => t.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiError::invalid(format!("NextToken '{t}' is not a token this API returned."))
        })?,
    };
    let e = execution(call)?;
    let st = e.lock();
    let start = (from as usize - 1).min(st.history.len());
    let end = (start + limit).min(st.history.len());
    let events: Vec<views::EventView<'_>> =
        st.history[start..end].iter().map(views::event).collect();
    let mut out = Vec::with_capacity(64 + events.len() * 160);
    out.extend_from_slice(b"{\"Events\":");
    // Serializing borrowed strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, &events);
    if end < st.history.len() {
        out.extend_from_slice(format!(",\"NextToken\":\"{}\"", end + 1).as_bytes());
    }
    out.push(b'}');
    Ok(Reply::Object(out))
}

/// Parse an optional RFC 3339 time parameter.
fn time_param(
    call: &Call<'_>,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    match call.params.optional(name) {
        None => Ok(None),
        Some(raw) => chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| Some(t.with_timezone(&chrono::Utc)))
            .map_err(|_| {
                ApiError::invalid(format!(
                    "{name} '{raw}' is not an RFC 3339 time such as 2020-12-02T02:39:20.402Z."
                ))
            }),
    }
}

/// ListExecutions: newest first; `NextToken` is the name of the first execution of the next page.
pub fn list_executions(call: &Call<'_>) -> Answer {
    let p = call.params;
    let (f, _) = flow(call, "FlowName")?;
    let limit = p.optional_int("Limit", 1, 100)?.unwrap_or(60) as usize;
    let status = match p.optional("Status") {
        None => None,
        Some(s) => Some(crate::store::Status::parse(s).ok_or_else(|| {
            ApiError::invalid(format!("Status must be one of Starting, Running, Stopped, Succeeded, Failed, TimedOut; got '{s}'."))
        })?),
    };
    let prefix = p.optional("ExecutionNamePrefix");
    let begin = time_param(call, "StartedTimeBegin")?;
    let end = time_param(call, "StartedTimeEnd")?;
    let metadata_only = p.optional_bool("MetadataOnly")?.unwrap_or(false);
    let qualifier = p.optional("Qualifier");
    let map_run = p.optional("MapRunName");
    let token = p.optional("NextToken");
    let page = f
        .list_executions(token, limit, |e| {
            status.is_none_or(|s| e.status() == s)
                && prefix.is_none_or(|pre| e.name.starts_with(pre))
                && begin.is_none_or(|b| e.started_time >= b)
                && end.is_none_or(|t| e.started_time <= t)
                && e.map_run() == map_run
                && qualifier.is_none_or(|q| {
                    e.qualifier() == Some(q) || e.version().is_some_and(|v| v.to_string() == q)
                })
        })
        .map_err(|_| {
            ApiError::invalid(format!(
                "NextToken '{}' is not a token this API returned.",
                token.unwrap_or("")
            ))
        })?;
    let mut out = Vec::with_capacity(64 + page.items.len() * 512);
    out.extend_from_slice(b"{\"Executions\":[");
    for (i, e) in page.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        views::write_execution(&mut out, e, metadata_only);
    }
    out.push(b']');
    if let Some(t) = page.next_token {
        out.extend_from_slice(b",\"NextToken\":");
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &t);
    }
    out.push(b'}');
    Ok(Reply::Object(out))
}

/// Longest an Express execution may run, in seconds.
const EXPRESS_MAX_SECONDS: i64 = 300;

/// StartSyncExecution: run an Express flow and answer with its result.
pub async fn start_sync_execution(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let (f, flow_name) = flow(call, "FlowName")?;
    let base = match p.optional("ExecutionName") {
        Some(n) => {
            check_name("ExecutionName", n)?;
            n.to_string()
        }
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    let name = format!("{base}:{}", uuid::Uuid::new_v4());
    let input = input_param(p)?;
    let version = super::versions::resolve_qualifier(&f, p.optional("Qualifier"))?;
    let meta = f.meta();
    let clock = &call.app.clock;
    let mut out = Map::new();
    out.insert("FlowName".into(), json!(flow_name));
    out.insert("Name".into(), json!(name));
    if meta.execution_mode != "Express" {
        // As the documented example answer shows: a failed result, not an HTTP error.
        let now = crate::clock::format_time(clock.now());
        out.insert("Status".into(), json!("Failed"));
        out.insert("ErrorCode".into(), json!("ActionNotSupported"));
        out.insert(
            "ErrorMessage".into(),
            json!("Standard execution is not supported"),
        );
        out.insert("StartedTime".into(), json!(now));
        out.insert("StoppedTime".into(), json!(now));
        return Ok(out);
    }
    let started = crate::engine::start(
        &f,
        crate::engine::StartRequest {
            name: name.clone(),
            input,
            callback_token: None,
            account: call.account_id.clone(),
            version,
        },
        clock,
        &call.app.tasks,
    );
    if matches!(started, Started::FlowDeleted) {
        return Err(ApiError::flow_not_exists(&flow_name));
    }
    let Started::New(e) = started else {
        return Err(ApiError::new(
            ErrorCode::ExecutionAlreadyExists,
            &[&name, &flow_name],
        ));
    };
    let finished = e.finished.notified();
    tokio::pin!(finished);
    finished.as_mut().enable();
    if e.status().in_progress() {
        let deadline = e.started_time + chrono::Duration::seconds(EXPRESS_MAX_SECONDS);
        tokio::select! {
            _ = finished => {}
            _ = clock.sleep_until(deadline) => {
                e.finish(
                    crate::store::Outcome::TimedOut {
                        error: "FnF.Timeout".into(),
                        cause: format!("Express executions may run at most {EXPRESS_MAX_SECONDS} seconds."),
                    },
                    clock.now(),
                );
            }
        }
    }
    let view = views::execution(&e, true);
    for k in ["Status", "StartedTime", "StoppedTime", "Environment"] {
        if let Some(v) = view.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    let st = e.lock();
    if let Some(o) = &st.output {
        out.insert("Output".into(), json!(o));
    }
    if st.status != crate::store::Status::Succeeded {
        if let Some((code, cause)) = &st.error {
            out.insert("ErrorCode".into(), json!(code));
            out.insert("ErrorMessage".into(), json!(cause));
        }
    }
    Ok(out)
}
