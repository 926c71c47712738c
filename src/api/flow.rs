//! Flow actions: CreateFlow, DescribeFlow.

use std::sync::Arc;

use serde_json::Value;

use super::{check_name, views, ActionResult, Call};
use crate::engine::definition::{self, ExecutionMode};
use crate::error::{ApiError, ErrorCode};
use crate::store::{Flow, FlowMeta};

/// Validate an `Environment` JSON string: `{"Variables": [{"Name", "Value", "Description"}]}`.
fn parse_environment(raw: &str) -> Result<Value, ApiError> {
    let v: Value = serde_json::from_str(raw)
        .map_err(|e| ApiError::invalid(format!("Environment is not valid JSON: {e}.")))?;
    let Value::Object(obj) = &v else {
        return Err(ApiError::invalid("Environment must be a JSON object."));
    };
    for k in obj.keys() {
        if k != "Variables" {
            return Err(ApiError::invalid(format!(
                "Environment: unknown field '{k}'."
            )));
        }
    }
    if let Some(vars) = obj.get("Variables") {
        let Value::Array(vars) = vars else {
            return Err(ApiError::invalid("Environment.Variables must be a list."));
        };
        for (i, var) in vars.iter().enumerate() {
            let Value::Object(o) = var else {
                return Err(ApiError::invalid(format!(
                    "Environment.Variables[{i}] must be an object."
                )));
            };
            for (k, val) in o {
                if !matches!(k.as_str(), "Name" | "Value" | "Description") {
                    return Err(ApiError::invalid(format!(
                        "Environment.Variables[{i}]: unknown field '{k}'."
                    )));
                }
                if !val.is_string() {
                    return Err(ApiError::invalid(format!(
                        "Environment.Variables[{i}].{k} must be a string."
                    )));
                }
            }
        }
    }
    Ok(v)
}

/// Parse `ExecutionMode` (empty means Standard).
fn parse_mode(raw: Option<&str>) -> Result<(ExecutionMode, &'static str), ApiError> {
    match raw.unwrap_or("") {
        "" | "Standard" => Ok((ExecutionMode::Standard, "Standard")),
        "Express" => Ok((ExecutionMode::Express, "Express")),
        other => Err(ApiError::invalid(format!(
            "ExecutionMode must be Standard or Express, got '{other}'."
        ))),
    }
}

/// Parse and validate a definition for flow `name`.
pub fn parse_definition(
    text: &str,
    name: &str,
    mode: ExecutionMode,
) -> Result<definition::FlowDef, ApiError> {
    let def = definition::parse(text, mode)
        .map_err(|errs| ApiError::invalid(format!("Definition is invalid: {}", errs.join(" "))))?;
    if let Some(n) = &def.name {
        if n != name {
            return Err(ApiError::invalid(format!(
                "Definition is invalid: Definition.Name '{n}' must equal the flow name '{name}'."
            )));
        }
    }
    Ok(def)
}

/// CreateFlow.
pub fn create_flow(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let name = p.required("Name")?;
    let text = p.required("Definition")?;
    let description = p
        .get("Description")
        .ok_or_else(|| ApiError::missing("Description"))?;
    let flow_type = p.required("Type")?;
    check_name("Name", name)?;
    if flow_type != "FDL" {
        return Err(ApiError::invalid(format!(
            "Type must be FDL, got '{flow_type}'."
        )));
    }
    let (mode, mode_name) = parse_mode(p.get("ExecutionMode"))?;
    let environment = p
        .optional("Environment")
        .map(parse_environment)
        .transpose()?;
    let def = parse_definition(text, name, mode)?;
    let now = call.app.clock.now();
    let meta = FlowMeta {
        definition_text: Arc::new(crate::store::DefinitionText::from(text)),
        definition: Arc::new(def),
        description: description.to_string(),
        flow_type: flow_type.to_string(),
        role_arn: p.optional("RoleArn").map(str::to_string),
        environment,
        execution_mode: mode_name.to_string(),
        external_storage_location: p.optional("ExternalStorageLocation").map(str::to_string),
        resource_group_id: p.optional("ResourceGroupId").map(str::to_string),
        last_modified_time: now,
    };
    let flow = Flow::new(
        uuid::Uuid::new_v4().to_string(),
        name.to_string(),
        now,
        meta,
    );
    match call.account.create_flow(flow) {
        Ok(f) => Ok(views::flow(&f)),
        Err(_) => Err(ApiError::new(ErrorCode::FlowAlreadyExists, &[name])),
    }
}

/// DescribeFlow.
pub fn describe_flow(call: &Call<'_>) -> ActionResult {
    let name = call.params.required("Name")?;
    let flow = call
        .account
        .flow(name)
        .ok_or_else(|| ApiError::flow_not_exists(name))?;
    match call.params.optional("FlowVersion") {
        None => Ok(views::flow(&flow)),
        Some(raw) => {
            let v = raw
                .parse::<u64>()
                .ok()
                .and_then(|n| flow.version(n))
                .ok_or_else(|| ApiError::new(ErrorCode::FlowVersionNotExists, &[raw, name]))?;
            Ok(views::flow_as(&flow, &v.meta))
        }
    }
}

/// UpdateFlow: the given fields change, omitted ones stay; running executions keep their snapshot.
pub fn update_flow(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let name = p.required("Name")?;
    let flow = call
        .account
        .flow(name)
        .ok_or_else(|| ApiError::flow_not_exists(name))?;
    if let Some(t) = p.optional("Type") {
        if t != "FDL" {
            return Err(ApiError::invalid(format!("Type must be FDL, got '{t}'.")));
        }
    }
    let environment = p
        .optional("Environment")
        .map(parse_environment)
        .transpose()?;
    let current = flow.meta();
    let (mode, _) = parse_mode(Some(current.execution_mode.as_str()))?;
    let definition = match p.optional("Definition") {
        Some(text) => Some((
            Arc::new(crate::store::DefinitionText::from(text)),
            Arc::new(parse_definition(text, name, mode)?),
        )),
        None => None,
    };
    let now = call.app.clock.now();
    flow.update_meta(|m| {
        if let Some((text, def)) = definition {
            m.definition_text = text;
            m.definition = def;
        }
        if let Some(d) = p.get("Description") {
            m.description = d.to_string();
        }
        if let Some(r) = p.get("RoleArn") {
            m.role_arn = (!r.is_empty()).then(|| r.to_string());
        }
        if let Some(e) = environment {
            m.environment = Some(e);
        }
        m.last_modified_time = now;
    });
    Ok(views::flow(&flow))
}

/// DeleteFlow: the flow and all its executions go; running executions are stopped.
pub fn delete_flow(call: &Call<'_>) -> ActionResult {
    let name = call.params.required("Name")?;
    let flow = call
        .account
        .delete_flow(name)
        .ok_or_else(|| ApiError::flow_not_exists(name))?;
    let now = call.app.clock.now();
    for s in flow.all_schedules() {
        s.disarm();
    }
    for e in flow.mark_deleted() {
        let _ = e.stop(
            Some("FnF.FlowDeleted"),
            Some(&format!("Flow {name} was deleted.")),
            now,
        );
    }
    Ok(serde_json::Map::new())
}

/// ListFlows: by name; `NextToken` is the name of the first flow of the next page.
pub fn list_flows(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let limit = p.optional_int("Limit", 1, 1000)?.unwrap_or(60) as usize;
    let page = call.account.list_flows(p.optional("NextToken"), limit);
    let mut out = serde_json::Map::new();
    out.insert(
        "Flows".into(),
        Value::Array(
            page.items
                .iter()
                .map(|f| Value::Object(views::flow(f)))
                .collect(),
        ),
    );
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), Value::String(t));
    }
    Ok(out)
}
