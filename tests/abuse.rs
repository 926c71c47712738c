//! Hostile and broken input against a real server on 127.0.0.1: slow clients, too many
//! connections, malformed encodings, parameter floods, deep JSON, YAML alias bombs, huge
//! definitions, out-of-range numbers and SIGTERM. Every case gets a documented 4xx (or, for a
//! client that never finishes its headers, a closed connection), memory stays bounded and the
//! server keeps serving. Every loop here is bounded in count and time.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cloudflow_emulator::config::Config;
use cloudflow_emulator::protocol::signature::percent_encode;
use common::{common_params, encode_pairs, sign_into_query, TestServer, AK, SK};
use serde_json::Value;

/// Resident memory of this process (the server runs in-process), in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.contains("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn addr_of(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// Read one HTTP response (head and a `Content-Length` body) from a raw stream, or whatever
/// arrived before EOF / `limit`. Returns the status (0 if none) and the body text.
fn read_response(stream: &mut TcpStream, limit: Duration) -> (u16, String) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let deadline = Instant::now() + limit;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(head_end) = text.find("\r\n\r\n") {
            let len = text[..head_end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= head_end + 4 + len {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn config_with_timeout(secs: u64) -> Config {
    let mut c = Config::for_tests(AK, SK);
    c.request_timeout = secs;
    c
}

async fn healthy(server: &TestServer) {
    server.call("ListFlows", &[("Limit", "10")]).await.ok();
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let server = TestServer::start_with(config_with_timeout(1)).await;
    let addr = addr_of(&server);
    let started = Instant::now();
    let (status, _) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .unwrap();
        read_response(&mut s, Duration::from_secs(10))
    })
    .await
    .unwrap();
    let waited = started.elapsed();
    // Nothing can be answered before the headers: the connection is closed (hyper may send
    // a bare 408 first).
    assert!(status == 0 || status == 408, "status {status}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(8),
        "closed after {waited:?}"
    );
    // A connection that sends nothing at all, and an idle keep-alive connection after a
    // request, are closed the same way (they would otherwise hold a connection slot).
    let addr = addr_of(&server);
    let (idle, after_request) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        let started = Instant::now();
        let idle = (
            read_response(&mut s, Duration::from_secs(10)).0,
            started.elapsed(),
        );
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let first = read_response(&mut s, Duration::from_secs(10)).0;
        let started = Instant::now();
        let again = read_response(&mut s, Duration::from_secs(10)).0;
        (idle, (first, again, started.elapsed()))
    })
    .await
    .unwrap();
    assert!(idle.0 == 0 || idle.0 == 408, "{idle:?}");
    assert!(idle.1 < Duration::from_secs(8), "{idle:?}");
    assert_eq!(after_request.0, 200);
    assert!(after_request.1 == 0 || after_request.1 == 408);
    assert!(
        after_request.2 < Duration::from_secs(8),
        "{after_request:?}"
    );
    healthy(&server).await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_body_gets_400() {
    let server = TestServer::start_with(config_with_timeout(1)).await;
    let addr = addr_of(&server);
    let started = Instant::now();
    let (status, body) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(
            b"POST /?Action=ListFlows HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nLimit=1&Ne",
        )
        .unwrap();
        read_response(&mut s, Duration::from_secs(10))
    })
    .await
    .unwrap();
    assert_eq!(status, 400, "body {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Code"], "InvalidArgument");
    assert!(
        v["Message"]
            .as_str()
            .unwrap()
            .contains("The request body was not received within 1 seconds."),
        "{v}"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    healthy(&server).await;
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let mut config = Config::for_tests(AK, SK);
    config.max_connections = 2;
    let server = TestServer::start_with(config).await;
    let addr = addr_of(&server);
    // Two idle connections take both slots.
    let idle_a = TcpStream::connect(&addr).unwrap();
    let idle_b = TcpStream::connect(&addr).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fresh = || {
        reqwest::Client::builder()
            .timeout(Duration::from_millis(800))
            .build()
            .unwrap()
    };
    let url = format!("{}/_emulator/health", server.base);
    let waited = fresh().get(&url).send().await;
    assert!(waited.is_err(), "a third connection was served: {waited:?}");
    drop(idle_a);
    // A slot frees up: the server answers again (the timed-out connection may be accepted
    // and closed first).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap();
        if let Ok(r) = client.get(&url).send().await {
            assert_eq!(r.status().as_u16(), 200);
            break;
        }
        assert!(Instant::now() < deadline, "server never answered again");
    }
    drop(idle_b);
}

/// POST a raw body with this content type and query, unsigned (decoding fails first).
async fn raw_post(server: &TestServer, query: &str, ctype: &str, body: Vec<u8>) -> common::Answer {
    server
        .send(
            server
                .client
                .post(format!("{}/?{query}", server.base))
                .header("content-type", ctype)
                .body(body),
        )
        .await
}

#[tokio::test]
async fn malformed_and_flooding_parameters_get_documented_400s() {
    let server = TestServer::start().await;
    let before = rss_kib();
    let form = "application/x-www-form-urlencoded";
    let q = "Action=ListFlows&Version=2019-03-15";

    let a = raw_post(&server, q, form, b"Limit=%zz".to_vec())
        .await
        .err(400, "InvalidArgument");
    assert!(
        a.s("Message").contains("not valid form encoding"),
        "{:?}",
        a.body
    );
    let a = raw_post(&server, q, form, b"Limit=%4".to_vec())
        .await
        .err(400, "InvalidArgument");
    assert!(a.s("Message").contains("not valid form encoding"));
    // Invalid UTF-8: raw bytes in the body, and percent-escaped in the query.
    let a = raw_post(&server, q, form, vec![b'L', b'=', 0xff, 0xfe])
        .await
        .err(400, "InvalidArgument");
    assert!(
        a.s("Message")
            .contains("The request body is not valid UTF-8."),
        "{:?}",
        a.body
    );
    raw_post(&server, &format!("{q}&Limit=%ff%fe"), form, Vec::new())
        .await
        .err(400, "InvalidArgument");
    raw_post(&server, q, "application/json", vec![b'{', 0xff, b'}'])
        .await
        .err(400, "InvalidArgument");
    // Duplicates: twice in the query, and query + body.
    let a = raw_post(&server, &format!("{q}&Action=ListFlows"), form, Vec::new())
        .await
        .err(400, "InvalidArgument");
    assert!(
        a.s("Message")
            .contains("The parameter 'Action' is given more than once."),
        "{:?}",
        a.body
    );
    raw_post(&server, q, form, b"Version=2019-03-15".to_vec())
        .await
        .err(400, "InvalidArgument");
    // Thousands of parameters, in the body and in the query.
    let many: String = (0..5000).map(|i| format!("P{i}=v&")).collect();
    let a = raw_post(&server, q, form, many.clone().into_bytes())
        .await
        .err(400, "InvalidArgument");
    assert!(
        a.s("Message")
            .contains("Too many parameters (at most 256)."),
        "{:?}",
        a.body
    );
    raw_post(
        &server,
        &format!("{q}&{}", &many[..many.len() - 1]),
        form,
        Vec::new(),
    )
    .await
    .err(400, "InvalidArgument");
    // A JSON body with thousands of members.
    let obj: String = format!(
        "{{{}}}",
        (0..5000)
            .map(|i| format!("\"P{i}\":1"))
            .collect::<Vec<_>>()
            .join(",")
    );
    raw_post(&server, q, "application/json", obj.into_bytes())
        .await
        .err(400, "InvalidArgument");
    // Over the 1,024 KiB request limit, declared and streamed.
    raw_post(&server, q, form, vec![b'a'; 1024 * 1024 + 1])
        .await
        .err(400, "EntityTooLarge");

    // A request target over 64 KiB (the most `http::Uri` holds): hyper's bare 414, the
    // connection closed, nothing allocated beyond the read buffer.
    let addr = addr_of(&server);
    let (status, _) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let target = format!("/?Action=ListFlows&Pad={}", "x".repeat(100_000));
        let _ = s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        read_response(&mut s, Duration::from_secs(10))
    })
    .await
    .unwrap();
    assert_eq!(status, 414);
    // Headers over hyper's ~400 KB read buffer: a bare 431.
    let addr = addr_of(&server);
    let (status, _) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let head = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "y".repeat(500_000)
        );
        let _ = s.write_all(head.as_bytes());
        read_response(&mut s, Duration::from_secs(10))
    })
    .await
    .unwrap();
    assert_eq!(status, 431);

    for _ in 0..20 {
        raw_post(&server, q, form, many.clone().into_bytes())
            .await
            .err(400, "InvalidArgument");
    }
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 200 * 1024, "RSS grew by {grown} KiB");
    healthy(&server).await;
}

#[tokio::test]
async fn deeply_nested_json_gets_400() {
    let server = TestServer::start().await;
    let before = rss_kib();
    server
        .create_flow("deep", &common::wait_flow("deep", 1))
        .await
        .ok();
    let deep = "[".repeat(100_000);
    let a = server
        .start_exec("deep", "e1", &deep)
        .await
        .err(400, "InvalidArgument");
    assert!(a.s("Message").contains("Input must be a JSON object"));
    let deep_obj = format!("{}{}", "{\"a\":".repeat(50_000), "1");
    server
        .start_exec("deep", "e2", &deep_obj)
        .await
        .err(400, "InvalidArgument");
    // Well-formed but deeper than serde_json's 128 levels.
    let closed = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
    server
        .start_exec("deep", "e3", &closed)
        .await
        .err(400, "InvalidArgument");
    // As a JSON request body.
    let q = "Action=ListFlows&Version=2019-03-15";
    let body = format!("{{\"Limit\":{}", "[".repeat(100_000)).into_bytes();
    raw_post(&server, q, "application/json", body)
        .await
        .err(400, "InvalidArgument");
    // 100 levels is fine.
    let ok = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
    server.start_exec("deep", "e4", &ok).await.ok();
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 200 * 1024, "RSS grew by {grown} KiB");
    healthy(&server).await;
}

#[tokio::test]
async fn yaml_alias_bombs_and_huge_definitions_get_400() {
    let server = TestServer::start().await;
    let before = rss_kib();
    // Billion laughs: 9 levels of 9 aliases each (387,420,489 leaves if expanded).
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let (prev, cur) = (w[0], w[1]);
        bomb.push_str(&format!(
            "{cur}: &{cur} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    bomb.push_str("Type: StateMachine\nName: bomb\nStartAt: S\nStates:\n  - Type: Pass\n    Name: S\n    End: true\n    OutputConstructor:\n      x: *i\n");
    let started = Instant::now();
    let a = server
        .create_flow("bomb", &bomb)
        .await
        .err(400, "InvalidArgument");
    assert!(
        a.s("Message").contains("repetition limit exceeded"),
        "{:?}",
        a.body
    );
    assert!(started.elapsed() < Duration::from_secs(20));

    // A definition just under the 1,024 KiB request limit: many Pass states.
    let mut huge =
        String::from("Type: StateMachine\nSpecVersion: v1\nName: huge\nStartAt: S0\nStates:\n");
    let mut i = 0;
    // Percent-encoded in the form body, it must stay under the limit with the other parameters.
    let mut encoded = percent_encode(&huge).len();
    while encoded < 1_040_000 {
        let state = format!("  - Type: Pass\n    Name: S{i}\n    Next: S{}\n", i + 1);
        encoded += percent_encode(&state).len();
        huge.push_str(&state);
        i += 1;
    }
    huge.push_str(&format!("  - Type: Succeed\n    Name: S{i}\n"));
    let a = server.create_flow("huge", &huge).await;
    assert!(
        a.status == 200 || (a.status == 400 && a.code() == "InvalidArgument"),
        "{} {:?}",
        a.status,
        a.code()
    );
    // One huge scalar.
    let long = format!(
        "Type: StateMachine\nSpecVersion: v1\nName: long\nDescription: {}\nStartAt: S\nStates:\n  - Type: Succeed\n    Name: S\n",
        "x".repeat(900 * 1024)
    );
    let a = server.create_flow("long", &long).await;
    assert!(
        a.status == 200 || a.status == 400,
        "{} {:?}",
        a.status,
        a.body
    );
    // Over the limit.
    let over = format!("{long}{}", " ".repeat(200 * 1024));
    server
        .create_flow("over", &over)
        .await
        .err(400, "EntityTooLarge");

    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 400 * 1024, "RSS grew by {grown} KiB");
    healthy(&server).await;
}

#[tokio::test]
async fn numbers_out_of_range_get_400() {
    let server = TestServer::start().await;
    for limit in ["-1", "0", "99999999999999999999", "1e3", "NaN", " "] {
        let a = server
            .call("ListFlows", &[("Limit", limit)])
            .await
            .err(400, "InvalidArgument");
        assert!(
            a.s("Message").contains("Limit must be an integer"),
            "{:?}",
            a.body
        );
    }
    server
        .create_flow("w", &common::wait_flow("w", 1))
        .await
        .ok();
    server.start_exec("w", "e", "{}").await.ok();
    for wait in ["61", "-1", "99999999999999999999"] {
        let a = server
            .get(
                "DescribeExecution",
                &[
                    ("FlowName", "w"),
                    ("ExecutionName", "e"),
                    ("WaitTimeSeconds", wait),
                ],
            )
            .await
            .err(400, "InvalidArgument");
        assert!(a
            .s("Message")
            .contains("WaitTimeSeconds must be an integer"));
    }
    for seconds in ["99999999999", "-1", "1e400", "18446744073709551616"] {
        let def = format!(
            "Type: StateMachine\nName: s\nStartAt: W\nStates:\n  - Type: Wait\n    Name: W\n    Seconds: {seconds}\n    End: true\n"
        );
        let a = server
            .create_flow("s", &def)
            .await
            .err(400, "InvalidArgument");
        assert!(a.s("Message").contains("Seconds"), "{:?}", a.body);
    }
    healthy(&server).await;
}

/// A signed POST to an external server (action parameters in the form body).
async fn signed_post(
    client: &reqwest::Client,
    base: &str,
    action: &str,
    params: &[(&str, &str)],
) -> reqwest::Result<(u16, Value)> {
    let mut all = common_params(AK, action);
    all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let q = sign_into_query("POST", &all, SK);
    let r = client
        .post(format!("{base}/?{q}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode_pairs(&[]))
        .send()
        .await?;
    let status = r.status().as_u16();
    let v = r.json::<Value>().await?;
    Ok((status, v))
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits_0() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudflow-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--access-key-id",
            AK,
            "--access-key-secret",
            SK,
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the server never said where it listens");
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let def = common::wait_flow("t", 30);
    let (s, v) = signed_post(
        &client,
        &base,
        "CreateFlow",
        &[
            ("Name", "t"),
            ("Definition", &def),
            ("Type", "FDL"),
            ("Description", "d"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(s, 200, "{v}");
    let (s, v) = signed_post(
        &client,
        &base,
        "StartExecution",
        &[("FlowName", "t"), ("ExecutionName", "e")],
    )
    .await
    .unwrap();
    assert_eq!(s, 200, "{v}");

    // A long poll in flight (2 s), then SIGTERM while it waits.
    let in_flight = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let r = signed_post(
                &client,
                &base,
                "DescribeExecution",
                &[
                    ("FlowName", "t"),
                    ("ExecutionName", "e"),
                    ("WaitTimeSeconds", "2"),
                ],
            )
            .await;
            (r, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = Instant::now();
    let ok = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
    // New connections are refused once the signal is handled.
    let mut refused = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if std::net::TcpStream::connect(&addr).is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "the listener is still open after SIGTERM");
    let (r, took) = in_flight.await.unwrap();
    let (status, v) = r.expect("the in-flight request was cut off");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Status"], "Running");
    assert!(
        took >= Duration::from_millis(1900),
        "answered after {took:?}"
    );
    // The process exits promptly, with 0.
    let deadline = Instant::now() + Duration::from_secs(15);
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running {:?} after SIGTERM", killed.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(code.success(), "exit status {code:?}");
    assert!(killed.elapsed() < Duration::from_secs(10));
}
