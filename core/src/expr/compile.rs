//! Compiling an expression inside the sandbox: size limits checked before parsing, hyphenated
//! ids rewritten, the parse run with enough stack (on the caller's thread, on a stack segment of
//! its own when the caller's is short: [`with_stack`]), the depth of the syntax tree bounded and
//! the evaluation cost estimated from it.
//!
//! **Hyphenated ids.** Phase and activity ids may hold `-` (`branch-cut`), which CEL would read as
//! a minus. Right after `phases.` or `activities.` (no spaces around the dot), a run of id
//! characters `[A-Za-z0-9_-]` that holds a `-` or starts with a digit is taken as one id and
//! rewritten into index syntax before compiling: `phases.branch-cut.activities.deploy-qa.outputs.url`
//! is compiled as `phases['branch-cut'].activities['deploy-qa'].outputs.url`. Text inside string
//! literals (of every CEL form) and comments is never rewritten. Write `phases.a - b` (with spaces) for a subtraction.

use super::lex::SpanKind;
use super::refs;
use super::{
    MAX_EVALUATION_COST, MAX_EXPRESSION_BYTES, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_NESTING, MAX_EXPRESSION_OPERATORS,
    MAX_LIST_ITEMS,
};
use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// Deepest recursion the parser accepts (nested calls, parentheses, ternaries).
const PARSER_RECURSION: u16 = 48;

/// Stack that parsing an expression within the text limits may need at most, with a margin of
/// about 3× (measured: at most 1 MiB in release builds, for a 4096-byte `a.b.c…` chain; at most
/// 5.6 MiB in debug builds, for 32 nested brackets).
pub const PARSE_STACK_BYTES: usize = if cfg!(debug_assertions) { 16 << 20 } else { 3 << 20 };

/// Stack that evaluating an expression within [`MAX_EXPRESSION_DEPTH`] may need at most, with a
/// margin of 3× or more (measured: about 1.5 KiB per level, at most 0.3 MiB, in release builds;
/// 38 KiB per level, at most 5.6 MiB, in debug builds).
pub const EVAL_STACK_BYTES: usize = if cfg!(debug_assertions) { 16 << 20 } else { 1 << 20 };

/// A parsed expression that passed every sandbox limit.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The syntax tree (standard macros expanded).
    pub ast: IdedExpr,
    /// The estimated evaluation cost (see [`MAX_EVALUATION_COST`]).
    pub cost: u64,
    /// The member paths it reads ([`refs::references`]), computed once.
    pub references: Vec<refs::PathRef>,
}

/// Runs `f` on the caller's thread when at least `need` bytes of its stack are left, else on a
/// stack segment of `need` bytes allocated for the call and freed after it (the `stacker` crate);
/// either way on the calling thread, with no thread spawned. A panic inside `f` becomes `Err`.
pub fn with_stack<T>(need: usize, f: impl FnOnce() -> T) -> Result<T, String> {
    stacker::maybe_grow(need, need, || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)))
        .map_err(|_| "the expression interpreter failed on this expression".to_string())
}

/// The depth of the syntax tree (a leaf is 1), computed without recursion.
pub fn tree_depth(expr: &IdedExpr) -> usize {
    let mut deepest = 0;
    let mut todo: Vec<(&IdedExpr, usize)> = vec![(expr, 1)];
    while let Some((e, depth)) = todo.pop() {
        deepest = deepest.max(depth);
        let next = depth + 1;
        match &e.expr {
            Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => {}
            Expr::Select(s) => todo.push((&s.operand, next)),
            Expr::Call(c) => todo.extend(c.args.iter().chain(c.target.as_deref()).map(|a| (a, next))),
            Expr::List(l) => todo.extend(l.elements.iter().map(|a| (a, next))),
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(m) = &entry.expr {
                        todo.push((&m.key, next));
                        todo.push((&m.value, next));
                    }
                }
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        todo.push((&f.value, next));
                    }
                }
            }
            Expr::Comprehension(c) => {
                todo.extend([&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result].map(|a| (a, next)))
            }
        }
    }
    deepest
}

/// Rewrites hyphenated ids after `phases.`/`activities.` into index syntax (see the module doc).
/// Only code is rewritten: string literals of every form and comments are copied as they are
/// ([`super::lex`]).
pub fn rewrite_hyphenated_ids(source: &str) -> Cow<'_, str> {
    if !source.contains("phases.") && !source.contains("activities.") {
        return Cow::Borrowed(source);
    }
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 8);
    let mut changed = false;
    for span in super::lex::spans(source) {
        if span.kind != SpanKind::Code {
            out.push_str(&source[span.start..span.end]);
            continue;
        }
        let mut i = span.start;
        let mut copied = span.start;
        while i < span.end {
            if bytes[i] == b'.'
                && (ends_with_word(&source[..i], "phases") || ends_with_word(&source[..i], "activities"))
            {
                let start = i + 1;
                let mut end = start;
                while end < span.end && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b'-')
                {
                    end += 1;
                }
                // A trailing `-` belongs to an operator (`phases.x- 1`), not to the id.
                while end > start && bytes[end - 1] == b'-' {
                    end -= 1;
                }
                let id = &source[start..end];
                if !id.is_empty() && (id.contains('-') || id.as_bytes()[0].is_ascii_digit()) {
                    out.push_str(&source[copied..i]);
                    out.push_str("['");
                    out.push_str(id);
                    out.push_str("']");
                    i = end;
                    copied = end;
                    changed = true;
                    continue;
                }
            }
            i += 1;
        }
        out.push_str(&source[copied..span.end]);
    }
    if changed { Cow::Owned(out) } else { Cow::Borrowed(source) }
}

/// Whether `text` ends with the identifier `word` (not a longer identifier ending with it).
fn ends_with_word(text: &str, word: &str) -> bool {
    text.strip_suffix(word).is_some_and(|before| !before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

fn is_operator(c: char) -> bool {
    matches!(c, '+' | '-' | '*' | '/' | '%' | '<' | '>' | '=' | '!' | '&' | '|' | '?')
}

/// Checks the limits that can be seen in the text: length, bracket nesting and operator count.
/// Only code counts: brackets and operators inside string literals and comments do not.
pub fn check_text_limits(source: &str) -> Result<(), String> {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Err(format!("expression is {} bytes; at most {MAX_EXPRESSION_BYTES} are allowed", source.len()));
    }
    let (mut depth, mut max_depth, mut operators) = (0usize, 0usize, 0usize);
    for span in super::lex::spans(source) {
        if span.kind != SpanKind::Code {
            continue;
        }
        let mut prev = ' ';
        for c in source[span.start..span.end].chars() {
            match c {
                '(' | '[' | '{' => {
                    depth += 1;
                    max_depth = max_depth.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                // `==`, `&&`, `<=` … count once: only the first character of an operator run counts
                // (a `-` or `!` always counts: `!!x`, `1--1` nest).
                _ if is_operator(c) && (!is_operator(prev) || c == '-' || c == '!') => operators += 1,
                _ => {}
            }
            prev = c;
        }
    }
    if max_depth > MAX_EXPRESSION_NESTING {
        return Err(format!("expression nests {max_depth} levels deep; at most {MAX_EXPRESSION_NESTING} are allowed"));
    }
    if operators > MAX_EXPRESSION_OPERATORS {
        return Err(format!(
            "expression has {operators} operators; at most {MAX_EXPRESSION_OPERATORS} are allowed (split it into variables)"
        ));
    }
    Ok(())
}

/// Compiles `source` within the sandbox limits: text limits, hyphenated-id rewriting, parsing, the
/// depth of the syntax tree and the cost estimate. The message of an error says what is wrong
/// (`invalid CEL: …` for syntax). Runs on the caller's thread (see [`with_stack`]).
pub fn compile(source: &str) -> Result<Compiled, String> {
    check_text_limits(source)?;
    let rewritten = rewrite_hyphenated_ids(source);
    // Everything that walks the tree recursively, dropping a too deep one included, stays inside.
    with_stack(PARSE_STACK_BYTES, || {
        let ast = cel::parser::Parser::new()
            .max_recursion_depth(PARSER_RECURSION)
            .parse(&rewritten)
            .map_err(|e| format!("invalid CEL: {}", first_lines(&e.to_string())))?;
        let depth = tree_depth(&ast);
        if depth > MAX_EXPRESSION_DEPTH {
            return Err(format!(
                "expression is {depth} levels deep; at most {MAX_EXPRESSION_DEPTH} are allowed (each step of a \
                 chain such as `a.b.c`, `x[0][1]`, `s.trim().lowerAscii()` or `a + b + c` is one level: split it \
                 into variables)"
            ));
        }
        let cost = estimate_cost(&ast);
        if cost > MAX_EVALUATION_COST {
            return Err(format!(
                "expression may take about {cost} evaluation steps; at most {MAX_EVALUATION_COST} are allowed \
                 (nested `map`/`filter`/`all`/`exists` over lists multiply: a list from the context counts as \
                 {MAX_LIST_ITEMS} items)"
            ));
        }
        let references = refs::references(&ast);
        Ok(Compiled { ast, cost, references })
    })
    .map_err(|_| "invalid CEL: the parser could not read this expression".to_string())?
}

/// Compiled expressions, by source: validation and evaluation meet the same few expressions again
/// and again.
static CACHE: LazyLock<Mutex<HashMap<String, Arc<Compiled>>>> = LazyLock::new(Mutex::default);

/// Most compiled expressions kept; the cache is emptied when it is full.
const CACHE_ENTRIES: usize = 1024;

/// [`compile`], remembering successful compilations (errors are recomputed: they are rare).
pub fn cached(source: &str) -> Result<Arc<Compiled>, String> {
    if let Some(c) = CACHE.lock().ok().and_then(|m| m.get(source).cloned()) {
        return Ok(c);
    }
    let c = Arc::new(compile(source)?);
    if let Ok(mut m) = CACHE.lock() {
        if m.len() >= CACHE_ENTRIES {
            m.clear();
        }
        m.insert(source.to_string(), Arc::clone(&c));
    }
    Ok(c)
}

/// The parser's message without the repeated source snippet lines beyond the first error.
fn first_lines(msg: &str) -> String {
    msg.lines().take(3).collect::<Vec<_>>().join("\n").trim().to_string()
}

/// Estimates how many steps evaluating `expr` takes: one per node, and for a comprehension
/// (`map`, `filter`, `all`, `exists`, `exists_one`) its body times the number of items it iterates
/// (a list literal's length, else [`MAX_LIST_ITEMS`]). Saturates instead of overflowing.
pub fn estimate_cost(expr: &IdedExpr) -> u64 {
    match &expr.expr {
        Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => 1,
        Expr::Select(s) => 1u64.saturating_add(estimate_cost(&s.operand)),
        Expr::Call(c) => {
            c.args.iter().chain(c.target.as_deref()).fold(1u64, |acc, a| acc.saturating_add(estimate_cost(a)))
        }
        Expr::List(l) => l.elements.iter().fold(1u64, |acc, e| acc.saturating_add(estimate_cost(e))),
        Expr::Map(m) => m.entries.iter().fold(1u64, |acc, e| acc.saturating_add(entry_cost(&e.expr))),
        Expr::Struct(s) => s.entries.iter().fold(1u64, |acc, e| acc.saturating_add(entry_cost(&e.expr))),
        Expr::Comprehension(c) => {
            let items = match &c.iter_range.expr {
                Expr::List(l) => l.elements.len() as u64,
                Expr::Map(m) => m.entries.len() as u64,
                _ => MAX_LIST_ITEMS as u64,
            };
            let body = estimate_cost(&c.loop_cond).saturating_add(estimate_cost(&c.loop_step));
            estimate_cost(&c.iter_range)
                .saturating_add(estimate_cost(&c.accu_init))
                .saturating_add(estimate_cost(&c.result))
                .saturating_add(items.saturating_mul(body.max(1)))
        }
    }
}

fn entry_cost(entry: &EntryExpr) -> u64 {
    match entry {
        EntryExpr::StructField(f) => estimate_cost(&f.value),
        EntryExpr::MapEntry(m) => estimate_cost(&m.key).saturating_add(estimate_cost(&m.value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyphenated_ids_after_phases_and_activities_become_index_syntax() {
        assert_eq!(
            rewrite_hyphenated_ids("phases.branch-cut.activities.deploy-qa.outputs.url"),
            "phases['branch-cut'].activities['deploy-qa'].outputs.url"
        );
        assert_eq!(rewrite_hyphenated_ids("activities.deploy-qa.outputs.url"), "activities['deploy-qa'].outputs.url");
        assert_eq!(rewrite_hyphenated_ids("phases.2fa.outputs.x"), "phases['2fa'].outputs.x");
    }

    #[test]
    fn rewriting_leaves_everything_else_alone() {
        for s in [
            "phases['branch-cut'].outputs.x",
            "phases.build.outputs.n - 1",
            "'phases.branch-cut' + x",
            "inputs.a-b",
            "myphases.a-b",
            "\"it's phases.a-b\"",
        ] {
            assert_eq!(rewrite_hyphenated_ids(s), s, "{s}");
        }
        assert_eq!(rewrite_hyphenated_ids("phases.a-b-1"), "phases['a-b-1']");
        // Found by the fuzz target: an escape before a multi-byte character.
        assert_eq!(rewrite_hyphenated_ids("phases.size()['\\é"), "phases.size()['\\é");
        assert_eq!(rewrite_hyphenated_ids("'\\é' + phases.a-b"), "'\\é' + phases['a-b']");
        assert_eq!(rewrite_hyphenated_ids("phases.a-"), "phases.a-");
    }

    /// String literals of every CEL form, and comments, are never rewritten; code after them is.
    #[test]
    fn rewriting_follows_cel_string_and_comment_forms() {
        for s in
            ["'''it's phases.a-b''' + x", r#""""phases.a-b "quoted" """"#, "x // phases.a-b", "r'\\' + 'phases.a-b'"]
        {
            assert_eq!(rewrite_hyphenated_ids(s), s, "{s}");
        }
        assert_eq!(rewrite_hyphenated_ids(r"r'\' + phases.a-b"), r"r'\' + phases['a-b']");
        assert_eq!(rewrite_hyphenated_ids("'''it's''' + phases.a-b"), "'''it's''' + phases['a-b']");
        assert_eq!(rewrite_hyphenated_ids("x // c\n+ phases.a-b"), "x // c\n+ phases['a-b']");
    }

    #[test]
    fn text_limits_count_only_code() {
        let many = "+".repeat(MAX_EXPRESSION_OPERATORS + 1);
        assert!(check_text_limits(&format!("'''{many}'''")).is_ok(), "operators in a triple-quoted string");
        assert!(check_text_limits(&format!("1 // {many}")).is_ok(), "operators in a comment");
        let nested = "(".repeat(MAX_EXPRESSION_NESTING + 1);
        assert!(check_text_limits(&format!("r'\\' + '{nested}'")).is_ok(), "brackets in a string after a raw one");
        assert!(check_text_limits(&format!("r'\\' + {nested}")).unwrap_err().contains("nests"));
        let chain = format!("1{}", "+1".repeat(MAX_EXPRESSION_OPERATORS));
        assert!(check_text_limits(&format!("'''it's''' + {chain}")).unwrap_err().contains("operators"));
    }

    #[test]
    fn text_limits() {
        assert!(check_text_limits(&"a".repeat(MAX_EXPRESSION_BYTES + 1)).unwrap_err().contains("bytes"));
        assert!(check_text_limits(&"(".repeat(40)).unwrap_err().contains("nests"));
        assert!(check_text_limits(&format!("1{}", "+1".repeat(300))).unwrap_err().contains("operators"));
        assert!(check_text_limits("a == 1 && b != 2 || !c").is_ok());
        assert!(check_text_limits(&format!("'{}'", "+".repeat(500))).is_ok(), "operators in strings do not count");
    }

    #[test]
    fn deep_chains_are_refused_by_depth_without_overflowing_the_stack() {
        // On a small stack: parsing takes a stack segment of its own when the caller's is short.
        let ok = format!("1{}", "+1".repeat(MAX_EXPRESSION_DEPTH - 2));
        let deep = format!("1{}", "+1".repeat(MAX_EXPRESSION_DEPTH));
        let chain = format!("inputs{}", ".a".repeat((MAX_EXPRESSION_BYTES - 6) / 2));
        let got = std::thread::Builder::new().stack_size(128 * 1024).spawn(move || {
            [compile(&ok).map(|c| c.cost), compile(&deep).map(|c| c.cost), compile(&chain).map(|c| c.cost)]
        });
        let [ok, deep, chain] = got.unwrap().join().unwrap();
        assert!(ok.is_ok(), "{ok:?}");
        assert!(deep.unwrap_err().contains(&format!("at most {MAX_EXPRESSION_DEPTH}")));
        assert!(chain.unwrap_err().contains("levels deep"));
    }

    #[test]
    fn tree_depth_counts_every_step() {
        let depth = |s: &str| tree_depth(&compile(s).unwrap().ast);
        assert_eq!(depth("a"), 1);
        assert_eq!(depth("a.b.c"), 3);
        assert_eq!(depth("a + b + c"), 3);
        assert_eq!(depth("[[1]]"), 3);
        assert_eq!(depth("{'k': [1]}"), 3);
    }

    #[test]
    fn cost_multiplies_nested_comprehensions() {
        let one = compile("inputs.services.map(s, s + '-x')").unwrap();
        assert!(one.cost > MAX_LIST_ITEMS as u64);
        let literal = compile("[1, 2, 3].all(x, x > 0)").unwrap();
        assert!(literal.cost < 100);
        let nested = compile("inputs.a.all(x, inputs.b.all(y, inputs.c.exists(z, x == y && y == z)))");
        assert!(nested.unwrap_err().contains("evaluation steps"));
    }

    #[test]
    fn syntax_errors_say_invalid_cel() {
        assert!(compile("a +").unwrap_err().starts_with("invalid CEL"));
        assert!(compile("a.b(").unwrap_err().starts_with("invalid CEL"));
        assert!(compile(&format!("{}'a'{}", "size(".repeat(30), ")".repeat(30))).is_ok());
    }
}
