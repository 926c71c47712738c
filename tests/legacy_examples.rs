//! The real legacy (`type: flow`) examples of the reference (fdl.md Part E: E4 callback with
//! retry, E5 nested foreach video pipeline, E6 small examples), run end to end against local
//! function endpoints served by this test; plus DescribeFlow/DescribeExecution returning the
//! text as submitted and StopExecution inside a legacy wait.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use cloudflow_emulator::config::Config;
use common::*;
use serde_json::{json, Value};

type Calls = Arc<Mutex<Vec<(String, Value)>>>;

fn js(v: Value) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        v.to_string(),
    )
}

/// Local functions for the examples; every call is recorded as (function, event).
async fn functions() -> (String, Calls) {
    let calls: Calls = Arc::new(Mutex::new(Vec::new()));
    let rec = |name: &'static str, calls: &Calls, f: fn(&Value, usize) -> (StatusCode, Value)| {
        let calls = calls.clone();
        post(move |body: Bytes| {
            let calls = calls.clone();
            async move {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let n = {
                    let mut c = calls.lock().unwrap();
                    c.push((name.to_string(), v.clone()));
                    c.iter().filter(|(f, _)| f == name).count()
                };
                let (status, out) = f(&v, n);
                let (_, h, b) = js(out);
                (status, h, b)
            }
        })
    };
    let app = Router::new()
        .route(
            "/funcProxy",
            rec("funcProxy", &calls, |_, _| {
                (StatusCode::OK, json!({"submitted": true}))
            }),
        )
        .route(
            "/split",
            // Throttled once, so the retry rule of E5 is exercised.
            rec("split", &calls, |_, n| {
                if n == 1 {
                    (StatusCode::TOO_MANY_REQUESTS, json!({"ErrorCode": "ResourceThrottled"}))
                } else {
                    (StatusCode::OK, json!({"split_keys": ["s0", "s1"]}))
                }
            }),
        )
        .route(
            "/transcode",
            rec("transcode", &calls, |v, _| {
                (
                    StatusCode::OK,
                    json!({"transcoded": format!("{}.{}", v["split_video_key"].as_str().unwrap_or("?"), v["target_type"].as_str().unwrap_or("?"))}),
                )
            }),
        )
        .route(
            "/merge",
            rec("merge", &calls, |v, _| {
                (StatusCode::OK, json!({"merged": v["target_type"]}))
            }),
        )
        .route(
            "/after-process",
            rec("after-process", &calls, |v, _| {
                (
                    StatusCode::OK,
                    json!({"processed": v["video_proc_dir"], "splits": v["split_keys"]}),
                )
            }),
        )
        .route(
            "/echo",
            rec("echo", &calls, |_, _| (StatusCode::OK, json!({"content": "sara"}))),
        )
        .route(
            "/Encrypt",
            rec("Encrypt", &calls, |v, _| {
                (
                    StatusCode::OK,
                    json!({"encrypted": format!("{}:{}", v["message"].as_str().unwrap_or("?"), v["envKey"].as_str().unwrap_or("?"))}),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), calls)
}

async fn server(time_scale: f64) -> (TestServer, Calls) {
    let (base, calls) = functions().await;
    let mut cfg = Config::for_tests(AK, SK);
    cfg.time_scale = time_scale;
    cfg.functions = [
        "funcProxy",
        "split",
        "transcode",
        "merge",
        "after-process",
        "echo",
        "Encrypt",
    ]
    .iter()
    .map(|f| format!("{f}={base}/{f}"))
    .collect();
    (TestServer::start_with(cfg).await, calls)
}

fn output(d: &Answer) -> Value {
    serde_json::from_str(d.s("Output")).unwrap_or(Value::Null)
}

fn calls_to(calls: &Calls, f: &str) -> Vec<Value> {
    calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(n, _)| n == f)
        .map(|(_, v)| v.clone())
        .collect()
}

const E4: &str = "version: v1
type: flow
steps:
  - type: task
    name: test
    resourceArn: 'acs:fc:::services/WaitForCallbackService/functions/funcProxy'
    pattern: waitForCallback
    inputMappings:
      - target: serviceName
        source: $input.serviceName
      - target: functionName
        source: $input.functionName
      - target: taskToken
        source: $context.task.token
    retry:
      - errors:
          - FC.ResourceThrottled
          - FC.ResourceExhausted
          - FC.InternalServerError
          - FC.Unknown
          - FnF.TaskTimeout
        intervalSeconds: 1
        maxAttempts: 10
        multiplier: 1.5
        maxIntervalSeconds: 10
";

#[tokio::test]
async fn e4_callback_task_with_retry() {
    let (s, calls) = server(0.001).await;
    s.create_flow("WaitForCallbackWorkflow", E4).await.ok();
    s.start_exec(
        "WaitForCallbackWorkflow",
        "e",
        r#"{"serviceName": "WaitForCallbackService", "functionName": "workflowCallback"}"#,
    )
    .await
    .ok();
    // The function receives the mapped input, including the task token.
    let mut event = None;
    for _ in 0..1000 {
        let h = s.history("WaitForCallbackWorkflow", "e").await;
        if h.iter().any(|e| e["Type"] == "TaskSubmitted") {
            event = calls_to(&calls, "funcProxy").pop();
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let event = event.expect("funcProxy was called");
    assert_eq!(event["serviceName"], "WaitForCallbackService");
    assert_eq!(event["functionName"], "workflowCallback");
    let token = event["taskToken"].as_str().expect("taskToken").to_string();
    let out = json!({ "status": format!("report task with token: {token}") });
    s.call(
        "ReportTaskSucceeded",
        &[("TaskToken", &token), ("Output", &out.to_string())],
    )
    .await
    .ok();
    let d = s.wait_done("WaitForCallbackWorkflow", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(output(&d), out);
}

const E5: &str = "version: v1beta1
type: flow
steps:
  - type: task
    name: Split
    resourceArn: 'acs:fc:::services/video-demo/functions/split'
    retry:
      - errors:
          - FC.ResourceThrottled
          - FC.ResourceExhausted
          - FC.InternalServerError
          - FnF.TaskTimeout
          - FC.Unknown
        intervalSeconds: 3
        maxAttempts: 16
        multiplier: 2
  - type: foreach
    name: ParallelTranscode
    iterationMapping:
      collection: $.dst_formats
      index: index
      item: target_type
    steps:
      - type: foreach
        name: Transcode_splits
        iterationMapping:
          collection: $.split_keys
          index: index
          item: split_video_key
        steps:
          - type: task
            name: Transcode
            resourceArn: 'acs:fc:::services/video-demo/functions/transcode'
            retry:
              - errors:
                  - FC.ResourceThrottled
                  - FC.ResourceExhausted
                  - FC.InternalServerError
                  - FnF.TaskTimeout
                  - FC.Unknown
                intervalSeconds: 3
                maxAttempts: 16
                multiplier: 2
      - type: task
        name: Merge
        resourceArn: 'acs:fc:::services/video-demo/functions/merge'
        retry:
          - errors:
              - FC.ResourceThrottled
              - FC.ResourceExhausted
              - FC.InternalServerError
              - FnF.TaskTimeout
              - FC.Unknown
            intervalSeconds: 3
            maxAttempts: 16
            multiplier: 2
    outputMappings:
      - target: video_proc_dir
        source: $input.video_proc_dir
  - type: task
    name: after-process
    resourceArn: 'acs:fc:::services/video-demo/functions/after-process'
    retry:
      - errors:
          - FC.ResourceThrottled
          - FC.ResourceExhausted
          - FC.InternalServerError
          - FnF.TaskTimeout
          - FC.Unknown
        intervalSeconds: 3
        maxAttempts: 16
        multiplier: 2
";

#[tokio::test]
async fn e5_nested_foreach_video_pipeline() {
    let (s, calls) = server(0.001).await;
    s.create_flow("video", E5).await.ok();
    let input =
        r#"{"video_key": "v.mov", "dst_formats": ["mp4", "flv"], "video_proc_dir": "proc/1"}"#;
    s.start_exec("video", "e", input).await.ok();
    let d = s.wait_done("video", "e", 30).await;
    assert_eq!(
        d.s("Status"),
        "Succeeded",
        "{:?}",
        s.history("video", "e").await
    );
    // Split was throttled once and retried.
    assert_eq!(calls_to(&calls, "split").len(), 2);
    // The inner foreach saw each outer iteration's input (outer input + target_type).
    let mut transcoded: Vec<String> = calls_to(&calls, "transcode")
        .iter()
        .map(|v| {
            format!(
                "{}.{}:{}",
                v["split_video_key"].as_str().unwrap(),
                v["target_type"].as_str().unwrap(),
                v["video_key"].as_str().unwrap()
            )
        })
        .collect();
    transcoded.sort();
    assert_eq!(
        transcoded,
        [
            "s0.flv:v.mov",
            "s0.mp4:v.mov",
            "s1.flv:v.mov",
            "s1.mp4:v.mov"
        ]
    );
    let merges = calls_to(&calls, "merge");
    assert_eq!(merges.len(), 2);
    for m in &merges {
        // The inner foreach outputs nothing; Merge sees the outer iteration input.
        assert!(m.get("transcoded").is_none(), "{m}");
        assert!(m["index"] == 0 || m["index"] == 1);
    }
    // after-process sees the flow input merged with the flow's $local.
    let after = &calls_to(&calls, "after-process")[0];
    assert_eq!(after["video_proc_dir"], "proc/1");
    assert_eq!(after["split_keys"], json!(["s0", "s1"]));
    assert_eq!(
        output(&d),
        json!({
            "split_keys": ["s0", "s1"],
            "video_proc_dir": "proc/1",
            "processed": "proc/1",
            "splits": ["s0", "s1"],
        })
    );
}

const E6_MINIMAL: &str = "version: v1beta1
type: flow
steps:
  - type: pass
    name: helloworld
";

const E6_TUTORIAL_1: &str = "version: v1beta1
type: flow
steps:
  - type: task
    name: GetContent
    resourceArn: acs:fc:cn-shenzhen:1489268165805041:services/HelloWorld/functions/echo
    outputMappings:
      - target: message
        source: $local.content
  - type: task
    name: Encrypt
    resourceArn: acs:fc:cn-shenzhen:1489268165805041:services/HelloWorld/functions/Encrypt  
    inputMappings:
      - target: message
        source: $local.message
      - target: envKey
        source: \"password\"
";

const E6_TUTORIAL_2: &str = "version: v1beta1
type: flow
steps:
  - type: task
    name: GetContent
    resourceArn: acs:fc:cn-shenzhen:1489268165805041:services/HelloWorld/functions/echo
  - type: pass
    name: GeneratePassword
    outputMappings:
      - target: envKey
        source: \"password\"
  - type: task
    name: Encrypt
    resourceArn: acs:fc:cn-shenzhen:1489268165805041:services/HelloWorld/functions/Encrypt  
    inputMappings:
      - target: message
        source: $local.content
      - target: envKey
        source: $local.envKey
";

#[tokio::test]
async fn e6_small_examples() {
    let (s, calls) = server(0.001).await;
    for (flow, def, want) in [
        ("minimal", E6_MINIMAL, json!({})),
        (
            "tutorial1",
            E6_TUTORIAL_1,
            json!({"message": "sara", "encrypted": "sara:password"}),
        ),
        (
            "tutorial2",
            E6_TUTORIAL_2,
            json!({"content": "sara", "envKey": "password", "encrypted": "sara:password"}),
        ),
    ] {
        s.create_flow(flow, def).await.ok();
        s.start_exec(flow, "e", r#"{"who": "me"}"#).await.ok();
        let d = s.wait_done(flow, "e", 10).await;
        assert_eq!(d.s("Status"), "Succeeded", "{flow}");
        assert_eq!(output(&d), want, "{flow}");
    }
    // Without inputMappings the event is the parent input merged with the parent $local.
    let echo = calls_to(&calls, "echo");
    assert_eq!(echo[0], json!({"who": "me"}));
    // With inputMappings, only the mapped keys.
    let enc = calls_to(&calls, "Encrypt");
    assert_eq!(enc[0], json!({"message": "sara", "envKey": "password"}));
    assert_eq!(enc[1], json!({"message": "sara", "envKey": "password"}));
}

#[tokio::test]
async fn definition_text_is_returned_as_submitted() {
    let s = TestServer::start().await;
    let text = "# a legacy flow, comments and odd spacing kept\nversion:   v1\ntype: flow\nsteps:\n  - type: pass   # trailing comment\n    name: p\n\n";
    s.create_flow("verbatim", text).await.ok();
    let f = s.call("DescribeFlow", &[("Name", "verbatim")]).await.ok();
    assert_eq!(f.s("Definition"), text);
    s.start_exec("verbatim", "e", "{}").await.ok();
    let d = s.wait_done("verbatim", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(d.s("FlowDefinition"), text);
    // Characters JSON escapes (quotes, backslashes, tabs) and non-ASCII, in the execution's
    // answers (whose escaped form is made once per definition) and in a listing of two.
    let odd = "# \"quoted\" back\\slash\ttab é 流 \u{1F600}\nversion: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n";
    s.create_flow("odd", odd).await.ok();
    for e in ["a", "b"] {
        s.start_exec("odd", e, "{}").await.ok();
        assert_eq!(s.wait_done("odd", e, 10).await.s("FlowDefinition"), odd);
    }
    let list = s.call("ListExecutions", &[("FlowName", "odd")]).await.ok();
    for item in list.body["Executions"].as_array().unwrap() {
        assert_eq!(item["FlowDefinition"], odd, "{item}");
    }
    assert_eq!(list.body["Executions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn stop_execution_inside_a_legacy_wait() {
    let s = TestServer::start().await;
    let def = "version: v1\ntype: flow\nsteps:\n  - type: wait\n    name: hold\n    duration: 3600\n  - type: pass\n    name: after\n";
    s.create_flow("waiting", def).await.ok();
    s.start_exec("waiting", "e", "{}").await.ok();
    for _ in 0..1000 {
        let h = s.history("waiting", "e").await;
        if h.iter().any(|e| e["Type"] == "StepStarted") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    s.call(
        "StopExecution",
        &[
            ("FlowName", "waiting"),
            ("ExecutionName", "e"),
            ("Error", "Halt"),
            ("Cause", "enough"),
        ],
    )
    .await
    .ok();
    let d = s.describe("waiting", "e").await.ok();
    assert_eq!(d.s("Status"), "Stopped");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let h = s.history("waiting", "e").await;
    assert_eq!(h.last().unwrap()["Type"], "ExecutionStopped");
    assert!(!h.iter().any(|e| e["StepName"] == "after"));
}
