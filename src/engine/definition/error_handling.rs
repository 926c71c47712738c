//! `Retry`, `Catch` and the older `OnErrors` of a Task, Parallel or Map → [`ErrorHandling`].

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::fields::{check_keys, list, opt_number, opt_uint, req_string, template, Ctx};
use super::parse::{target, IN_VARS};
use super::{CatchRule, ErrorHandling, RetryRule};

fn error_names(o: &Map<String, Value>, path: &str, cx: &mut Ctx) -> Option<Vec<String>> {
    match o.get("Errors") {
        Some(Value::Array(a)) if !a.is_empty() => {
            let names: Vec<String> = a
                .iter()
                .filter_map(|e| e.as_str().filter(|s| !s.is_empty()).map(str::to_string))
                .collect();
            if names.len() == a.len() {
                return Some(names);
            }
            cx.errs.push(format!(
                "{path}.Errors: every entry must be a non-empty string."
            ));
            None
        }
        _ => {
            cx.errs.push(format!(
                "{path}.Errors: required, a non-empty list of error names (FnF.ALL matches all)."
            ));
            None
        }
    }
}

pub(super) fn parse_error_handling(
    obj: &Map<String, Value>,
    path: &str,
    index: &HashMap<String, usize>,
    cx: &mut Ctx,
) -> Option<ErrorHandling> {
    let before = cx.errs.len();
    let mut eh = ErrorHandling::default();
    for (i, r) in list(obj, "Retry", path, cx).iter().enumerate() {
        let p = format!("{path}.Retry[{i}]");
        let Value::Object(ro) = r else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(
            ro,
            &p,
            &[
                "Errors",
                "Description",
                "MaxAttempts",
                "IntervalSeconds",
                "BackoffRate",
                "MaxBackoffSeconds",
            ],
            cx,
        );
        let errors = error_names(ro, &p, cx);
        for key in ["MaxAttempts", "IntervalSeconds"] {
            if !ro.contains_key(key) {
                cx.errs.push(format!("{p}.{key}: required."));
            }
        }
        let max_attempts = opt_uint(ro, "MaxAttempts", &p, 0, 1000, cx);
        let interval = opt_number(ro, "IntervalSeconds", &p, 0.0, 86_400.0, cx);
        let backoff_rate = opt_number(ro, "BackoffRate", &p, 1.0, 1000.0, cx).unwrap_or(1.0);
        let max_backoff = opt_number(ro, "MaxBackoffSeconds", &p, 0.0, 86_400.0, cx);
        if let (Some(errors), Some(max_attempts), Some(interval_seconds)) =
            (errors, max_attempts, interval)
        {
            eh.retry.push(RetryRule {
                errors,
                max_attempts: max_attempts as u32,
                interval_seconds,
                backoff_rate,
                max_backoff_seconds: max_backoff,
            });
        }
    }
    for (i, c) in list(obj, "Catch", path, cx).iter().enumerate() {
        let p = format!("{path}.Catch[{i}]");
        let Value::Object(co) = c else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(
            co,
            &p,
            &["Errors", "Description", "OutputConstructor", "Next"],
            cx,
        );
        let errors = error_names(co, &p, cx);
        let output = template(co, "OutputConstructor", &p, IN_VARS, cx);
        let next = req_string(co, "Next", &p, cx)
            .and_then(|n| target(&n, &format!("{p}.Next"), index, cx));
        if let (Some(errors), Some(next)) = (errors, next) {
            eh.catch.push(CatchRule {
                errors,
                output,
                next,
            });
        }
    }
    // The older OnErrors form: each entry retries or goes to Next (mutually exclusive).
    for (i, c) in list(obj, "OnErrors", path, cx).iter().enumerate() {
        let p = format!("{path}.OnErrors[{i}]");
        let Value::Object(co) = c else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(
            co,
            &p,
            &[
                "Errors",
                "Description",
                "Retry",
                "Next",
                "OutputConstructor",
            ],
            cx,
        );
        let errors = error_names(co, &p, cx);
        match (co.get("Retry"), co.get("Next")) {
            (Some(_), Some(_)) => cx
                .errs
                .push(format!("{p}: Retry and Next are mutually exclusive.")),
            (Some(Value::Object(ro)), None) => {
                let rp = format!("{p}.Retry");
                check_keys(ro, &rp, &["MaxAttempts", "FixedBackoff", "Multiplier"], cx);
                if !ro.contains_key("MaxAttempts") {
                    cx.errs.push(format!("{rp}.MaxAttempts: required."));
                }
                let max_attempts = opt_uint(ro, "MaxAttempts", &rp, 0, 1000, cx);
                let interval =
                    opt_number(ro, "FixedBackoff", &rp, 0.0, 86_400.0, cx).unwrap_or(1.0);
                let rate = opt_number(ro, "Multiplier", &rp, 1.0, 1000.0, cx).unwrap_or(1.0);
                if let (Some(errors), Some(max_attempts)) = (errors, max_attempts) {
                    eh.retry.push(RetryRule {
                        errors,
                        max_attempts: max_attempts as u32,
                        interval_seconds: interval,
                        backoff_rate: rate,
                        max_backoff_seconds: None,
                    });
                }
            }
            (Some(_), None) => cx.errs.push(format!("{p}.Retry: must be an object.")),
            (None, Some(_)) => {
                let output = template(co, "OutputConstructor", &p, IN_VARS, cx);
                let next = req_string(co, "Next", &p, cx)
                    .and_then(|n| target(&n, &format!("{p}.Next"), index, cx));
                if let (Some(errors), Some(next)) = (errors, next) {
                    eh.catch.push(CatchRule {
                        errors,
                        output,
                        next,
                    });
                }
            }
            (None, None) => cx.errs.push(format!("{p}: needs Retry or Next.")),
        }
    }
    (cx.errs.len() == before).then_some(eh)
}
