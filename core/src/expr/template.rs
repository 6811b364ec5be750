//! `${ ... }` interpolation: splitting a string into literal text and CEL expressions.
//!
//! Rules: `${` opens an expression that ends at the matching `}`; braces inside the expression
//! (CEL map literals) and braces inside CEL string literals (`'…'`, `"…"`, with `\` escapes) do not
//! end it. `$${` is a literal `${`. An unterminated or empty `${}` is an error that names the offset.
//! A string that is exactly one `${...}` (see [`single_expression`]) yields the expression's typed
//! value instead of its string form.

use std::fmt;

/// One piece of a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text (with `$${` already turned into `${`).
    Text(String),
    /// A CEL expression, with the byte offset of its first character in the template.
    Expr {
        /// The expression source, trimmed.
        source: String,
        /// Byte offset of the `${` in the template.
        offset: usize,
    },
}

/// Why a template could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset of the `${` that could not be closed or was empty.
    pub offset: usize,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for TemplateError {}

/// Splits `template` into text and expression segments.
///
/// ```
/// use trainyard::expr::template::{parse_template, Segment};
/// let parts = parse_template("release/${inputs.version}").unwrap();
/// assert_eq!(parts, vec![
///     Segment::Text("release/".into()),
///     Segment::Expr { source: "inputs.version".into(), offset: 8 },
/// ]);
/// assert!(parse_template("oops ${inputs.version").is_err());
/// ```
pub fn parse_template(template: &str) -> Result<Vec<Segment>, TemplateError> {
    let bytes = template.as_bytes();
    let mut segments = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'$') && bytes.get(i + 2) == Some(&b'{') {
            text.push_str(&template[text_start..i]);
            text.push_str("${");
            i += 3;
            text_start = i;
            continue;
        }
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            text.push_str(&template[text_start..i]);
            let start = i;
            let end = find_close(bytes, i + 2).ok_or_else(|| TemplateError {
                offset: start,
                message: "`${` is never closed; close the expression with `}` (write `$${` for a literal `${`)"
                    .to_string(),
            })?;
            let source = template[i + 2..end].trim();
            if source.is_empty() {
                return Err(TemplateError {
                    offset: start,
                    message: "empty expression `${}`; put a CEL expression inside, e.g. `${inputs.version}`"
                        .to_string(),
                });
            }
            if !text.is_empty() {
                segments.push(Segment::Text(std::mem::take(&mut text)));
            }
            segments.push(Segment::Expr { source: source.to_string(), offset: start });
            i = end + 1;
            text_start = i;
            continue;
        }
        i += 1;
    }
    text.push_str(&template[text_start..]);
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
    Ok(segments)
}

/// Finds the `}` closing an expression whose body starts at `from`.
fn find_close(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'{' => depth += 1,
                b'}' if depth == 0 => return Some(i),
                b'}' => depth -= 1,
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// If `template` is exactly one `${...}` (surrounding whitespace allowed), its expression source.
pub fn single_expression(template: &str) -> Option<String> {
    match parse_template(template.trim()) {
        Ok(segments) => match segments.as_slice() {
            [Segment::Expr { source, .. }] => Some(source.clone()),
            _ => None,
        },
        Err(_) => None,
    }
}

/// Whether the string contains `${` interpolation at all (cheap check).
pub fn has_interpolation(s: &str) -> bool {
    s.contains("${")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_one_segment_and_empty_is_none() {
        assert_eq!(parse_template("hello").unwrap(), vec![Segment::Text("hello".into())]);
        assert_eq!(parse_template("").unwrap(), vec![]);
    }

    #[test]
    fn braces_and_quotes_inside_expressions_do_not_close_them() {
        let parts = parse_template("a ${ {'k': '}'}['k'] } b").unwrap();
        assert_eq!(parts[1], Segment::Expr { source: "{'k': '}'}['k']".into(), offset: 2 });
        assert_eq!(parts[2], Segment::Text(" b".into()));
        let parts = parse_template(r#"${"a\"}"}"#).unwrap();
        assert_eq!(parts, vec![Segment::Expr { source: r#""a\"}""#.into(), offset: 0 }]);
    }

    #[test]
    fn dollar_dollar_escapes() {
        assert_eq!(
            parse_template("cost $${x} ${y}").unwrap(),
            vec![Segment::Text("cost ${x} ".into()), Segment::Expr { source: "y".into(), offset: 11 }]
        );
    }

    #[test]
    fn errors_name_the_offset() {
        let e = parse_template("ab ${x").unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(e.message.contains("never closed"));
        assert_eq!(parse_template("${ }").unwrap_err().offset, 0);
    }

    #[test]
    fn single_expression_detection() {
        assert_eq!(single_expression(" ${inputs.n} ").as_deref(), Some("inputs.n"));
        assert_eq!(single_expression("v${inputs.n}"), None);
        assert_eq!(single_expression("${a}${b}"), None);
        assert!(has_interpolation("x ${y}"));
    }
}
