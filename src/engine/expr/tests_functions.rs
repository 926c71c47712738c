//! Tests for every built-in function (documented examples plus error cases) and for the
//! regular-expression engine behind `regexMatchString`.

use serde_json::{json, Value};

use super::functions::Func;
use super::regex::is_match;
use super::tests_syntax::{ev, ev_err, perr};
use super::Expr;

#[test]
fn every_function_is_registered_with_its_exact_name() {
    for f in Func::ALL {
        assert_eq!(Func::lookup(f.name()), Some(*f));
    }
    assert_eq!(Func::ALL.len(), 20);
    assert_eq!(Func::lookup("Length"), None);
    assert!(perr("ArrayContains([1], 1)")
        .message
        .contains("unknown function"));
}

#[test]
fn array_contains() {
    assert_eq!(ev(r#"arrayContains(["Tom",10],10)"#), json!(true));
    assert_eq!(ev(r#"arrayContains(["Tom",10],"Jack")"#), json!(false));
    assert_eq!(ev("arrayContains([1, [2]], [2.0])"), json!(true));
    assert_eq!(ev("arrayContains($Input.a.b, 20)"), json!(true));
    assert!(ev_err("arrayContains('abc', 'a')").contains("argument 1 must be an array"));
    assert!(perr("arrayContains([1])")
        .message
        .contains("expects 2 arguments"));
}

#[test]
fn array_unique() {
    assert_eq!(ev("arrayUnique([1, 2, 3, 1])"), json!([1, 2, 3]));
    assert_eq!(
        ev(r#"arrayUnique([1, 1.0, "1", {"a": 1}, {"a": 1}])"#),
        json!([1, "1", {"a": 1}])
    );
    assert_eq!(ev("arrayUnique([])"), json!([]));
    assert!(ev_err("arrayUnique({})").contains("arrayUnique: argument 1 must be an array"));
}

#[test]
fn format_fn() {
    assert_eq!(ev(r#"format("hello {}","world")"#), json!("hello world"));
    assert_eq!(ev(r#"format('Hello, {}', $Input.s)"#), json!("Hello, x"));
    assert_eq!(
        ev(r#"format("{}-{}-{}-{}", 1, 2.5, {"a": [true, null]}, null)"#),
        json!(r#"1-2.5-{"a":[true,null]}-null"#)
    );
    assert_eq!(ev(r#"format("no placeholders")"#), json!("no placeholders"));
    assert_eq!(ev(r#"format("{}", "a", "extra ignored")"#), json!("a"));
    assert!(ev_err(r#"format("{} {}", 1)"#).contains("more '{}' placeholders than arguments"));
    assert!(ev_err("format(1)").contains("argument 1 must be a string"));
}

#[test]
fn base64_fns() {
    assert_eq!(ev(r#"fromBase64("Rm5G")"#), json!("FnF"));
    assert_eq!(ev(r#"fromBase64("aGk")"#), json!("hi"));
    assert_eq!(ev(r#"fromBase64("aGk=")"#), json!("hi"));
    assert_eq!(ev(r#"toBase64("FnF")"#), json!("Rm5G"));
    assert_eq!(ev(r#"toBase64("hi")"#), json!("aGk="));
    assert_eq!(ev(r#"fromBase64(toBase64("云工作流"))"#), json!("云工作流"));
    assert!(ev_err(r#"fromBase64("not base64!")"#).contains("invalid base64"));
    assert!(ev_err(r#"fromBase64("/w==")"#).contains("not valid UTF-8"));
    assert!(ev_err("fromBase64(1)").contains("must be a string"));
    assert!(ev_err("toBase64([1])").contains("toBase64: argument 1 must be a string"));
}

#[test]
fn json_fns() {
    assert_eq!(
        ev(r#"stringToJson('{"name": "Tom", "age": 10}')"#),
        json!({"name": "Tom", "age": 10})
    );
    assert_eq!(
        ev(r#"fromJSON('{"name": "Tom", "age": 10}')"#),
        json!({"name": "Tom", "age": 10})
    );
    assert_eq!(ev("stringToJson('[1, 2]')"), json!([1, 2]));
    assert!(ev_err("stringToJson('{bad')").contains("stringToJson: invalid JSON"));
    assert!(ev_err("stringToJson(1)").contains("must be a string"));
    let deep = format!(
        "stringToJson('{}{}')",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(ev_err(&deep).contains("invalid JSON"));
    assert_eq!(
        ev(r#"jsonToString({"a": [1, "x"]})"#),
        json!(r#"{"a":[1,"x"]}"#)
    );
    assert_eq!(ev(r#"jsonToString("x")"#), json!(r#""x""#));
    assert_eq!(ev("jsonToString(null)"), json!("null"));
    assert_eq!(
        ev("stringToJson(jsonToString($Input.a))"),
        json!({"b": [10, 20, {"c": "deep"}]})
    );
    assert!(perr("jsonToString()")
        .message
        .contains("expects 1 argument, got 0"));
}

#[test]
fn hash_fn() {
    assert_eq!(
        ev(r#"hash("abc","MD5")"#),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
    assert_eq!(
        ev(r#"hash("abc","SHA-1")"#),
        json!("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    assert_eq!(
        ev(r#"hash("abc","SHA-256")"#),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        ev(r#"hash("abc","SHA-512")"#),
        json!(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        )
    );
    assert_eq!(
        ev(r#"hash("abc","md5")"#),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
    assert!(ev_err(r#"hash("abc","SHA-3")"#).contains("unsupported algorithm \"SHA-3\""));
    assert!(ev_err(r#"hash(1,"MD5")"#).contains("hash: argument 1 must be a string"));
    assert!(ev_err(r#"hash("a", 5)"#).contains("argument 2 must be a string"));
}

#[test]
fn json_merge() {
    let v = ev(r#"jsonMerge({"name": "Tom", "age": 10},{"name": "Tom", "address": "beijing"})"#);
    assert_eq!(v, json!({"name": "Tom", "age": 10, "address": "beijing"}));
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["name", "age", "address"]);
    assert_eq!(
        ev(r#"jsonMerge({"a": {"x": 1}, "b": 1}, {"a": {"y": 2}})"#),
        json!({"a": {"y": 2}, "b": 1})
    );
    assert!(ev_err(r#"jsonMerge({}, [1])"#).contains("argument 2 must be an object"));
}

#[test]
fn length_fn() {
    assert_eq!(ev("length([1, 2, 3])"), json!(3));
    assert_eq!(ev(r#"length({"name": "Tom", "age": 10})"#), json!(2));
    assert_eq!(ev(r#"length("name")"#), json!(4));
    assert_eq!(ev(r#"length("云工作流")"#), json!(4));
    assert_eq!(ev("length($Output.output.choices)"), json!(1));
    assert!(ev_err("length(1)").contains("length: argument 1 must be an array, object or string"));
    assert!(ev_err("length($Input.missing)").contains("got null"));
}

#[test]
fn map_fns() {
    assert_eq!(ev(r#"mapKeys({"b": 1, "a": 2})"#), json!(["b", "a"]));
    assert_eq!(ev(r#"mapValues({"b": 1, "a": [2]})"#), json!([1, [2]]));
    assert_eq!(ev("mapKeys({})"), json!([]));
    assert!(ev_err("mapKeys([1])").contains("mapKeys: argument 1 must be an object"));
    assert!(ev_err("mapValues('x')").contains("mapValues: argument 1 must be an object"));
}

#[test]
fn get_fn() {
    assert_eq!(ev("get([1, 2], 1)"), json!(2));
    assert_eq!(ev("get([1, 2], 1.0)"), json!(2));
    assert_eq!(ev("get([1], 5)"), Value::Null);
    assert_eq!(ev(r#"get({"a": 1}, "a")"#), json!(1));
    assert_eq!(ev(r#"get({"a": 1}, "z")"#), Value::Null);
    assert_eq!(ev(r#"get($Input, "field-name")"#), json!(5));
    assert!(ev_err("get(1, 1)").contains("argument 1 must be an array or object"));
    assert!(ev_err(r#"get([1], "a")"#).contains("argument 2 must be an integer"));
    assert!(ev_err("get([1], -1)").contains("negative"));
    assert!(ev_err(r#"get({"a": 1}, 1)"#).contains("argument 2 must be a string"));
}

#[test]
fn int_add() {
    assert_eq!(ev("intAdd(1, 2)"), json!(3));
    assert_eq!(ev("intAdd(-5, 2)"), json!(-3));
    assert_eq!(ev("intAdd(2.0, 3)"), json!(5));
    assert_eq!(
        ev("intAdd(9223372036854775807, 1)"),
        json!(9223372036854775808u64)
    );
    assert!(ev_err("intAdd(1.5, 1)").contains("argument 1 must be an integer"));
    assert!(ev_err(r#"intAdd(1, "2")"#).contains("argument 2 must be an integer, got string"));
    assert!(ev_err("intAdd(18446744073709551615, 1)").contains("overflow"));
}

#[test]
fn random_int() {
    for _ in 0..50 {
        let v = ev("randomInt(1, 3)").as_i64().unwrap();
        assert!((1..3).contains(&v), "{v}");
    }
    assert_eq!(ev("randomInt(5, 6)"), json!(5));
    assert_eq!(ev("randomInt(-3, -2)"), json!(-3));
    assert!(ev_err("randomInt(3, 3)").contains("must be less than max"));
    assert!(ev_err("randomInt('a', 1)").contains("must be an integer"));
}

#[test]
fn regex_match_string() {
    assert_eq!(ev(r"regexMatchString('^a+b$', 'aaab')"), json!(true));
    assert_eq!(ev(r"regexMatchString('\d{3}', 'ab123')"), json!(true));
    assert_eq!(ev(r"regexMatchString('^\d{3}$', '1234')"), json!(false));
    assert_eq!(
        ev(r#"regexMatchString("^[a-z]+@[a-z]+\\.com$", "tom@ali.com")"#),
        json!(true)
    );
    assert!(ev_err("regexMatchString('(', 'x')").contains("invalid regular expression"));
    assert!(ev_err("regexMatchString(1, 'x')").contains("argument 1 must be a string"));
}

#[test]
fn split_fn() {
    assert_eq!(ev(r#"split("a,b,c", ",")"#), json!(["a", "b", "c"]));
    assert_eq!(ev(r#"split("a::b", "::")"#), json!(["a", "b"]));
    assert_eq!(ev(r#"split("a,", ",")"#), json!(["a", ""]));
    assert_eq!(ev(r#"split("abc", "")"#), json!(["a", "b", "c"]));
    assert_eq!(ev(r#"split("", ",")"#), json!([""]));
    assert!(ev_err(r#"split(1, ",")"#).contains("split: argument 1 must be a string"));
}

#[test]
fn to_array() {
    assert_eq!(
        ev(r#"toArray(1, "a", [2], $Input.n)"#),
        json!([1, "a", [2], 1])
    );
    assert_eq!(ev("toArray()"), json!([]));
    assert!(perr("toArray(1,)").message.contains("expected a value"));
}

#[test]
fn uuid_fn() {
    let a = ev("uuid()");
    let b = ev("uuid()");
    let s = a.as_str().unwrap();
    assert_eq!(s.len(), 36);
    assert_eq!(s.as_bytes()[14], b'4');
    assert_eq!(s, s.to_lowercase());
    assert_ne!(a, b);
    assert!(perr("uuid(1)")
        .message
        .contains("'uuid' expects 0 arguments, got 1"));
}

#[test]
fn functions_compose() {
    assert_eq!(
        ev(r#"length(arrayUnique(split(format("{},{},{}", "a", "b", "a"), ",")))"#),
        json!(2)
    );
    assert_eq!(ev("arrayContains(mapKeys($Input), 'status')"), json!(true));
    assert_eq!(
        ev("length(uuid()) == 36 && hash('', 'MD5') != ''"),
        json!(true)
    );
    let e = Expr::parse("format('{}', $Output.Body.videoContent)").unwrap();
    assert_eq!(e.eval(&super::tests_syntax::scope()).unwrap(), json!("v"));
}

#[test]
fn regex_engine() {
    let m = |p: &str, t: &str| is_match(p, t).unwrap_or_else(|e| panic!("{p}: {e}"));
    assert!(m("abc", "xxabcxx"));
    assert!(!m("^abc", "xabc"));
    assert!(m("a|b|c", "zzc"));
    assert!(m("^(foo|bar)+$", "foobarfoo"));
    assert!(!m("^(foo|bar)+$", "foobaz"));
    assert!(m("^a.c$", "a-c"));
    assert!(!m("^a.c$", "a\nc"));
    assert!(m("^[^0-9]+$", "abc"));
    assert!(!m("^[^0-9]+$", "ab1"));
    assert!(m(r"^[\w.-]+$", "a_b.c-d"));
    assert!(m(r"^\s*$", " \t\n"));
    assert!(m(r"^\S+$", "x"));
    assert!(m(r"^\D\W$", "a!"));
    assert!(m(r"\bcat\b", "a cat here"));
    assert!(!m(r"\bcat\b", "concatenate"));
    assert!(m(r"\Bcat\B", "concatenate"));
    assert!(m("^a{2,3}$", "aaa"));
    assert!(!m("^a{2,3}$", "aaaa"));
    assert!(m("^a{2,}$", "aaaaa"));
    assert!(m("^a{2}$", "aa"));
    assert!(m("^a{,2}$", "a{,2}"));
    assert!(m("^x*?y+?z??$", "xxyy"));
    assert!(m("^(?:ab)?(?P<n>c)(?<m>d)$", "abcd"));
    assert!(m(r"^\$\.\(\)\[\]\{\}\*\+\?\|\^\\$", r"$.()[]{}*+?|^\"));
    assert!(m("^[]a]+$", "]a]"));
    assert!(m("^[a-]+$", "a-a"));
    assert!(m("^云.流$", "云工流"));
    assert!(m("", ""));
    assert!(m("()*", "x"));
    assert!(m("^(a*)*$", "aaa"));
    // Pathological patterns stay linear.
    let long = "a".repeat(20_000);
    assert!(!m("(a*)*b", &long));
    assert!(!m("^(a|aa)+$", &format!("{long}b")));
    for bad in [
        "(",
        ")",
        "a**",
        "*a",
        "[a",
        "[z-a]",
        "(?i)a",
        r"\x41",
        "a{2}{3}",
        "[[:alpha:]]",
        "\\",
    ] {
        assert!(is_match(bad, "a").is_err(), "{bad} should be rejected");
    }
    assert!(is_match("a{1001}", "a").is_err());
    assert!(is_match("((a{1000}){1000}){1000}", "a").is_err());
    assert!(is_match("((){1000}){1000}", "a").is_err());
    assert!(is_match(&"(".repeat(100), "a").is_err());
}
