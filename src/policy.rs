//! RAM-style access policies on credentials: `Allow`/`Deny` statements over actions
//! (`fnf:StopExecution`, `fnf:Describe*`, `fnf:*`) and resources
//! (`acs:fnf:{region}:{account}:flow/{name}` and `.../flow/{name}/execution/{name}`).
//!
//! Evaluation: an explicit `Deny` that matches wins; otherwise some `Allow` must match; a
//! credential without a policy may do everything. Patterns take `*` (any run of characters,
//! `/` included) and `?` (one character); actions compare without regard to case, resources
//! exactly.

use serde::{Deserialize, Serialize};

use crate::config::Credential;
use crate::error::{ApiError, ErrorCode};
use crate::protocol::params::Params;

/// Refuse the call with `AccessDenied` (403) unless `cred`'s policy (if any) allows it.
pub fn authorize(
    cred: &Credential,
    action: &str,
    params: &Params,
    region: &str,
) -> Result<(), ApiError> {
    let Some(policy) = &cred.policy else {
        return Ok(());
    };
    let resource = resource_of(action, params, region, &cred.account_id);
    if policy.allows(&format!("fnf:{action}"), &resource) {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::AccessDenied, &[]))
    }
}

/// The flow a call names: `Name` for the flow actions, `FlowName` for the others.
pub fn flow_name_of<'a>(action: &str, params: &'a Params) -> Option<&'a str> {
    match action {
        "CreateFlow" | "DescribeFlow" | "UpdateFlow" | "DeleteFlow" => params.optional("Name"),
        _ => params.optional("FlowName"),
    }
}

/// A policy document (`Version` is accepted and ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Policy language version, e.g. `"1"`.
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The statements.
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Effect {
    /// Grants the matching calls.
    Allow,
    /// Refuses the matching calls, whatever else allows them.
    Deny,
}

/// One statement: an effect over actions and resources.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Allow or Deny.
    #[serde(rename = "Effect")]
    pub effect: Effect,
    /// Action patterns (`fnf:StartExecution`, `fnf:List*`, `*`); a single string is accepted.
    #[serde(rename = "Action", deserialize_with = "one_or_many")]
    pub action: Vec<String>,
    /// Resource patterns; a single string is accepted.
    #[serde(rename = "Resource", deserialize_with = "one_or_many")]
    pub resource: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

impl Policy {
    /// Whether the policy lets `action` (`fnf:…`) touch `resource`.
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        let matching = |s: &&Statement| {
            s.action.iter().any(|p| wildcard(p, action, true))
                && s.resource.iter().any(|p| wildcard(p, resource, false))
        };
        let mut allowed = false;
        for s in self.statement.iter().filter(matching) {
            match s.effect {
                Effect::Deny => return false,
                Effect::Allow => allowed = true,
            }
        }
        allowed
    }
}

/// Whether `text` matches `pattern` (`*` any run, `?` one character).
pub fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let norm = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (norm(pattern), norm(text));
    // Iterative glob matching with backtracking to the last `*`.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The RAM resource an API call acts on: `acs:fnf:{region}:{account}:flow/{FlowName}` for
/// flow-scoped calls, `…:flow/{FlowName}/execution/{ExecutionName}` when the call names an
/// execution, and `…:flow/*` for calls scoped to no flow (ListFlows, DescribeRegions, task
/// reports).
pub fn resource_of(action: &str, params: &Params, region: &str, account: &str) -> String {
    let base = format!("acs:fnf:{region}:{account}:flow/");
    match (
        flow_name_of(action, params),
        params.optional("ExecutionName"),
    ) {
        (None, _) => format!("{base}*"),
        (Some(f), Some(e)) if action != "ListExecutions" => format!("{base}{f}/execution/{e}"),
        (Some(f), _) => format!("{base}{f}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("*", "", false));
        assert!(wildcard("fnf:*", "fnf:StopExecution", true));
        assert!(wildcard("fnf:describe*", "fnf:DescribeFlow", true));
        assert!(!wildcard("fnf:describe*", "fnf:DescribeFlow", false));
        assert!(wildcard("flow/o?ders*", "flow/orders-2/execution/x", false));
        assert!(!wildcard("flow/o?ders", "flow/oders", false));
        assert!(wildcard("a*b*c", "aXXbYYbc", false));
        assert!(!wildcard("a*b*c", "aXXbYYb", false));
    }

    #[test]
    fn resources_of_calls() {
        let params = |pairs: &[(&str, &str)]| {
            Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap()
        };
        let r = |action: &str, p: &[(&str, &str)]| resource_of(action, &params(p), "r", "1");
        assert_eq!(r("DescribeFlow", &[("Name", "f")]), "acs:fnf:r:1:flow/f");
        assert_eq!(
            r("ListExecutions", &[("FlowName", "f")]),
            "acs:fnf:r:1:flow/f"
        );
        assert_eq!(
            r(
                "StopExecution",
                &[("FlowName", "f"), ("ExecutionName", "e")]
            ),
            "acs:fnf:r:1:flow/f/execution/e"
        );
        assert_eq!(
            r("StartExecution", &[("FlowName", "f")]),
            "acs:fnf:r:1:flow/f"
        );
        assert_eq!(r("ListFlows", &[]), "acs:fnf:r:1:flow/*");
        assert_eq!(
            r("ReportTaskSucceeded", &[("TaskToken", "t")]),
            "acs:fnf:r:1:flow/*"
        );
    }

    #[test]
    fn deny_wins_and_allow_is_required() {
        let p: Policy = serde_yaml::from_str(
            "Statement:\n- Effect: Allow\n  Action: 'fnf:*'\n  Resource: '*'\n- Effect: Deny\n  Action: [fnf:StopExecution]\n  Resource: ['acs:fnf:*:*:flow/prod*']\n",
        )
        .unwrap();
        assert!(p.allows("fnf:StopExecution", "acs:fnf:r:1:flow/dev/execution/e"));
        assert!(!p.allows("fnf:StopExecution", "acs:fnf:r:1:flow/prod/execution/e"));
        assert!(p.allows("fnf:DescribeExecution", "acs:fnf:r:1:flow/prod/execution/e"));
        let empty = Policy {
            version: None,
            statement: vec![],
        };
        assert!(!empty.allows("fnf:ListFlows", "acs:fnf:r:1:flow/*"));
    }
}
