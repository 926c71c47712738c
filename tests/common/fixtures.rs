//! The definition-fixture runner shared by `tests/definitions.rs` (new-style fixtures) and
//! `tests/legacy_definitions.rs` (legacy ones). The format is documented in `tests/definitions.rs`.

use serde_json::Value;

use super::*;

fn matches_expected(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), _) if e == "{{any}}" => true,
        (Value::String(e), Value::String(a)) if e == "{{uuid}}" => uuid::Uuid::parse_str(a).is_ok(),
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| matches_expected(v, av)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches_expected(x, y))
        }
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        _ => expected == actual,
    }
}

pub async fn run_fixture(s: &TestServer, path: &std::path::Path) -> Result<(), String> {
    let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
    let text = std::fs::read_to_string(path).unwrap();
    let fx: Value = serde_yaml::from_str(&text).map_err(|e| format!("bad fixture: {e}"))?;
    if let Some(m) = fx.get("mocks") {
        let r = s
            .client
            .put(format!("{}/_emulator/mocks", s.base))
            .body(m.to_string())
            .send()
            .await
            .unwrap();
        if r.status() != 200 {
            return Err(format!("mocks refused: {}", r.text().await.unwrap()));
        }
    }
    let def = fx["definition"]
        .as_str()
        .ok_or("fixture has no definition")?;
    let created = s.create_flow(&stem, def).await;
    if let Some(needle) = fx["create_error"].as_str() {
        if created.status != 400 || created.code() != "InvalidArgument" {
            return Err(format!(
                "expected InvalidArgument, got {} {}",
                created.status, created.body
            ));
        }
        if !created.s("Message").contains(needle) {
            return Err(format!(
                "message lacks '{needle}': {}",
                created.s("Message")
            ));
        }
        return Ok(());
    }
    if created.status != 200 {
        return Err(format!("CreateFlow failed: {}", created.body));
    }
    let runs = fx["runs"].as_array().ok_or("fixture has no runs")?;
    for (i, run) in runs.iter().enumerate() {
        let input = run
            .get("input")
            .cloned()
            .unwrap_or(Value::Object(Default::default()))
            .to_string();
        let exec = format!("run{i}");
        let started = s.start_exec(&stem, &exec, &input).await;
        if started.status != 200 {
            return Err(format!("run {i}: StartExecution failed: {}", started.body));
        }
        let d = s.wait_done(&stem, &exec, 30).await;
        let want = run["status"].as_str().unwrap_or("Succeeded");
        let history = s.history(&stem, &exec).await;
        let last_detail: Value =
            serde_json::from_str(history.last().unwrap()["EventDetail"].as_str().unwrap()).unwrap();
        if d.s("Status") != want {
            return Err(format!(
                "run {i}: status {} (want {want}); last event {last_detail}",
                d.s("Status")
            ));
        }
        if let Some(expected) = run.get("output") {
            let actual: Value =
                serde_json::from_str(d.s("Output")).map_err(|e| format!("run {i}: output {e}"))?;
            if !matches_expected(expected, &actual) {
                return Err(format!(
                    "run {i}: output\n  got  {actual}\n  want {expected}"
                ));
            }
        }
        if let Some(code) = run["error"].as_str() {
            if last_detail["Error"] != code {
                return Err(format!(
                    "run {i}: error {} (want {code}); {last_detail}",
                    last_detail["Error"]
                ));
            }
        }
        if let Some(needle) = run["cause_contains"].as_str() {
            if !last_detail["Cause"].as_str().unwrap_or("").contains(needle) {
                return Err(format!("run {i}: cause lacks '{needle}': {last_detail}"));
            }
        }
        for t in run["history_contains"].as_array().into_iter().flatten() {
            if !history.iter().any(|e| &e["Type"] == t) {
                return Err(format!("run {i}: no {t} event in history"));
            }
        }
    }
    Ok(())
}

/// Run every `*.yaml` fixture of `tests/fixtures/<folder>/` against a server with time scale
/// 0.001; panics listing every failure.
pub async fn run_fixture_dir(folder: &str) {
    let mut cfg = cloudflow_emulator::config::Config::for_tests(AK, SK);
    cfg.time_scale = 0.001;
    let s = TestServer::start_with(cfg).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    let mut failures = Vec::new();
    for p in &paths {
        if let Err(e) = run_fixture(&s, p).await {
            failures.push(format!("{}: {e}", p.file_name().unwrap().to_string_lossy()));
        }
    }
    eprintln!(
        "{} fixtures in {folder}, {} failed",
        paths.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
