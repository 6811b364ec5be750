//! Release search: a typed [`SearchFilter`], a [`SearchSort`] and keyset pagination with opaque,
//! stable cursors ([`SearchCursor`]): a page after a cursor starts right after the last release of
//! the previous page in the sort order (`(sort value, id)`), so releases written meanwhile never
//! shift a page, and a deep page costs what the first one does (no `OFFSET`).
//!
//! [`SearchFilter::matches`] and [`SortKey`] are the reference semantics every backend follows
//! (the store contract checks them).

use super::ReleaseRow;
use crate::release::{ReleaseKind, ReleaseStatus};
use crate::validate::codes;
use crate::{Error, Problem, Result, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A time range: `from` inclusive, `to` exclusive; either may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// At or after.
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// Before.
    #[serde(default)]
    pub to: Option<Timestamp>,
}

impl TimeRange {
    fn holds(&self, t: Option<Timestamp>) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        t.is_some_and(|t| self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e))
    }

    /// Whether it is open at both ends.
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
}

/// What a search keeps. Every part given narrows it; the default keeps every release that is
/// neither archived nor deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchFilter {
    /// Any of these statuses (empty: any).
    #[serde(default)]
    pub status: Vec<ReleaseStatus>,
    /// Only this kind.
    #[serde(default)]
    pub kind: Option<ReleaseKind>,
    /// Only this release group.
    #[serde(default)]
    pub group: Option<String>,
    /// Only this scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// Every one of these labels, with these values.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Only releases of this process.
    #[serde(default)]
    pub process_id: Option<String>,
    /// Only releases pinned to this process version.
    #[serde(default)]
    pub process_version: Option<u32>,
    /// Created in this range.
    #[serde(default)]
    pub created: TimeRange,
    /// Started (activated) in this range.
    #[serde(default)]
    pub started: TimeRange,
    /// Ended in this range.
    #[serde(default)]
    pub ended: TimeRange,
    /// Only releases whose name contains this text (case-sensitive).
    #[serde(default)]
    pub name_contains: Option<String>,
    /// Archived releases too.
    #[serde(default)]
    pub include_archived: bool,
}

impl SearchFilter {
    /// Whether `row` matches (the reference semantics every backend follows).
    pub fn matches(&self, row: &ReleaseRow) -> bool {
        !row.deleted
            && (self.include_archived || !row.archived)
            && (self.status.is_empty() || self.status.contains(&row.status))
            && self.kind.is_none_or(|k| k == row.kind)
            && self.group.as_ref().is_none_or(|g| row.group.as_ref() == Some(g))
            && self.scope.as_ref().is_none_or(|s| &row.scope == s)
            && self.labels.iter().all(|(k, v)| row.labels.get(k) == Some(v))
            && self.process_id.as_ref().is_none_or(|p| &row.process_id == p)
            && self.process_version.is_none_or(|v| v == row.process_version)
            && self.created.holds(row.created_at)
            && self.started.holds(row.started_at)
            && self.ended.holds(row.ended_at)
            && self.name_contains.as_ref().is_none_or(|n| row.name.contains(n.as_str()))
    }

    /// Reads a filter from JSON (what the bindings hand over): unknown fields and values of the
    /// wrong type are `invalid_input` at `filter.<field>`.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        serde_json::from_value(value).map_err(|e| Error::InvalidInput {
            problems: vec![Problem::new(
                "filter",
                codes::INVALID_VALUE,
                format!(
                    "{e}; a filter has status, kind, group, scope, labels, process_id, process_version, created, started, ended ({{from, to}} as RFC 3339 times), name_contains, include_archived"
                ),
            )],
        })
    }
}

/// What a search orders by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    /// When the release was created.
    #[default]
    CreatedAt,
    /// Its name.
    Name,
    /// When its last event happened.
    UpdatedAt,
}

impl SortField {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SortField::CreatedAt => "created_at",
            SortField::Name => "name",
            SortField::UpdatedAt => "updated_at",
        }
    }
}

/// The order of a search: a field, ascending or descending (ties broken by release id, in the
/// same direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SearchSort {
    /// The field.
    pub field: SortField,
    /// Descending.
    pub descending: bool,
}

impl Default for SearchSort {
    /// Newest first.
    fn default() -> Self {
        SearchSort { field: SortField::CreatedAt, descending: true }
    }
}

impl std::str::FromStr for SearchSort {
    type Err = Error;

    /// `created_at`, `name` or `updated_at`, optionally followed by ` asc` (the default) or
    /// ` desc`.
    fn from_str(s: &str) -> Result<Self> {
        let mut parts = s.split_whitespace();
        let field = match parts.next() {
            Some("created_at") => Some(SortField::CreatedAt),
            Some("name") => Some(SortField::Name),
            Some("updated_at") => Some(SortField::UpdatedAt),
            _ => None,
        };
        let descending = match parts.next() {
            None | Some("asc") => Some(false),
            Some("desc") => Some(true),
            Some(_) => None,
        };
        match (field, descending, parts.next()) {
            (Some(field), Some(descending), None) => Ok(SearchSort { field, descending }),
            _ => Err(Error::InvalidInput {
                problems: vec![Problem::new(
                    "sort",
                    codes::INVALID_VALUE,
                    format!("`{s}` is not a sort; use created_at, name or updated_at, then optionally asc or desc"),
                )],
            }),
        }
    }
}

/// A row's position in a sort order: its sort value, then its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SortKey {
    /// A time (µs since the epoch; 0 when unknown) and the release id.
    Time(i64, String),
    /// A text and the release id.
    Text(String, String),
}

impl SortKey {
    /// The key of `row` in `field`'s order.
    pub fn of(row: &ReleaseRow, field: SortField) -> SortKey {
        let micros = |t: Option<Timestamp>| t.map_or(0, |t| t.timestamp_micros());
        match field {
            SortField::CreatedAt => SortKey::Time(micros(row.created_at), row.id.clone()),
            SortField::UpdatedAt => SortKey::Time(micros(row.updated_at), row.id.clone()),
            SortField::Name => SortKey::Text(row.name.clone(), row.id.clone()),
        }
    }
}

/// Where the next page starts: the sort it belongs to and the key of the last release returned.
/// Travels as opaque text ([`SearchCursor::encode`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchCursor {
    /// The sort of the search it continues.
    pub sort: SearchSort,
    /// The key of the last release of the previous page.
    pub after: SortKey,
}

impl SearchCursor {
    /// The cursor as opaque text (hex of its JSON).
    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        json.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// A cursor from its text; `invalid_input` (`cursor`) when it is not one, or belongs to
    /// another sort than `sort`.
    pub fn decode(text: &str, sort: SearchSort) -> Result<Self> {
        let bad = |why: &str| Error::InvalidInput {
            problems: vec![Problem::new("cursor", codes::INVALID_VALUE, format!("{why}; pass the `next` of a page"))],
        };
        let bytes: Option<Vec<u8>> = (text.len() % 2 == 0)
            .then(|| (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect())
            .flatten();
        let cursor: SearchCursor =
            bytes.and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| bad("this is not a search cursor"))?;
        if cursor.sort != sort {
            return Err(bad("this cursor belongs to a search with another sort"));
        }
        let fits = matches!(
            (&cursor.after, sort.field),
            (SortKey::Time(..), SortField::CreatedAt | SortField::UpdatedAt) | (SortKey::Text(..), SortField::Name)
        );
        if !fits {
            return Err(bad("this is not a search cursor"));
        }
        Ok(cursor)
    }
}
