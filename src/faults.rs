//! Fault injection for users' tests (`--faults FILE`, `/_emulator/faults`): rules that make
//! matching API calls fail with `ResourceThrottled`, `InternalServerError` or
//! `ConcurrentUpdateError`, or answer late, by probability or for the next N calls.
//!
//! Rules are tried in order; the first rule that matches the call (action, optional flow),
//! still has calls left (`Count`) and passes its `Probability` roll fires: it waits `LatencyMs`,
//! then answers its `Error` (or lets the call through when it has none). Deciding and
//! decrementing `Count` happen under one lock, so N concurrent calls consume exactly N.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// Errors a rule can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum FaultError {
    /// 429, with `x-acs-retry-after`.
    ResourceThrottled,
    /// 500.
    InternalServerError,
    /// 409.
    ConcurrentUpdateError,
}

impl FaultError {
    fn code(self) -> ErrorCode {
        match self {
            Self::ResourceThrottled => ErrorCode::ResourceThrottled,
            Self::InternalServerError => ErrorCode::InternalServerError,
            Self::ConcurrentUpdateError => ErrorCode::ConcurrentUpdateError,
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FaultRule {
    /// Action name, or `*` for every action.
    pub action: String,
    /// Only calls naming this flow (`FlowName`, or `Name` for the flow actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_name: Option<String>,
    /// The error to answer; none = only the latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FaultError>,
    /// Delay before answering, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Chance (0 to 1) that a matching call is affected; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Affect only the next N matching calls (counts down; 0 = spent); default unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// `x-acs-retry-after` of an injected `ResourceThrottled`; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// A faults file: a list of rules, or `{Rules: [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaultConfig {
    /// The rules, in order.
    pub rules: Vec<FaultRule>,
}

impl FaultConfig {
    /// Parse YAML or JSON and check the values.
    pub fn parse(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wrapped {
            #[serde(rename = "Rules")]
            rules: Vec<FaultRule>,
        }
        let value: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| format!("faults: {e}"))?;
        let rules = match value {
            serde_yaml::Value::Null => Vec::new(),
            v @ serde_yaml::Value::Sequence(_) => {
                serde_yaml::from_value::<Vec<FaultRule>>(v).map_err(|e| format!("faults: {e}"))?
            }
            v => {
                serde_yaml::from_value::<Wrapped>(v)
                    .map_err(|e| {
                        format!("faults: expected a list of rules or {{Rules: [...]}}: {e}")
                    })?
                    .rules
            }
        };
        for (i, r) in rules.iter().enumerate() {
            if r.action != "*" && !crate::api::is_known(&r.action) {
                return Err(format!(
                    "faults rule {i}: Action '{}' is not an API action or '*'",
                    r.action
                ));
            }
            if let Some(p) = r.probability {
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!(
                        "faults rule {i}: Probability must be from 0 to 1, got {p}"
                    ));
                }
            }
            if r.error.is_none() && r.latency_ms.is_none() {
                return Err(format!(
                    "faults rule {i}: give an Error, a LatencyMs, or both"
                ));
            }
            if r.latency_ms.is_some_and(|ms| ms > 600_000) {
                return Err(format!("faults rule {i}: LatencyMs must be at most 600000"));
            }
        }
        Ok(FaultConfig { rules })
    }
}

/// What a fired rule does to a call.
#[derive(Debug, Default)]
pub struct Injection {
    /// Wait this long first.
    pub latency: Option<Duration>,
    /// Then answer this error.
    pub error: Option<ApiError>,
}

/// The rules in force.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<FaultConfig>,
}

/// A uniform number in `[0, 1)`.
fn roll() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

impl Faults {
    /// Start with `config`.
    pub fn new(config: FaultConfig) -> Self {
        Faults {
            rules: Mutex::new(config),
        }
    }

    /// The rules, with the calls each has left.
    pub fn config(&self) -> FaultConfig {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replace the rules.
    pub fn set_config(&self, config: FaultConfig) {
        *self.rules.lock().unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// Decide what happens to a call of `action` on `flow` (consuming one of the fired rule's
    /// `Count`).
    pub fn check(&self, action: &str, flow: Option<&str>) -> Injection {
        let mut cfg = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        for rule in cfg.rules.iter_mut() {
            if rule.action != "*" && rule.action != action {
                continue;
            }
            if rule.flow_name.is_some() && rule.flow_name.as_deref() != flow {
                continue;
            }
            if rule.count == Some(0) {
                continue;
            }
            let p = rule.probability.unwrap_or(1.0);
            if p < 1.0 && roll() >= p {
                continue;
            }
            if let Some(n) = rule.count.as_mut() {
                *n -= 1;
            }
            return Injection {
                latency: rule.latency_ms.map(Duration::from_millis),
                error: rule.error.map(|e| {
                    let err = ApiError::new(e.code(), &[]);
                    if e == FaultError::ResourceThrottled {
                        err.with_retry_after(rule.retry_after_seconds.unwrap_or(1))
                    } else {
                        err
                    }
                }),
            };
        }
        Injection::default()
    }
}

/// Apply the rules to a call: wait the fired rule's latency, then answer its error.
pub async fn inject(
    faults: &Faults,
    action: &str,
    params: &crate::protocol::params::Params,
) -> Result<(), ApiError> {
    let injection = faults.check(action, crate::policy::flow_name_of(action, params));
    if let Some(d) = injection.latency {
        tokio::time::sleep(d).await;
    }
    injection.error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms_and_errors() {
        let c = FaultConfig::parse(
            "- Action: StartExecution\n  Error: ResourceThrottled\n  Count: 2\n",
        )
        .unwrap();
        assert_eq!(c.rules.len(), 1);
        let c = FaultConfig::parse(r#"{"Rules": [{"Action": "*", "LatencyMs": 5}]}"#).unwrap();
        assert_eq!(c.rules[0].latency_ms, Some(5));
        assert!(FaultConfig::parse("").unwrap().rules.is_empty());
        assert!(FaultConfig::parse("- Action: Nope\n  Error: InternalServerError\n").is_err());
        assert!(FaultConfig::parse("- Action: '*'\n").is_err());
        assert!(FaultConfig::parse("- Action: '*'\n  Error: Boom\n").is_err());
        assert!(FaultConfig::parse(
            "- Action: '*'\n  Error: InternalServerError\n  Probability: 2\n"
        )
        .is_err());
        assert!(
            FaultConfig::parse("- Action: '*'\n  Error: InternalServerError\n  Extra: 1\n")
                .is_err()
        );
    }

    #[test]
    fn count_is_consumed_and_flow_filters() {
        let f = Faults::new(
            FaultConfig::parse(
                "- Action: StopExecution\n  FlowName: a\n  Error: ConcurrentUpdateError\n  Count: 2\n",
            )
            .unwrap(),
        );
        assert!(f.check("StopExecution", Some("b")).error.is_none());
        assert!(f.check("DescribeFlow", Some("a")).error.is_none());
        assert_eq!(
            f.check("StopExecution", Some("a")).error.unwrap().code,
            ErrorCode::ConcurrentUpdateError
        );
        assert!(f.check("StopExecution", Some("a")).error.is_some());
        assert!(f.check("StopExecution", Some("a")).error.is_none());
        assert_eq!(f.config().rules[0].count, Some(0));
    }

    #[test]
    fn rolls_are_uniform_enough() {
        let n = 10_000;
        let hits = (0..n).filter(|_| roll() < 0.5).count();
        assert!((4_000..6_000).contains(&hits), "{hits}");
        assert!((0..1000).map(|_| roll()).all(|r| (0.0..1.0).contains(&r)));
    }
}
