//! The CloudFlow FDL expression language: the values of `.$` keys in constructors and
//! `Parameters`, Choice `Condition`s, Map `ItemsPath`, `Seconds.$`, and so on.
//!
//! This file owns the public API ([`Expr`], [`ParseError`], [`EvalError`], [`Var`], [`Scope`],
//! [`looks_like_expression`]) and documents the language. The work is split into siblings:
//! `lexer` (characters to tokens), `parser` (tokens to AST, all parse-time limits), `ast`
//! (the tree), `eval` (tree walking), `value` (equality/ordering of JSON values),
//! `functions` (built-in function table and implementations) and `regex`/`regex_vm` (the small
//! regular-expression engine behind `regexMatchString`).
//!
//! # Grammar (lowest precedence first)
//!
//! ```text
//! expr     := or
//! or       := and ( "||" and )*
//! and      := cmp ( "&&" cmp )*
//! cmp      := unary ( ("==" | "!=" | ">" | ">=" | "<" | "<=") unary )?   -- not chainable
//! unary    := ("!" | "-") unary | postfix
//! postfix  := primary ( "." field | "[" index "]" )*
//! primary  := variable | literal | array | object | call | "(" expr ")"
//! variable := "$Input" | "$Output" | "$Context" | "$Global" | "$Item"
//! field    := one or more of: letter, digit, "_", "-"   (no space after the ".")
//! index    := non-negative integer | string literal (object key)
//! literal  := string | number | true | false | null
//! string   := "..." (JSON escapes) | '...' (raw) | `...` (raw)
//! array    := "[" ( expr ( "," expr )* )? "]"
//! object   := "{" ( string ":" expr ( "," string ":" expr )* )? "}"
//! call     := name "(" ( expr ( "," expr )* )? ")"      -- lower camel case, see functions.rs
//! ```
//!
//! Whitespace between tokens is insignificant. Paths may follow any primary, so
//! `stringToJson($Input.s).name` works.
//!
//! # Parse-time checks (all reported as [`ParseError`] with a character offset)
//!
//! * empty input, trailing input, unterminated strings, bad escapes, bad numbers;
//! * unknown `$` variables (names are case-sensitive: the legacy-style `$input` seen in one
//!   documentation example is rejected);
//! * unknown function names and wrong argument counts (for fixed or minimum arities);
//! * function calls nested more than [`MAX_CALL_DEPTH`] (10) deep — the documented limit;
//! * any nesting (parentheses, arrays, objects, calls, prefix operators) deeper than
//!   [`MAX_NESTING`] (64), so hostile input cannot exhaust the stack;
//! * chained comparisons such as `a == b == c` (use parentheses);
//! * duplicate keys in an object literal.
//!
//! # Evaluation semantics (choices made for the emulator)
//!
//! * A path into a missing field, an out-of-range index, or a step applied to a value that is
//!   not an object/array evaluates to `null`; it is not an error.
//! * A variable that the [`Scope`] does not provide (`get` returns `None`) is the evaluation
//!   error `"variable $X is not available here"`.
//! * `==` / `!=` compare any JSON values by deep equality; numbers compare by value, so
//!   `1 == 1.0` is true. Values of different types are simply unequal.
//! * `<`, `<=`, `>`, `>=` compare two numbers numerically or two strings lexicographically by
//!   bytes; any other pairing is an evaluation error.
//! * `&&`, `||` and `!` require booleans (an evaluation error otherwise) and `&&`/`||`
//!   short-circuit left to right: `false && <anything>` is `false` without evaluating the
//!   right side. Unary `-` requires a number.
//! * Built-in function errors (bad argument types, invalid base64, ...) are evaluation errors.
//!   Per-function choices (e.g. `randomInt` range, `jsonMerge` depth) are listed in `functions.rs`.
//! * Evaluation never panics; its recursion depth is bounded by the parse limits above
//!   (`&&`/`||` chains are stored flat, comparisons cannot chain, and paths are lists).

mod ast;
mod eval;
mod functions;
mod lexer;
mod parser;
mod regex;
mod regex_vm;
mod value;

#[cfg(test)]
mod tests_errors;
#[cfg(test)]
mod tests_functions;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_syntax;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

/// Maximum depth of nested function calls (documented by CloudFlow: "up to 10 layers").
pub const MAX_CALL_DEPTH: usize = 10;
/// Maximum overall nesting of parentheses, arrays, objects, calls and prefix operators.
pub const MAX_NESTING: usize = 64;

/// A parsed expression; cheap to clone, Send + Sync, parsed once at flow-creation time.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    source: Arc<str>,
    root: Arc<ast::Node>,
    vars: BTreeSet<Var>,
}

/// A syntax error, with the character (not byte) offset where it was detected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (at offset {offset})")]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
}

/// A runtime error while evaluating an expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

/// The system variables an expression can start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    Input,
    Output,
    Context,
    Global,
    Item,
}

impl Var {
    /// All variables, in declaration order.
    pub const ALL: [Var; 5] = [
        Var::Input,
        Var::Output,
        Var::Context,
        Var::Global,
        Var::Item,
    ];

    /// The name without the `$`, e.g. `"Input"`.
    pub fn name(self) -> &'static str {
        match self {
            Var::Input => "Input",
            Var::Output => "Output",
            Var::Context => "Context",
            Var::Global => "Global",
            Var::Item => "Item",
        }
    }

    /// Looks a variable up by its name without the `$` (case-sensitive).
    pub fn from_name(name: &str) -> Option<Var> {
        Var::ALL.into_iter().find(|v| v.name() == name)
    }
}

impl fmt::Display for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}", self.name())
    }
}

/// Where variables come from at evaluation time.
pub trait Scope {
    fn get(&self, var: Var) -> Option<&Value>;
}

impl Scope for std::collections::HashMap<Var, Value> {
    fn get(&self, var: Var) -> Option<&Value> {
        std::collections::HashMap::get(self, &var)
    }
}

impl Scope for std::collections::BTreeMap<Var, Value> {
    fn get(&self, var: Var) -> Option<&Value> {
        std::collections::BTreeMap::get(self, &var)
    }
}

impl Expr {
    /// Parses an expression; see the module docs for the grammar and the checks made.
    pub fn parse(src: &str) -> Result<Expr, ParseError> {
        let tokens = lexer::tokenize(src)?;
        let (root, vars) = parser::parse(&tokens)?;
        Ok(Expr {
            source: Arc::from(src),
            root: Arc::new(root),
            vars,
        })
    }

    /// The original source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Root variables this expression reads (so a validator can reject `$Output` in an
    /// InputConstructor).
    pub fn variables(&self) -> BTreeSet<Var> {
        self.vars.clone()
    }

    /// Evaluates the expression against `scope`.
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, EvalError> {
        eval::eval(&self.root, scope)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// True when a string value should be treated as an expression candidate: after leading
/// whitespace it starts with `$`, or it starts with a name followed by `(` (like `uuid()`).
/// This is only a syntactic hint for validators; it does not check that the text parses.
pub fn looks_like_expression(s: &str) -> bool {
    let s = s.trim_start();
    if s.starts_with('$') {
        return true;
    }
    let name_len = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(s.len(), |(i, _)| i);
    if name_len == 0 || !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return false;
    }
    s[name_len..].trim_start().starts_with('(')
}
