//! The expression tree produced by `parser` and walked by `eval`.
//!
//! The shape keeps evaluation depth bounded: `&&`/`||` chains are flat lists, path steps are a
//! list, and comparisons cannot chain, so the tree is never deeper than the parser's nesting
//! limit allows.

use serde_json::Value;

use super::functions::Func;
use super::Var;

/// One node of a parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Node {
    /// A constant (string, number, boolean, null, or a fully constant array/object).
    Literal(Value),
    /// A bare root variable such as `$Input`.
    Var(Var),
    /// `[a, b, ...]` with at least one non-constant element.
    Array(Vec<Node>),
    /// `{"k": v, ...}` with at least one non-constant value; keys are unique.
    Object(Vec<(String, Node)>),
    /// `base.field[0]...`; `steps` is never empty.
    Path { base: Box<Node>, steps: Vec<Step> },
    /// A built-in function call; the argument count was checked at parse time.
    Call { func: Func, args: Vec<Node> },
    /// `!operand`
    Not(Box<Node>),
    /// `-operand`
    Neg(Box<Node>),
    /// `lhs op rhs`
    Cmp {
        op: CmpOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    /// `a && b && ...` (two or more operands, evaluated left to right, short-circuit).
    And(Vec<Node>),
    /// `a || b || ...` (two or more operands, evaluated left to right, short-circuit).
    Or(Vec<Node>),
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// `.name` or `["name"]`
    Field(String),
    /// `[n]`
    Index(usize),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    /// The operator as written in source.
    pub(super) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}
