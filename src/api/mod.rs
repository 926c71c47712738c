//! One function per API action: typed parameters in, store/engine calls, a JSON object out.
//! [`dispatch`] is the single table from action name to function. Actions of the API that are
//! not built would answer `NotImplemented` (501) naming themselves (all 29 are built); names outside the API answer
//! `ActionNotSupported`.

mod execution;
mod flow;
pub use flow::parse_definition;
mod map_run;
mod regions;
mod schedule;
mod task;
mod versions;
mod views;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::protocol::params::Params;
use crate::protocol::response::Reply;
use crate::store::Account;
use crate::AppState;

/// Every action of fnf 2019-03-15 (api.md §1).
pub const ACTIONS: [&str; 29] = [
    "CreateFlow",
    "DescribeFlow",
    "UpdateFlow",
    "DeleteFlow",
    "ListFlows",
    "StartExecution",
    "StartSyncExecution",
    "StopExecution",
    "DescribeExecution",
    "ListExecutions",
    "GetExecutionHistory",
    "ReportTaskSucceeded",
    "ReportTaskFailed",
    "CreateSchedule",
    "DescribeSchedule",
    "UpdateSchedule",
    "DeleteSchedule",
    "ListSchedules",
    "PublishFlowVersion",
    "ListFlowVersions",
    "DeleteFlowVersion",
    "CreateFlowAlias",
    "DescribeFlowAlias",
    "UpdateFlowAlias",
    "ListFlowAliases",
    "DeleteFlowAlias",
    "DescribeMapRun",
    "UpdateMapRun",
    "DescribeRegions",
];

/// Everything an action needs.
pub struct Call<'a> {
    /// Server state.
    pub app: &'a Arc<AppState>,
    /// The caller's account.
    pub account: Arc<Account>,
    /// Its id.
    pub account_id: String,
    /// Request parameters.
    pub params: &'a Params,
}

/// Result of an action: the response fields (without `RequestId`).
pub type ActionResult = Result<Map<String, Value>, ApiError>;

/// Result of an action that writes its answer itself (the hot execution actions).
pub type Answer = Result<Reply, ApiError>;

/// CreateFlow, for callers inside the emulator (the `--init` preload): the same checks as the API.
pub fn create_flow(call: &Call<'_>) -> ActionResult {
    flow::create_flow(call)
}

/// CreateSchedule for preloaded state (`--init`).
pub fn dispatch_sync_create_schedule(call: &Call<'_>) -> ActionResult {
    schedule::create_schedule(call)
}

/// Whether `action` is part of the API (built or not).
pub fn is_known(action: &str) -> bool {
    ACTIONS.contains(&action)
}

/// Run `action`.
pub async fn dispatch(action: &str, call: Call<'_>) -> Answer {
    match action {
        "StartExecution" => execution::start_execution(&call),
        "StopExecution" => execution::stop_execution(&call),
        "DescribeExecution" => execution::describe_execution(&call).await,
        "ListExecutions" => execution::list_executions(&call),
        "GetExecutionHistory" => execution::get_execution_history(&call),
        _ => dispatch_fields(action, &call).await.map(Reply::Fields),
    }
}

/// The actions that answer with a map of fields.
async fn dispatch_fields(action: &str, call: &Call<'_>) -> ActionResult {
    match action {
        "CreateFlow" => flow::create_flow(call),
        "DescribeFlow" => flow::describe_flow(call),
        "UpdateFlow" => flow::update_flow(call),
        "DeleteFlow" => flow::delete_flow(call),
        "ListFlows" => flow::list_flows(call),
        "StartSyncExecution" => execution::start_sync_execution(call).await,
        "DescribeRegions" => regions::describe_regions(call),
        "DescribeMapRun" => map_run::describe_map_run(call),
        "UpdateMapRun" => map_run::update_map_run(call),
        "PublishFlowVersion" => versions::publish_flow_version(call),
        "ListFlowVersions" => versions::list_flow_versions(call),
        "DeleteFlowVersion" => versions::delete_flow_version(call),
        "CreateFlowAlias" => versions::create_flow_alias(call),
        "DescribeFlowAlias" => versions::describe_flow_alias(call),
        "UpdateFlowAlias" => versions::update_flow_alias(call),
        "ListFlowAliases" => versions::list_flow_aliases(call),
        "DeleteFlowAlias" => versions::delete_flow_alias(call),
        "CreateSchedule" => schedule::create_schedule(call),
        "DescribeSchedule" => schedule::describe_schedule(call),
        "UpdateSchedule" => schedule::update_schedule(call),
        "DeleteSchedule" => schedule::delete_schedule(call),
        "ListSchedules" => schedule::list_schedules(call),
        "ReportTaskSucceeded" => task::report_task_succeeded(call),
        "ReportTaskFailed" => task::report_task_failed(call),
        a if is_known(a) => Err(ApiError::new(
            ErrorCode::NotImplemented,
            &[&format!("The action '{a}'")],
        )),
        a => Err(ApiError::new(ErrorCode::ActionNotSupported, &[a])),
    }
}

/// The name rule for flows, executions and schedules: `^[A-Za-z_][A-Za-z0-9_-]{0,127}$`.
pub fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
}

/// Check a name given for a new resource.
pub fn check_name(param: &str, value: &str) -> Result<(), ApiError> {
    if valid_name(value) {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "{param} '{value}' is invalid: use 1-128 letters, digits, '_' or '-', starting with a letter or '_'."
        )))
    }
}

/// Check an optional string's length in characters.
pub fn check_len(param: &str, value: Option<&str>, min: usize, max: usize) -> Result<(), ApiError> {
    if let Some(v) = value {
        let n = v.chars().count();
        if n < min || n > max {
            return Err(ApiError::invalid(format!(
                "{param} must be {min} to {max} characters long, got {n}."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rule() {
        assert!(valid_name("my_flow-1"));
        assert!(valid_name("_x"));
        assert!(valid_name(&"a".repeat(128)));
        assert!(!valid_name(&"a".repeat(129)));
        assert!(!valid_name("1abc"));
        assert!(!valid_name("-abc"));
        assert!(!valid_name("a b"));
        assert!(!valid_name("a:b"));
        assert!(!valid_name(""));
        assert!(!valid_name("流程"));
    }

    #[test]
    fn lengths_count_characters() {
        assert!(check_len("Error", Some("流"), 1, 1).is_ok());
        assert!(check_len("Error", Some(""), 1, 128).is_err());
        assert!(check_len("Error", None, 1, 128).is_ok());
    }
}
