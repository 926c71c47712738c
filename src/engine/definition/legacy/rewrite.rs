//! Legacy paths inside conditions and in `collection`, `duration` and `timestamp` (`$.x`,
//! `$input.x`) rewritten into the expression language (`$Input.x`), then parsed as expressions.

use super::super::fields::Ctx;
use super::super::parse::IN_VARS;
use crate::engine::expr::Expr;

/// Rewrite legacy path roots in an expression: `$.x`, `$[..]`, `$input.x` → `$Input…`.
/// Quoted strings are left alone.
fn rewrite_expr(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 8);
    let mut quote: Option<char> = None;
    let mut it = src.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' && q == '"' {
                if let Some((_, n)) = it.next() {
                    out.push(n);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => {
                quote = Some(c);
                out.push(c);
            }
            '$' => {
                let rest = &src[i + 1..];
                let n = rest
                    .char_indices()
                    .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .map_or(rest.len(), |(j, _)| j);
                match &rest[..n] {
                    "" => out.push_str("$Input"),
                    "input" => {
                        out.push_str("$Input");
                        for _ in 0..5 {
                            it.next();
                        }
                    }
                    _ => out.push('$'),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

pub(super) fn legacy_expr(src: &str, path: &str, what: &str, cx: &mut Ctx) -> Option<Expr> {
    match Expr::parse(&rewrite_expr(src)) {
        Ok(e) => {
            super::super::template::check_vars(&e, path, IN_VARS, &mut cx.errs);
            Some(e)
        }
        Err(e) => {
            cx.errs
                .push(format!("{path}: invalid {what} '{src}': {e}."));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_rewritten_outside_strings() {
        assert_eq!(
            rewrite_expr(r#"$.status == "$.x" && $input.n > 1"#),
            r#"$Input.status == "$.x" && $Input.n > 1"#
        );
        assert_eq!(rewrite_expr("$Input.a"), "$Input.a");
    }
}
