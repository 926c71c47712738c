//! The JSON shapes of flows, executions and history events in responses.

use serde_json::{json, Map, Value};

use crate::clock::format_time;
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
    o.insert("Definition".into(), json!(&*m.definition_text));
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

/// An execution's fields (Start/Stop/DescribeExecution, ListExecutions items).
pub fn execution(e: &Execution, metadata_only: bool) -> Map<String, Value> {
    let st = e.lock();
    let mut o = Map::new();
    o.insert("Name".into(), json!(e.name));
    o.insert("FlowName".into(), json!(e.flow_name));
    o.insert("Status".into(), json!(st.status.as_str()));
    o.insert("StartedTime".into(), json!(format_time(e.started_time)));
    if let Some(t) = st.stopped_time {
        o.insert("StoppedTime".into(), json!(format_time(t)));
    }
    if !metadata_only {
        o.insert("FlowDefinition".into(), json!(&*e.definition_text));
        o.insert("Input".into(), json!(e.input));
        if let Some(out) = &st.output {
            o.insert("Output".into(), json!(out));
        }
    }
    if let Some(r) = e.role_arn() {
        o.insert("RoleArn".into(), json!(r));
    }
    if let Some(env) = e.environment() {
        o.insert("Environment".into(), env.clone());
    }
    o
}

/// One history event.
pub fn event(ev: &Event) -> Value {
    let mut o = Map::new();
    o.insert("Type".into(), json!(ev.kind.as_str()));
    o.insert("EventId".into(), json!(ev.id));
    o.insert("ScheduleEventId".into(), json!(ev.schedule_id));
    if !ev.step_name.is_empty() {
        o.insert("StepName".into(), json!(&*ev.step_name));
    }
    o.insert("Time".into(), json!(format_time(ev.time)));
    o.insert("EventDetail".into(), json!(ev.detail));
    Value::Object(o)
}
