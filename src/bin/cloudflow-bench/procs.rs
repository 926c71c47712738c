//! Processes: spawning the server and the baseline, health checks, RSS from `/proc`.

use super::*;

pub(crate) struct Proc {
    pub(crate) child: Option<Child>,
    pub(crate) pid: Option<u32>,
    pub(crate) addr: SocketAddr,
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub(crate) fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr")
}

pub(crate) fn sibling(name: &str) -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(name)))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| name.to_string())
}

/// Poll `GET /_emulator/health` until a 200 (blocking, 0.2 ms between tries, at most `limit`).
pub(crate) fn wait_healthy(addr: SocketAddr, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let req = format!(
                "GET /_emulator/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            );
            if s.write_all(req.as_bytes()).is_ok() {
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf);
                if buf.starts_with(b"HTTP/1.1 200") {
                    return Some(t0.elapsed());
                }
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    None
}

/// Spawn the emulator on a free port; returns it with the time to its first healthy answer.
pub(crate) fn spawn_server(t: &Target) -> (Proc, Duration) {
    let addr = free_port();
    let bin = t
        .server_bin
        .clone()
        .unwrap_or_else(|| sibling("cloudflow-emulator"));
    let t0 = Instant::now();
    let child = Command::new(&bin)
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--access-key-id")
        .arg(&t.access_key_id)
        .arg("--access-key-secret")
        .arg(&t.access_key_secret)
        .args(&t.server_arg)
        .env("RUST_LOG", &t.server_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let pid = child.id();
    let proc = Proc {
        child: Some(child),
        pid: Some(pid),
        addr,
    };
    let _ = t0;
    let up = wait_healthy(addr, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("{bin} did not answer /_emulator/health within 10 s"));
    (proc, up)
}

pub(crate) fn server(t: &Target) -> Proc {
    match t.addr {
        Some(addr) => Proc {
            child: None,
            pid: t.server_pid,
            addr,
        },
        None => {
            let (p, up) = spawn_server(t);
            println!(
                "server: spawned pid {} on {} (healthy after {:.1} ms), RUST_LOG={}",
                p.pid.unwrap_or(0),
                p.addr,
                up.as_secs_f64() * 1e3,
                t.server_log
            );
            p
        }
    }
}

/// Cores of this machine.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The emulator's default worker count (`Config::worker_threads`): cores − 1, at least 1. The
/// baseline runs with the same, so the two are compared like for like.
pub(crate) fn server_default_workers() -> usize {
    cores().saturating_sub(1).max(1)
}

pub(crate) fn spawn_baseline() -> Proc {
    let addr = free_port();
    let child = Command::new(std::env::current_exe().expect("current exe"))
        .arg("serve-baseline")
        .arg("--listen")
        .arg(addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start the baseline");
    let pid = child.id();
    let p = Proc {
        child: Some(child),
        pid: Some(pid),
        addr,
    };
    wait_healthy(addr, Duration::from_secs(10)).expect("baseline did not start");
    p
}

/// `(VmRSS, VmHWM)` of a process in KiB.
pub(crate) fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

pub(crate) fn print_rss(label: &str, pid: Option<u32>) -> Option<(u64, u64)> {
    let r = pid.and_then(rss_kib);
    match r {
        Some((rss, hwm)) => println!(
            "[{label}] server RSS {:.1} MiB (VmRSS), peak {:.1} MiB (VmHWM)",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        ),
        None => println!("[{label}] server RSS unknown (give --server-pid)"),
    }
    r
}

pub(crate) async fn serve_baseline(listen: SocketAddr) {
    pub(crate) async fn answer(_body: Bytes) -> impl axum::response::IntoResponse {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            BASELINE_BODY,
        )
    }
    let app = axum::Router::new().fallback(answer);
    let l = tokio::net::TcpListener::bind(listen)
        .await
        .expect("baseline bind");
    // Bounded: the parent kills it; it also exits by itself after an hour.
    let _ = tokio::time::timeout(Duration::from_secs(3600), axum::serve(l, app)).await;
}
