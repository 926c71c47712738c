//! UpdateFlow, DeleteFlow, ListFlows, ListExecutions, StartSyncExecution and DescribeRegions.

mod common;

use common::*;
use serde_json::Value;

const PASS: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    End: true\n";

#[tokio::test]
async fn update_flow_changes_only_what_is_given() {
    let s = TestServer::start().await;
    let def = wait_flow("u", 300);
    s.call(
        "CreateFlow",
        &[
            ("Name", "u"),
            ("Definition", &def),
            ("Description", "first"),
            ("Type", "FDL"),
            ("RoleArn", "acs:ram::1:role/a"),
        ],
    )
    .await
    .ok();
    s.start_exec("u", "old", "{}").await.ok();
    let created = s.get("DescribeFlow", &[("Name", "u")]).await.ok();
    let a = s
        .call("UpdateFlow", &[("Name", "u"), ("Description", "second")])
        .await
        .ok();
    assert_eq!(a.s("Description"), "second");
    assert_eq!(a.s("Definition"), def);
    assert_eq!(a.s("RoleArn"), "acs:ram::1:role/a");
    assert_eq!(a.s("CreatedTime"), created.s("CreatedTime"));
    assert!(a.s("LastModifiedTime") >= created.s("LastModifiedTime"));
    let newdef = "Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    End: true\n";
    s.call("UpdateFlow", &[("Name", "u"), ("Definition", newdef)])
        .await
        .ok();
    assert_eq!(
        s.get("DescribeFlow", &[("Name", "u")])
            .await
            .s("Definition"),
        newdef
    );
    // The running execution keeps its snapshot.
    assert_eq!(s.describe("u", "old").await.s("FlowDefinition"), def);
    s.call(
        "UpdateFlow",
        &[("Name", "u"), ("Definition", "Type: StateMachine")],
    )
    .await
    .err(400, "InvalidArgument");
    assert_eq!(
        s.get("DescribeFlow", &[("Name", "u")])
            .await
            .s("Definition"),
        newdef,
        "nothing half-applied"
    );
    s.call("UpdateFlow", &[("Name", "nope")])
        .await
        .err(404, "FlowNotExists");
    s.call("UpdateFlow", &[])
        .await
        .err(400, "MissingRequiredParams");
}

#[tokio::test]
async fn delete_flow_stops_and_hides_its_executions() {
    let s = TestServer::start().await;
    s.create_flow("d", &wait_flow("d", 300)).await.ok();
    s.start_exec("d", "e", "{}").await.ok();
    let exec = s
        .state
        .store
        .account(cloudflow_emulator::config::DEFAULT_ACCOUNT_ID)
        .flow("d")
        .unwrap()
        .execution("e")
        .unwrap();
    s.call("DeleteFlow", &[("Name", "d")]).await.ok();
    assert_eq!(exec.status().as_str(), "Stopped");
    s.get("DescribeFlow", &[("Name", "d")])
        .await
        .err(404, "FlowNotExists");
    s.describe("d", "e").await.err(404, "FlowNotExists");
    s.create_flow("d", &wait_flow("d", 300)).await.ok();
    s.describe("d", "e").await.err(404, "ExecutionNotExists");
    let l = s.get("ListExecutions", &[("FlowName", "d")]).await.ok();
    assert!(l.body["Executions"].as_array().unwrap().is_empty());
    s.call("DeleteFlow", &[("Name", "zz")])
        .await
        .err(404, "FlowNotExists");
}

#[tokio::test]
async fn list_flows_pages_by_name() {
    let s = TestServer::start().await;
    for i in 0..7 {
        let n = format!("f{i}");
        s.create_flow(&n, PASS).await.ok();
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut p = vec![("Limit", "3")];
        if let Some(t) = &token {
            p.push(("NextToken", t));
        }
        let a = s.get("ListFlows", &p).await.ok();
        let flows = a.body["Flows"].as_array().unwrap();
        assert!(flows.len() <= 3);
        names.extend(
            flows
                .iter()
                .map(|f| f["Name"].as_str().unwrap().to_string()),
        );
        match a.body["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(names, (0..7).map(|i| format!("f{i}")).collect::<Vec<_>>());
    s.get("ListFlows", &[("Limit", "0")])
        .await
        .err(400, "InvalidArgument");
    s.get("ListFlows", &[("Limit", "x")])
        .await
        .err(400, "InvalidArgument");
}

#[tokio::test]
async fn list_executions_newest_first_with_filters() {
    let s = TestServer::start().await;
    s.create_flow("w", &wait_flow("w", 300)).await.ok();
    for i in 0..5 {
        s.start_exec("w", &format!("run{i}"), "{}").await.ok();
    }
    s.start_exec("w", "other", "{}").await.ok();
    s.call(
        "StopExecution",
        &[("FlowName", "w"), ("ExecutionName", "run1")],
    )
    .await
    .ok();
    let all = s.get("ListExecutions", &[("FlowName", "w")]).await.ok();
    let names: Vec<&str> = all.body["Executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["other", "run4", "run3", "run2", "run1", "run0"]);
    assert!(all.body.get("NextToken").is_none());
    let e0 = &all.body["Executions"][0];
    assert!(e0["FlowDefinition"].is_string() && e0["Input"].is_string());

    let meta = s
        .get(
            "ListExecutions",
            &[("FlowName", "w"), ("MetadataOnly", "True")],
        )
        .await
        .ok();
    assert!(meta.body["Executions"][0].get("FlowDefinition").is_none());
    assert!(meta.body["Executions"][0].get("Input").is_none());

    let stopped = s
        .get(
            "ListExecutions",
            &[("FlowName", "w"), ("Status", "Stopped")],
        )
        .await
        .ok();
    assert_eq!(stopped.body["Executions"].as_array().unwrap().len(), 1);
    let pre = s
        .get(
            "ListExecutions",
            &[("FlowName", "w"), ("ExecutionNamePrefix", "run")],
        )
        .await
        .ok();
    assert_eq!(pre.body["Executions"].as_array().unwrap().len(), 5);

    // Paging with a filter.
    let p1 = s
        .get(
            "ListExecutions",
            &[
                ("FlowName", "w"),
                ("ExecutionNamePrefix", "run"),
                ("Limit", "2"),
            ],
        )
        .await
        .ok();
    assert_eq!(p1.s("NextToken"), "run2");
    let p2 = s
        .get(
            "ListExecutions",
            &[
                ("FlowName", "w"),
                ("ExecutionNamePrefix", "run"),
                ("Limit", "2"),
                ("NextToken", "run2"),
            ],
        )
        .await
        .ok();
    let names: Vec<&str> = p2.body["Executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["run2", "run1"]);

    let future = "2999-01-01T00:00:00.000Z";
    let none = s
        .get(
            "ListExecutions",
            &[("FlowName", "w"), ("StartedTimeBegin", future)],
        )
        .await
        .ok();
    assert!(none.body["Executions"].as_array().unwrap().is_empty());
    let all_end = s
        .get(
            "ListExecutions",
            &[("FlowName", "w"), ("StartedTimeEnd", future)],
        )
        .await
        .ok();
    assert_eq!(all_end.body["Executions"].as_array().unwrap().len(), 6);

    s.get(
        "ListExecutions",
        &[("FlowName", "w"), ("Status", "Sleeping")],
    )
    .await
    .err(400, "InvalidArgument");
    s.get("ListExecutions", &[("FlowName", "w"), ("Limit", "101")])
        .await
        .err(400, "InvalidArgument");
    s.get(
        "ListExecutions",
        &[("FlowName", "w"), ("NextToken", "nope")],
    )
    .await
    .err(400, "InvalidArgument");
    s.get(
        "ListExecutions",
        &[("FlowName", "w"), ("StartedTimeBegin", "yesterday")],
    )
    .await
    .err(400, "InvalidArgument");
    s.get("ListExecutions", &[("FlowName", "nope")])
        .await
        .err(404, "FlowNotExists");
}

#[tokio::test]
async fn start_sync_execution_runs_express_flows() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    OutputConstructor:\n      got.$: $Input.x\n    End: true\n";
    s.call(
        "CreateFlow",
        &[
            ("Name", "ex"),
            ("Definition", def),
            ("Description", ""),
            ("Type", "FDL"),
            ("ExecutionMode", "Express"),
        ],
    )
    .await
    .ok();
    let a = s
        .call(
            "StartSyncExecution",
            &[
                ("FlowName", "ex"),
                ("ExecutionName", "sync"),
                ("Input", r#"{"x": 1}"#),
            ],
        )
        .await
        .ok();
    assert_eq!(a.s("Status"), "Succeeded");
    assert_eq!(a.s("Output"), r#"{"got":1}"#);
    let (base, uuid) = a.s("Name").split_once(':').unwrap();
    assert_eq!(base, "sync");
    assert!(uuid::Uuid::parse_str(uuid).is_ok());
    assert!(a.body.get("ErrorCode").is_none());
    // Same name again: a new execution each time.
    let b = s
        .call(
            "StartSyncExecution",
            &[("FlowName", "ex"), ("ExecutionName", "sync")],
        )
        .await
        .ok();
    assert_ne!(a.s("Name"), b.s("Name"));

    let failing = "Type: StateMachine\nSpecVersion: v1\nStartAt: F\nStates:\n  - Type: Fail\n    Name: F\n    Code: Bad\n    Detail: nope\n";
    s.call(
        "CreateFlow",
        &[
            ("Name", "exf"),
            ("Definition", failing),
            ("Description", ""),
            ("Type", "FDL"),
            ("ExecutionMode", "Express"),
        ],
    )
    .await
    .ok();
    let f = s
        .call("StartSyncExecution", &[("FlowName", "exf")])
        .await
        .ok();
    assert_eq!(
        (f.s("Status"), f.s("ErrorCode"), f.s("ErrorMessage")),
        ("Failed", "Bad", "nope")
    );

    // A Standard flow: the documented failed answer.
    s.create_flow("std", PASS).await.ok();
    let st = s
        .call("StartSyncExecution", &[("FlowName", "std")])
        .await
        .ok();
    assert_eq!(
        (st.s("Status"), st.s("ErrorCode"), st.s("ErrorMessage")),
        (
            "Failed",
            "ActionNotSupported",
            "Standard execution is not supported"
        )
    );
    s.call("StartSyncExecution", &[("FlowName", "nope")])
        .await
        .err(404, "FlowNotExists");
    s.call("StartSyncExecution", &[("FlowName", "ex"), ("Input", "[]")])
        .await
        .err(400, "InvalidArgument");
}

#[tokio::test]
async fn describe_regions_lists_the_documented_regions() {
    let s = TestServer::start().await;
    let a = s.call("DescribeRegions", &[]).await.ok();
    let regions = a.body["Regions"]["Region"].as_array().unwrap();
    assert!(regions
        .iter()
        .any(|r| r["RegionId"] == "cn-hangzhou"
            && r["RegionEndpoint"] == "cn-hangzhou.fnf.aliyuncs.com"));
    let en = s
        .call("DescribeRegions", &[("AcceptLanguage", "en-US")])
        .await
        .ok();
    assert_eq!(
        en.body["Regions"]["Region"][0]["LocalName"],
        Value::from("China (Hangzhou)")
    );
    s.call("DescribeRegions", &[("AcceptLanguage", "fr")])
        .await
        .err(400, "InvalidArgument");
}
