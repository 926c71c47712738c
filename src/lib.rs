//! cloudflow-emulator: a local HTTP server that emulates Alibaba Cloud CloudFlow (product
//! `fnf`, API 2019-03-15) for development and CI.
//!
//! Layers, each depending only on those below it:
//! * [`server`]: the HTTP front: routes, the one request handler, emulator-only endpoints.
//! * [`console`]: the web console at `/_emulator/ui/` (embedded assets, console endpoints).
//! * [`protocol`]: the wire: parameters, signatures, response envelopes (no store or engine).
//! * [`api`]: one function per action.
//! * [`store`] and [`engine`]: flows and executions, and the interpreter (no HTTP types).
//! * [`error`]: the closed table of error codes; [`config`]: flags; [`clock`]: emulated time.

pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod durability;
pub mod engine;
pub mod error;
pub mod faults;
pub mod init;
pub mod logging;
pub mod policy;
pub mod protocol;
pub mod quotas;
pub mod scheduler;
pub mod server;
pub mod store;

pub mod reset;

use std::sync::Arc;

pub use server::{app, serve};

/// Everything the server shares between requests.
#[derive(Debug)]
pub struct AppState {
    /// Configuration in force.
    pub config: config::Config,
    /// Request authentication.
    pub auth: protocol::auth::Authenticator,
    /// Flows and executions.
    pub store: store::Store,
    /// Emulated time.
    pub clock: Arc<clock::Clock>,
    /// Task stand-ins: function endpoints, mocks, callback tokens.
    pub tasks: Arc<engine::tasks::TaskEnv>,
    /// `HostId` in error bodies.
    pub host_id: String,
    /// When the server started (real time).
    pub started: std::time::Instant,
    /// What `--init` preloads (re-created by `POST /_emulator/reset`).
    pub preload: init::Preload,
    /// The mock configuration at start-up (`--mocks` plus `--init`), restored by a full reset.
    pub startup_mocks: engine::tasks::mocks::MockConfig,
    /// Fault-injection rules.
    pub faults: faults::Faults,
    /// Rate limits and resource limits (`--enforce-quotas`).
    pub quotas: quotas::Quotas,
}

impl AppState {
    /// Build the state from a configuration.
    pub fn new(config: config::Config) -> Result<Arc<Self>, String> {
        config.validate()?;
        let credentials = config.resolve_credentials()?;
        let mut functions = config.function_endpoints()?;
        let preload = match &config.init {
            None => init::Preload::default(),
            Some(path) => init::Preload::load(path, &config.account_id)
                .map_err(|e| format!("--init {}: {e}", path.display()))?,
        };
        let init_label = config
            .init
            .as_ref()
            .map(|p| format!("--init {}", p.display()))
            .unwrap_or_default();
        for (name, url) in &preload.functions {
            if functions.iter().any(|(n, _)| n == name) {
                return Err(format!(
                    "{init_label}: functions.{name}: function '{name}' is also given by --function"
                ));
            }
            functions.push((name.clone(), url.clone()));
        }
        for f in &preload.flows {
            if !credentials.iter().any(|c| c.account_id == f.account_id) {
                return Err(format!(
                    "{init_label}: {}: no configured access key acts for account {}",
                    f.label, f.account_id
                ));
            }
        }
        let mocks = match &config.mocks {
            None => engine::tasks::mocks::MockConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read mock file {}: {e}", path.display()))?;
                engine::tasks::mocks::MockConfig::parse(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        let mocks = init::merge_mocks(mocks, preload.mocks.clone())
            .map_err(|e| format!("{init_label}: {e}"))?;
        let faults = match &config.faults {
            None => faults::FaultConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read faults file {}: {e}", path.display()))?;
                faults::FaultConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        let quotas = quotas::Quotas::new(config.enforce_quotas, config.quota_limits.clone());
        let mut tasks = engine::tasks::TaskEnv::new(functions, mocks.clone());
        tasks.max_events = quotas.max_events();
        let state = Arc::new(AppState {
            auth: protocol::auth::Authenticator::new(
                credentials,
                config.auth,
                config.max_clock_skew,
            ),
            store: store::Store::default(),
            clock: Arc::new(clock::Clock::new(config.time_scale)),
            tasks: Arc::new(tasks),
            host_id: config.host_id(),
            started: std::time::Instant::now(),
            preload,
            startup_mocks: mocks,
            faults: faults::Faults::new(faults),
            quotas,
            config,
        });
        if let Some(dir) = state.config.data_dir.clone() {
            let r = durability::restore(&state, &dir)?;
            tracing::info!(
                records = r.records,
                flows = r.flows,
                executions = r.executions,
                resumed = r.resumed,
                dir = %dir.display(),
                "restored from the data directory"
            );
            if r.records > 0 {
                // The journal already holds the preloaded state (and what became of it).
                return Ok(state);
            }
        }
        init::create_flows(&state, None).map_err(|e| format!("{init_label}: {e}"))?;
        Ok(state)
    }
}
