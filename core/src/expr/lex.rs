//! CEL's lexical grammar, as far as finding where code, string literals and comments are.
//!
//! The `${…}` splitter, the hyphenated-id rewriting and the text limits all need to know which
//! bytes of an expression are code: a `}` ends an expression only in code, a `-` is rewritten only
//! in code, an operator counts only in code. This module splits a source into [`Span`]s the way
//! CEL's lexer does (the grammar of the `cel` crate, `CEL.g4`, which follows cel-spec's
//! `langdef.md`):
//!
//! | form | example | ends at |
//! |---|---|---|
//! | quoted string | `'a\'b'`, `"a\"b"` | the same quote not escaped by `\`; a newline ends it unterminated |
//! | triple-quoted string | `'''it's'''`, `"""a "b" c"""` | the same three quotes not escaped; may span lines |
//! | raw string (`r`/`R` prefix) | `r'\'`, `R"""\d+"""` | the closing quote(s); `\` is an ordinary character |
//! | bytes (`b`/`B` prefix, then optionally `r`/`R`) | `b'\xff'`, `bR'\'` | as the string form after the prefix |
//! | comment | `// note }` | the end of the line (the newline is code again) |
//!
//! A prefix only counts when it is a whole word: `br'x'` is raw bytes, `abr'x'` is the identifier
//! `abr` followed by the string `'x'`.

/// What a stretch of source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// Code: identifiers, numbers, operators, brackets, whitespace.
    Code,
    /// A string or bytes literal, prefix and quotes included.
    Literal {
        /// Whether the closing quote(s) were found (a single-quoted literal stops at a newline).
        terminated: bool,
    },
    /// A `//` comment, up to (not including) the end of the line.
    Comment,
}

/// A stretch of source: `source[start..end]` is of kind `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// What the stretch is.
    pub kind: SpanKind,
    /// Byte offset of its first byte.
    pub start: usize,
    /// Byte offset just past its last byte.
    pub end: usize,
}

/// The spans of a source, in order, from a given offset (see [`spans_from`]).
pub struct Spans<'a> {
    src: &'a [u8],
    pos: usize,
}

/// The spans of `source` from its start.
///
/// ```
/// use trainyard::expr::lex::{spans, SpanKind};
/// let kinds: Vec<SpanKind> = spans("a + r'\\' // c").map(|s| s.kind).collect();
/// assert_eq!(kinds, [SpanKind::Code, SpanKind::Literal { terminated: true }, SpanKind::Code, SpanKind::Comment]);
/// ```
pub fn spans(source: &str) -> Spans<'_> {
    spans_from(source.as_bytes(), 0)
}

/// The spans of `source[from..]`, lexed as if an expression started at `from`. Spans are produced
/// lazily: a caller that stops early (the `}` closing a `${…}`) never lexes what follows.
pub fn spans_from(source: &[u8], from: usize) -> Spans<'_> {
    Spans { src: source, pos: from.min(source.len()) }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The length of the string prefix (`r`, `b`, `br`, …) that ends at `quote`, when the word before
/// the quote is exactly such a prefix; `None` when there is no word or it is another identifier.
fn prefix_before(src: &[u8], from: usize, quote: usize) -> Option<usize> {
    let mut start = quote;
    while start > from && is_ident(src[start - 1]) {
        start -= 1;
    }
    // Digits before a word belong to a number token (`1r'x'` is `1` then `r'x'`).
    while start < quote && src[start].is_ascii_digit() {
        start += 1;
    }
    let word = &src[start..quote];
    let is_prefix = match word {
        [r] => matches!(r, b'r' | b'R' | b'b' | b'B'),
        [b, r] => matches!(b, b'b' | b'B') && matches!(r, b'r' | b'R'),
        _ => false,
    };
    is_prefix.then_some(word.len())
}

/// Where a literal or comment starts at or after `pos`: (start offset, kind) of the first one,
/// or `None` when the rest is code.
fn next_special(src: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos;
    while i < src.len() {
        match src[i] {
            b'\'' | b'"' => return Some(i - prefix_before(src, pos, i).unwrap_or(0)),
            b'/' if src.get(i + 1) == Some(&b'/') => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The end of the literal whose prefix starts at `start`, and whether it is terminated.
fn literal_end(src: &[u8], start: usize) -> (usize, bool) {
    let mut i = start;
    let mut raw = false;
    while src[i] != b'\'' && src[i] != b'"' {
        raw |= matches!(src[i], b'r' | b'R');
        i += 1;
    }
    let quote = src[i];
    let triple = src.get(i + 1) == Some(&quote) && src.get(i + 2) == Some(&quote);
    i += if triple { 3 } else { 1 };
    while i < src.len() {
        let b = src[i];
        if b == b'\\' && !raw {
            // An escape: the next byte is part of it (a newline is not escapable).
            if !triple && matches!(src.get(i + 1), Some(b'\n' | b'\r')) {
                return (i + 1, false);
            }
            i = (i + 2).min(src.len());
            continue;
        }
        if b == quote && (!triple || (src.get(i + 1) == Some(&quote) && src.get(i + 2) == Some(&quote))) {
            return (i + if triple { 3 } else { 1 }, true);
        }
        if !triple && (b == b'\n' || b == b'\r') {
            return (i, false);
        }
        i += 1;
    }
    (src.len(), false)
}

impl Iterator for Spans<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        let (src, start) = (self.src, self.pos);
        if start >= src.len() {
            return None;
        }
        let special = next_special(src, start);
        let (kind, end) = match special {
            Some(s) if s > start => (SpanKind::Code, s),
            None => (SpanKind::Code, src.len()),
            Some(_) if src[start] == b'/' => {
                let end = src[start..].iter().position(|&b| b == b'\n').map_or(src.len(), |n| start + n);
                (SpanKind::Comment, end)
            }
            Some(_) => {
                let (end, terminated) = literal_end(src, start);
                (SpanKind::Literal { terminated }, end)
            }
        };
        self.pos = end;
        Some(Span { kind, start, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexed(source: &str) -> Vec<(SpanKind, &str)> {
        spans(source).map(|s| (s.kind, &source[s.start..s.end])).collect()
    }

    const CODE: SpanKind = SpanKind::Code;
    const LIT: SpanKind = SpanKind::Literal { terminated: true };
    const OPEN: SpanKind = SpanKind::Literal { terminated: false };
    const COMMENT: SpanKind = SpanKind::Comment;

    #[test]
    fn quoted_strings_with_escapes() {
        assert_eq!(
            lexed(r#"a + 'x\'y' + "p\"q""#),
            [(CODE, "a + "), (LIT, r"'x\'y'"), (CODE, " + "), (LIT, r#""p\"q""#)]
        );
        assert_eq!(lexed(r"'a\\'"), [(LIT, r"'a\\'")]);
    }

    #[test]
    fn triple_quoted_strings_hold_single_quotes_and_newlines() {
        assert_eq!(lexed("'''it's''' + x"), [(LIT, "'''it's'''"), (CODE, " + x")]);
        assert_eq!(lexed("\"\"\"a \"b\"\nc\"\"\""), [(LIT, "\"\"\"a \"b\"\nc\"\"\"")]);
        assert_eq!(lexed(r"'''a\''''"), [(LIT, r"'''a\''''")]);
        assert_eq!(lexed("'''a''"), [(OPEN, "'''a''")]);
    }

    #[test]
    fn raw_strings_have_no_escapes() {
        assert_eq!(lexed(r"r'\' + 1"), [(LIT, r"r'\'"), (CODE, " + 1")]);
        assert_eq!(lexed(r#"R"\d+" == x"#), [(LIT, r#"R"\d+""#), (CODE, " == x")]);
        assert_eq!(lexed(r"r'''\'''"), [(LIT, r"r'''\'''")]);
    }

    #[test]
    fn bytes_prefixes_and_words_that_are_not_prefixes() {
        assert_eq!(lexed(r"b'\xff'"), [(LIT, r"b'\xff'")]);
        assert_eq!(lexed(r"bR'\'"), [(LIT, r"bR'\'")]);
        assert_eq!(lexed(r"x + Br'\'"), [(CODE, "x + "), (LIT, r"Br'\'")]);
        // `rb` is not a CEL prefix, nor is a longer word ending in `r`.
        assert_eq!(lexed(r"rb'\''"), [(CODE, "rb"), (LIT, r"'\''")]);
        assert_eq!(lexed(r"bar'\''"), [(CODE, "bar"), (LIT, r"'\''")]);
        assert_eq!(lexed(r"1r'\'"), [(CODE, "1"), (LIT, r"r'\'")]);
    }

    #[test]
    fn comments_run_to_the_end_of_the_line() {
        assert_eq!(lexed("a // } x\n+ b"), [(CODE, "a "), (COMMENT, "// } x"), (CODE, "\n+ b")]);
        assert_eq!(lexed("a // 'q"), [(CODE, "a "), (COMMENT, "// 'q")]);
        assert_eq!(lexed("'//' + a"), [(LIT, "'//'"), (CODE, " + a")]);
        assert_eq!(lexed("a / b"), [(CODE, "a / b")]);
    }

    #[test]
    fn single_quoted_strings_stop_at_a_newline() {
        assert_eq!(lexed("'a\n' + b"), [(OPEN, "'a"), (CODE, "\n"), (OPEN, "' + b")]);
        assert_eq!(lexed("'a\\\nc'"), [(OPEN, "'a\\"), (CODE, "\nc"), (OPEN, "'")]);
        assert_eq!(lexed("'abc"), [(OPEN, "'abc")]);
        assert_eq!(lexed("'abc\\"), [(OPEN, "'abc\\")]);
    }

    #[test]
    fn spans_from_an_offset() {
        let src = b"${ 'x' }";
        let got: Vec<Span> = spans_from(src, 2).collect();
        assert_eq!(got[0], Span { kind: CODE, start: 2, end: 3 });
        assert_eq!(got[1], Span { kind: LIT, start: 3, end: 6 });
        assert_eq!(spans_from(src, 99).count(), 0);
    }
}
