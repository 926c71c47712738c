//! Distributed Map: child executions, DescribeMapRun, UpdateMapRun, ListExecutions MapRunName,
//! tolerated failures, and stopping the parent.

mod common;

use common::*;
use serde_json::Value;

fn flow(name: &str, extra: &str, processor_state: &str) -> String {
    format!(
        "Type: StateMachine
SpecVersion: v1
Name: {name}
StartAt: Fan
States:
  - Type: Map
    Name: Fan
    ItemsPath: $Input.items
    ProcessorConfig:
      ExecutionMode: Standard
{extra}    Processor:
      StartAt: Work
      States:
{processor_state}
    End: true
"
    )
}

const CHOOSE: &str = "        - Type: Choice
          Name: Work
          Branches:
            - Condition: $Input.ok == false
              Next: Boom
          Default: Fine
        - Type: Pass
          Name: Fine
          OutputConstructor:
            doubled.$: $Input.n
          End: true
        - Type: Fail
          Name: Boom
          Code: ItemFailed
          Detail: bad item";

async fn map_run_name(s: &TestServer, flow: &str, exec: &str) -> String {
    for _ in 0..500 {
        let h = s.history(flow, exec).await;
        if let Some(ev) = h.iter().find(|e| e["Type"] == "MapRunStarted") {
            let d: Value = serde_json::from_str(ev["EventDetail"].as_str().unwrap()).unwrap();
            return d["MapRunName"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("no MapRunStarted");
}

#[tokio::test]
async fn children_run_and_the_run_is_described() {
    let s = TestServer::start().await;
    s.create_flow("dm", &flow("dm", "    MaxConcurrency: 2\n    ItemConstructor:\n      n.$: $Item.v\n      ok.$: $Item.ok\n", CHOOSE)).await.ok();
    s.start_exec(
        "dm",
        "e",
        r#"{"items": [{"v": 1, "ok": true}, {"v": 2, "ok": true}, {"v": 3, "ok": true}]}"#,
    )
    .await
    .ok();
    let d = s.wait_done("dm", "e", 10).await;
    assert_eq!(
        d.s("Status"),
        "Succeeded",
        "{:?}",
        s.history("dm", "e").await
    );
    let out: Value = serde_json::from_str(d.s("Output")).unwrap();
    assert_eq!(
        out,
        serde_json::json!({"Items": [{"doubled": 1}, {"doubled": 2}, {"doubled": 3}]})
    );
    let run = map_run_name(&s, "dm", "e").await;
    let m = s
        .get(
            "DescribeMapRun",
            &[
                ("FlowName", "dm"),
                ("ExecutionName", "e"),
                ("MapRunName", &run),
            ],
        )
        .await
        .ok();
    assert_eq!(m.s("Status"), "Succeeded");
    assert_eq!(m.body["ItemCounts"]["Total"], 3);
    assert_eq!(m.body["ItemCounts"]["Succeed"], 3);
    assert_eq!(m.body["Concurrency"], 2);
    assert!(m.body["StoppedTime"].is_string());
    // The children are listed under the map run only.
    let kids = s
        .get(
            "ListExecutions",
            &[("FlowName", "dm"), ("MapRunName", &run)],
        )
        .await
        .ok();
    assert_eq!(kids.body["Executions"].as_array().unwrap().len(), 3);
    let top = s.get("ListExecutions", &[("FlowName", "dm")]).await.ok();
    assert_eq!(top.body["Executions"].as_array().unwrap().len(), 1);
    s.get(
        "DescribeMapRun",
        &[
            ("FlowName", "dm"),
            ("ExecutionName", "e"),
            ("MapRunName", "nope"),
        ],
    )
    .await
    .err(404, "MapRunNotExists");
}

#[tokio::test]
async fn failures_beyond_tolerance_fail_the_map() {
    let s = TestServer::start().await;
    s.create_flow(
        "strict",
        &flow(
            "strict",
            "    ItemConstructor:\n      n.$: $Item.v\n      ok.$: $Item.ok\n",
            CHOOSE,
        ),
    )
    .await
    .ok();
    s.start_exec(
        "strict",
        "e",
        r#"{"items": [{"v": 1, "ok": false}, {"v": 2, "ok": true}]}"#,
    )
    .await
    .ok();
    assert_eq!(s.wait_done("strict", "e", 10).await.s("Status"), "Failed");
    let h = s.history("strict", "e").await;
    let last: Value =
        serde_json::from_str(h.last().unwrap()["EventDetail"].as_str().unwrap()).unwrap();
    assert_eq!(last["Error"], "ItemFailed");

    s.create_flow("lenient", &flow("lenient", "    ToleratedFailureCount: 1\n    ItemConstructor:\n      n.$: $Item.v\n      ok.$: $Item.ok\n", CHOOSE)).await.ok();
    s.start_exec(
        "lenient",
        "e",
        r#"{"items": [{"v": 1, "ok": false}, {"v": 2, "ok": true}]}"#,
    )
    .await
    .ok();
    let d = s.wait_done("lenient", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    let out: Value = serde_json::from_str(d.s("Output")).unwrap();
    assert_eq!(out["Items"][0]["Error"], "ItemFailed");
    assert_eq!(out["Items"][1]["doubled"], 2);
    let run = map_run_name(&s, "lenient", "e").await;
    let m = s
        .get(
            "DescribeMapRun",
            &[
                ("FlowName", "lenient"),
                ("ExecutionName", "e"),
                ("MapRunName", &run),
            ],
        )
        .await
        .ok();
    assert_eq!(
        (
            m.body["ItemCounts"]["Failed"].as_u64(),
            m.body["ToleratedFailedCount"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn update_map_run_and_stopping_the_parent_aborts_the_children() {
    let s = TestServer::start().await;
    let wait =
        "        - Type: Wait\n          Name: Work\n          Seconds: 300\n          End: true";
    s.create_flow("slow", &flow("slow", "    MaxConcurrency: 1\n", wait))
        .await
        .ok();
    s.start_exec("slow", "e", r#"{"items": [{}, {}, {}]}"#)
        .await
        .ok();
    let run = map_run_name(&s, "slow", "e").await;
    let u = s
        .get(
            "UpdateMapRun",
            &[
                ("FlowName", "slow"),
                ("ExecutionName", "e"),
                ("MapRunName", &run),
                ("Concurrency", "3"),
                ("ToleratedFailedPercentage", "50"),
            ],
        )
        .await
        .ok();
    assert_eq!(u.body["Concurrency"], 3);
    assert_eq!(u.body["ToleratedFailedPercentage"], 50.0);
    s.get(
        "UpdateMapRun",
        &[
            ("FlowName", "slow"),
            ("ExecutionName", "e"),
            ("MapRunName", &run),
            ("Concurrency", "0"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    // The raised concurrency starts the two pending children at once (the first still waits).
    let mut counts = Value::Null;
    for _ in 0..400 {
        let m = s
            .get(
                "DescribeMapRun",
                &[
                    ("FlowName", "slow"),
                    ("ExecutionName", "e"),
                    ("MapRunName", &run),
                ],
            )
            .await
            .ok();
        counts = m.body["ItemCounts"].clone();
        if counts["Running"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(counts["Running"], 3, "{counts}");
    assert_eq!(counts["Pending"], 0, "{counts}");
    s.call(
        "StopExecution",
        &[("FlowName", "slow"), ("ExecutionName", "e")],
    )
    .await
    .ok();
    let mut status = String::new();
    for _ in 0..200 {
        let m = s
            .get(
                "DescribeMapRun",
                &[
                    ("FlowName", "slow"),
                    ("ExecutionName", "e"),
                    ("MapRunName", &run),
                ],
            )
            .await
            .ok();
        status = m.s("Status").to_string();
        if status == "Aborted" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(status, "Aborted");
    let kids = s
        .get(
            "ListExecutions",
            &[("FlowName", "slow"), ("MapRunName", &run)],
        )
        .await
        .ok();
    for k in kids.body["Executions"].as_array().unwrap() {
        assert_eq!(k["Status"], "Stopped");
    }
}
