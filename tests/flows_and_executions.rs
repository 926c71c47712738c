//! CreateFlow, DescribeFlow, StartExecution, DescribeExecution and GetExecutionHistory through a
//! real server, plus accounts, auth modes and the emulator endpoints.

mod common;

use common::*;
use serde_json::Value;

const PASS_CHAIN: &str = "Type: StateMachine
SpecVersion: v1
Name: chain
StartAt: A
States:
  - Type: Pass
    Name: A
    InputConstructor:
      a.$: $Input.x
      lit: 1
    Next: B
  - Type: Pass
    Name: B
    OutputConstructor:
      doubled.$: $Input.a
      exec.$: $Context.Execution.Name
    Next: C
  - Type: Succeed
    Name: C
";

#[tokio::test]
async fn create_and_describe_flow() {
    let s = TestServer::start().await;
    let a = s.create_flow("chain", PASS_CHAIN).await.ok();
    for f in [
        "Name",
        "Id",
        "Definition",
        "Description",
        "Type",
        "CreatedTime",
        "LastModifiedTime",
        "ExecutionMode",
    ] {
        assert!(a.body[f].is_string(), "{f}: {}", a.body);
    }
    assert_eq!(a.s("ExecutionMode"), "Standard");
    let d = s.get("DescribeFlow", &[("Name", "chain")]).await.ok();
    assert_eq!(d.s("Definition"), PASS_CHAIN);
    assert_eq!(d.s("Id"), a.s("Id"));
    assert!(d.body.get("RoleArn").is_none());
    let e = s
        .create_flow("chain", PASS_CHAIN)
        .await
        .err(409, "FlowAlreadyExists");
    assert_eq!(e.s("Message"), "Flow chain already exists.");
    s.get("DescribeFlow", &[("Name", "nope")])
        .await
        .err(404, "FlowNotExists");
    s.get("DescribeFlow", &[])
        .await
        .err(400, "MissingRequiredParams");
}

#[tokio::test]
async fn create_flow_parameter_errors() {
    let s = TestServer::start().await;
    let def = wait_flow("x", 1);
    s.call(
        "CreateFlow",
        &[("Name", "x"), ("Definition", &def), ("Type", "FDL")],
    )
    .await
    .err(400, "MissingRequiredParams");
    s.call(
        "CreateFlow",
        &[("Name", "x"), ("Definition", &def), ("Description", "d")],
    )
    .await
    .err(400, "MissingRequiredParams");
    s.call(
        "CreateFlow",
        &[
            ("Name", "x"),
            ("Definition", &def),
            ("Description", "d"),
            ("Type", "YAML"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    s.call(
        "CreateFlow",
        &[
            ("Name", "1x"),
            ("Definition", &def),
            ("Description", "d"),
            ("Type", "FDL"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    s.call(
        "CreateFlow",
        &[
            ("Name", "x"),
            ("Definition", &def),
            ("Description", "d"),
            ("Type", "FDL"),
            ("ExecutionMode", "Fast"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    s.call(
        "CreateFlow",
        &[
            ("Name", "x"),
            ("Definition", &def),
            ("Description", "d"),
            ("Type", "FDL"),
            ("Environment", "{bad"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    // The name inside the definition must match.
    let a = s
        .create_flow("other", &def)
        .await
        .err(400, "InvalidArgument");
    assert!(
        a.s("Message").contains("must equal the flow name"),
        "{}",
        a.s("Message")
    );
    // Nothing was created by any of these.
    s.get("DescribeFlow", &[("Name", "x")])
        .await
        .err(404, "FlowNotExists");
}

#[tokio::test]
async fn invalid_definitions_list_every_problem() {
    let s = TestServer::start().await;
    let bad = "Type: StateMachine
SpecVersion: v1
StartAt: Missing
States:
  - Type: Pass
    Name: A
  - Type: Wait
    Name: W
    Seconds: 301
    End: true
  - Type: Choice
    Name: C
    Branches:
      - Condition: $Input.a ==
        Next: A
    Default: Nowhere
";
    let a = s.create_flow("bad", bad).await.err(400, "InvalidArgument");
    let m = a.s("Message");
    for needle in [
        "StartAt",
        "States[0](A): needs Next or End",
        "Seconds",
        "Condition",
        "Default",
    ] {
        assert!(m.contains(needle), "missing '{needle}' in: {m}");
    }
    // Legacy definitions are accepted now (tests/legacy_*.rs); a broken one names the step.
    let legacy = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n";
    s.create_flow("legacy", legacy).await.ok();
    let a = s
        .create_flow(
            "legacy_bad",
            "version: v1\ntype: flow\nsteps:\n  - type: pas\n    name: p\n",
        )
        .await
        .err(400, "InvalidArgument");
    assert!(
        a.s("Message")
            .contains("steps[0](p).type: unknown step type 'pas'"),
        "{}",
        a.s("Message")
    );
    s.create_flow("yaml_err", "Type: [")
        .await
        .err(400, "InvalidArgument");
}

#[tokio::test]
async fn json_definitions_are_accepted() {
    let s = TestServer::start().await;
    let def = r#"{"Type":"StateMachine","SpecVersion":"v1","StartAt":"P","States":[{"Type":"Pass","Name":"P","End":true}]}"#;
    s.create_flow("j", def).await.ok();
    s.start_exec("j", "e", r#"{"k":1}"#).await.ok();
    let d = s.wait_done("j", "e", 5).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(d.s("Output"), r#"{"k":1}"#);
    assert_eq!(d.s("FlowDefinition"), def);
}

#[tokio::test]
async fn pass_chain_runs_with_constructors_and_history() {
    let s = TestServer::start().await;
    s.create_flow("chain", PASS_CHAIN).await.ok();
    let a = s.start_exec("chain", "run1", r#"{"x":21}"#).await.ok();
    assert_eq!(a.s("Status"), "Running");
    let d = s.wait_done("chain", "run1", 5).await;
    assert_eq!(d.s("Status"), "Succeeded");
    let out: Value = serde_json::from_str(d.s("Output")).unwrap();
    assert_eq!(out, serde_json::json!({"doubled": 21, "exec": "run1"}));
    let h = s.history("chain", "run1").await;
    let types: Vec<&str> = h.iter().map(|e| e["Type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert_eq!(types.iter().filter(|t| **t == "StepEntered").count(), 3);
    let names: Vec<&str> = h
        .iter()
        .filter(|e| e["Type"] == "StepEntered")
        .map(|e| e["StepName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["A", "B", "C"]);
    // Paging: two events a page until the end.
    let mut token = None::<String>;
    let mut seen = 0;
    loop {
        let mut p = vec![
            ("FlowName", "chain"),
            ("ExecutionName", "run1"),
            ("Limit", "2"),
        ];
        if let Some(t) = &token {
            p.push(("NextToken", t));
        }
        let page = s.get("GetExecutionHistory", &p).await.ok();
        let evs = page.body["Events"].as_array().unwrap();
        assert!(evs.len() <= 2 && !evs.is_empty());
        assert_eq!(evs[0]["EventId"].as_u64().unwrap(), seen as u64 + 1);
        seen += evs.len();
        match page.body["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, h.len());
    s.get(
        "GetExecutionHistory",
        &[
            ("FlowName", "chain"),
            ("ExecutionName", "run1"),
            ("Limit", "0"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    s.get(
        "GetExecutionHistory",
        &[
            ("FlowName", "chain"),
            ("ExecutionName", "run1"),
            ("NextToken", "abc"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    s.get(
        "GetExecutionHistory",
        &[("FlowName", "chain"), ("ExecutionName", "zz")],
    )
    .await
    .err(404, "ExecutionNotExists");
}

#[tokio::test]
async fn fail_state_fails_the_execution_with_its_code() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine\nSpecVersion: v1\nStartAt: F\nStates:\n  - Type: Fail\n    Name: F\n    Code: MyCode\n    Detail: it broke\n";
    s.create_flow("failing", def).await.ok();
    s.start_exec("failing", "e", "{}").await.ok();
    let d = s.wait_done("failing", "e", 5).await;
    assert_eq!(d.s("Status"), "Failed");
    assert!(d.body.get("Output").is_none());
    let h = s.history("failing", "e").await;
    let last = h.last().unwrap();
    assert_eq!(last["Type"], "ExecutionFailed");
    let detail: Value = serde_json::from_str(last["EventDetail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["Error"], "MyCode");
    assert_eq!(detail["Cause"], "it broke");
    assert!(h
        .iter()
        .any(|e| e["Type"] == "StepFailed" && e["StepName"] == "F"));
}

#[tokio::test]
async fn unconfigured_tasks_fail_with_a_clear_error() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine\nSpecVersion: v1\nStartAt: T\nStates:\n  - Type: Task\n    Name: T\n    Action: FC:InvokeFunction\n    End: true\n";
    s.create_flow("task", def).await.ok();
    s.start_exec("task", "e", "{}").await.ok();
    assert_eq!(s.wait_done("task", "e", 5).await.s("Status"), "Failed");
    let h = s.history("task", "e").await;
    let detail: Value =
        serde_json::from_str(h.last().unwrap()["EventDetail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["Error"], "Emulator.TaskNotConfigured");
    assert!(
        detail["Cause"].as_str().unwrap().contains("--function"),
        "{detail}"
    );
}

#[tokio::test]
async fn dynamic_wait_and_clock_advance() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine\nSpecVersion: v1\nStartAt: W\nStates:\n  - Type: Wait\n    Name: W\n    Seconds.$: $Input.delay\n    End: true\n";
    s.create_flow("dyn", def).await.ok();
    s.start_exec("dyn", "e", r#"{"delay": 300}"#).await.ok();
    s.start_exec("dyn", "bad", r#"{"delay": "soon"}"#)
        .await
        .ok();
    assert_eq!(s.wait_done("dyn", "bad", 5).await.s("Status"), "Failed");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(s.describe("dyn", "e").await.s("Status"), "Running");
    let r = s
        .client
        .post(format!("{}/_emulator/clock/advance?seconds=300", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d = s.wait_done("dyn", "e", 5).await;
    assert_eq!(d.s("Status"), "Succeeded");
    // Reported times follow the emulated clock: the execution took 300 emulated seconds.
    let t0 = chrono::DateTime::parse_from_rfc3339(d.s("StartedTime")).unwrap();
    let t1 = chrono::DateTime::parse_from_rfc3339(d.s("StoppedTime")).unwrap();
    assert!((t1 - t0).num_seconds() >= 299, "{t0} {t1}");
    let r = s
        .client
        .post(format!("{}/_emulator/clock/advance?seconds=abc", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn start_execution_rules() {
    let s = TestServer::start().await;
    s.create_flow("w", &wait_flow("w", 300)).await.ok();
    let first = s.start_exec("w", "same", r#"{"a":1}"#).await.ok();
    // In progress: the same execution is returned, nothing new starts.
    let again = s.start_exec("w", "same", r#"{"a":2}"#).await.ok();
    assert_eq!(again.s("StartedTime"), first.s("StartedTime"));
    assert_eq!(again.s("Input"), r#"{"a":1}"#);
    s.call(
        "StopExecution",
        &[("FlowName", "w"), ("ExecutionName", "same")],
    )
    .await
    .ok();
    let e = s
        .start_exec("w", "same", "{}")
        .await
        .err(400, "ExecutionAlreadyExists");
    assert_eq!(e.s("Message"), "Execution same for flow w already exists.");
    // Generated name; bad input; bad name; unknown flow.
    let gen = s.call("StartExecution", &[("FlowName", "w")]).await.ok();
    assert!(!gen.s("Name").is_empty());
    assert_eq!(gen.s("Input"), "{}");
    s.start_exec("w", "x", "[1]")
        .await
        .err(400, "InvalidArgument");
    s.start_exec("w", "x", "{")
        .await
        .err(400, "InvalidArgument");
    s.start_exec("w", "bad name", "{}")
        .await
        .err(400, "InvalidArgument");
    s.start_exec("nope", "x", "{}")
        .await
        .err(404, "FlowNotExists");
    s.call("StartExecution", &[])
        .await
        .err(400, "MissingRequiredParams");
}

#[tokio::test]
async fn express_flows_refuse_start_execution() {
    let s = TestServer::start().await;
    let def = wait_flow("ex", 10);
    s.call(
        "CreateFlow",
        &[
            ("Name", "ex"),
            ("Definition", &def),
            ("Description", ""),
            ("Type", "FDL"),
            ("ExecutionMode", "Express"),
        ],
    )
    .await
    .ok();
    s.start_exec("ex", "e", "{}")
        .await
        .err(400, "InvalidArgument");
    // Express limits are enforced at CreateFlow.
    let def = wait_flow("ex2", 21);
    s.call(
        "CreateFlow",
        &[
            ("Name", "ex2"),
            ("Definition", &def),
            ("Description", ""),
            ("Type", "FDL"),
            ("ExecutionMode", "Express"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
}

#[tokio::test]
async fn long_polling_returns_when_the_execution_ends() {
    let s = TestServer::start().await;
    s.create_flow("w", &wait_flow("w", 300)).await.ok();
    s.start_exec("w", "e", "{}").await.ok();
    let poll = s.get(
        "DescribeExecution",
        &[
            ("FlowName", "w"),
            ("ExecutionName", "e"),
            ("WaitTimeSeconds", "30"),
        ],
    );
    let stopper = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        s.call(
            "StopExecution",
            &[("FlowName", "w"), ("ExecutionName", "e")],
        )
        .await
        .ok();
    };
    let t = std::time::Instant::now();
    let (a, _) = tokio::join!(poll, stopper);
    assert_eq!(a.ok().s("Status"), "Stopped");
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    s.get(
        "DescribeExecution",
        &[
            ("FlowName", "w"),
            ("ExecutionName", "e"),
            ("WaitTimeSeconds", "61"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
}

#[tokio::test]
async fn accounts_are_isolated() {
    let dir = std::env::temp_dir().join(format!("cfe-acc-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("creds.yaml");
    std::fs::write(
        &file,
        "- access_key_id: akA\n  access_key_secret: skA\n  account_id: '111'\n- access_key_id: akB\n  access_key_secret: skB\n  account_id: '222'\n- access_key_id: akA2\n  access_key_secret: skA2\n  account_id: '111'\n",
    )
    .unwrap();
    let mut cfg = cloudflow_emulator::config::Config::for_tests(AK, SK);
    cfg.credentials = Some(file);
    let s = TestServer::start_with(cfg).await;
    let def = wait_flow("shared", 300);
    let create = [
        ("Name", "shared"),
        ("Definition", def.as_str()),
        ("Description", ""),
        ("Type", "FDL"),
    ];
    s.call_as("akA", "skA", "CreateFlow", &create).await.ok();
    s.call_as("akB", "skB", "DescribeFlow", &[("Name", "shared")])
        .await
        .err(404, "FlowNotExists");
    // B can create its own flow of the same name.
    s.call_as("akB", "skB", "CreateFlow", &create).await.ok();
    // Another key of account 111 sees A's flow.
    s.call_as("akA2", "skA2", "DescribeFlow", &[("Name", "shared")])
        .await
        .ok();
    s.call_as(
        "akA",
        "skA",
        "StartExecution",
        &[("FlowName", "shared"), ("ExecutionName", "e")],
    )
    .await
    .ok();
    s.call_as(
        "akB",
        "skB",
        "StopExecution",
        &[("FlowName", "shared"), ("ExecutionName", "e")],
    )
    .await
    .err(404, "ExecutionNotExists");
    s.call_as(
        "akA2",
        "skA2",
        "StopExecution",
        &[("FlowName", "shared"), ("ExecutionName", "e")],
    )
    .await
    .ok();
}

#[tokio::test]
async fn auth_off_skips_signatures_but_not_well_formedness() {
    let mut cfg = cloudflow_emulator::config::Config::for_tests(AK, SK);
    cfg.auth = cloudflow_emulator::config::AuthMode::Off;
    let s = TestServer::start_with(cfg).await;
    let def = wait_flow("u", 1);
    let body = encode_pairs(&[
        ("Name".into(), "u".into()),
        ("Definition".into(), def.clone()),
        ("Description".into(), "".into()),
        ("Type".into(), "FDL".into()),
    ]);
    s.send(
        s.client
            .post(format!("{}/?Action=CreateFlow&Version=2019-03-15", s.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await
    .ok();
    s.send(s.client.get(format!(
        "{}/?Action=DescribeFlow&Version=2019-03-15&Name=u",
        s.base
    )))
    .await
    .ok();
    s.send(
        s.client
            .get(format!("{}/?Version=2019-03-15&Name=u", s.base)),
    )
    .await
    .err(400, "MissingRequiredParams");
    // A wrong signature is not checked either.
    s.call_as(AK, "wrong", "DescribeFlow", &[("Name", "u")])
        .await
        .ok();
}

#[tokio::test]
async fn node_style_and_json_bodies() {
    let s = TestServer::start().await;
    s.create_flow("n", &wait_flow("n", 300)).await.ok();
    // Everything, Signature included, in the form body (as the Node SDK sends it).
    let mut params = common_params(AK, "StartExecution");
    params.push(("FlowName".into(), "n".into()));
    params.push(("ExecutionName".into(), "viaBody".into()));
    params.push(("Input".into(), r#"{"note":"a b&c=d+e*f~g"}"#.into()));
    let body = sign_into_query("POST", &params, SK);
    let a = s
        .send(
            s.client
                .post(format!("{}/", s.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await
        .ok();
    assert_eq!(a.s("Input"), r#"{"note":"a b&c=d+e*f~g"}"#);
    // A JSON body's members are parameters too.
    let q = sign_into_query("POST", &common_params(AK, "DescribeExecution"), SK);
    let a = s
        .send(
            s.client
                .post(format!("{}/?{q}", s.base))
                .header("content-type", "application/json")
                .body(r#"{"FlowName":"n","ExecutionName":"viaBody"}"#),
        )
        .await
        .ok();
    assert_eq!(a.s("Status"), "Running");
    // Duplicate parameters and broken encoding are refused.
    let q = sign_into_query("GET", &common_params(AK, "DescribeFlow"), SK);
    s.send(s.client.get(format!("{}/?{q}&Name=n&Name=m", s.base)))
        .await
        .err(400, "InvalidArgument");
    s.send(s.client.get(format!("{}/?{q}&Name=%ZZ", s.base)))
        .await
        .err(400, "InvalidArgument");
}

#[tokio::test]
async fn acs3_signed_requests_are_verified() {
    use cloudflow_emulator::protocol::signature::*;
    let s = TestServer::start().await;
    s.create_flow("v3", &wait_flow("v3", 300)).await.ok();
    let send = |secret: &'static str, body: &'static str| {
        let hash = sha256_hex(body.as_bytes());
        let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let host = s.base.trim_start_matches("http://").to_string();
        let headers = vec![
            (
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("host", host),
            ("x-acs-action", "DescribeExecution".to_string()),
            ("x-acs-content-sha256", hash.clone()),
            ("x-acs-date", date),
            ("x-acs-signature-nonce", nonce),
            ("x-acs-version", "2019-03-15".to_string()),
        ];
        let signed: Vec<String> = headers.iter().map(|(k, _)| k.to_string()).collect();
        let hs = headers.clone();
        let cr = acs3_canonical_request(
            "POST",
            "/",
            &[],
            move |n| {
                hs.iter()
                    .filter(|(k, _)| *k == n)
                    .map(|(_, v)| v.clone())
                    .collect()
            },
            &signed,
            &hash,
        );
        let sig = acs3_signature(&acs3_string_to_sign("ACS3-HMAC-SHA256", &cr), secret);
        let mut req = s.client.post(format!("{}/", s.base)).body(body);
        for (k, v) in &headers {
            if *k != "host" {
                req = req.header(*k, v);
            }
        }
        req.header(
            "authorization",
            format!(
                "ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={},Signature={sig}",
                signed.join(";")
            ),
        )
    };
    s.start_exec("v3", "e", "{}").await.ok();
    let a = s.send(send(SK, "FlowName=v3&ExecutionName=e")).await.ok();
    assert_eq!(a.s("Status"), "Running");
    s.send(send("wrong", "FlowName=v3&ExecutionName=e"))
        .await
        .err(403, "SignatureNotMatch");
}

#[tokio::test]
async fn health_and_unknown_emulator_paths() {
    let s = TestServer::start().await;
    let r = s
        .client
        .get(format!("{}/_emulator/health", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Status"], "ok");
    assert!(v["Version"].is_string());
    assert!(v["UptimeSeconds"].is_number());
    let r = s
        .client
        .get(format!("{}/_emulator/nothing", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Every action of the API is built: an unknown map run's flow is a documented 404.
    s.get(
        "DescribeMapRun",
        &[
            ("FlowName", "x"),
            ("ExecutionName", "e"),
            ("MapRunName", "m"),
        ],
    )
    .await
    .err(404, "FlowNotExists");
}
