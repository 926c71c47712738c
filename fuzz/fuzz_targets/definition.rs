//! Definition parsing + validation: arbitrary text, YAML or JSON, either generation (the
//! legacy `type: flow` form is chosen by the text itself), in both execution modes.
#![no_main]

use cloudflow_emulator::engine::definition::{parse, ExecutionMode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse(text, ExecutionMode::Standard);
    let _ = parse(text, ExecutionMode::Express);
});
