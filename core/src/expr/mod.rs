//! Expressions: CEL conditions and `${ ... }` interpolation in definition strings.
//!
//! This module holds the template splitter ([`template`]) and the syntax check used by validation
//! ([`check_cel_syntax`]). Evaluation with the full context of DESIGN §5 lands with the expressions
//! capability.

pub mod eval;
pub mod template;

/// Largest expression accepted, in bytes. Longer expressions are refused at validation time.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// Deepest nesting of brackets accepted in an expression.
pub const MAX_EXPRESSION_NESTING: usize = 32;

/// Checks that `source` is a syntactically valid CEL expression within the sandbox limits.
/// Returns a message saying what is wrong otherwise.
pub fn check_cel_syntax(source: &str) -> Result<(), String> {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Err(format!("expression is {} bytes; at most {MAX_EXPRESSION_BYTES} are allowed", source.len()));
    }
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    for c in source.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max_depth > MAX_EXPRESSION_NESTING {
        return Err(format!("expression nests {max_depth} levels deep; at most {MAX_EXPRESSION_NESTING} are allowed"));
    }
    // The parser is not trusted to be panic-free on arbitrary input: a panic becomes an error.
    let parsed = std::panic::catch_unwind(|| cel::Program::compile(source).map(|_| ()).map_err(|e| e.to_string()));
    match parsed {
        Ok(Ok(())) => Ok(()),
        Ok(Err(msg)) => Err(format!("invalid CEL: {}", msg.trim())),
        Err(_) => Err("invalid CEL: the parser could not read this expression".to_string()),
    }
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
    }

    #[test]
    fn templates_report_each_bad_expression() {
        assert!(check_template("release/${inputs.v}").is_empty());
        assert_eq!(check_template("${a +} and ${b ==}").len(), 2);
        assert_eq!(check_template("${a").len(), 1);
    }
}
