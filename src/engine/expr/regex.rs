//! A small, linear-time regular-expression matcher for `regexMatchString` (the allowed
//! dependencies include no regex crate). Patterns compile to a Pike VM program; matching is an
//! unanchored search, like Go's `regexp.MatchString`, in O(text × program) time with no
//! backtracking and no recursion at match time.
//!
//! Supported (RE2/Go syntax subset): literals; `.` (any char but `\n`); `^` and `$` (start and
//! end of text); `\b` `\B`; classes `[...]` `[^...]` with ranges; `\d \D \w \W \s \S`;
//! escapes `\t \n \r \f \v` and escaped punctuation; groups `(...)`, `(?:...)`,
//! `(?P<name>...)`, `(?<name>...)`; alternation `|`; quantifiers `* + ? {n} {n,} {n,m}`, each
//! optionally followed by `?` (laziness does not change whether a match exists).
//! Anything else (flags such as `(?i)`, POSIX classes, `\x..`, back-references) is an error.
//! Limits: group nesting 50, repeat counts 1000, compiled program 10 000 instructions.
//!
//! This file owns the public entry point and pattern parsing; `regex_vm` compiles and runs.

use super::regex_vm::{compile_and_run, Look, Ranges};

const MAX_GROUP_DEPTH: usize = 50;
const MAX_REPEAT: u32 = 1000;

/// A parsed pattern.
pub(super) enum Re {
    Empty,
    Char(char),
    Any,
    Class(Ranges),
    Look(Look),
    Concat(Vec<Re>),
    Alt(Vec<Re>),
    Repeat(Box<Re>, u32, Option<u32>),
}

/// Whether `pattern` matches anywhere in `text`.
pub(super) fn is_match(pattern: &str, text: &str) -> Result<bool, String> {
    let mut p = PatternParser {
        chars: pattern.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let re = p.alternation()?;
    if p.pos < p.chars.len() {
        return Err(format!("unexpected ')' at position {}", p.pos));
    }
    compile_and_run(&re, text)
}

struct PatternParser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

fn perl_class(c: char) -> Option<Ranges> {
    let (base, negated): (Ranges, bool) = match c {
        'd' | 'D' => (vec![('0', '9')], c == 'D'),
        'w' | 'W' => (
            vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
            c == 'W',
        ),
        's' | 'S' => (vec![('\t', '\n'), ('\u{c}', '\r'), (' ', ' ')], c == 'S'),
        _ => return None,
    };
    Some(if negated { complement(&base) } else { base })
}

/// The complement of sorted, non-overlapping ranges over all chars.
fn complement(ranges: &[(char, char)]) -> Ranges {
    let mut out = Vec::new();
    let mut next = 0u32;
    for &(lo, hi) in ranges {
        if (lo as u32) > next {
            push_range(&mut out, next, lo as u32 - 1);
        }
        next = hi as u32 + 1;
    }
    push_range(&mut out, next, char::MAX as u32);
    out
}

/// Pushes `lo..=hi` (code points) as char ranges, skipping the surrogate gap.
fn push_range(out: &mut Ranges, lo: u32, hi: u32) {
    for (a, b) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
        if a <= b {
            if let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b)) {
                out.push((a, b));
            }
        }
    }
}

impl PatternParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn alternation(&mut self) -> Result<Re, String> {
        let mut alts = vec![self.concat()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alts.push(self.concat()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Re::Empty)
        } else {
            Re::Alt(alts)
        })
    }

    fn concat(&mut self) -> Result<Re, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.quantified(atom)?);
        }
        Ok(Re::Concat(items))
    }

    fn quantified(&mut self, atom: Re) -> Result<Re, String> {
        let (min, max) = match self.peek() {
            Some('{') => match self.counted()? {
                Some(range) => range,
                None => return Ok(atom),
            },
            Some(op @ ('*' | '+' | '?')) => {
                self.pos += 1;
                match op {
                    '*' => (0, None),
                    '+' => (1, None),
                    _ => (0, Some(1)),
                }
            }
            _ => return Ok(atom),
        };
        if self.peek() == Some('?') {
            self.pos += 1;
        }
        let nested = match self.peek() {
            Some('*' | '+' | '?') => true,
            Some('{') => self.counted()?.is_some(),
            _ => false,
        };
        if nested {
            return Err("invalid nested repetition operator".into());
        }
        if matches!(atom, Re::Look(_) | Re::Empty) {
            return Err("missing argument to repetition operator".into());
        }
        Ok(Re::Repeat(Box::new(atom), min, max))
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at the cursor and moves past it; `None` (cursor
    /// unchanged) means the `{` is an ordinary literal.
    fn counted(&mut self) -> Result<Option<(u32, Option<u32>)>, String> {
        let rest: String = self.chars[self.pos..].iter().take(24).collect();
        let Some(close) = rest.find('}') else {
            return Ok(None);
        };
        let body = &rest[1..close];
        let parse = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let range = match body.split_once(',') {
            None => parse(body).map(|n| (n, Some(n))),
            Some((a, "")) => parse(a).map(|n| (n, None)),
            Some((a, b)) => parse(a).zip(parse(b)).map(|(n, m)| (n, Some(m))),
        };
        let Some((min, max)) = range else {
            return Ok(None);
        };
        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || m < min) {
            return Err(format!("invalid repeat count {{{body}}}"));
        }
        // `close` is a byte offset in an ASCII-only prefix, so it is also a char count.
        self.pos += close + 1;
        Ok(Some((min, max)))
    }

    fn atom(&mut self) -> Result<Re, String> {
        let Some(c) = self.peek() else {
            return Ok(Re::Empty);
        };
        self.pos += 1;
        Ok(match c {
            '.' => Re::Any,
            '^' => Re::Look(Look::Start),
            '$' => Re::Look(Look::End),
            '*' | '+' | '?' => return Err("missing argument to repetition operator".into()),
            '(' => return self.group(),
            '[' => Re::Class(self.class()?),
            '\\' => self.escape(false)?,
            c => Re::Char(c),
        })
    }

    fn group(&mut self) -> Result<Re, String> {
        if self.peek() == Some('?') {
            let rest: String = self.chars[self.pos..].iter().take(3).collect();
            if rest.starts_with("?:") {
                self.pos += 2;
            } else if rest.starts_with("?P<") || rest.starts_with("?<") {
                let close = self.chars[self.pos..].iter().position(|&c| c == '>');
                self.pos += close.ok_or("unterminated group name")? + 1;
            } else {
                return Err("unsupported group syntax '(?'".into());
            }
        }
        self.depth += 1;
        if self.depth > MAX_GROUP_DEPTH {
            return Err("groups nested too deeply".into());
        }
        let inner = self.alternation()?;
        self.depth -= 1;
        if self.peek() != Some(')') {
            return Err("missing closing ')'".into());
        }
        self.pos += 1;
        Ok(inner)
    }

    /// After `\`: a literal, a Perl class, or (outside classes) an assertion.
    fn escape(&mut self, in_class: bool) -> Result<Re, String> {
        let c = self.peek().ok_or("trailing backslash")?;
        self.pos += 1;
        if let Some(ranges) = perl_class(c) {
            return Ok(Re::Class(ranges));
        }
        Ok(match c {
            't' => Re::Char('\t'),
            'n' => Re::Char('\n'),
            'r' => Re::Char('\r'),
            'f' => Re::Char('\u{c}'),
            'v' => Re::Char('\u{b}'),
            'b' if !in_class => Re::Look(Look::WordBoundary),
            'B' if !in_class => Re::Look(Look::NotWordBoundary),
            c if c.is_ascii_punctuation() => Re::Char(c),
            c => return Err(format!("unsupported escape '\\{c}'")),
        })
    }

    /// After `[`: the class body up to `]`, as sorted ranges (negated if it starts with `^`).
    fn class(&mut self) -> Result<Ranges, String> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek().ok_or("missing closing ']'")?;
            self.pos += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = match c {
                '[' if self.peek() == Some(':') => {
                    return Err("POSIX classes are not supported".into())
                }
                '\\' => match self.escape(true)? {
                    Re::Char(ch) => ch,
                    Re::Class(rs) => {
                        ranges.extend(rs);
                        continue;
                    }
                    _ => return Err("invalid escape in class".into()),
                },
                c => c,
            };
            let is_range = self.peek() == Some('-')
                && !matches!(self.chars.get(self.pos + 1), Some(']') | None);
            if !is_range {
                ranges.push((lo, lo));
                continue;
            }
            self.pos += 1;
            let mut hi = self.peek().ok_or("missing closing ']'")?;
            self.pos += 1;
            if hi == '\\' {
                hi = match self.escape(true)? {
                    Re::Char(ch) => ch,
                    _ => return Err("invalid range end in class".into()),
                };
            }
            if hi < lo {
                return Err(format!("invalid class range {lo}-{hi}"));
            }
            ranges.push((lo, hi));
        }
        ranges.sort_unstable();
        let mut merged: Ranges = Vec::new();
        for (lo, hi) in ranges {
            match merged.last_mut() {
                Some(last) if (lo as u32) <= last.1 as u32 + 1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        Ok(if negated { complement(&merged) } else { merged })
    }
}
