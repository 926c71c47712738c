//! The subcommands: setup (flow, parked executions), baseline runs and what each prints.

use super::*;

pub(crate) fn signer(t: &Target) -> Signer {
    Signer {
        ak: t.access_key_id.clone(),
        sk: t.access_key_secret.clone(),
    }
}

pub(crate) fn limits(l: &Load) -> Limits {
    Limits {
        connections: l.connections,
        duration: l.duration,
        requests: l.requests,
        rate: l.rate,
    }
}

/// Create the parking flow (an existing one is fine).
pub(crate) async fn create_flow(addr: SocketAddr, s: &Signer) -> Arc<str> {
    let name = "bench_park";
    let mut st = Stats::default();
    let create = async {
        let mut conn = Conn::open(addr).await.ok();
        call(
            &mut conn,
            s,
            "CreateFlow",
            &[
                ("Name", name),
                ("Definition", PARK_FLOW),
                ("Description", "cloudflow-bench"),
                ("Type", "FDL"),
            ],
            &mut st,
        )
        .await;
    };
    if tokio::time::timeout(STUCK_GRACE, create).await.is_err() {
        panic!("CreateFlow: no answer within {} s", STUCK_GRACE.as_secs());
    }
    if let Some(k) = st.errors.keys().find(|k| !k.ends_with("FlowAlreadyExists")) {
        panic!("CreateFlow failed: {k}");
    }
    Arc::from(name)
}

/// Start `n` parked executions named `{prefix}{i}` (setup, bounded by --setup-timeout).
pub(crate) async fn park(
    addr: SocketAddr,
    s: &Signer,
    flow: &Arc<str>,
    prefix: &str,
    n: u64,
    conns: usize,
    timeout: f64,
) -> Report {
    let work = Work::Start {
        flow: flow.clone(),
        prefix: Arc::from(prefix),
    };
    let l = Limits {
        connections: conns,
        duration: timeout,
        requests: Some(n),
        rate: None,
    };
    run_load("StartExecution (parking)", addr, s, work, &l).await
}

/// Run the baseline with the same requests and limits; prints and returns its req/s.
pub(crate) async fn baseline(t: &Target, s: &Signer, l: &Limits) -> Option<Report> {
    if t.no_baseline {
        return None;
    }
    let b = spawn_baseline();
    let work = Work::Describe {
        flow: Arc::from("bench_park"),
        names: Arc::new((0..l.connections.max(1)).map(|i| format!("w{i}")).collect()),
    };
    let mut r = run_load(
        "baseline: bare axum, same signed requests",
        b.addr,
        s,
        work,
        l,
    )
    .await;
    r.print();
    Some(r)
}

pub(crate) fn ratio(label: &str, r: &Report, base: &Option<Report>) {
    if let Some(b) = base {
        println!(
            "[{label}] {:.0} req/s = {:.1} % of the baseline's {:.0} req/s",
            r.req_per_s(),
            100.0 * r.req_per_s() / b.req_per_s(),
            b.req_per_s()
        );
    }
}

pub(crate) async fn cmd_describe(o: Load) {
    let s = signer(&o.target);
    let l = limits(&o);
    let base = baseline(&o.target, &s, &l).await;
    let srv = server(&o.target);
    let flow = create_flow(srv.addr, &s).await;
    let k = o.connections.max(1) as u64;
    let mut setup = park(srv.addr, &s, &flow, "d", k, 4, o.target.setup_timeout).await;
    if setup.stats.error_count() > 0 {
        setup.print();
    }
    let names = Arc::new((0..k).map(|i| format!("d{i}")).collect());
    let mut r = run_load(
        "DescribeExecution",
        srv.addr,
        &s,
        Work::Describe { flow, names },
        &l,
    )
    .await;
    r.print();
    ratio("DescribeExecution", &r, &base);
    print_rss("after load", srv.pid);
}

pub(crate) async fn cmd_lifecycle(o: Load) {
    let s = signer(&o.target);
    let l = limits(&o);
    let base = baseline(&o.target, &s, &l).await;
    let srv = server(&o.target);
    let flow = create_flow(srv.addr, &s).await;
    let prefix: Arc<str> = Arc::from(format!("lc{}-", std::process::id()));
    let mut r = run_load(
        "lifecycle: Start -> Describe -> Stop",
        srv.addr,
        &s,
        Work::Lifecycle { flow, prefix },
        &l,
    )
    .await;
    r.print();
    println!(
        "[lifecycle] {:.0} executions/s (start + describe + stop, all 200: {})",
        r.iter_per_s(),
        r.stats.iterations_ok
    );
    ratio("lifecycle requests", &r, &base);
    print_rss("after load", srv.pid);
}

pub(crate) async fn cmd_park(o: Park, stop_all: bool) {
    let s = signer(&o.load.target);
    let l = limits(&o.load);
    let base = baseline(&o.load.target, &s, &l).await;
    let srv = server(&o.load.target);
    print_rss("idle", srv.pid);
    let flow = create_flow(srv.addr, &s).await;
    let prefix = format!("p{}-", std::process::id());
    // The 100 oldest first, one at a time, so the last ListExecutions page is known exactly.
    let first = o.executions.min(100);
    park(
        srv.addr,
        &s,
        &flow,
        &prefix,
        first,
        1,
        o.load.target.setup_timeout,
    )
    .await;
    let rest_prefix = format!("{prefix}r");
    let mut r = park(
        srv.addr,
        &s,
        &flow,
        &rest_prefix,
        o.executions - first,
        o.load.connections,
        o.load.target.setup_timeout,
    )
    .await;
    r.print();
    ratio("StartExecution", &r, &base);
    let names: Vec<String> = (0..first)
        .map(|i| format!("{prefix}{i}"))
        .chain((0..o.executions - first).map(|i| format!("{rest_prefix}{i}")))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    print_rss(&format!("{} executions parked", o.executions), srv.pid);
    if o.list > 0 && first == 100 {
        for (label, token) in [
            ("ListExecutions first page", None),
            (
                "ListExecutions last page",
                Some(Arc::<str>::from(format!("{prefix}99"))),
            ),
        ] {
            let lim = Limits {
                connections: 1,
                duration: l.duration,
                requests: Some(o.list),
                rate: None,
            };
            let work = Work::List {
                flow: flow.clone(),
                token,
            };
            let mut r = run_load(label, srv.addr, &s, work, &lim).await;
            r.print();
        }
    }
    let to_stop: Vec<String> = if stop_all {
        names
    } else if o.stop > 0 {
        let step = (o.executions / o.stop.min(o.executions)).max(1) as usize;
        names
            .into_iter()
            .step_by(step)
            .take(o.stop as usize)
            .collect()
    } else {
        Vec::new()
    };
    if !to_stop.is_empty() {
        let n = to_stop.len();
        let work = Work::Stop {
            flow: flow.clone(),
            names: Arc::new(to_stop),
        };
        let label = if stop_all {
            format!("StopExecution of all {n} parked executions")
        } else {
            format!(
                "StopExecution of {n} while {} others run",
                o.executions.saturating_sub(n as u64)
            )
        };
        let mut r = run_load(&label, srv.addr, &s, work, &l).await;
        r.print();
        println!("[StopExecution] p99 {:.3} ms", r.p99_ms("StopExecution"));
        ratio("StopExecution", &r, &base);
    }
    print_rss("end", srv.pid);
}

pub(crate) async fn cmd_baseline(o: Load) {
    let s = signer(&o.target);
    let mut t = o.target.clone();
    t.no_baseline = false;
    baseline(&t, &s, &limits(&o)).await;
}

pub(crate) fn cmd_startup(o: StartupOpts) {
    let mut ups = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..o.runs.clamp(1, 100) {
        let (p, up) = spawn_server(&o.target);
        std::thread::sleep(Duration::from_millis(300));
        if let Some((r, _)) = p.pid.and_then(rss_kib) {
            rss.push(r);
        }
        ups.push(up.as_secs_f64() * 1e3);
        drop(p);
    }
    ups.sort_by(f64::total_cmp);
    rss.sort_unstable();
    println!(
        "[startup] spawn -> first 200 from /_emulator/health over {} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        ups.len(),
        ups[0],
        ups[ups.len() / 2],
        ups[ups.len() - 1]
    );
    if !rss.is_empty() {
        println!(
            "[startup] idle RSS 300 ms after start: median {:.1} MiB (min {:.1}, max {:.1})",
            rss[rss.len() / 2] as f64 / 1024.0,
            rss[0] as f64 / 1024.0,
            rss[rss.len() - 1] as f64 / 1024.0
        );
    }
}
