//! The command line: with no subcommand the server runs (the flags of [`Config`]); the
//! subcommands are offline tools.
//!
//! * `validate [--mode standard|express] FILE...`: check flow definitions with the CreateFlow
//!   validator; prints `OK FILE` or one `FILE: <location>: <message>` line per problem; exit
//!   status 1 when any file is invalid.
//! * `healthcheck [--url URL]`: GET the health endpoint (default: the `--listen` address on
//!   loopback); exit status 0 when it answers 200 with `Status: ok`, 1 otherwise. Used by the
//!   container's `HEALTHCHECK`, so the image needs no curl.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::engine::definition::{self, ExecutionMode};

/// `cloudflow-emulator [FLAGS]` serves; `cloudflow-emulator SUBCOMMAND` runs a tool.
#[derive(Debug, Parser)]
#[command(
    name = "cloudflow-emulator",
    version,
    about = "Local emulator of Alibaba Cloud CloudFlow (fnf 2019-03-15)",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Server flags (used when no subcommand is given).
    #[command(flatten)]
    pub config: Config,
    /// A tool to run instead of the server.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Execution mode for `validate --mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Standard flows (the default).
    Standard,
    /// Express flows (stricter limits).
    Express,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check flow definition files offline, with the same validator as CreateFlow.
    Validate {
        /// Validate as flows of this execution mode.
        #[arg(long, value_enum, ignore_case = true, default_value_t = Mode::Standard)]
        mode: Mode,
        /// Definition files (YAML or JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Exit 0 if the emulator's health endpoint answers, 1 otherwise (for container health checks).
    Healthcheck {
        /// Health endpoint; default http://<listen address, loopback if unspecified>/_emulator/health.
        #[arg(long)]
        url: Option<String>,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3.0)]
        timeout: f64,
    },
}

/// The problems in one definition text (empty when it is valid).
pub fn definition_problems(text: &str, mode: Mode) -> Vec<String> {
    let mode = match mode {
        Mode::Standard => ExecutionMode::Standard,
        Mode::Express => ExecutionMode::Express,
    };
    match definition::parse(text, mode) {
        Ok(_) => Vec::new(),
        Err(errs) => errs,
    }
}

/// `validate`: report on each file; returns the exit status (0 all valid, 1 otherwise).
pub fn validate(files: &[PathBuf], mode: Mode, out: &mut impl Write) -> i32 {
    let mut status = 0;
    for f in files {
        let shown = f.display();
        let problems = match std::fs::read_to_string(f) {
            Ok(text) => definition_problems(&text, mode),
            Err(e) => vec![format!("cannot read the file: {e}")],
        };
        if problems.is_empty() {
            let _ = writeln!(out, "OK {shown}");
        } else {
            status = 1;
            for p in problems {
                let _ = writeln!(out, "{shown}: {p}");
            }
        }
    }
    status
}

/// The default health URL for a server listening on `listen`.
pub fn default_health_url(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!(
        "http://{}/_emulator/health",
        SocketAddr::new(ip, listen.port())
    )
}

/// `healthcheck`: `Ok` when `url` answers 200 with `"Status": "ok"`.
pub async fn healthcheck(url: &str, timeout: f64) -> Result<(), String> {
    let timeout = Duration::from_secs_f64(timeout.clamp(0.1, 300.0));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status();
    let body = resp.text().await.map_err(|e| format!("{url}: {e}"))?;
    let ok = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .is_some_and(|v| v["Status"] == "ok");
    if status.is_success() && ok {
        Ok(())
    } else {
        Err(format!("{url}: HTTP {status}: {body}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_subcommand_keeps_the_flags() {
        let cli =
            Cli::try_parse_from(["cloudflow-emulator", "--listen", "127.0.0.1:9000"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.config.listen.port(), 9000);
        let cli = Cli::try_parse_from([
            "cloudflow-emulator",
            "validate",
            "--mode",
            "Express",
            "a.yaml",
            "b.json",
        ])
        .unwrap();
        match cli.command {
            Some(Command::Validate { mode, files }) => {
                assert_eq!(mode, Mode::Express);
                assert_eq!(files.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["cloudflow-emulator", "validate"]).is_err());
    }

    #[test]
    fn health_urls() {
        assert_eq!(
            default_health_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080/_emulator/health"
        );
        assert_eq!(
            default_health_url("[::]:81".parse().unwrap()),
            "http://[::1]:81/_emulator/health"
        );
        assert_eq!(
            default_health_url("10.0.0.2:80".parse().unwrap()),
            "http://10.0.0.2:80/_emulator/health"
        );
    }
}
