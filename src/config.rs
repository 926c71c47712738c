//! Start-up configuration: command-line flags, each with an environment variable, and the
//! credentials the server accepts. Nothing here touches the network or the store.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use serde::Deserialize;

/// Access key id used when no credentials are configured anywhere.
pub const DEFAULT_ACCESS_KEY_ID: &str = "testAccessKeyId";
/// Secret of [`DEFAULT_ACCESS_KEY_ID`].
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "testAccessKeySecret";
/// Account id of the default account.
pub const DEFAULT_ACCOUNT_ID: &str = "1234567890123456";

/// Whether request signatures are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AuthMode {
    /// Verify signatures, timestamps and nonces like the real service.
    #[default]
    Verify,
    /// Accept well-formed requests without checking the signature.
    Off,
}

/// One access key the server accepts, and the account it acts for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// AccessKeyId.
    pub access_key_id: String,
    /// AccessKeySecret.
    pub access_key_secret: String,
    /// The account (Alibaba Cloud UID) whose resources this key reaches.
    #[serde(default = "default_account")]
    pub account_id: String,
    /// For STS credentials: the `SecurityToken` every request must carry.
    #[serde(default)]
    pub security_token: Option<String>,
    /// RAM-style policy limiting what this key may do (none: everything).
    #[serde(default)]
    pub policy: Option<crate::policy::Policy>,
}

fn default_account() -> String {
    DEFAULT_ACCOUNT_ID.to_string()
}

impl Credential {
    /// The documented default pair, for the default account.
    pub fn default_pair() -> Self {
        Credential {
            access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
            access_key_secret: DEFAULT_ACCESS_KEY_SECRET.into(),
            account_id: DEFAULT_ACCOUNT_ID.into(),
            security_token: None,
            policy: None,
        }
    }
}

/// `--credentials FILE`: YAML or JSON, either a list of credentials or `{accounts: [...]}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CredentialsFile {
    List(Vec<Credential>),
    Wrapped { accounts: Vec<Credential> },
}

/// Command-line flags and environment variables.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "cloudflow-emulator",
    version,
    about = "Local emulator of Alibaba Cloud CloudFlow (fnf 2019-03-15)"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CLOUDFLOW_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// AccessKeyId of the default account.
    #[arg(long, env = "CLOUDFLOW_ACCESS_KEY_ID")]
    pub access_key_id: Option<String>,
    /// AccessKeySecret of the default account.
    #[arg(long, env = "CLOUDFLOW_ACCESS_KEY_SECRET", hide_env_values = true)]
    pub access_key_secret: Option<String>,
    /// YAML/JSON file of accounts: access_key_id, access_key_secret, account_id, security_token.
    #[arg(long, env = "CLOUDFLOW_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// `verify` checks signatures like the real service; `off` skips the check.
    #[arg(long, env = "CLOUDFLOW_AUTH", value_enum, default_value_t = AuthMode::Verify)]
    pub auth: AuthMode,
    /// Largest accepted difference between a request's Timestamp and now, in seconds.
    #[arg(long, env = "CLOUDFLOW_MAX_CLOCK_SKEW", default_value_t = 900)]
    pub max_clock_skew: i64,
    /// Region reported by the service.
    #[arg(long, env = "CLOUDFLOW_REGION", default_value = "cn-hangzhou")]
    pub region: String,
    /// Account id of the default account (the --access-key-id pair).
    #[arg(long, env = "CLOUDFLOW_ACCOUNT_ID", default_value = DEFAULT_ACCOUNT_ID)]
    pub account_id: String,
    /// Emulated seconds per real second is 1/FACTOR: 0.01 makes a 300 s Wait last 3 s.
    #[arg(long, env = "CLOUDFLOW_TIME_SCALE", default_value_t = 1.0)]
    pub time_scale: f64,
    /// A local function endpoint, NAME=URL (repeatable): FC:InvokeFunction of function NAME POSTs there.
    #[arg(long = "function", env = "CLOUDFLOW_FUNCTIONS", value_delimiter = ',')]
    pub functions: Vec<String>,
    /// Mocked task results (YAML or JSON, in the MockConfigFile style; see README).
    #[arg(long, env = "CLOUDFLOW_MOCKS")]
    pub mocks: Option<PathBuf>,
    /// Preloaded state (YAML): flows, mocks and function endpoints created at start-up.
    #[arg(long, env = "CLOUDFLOW_INIT")]
    pub init: Option<PathBuf>,
    /// Threads serving requests and running executions (default: one less than the cores, at
    /// least 1, leaving a core for the client that usually runs on the same machine).
    #[arg(long, env = "CLOUDFLOW_WORKER_THREADS")]
    pub worker_threads: Option<usize>,
    /// Persist everything in this directory and restore it at start-up (opt-in durability).
    #[arg(long, env = "CLOUDFLOW_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Fault-injection rules (YAML or JSON; see README "Fault injection").
    #[arg(long, env = "CLOUDFLOW_FAULTS")]
    pub faults: Option<PathBuf>,
    /// Enforce the documented API rate limits and resource limits (see README "Quotas").
    #[arg(long, env = "CLOUDFLOW_ENFORCE_QUOTAS")]
    pub enforce_quotas: bool,
    /// The numbers enforced by --enforce-quotas (the documented ones; tests make them small).
    #[arg(skip)]
    pub quota_limits: crate::quotas::QuotaLimits,
    /// Seconds a client may take to send a request's headers, and again its body (slow clients).
    #[arg(long, env = "CLOUDFLOW_REQUEST_TIMEOUT", default_value_t = DEFAULT_REQUEST_TIMEOUT)]
    pub request_timeout: u64,
    /// Most connections served at once; further ones wait in the listen backlog.
    #[arg(long, env = "CLOUDFLOW_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
}

/// Default of `--request-timeout`, in seconds.
pub const DEFAULT_REQUEST_TIMEOUT: u64 = 30;
/// Default of `--max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

impl Default for Config {
    fn default() -> Self {
        Config::parse_from(["cloudflow-emulator"])
    }
}

impl Config {
    /// A config for tests: the given pair, auth on, an ephemeral port.
    pub fn for_tests(access_key_id: &str, access_key_secret: &str) -> Self {
        Config {
            listen: "127.0.0.1:0".parse().expect("literal address"),
            access_key_id: Some(access_key_id.into()),
            access_key_secret: Some(access_key_secret.into()),
            credentials: None,
            auth: AuthMode::Verify,
            max_clock_skew: 900,
            region: "cn-hangzhou".into(),
            account_id: DEFAULT_ACCOUNT_ID.into(),
            time_scale: 1.0,
            functions: Vec::new(),
            mocks: None,
            init: None,
            data_dir: None,
            worker_threads: None,
            faults: None,
            enforce_quotas: false,
            quota_limits: Default::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// Check values clap cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.worker_threads.is_some_and(|n| n > 1024) {
            return Err("--worker-threads must be at most 1024".into());
        }
        if !(self.time_scale.is_finite() && self.time_scale >= 1e-6 && self.time_scale <= 1e6) {
            return Err(format!(
                "--time-scale must be between 0.000001 and 1000000, got {}",
                self.time_scale
            ));
        }
        if self.max_clock_skew < 0 {
            return Err("--max-clock-skew must not be negative".into());
        }
        if !(1..=3600).contains(&self.request_timeout) {
            return Err(format!(
                "--request-timeout must be between 1 and 3600 seconds, got {}",
                self.request_timeout
            ));
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err(format!(
                "--max-connections must be between 1 and 1000000, got {}",
                self.max_connections
            ));
        }
        Ok(())
    }

    /// The accepted credentials, in priority order: the credentials file, the
    /// --access-key-id pair; with neither, `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET`, then the
    /// documented default pair.
    pub fn resolve_credentials(&self) -> Result<Vec<Credential>, String> {
        let mut out = Vec::new();
        if let Some(path) = &self.credentials {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read credentials file {}: {e}", path.display()))?;
            let parsed: CredentialsFile = serde_yaml::from_str(&text)
                .map_err(|e| format!("credentials file {}: {e}", path.display()))?;
            let list = match parsed {
                CredentialsFile::List(l) | CredentialsFile::Wrapped { accounts: l } => l,
            };
            for (i, c) in list.into_iter().enumerate() {
                if c.access_key_id.is_empty()
                    || c.access_key_secret.is_empty()
                    || c.account_id.is_empty()
                {
                    return Err(format!("credentials file entry {i}: empty access_key_id, access_key_secret or account_id"));
                }
                out.push(c);
            }
        }
        match (&self.access_key_id, &self.access_key_secret) {
            (Some(id), Some(secret)) => out.push(Credential {
                access_key_id: id.clone(),
                access_key_secret: secret.clone(),
                account_id: self.account_id.clone(),
                security_token: None,
                policy: None,
            }),
            (None, None) => {}
            _ => {
                return Err("--access-key-id and --access-key-secret must be given together".into())
            }
        }
        if out.is_empty() {
            let env_id = std::env::var("ALIBABA_CLOUD_ACCESS_KEY_ID")
                .ok()
                .filter(|v| !v.is_empty());
            let env_secret = std::env::var("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
                .ok()
                .filter(|v| !v.is_empty());
            out.push(match (env_id, env_secret) {
                (Some(id), Some(secret)) => Credential {
                    access_key_id: id,
                    access_key_secret: secret,
                    account_id: self.account_id.clone(),
                    security_token: None,
                    policy: None,
                },
                _ => Credential {
                    account_id: self.account_id.clone(),
                    ..Credential::default_pair()
                },
            });
        }
        let mut seen = std::collections::HashSet::new();
        for c in &out {
            if !seen.insert(c.access_key_id.as_str()) {
                return Err(format!(
                    "access key id {} is configured twice",
                    c.access_key_id
                ));
            }
        }
        Ok(out)
    }

    /// The `--function NAME=URL` entries as (name, url) pairs.
    pub fn function_endpoints(&self) -> Result<Vec<(String, String)>, String> {
        let mut out: Vec<(String, String)> = Vec::new();
        for entry in self
            .functions
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let (name, url) = entry
                .split_once('=')
                .ok_or_else(|| format!("--function '{entry}': expected NAME=URL"))?;
            let (name, url) = (name.trim(), url.trim());
            if name.is_empty() || !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "--function '{entry}': expected NAME=http://host:port/path"
                ));
            }
            if out.iter().any(|(n, _)| n == name) {
                return Err(format!("--function: function '{name}' is given twice"));
            }
            out.push((name.to_string(), url.to_string()));
        }
        Ok(out)
    }

    /// The number of runtime worker threads: `--worker-threads`, else cores − 1 (at least 1).
    pub fn worker_threads(&self) -> usize {
        self.worker_threads.filter(|n| *n > 0).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .saturating_sub(1)
                .max(1)
        })
    }

    /// The `HostId` reported in error bodies.
    pub fn host_id(&self) -> String {
        format!("{}.fnf.aliyuncs.com", self.region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_file_forms() {
        let dir = std::env::temp_dir().join(format!("cfe-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("c.yaml");
        std::fs::write(&f, "accounts:\n  - access_key_id: a\n    access_key_secret: s\n    account_id: '1'\n  - access_key_id: b\n    access_key_secret: t\n    account_id: '2'\n    security_token: tok\n").unwrap();
        let mut cfg = Config::for_tests("x", "y");
        cfg.credentials = Some(f.clone());
        let creds = cfg.resolve_credentials().unwrap();
        assert_eq!(creds.len(), 3);
        assert_eq!(creds[1].security_token.as_deref(), Some("tok"));
        std::fs::write(
            &f,
            "[{\"access_key_id\": \"a\", \"access_key_secret\": \"s\"}]",
        )
        .unwrap();
        cfg.access_key_id = None;
        cfg.access_key_secret = None;
        let creds = cfg.resolve_credentials().unwrap();
        assert_eq!(creds.len(), 1);
        assert_eq!(creds[0].account_id, DEFAULT_ACCOUNT_ID);
        std::fs::write(&f, "[{\"access_key_id\": \"a\", \"bogus\": 1}]").unwrap();
        assert!(cfg.resolve_credentials().is_err());
    }

    #[test]
    fn faults_and_quota_flags() {
        let cfg = Config::try_parse_from([
            "cloudflow-emulator",
            "--enforce-quotas",
            "--faults",
            "f.yaml",
        ])
        .unwrap();
        assert!(cfg.enforce_quotas);
        assert_eq!(cfg.faults.as_deref(), Some(std::path::Path::new("f.yaml")));
        assert_eq!(cfg.quota_limits, crate::quotas::QuotaLimits::default());
        assert!(!Config::for_tests("a", "b").enforce_quotas);
    }

    #[test]
    fn request_timeout_and_connection_limit_are_checked() {
        let cfg = Config::for_tests("x", "y");
        assert_eq!(cfg.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(cfg.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert!(cfg.validate().is_ok());
        for (timeout, max) in [(0, 10), (3601, 10), (30, 0), (30, 1_000_001)] {
            let mut c = cfg.clone();
            c.request_timeout = timeout;
            c.max_connections = max;
            assert!(c.validate().is_err(), "{timeout} {max}");
        }
        let parsed = Config::parse_from(["x", "--request-timeout", "5", "--max-connections", "3"]);
        assert_eq!((parsed.request_timeout, parsed.max_connections), (5, 3));
    }

    #[test]
    fn half_a_pair_is_refused() {
        let mut cfg = Config::for_tests("x", "y");
        cfg.access_key_secret = None;
        assert!(cfg.resolve_credentials().is_err());
    }
}
