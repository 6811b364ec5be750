//! Expressions: CEL conditions and `${ ... }` interpolation in definition strings.
//!
//! * [`template`] splits a string into text and `${...}` expressions;
//! * [`compile`] parses an expression inside the sandbox limits (and rewrites hyphenated ids:
//!   `phases.branch-cut.outputs.x` means `phases['branch-cut'].outputs.x`);
//! * [`functions`] is the CEL environment: the standard library plus `lowerAscii`, `upperAscii`,
//!   `trim`, `split`, `replace` and `join`;
//! * [`refs`] lists the member paths an expression reads (static reference checking);
//! * [`eval`] evaluates against a release (`inputs`, `vars`, `phases`, `activities`, `release`,
//!   `group`).
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
//!
//! Parsing and evaluation run on a thread with a stack of its own
//! ([`compile::SANDBOX_STACK_BYTES`]), so no expression can overflow the caller's stack; a panic
//! inside the interpreter becomes an error value. CEL has no I/O.

pub mod compile;
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
