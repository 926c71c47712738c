//! Access control end to end: RAM-style policies on credentials, STS security tokens, and
//! isolation between accounts (Describe/Stop/List/history).

mod common;
#[path = "common/raw.rs"]
mod raw;

use cloudflow_emulator::config::Config;
use common::*;
use raw::call_raw;

const CREDS: &str = r#"
- access_key_id: akFull
  access_key_secret: skFull
  account_id: "111"
- access_key_id: akRead
  access_key_secret: skRead
  account_id: "111"
  policy:
    Version: "1"
    Statement:
      - Effect: Allow
        Action: ["fnf:Describe*", "fnf:List*", "fnf:GetExecutionHistory"]
        Resource: "*"
- access_key_id: akOrders
  access_key_secret: skOrders
  account_id: "111"
  policy:
    Statement:
      - Effect: Allow
        Action: "fnf:*"
        Resource: ["acs:fnf:*:111:flow/orders*"]
      - Effect: Deny
        Action: ["fnf:stopexecution"]
        Resource: ["acs:fnf:cn-hangzhou:111:flow/orders/execution/keep-?"]
- access_key_id: akOther
  access_key_secret: skOther
  account_id: "222"
- access_key_id: akSts
  access_key_secret: skSts
  account_id: "111"
  security_token: the-token
"#;

async fn server() -> TestServer {
    let dir = std::env::temp_dir().join(format!("cfe-policy-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("creds.yaml");
    std::fs::write(&file, CREDS).unwrap();
    let mut cfg = Config::for_tests(AK, SK);
    cfg.credentials = Some(file);
    TestServer::start_with(cfg).await
}

fn create(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Name", name.to_string()),
        ("Definition", wait_flow(name, 300)),
        ("Description", String::new()),
        ("Type", "FDL".to_string()),
    ]
}

async fn as_(s: &TestServer, who: &str, action: &str, params: &[(&str, &str)]) -> Answer {
    let sk = who.replacen("ak", "sk", 1);
    s.call_as(who, &sk, action, params).await
}

fn exec<'a>(flow: &'a str, name: &'a str) -> [(&'static str, &'a str); 2] {
    [("FlowName", flow), ("ExecutionName", name)]
}

#[tokio::test]
async fn policies_allow_deny_and_wildcards() {
    let s = server().await;
    for flow in ["orders", "orders-eu", "billing"] {
        let p = create(flow);
        let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        as_(&s, "akFull", "CreateFlow", &p).await.ok();
    }
    for (flow, e) in [
        ("orders", "keep-1"),
        ("orders", "drop-1"),
        ("billing", "b1"),
    ] {
        as_(&s, "akFull", "StartExecution", &exec(flow, e))
            .await
            .ok();
    }

    // Read-only key: Describe*/List*/GetExecutionHistory anywhere, nothing else.
    as_(&s, "akRead", "DescribeFlow", &[("Name", "billing")])
        .await
        .ok();
    as_(&s, "akRead", "ListFlows", &[]).await.ok();
    as_(&s, "akRead", "ListExecutions", &[("FlowName", "orders")])
        .await
        .ok();
    as_(&s, "akRead", "DescribeExecution", &exec("billing", "b1"))
        .await
        .ok();
    as_(&s, "akRead", "GetExecutionHistory", &exec("billing", "b1"))
        .await
        .ok();
    let denied = as_(&s, "akRead", "StopExecution", &exec("billing", "b1"))
        .await
        .err(403, "AccessDenied");
    assert_eq!(denied.s("Message"), "The resources doesn't belong to you.");
    let p = create("new");
    let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
    as_(&s, "akRead", "CreateFlow", &p)
        .await
        .err(403, "AccessDenied");
    as_(&s, "akRead", "StartExecution", &exec("billing", "b2"))
        .await
        .err(403, "AccessDenied");

    // Orders key: everything on flow/orders* (its executions included), nothing elsewhere.
    as_(&s, "akOrders", "DescribeFlow", &[("Name", "orders")])
        .await
        .ok();
    as_(&s, "akOrders", "DescribeFlow", &[("Name", "orders-eu")])
        .await
        .ok();
    as_(&s, "akOrders", "DescribeFlow", &[("Name", "billing")])
        .await
        .err(403, "AccessDenied");
    as_(&s, "akOrders", "DescribeExecution", &exec("billing", "b1"))
        .await
        .err(403, "AccessDenied");
    // ListFlows acts on flow/*, which flow/orders* does not cover.
    as_(&s, "akOrders", "ListFlows", &[])
        .await
        .err(403, "AccessDenied");
    // The explicit Deny (case-insensitive action, `?` wildcard) wins over the Allow.
    as_(&s, "akOrders", "StopExecution", &exec("orders", "keep-1"))
        .await
        .err(403, "AccessDenied");
    as_(&s, "akOrders", "StopExecution", &exec("orders", "drop-1"))
        .await
        .ok();
    as_(&s, "akOrders", "StartExecution", &exec("orders-eu", "e"))
        .await
        .ok();
    as_(&s, "akOrders", "StopExecution", &exec("orders-eu", "e"))
        .await
        .ok();
    // A denied call is refused before the flow is looked up.
    as_(&s, "akOrders", "DescribeFlow", &[("Name", "nope")])
        .await
        .err(403, "AccessDenied");
    // The key without a policy may do everything, including what the others were refused.
    as_(&s, "akFull", "StopExecution", &exec("orders", "keep-1"))
        .await
        .ok();
    as_(&s, "akFull", "StopExecution", &exec("billing", "b1"))
        .await
        .ok();
}

#[tokio::test]
async fn sts_security_token_must_match() {
    let s = server().await;
    let ok = call_raw(
        &s,
        "akSts",
        "skSts",
        &[("SecurityToken", "the-token")],
        "ListFlows",
        &[],
    )
    .await;
    ok.answer.ok();
    for extra in [
        &[("SecurityToken", "another-token")][..],
        &[("SecurityToken", "the-token-")][..],
        &[][..],
    ] {
        let r = call_raw(&s, "akSts", "skSts", extra, "ListFlows", &[]).await;
        let a = r.answer.err(403, "InvalidAccessKeyID");
        assert_eq!(a.s("Message"), "The AccessKey ID akSts is invalid.");
    }
    // The right token with the wrong secret is still a signature error.
    call_raw(
        &s,
        "akSts",
        "wrong",
        &[("SecurityToken", "the-token")],
        "ListFlows",
        &[],
    )
    .await
    .answer
    .err(403, "SignatureNotMatch");
    // A key without a token ignores one it is given.
    call_raw(
        &s,
        "akFull",
        "skFull",
        &[("SecurityToken", "whatever")],
        "ListFlows",
        &[],
    )
    .await
    .answer
    .ok();
}

#[tokio::test]
async fn accounts_never_see_each_other() {
    let s = server().await;
    let p = create("shared");
    let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
    as_(&s, "akFull", "CreateFlow", &p).await.ok();
    as_(&s, "akFull", "StartExecution", &exec("shared", "e"))
        .await
        .ok();

    // Account 222 does not see 111's flow...
    as_(&s, "akOther", "DescribeFlow", &[("Name", "shared")])
        .await
        .err(404, "FlowNotExists");
    let l = as_(&s, "akOther", "ListFlows", &[]).await.ok();
    assert_eq!(l.body["Flows"].as_array().map_or(0, |a| a.len()), 0);
    as_(&s, "akOther", "DescribeExecution", &exec("shared", "e"))
        .await
        .err(404, "FlowNotExists");
    as_(&s, "akOther", "StopExecution", &exec("shared", "e"))
        .await
        .err(404, "FlowNotExists");
    // ...nor its execution, even through a flow of the same name of its own.
    as_(&s, "akOther", "CreateFlow", &p).await.ok();
    for action in ["DescribeExecution", "StopExecution", "GetExecutionHistory"] {
        as_(&s, "akOther", action, &exec("shared", "e"))
            .await
            .err(404, "ExecutionNotExists");
    }
    let l = as_(&s, "akOther", "ListExecutions", &[("FlowName", "shared")])
        .await
        .ok();
    assert_eq!(l.body["Executions"].as_array().map_or(0, |a| a.len()), 0);
    // 111's execution is untouched by 222's attempts, and 222's flow list holds only its own.
    let d = as_(&s, "akFull", "DescribeExecution", &exec("shared", "e"))
        .await
        .ok();
    assert_eq!(d.s("Status"), "Running");
    let l = as_(&s, "akOther", "ListFlows", &[]).await.ok();
    assert_eq!(l.body["Flows"].as_array().unwrap().len(), 1);
    let l = as_(&s, "akFull", "ListExecutions", &[("FlowName", "shared")])
        .await
        .ok();
    assert_eq!(l.body["Executions"].as_array().unwrap().len(), 1);
    // Another key of account 111 (with a token) sees and can stop it.
    call_raw(
        &s,
        "akSts",
        "skSts",
        &[("SecurityToken", "the-token")],
        "StopExecution",
        &exec("shared", "e"),
    )
    .await
    .answer
    .ok();
}
