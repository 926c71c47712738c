//! Tests for literals, paths, operators, precedence, evaluation semantics and parse errors.
//! Also holds the small helpers (`scope`, `ev`, `ev_err`, `perr`) shared by the other tests.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use super::{looks_like_expression, Expr, ParseError, Var};

pub(super) fn scope() -> HashMap<Var, Value> {
    HashMap::from([
        (
            Var::Input,
            json!({
                "status": "ready", "data": "ready", "n": 1, "f": 1.0, "t": true, "s": "x",
                "a": {"b": [10, 20, {"c": "deep"}]}, "field-name": 5, "中文": "ok", "timeout": 30
            }),
        ),
        (
            Var::Output,
            json!({"output": {"choices": [{"message": {"content": "hi"}}]},
                   "Body": {"videoContent": "v"}}),
        ),
        (
            Var::Context,
            json!({"Execution": {"Input": {"videoUrl": "u"}},
                   "Current": {"Input": {"Size": 2048}}}),
        ),
        (Var::Global, json!({"g": 1})),
    ])
}

pub(super) fn ev(src: &str) -> Value {
    let e = Expr::parse(src).unwrap_or_else(|e| panic!("parse {src:?}: {e}"));
    e.eval(&scope())
        .unwrap_or_else(|e| panic!("eval {src:?}: {e}"))
}

pub(super) fn ev_err(src: &str) -> String {
    let e = Expr::parse(src).unwrap_or_else(|e| panic!("parse {src:?}: {e}"));
    match e.eval(&scope()) {
        Ok(v) => panic!("eval {src:?} should fail, got {v}"),
        Err(e) => e.0,
    }
}

pub(super) fn perr(src: &str) -> ParseError {
    match Expr::parse(src) {
        Ok(e) => panic!("parse {src:?} should fail, got {e:?}"),
        Err(e) => e,
    }
}

#[test]
fn string_literal_forms() {
    assert_eq!(ev(r#""foobar""#), json!("foobar"));
    assert_eq!(ev("'foobar'"), json!("foobar"));
    assert_eq!(ev("`foobar`"), json!("foobar"));
    assert_eq!(
        ev(r#""a\"b\\c\/d\n\t\r\b\f""#),
        json!("a\"b\\c/d\n\t\r\u{8}\u{c}")
    );
    assert_eq!(ev(r#""\u0041\u00e9\ud83d\ude00""#), json!("Aé😀"));
    // Raw forms keep backslashes and may contain the other quote characters.
    assert_eq!(ev(r"'a\nb'"), json!("a\\nb"));
    assert_eq!(ev(r#"`say "hi" it's`"#), json!("say \"hi\" it's"));
    assert_eq!(ev(r#"'{"name": "Tom"}'"#), json!("{\"name\": \"Tom\"}"));
    assert_eq!(ev(r#""""#), json!(""));
}

#[test]
fn number_and_keyword_literals() {
    assert_eq!(ev("1"), json!(1));
    assert_eq!(ev("12.5"), json!(12.5));
    assert_eq!(ev("-3"), json!(-3));
    assert_eq!(ev("- 3"), json!(-3));
    assert_eq!(ev("--3"), json!(3));
    assert_eq!(ev("1e3"), json!(1000.0));
    assert_eq!(ev("2.5E-1"), json!(0.25));
    assert_eq!(ev("18446744073709551615"), json!(18446744073709551615u64));
    assert_eq!(ev("-9223372036854775808"), json!(i64::MIN));
    assert_eq!(ev("true"), json!(true));
    assert_eq!(ev("false"), json!(false));
    assert_eq!(ev("null"), Value::Null);
}

#[test]
fn array_and_object_literals() {
    assert_eq!(
        ev(r#"["Tom", 10, -1, [], {}]"#),
        json!(["Tom", 10, -1, [], {}])
    );
    assert_eq!(
        ev(r#"{"name": "Tom", 'k2': [1], `k3`: {"x": null}}"#),
        json!({"name": "Tom", "k2": [1], "k3": {"x": null}})
    );
    assert_eq!(
        ev(r#"{"s": $Input.status, "l": [$Input.n, $Global.g]}"#),
        json!({"s": "ready", "l": [1, 1]})
    );
    assert_eq!(ev("[]"), json!([]));
}

#[test]
fn paths() {
    assert_eq!(ev("$Output.output.choices[0].message.content"), json!("hi"));
    assert_eq!(ev("$Output.Body.videoContent"), json!("v"));
    assert_eq!(ev("$Context.Execution.Input.videoUrl"), json!("u"));
    assert_eq!(ev("$Input.a.b[2].c"), json!("deep"));
    assert_eq!(ev("$Input.a.b[1]"), json!(20));
    assert_eq!(ev("$Input.field-name"), json!(5));
    assert_eq!(ev(r#"$Input["field-name"]"#), json!(5));
    assert_eq!(ev("$Input['a'].b[0]"), json!(10));
    assert_eq!(ev("$Input.中文"), json!("ok"));
    assert_eq!(ev("$Input .a .b [ 0 ]"), json!(10));
    assert_eq!(ev("$Global"), json!({"g": 1}));
    // Missing fields, out-of-range indexes and steps on scalars are null, not errors.
    assert_eq!(ev("$Input.missing"), Value::Null);
    assert_eq!(ev("$Input.missing.deeper[3]"), Value::Null);
    assert_eq!(ev("$Input.a.b[99]"), Value::Null);
    assert_eq!(ev("$Input.s.length"), Value::Null);
    assert_eq!(ev("$Input.a[0]"), Value::Null);
    assert_eq!(ev("$Input.a.b.c"), Value::Null);
    // Paths apply to any primary.
    assert_eq!(ev(r#"[1, [2, 3]][1][0]"#), json!(2));
    assert_eq!(ev(r#"stringToJson('{"a": {"b": 7}}').a.b"#), json!(7));
    assert_eq!(ev(r#"({"k": $Input.n}).k"#), json!(1));
}

#[test]
fn unavailable_variable_is_eval_error() {
    assert_eq!(ev_err("$Item"), "variable $Item is not available here");
    assert_eq!(
        ev_err("$Item.x == 1"),
        "variable $Item is not available here"
    );
    let only_item = HashMap::from([(Var::Item, json!({"id": 3}))]);
    assert_eq!(
        Expr::parse("$Item.id").unwrap().eval(&only_item).unwrap(),
        json!(3)
    );
}

#[test]
fn comparisons() {
    assert_eq!(ev(r#"$Input.status == "ready""#), json!(true));
    assert_eq!(ev(r#"$Input.data=="ready""#), json!(true));
    assert_eq!(ev(r#"$Input.status != "ready""#), json!(false));
    assert_eq!(ev("$Context.Current.Input.Size>=1024"), json!(true));
    assert_eq!(ev("$Context.Current.Input.Size > 2048"), json!(false));
    assert_eq!(ev("$Context.Current.Input.Size <= 2048"), json!(true));
    assert_eq!(ev("$Context.Current.Input.Size < 2048"), json!(false));
    assert_eq!(ev("1 == 1.0"), json!(true));
    assert_eq!(ev("$Input.n == $Input.f"), json!(true));
    assert_eq!(ev("1 != 1.0"), json!(false));
    assert_eq!(ev("2 > 1.5"), json!(true));
    assert_eq!(ev("-1 < 0.5"), json!(true));
    assert_eq!(
        ev("18446744073709551615 > 9223372036854775807"),
        json!(true)
    );
    assert_eq!(ev("12.5 >= 12.5"), json!(true));
    assert_eq!(ev(r#""a" < "b""#), json!(true));
    assert_eq!(ev(r#""B" < "a""#), json!(true));
    assert_eq!(ev(r#""abc" > "ab""#), json!(true));
    // Deep equality on any values; different types are unequal, not errors.
    assert_eq!(
        ev(r#"[1, {"a": 2, "b": [3]}] == [1.0, {"b": [3], "a": 2}]"#),
        json!(true)
    );
    assert_eq!(ev(r#"{"a": 1} == {"a": 1, "b": 2}"#), json!(false));
    assert_eq!(ev(r#"1 == "1""#), json!(false));
    assert_eq!(ev("null == null"), json!(true));
    assert_eq!(ev("$Input.missing == null"), json!(true));
    assert_eq!(ev("true != false"), json!(true));
    // Ordering between non-comparable types is an error.
    assert!(ev_err(r#"1 < "2""#).contains("cannot compare number with string using '<'"));
    assert!(ev_err("true > false").contains("cannot compare boolean with boolean"));
    assert!(ev_err("null >= 1").contains("'>='"));
    assert!(ev_err("[1] <= [2]").contains("array"));
}

#[test]
fn logical_operators() {
    for (a, b) in [(true, true), (true, false), (false, true), (false, false)] {
        assert_eq!(ev(&format!("{a} && {b}")), json!(a && b));
        assert_eq!(ev(&format!("{a} || {b}")), json!(a || b));
    }
    assert_eq!(ev("!true"), json!(false));
    assert_eq!(ev("!false"), json!(true));
    assert_eq!(ev("!!true"), json!(true));
    assert_eq!(ev("true && true && false"), json!(false));
    assert_eq!(ev("false || false || true"), json!(true));
    assert!(ev_err("1 && true").contains("operator '&&' expects boolean operands, got number"));
    assert!(ev_err("false || 'x'").contains("operator '||' expects boolean operands, got string"));
    assert!(ev_err("true && null").contains("got null"));
    assert!(ev_err("!1").contains("operator '!' expects a boolean, got number"));
    assert!(ev_err("-'x'").contains("operator '-' expects a number, got string"));
    assert_eq!(ev("-$Input.n"), json!(-1));
}

#[test]
fn short_circuit() {
    // $Item is not in the scope: evaluating it would fail.
    assert_eq!(ev("false && $Item == 1"), json!(false));
    assert_eq!(ev("true || $Item == 1"), json!(true));
    assert_eq!(ev("false && 1"), json!(false));
    assert_eq!(ev("true || 'not a bool'"), json!(true));
    assert_eq!(
        ev_err("true && $Item == 1"),
        "variable $Item is not available here"
    );
    assert_eq!(
        ev_err("false || $Item == 1"),
        "variable $Item is not available here"
    );
}

#[test]
fn precedence() {
    // `&&` binds tighter than `||`.
    assert_eq!(ev("true || false && false"), json!(true));
    assert_eq!(ev("false && false || true"), json!(true));
    assert_eq!(ev("(true || false) && false"), json!(false));
    assert_eq!(ev("false && (false || true)"), json!(false));
    // Comparisons bind tighter than `&&`/`||`.
    assert_eq!(ev("1 < 2 && 2 < 3"), json!(true));
    assert_eq!(ev(r#"$Input.n == 2 || $Input.s == "x""#), json!(true));
    // `!` binds tighter than comparisons: `!$Input.n == 1` is `(!1) == 1`, an error.
    assert!(ev_err("!$Input.n == 1").contains("operator '!'"));
    assert_eq!(ev("!($Input.n == 1)"), json!(false));
    assert_eq!(ev("!$Input.t == false"), json!(true));
    assert_eq!(ev("((((1))))"), json!(1));
}

#[test]
fn whitespace_is_insignificant() {
    assert_eq!(ev("  $Input.s   ==\n\t'x'  "), json!(true));
    assert_eq!(ev("length( [ 1 ,2 ] )"), json!(2));
    assert_eq!(ev("{ 'a' : 1 }"), json!({"a": 1}));
}

#[test]
fn variables_and_source() {
    let e = Expr::parse("$Input.a == $Context.b && uuid() != $Global.x.y[0]").unwrap();
    assert_eq!(
        e.variables(),
        BTreeSet::from([Var::Input, Var::Context, Var::Global])
    );
    assert_eq!(
        e.source(),
        "$Input.a == $Context.b && uuid() != $Global.x.y[0]"
    );
    assert_eq!(e.to_string(), e.source());
    assert!(Expr::parse("format('{}', 1)")
        .unwrap()
        .variables()
        .is_empty());
    assert_eq!(
        Expr::parse("$Item").unwrap().variables(),
        BTreeSet::from([Var::Item])
    );
    assert_eq!(
        Expr::parse("false && $Output.x").unwrap().variables(),
        BTreeSet::from([Var::Output])
    );
    let e2 = e.clone();
    assert_eq!(e, e2);
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Expr>();
    assert_eq!(Var::Output.to_string(), "$Output");
    assert_eq!(Var::from_name("Item"), Some(Var::Item));
}

#[test]
fn expression_candidates() {
    for yes in [
        "$Input.x",
        "  $Context",
        "uuid()",
        "format ('{}', 1)",
        "mapKeys($Input)",
    ] {
        assert!(looks_like_expression(yes), "{yes}");
    }
    for no in [
        "hello",
        "hello world(x)",
        "",
        "(a)",
        "1abc(",
        "a.b(",
        "¥(",
        "plain text",
    ] {
        assert!(!looks_like_expression(no), "{no}");
    }
}

#[test]
fn documented_examples_from_the_fdl_reference() {
    assert_eq!(ev("$Input.timeout"), json!(30));
    assert_eq!(ev("$Context.Current.Input"), json!({"Size": 2048}));
    let e = Expr::parse("uuid()").unwrap();
    assert!(e.variables().is_empty());
    assert_eq!(
        e.eval(&HashMap::<Var, Value>::new())
            .unwrap()
            .as_str()
            .map(str::len),
        Some(36)
    );
}
