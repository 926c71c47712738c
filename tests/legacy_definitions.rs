//! Runs every legacy definition fixture in `tests/fixtures/legacy/` through a real server. A
//! `tests/definitions.rs` runs the new-style ones with the same runner (`tests/common/fixtures.rs`).
//!
//! A fixture is a YAML file:
//!
//! ```yaml
//! description: what it shows
//! definition: |            # the flow (legacy: version / type: flow / steps)
//!   version: v1
//!   ...
//! mocks: {...}             # optional: PUT /_emulator/mocks before the runs (flow name = file stem)
//! create_error: "text"     # optional: CreateFlow must fail with InvalidArgument containing this
//! runs:                    # executions to start (each gets a fresh execution name)
//!   - input: {"a": 1}      # optional, default {}
//!     status: Succeeded    # expected final status
//!     output: {...}        # optional: exact expected output ("{{uuid}}" / "{{any}}" match any such string / value)
//!     error: Code          # optional: expected ExecutionFailed/TimedOut error code
//!     cause_contains: text # optional
//!     history_contains: [StepEntered, ...]  # optional: event types that must appear
//! ```
//! The server runs with `--time-scale 0.001`, so a 300 s Wait takes 0.3 s.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_definition_fixtures() {
    common::fixtures::run_fixture_dir("legacy").await;
}
