//! Expression parsing + evaluation against a small scope (and an empty one).
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use cloudflow_emulator::engine::expr::{Expr, Var};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn scope() -> &'static HashMap<Var, Value> {
    static S: OnceLock<HashMap<Var, Value>> = OnceLock::new();
    S.get_or_init(|| {
        HashMap::from([
            (
                Var::Input,
                json!({"s": "x", "n": 1, "f": 1.5, "t": true, "a": [1, "two", {"c": null}],
                       "o": {"k": "v", "n": -3}, "b64": "aGk=", "j": "{\"a\":1}"}),
            ),
            (Var::Output, json!({"out": [1, 2, 3]})),
            (
                Var::Context,
                json!({"Execution": {"Name": "e"}, "Current": {"Name": "s"}}),
            ),
            (Var::Global, json!({"g": 1})),
            (Var::Item, json!("item")),
        ])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(e) = Expr::parse(text) {
        let _ = e.eval(scope());
        let _ = e.eval(&HashMap::<Var, Value>::new());
    }
});
