//! The typed flow tree the interpreter runs. Built once, when a flow is created or updated, by
//! [`parse`]; the interpreter never reads raw definition text. Every problem in a definition is
//! collected and reported together, each naming the state and field.

mod error_handling;
mod fields;
mod legacy;
mod parse;
mod states;
mod template;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::expr::Expr;
pub use legacy::{LegacyMapping, LegacySource, MAX_LEGACY_WAIT_SECONDS};
pub use parse::{parse, ExecutionMode};
pub use template::Template;

/// A parsed flow definition.
#[derive(Debug, Clone)]
pub struct FlowDef {
    /// `Name` inside the definition, if given.
    pub name: Option<String>,
    /// Flow-level `Timeout` in seconds (`None` or 0: none).
    pub timeout_seconds: Option<u64>,
    /// The top-level state list.
    pub root: Scope,
    /// A legacy (`type: flow`) definition: its flow-level mappings.
    pub legacy: Option<LegacyFlow>,
}

/// Flow-level `inputMappings` / `outputMappings` of a legacy definition.
#[derive(Debug, Clone)]
pub struct LegacyFlow {
    /// Execution input → flow input (`None`: the execution input).
    pub input: Option<Template>,
    /// Flow input + local → flow output (`None`: the local).
    pub output: Option<Template>,
}

/// A list of states with an entry point: the top level, a Parallel branch or a Map processor.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The states, in definition order.
    pub states: Vec<State>,
    /// Index of `StartAt`.
    pub start: usize,
    /// A legacy step list: every state's raw input is the scope input merged with the scope's
    /// `$local` (the union of the outputs of the states run so far, later ones winning), and the
    /// scope's result is that `$local` rather than the last state's output.
    pub legacy: bool,
}

/// Where a state goes when it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Index of the next state in the same scope.
    State(usize),
    /// End the scope (`End: true`, or a state type that always ends it).
    End,
}

/// One state.
#[derive(Debug, Clone)]
pub struct State {
    /// `Name`.
    pub name: Arc<str>,
    /// The type-specific part.
    pub kind: Kind,
    /// `InputConstructor`.
    pub input: Option<Template>,
    /// `OutputConstructor`.
    pub output: Option<Template>,
    /// `GlobalConstructor`.
    pub global: Option<Template>,
    /// `Next` / `End`.
    pub next: Next,
}

/// What a Wait state waits for.
#[derive(Debug, Clone)]
pub enum WaitFor {
    /// `Seconds`.
    Seconds(u64),
    /// `Seconds.$`.
    SecondsExpr(Expr),
    /// `UntilDateTime` constant.
    Until(DateTime<Utc>),
    /// `UntilDateTime` expression.
    UntilExpr(Expr),
}

/// One `Retry` rule (or the retry part of an `OnErrors` entry).
#[derive(Debug, Clone)]
pub struct RetryRule {
    /// Error names matched (`FnF.ALL` matches all).
    pub errors: Vec<String>,
    /// Retries after the first attempt.
    pub max_attempts: u32,
    /// First interval, seconds.
    pub interval_seconds: f64,
    /// Multiplier per retry (1 when omitted).
    pub backoff_rate: f64,
    /// Cap on the interval, seconds.
    pub max_backoff_seconds: Option<f64>,
}

/// One `Catch` rule (or the catch part of an `OnErrors` entry).
#[derive(Debug, Clone)]
pub struct CatchRule {
    /// Error names matched.
    pub errors: Vec<String>,
    /// Builds the output handed to `Next`.
    pub output: Option<Template>,
    /// Index of the state to go to.
    pub next: usize,
}

/// Retry and Catch of a Task, Parallel or Map.
#[derive(Debug, Clone, Default)]
pub struct ErrorHandling {
    /// Retry rules, first match wins.
    pub retry: Vec<RetryRule>,
    /// Catch rules, first match wins.
    pub catch: Vec<CatchRule>,
}

/// `TaskMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskMode {
    /// Send the request, wait for the response.
    RequestComplete,
    /// Wait for the integrated job to finish.
    WaitForSystemCallback,
    /// Wait for ReportTaskSucceeded / ReportTaskFailed.
    WaitForCustomCallback,
}

/// A Task state's call.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    /// `Service:API`.
    pub action: String,
    /// `TaskMode`.
    pub mode: TaskMode,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `Timeout` seconds (0: none).
    pub timeout_seconds: u64,
    /// Legacy `task`: the result (`$local`) is the function's answer itself, not
    /// `{"Body": answer}`.
    pub unwrap_body: bool,
}

/// Legacy `foreach.iterationMapping`: the iteration input is the step input plus `item` (the
/// element) and `index` (its position, when named).
#[derive(Debug, Clone)]
pub struct IterationMapping {
    /// Key of the element.
    pub item: String,
    /// Key of the position.
    pub index: Option<String>,
}

/// Distributed-mode settings of a Map (`ProcessorConfig.ExecutionMode` set).
#[derive(Debug, Clone)]
pub struct Distributed {
    /// `Standard` or `Express`.
    pub execution_mode: String,
    /// `ItemConstructor` (sees `$Item`).
    pub item_constructor: Option<Template>,
    /// `MaxItems` (the first N items; none: all).
    pub max_items: Option<u64>,
    /// `ToleratedFailureCount`.
    pub tolerated_failure_count: Option<u64>,
    /// `ToleratedFailurePercentage`.
    pub tolerated_failure_percentage: Option<f64>,
    /// Fields given that the emulator cannot execute (`ItemReader`, `ItemBatcher`, `ResultWriter`).
    pub unsupported: Vec<String>,
}

/// The type-specific part of a state.
#[derive(Debug, Clone)]
pub enum Kind {
    /// Pass: output = input.
    Pass,
    /// Wait.
    Wait(WaitFor),
    /// Choice: the first branch whose condition holds, else `Default`.
    Choice {
        /// (condition, target) in order.
        branches: Vec<(Expr, Next)>,
        /// `Default` target.
        default: Next,
        /// Legacy only: steps run (as a nested scope) before going to the target, one entry
        /// per branch and a last one for the default. Empty for `Type: StateMachine`.
        bodies: Vec<Option<Scope>>,
    },
    /// Parallel: every branch on the same input.
    Parallel {
        /// The branches.
        branches: Vec<Scope>,
        /// Retry / Catch.
        errors: ErrorHandling,
    },
    /// Map: `processor` once per item of `items_path`.
    Map {
        /// `ItemsPath`.
        items_path: Expr,
        /// `Processor`.
        processor: Scope,
        /// Iterations at once.
        max_concurrency: usize,
        /// Distributed mode, when configured.
        distributed: Option<Distributed>,
        /// Retry / Catch.
        errors: ErrorHandling,
        /// Legacy `foreach`: how an item becomes the iteration input.
        iteration: Option<IterationMapping>,
    },
    /// Succeed: ends its scope successfully.
    Succeed,
    /// Fail: ends the execution with an error.
    Fail {
        /// `Code`.
        code: Option<String>,
        /// `Detail`.
        detail: String,
    },
    /// Task: calls a service.
    Task {
        /// The call.
        spec: TaskSpec,
        /// Retry / Catch.
        errors: ErrorHandling,
    },
}

impl Kind {
    /// The `Type` spelling.
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Pass => "Pass",
            Kind::Wait(_) => "Wait",
            Kind::Choice { .. } => "Choice",
            Kind::Parallel { .. } => "Parallel",
            Kind::Map { .. } => "Map",
            Kind::Succeed => "Succeed",
            Kind::Fail { .. } => "Fail",
            Kind::Task { .. } => "Task",
        }
    }
}
