//! `POST /_emulator/reset`: back to the start-up state without a restart.
//!
//! A full reset stops every running execution (so its task ends), deletes every account's flows
//! and executions, drops callback tokens and mock bindings, restores the start-up mock
//! configuration (`--mocks` plus `--init`), and re-creates the `--init` flows. A reset of one
//! account does the same for that account only; mocks, being server-wide, are left alone.
//! Credentials, function endpoints and the emulated clock are never changed.

use std::sync::Arc;

use serde::Serialize;

use crate::AppState;

/// What a reset did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResetReport {
    /// Flows deleted.
    pub flows_deleted: usize,
    /// Executions deleted (running or not).
    pub executions_deleted: usize,
    /// Of those, how many were running and were stopped.
    pub executions_stopped: usize,
    /// `--init` flows created again.
    pub flows_preloaded: usize,
}

/// Error recorded on executions stopped by a reset.
pub const RESET_ERROR: &str = "Emulator.Reset";

impl AppState {
    /// Reset all state, or one account's. Fails only if re-creating an `--init` flow fails.
    pub fn reset(self: &Arc<Self>, account: Option<&str>) -> Result<ResetReport, String> {
        let mut report = ResetReport::default();
        let now = self.clock.now();
        for acct in self.store.remove_accounts(account) {
            for flow in acct.all_flows() {
                report.flows_deleted += 1;
                report.executions_deleted += flow.execution_count();
                for sch in flow.all_schedules() {
                    sch.disarm();
                }
                for e in flow.mark_deleted() {
                    if e.stop(
                        Some(RESET_ERROR),
                        Some("The emulator was reset (POST /_emulator/reset)."),
                        now,
                    )
                    .is_ok()
                    {
                        report.executions_stopped += 1;
                    }
                }
            }
        }
        self.tasks.tokens.forget(account);
        if account.is_none() {
            self.tasks.mocks.clear_bindings();
            self.tasks.mocks.set_config(self.startup_mocks.clone());
        }
        report.flows_preloaded = crate::init::create_flows(self, account)?;
        Ok(report)
    }
}
