//! The web console: embedded assets, the accounts list, the call endpoint (the API's action
//! functions, unsigned, for one account) and the state graph.

mod common;

use common::{TestServer, AK, SK};
use serde_json::{json, Value};

const LONG_WAIT: &str = "Type: StateMachine
SpecVersion: v1
Name: hold
StartAt: Hold
States:
  - Type: Wait
    Name: Hold
    Seconds: 300
    End: true
";

const PARALLEL_MAP: &str = "Type: StateMachine
SpecVersion: v1
Name: fan
StartAt: Fan
States:
  - Type: Parallel
    Name: Fan
    Branches:
      - StartAt: One
        States:
          - Type: Pass
            Name: One
            End: true
      - StartAt: Each
        States:
          - Type: Map
            Name: Each
            ItemsPath: $Input.items
            Processor:
              StartAt: Item
              States:
                - Type: Pass
                  Name: Item
                  End: true
            End: true
    Next: Done
  - Type: Succeed
    Name: Done
";

async fn console_call(s: &TestServer, account: &str, body: Value) -> (u16, Value) {
    let r = s
        .client
        .post(format!(
            "{}/_emulator/console/call?account={account}",
            s.base
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["content-type"], "application/json");
    (status, r.json().await.unwrap())
}

async fn get(s: &TestServer, path: &str) -> (u16, String, String) {
    let r = s
        .client
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, r.text().await.unwrap())
}

#[tokio::test]
async fn assets_are_embedded_with_content_types() {
    let s = TestServer::start().await;
    let (st, ct, body) = get(&s, "/_emulator/ui/").await;
    assert_eq!(st, 200);
    assert_eq!(ct, "text/html; charset=utf-8");
    assert!(body.contains("app.js") && body.contains("style.css"));
    let (st, ct, js) = get(&s, "/_emulator/ui/app.js").await;
    assert_eq!((st, ct.as_str()), (200, "text/javascript; charset=utf-8"));
    let (st, ct, css) = get(&s, "/_emulator/ui/style.css").await;
    assert_eq!((st, ct.as_str()), (200, "text/css; charset=utf-8"));
    // No external URLs: nothing is fetched from anywhere but this server.
    for text in [&body, &js, &css] {
        for needle in ["http://", "https://", "//cdn", "@import"] {
            let ok = text.match_indices(needle).all(|(i, _)| {
                // The SVG namespace is an identifier, not a fetch.
                text[i..].starts_with("http://www.w3.org/2000/svg")
            });
            assert!(ok, "external reference '{needle}' in an asset");
        }
    }
    let (st, _, _) = get(&s, "/_emulator/ui/nope.js").await;
    assert_eq!(st, 404);
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/_emulator/ui", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 308);
    assert_eq!(r.headers()["location"], "/_emulator/ui/");
}

#[tokio::test]
async fn stop_from_the_console_is_a_stop_execution() {
    let s = TestServer::start().await;
    s.create_flow("hold", LONG_WAIT).await.ok();
    s.start_exec("hold", "run1", "{}").await.ok();
    let (_, _, accounts) = get(&s, "/_emulator/console/accounts").await;
    let accounts: Value = serde_json::from_str(&accounts).unwrap();
    let id = accounts["Accounts"][0]["AccountId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(accounts["Accounts"][0]["AccessKeyIds"], json!([AK]));

    // Reads go through the same actions.
    let (st, list) = console_call(
        &s,
        &id,
        json!({"Action": "ListExecutions", "Params": {"FlowName": "hold", "Limit": 10}}),
    )
    .await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list["Executions"][0]["Name"], "run1");
    assert!(list["RequestId"].is_string());

    let (st, stopped) = console_call(
        &s,
        &id,
        json!({"Action": "StopExecution", "Params": {
            "FlowName": "hold", "ExecutionName": "run1", "Error": "Cancelled", "Cause": "from the console"}}),
    )
    .await;
    assert_eq!(st, 200, "{stopped}");
    assert_eq!(stopped["Status"], "Stopped");

    // A signed request sees an ordinary StopExecution.
    let h = s.history("hold", "run1").await;
    let last = h.last().unwrap();
    assert_eq!(last["Type"], "ExecutionStopped");
    let detail: Value = serde_json::from_str(last["EventDetail"].as_str().unwrap()).unwrap();
    assert_eq!(
        detail,
        json!({"Error": "Cancelled", "Cause": "from the console"})
    );
    assert_eq!(s.describe("hold", "run1").await.ok().s("Status"), "Stopped");

    // Errors use the API's envelope.
    let (st, again) = console_call(
        &s,
        &id,
        json!({"Action": "StopExecution", "Params": {"FlowName": "hold", "ExecutionName": "run1"}}),
    )
    .await;
    assert_eq!(st, 400, "{again}");
    assert_eq!(again["Code"], "ExecutionAlreadyCompleted");
    for f in ["RequestId", "HostId", "Message"] {
        assert!(again[f].is_string());
    }
    let (st, bad) = console_call(&s, &id, json!({"Action": "Nope"})).await;
    assert_eq!(
        (st, bad["Code"].as_str()),
        (400, Some("ActionNotSupported"))
    );
    let (st, bad) = console_call(&s, "999", json!({"Action": "ListFlows"})).await;
    assert_eq!((st, bad["Code"].as_str()), (400, Some("InvalidArgument")));
}

#[tokio::test]
async fn every_account_is_reachable_and_isolated() {
    let dir = std::env::temp_dir().join(format!("console-creds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("creds.yaml");
    std::fs::write(
        &file,
        "accounts:\n  - {access_key_id: akA, access_key_secret: skA, account_id: \"111\"}\n  - {access_key_id: akB, access_key_secret: skB, account_id: \"222\"}\n",
    )
    .unwrap();
    let mut cfg = cloudflow_emulator::config::Config::for_tests(AK, SK);
    cfg.credentials = Some(file);
    let s = TestServer::start_with(cfg).await;
    let (_, _, body) = get(&s, "/_emulator/console/accounts").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = v["Accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AccountId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"111") && ids.contains(&"222"), "{v}");

    let create = |name: &str| {
        json!({"Action": "CreateFlow", "Params": {
            "Name": name, "Definition": LONG_WAIT, "Description": "d", "Type": "FDL"}})
    };
    let (st, created) = console_call(&s, "222", create("hold")).await;
    assert_eq!(st, 200, "{created}");
    let b = s
        .call_as("akB", "skB", "DescribeFlow", &[("Name", "hold")])
        .await;
    b.ok();
    s.call_as("akA", "skA", "DescribeFlow", &[("Name", "hold")])
        .await
        .err(404, "FlowNotExists");
    let _ = std::fs::remove_dir_all(&dir);
}

fn find<'a>(scope: &'a Value, id: &str) -> Option<&'a Value> {
    for n in scope["States"].as_array()? {
        if n["Id"] == id {
            return Some(n);
        }
        for sub in n["Branches"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(n.get("Processor"))
        {
            if let Some(f) = find(sub, id) {
                return Some(f);
            }
        }
    }
    None
}

#[tokio::test]
async fn graph_shows_progress_of_parallel_and_map() {
    let s = TestServer::start().await;
    s.create_flow("fan", PARALLEL_MAP).await.ok();
    let (st, _, g) = get(&s, "/_emulator/console/graph?flow=fan").await;
    assert_eq!(st, 200, "{g}");
    let g: Value = serde_json::from_str(&g).unwrap();
    assert_eq!(g["Graph"]["StartAt"], "Fan");
    assert!(find(&g["Graph"], "Fan/1/Each/items/Item").is_some());

    s.start_exec("fan", "r", r#"{"items":[{"a":1},{"a":2},{"a":3}]}"#)
        .await
        .ok();
    s.wait_done("fan", "r", 10).await;
    let (st, _, g) = get(&s, "/_emulator/console/graph?flow=fan&execution=r").await;
    assert_eq!(st, 200, "{g}");
    let g: Value = serde_json::from_str(&g).unwrap();
    assert_eq!(g["Status"], "Succeeded");
    let item = find(&g["Graph"], "Fan/1/Each/items/Item").unwrap();
    assert_eq!(item["Status"], "succeeded");
    assert_eq!(item["Succeeded"], 3);
    for id in ["Fan", "Fan/0/One", "Fan/1/Each", "Done"] {
        assert_eq!(
            find(&g["Graph"], id).unwrap()["Status"],
            "succeeded",
            "{id}"
        );
    }
    let (st, _, e) = get(&s, "/_emulator/console/graph?flow=fan&execution=zz").await;
    assert_eq!(st, 404, "{e}");
    assert!(e.contains("ExecutionNotExists"));
}
