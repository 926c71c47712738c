//! Compiles a parsed pattern (`regex::Re`) into a Pike VM program and runs it: an unanchored,
//! lock-step simulation of all threads, linear in text length times program size, with no
//! recursion at match time. Program size and compile work are capped.

use super::regex::Re;

const MAX_PROGRAM: usize = 10_000;

/// Sorted, non-overlapping inclusive char ranges of a character class.
pub(super) type Ranges = Vec<(char, char)>;

/// A zero-width assertion.
#[derive(Clone, Copy)]
pub(super) enum Look {
    Start,
    End,
    WordBoundary,
    NotWordBoundary,
}

/// One VM instruction.
enum Inst {
    Char(char),
    Any,
    Class(Ranges),
    Look(Look),
    Split(usize, usize),
    Jmp(usize),
    Match,
}

/// Compiles `re` and reports whether it matches anywhere in `text`.
pub(super) fn compile_and_run(re: &Re, text: &str) -> Result<bool, String> {
    let mut c = Compiler {
        prog: Vec::new(),
        steps: 0,
    };
    c.compile(re)?;
    c.emit(Inst::Match)?;
    Ok(run(&c.prog, &text.chars().collect::<Vec<_>>()))
}

/// Builds the program; `steps` bounds compile work even for patterns that emit nothing
/// (such as `((){1000}){1000}`).
struct Compiler {
    prog: Vec<Inst>,
    steps: usize,
}

impl Compiler {
    fn emit(&mut self, inst: Inst) -> Result<usize, String> {
        if self.prog.len() >= MAX_PROGRAM {
            return Err("pattern too large".into());
        }
        self.prog.push(inst);
        Ok(self.prog.len() - 1)
    }

    fn compile(&mut self, re: &Re) -> Result<(), String> {
        self.steps += 1;
        if self.steps > 10 * MAX_PROGRAM {
            return Err("pattern too complex".into());
        }
        match re {
            Re::Empty => {}
            Re::Char(c) => {
                self.emit(Inst::Char(*c))?;
            }
            Re::Any => {
                self.emit(Inst::Any)?;
            }
            Re::Class(r) => {
                self.emit(Inst::Class(r.clone()))?;
            }
            Re::Look(l) => {
                self.emit(Inst::Look(*l))?;
            }
            Re::Concat(items) => {
                for item in items {
                    self.compile(item)?;
                }
            }
            Re::Alt(alts) => {
                let mut jumps = Vec::new();
                for (i, alt) in alts.iter().enumerate() {
                    if i + 1 == alts.len() {
                        self.compile(alt)?;
                        break;
                    }
                    let split = self.emit(Inst::Split(0, 0))?;
                    self.compile(alt)?;
                    jumps.push(self.emit(Inst::Jmp(0))?);
                    self.prog[split] = Inst::Split(split + 1, self.prog.len());
                }
                let end = self.prog.len();
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
            }
            Re::Repeat(node, min, max) => {
                for _ in 0..*min {
                    self.compile(node)?;
                }
                match max {
                    None => {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(node)?;
                        self.emit(Inst::Jmp(split))?;
                        self.prog[split] = Inst::Split(split + 1, self.prog.len());
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.emit(Inst::Split(0, 0))?);
                            self.compile(node)?;
                        }
                        let end = self.prog.len();
                        for s in splits {
                            self.prog[s] = Inst::Split(s + 1, end);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn is_word(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
}

/// Pike VM: all threads advance in lock step; `marks` dedups program counters per position.
fn run(prog: &[Inst], text: &[char]) -> bool {
    let mut marks = vec![usize::MAX; prog.len()];
    let mut current: Vec<usize> = Vec::new();
    let mut next: Vec<usize> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for pos in 0..=text.len() {
        add(prog, text, pos, 0, &mut marks, &mut current, &mut stack);
        for &pc in &current {
            let ch = text.get(pos);
            let advance = match (&prog[pc], ch) {
                (Inst::Match, _) => return true,
                (Inst::Char(c), Some(t)) => c == t,
                (Inst::Any, Some(t)) => *t != '\n',
                (Inst::Class(r), Some(t)) => r.iter().any(|(lo, hi)| lo <= t && t <= hi),
                _ => false,
            };
            if advance {
                add(
                    prog,
                    text,
                    pos + 1,
                    pc + 1,
                    &mut marks,
                    &mut next,
                    &mut stack,
                );
            }
        }
        std::mem::swap(&mut current, &mut next);
        next.clear();
    }
    false
}

/// Adds the thread at `pc` (following jumps, splits and assertions) to the list for `pos`.
fn add(
    prog: &[Inst],
    text: &[char],
    pos: usize,
    pc: usize,
    marks: &mut [usize],
    list: &mut Vec<usize>,
    stack: &mut Vec<usize>,
) {
    stack.push(pc);
    while let Some(pc) = stack.pop() {
        if pc >= prog.len() || marks[pc] == pos {
            continue;
        }
        marks[pc] = pos;
        match &prog[pc] {
            Inst::Jmp(t) => stack.push(*t),
            Inst::Split(a, b) => {
                stack.push(*b);
                stack.push(*a);
            }
            Inst::Look(look) => {
                let before = pos.checked_sub(1).and_then(|i| text.get(i));
                let holds = match look {
                    Look::Start => pos == 0,
                    Look::End => pos == text.len(),
                    Look::WordBoundary => is_word(before) != is_word(text.get(pos)),
                    Look::NotWordBoundary => is_word(before) == is_word(text.get(pos)),
                };
                if holds {
                    stack.push(pc + 1);
                }
            }
            _ => list.push(pc),
        }
    }
}
