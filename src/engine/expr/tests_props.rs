//! Property tests: parsing arbitrary text or arbitrary sequences of expression-like tokens
//! never panics, and evaluating anything that parses never panics (with a full scope and with
//! an empty one). Also fuzzes the regex engine and checks a few algebraic properties.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::regex::is_match;
use super::tests_syntax::scope;
use super::{Expr, Var};

const TOKENS: &[&str] = &[
    "$Input",
    "$Output",
    "$Context",
    "$Global",
    "$Item",
    "$Nope",
    "$",
    ".a",
    ".b",
    ".status",
    ".output",
    ".choices",
    ".中文",
    ".field-name",
    ".",
    "[0]",
    "[1]",
    "[99]",
    "['a']",
    "[-1]",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "==",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "&&",
    "||",
    "!",
    "-",
    "=",
    "&",
    "|",
    "0",
    "1",
    "1.0",
    "-2",
    "1e3",
    "1e",
    "18446744073709551615",
    "1e999",
    "\"s\"",
    "\"a\\nb\"",
    "\"\\u00e9\"",
    "\"\\ud800\"",
    "\"",
    "'k'",
    "'",
    "`b`",
    "`",
    "true",
    "false",
    "null",
    "foo",
    "length",
    "format",
    "hash",
    "toArray",
    "uuid",
    "get",
    "split",
    "arrayContains",
    "arrayUnique",
    "jsonMerge",
    "stringToJson",
    "fromJSON",
    "jsonToString",
    "toBase64",
    "fromBase64",
    "mapKeys",
    "mapValues",
    "intAdd",
    "randomInt",
    "regexMatchString",
    "\"MD5\"",
    "'SHA-512'",
    "'{}'",
    "'{\"a\": [1]}'",
    "'[a-'",
    "'(a*)*'",
    "'^\\\\d+$'",
    "'Rm5G'",
    "'{'",
    "#",
    " ",
    "\n",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS), prop::bool::ANY), 0..40).prop_map(
        |parts| {
            parts
                .into_iter()
                .map(|(t, space)| {
                    if space {
                        format!("{t} ")
                    } else {
                        t.to_string()
                    }
                })
                .collect()
        },
    )
}

/// Builds syntactically valid expressions (of bounded depth) so evaluation gets exercised.
fn valid_expr() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "$Input.n",
        "$Input.s",
        "$Input.a.b[2].c",
        "$Input.missing",
        "$Input",
        "$Global.g",
        "$Output.output.choices[0].message.content",
        "$Item.x",
        "1",
        "1.5",
        "-2",
        "'x'",
        "\"\"",
        "true",
        "false",
        "null",
        "[1, 'a']",
        "{'k': 1}",
        "uuid()",
        "'Rm5G'",
        "'a,b'",
    ])
    .prop_map(str::to_string);
    leaf.prop_recursive(4, 48, 3, |inner| {
        let unary = (prop::sample::select(vec!["!", "-", ""]), inner.clone())
            .prop_map(|(op, e)| format!("{op}({e})"));
        let binary = (
            inner.clone(),
            prop::sample::select(vec!["==", "!=", "<", ">=", "&&", "||"]),
            inner.clone(),
        )
            .prop_map(|(a, op, b)| format!("({a}) {op} ({b})"));
        let call1 = (
            prop::sample::select(vec![
                "length",
                "arrayUnique",
                "fromBase64",
                "toBase64",
                "stringToJson",
                "jsonToString",
                "mapKeys",
                "mapValues",
                "toArray",
                "format",
            ]),
            inner.clone(),
        )
            .prop_map(|(f, e)| format!("{f}({e})"));
        let call2 = (
            prop::sample::select(vec![
                "arrayContains",
                "hash",
                "jsonMerge",
                "get",
                "intAdd",
                "randomInt",
                "regexMatchString",
                "split",
                "format",
                "toArray",
            ]),
            inner.clone(),
            inner.clone(),
        )
            .prop_map(|(f, a, b)| format!("{f}({a}, {b})"));
        let collection = prop::collection::vec(inner, 0..3).prop_map(|items| {
            let body: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, e)| format!("'k{i}': {e}"))
                .collect();
            format!("[[{}], {{{}}}]", items.join(", "), body.join(", "))
        });
        prop_oneof![unary, binary, call1, call2, collection]
    })
}

fn check_no_panic(src: &str) {
    if let Ok(expr) = Expr::parse(src) {
        let _ = expr.eval(&scope());
        let _ = expr.eval(&HashMap::<Var, Value>::new());
        let _ = expr.variables();
        assert_eq!(expr.source(), src);
        assert_eq!(Expr::parse(expr.source()).as_ref(), Ok(&expr));
    }
}

proptest! {
    // 512 cases by default; a larger PROPTEST_CASES from the environment wins.
    #![proptest_config(ProptestConfig {
        cases: ProptestConfig::default().cases.max(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_arbitrary_strings_never_panics(src in any::<String>()) {
        check_no_panic(&src);
    }

    #[test]
    fn parse_expression_alphabet_never_panics(
        src in "[$a-zA-Z0-9_.()\\[\\]{},:\"'`!=<>&| \\\\-]{0,80}"
    ) {
        check_no_panic(&src);
    }

    #[test]
    fn parse_token_soup_never_panics(src in token_soup()) {
        check_no_panic(&src);
    }

    #[test]
    fn valid_expressions_parse_and_evaluate_without_panicking(src in valid_expr()) {
        let expr = Expr::parse(&src);
        prop_assert!(expr.is_ok(), "{src}: {:?}", expr);
        check_no_panic(&src);
    }

    #[test]
    fn deep_random_brackets_never_panic(
        open in prop::collection::vec(prop::sample::select(vec!["(", "[", "!", "-", "{'a':", "length(", "toArray("]), 0..200),
    ) {
        let src = format!("{}1", open.concat());
        check_no_panic(&src);
    }

    #[test]
    fn regex_never_panics(pattern in "[a-c.*+?|()\\[\\]{}^$\\\\0-9,dwsbB:-]{0,24}", text in "[a-c0-9 \\n-]{0,24}") {
        let _ = is_match(&pattern, &text);
    }

    #[test]
    fn equality_is_reflexive_and_matches_ne(n in any::<i64>(), f in any::<f64>().prop_filter("finite", |f| f.is_finite()), s in ".{0,8}") {
        let lit = json!([n, f, s, {"k": [n]}]).to_string();
        let eq = Expr::parse(&format!("{lit} == {lit}")).unwrap().eval(&scope()).unwrap();
        prop_assert_eq!(eq, json!(true));
        let ne = Expr::parse(&format!("{lit} != {lit}")).unwrap().eval(&scope()).unwrap();
        prop_assert_eq!(ne, json!(false));
    }

    #[test]
    fn string_literals_round_trip(s in ".{0,16}") {
        let src = serde_json::to_string(&s).unwrap();
        let v = Expr::parse(&src).unwrap().eval(&scope()).unwrap();
        prop_assert_eq!(v, Value::String(s));
    }
}
