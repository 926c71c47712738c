//! Mocked task results, in the spirit of Step Functions Local's MockConfigFile:
//!
//! ```yaml
//! StateMachines:                 # by flow name
//!   order_flow:
//!     DefaultTestCase: HappyPath # optional: used when no binding names a test case
//!     TestCases:
//!       HappyPath:
//!         ChargeCard: ChargeOk   # state name -> mocked response name
//! MockedResponses:
//!   ChargeOk:
//!     "0": { Return: { Body: { ok: true } } }          # invocation 0 (the first)
//!     "1-2": { Throw: { Error: FC.ResourceThrottled, Cause: busy }, Delay: 2 }
//!     "3": { WaitForCallback: true }                    # wait for a real ReportTask* call
//! ```
//! Each invocation of a state in an execution consumes the next index (retries included), so a
//! test can make the first two attempts fail and the third succeed. `Delay` is in emulated
//! seconds. A test case is chosen per execution by a binding made before StartExecution
//! (`POST /_emulator/mocks/bindings`) or by the flow's `DefaultTestCase`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The whole mock configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MockConfig {
    /// Test cases by flow name.
    #[serde(rename = "StateMachines", default)]
    pub state_machines: BTreeMap<String, FlowMocks>,
    /// Mocked responses by name.
    #[serde(rename = "MockedResponses", default)]
    pub mocked_responses: BTreeMap<String, BTreeMap<String, MockedResult>>,
}

/// One flow's test cases.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowMocks {
    /// Test case used when no binding selects one.
    #[serde(
        rename = "DefaultTestCase",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub default_test_case: Option<String>,
    /// Test case name -> (state name -> mocked response name).
    #[serde(rename = "TestCases", default)]
    pub test_cases: BTreeMap<String, BTreeMap<String, String>>,
}

/// An error a mock throws.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MockThrow {
    /// Error name.
    #[serde(rename = "Error")]
    pub error: String,
    /// Cause.
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

/// What one invocation returns.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MockedResult {
    /// The task output (`$Output`).
    #[serde(rename = "Return", default, skip_serializing_if = "Option::is_none")]
    pub return_value: Option<Value>,
    /// The task error.
    #[serde(rename = "Throw", default, skip_serializing_if = "Option::is_none")]
    pub throw: Option<MockThrow>,
    /// Emulated seconds before answering.
    #[serde(rename = "Delay", default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<f64>,
    /// For WaitForCustomCallback tasks: do not answer, wait for ReportTaskSucceeded/Failed.
    #[serde(
        rename = "WaitForCallback",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub wait_for_callback: bool,
}

/// Parse an invocation range key: `"3"` or `"1-2"`.
fn parse_range(key: &str) -> Option<(u32, u32)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => key.trim().parse().ok().map(|n| (n, n)),
    }
}

impl MockConfig {
    /// Parse YAML or JSON and check it; errors name the offending entry.
    pub fn parse(text: &str) -> Result<Self, String> {
        let cfg: MockConfig =
            serde_yaml::from_str(text).map_err(|e| format!("mock configuration: {e}"))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Check references and ranges.
    pub fn validate(&self) -> Result<(), String> {
        for (flow, fm) in &self.state_machines {
            if let Some(d) = &fm.default_test_case {
                if !fm.test_cases.contains_key(d) {
                    return Err(format!(
                        "StateMachines.{flow}.DefaultTestCase: no test case named '{d}'"
                    ));
                }
            }
            for (case, states) in &fm.test_cases {
                for (state, resp) in states {
                    if !self.mocked_responses.contains_key(resp) {
                        return Err(format!(
                            "StateMachines.{flow}.TestCases.{case}.{state}: no MockedResponses entry named '{resp}'"
                        ));
                    }
                }
            }
        }
        for (name, entries) in &self.mocked_responses {
            if entries.is_empty() {
                return Err(format!("MockedResponses.{name}: needs at least one entry"));
            }
            let mut ranges: Vec<(u32, u32)> = Vec::new();
            for (key, r) in entries {
                let range = parse_range(key).ok_or_else(|| {
                    format!("MockedResponses.{name}.\"{key}\": keys are invocation numbers such as \"0\" or \"1-2\"")
                })?;
                if ranges.iter().any(|(a, b)| range.0 <= *b && *a <= range.1) {
                    return Err(format!(
                        "MockedResponses.{name}.\"{key}\": overlaps another range"
                    ));
                }
                ranges.push(range);
                let kinds = [
                    r.return_value.is_some(),
                    r.throw.is_some(),
                    r.wait_for_callback,
                ];
                if kinds.iter().filter(|k| **k).count() != 1 {
                    return Err(format!(
                        "MockedResponses.{name}.\"{key}\": give exactly one of Return, Throw, WaitForCallback"
                    ));
                }
                if r.delay
                    .is_some_and(|d| !(d.is_finite() && (0.0..=604_800.0).contains(&d)))
                {
                    return Err(format!(
                        "MockedResponses.{name}.\"{key}\".Delay: 0 to 604800 seconds"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The mocked response name for `state` in `case` of `flow`, if mocked.
    pub fn response_name(&self, flow: &str, case: &str, state: &str) -> Option<&str> {
        self.state_machines
            .get(flow)?
            .test_cases
            .get(case)?
            .get(state)
            .map(String::as_str)
    }

    /// The result of invocation `n` (0-based) of the named response.
    pub fn result(&self, response: &str, n: u32) -> Option<&MockedResult> {
        self.mocked_responses
            .get(response)?
            .iter()
            .find(|(k, _)| parse_range(k).is_some_and(|(a, b)| a <= n && n <= b))
            .map(|(_, r)| r)
    }
}

/// The live mock state: configuration plus execution bindings.
#[derive(Debug, Default)]
pub struct Mocks {
    config: RwLock<MockConfig>,
    /// (flow, execution) -> test case, consumed when that execution starts.
    bindings: Mutex<HashMap<(String, String), String>>,
}

impl Mocks {
    /// Start with `config`.
    pub fn new(config: MockConfig) -> Self {
        Mocks {
            config: RwLock::new(config),
            bindings: Mutex::default(),
        }
    }

    /// A copy of the configuration.
    pub fn config(&self) -> MockConfig {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replace the configuration.
    pub fn set_config(&self, cfg: MockConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = cfg;
    }

    /// Drop every binding not yet consumed.
    pub fn clear_bindings(&self) {
        self.bindings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Bind the next execution named `execution` of `flow` to `case`.
    pub fn bind(&self, flow: &str, execution: &str, case: &str) -> Result<(), String> {
        let cfg = self.config.read().unwrap_or_else(|e| e.into_inner());
        if !cfg
            .state_machines
            .get(flow)
            .is_some_and(|f| f.test_cases.contains_key(case))
        {
            return Err(format!(
                "no test case '{case}' for flow '{flow}' in the mock configuration"
            ));
        }
        drop(cfg);
        self.bindings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((flow.to_string(), execution.to_string()), case.to_string());
        Ok(())
    }

    /// The test case for a starting execution: its binding (consumed), else the flow's default.
    pub fn select(&self, flow: &str, execution: &str) -> Option<String> {
        let bound = self
            .bindings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(flow.to_string(), execution.to_string()));
        bound.or_else(|| {
            self.config
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .state_machines
                .get(flow)?
                .default_test_case
                .clone()
        })
    }

    /// The mocked result for invocation `n` of `state`, when the case mocks that state.
    /// `Some(Err)` when the state is mocked but has no entry for invocation `n`.
    pub fn lookup(
        &self,
        flow: &str,
        case: &str,
        state: &str,
        n: u32,
    ) -> Option<Result<MockedResult, String>> {
        let cfg = self.config.read().unwrap_or_else(|e| e.into_inner());
        let name = cfg.response_name(flow, case, state)?;
        Some(cfg.result(name, n).cloned().ok_or_else(|| {
            format!("mocked response '{name}' (test case '{case}', state '{state}') has no entry for invocation {n}")
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
StateMachines:
  f:
    DefaultTestCase: Happy
    TestCases:
      Happy: { S: Ok }
      Flaky: { S: FailTwice }
MockedResponses:
  Ok:
    "0": { Return: { Body: 1 } }
  FailTwice:
    "0-1": { Throw: { Error: FC.ResourceThrottled, Cause: busy }, Delay: 1 }
    "2": { Return: { done: true } }
"#;

    #[test]
    fn parses_and_looks_up_ranges() {
        let m = Mocks::new(MockConfig::parse(SAMPLE).unwrap());
        assert_eq!(m.select("f", "e"), Some("Happy".into()));
        m.bind("f", "e", "Flaky").unwrap();
        assert_eq!(m.select("f", "e"), Some("Flaky".into()));
        assert_eq!(
            m.select("f", "e"),
            Some("Happy".into()),
            "binding is consumed"
        );
        let r = m.lookup("f", "Flaky", "S", 1).unwrap().unwrap();
        assert_eq!(r.throw.unwrap().error, "FC.ResourceThrottled");
        assert!(m
            .lookup("f", "Flaky", "S", 2)
            .unwrap()
            .unwrap()
            .return_value
            .is_some());
        assert!(m.lookup("f", "Flaky", "S", 3).unwrap().is_err());
        assert!(m.lookup("f", "Flaky", "Other", 0).is_none());
        assert!(m.bind("f", "e", "Nope").is_err());
    }

    #[test]
    fn invalid_configurations_name_the_entry() {
        let e =
            MockConfig::parse("StateMachines:\n  f:\n    TestCases:\n      C: { S: Missing }\n")
                .unwrap_err();
        assert!(e.contains("StateMachines.f.TestCases.C.S"), "{e}");
        let e = MockConfig::parse("MockedResponses:\n  R:\n    x: { Return: {} }\n").unwrap_err();
        assert!(e.contains("MockedResponses.R"), "{e}");
        let e = MockConfig::parse(
            "MockedResponses:\n  R:\n    \"0\": { Return: {}, Throw: { Error: E } }\n",
        )
        .unwrap_err();
        assert!(e.contains("exactly one"), "{e}");
        let e = MockConfig::parse(
            "MockedResponses:\n  R:\n    \"0-2\": { Return: {} }\n    \"2\": { Return: {} }\n",
        )
        .unwrap_err();
        assert!(e.contains("overlaps"), "{e}");
        assert!(MockConfig::parse("Bogus: 1").is_err());
    }
}
