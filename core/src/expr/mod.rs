//! Expressions: CEL conditions and `${ ... }` interpolation in definition strings.
//!
//! * [`template`] splits a string into text and `${...}` expressions;
//! * [`compile`] parses an expression inside the sandbox limits (and rewrites hyphenated ids:
//!   `phases.branch-cut.outputs.x` means `phases['branch-cut'].outputs.x`);
//! * [`functions`] is the CEL environment: the standard library plus `lowerAscii`, `upperAscii`,
//!   `trim`, `split`, `replace` and `join`;
//! * [`lex`] is CEL's lexical grammar (string literals of every form, comments), shared by the
//!   splitter, the rewriting and the text limits;
//! * [`refs`] lists the member paths an expression reads (static reference checking);
//! * [`eval`] evaluates against a release (`inputs`, `vars`, `phases`, `activities`, `release`,
//!   `group`), with the context [`context`] builds;
//! * [`value`] maps CEL values to JSON and back (the table of every type).
//!
//! # Sandbox limits
//!
//! | limit | value | checked |
//! |---|---|---|
//! | expression length | [`MAX_EXPRESSION_BYTES`] | before parsing |
//! | bracket nesting | [`MAX_EXPRESSION_NESTING`] | before parsing |
//! | operators in one expression | [`MAX_EXPRESSION_OPERATORS`] | before parsing |
//! | estimated evaluation steps | [`MAX_EVALUATION_COST`] | after parsing (comprehensions multiply) |
//! | string built by a function, or exposed to / given by an expression | [`MAX_STRING_BYTES`] | while evaluating |
//! | items of a list or map exposed to / given by an expression | [`MAX_LIST_ITEMS`] | while evaluating |
//! | size of a result (as JSON) | [`MAX_RESULT_BYTES`] | after evaluating |
//! | what interpolation makes for one rendered value (an activity's `with:`, a phase output, a `wait` time; the variables of one scope together): rendered strings, text around `${…}` in them, typed values as JSON | [`MAX_RENDERED_BYTES`] | while rendering, before each piece is added |
//! | depth of the syntax tree | [`MAX_EXPRESSION_DEPTH`] | after parsing |
//! | nesting of lists and maps exposed to / given by an expression | [`MAX_VALUE_DEPTH`] | while evaluating |
//!
//! Parsing and evaluation run on the caller's thread, no thread is spawned. The limits above bound
//! the stack they need ([`compile::PARSE_STACK_BYTES`], [`compile::EVAL_STACK_BYTES`]); when the
//! caller's thread has less stack left than that, the call runs on a stack segment allocated for
//! it ([`compile::with_stack`], the `stacker` crate). So no expression can overflow a stack, in
//! debug or release builds, and a panic inside the interpreter becomes an error value. CEL has no
//! I/O. Compiled expressions are cached by source ([`compile::cached`]), so evaluation does not
//! parse again.

pub mod compile;
pub mod context;
pub mod eval;
pub mod functions;
pub mod lex;
pub mod refs;
pub mod template;
pub mod value;

/// Largest expression accepted, in bytes. Longer expressions are refused at validation time.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// Deepest nesting of brackets accepted in an expression.
pub const MAX_EXPRESSION_NESTING: usize = 32;

/// Deepest syntax tree accepted: each step of a chain (`a.b.c`, `x[0][1]`, `s.trim().size()`,
/// `a + b + c`) or of a nesting is one level. Bounds the stack evaluation needs.
pub const MAX_EXPRESSION_DEPTH: usize = 128;

/// Deepest value (lists and maps inside each other) exposed to or given by an expression: the
/// engine's bound on stored values ([`crate::limits::MAX_VALUE_DEPTH`]).
pub const MAX_VALUE_DEPTH: usize = crate::limits::MAX_VALUE_DEPTH;

/// Most operators (`+`, `==`, `&&`, `!`, `?`, …) in one expression.
pub const MAX_EXPRESSION_OPERATORS: usize = 200;

/// Most estimated evaluation steps (see [`compile::estimate_cost`]).
pub const MAX_EVALUATION_COST: u64 = 1_000_000;

/// Longest string a function may build, or a value exposed to or returned by an expression may hold.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// Most items in a list or map exposed to, built by or returned from an expression.
pub const MAX_LIST_ITEMS: usize = 1000;

/// Largest result of one expression, measured as JSON.
pub const MAX_RESULT_BYTES: usize = 256 * 1024;

/// Largest rendered value: the strings and values made by interpolating one value (an activity's
/// `with:`, a phase output, a `wait` time) or the variables in one scope, all together, counted
/// while rendering and before each piece is added.
pub const MAX_RENDERED_BYTES: usize = 1024 * 1024;

/// Checks that `source` is a syntactically valid CEL expression within the sandbox limits.
/// Returns a message saying what is wrong otherwise.
pub fn check_cel_syntax(source: &str) -> Result<(), String> {
    compile::cached(source).map(|_| ())
}

/// Checks every `${...}` in a template string; returns one message per problem.
pub fn check_template(text: &str) -> Vec<String> {
    match template::parse_template(text) {
        Err(e) => vec![e.to_string()],
        Ok(segments) => segments
            .iter()
            .filter_map(|s| match s {
                template::Segment::Expr { source, .. } => {
                    check_cel_syntax(source).err().map(|m| format!("in `${{{source}}}`: {m}"))
                }
                template::Segment::Text(_) => None,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cel_syntax_is_checked() {
        assert!(check_cel_syntax("inputs.environment != \"qa\"").is_ok());
        assert!(check_cel_syntax("inputs.environment != ").unwrap_err().starts_with("invalid CEL"));
        assert!(check_cel_syntax(&"(".repeat(40)).unwrap_err().contains("nests"));
        assert!(check_cel_syntax(&"a".repeat(5000)).unwrap_err().contains("bytes"));
        assert!(check_cel_syntax("phases.branch-cut.activities.cut.outputs.commit").is_ok());
    }

    #[test]
    fn templates_report_each_bad_expression() {
        assert!(check_template("release/${inputs.v}").is_empty());
        assert_eq!(check_template("${a +} and ${b ==}").len(), 2);
        assert_eq!(check_template("${a").len(), 1);
    }
}
