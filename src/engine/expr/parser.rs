//! Recursive-descent parser from tokens to the AST. Owns operator precedence, literal folding
//! and every parse-time limit: function names and arities, call nesting (10), overall nesting
//! (64), unchained comparisons and unique object keys. Recursion depth is bounded by the
//! nesting limit, so hostile input cannot overflow the stack.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::ast::{CmpOp, Node, Step};
use super::functions::Func;
use super::lexer::{Tok, Token};
use super::value::negate_number;
use super::{ParseError, Var, MAX_CALL_DEPTH, MAX_NESTING};

/// Parses a whole token stream (ending in `Tok::Eof`) into a tree plus the root variables it
/// reads.
pub(super) fn parse(toks: &[Token]) -> Result<(Node, BTreeSet<Var>), ParseError> {
    if toks.last().map(|t| &t.tok) != Some(&Tok::Eof) {
        return Err(err("internal error: token stream without end marker", 0));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        nesting: 0,
        calls: 0,
        vars: BTreeSet::new(),
    };
    if p.peek() == &Tok::Eof {
        return Err(err("empty expression", p.offset()));
    }
    let node = p.expr()?;
    if p.peek() != &Tok::Eof {
        return Err(err(
            format!(
                "unexpected {} after the end of the expression",
                p.peek().describe()
            ),
            p.offset(),
        ));
    }
    Ok((node, p.vars))
}

fn err(message: impl Into<String>, offset: usize) -> ParseError {
    ParseError {
        message: message.into(),
        offset,
    }
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    nesting: usize,
    calls: usize,
    vars: BTreeSet<Var>,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        // The stream always ends with Eof and `bump` never moves past it.
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn offset(&self) -> usize {
        self.toks[self.pos.min(self.toks.len() - 1)].offset
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<(), ParseError> {
        if self.peek() == &want {
            self.bump();
            Ok(())
        } else {
            Err(err(
                format!("expected {what}, found {}", self.peek().describe()),
                self.offset(),
            ))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(err(
                format!("expression nested too deeply (more than {MAX_NESTING} levels)"),
                self.offset(),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    fn expr(&mut self) -> Result<Node, ParseError> {
        self.or()
    }

    fn or(&mut self) -> Result<Node, ParseError> {
        let first = self.and()?;
        if self.peek() != &Tok::Or {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek() == &Tok::Or {
            self.bump();
            items.push(self.and()?);
        }
        Ok(Node::Or(items))
    }

    fn and(&mut self) -> Result<Node, ParseError> {
        let first = self.cmp()?;
        if self.peek() != &Tok::And {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek() == &Tok::And {
            self.bump();
            items.push(self.cmp()?);
        }
        Ok(Node::And(items))
    }

    fn cmp_op(&self) -> Option<CmpOp> {
        Some(match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            _ => return None,
        })
    }

    fn cmp(&mut self) -> Result<Node, ParseError> {
        let lhs = self.unary()?;
        let Some(op) = self.cmp_op() else {
            return Ok(lhs);
        };
        self.bump();
        let rhs = self.unary()?;
        if self.cmp_op().is_some() {
            return Err(err(
                "comparison operators cannot be chained; use parentheses",
                self.offset(),
            ));
        }
        Ok(Node::Cmp {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        })
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        let op = self.peek().clone();
        if op != Tok::Not && op != Tok::Minus {
            return self.postfix();
        }
        self.bump();
        self.enter()?;
        let operand = self.unary()?;
        self.leave();
        Ok(match (op, operand) {
            (Tok::Minus, Node::Literal(Value::Number(n))) => {
                Node::Literal(Value::Number(negate_number(&n)))
            }
            (Tok::Minus, other) => Node::Neg(Box::new(other)),
            (_, other) => Node::Not(Box::new(other)),
        })
    }

    fn postfix(&mut self) -> Result<Node, ParseError> {
        let base = self.primary()?;
        let mut steps = Vec::new();
        loop {
            match self.peek().clone() {
                Tok::Field(name) => {
                    self.bump();
                    steps.push(Step::Field(name));
                }
                Tok::LBracket => {
                    self.bump();
                    let at = self.offset();
                    let step = match self.bump() {
                        Tok::Num(n) => match n.as_u64() {
                            Some(i) => Step::Index(usize::try_from(i).unwrap_or(usize::MAX)),
                            None => {
                                return Err(err("array index must be a non-negative integer", at))
                            }
                        },
                        Tok::Str(key) => Step::Field(key),
                        other => {
                            return Err(err(
                                format!(
                                    "expected a non-negative integer index or a quoted key \
                                     inside '[]', found {}",
                                    other.describe()
                                ),
                                at,
                            ))
                        }
                    };
                    self.expect(Tok::RBracket, "']'")?;
                    steps.push(step);
                }
                _ => break,
            }
        }
        if steps.is_empty() {
            Ok(base)
        } else {
            Ok(Node::Path {
                base: Box::new(base),
                steps,
            })
        }
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        let at = self.offset();
        match self.bump() {
            Tok::Var(v) => {
                self.vars.insert(v);
                Ok(Node::Var(v))
            }
            Tok::Str(s) => Ok(Node::Literal(Value::String(s))),
            Tok::Num(n) => Ok(Node::Literal(Value::Number(n))),
            Tok::Ident(name) => match name.as_str() {
                "true" => Ok(Node::Literal(Value::Bool(true))),
                "false" => Ok(Node::Literal(Value::Bool(false))),
                "null" => Ok(Node::Literal(Value::Null)),
                _ => self.call(name, at),
            },
            Tok::LParen => {
                self.enter()?;
                let inner = self.expr()?;
                self.expect(Tok::RParen, &format!("')' to close the '(' at offset {at}"))?;
                self.leave();
                Ok(inner)
            }
            Tok::LBracket => self.array(),
            Tok::LBrace => self.object(),
            Tok::Eof => Err(err("unexpected end of input; expected a value", at)),
            other => Err(err(
                format!("unexpected {}; expected a value", other.describe()),
                at,
            )),
        }
    }

    fn call(&mut self, name: String, at: usize) -> Result<Node, ParseError> {
        if self.peek() != &Tok::LParen {
            return Err(err(
                format!(
                    "unexpected name '{name}' (function calls need '(...)', strings need quotes)"
                ),
                at,
            ));
        }
        let func =
            Func::lookup(&name).ok_or_else(|| err(format!("unknown function '{name}'"), at))?;
        self.bump();
        self.calls += 1;
        if self.calls > MAX_CALL_DEPTH {
            return Err(err(
                format!("function calls nested more than {MAX_CALL_DEPTH} deep"),
                at,
            ));
        }
        self.enter()?;
        let args = self.list(Tok::RParen, "')' or ','")?;
        self.leave();
        self.calls -= 1;
        let (min, max) = func.arity();
        let n = args.len();
        if n < min || max.is_some_and(|m| n > m) {
            let want = match max {
                Some(m) if m == min => format!("{min}"),
                Some(m) => format!("{min} to {m}"),
                None => format!("at least {min}"),
            };
            let plural = if want == "1" { "" } else { "s" };
            return Err(err(
                format!("function '{name}' expects {want} argument{plural}, got {n}"),
                at,
            ));
        }
        Ok(Node::Call { func, args })
    }

    /// Comma-separated expressions up to and including `close` (which may come first).
    fn list(&mut self, close: Tok, what: &str) -> Result<Vec<Node>, ParseError> {
        let mut items = Vec::new();
        if self.peek() == &close {
            self.bump();
            return Ok(items);
        }
        loop {
            items.push(self.expr()?);
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                }
                t if t == &close => {
                    self.bump();
                    return Ok(items);
                }
                t => {
                    return Err(err(
                        format!("expected {what}, found {}", t.describe()),
                        self.offset(),
                    ))
                }
            }
        }
    }

    fn array(&mut self) -> Result<Node, ParseError> {
        self.enter()?;
        let items = self.list(Tok::RBracket, "']' or ','")?;
        self.leave();
        if items.iter().all(|n| matches!(n, Node::Literal(_))) {
            let values = items
                .into_iter()
                .filter_map(|n| match n {
                    Node::Literal(v) => Some(v),
                    _ => None,
                })
                .collect();
            return Ok(Node::Literal(Value::Array(values)));
        }
        Ok(Node::Array(items))
    }

    fn object(&mut self) -> Result<Node, ParseError> {
        self.enter()?;
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut seen = HashSet::new();
        if self.peek() == &Tok::RBrace {
            self.bump();
        } else {
            loop {
                let key_at = self.offset();
                let key = match self.bump() {
                    Tok::Str(k) => k,
                    other => {
                        return Err(err(
                            format!(
                                "object keys must be string literals, found {}",
                                other.describe()
                            ),
                            key_at,
                        ))
                    }
                };
                if !seen.insert(key.clone()) {
                    return Err(err(format!("duplicate object key {key:?}"), key_at));
                }
                self.expect(Tok::Colon, "':' after the object key")?;
                entries.push((key, self.expr()?));
                let sep_at = self.offset();
                match self.bump() {
                    Tok::Comma => continue,
                    Tok::RBrace => break,
                    other => {
                        return Err(err(
                            format!("expected '}}' or ',', found {}", other.describe()),
                            sep_at,
                        ))
                    }
                }
            }
        }
        self.leave();
        if entries.iter().all(|(_, n)| matches!(n, Node::Literal(_))) {
            let mut map = Map::new();
            for (k, n) in entries {
                if let Node::Literal(v) = n {
                    map.insert(k, v);
                }
            }
            return Ok(Node::Literal(Value::Object(map)));
        }
        Ok(Node::Object(entries))
    }
}
