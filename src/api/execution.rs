//! Execution actions: StartExecution, StopExecution, DescribeExecution, GetExecutionHistory.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{check_len, check_name, views, ActionResult, Call};
use crate::error::{ApiError, ErrorCode};
use crate::store::{Execution, Flow, NewExecution, Started};

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

fn execution(call: &Call<'_>) -> Result<Arc<Execution>, ApiError> {
    let (f, flow_name) = flow(call, "FlowName")?;
    let name = call.params.required("ExecutionName")?;
    f.execution(name)
        .ok_or_else(|| ApiError::execution_not_exists(name, &flow_name))
}

/// StartExecution.
pub fn start_execution(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let (f, flow_name) = flow(call, "FlowName")?;
    let name = match p.optional("ExecutionName") {
        Some(n) => {
            check_name("ExecutionName", n)?;
            n.to_string()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let input = match p.optional("Input") {
        None => "{}".to_string(),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(_)) => raw.to_string(),
            _ => {
                return Err(ApiError::invalid(
                    "Input must be a JSON object, e.g. {\"key\":\"value\"}.",
                ))
            }
        },
    };
    if p.optional("Qualifier").is_some() {
        return Err(ApiError::new(
            ErrorCode::NotImplemented,
            &["StartExecution with Qualifier (flow versions and aliases)"],
        ));
    }
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
    let clock = &call.app.clock;
    let started = f.start_execution(&name, || {
        Execution::new(NewExecution {
            name: name.clone(),
            flow_name: flow_name.clone(),
            input,
            definition_text: meta.definition_text.clone(),
            definition: meta.definition.clone(),
            role_arn: meta.role_arn.clone(),
            environment: meta.environment.clone(),
            callback_token,
            started_time: clock.now(),
        })
    });
    match started {
        Started::New(e) => {
            crate::engine::spawn(
                e.clone(),
                clock.clone(),
                call.app.tasks.clone(),
                call.account_id.clone(),
            );
            Ok(views::execution(&e, false))
        }
        Started::InProgress(e) => Ok(views::execution(&e, false)),
        Started::Ended(_) => Err(ApiError::new(
            ErrorCode::ExecutionAlreadyExists,
            &[&name, &flow_name],
        )),
    }
}

/// StopExecution.
pub fn stop_execution(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let error = p.get("Error");
    let cause = p.get("Cause");
    check_len("Error", error, 1, 128)?;
    check_len("Cause", cause, 1, 4096)?;
    let e = execution(call)?;
    match e.stop(error, cause, call.app.clock.now()) {
        Ok(()) => Ok(views::execution(&e, false)),
        Err(_) => Err(ApiError::new(
            ErrorCode::ExecutionAlreadyCompleted,
            &[&e.name, &e.flow_name],
        )),
    }
}

/// DescribeExecution, with long polling through `WaitTimeSeconds` (0-60).
pub async fn describe_execution(call: &Call<'_>) -> ActionResult {
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
    Ok(views::execution(&e, false))
}

/// GetExecutionHistory, paged by `NextToken` (the EventId to continue from).
pub fn get_execution_history(call: &Call<'_>) -> ActionResult {
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
    let events: Vec<Value> = st.history[start..end].iter().map(views::event).collect();
    let more = end < st.history.len();
    drop(st);
    let mut out = Map::new();
    out.insert("Events".into(), Value::Array(events));
    if more {
        out.insert("NextToken".into(), json!((end + 1).to_string()));
    }
    Ok(out)
}
