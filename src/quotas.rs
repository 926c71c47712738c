//! `--enforce-quotas`: the documented API rate limits and resource limits (api.md §4).
//!
//! Rates are token buckets per (account, action) on the real clock: StartExecution (and
//! StartSyncExecution) hold 100 tokens refilled at 100/s, DescribeExecution and
//! GetExecutionHistory 50 at 5/s, every other action 10 at 2/s. An empty bucket answers
//! `ResourceThrottled` (429) with `x-acs-retry-after` (whole seconds until a token is back).
//! Limits: 10,000 flows per account (CreateFlow beyond it: `InvalidArgument`, 400, since retrying
//! cannot help), 10,000 running executions per account (StartExecution beyond it:
//! `ResourceThrottled`, 429, since running executions end), 5,000 events per execution (the
//! execution fails with `FnF.EventLimitExceeded`, see `store::Execution::record`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::protocol::params::Params;
use crate::store::Account;

/// A token bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Rate {
    /// Tokens when full (and at start).
    pub burst: f64,
    /// Tokens added per second.
    pub per_second: f64,
}

/// The numbers enforced; `Default` is the documented set.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "PascalCase")]
pub struct QuotaLimits {
    /// StartExecution and StartSyncExecution.
    pub start_execution: Rate,
    /// DescribeExecution.
    pub describe_execution: Rate,
    /// GetExecutionHistory.
    pub get_execution_history: Rate,
    /// Every other action.
    pub other: Rate,
    /// Flows per account.
    pub max_flows: usize,
    /// Running executions per account.
    pub max_running_executions: usize,
    /// History events per execution.
    pub max_events_per_execution: usize,
}

impl Default for QuotaLimits {
    fn default() -> Self {
        QuotaLimits {
            start_execution: Rate {
                burst: 100.0,
                per_second: 100.0,
            },
            describe_execution: Rate {
                burst: 50.0,
                per_second: 5.0,
            },
            get_execution_history: Rate {
                burst: 50.0,
                per_second: 5.0,
            },
            other: Rate {
                burst: 10.0,
                per_second: 2.0,
            },
            max_flows: 10_000,
            max_running_executions: 10_000,
            max_events_per_execution: 5_000,
        }
    }
}

impl QuotaLimits {
    /// The bucket rate of `action`.
    pub fn rate(&self, action: &str) -> Rate {
        match action {
            "StartExecution" | "StartSyncExecution" => self.start_execution,
            "DescribeExecution" => self.describe_execution,
            "GetExecutionHistory" => self.get_execution_history,
            _ => self.other,
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The quotas in force (or none when not enforced).
#[derive(Debug)]
pub struct Quotas {
    enabled: bool,
    limits: QuotaLimits,
    buckets: Mutex<HashMap<(String, String), Bucket>>,
}

impl Quotas {
    /// Quotas with these numbers, enforced only when `enabled`.
    pub fn new(enabled: bool, limits: QuotaLimits) -> Self {
        Quotas {
            enabled,
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether quotas are enforced.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The numbers.
    pub fn limits(&self) -> &QuotaLimits {
        &self.limits
    }

    /// The history-event limit executions run with (`usize::MAX` when not enforced).
    pub fn max_events(&self) -> usize {
        if self.enabled {
            self.limits.max_events_per_execution
        } else {
            usize::MAX
        }
    }

    /// Take a token for `action` of `account_id`, then check the flow and running-execution
    /// limits the action could exceed.
    pub fn check(
        &self,
        account_id: &str,
        account: &Account,
        action: &str,
        params: &Params,
    ) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        self.take_token(account_id, action, Instant::now())?;
        match action {
            "CreateFlow" if account.flow_count() >= self.limits.max_flows => {
                Err(ApiError::invalid(format!(
                    "The account has reached the limit of {} flows; delete a flow first.",
                    self.limits.max_flows
                )))
            }
            "StartExecution" | "StartSyncExecution" => {
                // Re-starting an in-progress namesake returns it and starts nothing.
                let existing = params
                    .optional("FlowName")
                    .and_then(|f| account.flow(f))
                    .zip(params.optional("ExecutionName"))
                    .and_then(|(f, e)| f.execution(e));
                if existing.is_some() {
                    return Ok(());
                }
                let running: usize = account
                    .list_flows(None, usize::MAX)
                    .items
                    .iter()
                    .map(|f| f.running_executions().len())
                    .sum();
                if running >= self.limits.max_running_executions {
                    let mut e = ApiError::new(ErrorCode::ResourceThrottled, &[]);
                    e.message = format!(
                        "{} The account has reached the limit of {} running executions.",
                        e.message, self.limits.max_running_executions
                    );
                    return Err(e.with_retry_after(1));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn take_token(&self, account_id: &str, action: &str, now: Instant) -> Result<(), ApiError> {
        let rate = self.limits.rate(action);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets
            .entry((account_id.to_string(), action.to_string()))
            .or_insert(Bucket {
                tokens: rate.burst,
                at: now,
            });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate.per_second).min(rate.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(());
        }
        let wait = if rate.per_second > 0.0 {
            ((1.0 - b.tokens) / rate.per_second).ceil().max(1.0) as u64
        } else {
            60
        };
        Err(ApiError::new(ErrorCode::ResourceThrottled, &[]).with_retry_after(wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_drain_and_refill_per_account_and_action() {
        let q = Quotas::new(true, QuotaLimits::default());
        let t0 = Instant::now();
        for _ in 0..10 {
            q.take_token("a", "DescribeFlow", t0).unwrap();
        }
        let e = q.take_token("a", "DescribeFlow", t0).unwrap_err();
        assert_eq!(e.code, ErrorCode::ResourceThrottled);
        assert_eq!(e.retry_after, Some(1));
        // Other accounts and actions have their own buckets.
        q.take_token("b", "DescribeFlow", t0).unwrap();
        q.take_token("a", "ListFlows", t0).unwrap();
        // 2 tokens/s: half a second gives one back.
        q.take_token("a", "DescribeFlow", t0 + Duration::from_millis(500))
            .unwrap();
        assert!(q
            .take_token("a", "DescribeFlow", t0 + Duration::from_millis(500))
            .is_err());
        for _ in 0..100 {
            q.take_token("a", "StartExecution", t0).unwrap();
        }
        assert!(q.take_token("a", "StartExecution", t0).is_err());
        for _ in 0..50 {
            q.take_token("a", "GetExecutionHistory", t0).unwrap();
        }
        assert!(q.take_token("a", "GetExecutionHistory", t0).is_err());
    }

    #[test]
    fn slow_refill_asks_for_a_longer_wait() {
        let l = QuotaLimits {
            other: Rate {
                burst: 1.0,
                per_second: 0.25,
            },
            ..Default::default()
        };
        let q = Quotas::new(true, l);
        let t0 = Instant::now();
        q.take_token("a", "ListFlows", t0).unwrap();
        assert_eq!(
            q.take_token("a", "ListFlows", t0).unwrap_err().retry_after,
            Some(4)
        );
    }
}
