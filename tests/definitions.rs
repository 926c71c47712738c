//! Runs every definition fixture in `tests/fixtures/definitions/` through a real server.
//!
//! A fixture is a YAML file:
//!
//! ```yaml
//! description: what it shows
//! definition: |            # the flow (its Name, if any, must be the file stem)
//!   Type: StateMachine
//!   ...
//! create_error: "text"     # optional: CreateFlow must fail with InvalidArgument containing this
//! runs:                    # executions to start (each gets a fresh execution name)
//!   - input: {"a": 1}      # optional, default {}
//!     status: Succeeded    # expected final status
//!     output: {...}        # optional: exact expected output ("{{uuid}}" / "{{any}}" match any such string / value)
//!     error: Code          # optional: expected ExecutionFailed/TimedOut error code
//!     cause_contains: text # optional
//!     history_contains: [StepEntered, ...]  # optional: event types that must appear
//! mocks: {...}             # optional: PUT /_emulator/mocks before the runs
//! ```
//! The server runs with `--time-scale 0.001`, so a 300 s Wait takes 0.3 s.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definition_fixtures() {
    common::fixtures::run_fixture_dir("definitions").await;
}
