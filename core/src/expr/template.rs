//! `${ ... }` interpolation: splitting a string into literal text and CEL expressions.
//!
//! Rules: `${` opens an expression that ends at the matching `}`. The expression is lexed as CEL
//! lexes it ([`super::lex`]): braces of map literals nest, and a `}` inside a string literal of any
//! form (`'…'`, `"…"`, `'''…'''`, `"""…"""`, raw `r'…'`, bytes `b'…'`, with `\` escapes where
//! CEL has them) or inside a `//` comment (which runs to the end of the line) does not end it.
//! So `${ r'\' }` and `${ '''it's''' }` are one expression each, as they would be in `if:`.
//! `$${` is a literal `${`. An unterminated or empty `${}` is an error that names the offset (and,
//! when a comment or a string literal swallowed the `}`, says so).
//! A string that is exactly one `${...}` (see [`single_expression`]) yields the expression's typed
//! value instead of its string form.

use super::lex::SpanKind;
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
            let end = find_close(bytes, i + 2)
                .map_err(|why| TemplateError { offset: start, message: unclosed_message(why) })?;
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

/// Why no `}` closes an expression.
enum Unclosed {
    /// The source ended in code.
    Code {
        /// A `//` comment was seen: it may have swallowed the `}`.
        after_comment: bool,
    },
    /// The source ended inside a string literal.
    Literal,
}

/// Finds the `}` closing an expression whose body starts at `from`, lexing the body as CEL does
/// (see [`super::lex`]): braces inside string literals and comments do not count, and map
/// literals nest.
fn find_close(bytes: &[u8], from: usize) -> Result<usize, Unclosed> {
    let mut depth = 0usize;
    let mut after_comment = false;
    for span in super::lex::spans_from(bytes, from) {
        match span.kind {
            SpanKind::Code => {
                for (i, &b) in bytes.iter().enumerate().take(span.end).skip(span.start) {
                    match b {
                        b'{' => depth += 1,
                        b'}' if depth == 0 => return Ok(i),
                        b'}' => depth -= 1,
                        _ => {}
                    }
                }
            }
            SpanKind::Comment => after_comment = true,
            SpanKind::Literal { terminated: false } if span.end == bytes.len() => return Err(Unclosed::Literal),
            SpanKind::Literal { .. } => {}
        }
    }
    Err(Unclosed::Code { after_comment })
}

fn unclosed_message(why: Unclosed) -> String {
    let hint = match why {
        Unclosed::Code { after_comment: false } => "",
        Unclosed::Code { after_comment: true } => {
            "; a `//` comment runs to the end of the line, so a `}` after it on the same line does not close \
             the expression"
        }
        Unclosed::Literal => "; it ends inside a string literal (close the quote before the `}`)",
    };
    format!("`${{` is never closed; close the expression with `}}` (write `$${{` for a literal `${{`){hint}")
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

    /// The splitter lexes as CEL does: every string form, comments, map literals.
    #[test]
    fn expressions_are_lexed_as_cel_lexes_them() {
        let one = |t: &str| match parse_template(t) {
            Ok(parts) => match parts.as_slice() {
                [Segment::Expr { source, .. }] => source.clone(),
                other => panic!("`{t}` should be one expression, is {other:?}"),
            },
            Err(e) => panic!("`{t}` should split: {e}"),
        };
        assert_eq!(one(r"${ r'\' }"), r"r'\'");
        assert_eq!(one(r#"${ R"\d}" }"#), r#"R"\d}""#);
        assert_eq!(one("${ '''it's''' }"), "'''it's'''");
        assert_eq!(one(r#"${ """say "}" """ }"#), r#""""say "}" """"#);
        assert_eq!(one(r"${ b'\x7d}' }"), r"b'\x7d}'");
        assert_eq!(one(r"${ bR'\' + b'}' }"), r"bR'\' + b'}'");
        assert_eq!(one("${ {'a': {'b': 1}}.a.b }"), "{'a': {'b': 1}}.a.b");
        assert_eq!(one("${ inputs.v // the version }\n}"), "inputs.v // the version }");
        // An identifier ending in `r` is not a raw prefix: `'\''` is a quoted quote.
        assert_eq!(one(r"${ [bar, '\''] }"), r"[bar, '\'']");
    }

    #[test]
    fn a_comment_that_swallows_the_brace_is_named() {
        let e = parse_template("${ inputs.v // note }").unwrap_err();
        assert!(e.message.contains("never closed") && e.message.contains("//"), "{}", e.message);
        let e = parse_template("${ '''open }").unwrap_err();
        assert!(e.message.contains("string literal"), "{}", e.message);
    }

    #[test]
    fn text_after_an_expression_is_not_lexed_as_cel() {
        let parts = parse_template("${a} it's ${b} // done").unwrap();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[1], Segment::Text(" it's ".into()));
        assert_eq!(parts[3], Segment::Text(" // done".into()));
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
