//! `--init FILE` (preloaded flows, mocks, functions) and `POST /_emulator/reset`.

mod common;

use cloudflow_emulator::config::{Config, Credential};
use cloudflow_emulator::AppState;
use common::*;
use serde_json::Value;

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cfe-init-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A config whose --init is `text` (written to a temp dir with a definition file beside it).
fn config_with_init(tag: &str, text: &str) -> Config {
    let dir = temp_dir(tag);
    std::fs::write(dir.join("hold.yaml"), HOLD).unwrap();
    let path = dir.join("init.yaml");
    std::fs::write(&path, text).unwrap();
    let mut cfg = Config::for_tests(AK, SK);
    cfg.init = Some(path);
    cfg
}

/// A Wait definition without a `Name`, so any flow name may use it.
const HOLD: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: Hold\nStates:\n  - Type: Wait\n    Name: Hold\n    Seconds: 300\n    End: true\n";

const INIT: &str = r#"
functions:
  echo: http://127.0.0.1:9/echo
mocks:
  StateMachines:
    mocked:
      DefaultTestCase: Happy
      TestCases:
        Happy: { Charge: ChargeOk }
  MockedResponses:
    ChargeOk:
      "0": { Return: { charged: true } }
flows:
  - name: from_file
    definition_file: hold.yaml
    description: preloaded
  - name: mocked
    role_arn: acs:ram::1:role/fnf
    environment: { Variables: [ { Name: STAGE, Value: ci } ] }
    definition: |
      Type: StateMachine
      SpecVersion: v1
      Name: mocked
      StartAt: Charge
      States:
        - Type: Task
          Name: Charge
          Action: FC:InvokeFunction
          TaskMode: RequestComplete
          Parameters:
            resourceArn: acs:fc:::functions/charge
          End: true
schedules: []
"#;

#[tokio::test]
async fn init_preloads_flows_mocks_and_functions() {
    let s = TestServer::start_with(config_with_init("ok", INIT)).await;
    let d = s.call("DescribeFlow", &[("Name", "from_file")]).await.ok();
    assert_eq!(d.s("Description"), "preloaded");
    assert_eq!(d.s("Definition"), HOLD);
    let d = s.call("DescribeFlow", &[("Name", "mocked")]).await.ok();
    assert_eq!(d.s("RoleArn"), "acs:ram::1:role/fnf");
    assert!(
        d.body["Environment"].to_string().contains("STAGE"),
        "{}",
        d.body
    );
    assert_eq!(
        s.state.tasks.functions.get("echo").map(String::as_str),
        Some("http://127.0.0.1:9/echo")
    );
    s.start_exec("mocked", "e1", "{}").await.ok();
    let done = s.wait_done("mocked", "e1", 10).await;
    assert_eq!(done.s("Status"), "Succeeded", "{}", done.body);
    assert!(done.s("Output").contains("charged"), "{}", done.body);
}

#[test]
fn invalid_init_names_the_entry() {
    let bad = "flows:\n  - name: a\n    definition_file: hold.yaml\n  - name: order_flow\n    definition: |\n      Type: StateMachine\n      Name: order_flow\n      StartAt: Nope\n      States:\n        - Type: Pass\n          Name: P\n          End: true\n";
    let e = AppState::new(config_with_init("bad", bad)).unwrap_err();
    assert!(
        e.contains("flows[1] (order_flow): Definition is invalid:"),
        "{e}"
    );
    assert!(e.contains("init.yaml"), "{e}");

    let dup = "flows:\n  - name: from_file\n    definition_file: hold.yaml\n  - name: from_file\n    definition_file: hold.yaml\n";
    let e = AppState::new(config_with_init("dup", dup)).unwrap_err();
    assert!(e.contains("flows[1] (from_file):"), "{e}");

    let other =
        "accounts:\n  '42':\n    flows:\n      - name: x\n        definition_file: hold.yaml\n";
    let e = AppState::new(config_with_init("acct", other)).unwrap_err();
    assert!(e.contains("accounts.42.flows[0] (x)"), "{e}");
    assert!(e.contains("no configured access key"), "{e}");

    // A schedule entry is checked like CreateSchedule: a missing field or a bad cron names it.
    let sched = "schedules:\n  - name: nightly\n";
    let e = AppState::new(config_with_init("sched", sched)).unwrap_err();
    assert!(e.contains("schedules[0]"), "{e}");

    let mut cfg = config_with_init("fn", "functions:\n  f: http://127.0.0.1:1/\n");
    cfg.functions = vec!["f=http://127.0.0.1:2/".into()];
    let e = AppState::new(cfg).unwrap_err();
    assert!(e.contains("functions.f"), "{e}");
}

#[tokio::test]
async fn init_flows_in_other_accounts() {
    let dir = temp_dir("multi");
    let creds = dir.join("creds.yaml");
    std::fs::write(
        &creds,
        "- access_key_id: akB\n  access_key_secret: skB\n  account_id: '222'\n",
    )
    .unwrap();
    let mut cfg = config_with_init(
        "multi",
        "accounts:\n  222:\n    flows:\n      - name: b_flow\n        definition_file: hold.yaml\n",
    );
    cfg.credentials = Some(creds);
    let s = TestServer::start_with(cfg).await;
    s.call_as("akB", "skB", "DescribeFlow", &[("Name", "b_flow")])
        .await
        .ok();
    s.call("DescribeFlow", &[("Name", "b_flow")])
        .await
        .err(404, "FlowNotExists");
}

async fn reset(s: &TestServer, query: &str) -> Value {
    let r = s
        .client
        .post(format!("{}/_emulator/reset{query}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn reset_clears_state_and_restores_the_preload() {
    let s = TestServer::start_with(config_with_init("reset", INIT)).await;
    s.create_flow("extra", &wait_flow("extra", 300)).await.ok();
    s.start_exec("extra", "run", "{}").await.ok();
    s.start_exec("from_file", "run", "{}").await.ok();
    let running = s
        .state
        .store
        .account(cloudflow_emulator::config::DEFAULT_ACCOUNT_ID)
        .flow("extra")
        .unwrap()
        .execution("run")
        .unwrap();
    // The mock configuration changed at run time comes back to the start-up one.
    let r = s
        .client
        .delete(format!("{}/_emulator/mocks", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let report = reset(&s, "").await;
    assert_eq!(report["FlowsDeleted"], 3, "{report}");
    assert_eq!(report["ExecutionsDeleted"], 2, "{report}");
    assert_eq!(report["ExecutionsStopped"], 2, "{report}");
    assert_eq!(report["FlowsPreloaded"], 2, "{report}");
    assert_eq!(report["Account"], Value::Null);
    assert_eq!(running.status().as_str(), "Stopped");
    assert!(
        running.cancel.is_cancelled(),
        "the running task is told to end"
    );

    s.call("DescribeFlow", &[("Name", "extra")])
        .await
        .err(404, "FlowNotExists");
    s.call(
        "DescribeExecution",
        &[("FlowName", "from_file"), ("ExecutionName", "run")],
    )
    .await
    .err(404, "ExecutionNotExists");
    // Same names can be used again at once.
    s.start_exec("from_file", "run", "{}").await.ok();
    s.start_exec("mocked", "again", "{}").await.ok();
    let done = s.wait_done("mocked", "again", 10).await;
    assert_eq!(
        done.s("Status"),
        "Succeeded",
        "mocks restored: {}",
        done.body
    );
}

#[tokio::test]
async fn reset_of_one_account_leaves_the_others() {
    let dir = temp_dir("one");
    let creds = dir.join("creds.yaml");
    std::fs::write(
        &creds,
        "- access_key_id: akB\n  access_key_secret: skB\n  account_id: '222'\n",
    )
    .unwrap();
    let mut cfg = Config::for_tests(AK, SK);
    cfg.credentials = Some(creds);
    let s = TestServer::start_with(cfg).await;
    s.create_flow("mine", &wait_flow("mine", 300)).await.ok();
    let def = wait_flow("theirs", 300);
    s.call_as(
        "akB",
        "skB",
        "CreateFlow",
        &[
            ("Name", "theirs"),
            ("Definition", def.as_str()),
            ("Description", ""),
            ("Type", "FDL"),
        ],
    )
    .await
    .ok();
    let report = reset(&s, "?account=222").await;
    assert_eq!(report["FlowsDeleted"], 1, "{report}");
    assert_eq!(report["Account"], "222");
    s.call("DescribeFlow", &[("Name", "mine")]).await.ok();
    s.call_as("akB", "skB", "DescribeFlow", &[("Name", "theirs")])
        .await
        .err(404, "FlowNotExists");
    let r = s
        .client
        .post(format!("{}/_emulator/reset?account=", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .client
        .get(format!("{}/_emulator/reset", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[test]
fn credential_type_is_public() {
    // Credentials are never touched by reset; this only pins the type used above.
    let _ = Credential::default_pair();
}
