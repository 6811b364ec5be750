//! The problem codes used by the validation of release groups and freeze windows (all registered
//! in [`crate::validate::codes`], re-exported here so one module lists the ones this module uses).

pub use crate::validate::codes::{
    BAD_DURATION, BAD_ID, BAD_INTERVAL, BAD_RANGE, BAD_RRULE, BAD_TEMPLATE, BAD_TIME, BAD_TIMEZONE, BAD_WEEKDAY,
    FIELD_NOT_ALLOWED, INVALID_VALUE, MISSING_FIELD, UNKNOWN_FIELD, WRONG_TYPE,
};
