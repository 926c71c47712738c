//! The `cloudflow-emulator` binary: read the configuration, bind, serve until Ctrl-C/SIGTERM;
//! or run one of the offline subcommands (`validate`, `healthcheck`, see [`cli`]).

use clap::Parser;
use cloudflow_emulator::cli::{self, Cli, Command};
use cloudflow_emulator::{serve, AppState};

fn main() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(cloudflow_emulator::logging::MakeStdout)
        .init();
    let cli = Cli::parse();
    let workers = cli.config.worker_threads();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .on_thread_park(cloudflow_emulator::logging::on_worker_park)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cloudflow-emulator: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    runtime.block_on(run(cli));
}

async fn run(cli: Cli) {
    let Cli { config, command } = cli;
    match command {
        None => {}
        Some(Command::Validate { mode, files }) => {
            let status = cli::validate(&files, mode, &mut std::io::stdout().lock());
            std::process::exit(status);
        }
        Some(Command::Healthcheck { url, timeout }) => {
            let url = url.unwrap_or_else(|| cli::default_health_url(config.listen));
            match cli::healthcheck(&url, timeout).await {
                Ok(()) => std::process::exit(0),
                Err(e) => {
                    eprintln!("cloudflow-emulator healthcheck: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
    let listen = config.listen;
    let state = match AppState::new(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cloudflow-emulator: {e}");
            std::process::exit(2);
        }
    };
    if let Some(path) = &state.config.init {
        tracing::info!(
            init = %path.display(),
            flows = state.preload.flows.len(),
            functions = state.preload.functions.len(),
            "preloaded"
        );
    }
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cloudflow-emulator: cannot listen on {listen}: {e}");
            std::process::exit(2);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(%addr, "cloudflow-emulator listening");
    if let Err(e) = serve(listener, state, shutdown_signal()).await {
        eprintln!("cloudflow-emulator: {e}");
        std::process::exit(1);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
