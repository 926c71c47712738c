//! Flow versions and aliases: PublishFlowVersion, ListFlowVersions, DeleteFlowVersion,
//! Create/Describe/Update/List/DeleteFlowAlias, and how a `Qualifier` picks a version.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{check_name, ActionResult, Call};
use crate::clock::format_time;
use crate::error::{ApiError, ErrorCode};
use crate::store::{Flow, FlowAlias, FlowVersion, Route};

fn flow(call: &Call<'_>) -> Result<Arc<Flow>, ApiError> {
    let name = call.params.required("FlowName")?;
    call.account
        .flow(name)
        .ok_or_else(|| ApiError::flow_not_exists(name))
}

fn parse_version(raw: &str, param: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>().ok().filter(|v| *v >= 1).ok_or_else(|| {
        ApiError::invalid(format!(
            "{param} must be a version number such as 1, got '{raw}'."
        ))
    })
}

/// The version a `Qualifier` selects: a version number, or an alias (picked by its weights).
pub fn resolve_qualifier(
    f: &Flow,
    qualifier: Option<&str>,
) -> Result<Option<(Arc<FlowVersion>, String)>, ApiError> {
    let Some(q) = qualifier else { return Ok(None) };
    let number = if q.bytes().all(|b| b.is_ascii_digit()) {
        parse_version(q, "Qualifier")?
    } else {
        let alias = f
            .alias(q)
            .ok_or_else(|| ApiError::new(ErrorCode::FlowAliasNotExists, &[q, &f.name]))?;
        alias.pick((uuid::Uuid::new_v4().as_u128() % 100) as u32)
    };
    let v = f.version(number).ok_or_else(|| {
        ApiError::new(
            ErrorCode::FlowVersionNotExists,
            &[&number.to_string(), &f.name],
        )
    })?;
    Ok(Some((v, q.to_string())))
}

fn version_view(v: &FlowVersion) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("Version".into(), json!(v.version.to_string()));
    o.insert("Description".into(), json!(v.description));
    o.insert("CreatedTime".into(), json!(format_time(v.created_time)));
    o
}

/// PublishFlowVersion: snapshot the flow's current definition, role and environment.
pub fn publish_flow_version(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let v = f.publish_version(
        call.params.get("Description").unwrap_or("").to_string(),
        call.app.clock.now(),
    );
    let mut o = version_view(&v);
    o.insert("FlowName".into(), json!(f.name));
    Ok(o)
}

/// ListFlowVersions, newest first; `NextToken` is the next version number.
pub fn list_flow_versions(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let limit = call.params.optional_int("Limit", 1, 1000)?.unwrap_or(60) as usize;
    let from = call
        .params
        .optional("NextToken")
        .map(|t| parse_version(t, "NextToken"))
        .transpose()?;
    let page = f.list_versions(from, limit);
    let mut out = Map::new();
    out.insert(
        "FlowVersions".into(),
        Value::Array(
            page.items
                .iter()
                .map(|v| Value::Object(version_view(v)))
                .collect(),
        ),
    );
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(out)
}

/// DeleteFlowVersion (refused while an alias routes to it).
pub fn delete_flow_version(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let raw = call.params.required("FlowVersion")?;
    let n = parse_version(raw, "FlowVersion")?;
    match f.delete_version(n) {
        Ok(()) => Ok(Map::new()),
        Err(None) => Err(ApiError::new(
            ErrorCode::FlowVersionNotExists,
            &[raw, &f.name],
        )),
        Err(Some(alias)) => Err(ApiError::invalid(format!(
            "Version {n} is routed to by alias {alias}; update or delete the alias first."
        ))),
    }
}

/// Parse `RoutingConfigurations`: 1 or 2 routes to existing, distinct versions, weights adding up to 100.
fn parse_routes(f: &Flow, raw: &str) -> Result<Vec<Route>, ApiError> {
    let bad = |why: &str| {
        ApiError::invalid(format!(
            "RoutingConfigurations {why}; e.g. [{{\"Version\":\"1\",\"Weight\":100}}]."
        ))
    };
    let v: Value = serde_json::from_str(raw).map_err(|_| bad("must be a JSON array"))?;
    let Value::Array(items) = v else {
        return Err(bad("must be a JSON array"));
    };
    if items.is_empty() || items.len() > 2 {
        return Err(bad("must route to one or two versions"));
    }
    let mut routes = Vec::new();
    for item in &items {
        let version = match item.get("Version") {
            Some(Value::String(s)) => parse_version(s, "RoutingConfigurations[].Version")?,
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|v| *v >= 1)
                .ok_or_else(|| bad("has a bad Version"))?,
            _ => return Err(bad("needs a Version in each entry")),
        };
        let weight = match item.get("Weight") {
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|w| *w <= 100)
                .ok_or_else(|| bad("needs weights from 0 to 100"))?,
            Some(Value::String(s)) => s
                .parse::<u64>()
                .ok()
                .filter(|w| *w <= 100)
                .ok_or_else(|| bad("needs weights from 0 to 100"))?,
            _ => return Err(bad("needs a Weight in each entry")),
        };
        if f.version(version).is_none() {
            return Err(ApiError::new(
                ErrorCode::FlowVersionNotExists,
                &[&version.to_string(), &f.name],
            ));
        }
        if routes.iter().any(|r: &Route| r.version == version) {
            return Err(bad("names a version twice"));
        }
        routes.push(Route {
            version,
            weight: weight as u32,
        });
    }
    if routes.iter().map(|r| r.weight).sum::<u32>() != 100 {
        return Err(bad("weights must add up to 100"));
    }
    Ok(routes)
}

fn alias_view(a: &FlowAlias) -> Value {
    json!({
        "Name": a.name,
        "Description": a.description,
        "RoutingConfigurations": a.routes.iter().map(|r| json!({ "Version": r.version.to_string(), "Weight": r.weight })).collect::<Vec<_>>(),
        "CreatedTime": format_time(a.created_time),
        "LastModifiedTime": format_time(a.last_modified_time),
    })
}

fn alias_or_404(f: &Flow, name: &str) -> Result<FlowAlias, ApiError> {
    f.alias(name)
        .ok_or_else(|| ApiError::new(ErrorCode::FlowAliasNotExists, &[name, &f.name]))
}

/// CreateFlowAlias.
pub fn create_flow_alias(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let f = flow(call)?;
    let name = p.required("Name")?;
    check_name("Name", name)?;
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "An alias name cannot be a number (it would read as a version).",
        ));
    }
    let routes = parse_routes(&f, p.required("RoutingConfigurations")?)?;
    let now = call.app.clock.now();
    let alias = FlowAlias {
        name: name.to_string(),
        description: p.get("Description").unwrap_or("").to_string(),
        routes,
        created_time: now,
        last_modified_time: now,
    };
    let a = f
        .add_alias(alias)
        .map_err(|_| ApiError::new(ErrorCode::FlowAliasAlreadyExists, &[name, &f.name]))?;
    let mut out = alias_view(&a).as_object().cloned().unwrap_or_default();
    out.insert("FlowName".into(), json!(f.name));
    Ok(out)
}

/// DescribeFlowAlias.
pub fn describe_flow_alias(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let a = alias_or_404(&f, call.params.required("Name")?)?;
    let mut out = Map::new();
    out.insert("Alias".into(), alias_view(&a));
    Ok(out)
}

/// UpdateFlowAlias: `Description` and `RoutingConfigurations` change when given.
pub fn update_flow_alias(call: &Call<'_>) -> ActionResult {
    let p = call.params;
    let f = flow(call)?;
    let name = p.required("Name")?;
    alias_or_404(&f, name)?;
    let routes = p
        .optional("RoutingConfigurations")
        .map(|r| parse_routes(&f, r))
        .transpose()?;
    let now = call.app.clock.now();
    let a = f
        .update_alias(name, |a| {
            if let Some(d) = p.get("Description") {
                a.description = d.to_string();
            }
            if let Some(r) = routes {
                a.routes = r;
            }
            a.last_modified_time = now;
        })
        .ok_or_else(|| ApiError::new(ErrorCode::FlowAliasNotExists, &[name, &f.name]))?;
    let mut out = Map::new();
    out.insert("Alias".into(), alias_view(&a));
    Ok(out)
}

/// ListFlowAliases, by name; `NextToken` is the first name of the next page.
pub fn list_flow_aliases(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let limit = call.params.optional_int("Limit", 1, 1000)?.unwrap_or(60) as usize;
    let page = f.list_aliases(call.params.optional("NextToken"), limit);
    let mut out = Map::new();
    out.insert(
        "Aliases".into(),
        Value::Array(page.items.iter().map(alias_view).collect()),
    );
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(out)
}

/// DeleteFlowAlias.
pub fn delete_flow_alias(call: &Call<'_>) -> ActionResult {
    let f = flow(call)?;
    let name = call.params.required("Name")?;
    f.remove_alias(name)
        .ok_or_else(|| ApiError::new(ErrorCode::FlowAliasNotExists, &[name, &f.name]))?;
    Ok(Map::new())
}
