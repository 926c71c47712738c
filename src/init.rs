//! `--init FILE`: state preloaded at start-up (flows, mocks, function endpoints), so a CI job
//! finds the emulator ready. The file is read and checked completely before the server listens;
//! any problem stops start-up with a message naming the entry.
//!
//! ```yaml
//! functions:                      # merged with --function; a name given twice is an error
//!   charge: http://127.0.0.1:9000/charge
//! mocks:                          # the --mocks format inline, or a path to such a file
//!   StateMachines: {...}
//!   MockedResponses: {...}
//! flows:                          # created in the default account (--account-id)
//!   - name: order_flow
//!     definition_file: flows/order_flow.yaml   # or `definition: |` inline
//!     description: orders
//!     execution_mode: Standard    # or Express
//!     role_arn: acs:ram::123:role/fnf
//!     environment: { Variables: [{ Name: STAGE, Value: ci }] }
//! accounts:                       # other accounts, by account id
//!   "111":
//!     flows: [...]
//! schedules:                      # created through CreateSchedule after the flows
//!   - flow_name: order_flow
//!     name: nightly
//!     cron_expression: "0 0 2 * * *"
//!     payload: { source: schedule }  # an object, or its JSON text
//!     enable: true                   # default false, as in CreateSchedule
//!     description: nightly run
//! ```
//!
//! Flows are created through the CreateFlow action itself, so the checks are exactly those of
//! the API. Relative paths are resolved against the directory of the init file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_yaml::Value as Yaml;

use crate::engine::tasks::mocks::MockConfig;
use crate::protocol::params::Params;
use crate::AppState;

/// One flow to create at start-up (and again on reset).
#[derive(Debug, Clone)]
pub struct PreloadFlow {
    /// Account to create it in.
    pub account_id: String,
    /// Where it came from in the init file, e.g. `flows[2] (order_flow)`.
    pub label: String,
    /// The CreateFlow parameters.
    pub params: Params,
}

/// The checked contents of an init file.
#[derive(Debug, Clone, Default)]
pub struct Preload {
    /// Flows, in file order.
    pub flows: Vec<PreloadFlow>,
    /// Mock configuration (the `mocks:` section), if any.
    pub mocks: Option<MockConfig>,
    /// Function endpoints (the `functions:` section).
    pub functions: Vec<(String, String)>,
    /// Schedules, created after the flows, in file order.
    pub schedules: Vec<PreloadFlow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    flow_name: String,
    name: String,
    cron_expression: String,
    #[serde(default)]
    payload: Option<Yaml>,
    #[serde(default)]
    enable: bool,
    #[serde(default)]
    description: String,
}

/// A `schedules:` entry as CreateSchedule parameters.
fn schedule_entry(prefix: &str, i: usize, raw: Yaml, account: &str) -> Result<PreloadFlow, String> {
    let at = format!("{prefix}schedules[{i}]");
    let s: RawSchedule = serde_yaml::from_value(raw).map_err(|e| format!("{at}: {e}"))?;
    let label = format!("{at} ({})", s.name);
    let mut pairs = vec![
        ("FlowName".to_string(), s.flow_name),
        ("ScheduleName".to_string(), s.name),
        ("CronExpression".to_string(), s.cron_expression),
        ("Enable".to_string(), s.enable.to_string()),
        ("Description".to_string(), s.description),
    ];
    match s.payload {
        None | Some(Yaml::Null) => {}
        Some(Yaml::String(text)) => pairs.push(("Payload".into(), text)),
        Some(other) => {
            let json: serde_json::Value =
                serde_yaml::from_value(other).map_err(|e| format!("{label}: payload: {e}"))?;
            pairs.push(("Payload".into(), json.to_string()));
        }
    }
    let params = Params::from_pairs(pairs).map_err(|e| format!("{label}: {}", e.message))?;
    Ok(PreloadFlow {
        account_id: account.to_string(),
        label,
        params,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    flows: Vec<Yaml>,
    #[serde(default)]
    schedules: Vec<Yaml>,
    #[serde(default)]
    accounts: serde_yaml::Mapping,
    #[serde(default)]
    mocks: Option<Yaml>,
    #[serde(default)]
    functions: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    #[serde(default)]
    flows: Vec<Yaml>,
    #[serde(default)]
    schedules: Vec<Yaml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    name: String,
    #[serde(default)]
    definition: Option<String>,
    #[serde(default)]
    definition_file: Option<PathBuf>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    execution_mode: Option<String>,
    #[serde(default)]
    role_arn: Option<String>,
    /// An object, or its JSON text.
    #[serde(default)]
    environment: Option<Yaml>,
}

/// A YAML scalar as text (account ids may be written as numbers).
fn scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn flow_entry(
    base: &Path,
    prefix: &str,
    index: usize,
    raw: Yaml,
    account_id: &str,
) -> Result<PreloadFlow, String> {
    let name_hint = raw.get("name").and_then(Yaml::as_str).map(str::to_string);
    let label = match &name_hint {
        Some(n) => format!("{prefix}flows[{index}] ({n})"),
        None => format!("{prefix}flows[{index}]"),
    };
    let f: RawFlow = serde_yaml::from_value(raw).map_err(|e| format!("{label}: {e}"))?;
    let definition = match (f.definition, f.definition_file) {
        (Some(d), None) => d,
        (None, Some(path)) => {
            let path = base.join(path);
            std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "{label}: cannot read definition_file {}: {e}",
                    path.display()
                )
            })?
        }
        _ => {
            return Err(format!(
                "{label}: give exactly one of `definition` and `definition_file`"
            ))
        }
    };
    let mut pairs = vec![
        ("Name".to_string(), f.name),
        ("Definition".to_string(), definition),
        ("Description".to_string(), f.description),
        ("Type".to_string(), "FDL".to_string()),
    ];
    if let Some(m) = f.execution_mode {
        pairs.push(("ExecutionMode".into(), m));
    }
    if let Some(r) = f.role_arn {
        pairs.push(("RoleArn".into(), r));
    }
    match f.environment {
        None => {}
        Some(Yaml::String(s)) => pairs.push(("Environment".into(), s)),
        Some(other) => {
            let json =
                serde_json::to_string(&other).map_err(|e| format!("{label}: environment: {e}"))?;
            pairs.push(("Environment".into(), json));
        }
    }
    let params = Params::from_pairs(pairs).map_err(|e| format!("{label}: {}", e.message))?;
    Ok(PreloadFlow {
        account_id: account_id.to_string(),
        label,
        params,
    })
}

impl Preload {
    /// Read and check `path`. Flows go to `default_account` unless listed under `accounts:`.
    /// Definitions are only checked when the flows are created ([`create_flows`]).
    pub fn load(path: &Path, default_account: &str) -> Result<Preload, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read init file {}: {e}", path.display()))?;
        Self::parse(
            &text,
            path.parent().unwrap_or(Path::new(".")),
            default_account,
        )
    }

    /// Parse init-file text; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path, default_account: &str) -> Result<Preload, String> {
        let raw: RawFile = if text.trim().is_empty() {
            RawFile::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| e.to_string())?
        };
        let mut out = Preload::default();
        for (i, sch) in raw.schedules.into_iter().enumerate() {
            out.schedules
                .push(schedule_entry("", i, sch, default_account)?);
        }
        for (i, f) in raw.flows.into_iter().enumerate() {
            out.flows.push(flow_entry(base, "", i, f, default_account)?);
        }
        for (key, section) in raw.accounts {
            let id = scalar_text(&key)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("accounts: the key {key:?} is not an account id"))?;
            let prefix = format!("accounts.{id}.");
            let section: RawAccount = if section.is_null() {
                RawAccount::default()
            } else {
                serde_yaml::from_value(section).map_err(|e| format!("accounts.{id}: {e}"))?
            };
            for (i, sch) in section.schedules.into_iter().enumerate() {
                out.schedules.push(schedule_entry(&prefix, i, sch, &id)?);
            }
            for (i, f) in section.flows.into_iter().enumerate() {
                out.flows.push(flow_entry(base, &prefix, i, f, &id)?);
            }
        }
        out.mocks = match raw.mocks {
            None | Some(Yaml::Null) => None,
            Some(Yaml::String(file)) => {
                let path = base.join(file);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("mocks: cannot read {}: {e}", path.display()))?;
                Some(
                    MockConfig::parse(&text)
                        .map_err(|e| format!("mocks ({}): {e}", path.display()))?,
                )
            }
            Some(inline) => {
                let cfg: MockConfig =
                    serde_yaml::from_value(inline).map_err(|e| format!("mocks: {e}"))?;
                cfg.validate().map_err(|e| format!("mocks: {e}"))?;
                Some(cfg)
            }
        };
        for (name, url) in raw.functions {
            let url = url.trim().to_string();
            if name.trim().is_empty()
                || !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(format!(
                    "functions.{name}: expected a function name and an http:// URL, got '{url}'"
                ));
            }
            out.functions.push((name, url));
        }
        Ok(out)
    }
}

/// Merge the init file's mocks into the `--mocks` configuration; a flow or response named in
/// both is an error.
pub fn merge_mocks(base: MockConfig, extra: Option<MockConfig>) -> Result<MockConfig, String> {
    let Some(extra) = extra else {
        return Ok(base);
    };
    let mut out = base;
    for (k, v) in extra.state_machines {
        if out.state_machines.insert(k.clone(), v).is_some() {
            return Err(format!(
                "mocks: StateMachines.{k} is configured both by --mocks and by the init file"
            ));
        }
    }
    for (k, v) in extra.mocked_responses {
        if out.mocked_responses.insert(k.clone(), v).is_some() {
            return Err(format!(
                "mocks: MockedResponses.{k} is configured both by --mocks and by the init file"
            ));
        }
    }
    out.validate().map_err(|e| format!("mocks: {e}"))?;
    Ok(out)
}

/// Create the preloaded flows (of `only_account`, or all) through CreateFlow. Stops at the
/// first failure, naming its entry. Returns how many flows were created.
pub fn create_flows(app: &Arc<AppState>, only_account: Option<&str>) -> Result<usize, String> {
    let mut n = 0;
    for f in app
        .preload
        .flows
        .iter()
        .filter(|f| only_account.is_none_or(|a| a == f.account_id))
    {
        let call = crate::api::Call {
            app,
            account: app.store.account(&f.account_id),
            account_id: f.account_id.clone(),
            params: &f.params,
        };
        crate::api::create_flow(&call).map_err(|e| {
            let msg = e
                .message
                .strip_prefix("Parameter error. ")
                .unwrap_or(&e.message);
            format!("{}: {msg}", f.label)
        })?;
        n += 1;
    }
    for sch in app
        .preload
        .schedules
        .iter()
        .filter(|f| only_account.is_none_or(|a| a == f.account_id))
    {
        let call = crate::api::Call {
            app,
            account: app.store.account(&sch.account_id),
            account_id: sch.account_id.clone(),
            params: &sch.params,
        };
        crate::api::dispatch_sync_create_schedule(&call).map_err(|e| {
            let msg = e
                .message
                .strip_prefix("Parameter error. ")
                .unwrap_or(&e.message);
            format!("{}: {msg}", sch.label)
        })?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_labels() {
        let p = Preload::parse(
            "flows:\n  - name: a\n    definition: 'x'\n    environment: {Variables: []}\naccounts:\n  111:\n    flows:\n      - name: b\n        definition: 'y'\nfunctions:\n  f: http://127.0.0.1:1/\n",
            Path::new("."),
            "999",
        )
        .unwrap();
        assert_eq!(p.flows.len(), 2);
        assert_eq!(p.flows[0].label, "flows[0] (a)");
        assert_eq!(p.flows[0].account_id, "999");
        assert_eq!(
            p.flows[0].params.get("Environment"),
            Some("{\"Variables\":[]}")
        );
        assert_eq!(p.flows[1].label, "accounts.111.flows[0] (b)");
        assert_eq!(p.flows[1].account_id, "111");
        assert_eq!(
            p.functions,
            vec![("f".into(), "http://127.0.0.1:1/".into())]
        );
    }

    #[test]
    fn problems_name_the_entry() {
        let e = Preload::parse(
            "flows:\n  - name: ok\n    definition: x\n  - name: bad\n    defintion: x\n",
            Path::new("."),
            "1",
        )
        .unwrap_err();
        assert!(
            e.starts_with("flows[1] (bad): unknown field `defintion`"),
            "{e}"
        );
        let e = Preload::parse("flows:\n  - name: n\n", Path::new("."), "1").unwrap_err();
        assert!(e.contains("flows[0] (n): give exactly one"), "{e}");
        let e = Preload::parse("schedules:\n  - name: s\n", Path::new("."), "1").unwrap_err();
        assert!(e.contains("schedules[0]"), "{e}");
        let p = Preload::parse(
            "schedules:\n  - {flow_name: f, name: s, cron_expression: '@every 1m', payload: {a: 1}, enable: true}\n",
            Path::new("."),
            "1",
        )
        .unwrap();
        assert_eq!(p.schedules[0].params.get("Payload"), Some("{\"a\":1}"));
        assert_eq!(p.schedules[0].params.get("Enable"), Some("true"));
        assert!(Preload::parse("schedules: []\n", Path::new("."), "1").is_ok());
        let e = Preload::parse("functions:\n  f: ftp://x\n", Path::new("."), "1").unwrap_err();
        assert!(e.starts_with("functions.f:"), "{e}");
        let e = Preload::parse("mocks:\n  Bogus: 1\n", Path::new("."), "1").unwrap_err();
        assert!(e.starts_with("mocks:"), "{e}");
        assert!(Preload::parse("flowz: []\n", Path::new("."), "1").is_err());
    }

    #[test]
    fn mocks_merge_refuses_duplicates() {
        let a = MockConfig::parse("MockedResponses:\n  R:\n    \"0\": { Return: 1 }\n").unwrap();
        let b = a.clone();
        assert!(merge_mocks(a.clone(), None).is_ok());
        assert!(merge_mocks(a, Some(b))
            .unwrap_err()
            .contains("MockedResponses.R"));
    }
}
