//! The JSON shapes of flows, executions and history events in responses.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::clock::format_time;
use crate::protocol::response::Reply;
use crate::store::{Event, Execution, Flow, FlowMeta};

/// A flow's fields (CreateFlow / DescribeFlow / ListFlows items).
pub fn flow(f: &Flow) -> Map<String, Value> {
    flow_as(f, &f.meta())
}

/// A flow's fields with the given attributes (the current ones, or a published version's).
pub fn flow_as(f: &Flow, m: &FlowMeta) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("Name".into(), json!(f.name));
    o.insert("Id".into(), json!(f.id));
    o.insert("Type".into(), json!(m.flow_type));
    o.insert("Definition".into(), json!(&**m.definition_text));
    o.insert("Description".into(), json!(m.description));
    o.insert("ExecutionMode".into(), json!(m.execution_mode));
    o.insert("CreatedTime".into(), json!(format_time(f.created_time)));
    o.insert(
        "LastModifiedTime".into(),
        json!(format_time(m.last_modified_time)),
    );
    if let Some(r) = &m.role_arn {
        o.insert("RoleArn".into(), json!(r));
    }
    if let Some(e) = &m.environment {
        o.insert("Environment".into(), e.clone());
    }
    if let Some(l) = &m.external_storage_location {
        o.insert("ExternalStorageLocation".into(), json!(l));
    }
    if let Some(g) = &m.resource_group_id {
        o.insert("ResourceGroupId".into(), json!(g));
    }
    o
}

/// An execution as the API shows it, borrowing from the record (built under its lock).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExecutionView<'a> {
    name: &'a str,
    flow_name: &'a str,
    status: &'static str,
    started_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped_time: Option<String>,
    /// Escaped once per flow version ([`crate::store::DefinitionText`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_definition: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a Value>,
}

/// Run `f` on the view of `e` (with `metadata_only`, without definition, input and output).
fn with_execution<R>(
    e: &Execution,
    metadata_only: bool,
    f: impl FnOnce(&ExecutionView<'_>) -> R,
) -> R {
    let st = e.lock();
    let full = !metadata_only;
    f(&ExecutionView {
        name: &e.name,
        flow_name: &e.flow_name,
        status: st.status.as_str(),
        started_time: format_time(e.started_time),
        stopped_time: st.stopped_time.map(format_time),
        flow_definition: full.then(|| e.definition_text.as_json()),
        input: full.then_some(e.input.as_str()),
        output: st.output.as_deref().filter(|_| full),
        role_arn: e.role_arn(),
        environment: e.environment(),
    })
}

/// An execution's fields (StartSyncExecution).
pub fn execution(e: &Execution, metadata_only: bool) -> Map<String, Value> {
    match with_execution(e, metadata_only, |v| serde_json::to_value(v)) {
        Ok(Value::Object(o)) => o,
        _ => Map::new(),
    }
}

/// Append an execution's JSON object to `out` (Start/Stop/DescribeExecution, ListExecutions).
pub fn write_execution(out: &mut Vec<u8>, e: &Execution, metadata_only: bool) {
    // Serializing borrowed strings into a Vec cannot fail.
    let _ = with_execution(e, metadata_only, |v| serde_json::to_writer(&mut *out, v));
}

/// An execution's JSON object on its own.
pub fn execution_reply(e: &Execution, metadata_only: bool) -> Reply {
    let mut out = Vec::with_capacity(256 + e.definition_text.len() + e.input.len());
    write_execution(&mut out, e, metadata_only);
    Reply::Object(out)
}

/// One history event as the API shows it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventView<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    event_id: u64,
    schedule_event_id: u64,
    #[serde(skip_serializing_if = "str::is_empty")]
    step_name: &'a str,
    time: String,
    event_detail: &'a str,
}

/// The view of one history event.
pub fn event(ev: &Event) -> EventView<'_> {
    EventView {
        kind: ev.kind.as_str(),
        event_id: ev.id,
        schedule_event_id: ev.schedule_id,
        step_name: &ev.step_name,
        time: format_time(ev.time),
        event_detail: &ev.detail,
    }
}
