//! The binary's subcommands and start-up failures, run as a process.

mod common;

use std::process::Command;

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_cloudflow-emulator");

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cfe-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The binary with no CLOUDFLOW_* variables from the environment.
fn bin() -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("CLOUDFLOW_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn validate_reports_every_problem_with_its_location() {
    let d = temp_dir("validate");
    let ok = d.join("ok.yaml");
    std::fs::write(&ok, wait_flow("ok", 300)).unwrap();
    let ok_json = d.join("ok.json");
    std::fs::write(
        &ok_json,
        r#"{"Type":"StateMachine","SpecVersion":"v1","StartAt":"P","States":[{"Type":"Pass","Name":"P","End":true}]}"#,
    )
    .unwrap();
    let bad = d.join("bad.yaml");
    std::fs::write(
        &bad,
        "Type: StateMachine\nSpecVersion: v1\nStartAt: X\nStates:\n  - Type: Pass\n    Name: P\n    Nxt: Q\n",
    )
    .unwrap();

    let out = bin()
        .arg("validate")
        .arg(&ok)
        .arg(&ok_json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!("OK {}\nOK {}\n", ok.display(), ok_json.display())
    );

    let out = bin().arg("validate").arg(&ok).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], format!("OK {}", ok.display()));
    let b = bad.display().to_string();
    assert!(
        lines.contains(
            &format!("{b}: Definition.StartAt: no state named 'X' in this scope.").as_str()
        ),
        "{stdout}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "{b}: Definition.States[0](P): unknown field 'Nxt'"
        ))),
        "{stdout}"
    );
    assert!(lines.len() >= 4, "every problem is listed: {stdout}");

    // Express limits apply with --mode express: a 300 s Wait is too long.
    let out = bin()
        .args(["validate", "--mode", "express"])
        .arg(&ok)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Seconds"));

    let out = bin()
        .args(["validate", "/nonexistent/x.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/nonexistent/x.yaml: cannot read"));

    let out = bin().arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "usage error");
}

#[test]
fn invalid_init_file_stops_start_up_naming_the_entry() {
    let d = temp_dir("init");
    let init = d.join("init.yaml");
    std::fs::write(
        &init,
        "flows:\n  - name: good\n    definition: |\n      Type: StateMachine\n      SpecVersion: v1\n      StartAt: P\n      States:\n        - Type: Pass\n          Name: P\n          End: true\n  - name: order_flow\n    definition: 'Type: StateMachine'\n",
    )
    .unwrap();
    let out = bin()
        .args(["--listen", "127.0.0.1:0", "--init"])
        .arg(&init)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("flows[1] (order_flow): Definition is invalid:"),
        "{stderr}"
    );
}

#[tokio::test]
async fn healthcheck_exit_status() {
    let s = TestServer::start().await;
    let url = format!("{}/_emulator/health", s.base);
    let ok = tokio::process::Command::new(BIN)
        .args(["healthcheck", "--url", &url])
        .output()
        .await
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    drop(s);
    // Nothing listens on the port reserved and released here.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = tokio::process::Command::new(BIN)
        .args([
            "healthcheck",
            "--timeout",
            "1",
            "--url",
            &format!("http://127.0.0.1:{port}/_emulator/health"),
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(down.status.code(), Some(1), "{down:?}");
}
