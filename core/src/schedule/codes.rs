//! Problem codes used by the validation of release groups and freeze windows, in addition to the
//! shared ones of [`crate::validate::codes`] (re-exported here so one module lists them all).

pub use crate::validate::codes::{
    BAD_DURATION, BAD_ID, BAD_TIME, FIELD_NOT_ALLOWED, INVALID_VALUE, MISSING_FIELD, UNKNOWN_FIELD, WRONG_TYPE,
};

/// A time-zone name that is not in the IANA database (e.g. `Europe/Berlinn`).
pub const BAD_TIMEZONE: &str = "bad_timezone";
/// A recurrence rule that does not parse, or that cannot recur (RFC 5545 RRULE).
pub const BAD_RRULE: &str = "bad_rrule";
/// A weekday (or ordinal weekday) that is not one.
pub const BAD_WEEKDAY: &str = "bad_weekday";
/// An `interval` of 0 (or absurdly large).
pub const BAD_INTERVAL: &str = "bad_interval";
/// A range whose end is not after its start (`ends_on` before `starts_on`, freeze `end` ≤ `start`).
pub const BAD_RANGE: &str = "bad_range";
/// A `name_template` with an unknown `{field}` or an unbalanced brace.
pub const BAD_TEMPLATE: &str = "bad_template";
