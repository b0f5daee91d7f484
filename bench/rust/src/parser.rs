//! A parser-like workload: generated source text of `let` statements with
//! arithmetic expressions and function calls is parsed into a syntax tree,
//! evaluated and thrown away, document after document.
//!
//! Two trees from the same parser: `Box`-per-node with owned `String`
//! identifiers (every node a global-allocator block), and `&'a` nodes in a
//! `ward::Arena` with identifiers copied into it, released by one `reset`
//! per document.

use crate::{Rng, fail, mix, scaled};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

fn apply(op: Op, a: i64, b: i64) -> i64 {
    match op {
        Op::Add => a.wrapping_add(b),
        Op::Sub => a.wrapping_sub(b),
        Op::Mul => a.wrapping_mul(b),
        Op::Div => {
            if b == 0 {
                0
            } else {
                a.wrapping_div(b)
            }
        }
    }
}

fn call(name: &str, args: impl Iterator<Item = i64>) -> i64 {
    match name {
        "max" => args.max().unwrap_or(0),
        "min" => args.min().unwrap_or(0),
        _ => args.fold(0i64, i64::wrapping_add),
    }
}

/// The value of variable `v<N>`: the N-th statement's, looked up by index.
fn var(name: &str, values: &[i64]) -> i64 {
    name[1..].parse::<usize>().ok().and_then(|i| values.get(i).copied()).unwrap_or(1)
}

// ---- source text ------------------------------------------------------------------

/// A document of `stmts` statements; variables refer to earlier ones.
pub fn generate(rng: &mut Rng, stmts: usize) -> String {
    let mut s = String::with_capacity(stmts * 64);
    for i in 0..stmts {
        s.push_str("let v");
        s.push_str(&i.to_string());
        s.push_str(" = ");
        expr_text(rng, &mut s, i, 0);
        s.push_str(";\n");
    }
    s
}

fn expr_text(rng: &mut Rng, s: &mut String, defined: usize, depth: u32) {
    let leaf = depth >= 5 || rng.below(10) < 3 + depth as u64;
    if leaf {
        if defined > 0 && rng.below(2) == 0 {
            s.push('v');
            s.push_str(&rng.below(defined as u64).to_string());
        } else {
            s.push_str(&rng.below(1000).to_string());
        }
        return;
    }
    match rng.below(6) {
        0 => {
            let name = ["max", "min", "sum"][rng.below(3) as usize];
            s.push_str(name);
            s.push('(');
            let n = 1 + rng.below(4);
            for k in 0..n {
                if k > 0 {
                    s.push_str(", ");
                }
                expr_text(rng, s, defined, depth + 1);
            }
            s.push(')');
        }
        1 => {
            s.push('(');
            expr_text(rng, s, defined, depth + 1);
            s.push(')');
        }
        k => {
            expr_text(rng, s, defined, depth + 1);
            s.push_str([" + ", " - ", " * ", " / "][(k - 2) as usize]);
            expr_text(rng, s, defined, depth + 1);
        }
    }
}

// ---- lexer (allocation-free) -------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok<'s> {
    Let,
    Ident(&'s str),
    Num(i64),
    Op(Op),
    LParen,
    RParen,
    Comma,
    Eq,
    Semi,
    End,
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    peeked: Option<Tok<'s>>,
}

impl<'s> Lexer<'s> {
    fn new(src: &'s str) -> Self {
        Lexer { src, pos: 0, peeked: None }
    }

    fn peek(&mut self) -> Tok<'s> {
        if self.peeked.is_none() {
            self.peeked = Some(self.scan());
        }
        self.peeked.unwrap_or(Tok::End)
    }

    fn next(&mut self) -> Tok<'s> {
        let t = self.peek();
        self.peeked = None;
        t
    }

    fn expect(&mut self, t: Tok<'s>) {
        let got = self.next();
        if got != t {
            fail("parser", &format!("expected {t:?}, got {got:?} at {}", self.pos));
        }
    }

    fn scan(&mut self) -> Tok<'s> {
        let b = self.src.as_bytes();
        while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        if self.pos == b.len() {
            return Tok::End;
        }
        let start = self.pos;
        let c = b[self.pos];
        self.pos += 1;
        match c {
            b'+' => Tok::Op(Op::Add),
            b'-' => Tok::Op(Op::Sub),
            b'*' => Tok::Op(Op::Mul),
            b'/' => Tok::Op(Op::Div),
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b',' => Tok::Comma,
            b'=' => Tok::Eq,
            b';' => Tok::Semi,
            b'0'..=b'9' => {
                let mut n = (c - b'0') as i64;
                while self.pos < b.len() && b[self.pos].is_ascii_digit() {
                    n = n * 10 + (b[self.pos] - b'0') as i64;
                    self.pos += 1;
                }
                Tok::Num(n)
            }
            _ if c.is_ascii_alphabetic() => {
                while self.pos < b.len() && b[self.pos].is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                let word = &self.src[start..self.pos];
                if word == "let" { Tok::Let } else { Tok::Ident(word) }
            }
            _ => fail("parser", &format!("bad byte {c} at {start}")),
        }
    }
}

// ---- one parser, two tree builders ---------------------------------------------------

/// How a tree is built: the parser calls these.
trait Builder<'s> {
    type Expr;
    fn num(&mut self, n: i64) -> Self::Expr;
    fn var(&mut self, name: &'s str) -> Self::Expr;
    fn bin(&mut self, op: Op, a: Self::Expr, b: Self::Expr) -> Self::Expr;
    fn call(&mut self, name: &'s str, args: &mut Vec<Self::Expr>) -> Self::Expr;
}

fn parse_expr<'s, B: Builder<'s>>(lx: &mut Lexer<'s>, b: &mut B) -> B::Expr {
    let mut left = parse_term(lx, b);
    while let Tok::Op(op @ (Op::Add | Op::Sub)) = lx.peek() {
        lx.next();
        let right = parse_term(lx, b);
        left = b.bin(op, left, right);
    }
    left
}

fn parse_term<'s, B: Builder<'s>>(lx: &mut Lexer<'s>, b: &mut B) -> B::Expr {
    let mut left = parse_factor(lx, b);
    while let Tok::Op(op @ (Op::Mul | Op::Div)) = lx.peek() {
        lx.next();
        let right = parse_factor(lx, b);
        left = b.bin(op, left, right);
    }
    left
}

fn parse_factor<'s, B: Builder<'s>>(lx: &mut Lexer<'s>, b: &mut B) -> B::Expr {
    match lx.next() {
        Tok::Num(n) => b.num(n),
        Tok::LParen => {
            let e = parse_expr(lx, b);
            lx.expect(Tok::RParen);
            e
        }
        Tok::Ident(name) => {
            if lx.peek() != Tok::LParen {
                return b.var(name);
            }
            lx.next();
            // Arguments gather on the stack of the recursion, in a small Vec
            // per call (the same for both builders).
            let mut args = Vec::with_capacity(4);
            loop {
                args.push(parse_expr(lx, b));
                match lx.next() {
                    Tok::Comma => continue,
                    Tok::RParen => break,
                    t => fail("parser", &format!("expected , or ), got {t:?}")),
                }
            }
            b.call(name, &mut args)
        }
        t => fail("parser", &format!("unexpected {t:?}")),
    }
}

/// Parses a document into `(name, expr)` statements.
fn parse_program<'s, B: Builder<'s>>(src: &'s str, b: &mut B, out: &mut Vec<(B::Expr, &'s str)>) {
    let mut lx = Lexer::new(src);
    while lx.peek() != Tok::End {
        lx.expect(Tok::Let);
        let Tok::Ident(name) = lx.next() else { fail("parser", "expected a name") };
        lx.expect(Tok::Eq);
        let e = parse_expr(&mut lx, b);
        lx.expect(Tok::Semi);
        out.push((e, name));
    }
}

// ---- Box per node ----------------------------------------------------------------------

pub enum BoxExpr {
    Num(i64),
    Var(String),
    Bin(Op, Box<BoxExpr>, Box<BoxExpr>),
    Call(String, Vec<BoxExpr>),
}

struct BoxBuilder;

impl<'s> Builder<'s> for BoxBuilder {
    type Expr = Box<BoxExpr>;
    fn num(&mut self, n: i64) -> Box<BoxExpr> {
        Box::new(BoxExpr::Num(n))
    }
    fn var(&mut self, name: &'s str) -> Box<BoxExpr> {
        Box::new(BoxExpr::Var(name.to_owned()))
    }
    fn bin(&mut self, op: Op, a: Box<BoxExpr>, b: Box<BoxExpr>) -> Box<BoxExpr> {
        Box::new(BoxExpr::Bin(op, a, b))
    }
    fn call(&mut self, name: &'s str, args: &mut Vec<Box<BoxExpr>>) -> Box<BoxExpr> {
        Box::new(BoxExpr::Call(name.to_owned(), args.drain(..).map(|b| *b).collect()))
    }
}

fn eval_box(e: &BoxExpr, values: &[i64]) -> i64 {
    match e {
        BoxExpr::Num(n) => *n,
        BoxExpr::Var(name) => var(name, values),
        BoxExpr::Bin(op, a, b) => apply(*op, eval_box(a, values), eval_box(b, values)),
        BoxExpr::Call(name, args) => call(name, args.iter().map(|a| eval_box(a, values))),
    }
}

// ---- arena ------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
pub enum ArenaExpr<'a> {
    Num(i64),
    Var(&'a str),
    Bin(Op, &'a ArenaExpr<'a>, &'a ArenaExpr<'a>),
    Call(&'a str, &'a [ArenaExpr<'a>]),
}

struct ArenaBuilder<'r, 'a> {
    arena: &'a ward::Arena<'r>,
    /// Call arguments on their way into the arena (reused).
    scratch: Vec<ArenaExpr<'a>>,
}

impl<'s, 'a> Builder<'s> for ArenaBuilder<'_, 'a> {
    type Expr = &'a ArenaExpr<'a>;
    fn num(&mut self, n: i64) -> Self::Expr {
        self.arena.alloc_copy(ArenaExpr::Num(n))
    }
    fn var(&mut self, name: &'s str) -> Self::Expr {
        let name = self.arena.alloc_str(name);
        self.arena.alloc_copy(ArenaExpr::Var(name))
    }
    fn bin(&mut self, op: Op, a: Self::Expr, b: Self::Expr) -> Self::Expr {
        self.arena.alloc_copy(ArenaExpr::Bin(op, a, b))
    }
    fn call(&mut self, name: &'s str, args: &mut Vec<Self::Expr>) -> Self::Expr {
        let name = self.arena.alloc_str(name);
        self.scratch.clear();
        self.scratch.extend(args.drain(..).copied());
        let slice = self.arena.alloc_slice_copy(&self.scratch);
        self.arena.alloc_copy(ArenaExpr::Call(name, slice))
    }
}

fn eval_arena(e: &ArenaExpr<'_>, values: &[i64]) -> i64 {
    match *e {
        ArenaExpr::Num(n) => n,
        ArenaExpr::Var(name) => var(name, values),
        ArenaExpr::Bin(op, a, b) => apply(op, eval_arena(a, values), eval_arena(b, values)),
        ArenaExpr::Call(name, args) => call(name, args.iter().map(|a| eval_arena(a, values))),
    }
}

// ---- the runs ------------------------------------------------------------------------------------

const DOCS: usize = 8;
const STMTS: usize = 4000;

pub fn documents() -> Vec<String> {
    let mut rng = Rng::new(4);
    (0..DOCS).map(|_| generate(&mut rng, STMTS)).collect()
}

fn passes(scale: f64) -> usize {
    scaled(240.0, scale)
}

/// Box per node: parse, evaluate, drop every tree.
pub fn run_box(scale: f64, docs: &[String]) -> (u64, String) {
    let mut check = 0u64;
    let mut nodes = 0u64;
    let mut stmts = Vec::new();
    let mut values = Vec::new();
    for pass in 0..passes(scale) {
        let doc = &docs[pass % DOCS];
        let mut b = BoxBuilder;
        parse_program(doc, &mut b, &mut stmts);
        values.clear();
        for (e, _) in &stmts {
            let v = eval_box(e, &values);
            values.push(v);
        }
        check = mix(check, values.iter().fold(0i64, |a, &v| a.wrapping_add(v)) as u64);
        nodes += stmts.len() as u64;
        stmts.clear(); // drops the trees, node by node
    }
    check_nodes(nodes, scale);
    (check, String::new())
}

/// Arena: parse, evaluate, reset the arena.
pub fn run_arena(scale: f64, docs: &[String]) -> (u64, String) {
    let mut check = 0u64;
    let mut nodes = 0u64;
    let mut values = Vec::new();
    let mut arena = ward::Arena::new();
    let mut peak_reserved = 0;
    for pass in 0..passes(scale) {
        let doc = &docs[pass % DOCS];
        {
            let mut b = ArenaBuilder { arena: &arena, scratch: Vec::new() };
            let mut stmts = Vec::with_capacity(STMTS);
            parse_program(doc, &mut b, &mut stmts);
            values.clear();
            for (e, _) in &stmts {
                let v = eval_arena(e, &values);
                values.push(v);
            }
            nodes += stmts.len() as u64;
        }
        check = mix(check, values.iter().fold(0i64, |a, &v| a.wrapping_add(v)) as u64);
        peak_reserved = peak_reserved.max(arena.reserved());
        arena.reset(); // the whole tree at once
    }
    check_nodes(nodes, scale);
    (check, format!("arena_reserved_kib={}", peak_reserved / 1024))
}

fn check_nodes(stmts: u64, scale: f64) {
    if stmts != (passes(scale) * STMTS) as u64 {
        fail("parser", &format!("parsed {stmts} statements"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_trees_evaluate_alike() {
        let mut rng = Rng::new(9);
        let doc = generate(&mut rng, 300);
        let mut stmts = Vec::new();
        parse_program(&doc, &mut BoxBuilder, &mut stmts);
        let mut a = Vec::new();
        for (e, _) in &stmts {
            let v = eval_box(e, &a);
            a.push(v);
        }
        let arena = ward::Arena::new();
        let mut astmts = Vec::new();
        parse_program(&doc, &mut ArenaBuilder { arena: &arena, scratch: Vec::new() }, &mut astmts);
        let mut b = Vec::new();
        for (e, _) in &astmts {
            let v = eval_arena(e, &b);
            b.push(v);
        }
        assert_eq!(a, b);
        assert_eq!(a.len(), 300);
    }
}
