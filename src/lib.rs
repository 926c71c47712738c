//! cloudflow-emulator: a local HTTP server that emulates Alibaba Cloud CloudFlow (product
//! `fnf`, API 2019-03-15) for development and CI.
//!
//! Layers, each depending only on those below it:
//! * [`server`]: the HTTP front: routes, the one request handler, emulator-only endpoints.
//! * [`protocol`]: the wire: parameters, signatures, response envelopes (no store or engine).
//! * [`api`]: one function per action.
//! * [`store`] and [`engine`]: flows and executions, and the interpreter (no HTTP types).
//! * [`error`]: the closed table of error codes; [`config`]: flags; [`clock`]: emulated time.

pub mod api;
pub mod clock;
pub mod config;
pub mod engine;
pub mod error;
pub mod faults;
pub mod policy;
pub mod protocol;
pub mod quotas;
pub mod scheduler;
pub mod server;
pub mod store;

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
        let functions = config.function_endpoints()?;
        let mocks = match &config.mocks {
            None => engine::tasks::mocks::MockConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read mock file {}: {e}", path.display()))?;
                engine::tasks::mocks::MockConfig::parse(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        let faults = match &config.faults {
            None => faults::FaultConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read faults file {}: {e}", path.display()))?;
                faults::FaultConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        let quotas = quotas::Quotas::new(config.enforce_quotas, config.quota_limits.clone());
        let mut tasks = engine::tasks::TaskEnv::new(functions, mocks);
        tasks.max_events = quotas.max_events();
        Ok(Arc::new(AppState {
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
            faults: faults::Faults::new(faults),
            quotas,
            config,
        }))
    }
}
