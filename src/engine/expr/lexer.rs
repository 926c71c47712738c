//! Turns source text into tokens. Owns literal syntax: the three string-literal forms and
//! their escapes, number syntax, variable names, `.field` names and operator spelling.
//! Offsets are character (not byte) offsets into the source.

use serde_json::Number;

use super::{ParseError, Var};

/// A token kind.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Var(Var),
    /// `.name` — the name only.
    Field(String),
    Ident(String),
    Str(String),
    Num(Number),
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    And,
    Or,
    Not,
    Minus,
    Eof,
}

impl Tok {
    /// A short human-readable description for error messages.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Var(v) => format!("variable {v}"),
            Tok::Field(f) => format!("'.{f}'"),
            Tok::Ident(i) => format!("name '{i}'"),
            Tok::Str(_) => "string literal".to_string(),
            Tok::Num(n) => format!("number {n}"),
            Tok::Eof => "end of input".to_string(),
            other => format!("'{}'", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Eq => "==",
            Tok::Ne => "!=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::And => "&&",
            Tok::Or => "||",
            Tok::Not => "!",
            Tok::Minus => "-",
            _ => "?",
        }
    }
}

/// A token and the character offset where it starts.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) offset: usize,
}

fn err(message: impl Into<String>, offset: usize) -> ParseError {
    ParseError {
        message: message.into(),
        offset,
    }
}

fn is_field_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Splits `src` into tokens; the last token is always `Tok::Eof`.
pub(super) fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            '{' => (Tok::LBrace, 1),
            '}' => (Tok::RBrace, 1),
            ',' => (Tok::Comma, 1),
            ':' => (Tok::Colon, 1),
            '-' => (Tok::Minus, 1),
            '=' if next == Some('=') => (Tok::Eq, 2),
            '=' => return Err(err("unexpected '=' (did you mean '=='?)", start)),
            '!' if next == Some('=') => (Tok::Ne, 2),
            '!' => (Tok::Not, 1),
            '>' if next == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '<' if next == Some('=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '&' if next == Some('&') => (Tok::And, 2),
            '&' => return Err(err("unexpected '&' (did you mean '&&'?)", start)),
            '|' if next == Some('|') => (Tok::Or, 2),
            '|' => return Err(err("unexpected '|' (did you mean '||'?)", start)),
            '"' => lex_json_string(&chars, start)?,
            '\'' | '`' => lex_raw_string(&chars, start)?,
            '$' => lex_variable(&chars, start)?,
            '.' => {
                let n = chars[start + 1..]
                    .iter()
                    .take_while(|&&c| is_field_char(c))
                    .count();
                if n == 0 {
                    return Err(err("expected a field name after '.'", start));
                }
                let name: String = chars[start + 1..start + 1 + n].iter().collect();
                (Tok::Field(name), n + 1)
            }
            c if c.is_ascii_digit() => lex_number(&chars, start)?,
            c if c.is_ascii_alphabetic() || c == '_' => {
                let n = chars[start..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .count();
                (Tok::Ident(chars[start..start + n].iter().collect()), n)
            }
            other => return Err(err(format!("unexpected character {other:?}"), start)),
        };
        out.push(Token { tok, offset: start });
        i = start + len;
    }
    out.push(Token {
        tok: Tok::Eof,
        offset: chars.len(),
    });
    Ok(out)
}

fn lex_variable(chars: &[char], start: usize) -> Result<(Tok, usize), ParseError> {
    let n = chars[start + 1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
        .count();
    if n == 0 {
        return Err(err("expected a variable name after '$'", start));
    }
    let name: String = chars[start + 1..start + 1 + n].iter().collect();
    match Var::from_name(&name) {
        Some(v) => Ok((Tok::Var(v), n + 1)),
        None => Err(err(
            format!(
                "unknown variable '${name}' (expected $Input, $Output, $Context, $Global or $Item)"
            ),
            start,
        )),
    }
}

/// `'...'` or `` `...` ``: everything up to the next identical quote, taken verbatim.
fn lex_raw_string(chars: &[char], start: usize) -> Result<(Tok, usize), ParseError> {
    let quote = chars[start];
    match chars[start + 1..].iter().position(|&c| c == quote) {
        Some(n) => Ok((
            Tok::Str(chars[start + 1..start + 1 + n].iter().collect()),
            n + 2,
        )),
        None => Err(err("unterminated string literal", start)),
    }
}

/// `"..."` with JSON escapes (`\" \\ \/ \b \f \n \r \t \uXXXX`, surrogate pairs combined).
fn lex_json_string(chars: &[char], start: usize) -> Result<(Tok, usize), ParseError> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(err("unterminated string literal", start));
        };
        match c {
            '"' => return Ok((Tok::Str(s), i + 1 - start)),
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err(err("unterminated string literal", start));
                };
                i += 2;
                match e {
                    '"' => s.push('"'),
                    '\\' => s.push('\\'),
                    '/' => s.push('/'),
                    'b' => s.push('\u{8}'),
                    'f' => s.push('\u{c}'),
                    'n' => s.push('\n'),
                    'r' => s.push('\r'),
                    't' => s.push('\t'),
                    'u' => {
                        let (ch, used) = lex_unicode_escape(chars, i)?;
                        s.push(ch);
                        i += used;
                    }
                    other => {
                        return Err(err(format!("invalid escape sequence '\\{other}'"), i - 2))
                    }
                }
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
}

fn hex4(chars: &[char], at: usize) -> Option<u32> {
    let digits = chars.get(at..at + 4)?;
    digits
        .iter()
        .try_fold(0u32, |acc, c| Some(acc * 16 + c.to_digit(16)?))
}

/// Decodes the `XXXX` after `\u` at `at` (plus a trailing `\uXXXX` low surrogate if needed).
/// Returns the character and the number of characters consumed after `\u`.
fn lex_unicode_escape(chars: &[char], at: usize) -> Result<(char, usize), ParseError> {
    let bad = || err("invalid \\u escape (expected 4 hex digits)", at - 2);
    let hi = hex4(chars, at).ok_or_else(bad)?;
    if (0xD800..0xDC00).contains(&hi) {
        let lone = || err("unpaired surrogate in \\u escape", at - 2);
        if chars.get(at + 4) != Some(&'\\') || chars.get(at + 5) != Some(&'u') {
            return Err(lone());
        }
        let lo = hex4(chars, at + 6).ok_or_else(bad)?;
        if !(0xDC00..0xE000).contains(&lo) {
            return Err(lone());
        }
        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return char::from_u32(cp).map(|c| (c, 10)).ok_or_else(lone);
    }
    char::from_u32(hi)
        .map(|c| (c, 4))
        .ok_or_else(|| err("unpaired surrogate in \\u escape", at - 2))
}

/// `digits ( "." digits )? ( [eE] [+-]? digits )?`
fn lex_number(chars: &[char], start: usize) -> Result<(Tok, usize), ParseError> {
    let digits_from = |i: usize| chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = start + digits_from(start);
    let mut is_float = false;
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
        is_float = true;
        i += 1 + digits_from(i + 1);
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        let n = digits_from(j);
        if n == 0 {
            return Err(err("invalid number: exponent has no digits", start));
        }
        is_float = true;
        i = j + n;
    }
    if chars
        .get(i)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
    {
        return Err(err("invalid number: unexpected letter after digits", start));
    }
    let text: String = chars[start..i].iter().collect();
    let out_of_range = || err("number out of range", start);
    let num = if is_float {
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .ok_or_else(out_of_range)?
    } else if let Ok(v) = text.parse::<i64>() {
        Number::from(v)
    } else if let Ok(v) = text.parse::<u64>() {
        Number::from(v)
    } else {
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .ok_or_else(out_of_range)?
    };
    Ok((Tok::Num(num), i - start))
}
