//! The flow engine: definitions ([`definition`]), expressions ([`expr`]) and the interpreter
//! ([`interpreter`]) that runs one execution as one tokio task. No HTTP types here.

pub mod definition;
pub mod expr;
pub mod interpreter;
pub mod launch;
mod map_run;
mod outcome;
pub mod park;
mod scope;
mod task_state;
pub mod tasks;
mod work;

pub use launch::spawn;

use std::sync::Arc;

use crate::clock::Clock;
use crate::store::{Execution, Flow, FlowVersion, NewExecution, Started};

/// What starting an execution needs besides the flow.
#[derive(Debug)]
pub struct StartRequest {
    /// Execution name.
    pub name: String,
    /// Input JSON text (an object).
    pub input: String,
    /// Parent task token to report to at the end.
    pub callback_token: Option<String>,
    /// Account the execution belongs to.
    pub account: String,
    /// A published version to run instead of the current definition, and the qualifier that
    /// selected it.
    pub version: Option<(Arc<FlowVersion>, String)>,
}

/// Register an execution of `flow` with a snapshot of its definition and role, and run it if
/// the name is new (StartExecution's rule: an in-progress namesake is returned, an ended one
/// refuses).
pub fn start(
    flow: &Arc<Flow>,
    req: StartRequest,
    clock: &Arc<Clock>,
    env: &Arc<tasks::TaskEnv>,
) -> Started {
    let (meta, version, qualifier) = match &req.version {
        Some((v, q)) => (v.meta.clone(), Some(v.version), Some(q.clone())),
        None => (flow.meta(), None, None),
    };
    let started = flow.start_execution(&req.name, || {
        Execution::new(NewExecution {
            name: req.name.clone(),
            flow_name: flow.name.clone(),
            input: req.input,
            definition_text: meta.definition_text.clone(),
            definition: meta.definition.clone(),
            role_arn: meta.role_arn.clone(),
            environment: meta.environment.clone(),
            callback_token: req.callback_token,
            qualifier,
            map_run: None,
            version,
            started_time: clock.now(),
        })
    });
    if let Started::New(e) = &started {
        spawn(
            e.clone(),
            flow.clone(),
            clock.clone(),
            env.clone(),
            req.account,
        );
    }
    started
}
