//! The change feed's arguments: cursors, page sizes, timeouts.
//!
//! A cursor is an `int` from 0 (before the first entry) up, or the same number written as decimal
//! text (`"42"`: the form a cursor takes in an SSE `Last-Event-ID` header or a Node process's
//! output). Anything else is refused with `invalid_value` or `wrong_type`, naming the argument.

use super::{Conv, Refused, integer, text, type_name};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};
use trainyard::feed::{Cursor, MAX_PAGE};
use trainyard::validate::codes;

/// The largest cursor a store hands out (cursors are stored as signed 64-bit integers).
pub const MAX_CURSOR: u64 = i64::MAX as u64;

/// A cursor: an `int` in `0..=MAX_CURSOR` or its decimal text.
pub fn cursor(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Cursor> {
    if obj.cast::<PyString>().is_ok() {
        let t = text(obj, path)?;
        let parsed = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) { t.parse::<u64>().ok() } else { None };
        return match parsed.filter(|c| *c <= MAX_CURSOR) {
            Some(c) => Ok(c),
            None => Err(Refused::one(
                path,
                codes::INVALID_VALUE,
                format!(
                    "`{}` is not a feed cursor; a cursor is a whole number from 0 to {MAX_CURSOR} (an int or its \
                     decimal text, e.g. FeedPage.next or FeedEntry.cursor)",
                    t.chars().take(40).collect::<String>()
                ),
            )),
        };
    }
    if obj.cast::<PyBool>().is_ok() || obj.cast::<PyInt>().is_err() {
        return Err(Refused::one(
            path,
            codes::WRONG_TYPE,
            format!("must be a feed cursor (an int, or its decimal text), not {}", type_name(obj)),
        ));
    }
    integer(obj, path, 0, MAX_CURSOR as i64).map(|n| n as Cursor)
}

/// An optional cursor: `None` is 0, the start of the feed.
pub fn opt_cursor(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Cursor> {
    match obj {
        Some(o) if !o.is_none() => cursor(o, path),
        _ => Ok(0),
    }
}

/// A page size: an `int` from 1 to [`MAX_PAGE`], `default` when not given.
pub fn limit(obj: Option<&Bound<'_, PyAny>>, path: &str, default: usize) -> Conv<usize> {
    match obj {
        Some(o) if !o.is_none() => integer(o, path, 1, MAX_PAGE as i64).map(|n| n as usize),
        _ => Ok(default),
    }
}

/// A non-negative duration (a `timedelta` or a duration string) as a `std` duration.
pub fn std_duration(obj: &Bound<'_, PyAny>, path: &str) -> Conv<std::time::Duration> {
    let d = super::duration(obj, path, false)?;
    d.to_std().map_err(|_| Refused::one(path, codes::INVALID_VALUE, "is negative; give a positive duration"))
}

/// An optional non-negative duration (`None` stays `None`).
pub fn opt_std_duration(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Option<std::time::Duration>> {
    match obj {
        Some(o) if !o.is_none() => std_duration(o, path).map(Some),
        _ => Ok(None),
    }
}
