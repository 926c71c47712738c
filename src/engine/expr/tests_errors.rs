//! Tests for parse errors (messages and character offsets) and for the parse-time limits:
//! call nesting (10), overall nesting (64), and flat chains that must not count as nesting.

use serde_json::{json, Value};

use super::tests_syntax::{ev, perr};
use super::Expr;

#[test]
fn parse_errors() {
    let e = perr("foo(1)");
    assert_eq!(e.offset, 0);
    assert!(e.message.contains("unknown function 'foo'"), "{e}");
    assert_eq!(e.to_string(), "unknown function 'foo' (at offset 0)");
    let e = perr(r#"hash("abc")"#);
    assert!(
        e.message.contains("'hash' expects 2 arguments, got 1"),
        "{e}"
    );
    assert!(perr("uuid(1)")
        .message
        .contains("expects 0 arguments, got 1"));
    assert!(perr("length(1, 2)")
        .message
        .contains("expects 1 argument, got 2"));
    assert!(perr("format()").message.contains("at least 1"));
    let e = perr(r#"$Input.a == "oops"#);
    assert!(e.message.contains("unterminated string"), "{e}");
    assert_eq!(e.offset, 12);
    assert!(perr("'abc").message.contains("unterminated string"));
    assert!(perr("`abc").message.contains("unterminated string"));
    assert!(perr(r#""abc\"#).message.contains("unterminated string"));
    let e = perr("$Input.a )");
    assert!(e.message.contains("unexpected ')' after the end"), "{e}");
    assert_eq!(e.offset, 9);
    assert!(perr("1 2").message.contains("after the end"));
    assert!(perr("true false").message.contains("after the end"));
    let e = perr("$Unknown.x");
    assert!(e.message.contains("unknown variable '$Unknown'"), "{e}");
    assert!(perr("$input.x").message.contains("unknown variable"));
    assert_eq!(perr("").message, "empty expression");
    assert_eq!(perr("   ").offset, 3);
    assert!(perr("$").message.contains("variable name"));
    assert!(perr("a == 1").message.contains("unexpected name 'a'"));
    assert!(perr("1 = 1").message.contains("did you mean '=='"));
    assert!(perr("true & false").message.contains("did you mean '&&'"));
    assert!(perr("true | false").message.contains("did you mean '||'"));
    assert!(perr(r#""\x""#).message.contains("invalid escape"));
    assert!(perr(r#""\u12""#).message.contains("\\u escape"));
    assert!(perr(r#""\ud800""#).message.contains("surrogate"));
    assert!(perr("1 < 2 < 3").message.contains("cannot be chained"));
    assert!(perr(r#"{"a": 1, "a": 2}"#)
        .message
        .contains("duplicate object key"));
    assert!(perr("{a: 1}")
        .message
        .contains("object keys must be string literals"));
    assert!(perr("$Input.a[-1]").message.contains("index"));
    assert!(perr("$Input.a[1.5]")
        .message
        .contains("non-negative integer"));
    assert!(perr("$Input.a[$Input.n]").message.contains("inside '[]'"));
    assert!(perr("$Input.").message.contains("field name after '.'"));
    assert!(perr("$Input. a").message.contains("field name after '.'"));
    assert!(perr("[1,]").message.contains("expected a value"));
    assert!(perr("[1 2]").message.contains("expected ']' or ','"));
    assert!(perr("(1").message.contains("expected ')'"));
    assert!(perr("length(1").message.contains("expected ')' or ','"));
    assert!(perr("1e").message.contains("exponent"));
    assert!(perr("12abc").message.contains("invalid number"));
    assert!(perr("1e999").message.contains("out of range"));
    assert!(perr("#").message.contains("unexpected character"));
    assert!(perr("==").message.contains("expected a value"));
    assert!(perr("!").message.contains("end of input"));
    // Offsets are in characters, not bytes.
    assert_eq!(perr(r#""中文" == $Nope"#).offset, 8);
}

fn nested_calls(depth: usize) -> String {
    format!("{}[1]{}", "length(".repeat(depth), ")".repeat(depth))
}

#[test]
fn call_nesting_limit() {
    // length([1]) is 1, and length(1) would fail at eval time, so nest through toArray.
    let ok = format!("{}1{}", "toArray(".repeat(10), ")".repeat(10));
    assert_eq!(ev(&format!("length({})", &ok[8..ok.len() - 1])), json!(1));
    assert!(Expr::parse(&nested_calls(10)).is_ok());
    let e = perr(&nested_calls(11));
    assert!(e.message.contains("nested more than 10 deep"), "{e}");
    assert_eq!(e.offset, 70);
    // Arrays between calls do not reset the count.
    let mixed = format!("{}1{}", "toArray([".repeat(11), "])".repeat(11));
    assert!(perr(&mixed).message.contains("nested more than 10 deep"));
    // Sibling calls are not nesting.
    assert!(Expr::parse(&format!("toArray({})", vec!["uuid()"; 50].join(", "))).is_ok());
}

#[test]
fn overall_nesting_limit() {
    let parens = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(ev(&parens(64)), json!(1));
    assert!(perr(&parens(65)).message.contains("nested too deeply"));
    let arrays = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(Expr::parse(&arrays(64)).is_ok());
    assert!(perr(&arrays(65)).message.contains("nested too deeply"));
    assert!(perr(&"[".repeat(100_000))
        .message
        .contains("nested too deeply"));
    assert!(perr(&"!".repeat(100_000))
        .message
        .contains("nested too deeply"));
    assert_eq!(ev(&format!("{}true", "!".repeat(64))), json!(true));
    let objects = format!("{}1{}", "{'a':".repeat(64), "}".repeat(64));
    assert!(Expr::parse(&objects).is_ok());
    // Deep but legal nesting of non-constant values evaluates (63 levels).
    let deep = format!("{}$Input.n{}", "[{'a': (".repeat(21), ")}]".repeat(21));
    let mut v = ev(&deep);
    for _ in 0..21 {
        v = v[0]["a"].clone();
    }
    assert_eq!(v, json!(1));
    // Long flat chains are not nesting and evaluate without deep recursion.
    let chain = vec!["true"; 20_000].join(" && ");
    assert_eq!(ev(&chain), json!(true));
    let path = format!("$Input{}", ".a".repeat(20_000));
    assert_eq!(ev(&path), Value::Null);
}
