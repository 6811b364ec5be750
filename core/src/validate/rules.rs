//! Per-value format rules shared by the shape check and the semantic checks.

use super::codes;
use crate::Problem;
use regex::Regex;
use std::sync::LazyLock;

static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9_-]{0,63}$").expect("id regex"));
static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$").expect("name regex"));

/// Largest compiled size of a user regular expression (bytes), so a `pattern` cannot exhaust memory.
pub const MAX_REGEX_SIZE: usize = 1 << 20;

/// Whether `s` is a valid process/phase/activity id: `[a-z0-9][a-z0-9-_]{0,63}`.
pub fn is_id(s: &str) -> bool {
    ID.is_match(s)
}

/// Whether `s` is a valid input/variable/output/field name: `[A-Za-z_][A-Za-z0-9_]*` (≤ 128 chars),
/// so it can be used as `inputs.<name>` in expressions.
pub fn is_name(s: &str) -> bool {
    NAME.is_match(s)
}

/// Compiles a user regular expression with a size limit.
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern).size_limit(MAX_REGEX_SIZE).build().map_err(|e| {
        let text = e.to_string();
        let last = text.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
        format!("`{pattern}` is not a valid regular expression ({last}); use Rust/RE2 regex syntax, e.g. `^\\d+\\.\\d+\\.\\d+$`")
    })
}

/// Checks a string value against a schema `format` (`id`, `name`, `duration`, `duration_or_expression`, `regex`, `cel`).
pub fn check_format(format: &str, s: &str, at: &str) -> Option<Problem> {
    match format {
        "id" if !is_id(s) => Some(Problem::new(
            at,
            codes::BAD_ID,
            format!(
                "`{s}` is not a valid id; ids are 1-64 characters of lowercase letters, digits, `-` and `_`, starting with a letter or digit (e.g. `branch-cut`)"
            ),
        )),
        "name" if !is_name(s) => Some(bad_name(s, at)),
        "duration" => crate::model::Duration::parse(s).err().map(|m| Problem::new(at, codes::BAD_DURATION, m)),
        // An expression is checked with the other expressions; a fixed text as a duration.
        "duration_or_expression" => {
            crate::model::WaitDuration::parse(s).err().map(|m| Problem::new(at, codes::BAD_DURATION, m))
        }
        "regex" => compile_pattern(s).err().map(|m| Problem::new(at, codes::BAD_PATTERN, m)),
        "cel" => crate::expr::check_cel_syntax(s)
            .err()
            .map(|m| Problem::new(at, codes::INVALID_EXPRESSION, format!("`{s}`: {m}"))),
        _ => None,
    }
}

/// The problem for a name that is not an identifier.
pub fn bad_name(s: &str, at: &str) -> Problem {
    Problem::new(
        at,
        codes::BAD_NAME,
        format!(
            "`{s}` is not a valid name; names start with a letter or `_` and contain only letters, digits and `_` (e.g. `releaseVersion`), so expressions can use them"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names() {
        for ok in ["a", "branch-cut", "prod_1", "0abc"] {
            assert!(is_id(ok), "{ok}");
        }
        for bad in ["", "Branch", "-a", "a b", &"a".repeat(65)] {
            assert!(!is_id(bad), "{bad}");
        }
        assert!(is_name("releaseVersion") && is_name("_x1"));
        assert!(!is_name("1x") && !is_name("a-b") && !is_name(""));
    }

    #[test]
    fn formats_produce_codes() {
        assert_eq!(check_format("id", "Bad Id", "id").unwrap().code, codes::BAD_ID);
        assert_eq!(check_format("duration", "5", "t").unwrap().code, codes::BAD_DURATION);
        assert_eq!(check_format("regex", "([a-", "p").unwrap().code, codes::BAD_PATTERN);
        assert_eq!(check_format("cel", "a ==", "if").unwrap().code, codes::INVALID_EXPRESSION);
        assert!(check_format("id", "ok-id", "id").is_none());
    }
}
