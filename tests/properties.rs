//! Property tests for the three hostile-input surfaces (case counts kept modest for CI):
//! request decoding + signatures, definition parsing, expression parsing + evaluation.

use std::collections::{BTreeMap, HashMap};

use axum::http::{HeaderMap, Method, Uri};
use cloudflow_emulator::engine::definition::{parse, ExecutionMode};
use cloudflow_emulator::engine::expr::{Expr, Var};
use cloudflow_emulator::protocol::signature::{
    percent_encode, v1_signature, v1_string_to_sign, v1_verify,
};
use cloudflow_emulator::protocol::{self, auth, params};
use proptest::prelude::*;
use serde_json::{json, Value};

const SK: &str = "testKeySecret";

fn cfg(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Parameter names (non-empty, not `Signature`) and any Unicode values.
fn param_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[A-Za-z][A-Za-z0-9._~ -]{0,12}", any::<String>(), 0..12).prop_map(
        |mut m| {
            m.remove("Signature");
            m
        },
    )
}

proptest! {
    #![proptest_config(cfg(128))]

    /// A V1-signed parameter set always verifies, through `protocol::decode` too.
    #[test]
    fn v1_signed_params_verify(extra in param_map(), get in any::<bool>()) {
        let mut all: BTreeMap<String, String> = extra;
        all.insert("Action".into(), "ListFlows".into());
        all.insert("Version".into(), "2019-03-15".into());
        all.insert("AccessKeyId".into(), "testKeyId".into());
        let method = if get { "GET" } else { "POST" };
        let sts = v1_string_to_sign(method, all.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let sig = v1_signature(&sts, SK);
        prop_assert!(v1_verify(&sts, SK, &sig));
        let mut query: Vec<String> = all
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        query.push(format!("Signature={}", percent_encode(&sig)));
        let uri: Uri = format!("/?{}", query.join("&")).parse().unwrap();
        let m = if get { Method::GET } else { Method::POST };
        let req = protocol::decode(&m, &uri, &HeaderMap::new(), b"").unwrap();
        prop_assert!(auth::verify(&req.signature, SK));
        prop_assert!(!auth::verify(&req.signature, "otherSecret"));
    }

    /// Changing any single byte of the string to sign breaks the signature.
    #[test]
    fn any_single_byte_change_fails(extra in param_map(), at in any::<prop::sample::Index>(), to in 0x20u8..0x7f) {
        let sts = v1_string_to_sign("POST", extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let sig = v1_signature(&sts, SK);
        let mut bytes = sts.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != to);
        bytes[i] = to;
        // The string to sign is all ASCII (everything is percent-encoded).
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(!v1_verify(&changed, SK, &sig));
    }

    /// `parse_pairs` never panics, whatever the text.
    #[test]
    fn parse_pairs_never_panics(raw in any::<String>(), ascii in "[%a-zA-Z0-9=&+]{0,64}") {
        let _ = params::parse_pairs(&raw, "query string");
        let _ = params::parse_pairs(&ascii, "query string");
    }

    /// Encoding pairs and parsing them back gives the same pairs (`+`, `&`, `=`, `%`, any
    /// Unicode, blank values).
    #[test]
    fn parse_pairs_round_trips(pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..10)) {
        let encoded = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let back = params::parse_pairs(&encoded, "body").unwrap();
        // An empty pair (`=`) with an empty name is kept as ("", "").
        prop_assert_eq!(back, pairs);
    }

    /// Decoded parameters are found by name, and the signed set comes out in byte order of the
    /// names, for any names (shared 8-byte prefixes, NUL bytes, non-ASCII).
    #[test]
    fn params_find_every_name_in_order(
        names in prop::collection::btree_set("(Signatur|a\\x00|[a-zA-Z\\x00é流]){0,3}[a-zA-Z\\x00é流]{0,10}", 0..24)
    ) {
        let names: Vec<String> = names.into_iter().filter(|n| !n.is_empty()).collect();
        let encoded = names
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{}={i}", percent_encode(k)))
            .collect::<Vec<_>>()
            .join("&");
        let p = params::Params::from_encoded(&encoded, "body").unwrap();
        for (i, n) in names.iter().enumerate() {
            let want = i.to_string();
            prop_assert_eq!(p.get(n), Some(want.as_str()));
        }
        prop_assert_eq!(p.get("absent\u{1}"), None);
        let signed: Vec<&str> = p.signed().map(|(k, _)| k).collect();
        let sorted: Vec<&str> = names.iter().map(String::as_str).collect();
        // `names` came from a BTreeSet: already in byte order.
        prop_assert_eq!(signed, sorted);
    }

    /// Arbitrary bytes as a request never panic `decode` + `verify`.
    #[test]
    fn decode_never_panics(query in "[A-Za-z0-9%=&+._-]{0,80}", body in prop::collection::vec(any::<u8>(), 0..128), json_body in any::<bool>()) {
        let uri: Uri = format!("/?{query}").parse().unwrap_or_else(|_| Uri::from_static("/"));
        let mut headers = HeaderMap::new();
        let ct = if json_body { "application/json" } else { "application/x-www-form-urlencoded" };
        headers.insert("content-type", ct.parse().unwrap());
        if let Ok(req) = protocol::decode(&Method::POST, &uri, &headers, &body) {
            let _ = auth::verify(&req.signature, SK);
        }
    }
}

// ---- definitions ----

/// One generated state: its type-specific YAML lines (indented under `- `).
#[derive(Debug, Clone)]
enum GenState {
    Pass { literal: i64 },
    Wait { seconds: u32 },
    Choice,
    Succeed,
    Fail,
}

fn gen_state() -> impl Strategy<Value = GenState> {
    prop_oneof![
        any::<i64>().prop_map(|literal| GenState::Pass { literal }),
        (1u32..=300).prop_map(|seconds| GenState::Wait { seconds }),
        Just(GenState::Choice),
        Just(GenState::Succeed),
        Just(GenState::Fail),
    ]
}

/// A valid definition: states S0..Sn chained by `Next`, the last one ending the flow.
fn render(states: &[GenState]) -> Value {
    let n = states.len();
    let list: Vec<Value> = states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let name = format!("S{i}");
            let last = i + 1 == n;
            let next = |mut v: Value| {
                if last {
                    v["End"] = json!(true);
                } else {
                    v["Next"] = json!(format!("S{}", i + 1));
                }
                v
            };
            match s {
                GenState::Pass { literal } => next(json!({
                    "Type": "Pass", "Name": name,
                    "OutputConstructor": {"n": literal, "copy.$": "$Input"}
                })),
                GenState::Wait { seconds } => next(json!({"Type": "Wait", "Name": name, "Seconds": seconds})),
                // A Choice, a Succeed or a Fail in the middle jumps/ends; the states after it
                // stay valid (reachable or not).
                GenState::Choice => json!({
                    "Type": "Choice", "Name": name,
                    "Branches": [{"Condition": "$Input.x == 1", "Next": format!("S{}", (i + 1).min(n - 1))}],
                    "Default": format!("S{}", (i + 1).min(n - 1)),
                }),
                GenState::Succeed => json!({"Type": "Succeed", "Name": name}),
                GenState::Fail => json!({"Type": "Fail", "Name": name, "Code": "E", "Detail": "d"}),
            }
        })
        .collect();
    json!({"Type": "StateMachine", "Name": "gen", "SpecVersion": "v1", "StartAt": "S0", "States": list})
}

proptest! {
    #![proptest_config(cfg(96))]

    /// Generated valid state lists parse, from YAML and from JSON.
    #[test]
    fn generated_definitions_parse(states in prop::collection::vec(gen_state(), 1..12)) {
        // A Choice as the last state would point at itself: make the last state a Succeed.
        let mut states = states;
        if matches!(states.last(), Some(GenState::Choice)) {
            states.push(GenState::Succeed);
        }
        let def = render(&states);
        let yaml = serde_yaml::to_string(&def).unwrap();
        let json_text = serde_json::to_string_pretty(&def).unwrap();
        let parsed = parse(&yaml, ExecutionMode::Standard);
        prop_assert!(parsed.is_ok(), "{yaml}\n{:?}", parsed.err());
        let parsed = parse(&json_text, ExecutionMode::Standard);
        prop_assert!(parsed.is_ok(), "{json_text}\n{:?}", parsed.err());
        prop_assert_eq!(parsed.unwrap().root.states.len(), states.len());
    }

    /// Random byte-level mutations of a valid definition never panic either parser mode.
    #[test]
    fn mutated_definitions_never_panic(
        states in prop::collection::vec(gen_state(), 1..8),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..8),
        as_json in any::<bool>(),
    ) {
        let def = render(&states);
        let text = if as_json { serde_json::to_string(&def).unwrap() } else { serde_yaml::to_string(&def).unwrap() };
        let mut chars: Vec<char> = text.chars().collect();
        for (at, op, c) in edits {
            if chars.is_empty() { break; }
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                _ => chars[i] = c,
            }
        }
        let mutated: String = chars.into_iter().collect();
        let _ = parse(&mutated, ExecutionMode::Standard);
        let _ = parse(&mutated, ExecutionMode::Express);
    }

    /// Legacy (`type: flow`) definitions with mutations never panic.
    #[test]
    fn mutated_legacy_definitions_never_panic(
        at in any::<prop::sample::Index>(),
        c in any::<char>(),
        n in 1usize..6,
    ) {
        let mut text = String::from("version: v1\ntype: flow\nsteps:\n");
        for i in 0..n {
            text.push_str(&format!("  - type: pass\n    name: p{i}\n    outputMappings:\n      - target: v{i}\n        source: $input.x\n"));
        }
        prop_assert!(parse(&text, ExecutionMode::Standard).is_ok(), "{text}");
        let mut chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len());
        chars[i] = c;
        let mutated: String = chars.into_iter().collect();
        let _ = parse(&mutated, ExecutionMode::Standard);
    }
}

// ---- expressions ----

/// Well-formed expressions from the grammar (depth bounded well under the parse limits).
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i32>().prop_map(|n| n.to_string()),
        (-1e6f64..1e6).prop_map(|f| format!("{f:.3}")),
        "[a-z ]{0,6}".prop_map(|s| format!("'{s}'")),
        Just("true".to_string()),
        Just("null".to_string()),
        prop::sample::select(vec!["$Input", "$Output", "$Context", "$Global", "$Item"])
            .prop_flat_map(|v| {
                prop::collection::vec(
                    prop_oneof![
                        "[a-z]{1,3}".prop_map(|f| format!(".{f}")),
                        (0u8..4).prop_map(|i| format!("[{i}]")),
                    ],
                    0..3,
                )
                .prop_map(move |p| format!("{v}{}", p.concat()))
            }),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">=", "&&", "||"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("!({a})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| {
                let members: Vec<String> = v
                    .iter()
                    .enumerate()
                    .map(|(i, e)| format!("'k{i}': {e}"))
                    .collect();
                format!("{{{}}}", members.join(", "))
            }),
            (
                prop::sample::select(vec![
                    ("length", 1),
                    ("arrayUnique", 1),
                    ("toBase64", 1),
                    ("jsonToString", 1),
                    ("mapKeys", 1),
                    ("mapValues", 1),
                    ("stringToJson", 1),
                    ("fromBase64", 1),
                    ("arrayContains", 2),
                    ("get", 2),
                    ("intAdd", 2),
                    ("split", 2),
                    ("jsonMerge", 2),
                    ("hash", 2),
                    ("regexMatchString", 2),
                    ("randomInt", 2),
                    ("format", 1),
                    ("format", 3),
                    ("toArray", 0),
                    ("toArray", 3),
                ]),
                prop::collection::vec(inner.clone(), 3),
            )
                .prop_map(|((f, arity), args)| format!("{f}({})", args[..arity].join(", "))),
            (inner.clone(), "[a-z]{1,3}").prop_map(|(a, f)| format!("({a}).{f}")),
        ]
    })
}

fn scope() -> HashMap<Var, Value> {
    HashMap::from([
        (
            Var::Input,
            json!({"a": [1, "x", {"b": true}], "s": "abc", "n": 3, "o": {"k": 1}}),
        ),
        (Var::Output, json!({"out": [1.5, 2]})),
        (Var::Context, json!({"Execution": {"Name": "e"}})),
        (Var::Global, json!({"g": "G"})),
        (Var::Item, json!(7)),
    ])
}

proptest! {
    #![proptest_config(cfg(256))]

    /// Generated well-formed expressions parse, and evaluate without panicking (against a full
    /// scope and an empty one).
    #[test]
    fn well_formed_expressions_parse_and_evaluate(src in expr()) {
        let e = Expr::parse(&src);
        prop_assert!(e.is_ok(), "{src}: {:?}", e.err());
        let e = e.unwrap();
        let _ = e.eval(&scope());
        let _ = e.eval(&HashMap::<Var, Value>::new());
    }
}
