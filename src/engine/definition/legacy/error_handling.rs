//! Legacy `retry`, `catch` and `errorMappings` of a `task`, `parallel` or `foreach` step →
//! [`ErrorHandling`].

use serde_json::{json, Map, Value};

use super::super::fields::{check_keys, list, opt_number, opt_uint, req_string, Ctx};
use super::super::{CatchRule, ErrorHandling, RetryRule, Template};
use super::mapping::mappings;
use super::{goto, Pos};

fn error_names(o: &Map<String, Value>, path: &str, cx: &mut Ctx) -> Option<Vec<String>> {
    let names = match o.get("errors") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|e| e.as_str().filter(|s| !s.is_empty()).map(str::to_string))
            .collect::<Option<Vec<_>>>(),
        _ => None,
    };
    if names.is_none() {
        cx.errs.push(format!(
            "{path}.errors: required, a non-empty list of error names (FnF.ALL matches all)."
        ));
    }
    names
}

pub(super) fn parse_errors(
    obj: &Map<String, Value>,
    path: &str,
    at: &Pos<'_>,
    cx: &mut Ctx,
) -> Option<ErrorHandling> {
    let before = cx.errs.len();
    let mut eh = ErrorHandling::default();
    if obj.contains_key("errorMappings") && !obj.contains_key("catch") {
        cx.errs.push(format!(
            "{path}.errorMappings: only with catch (it builds the output handed to the catch's goto)."
        ));
    }
    // Without errorMappings a caught step outputs nothing.
    let catch_output = mappings(obj, "errorMappings", path, cx)
        .map(Template::Legacy)
        .unwrap_or(Template::Literal(json!({})));
    for (i, r) in list(obj, "retry", path, cx).iter().enumerate() {
        let p = format!("{path}.retry[{i}]");
        let Value::Object(ro) = r else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(
            ro,
            &p,
            &[
                "errors",
                "intervalSeconds",
                "maxAttempts",
                "multiplier",
                "maxIntervalSeconds",
                "description",
            ],
            cx,
        );
        let errors = error_names(ro, &p, cx);
        let interval = opt_number(ro, "intervalSeconds", &p, 0.0, 86_400.0, cx).unwrap_or(1.0);
        let max_attempts = opt_uint(ro, "maxAttempts", &p, 0, 1000, cx).unwrap_or(3);
        let multiplier = opt_number(ro, "multiplier", &p, 1.0, 1000.0, cx).unwrap_or(2.0);
        let cap = opt_number(ro, "maxIntervalSeconds", &p, 0.0, 86_400.0, cx);
        if let Some(errors) = errors {
            eh.retry.push(RetryRule {
                errors,
                max_attempts: max_attempts as u32,
                interval_seconds: interval,
                backoff_rate: multiplier,
                max_backoff_seconds: cap,
            });
        }
    }
    for (i, c) in list(obj, "catch", path, cx).iter().enumerate() {
        let p = format!("{path}.catch[{i}]");
        let Value::Object(co) = c else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(co, &p, &["errors", "goto", "description"], cx);
        let errors = error_names(co, &p, cx);
        let next =
            req_string(co, "goto", &p, cx).and_then(|g| goto(&g, &format!("{p}.goto"), at, cx));
        if let (Some(errors), Some(next)) = (errors, next) {
            eh.catch.push(CatchRule {
                errors,
                output: Some(catch_output.clone()),
                next,
            });
        }
    }
    (cx.errs.len() == before).then_some(eh)
}
