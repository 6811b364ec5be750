//! The CEL environment expressions run in: CEL's standard library plus the string functions a
//! release engineer expects (CEL's strings extension), each bounded by the sandbox limits.
//!
//! Added to the standard library (`size`, `startsWith`, `endsWith`, `contains`, `matches`,
//! `timestamp`, `duration`, the `all`/`exists`/`map`/`filter` macros, …):
//!
//! | function | example | result |
//! |---|---|---|
//! | `lowerAscii()` | `'Prod-EU'.lowerAscii()` | `'prod-eu'` |
//! | `upperAscii()` | `'eu'.upperAscii()` | `'EU'` |
//! | `trim()` | `' v1 '.trim()` | `'v1'` |
//! | `split(sep)`, `split(sep, n)` | `'a,b,c'.split(',')` | `['a', 'b', 'c']` |
//! | `replace(from, to)`, `replace(from, to, n)` | `'1.2.3'.replace('.', '-')` | `'1-2-3'` |
//! | `join()`, `join(sep)` on a list of strings | `['a', 'b'].join('/')` | `'a/b'` |
//! | `substring(start)`, `substring(start, end)` (code points) | `'abc123'.substring(0, 3)` | `'abc'` |
//!
//! A function called on the wrong type (`1.lowerAscii()`, `[1, 2].join()`) gives an error value,
//! never a panic. A result longer than [`super::MAX_STRING_BYTES`] (or a list longer than
//! [`super::MAX_LIST_ITEMS`]) is an error: no expression can blow a short string up into a huge one.

use super::{MAX_LIST_ITEMS, MAX_STRING_BYTES};
use cel::common::types::{CelInt, CelList, CelString, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError};
use std::sync::{Arc, LazyLock};

/// The shared environment: built once, used by every evaluation.
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    // Registration only fails on a duplicate overload, which `extension` never declares.
    if let Err(e) = env.add_extension(extension) {
        tracing::error!("cannot register the trainyard string functions: {e}");
    }
    Arc::new(env)
});

/// The CEL environment (standard library + trainyard's string functions), shared.
pub fn env() -> Arc<Env> {
    Arc::clone(&ENV)
}

/// A fresh evaluation context over the shared environment.
pub fn context<'p, 'v>() -> cel::Context<'p, 'v> {
    cel::Context::with_env(env())
}

/// Registers the string functions on `env`.
pub fn extension(env: &mut Env) -> Result<(), DeclarationError> {
    cel::add_member_overload!(env, fn lower_ascii: (CelString) -> CelString)?;
    cel::add_member_overload!(env, fn upper_ascii: (CelString) -> CelString)?;
    cel::add_member_overload!(env, fn trim: (CelString) -> CelString)?;
    cel::add_member_overload!(env, fn replace: (CelString, CelString, CelString) -> Result<CelString>)?;
    cel::add_member_overload!(env, fn replace_n: (CelString, CelString, CelString, CelInt) -> Result<CelString>,
        name = "replace")?;
    cel::add_member_overload!(env, fn split: (CelString, CelString) -> Result<CelList>)?;
    cel::add_member_overload!(env, fn split_n: (CelString, CelString, CelInt) -> Result<CelList>,
        name = "split")?;
    cel::add_member_overload!(env, fn substring: (CelString, CelInt) -> Result<CelString>)?;
    cel::add_member_overload!(env, fn substring_range: (CelString, CelInt, CelInt) -> Result<CelString>,
        name = "substring")?;
    // By hand: `join` takes any list (the macro would only accept the one list implementation).
    env.add_member_overload("join", "list.join()", LIST_TYPE, vec![], join)?;
    env.add_member_overload("join", "list.join(string)", LIST_TYPE, vec![STRING_TYPE], join_sep)?;
    Ok(())
}

fn too_long(function: &str, len: usize) -> ExecutionError {
    ExecutionError::function_error(
        function,
        format!("the result would be {len} bytes; at most {MAX_STRING_BYTES} are allowed"),
    )
}

fn bounded(function: &str, s: String) -> Result<CelString<'static>, ExecutionError> {
    if s.len() > MAX_STRING_BYTES { Err(too_long(function, s.len())) } else { Ok(s.into()) }
}

fn lower_ascii(this: &CelString<'_>) -> CelString<'static> {
    this.to_ascii_lowercase().into()
}

fn upper_ascii(this: &CelString<'_>) -> CelString<'static> {
    this.to_ascii_uppercase().into()
}

fn trim(this: &CelString<'_>) -> CelString<'static> {
    this.trim().to_owned().into()
}

/// The size `replacen(from, to, n)` would give, computed before building it.
fn replaced_len(this: &str, from: &str, to: &str, n: usize) -> usize {
    let count = if from.is_empty() { this.chars().count() + 1 } else { this.matches(from).count() };
    let count = count.min(n);
    this.len() - count * from.len() + count.saturating_mul(to.len())
}

fn replace(
    this: &CelString<'_>,
    from: &CelString<'_>,
    to: &CelString<'_>,
) -> Result<CelString<'static>, ExecutionError> {
    replace_upto(this, from, to, usize::MAX)
}

fn replace_n(
    this: &CelString<'_>,
    from: &CelString<'_>,
    to: &CelString<'_>,
    n: &CelInt,
) -> Result<CelString<'static>, ExecutionError> {
    // A negative count means "all", as in CEL's strings extension.
    replace_upto(this, from, to, usize::try_from(*n.inner()).unwrap_or(usize::MAX))
}

fn replace_upto(
    this: &CelString<'_>,
    from: &CelString<'_>,
    to: &CelString<'_>,
    n: usize,
) -> Result<CelString<'static>, ExecutionError> {
    let len = replaced_len(this, from, to, n);
    if len > MAX_STRING_BYTES {
        return Err(too_long("replace", len));
    }
    bounded("replace", this.replacen(from.inner(), to.inner(), n))
}

fn split(this: &CelString<'_>, sep: &CelString<'_>) -> Result<CelList<'static>, ExecutionError> {
    split_n(this, sep, &CelInt::from(-1))
}

fn split_n(this: &CelString<'_>, sep: &CelString<'_>, n: &CelInt) -> Result<CelList<'static>, ExecutionError> {
    // A negative count means "all parts"; 0 gives no parts; n > 0 gives at most n parts.
    let limit = usize::try_from(*n.inner()).unwrap_or(usize::MAX);
    let parts: Vec<String> = if limit == 0 {
        Vec::new()
    } else if sep.is_empty() {
        let chars: Vec<char> = this.chars().collect();
        let mut parts: Vec<String> = chars.iter().take(limit.saturating_sub(1)).map(char::to_string).collect();
        let rest: String = chars.iter().skip(parts.len()).collect();
        if !rest.is_empty() {
            parts.push(rest);
        }
        parts
    } else {
        this.splitn(limit, sep.inner()).map(str::to_owned).collect()
    };
    if parts.len() > MAX_LIST_ITEMS {
        return Err(ExecutionError::function_error(
            "split",
            format!("the result would hold {} items; at most {MAX_LIST_ITEMS} are allowed", parts.len()),
        ));
    }
    Ok(parts.into_iter().map(|s| Box::new(CelString::from(s)) as Box<dyn Val>).collect::<Vec<_>>().into())
}

fn substring(this: &CelString<'_>, start: &CelInt) -> Result<CelString<'static>, ExecutionError> {
    substring_range(this, start, &CelInt::from(this.chars().count() as i64))
}

fn substring_range(this: &CelString<'_>, start: &CelInt, end: &CelInt) -> Result<CelString<'static>, ExecutionError> {
    let (start, end) = (*start.inner(), *end.inner());
    let len = this.chars().count() as i64;
    if start < 0 || end > len || start > end {
        return Err(ExecutionError::function_error(
            "substring",
            format!("range {start}..{end} is outside the string's {len} characters"),
        ));
    }
    Ok(this.chars().skip(start as usize).take((end - start) as usize).collect::<String>().into())
}

fn join<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    match args.as_slice() {
        [list] => join_with(list.as_ref(), ""),
        _ => Err(ExecutionError::invalid_argument_count(1, args.len())),
    }
}

fn join_sep<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    match args.as_slice() {
        [list, sep] => match sep.as_ref().downcast_ref::<CelString>() {
            Some(sep) => join_with(list.as_ref(), sep.inner()),
            None => {
                Err(ExecutionError::UnexpectedType { got: sep.get_type().name().to_owned(), want: "string".to_owned() })
            }
        },
        _ => Err(ExecutionError::invalid_argument_count(2, args.len())),
    }
}

fn join_with<'b, 'v>(list: &dyn Val, sep: &str) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let iterable = list.as_iterable().ok_or_else(|| ExecutionError::UnexpectedType {
        got: list.get_type().name().to_owned(),
        want: "list".to_owned(),
    })?;
    let mut items = iterable.iter();
    let mut out = String::new();
    let mut first = true;
    while let Some(item) = items.next() {
        let s = item.downcast_ref::<CelString>().ok_or_else(|| {
            ExecutionError::function_error(
                "join",
                format!("join needs a list of strings; it holds a {}", item.get_type().name()),
            )
        })?;
        if !first {
            out.push_str(sep);
        }
        first = false;
        out.push_str(s.inner());
        if out.len() > MAX_STRING_BYTES {
            return Err(too_long("join", out.len()));
        }
    }
    Ok(CowVal::owned(CelString::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cel::Value;

    fn eval(source: &str) -> Result<Value, ExecutionError> {
        let program = env().compile(source).expect("valid CEL");
        program.execute(&context())
    }

    fn ok(source: &str, want: impl Into<Value>) {
        assert_eq!(eval(source), Ok(want.into()), "{source}");
    }

    fn list(items: &[&str]) -> Value {
        Value::List(Arc::new(items.iter().map(|s| Value::from(*s)).collect()))
    }

    fn fails(source: &str) -> String {
        match eval(source) {
            Err(e) => e.to_string(),
            Ok(v) => panic!("`{source}` should fail, gave {v:?}"),
        }
    }

    #[test]
    fn case_functions() {
        ok("'Prod-EU 1'.lowerAscii()", "prod-eu 1");
        ok("'prod-eu ü'.upperAscii()", "PROD-EU ü");
        fails("1.lowerAscii()");
        fails("true.upperAscii()");
    }

    #[test]
    fn trim_removes_surrounding_whitespace() {
        ok("'  v1.2 \\n'.trim()", "v1.2");
        fails("[1].trim()");
    }

    #[test]
    fn split_by_separator_with_and_without_limit() {
        ok("'a,b,c'.split(',')", list(&["a", "b", "c"]));
        ok("'a,b,c'.split(',', 2)", list(&["a", "b,c"]));
        ok("'a,b,c'.split(',', 0)", list(&[]));
        ok("'a,b'.split(',', -1)", list(&["a", "b"]));
        ok("'abc'.split('')", list(&["a", "b", "c"]));
        ok("'abc'.split('', 2)", list(&["a", "bc"]));
        ok("''.split(',')", list(&[""]));
        fails("'a,b'.split(1)");
        fails("1.split(',')");
    }

    #[test]
    fn replace_all_or_n() {
        ok("'1.2.3'.replace('.', '-')", "1-2-3");
        ok("'1.2.3'.replace('.', '-', 1)", "1-2.3");
        ok("'1.2.3'.replace('.', '-', -1)", "1-2-3");
        ok("'ab'.replace('', '-')", "-a-b-");
        fails("'a'.replace('a', 1)");
        fails("1.replace('a', 'b')");
    }

    #[test]
    fn replace_cannot_blow_up_a_string() {
        let bomb = format!("'{}'{}", "a".repeat(64), ".replace('a', 'aaaaaaaaaaaaaaaa')".repeat(6));
        assert!(fails(&bomb).contains("at most"));
    }

    #[test]
    fn substring_by_code_points() {
        ok("'abc123'.substring(0, 3)", "abc");
        ok("'abc123'.substring(3)", "123");
        ok("'äöü'.substring(1, 2)", "ö");
        fails("'abc'.substring(2, 1)");
        fails("'abc'.substring(0, 9)");
        fails("'abc'.substring(-1)");
        fails("'abc'.substring('a')");
    }

    #[test]
    fn join_lists_of_strings() {
        ok("['a', 'b', 'c'].join()", "abc");
        ok("['release', '1.2'].join('/')", "release/1.2");
        ok("[].join('-')", "");
        assert!(fails("[1, 2].join('-')").contains("list of strings"));
        fails("['a'].join(1)");
        fails("'ab'.join('-')");
    }

    #[test]
    fn standard_string_functions_are_available() {
        ok("'release/1.2'.startsWith('release/')", true);
        ok("'release/1.2'.endsWith('.2')", true);
        ok("'payment-service'.contains('pay')", true);
        ok("'1.2.3'.matches('^\\\\d+\\\\.\\\\d+\\\\.\\\\d+$')", true);
        ok("size('abc')", 3);
        ok("'abc'.size()", 3);
        ok("size(['a', 'b'])", 2);
        fails("1.startsWith('a')");
        fails("'a'.matches(1)");
        fails("size(1)");
        fails("'a'.matches('(')");
    }

    #[test]
    fn functions_compose() {
        ok("'A,B'.lowerAscii().split(',').join('+')", "a+b");
        ok("['x', 'y'].map(s, s.upperAscii()).join()", "XY");
    }
}
