//! The schema, written once: the migrations (DDL with type placeholders that each dialect fills
//! in) and the migration runner they share.
//!
//! A database records in `schema_version` how many migrations ran, and in `formats` the version of
//! each stored JSON format (`event`: the bodies of `events`; `snapshot`: the bodies of
//! `snapshots`). Opening a database runs the migrations it has not run yet, in one write
//! transaction (forward only), then checks the formats. A database whose schema or formats are
//! newer than this trainyard knows is refused with [`Error::UnsupportedVersion`] and left as it is.
//!
//! A migration is never edited once released (databases created by it must keep opening): a
//! change is a new migration appended to [`MIGRATIONS`]. A migration that changes a stored
//! format rewrites the bodies it changes and raises that format's row in `formats` to the new
//! [`FORMATS`] entry. `testdata/stored/` holds databases written by released versions; every
//! later version must open, migrate and replay them (`core/tests/stored_fixtures.rs`).

use super::dialect::{Conn, Dialect, Value, row, rows};
use crate::{Error, Result};

/// The type names that differ between dialects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DdlTypes {
    /// A 64-bit integer: `INTEGER` on SQLite, `BIGINT` on PostgreSQL.
    pub big_int: &'static str,
    /// An ascending 64-bit key: `INTEGER PRIMARY KEY AUTOINCREMENT` / `BIGSERIAL PRIMARY KEY`.
    pub serial_key: &'static str,
    /// After a table keyed by its primary key only: ` WITHOUT ROWID` on SQLite, empty elsewhere.
    pub without_rowid: &'static str,
    /// The change feed's cursor column: `INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite (writers are
    /// serialized, so the next number is commit order), `BIGINT PRIMARY KEY` on PostgreSQL (the
    /// writing transaction's id; see [`super::dialect::Dialect::FEED_CURSOR`]).
    pub feed_key: &'static str,
    /// A collation ordering text by its bytes: empty on SQLite (its default), ` COLLATE "C"` on
    /// PostgreSQL (so names sort the same on every backend).
    pub byte_order: &'static str,
}

/// The migrations, in order (1: the release store; 2: the change feed and its consumers; 3: the
/// versions of the stored formats; 4: the inbox index, one row per waiting item and principal that
/// may act on it; 5: the search columns of the release index and its labels; 6: the deployment
/// ledger, one row per delivery; 7: the feed entry's origin as a column, so that a tick can ask
/// whether anything but its own engine's entries arrived; 8: an index of the ended releases not archived, so
/// that retention's daily question reads only those; 9: the releases each release's waiting gates
/// watch). A database migrated from an earlier version has the inbox, the
/// new columns and the ledger empty for its releases until they are written again
/// (`Engine::rebuild_indexes` writes them all).
/// `{BIGINT}`, `{SERIAL_KEY}`, `{WITHOUT_ROWID}` and `{FEED_KEY}` are filled in from the dialect's
/// [`DdlTypes`].
///
/// Times are microseconds since the Unix epoch (so they order); an open-ended window end is
/// `i64::MAX`. Bodies are JSON text; `archived`/`deleted` are 0 or 1.
pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE processes (id TEXT NOT NULL, version INTEGER NOT NULL, ord {BIGINT} NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (id, version));
CREATE TABLE documents (collection TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (collection, key, version));
CREATE TABLE document_heads (collection TEXT NOT NULL, key TEXT NOT NULL, last INTEGER NOT NULL,
    live INTEGER NOT NULL, PRIMARY KEY (collection, key));
CREATE TABLE releases (ord {SERIAL_KEY}, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
    kind TEXT NOT NULL, scope TEXT NOT NULL, grp TEXT, archived INTEGER NOT NULL, deleted INTEGER NOT NULL,
    next_due {BIGINT}, due_lease {BIGINT}, seq {BIGINT} NOT NULL, win_start {BIGINT}, win_end {BIGINT},
    ended_at {BIGINT}, body TEXT NOT NULL);
CREATE INDEX releases_due ON releases (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX releases_status ON releases (status);
CREATE INDEX releases_group ON releases (grp);
CREATE INDEX releases_window ON releases (win_start, win_end);
CREATE TABLE events (release TEXT NOT NULL, seq {BIGINT} NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (release, seq)){WITHOUT_ROWID};
CREATE TABLE snapshots (release TEXT PRIMARY KEY, seq {BIGINT} NOT NULL, body TEXT NOT NULL);
CREATE TABLE jobs (ord {SERIAL_KEY}, id TEXT NOT NULL UNIQUE, release TEXT NOT NULL,
    executor TEXT NOT NULL, body TEXT NOT NULL, worker TEXT, token TEXT, lease_until {BIGINT},
    deliveries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX jobs_executor ON jobs (executor, lease_until);
CREATE INDEX jobs_release ON jobs (release);
"#,
    r#"
CREATE TABLE feed (cursor {FEED_KEY}, release TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE feed_consumers (name TEXT PRIMARY KEY, cursor {BIGINT} NOT NULL);
"#,
    r#"
CREATE TABLE formats (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO formats (name, version) VALUES ('event', 1);
INSERT INTO formats (name, version) VALUES ('snapshot', 1);
"#,
    r#"
CREATE TABLE inbox (principal TEXT NOT NULL, since {BIGINT} NOT NULL, release TEXT NOT NULL, item TEXT NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (principal, since, release, item)){WITHOUT_ROWID};
CREATE INDEX inbox_release ON inbox (release);
"#,
    r#"
ALTER TABLE releases ADD COLUMN name TEXT;
ALTER TABLE releases ADD COLUMN process_id TEXT;
ALTER TABLE releases ADD COLUMN process_version INTEGER;
ALTER TABLE releases ADD COLUMN created_at {BIGINT};
ALTER TABLE releases ADD COLUMN started_at {BIGINT};
ALTER TABLE releases ADD COLUMN updated_at {BIGINT};
CREATE INDEX releases_by_created ON releases (created_at, id{BYTE_ORDER});
CREATE INDEX releases_by_name ON releases (name{BYTE_ORDER}, id{BYTE_ORDER});
CREATE INDEX releases_by_updated ON releases (updated_at, id{BYTE_ORDER});
CREATE TABLE release_labels (release TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (key, value, release)){WITHOUT_ROWID};
CREATE INDEX release_labels_release ON release_labels (release);
"#,
    r#"
CREATE TABLE ledger (service TEXT{BYTE_ORDER} NOT NULL, environment TEXT{BYTE_ORDER} NOT NULL, at {BIGINT} NOT NULL,
    release TEXT{BYTE_ORDER} NOT NULL, seq {BIGINT} NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (service, environment, at, release, seq)){WITHOUT_ROWID};
CREATE UNIQUE INDEX ledger_release ON ledger (release, seq);
"#,
    r#"
ALTER TABLE feed ADD COLUMN origin TEXT;
"#,
    r#"
CREATE INDEX releases_ended ON releases (ended_at) WHERE archived = 0 AND deleted = 0 AND ended_at IS NOT NULL;
"#,
    r#"
CREATE TABLE release_watches (release TEXT{BYTE_ORDER} NOT NULL, target TEXT{BYTE_ORDER} NOT NULL,
    PRIMARY KEY (target, release)){WITHOUT_ROWID};
CREATE INDEX release_watches_release ON release_watches (release);
"#,
    r#"
CREATE TABLE release_locks (name TEXT{BYTE_ORDER} NOT NULL, release TEXT{BYTE_ORDER} NOT NULL,
    node TEXT{BYTE_ORDER} NOT NULL, held INTEGER NOT NULL, rank INTEGER NOT NULL, requested_at {BIGINT} NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (name, release, node)){WITHOUT_ROWID};
CREATE INDEX release_locks_release ON release_locks (release);
CREATE INDEX release_locks_queue ON release_locks (name, held, rank, requested_at, release, node);
"#,
];

/// The stored formats this trainyard reads and writes, with their versions: the JSON of an
/// [`crate::release::Event`] (`event`) and of an encoded snapshot (`snapshot`, also written into
/// each snapshot body as `format`).
pub(crate) const FORMATS: &[(&str, u64)] =
    &[("event", crate::release::EVENT_FORMAT), ("snapshot", crate::store::SNAPSHOT_FORMAT)];

/// The tables of a trainyard database (the first migration's, and `schema_version`).
pub(crate) const TABLES: &[&str] =
    &["schema_version", "processes", "documents", "document_heads", "releases", "events", "snapshots", "jobs"];

/// The migrations with the dialect's type names filled in.
pub(crate) fn render(types: &DdlTypes) -> Vec<String> {
    MIGRATIONS
        .iter()
        .map(|m| {
            m.replace("{BIGINT}", types.big_int)
                .replace("{SERIAL_KEY}", types.serial_key)
                .replace("{WITHOUT_ROWID}", types.without_rowid)
                .replace("{FEED_KEY}", types.feed_key)
                .replace("{BYTE_ORDER}", types.byte_order)
        })
        .collect()
}

/// The tables among `existing` (the tables of the schema about to be migrated) that are not
/// trainyard's. A schema holding `schema_version` and every table of the first migration is
/// trainyard's (tables someone added next to them are left alone); in any other schema every
/// table is someone else's, and trainyard does not create its own among them.
pub(crate) fn foreign_tables(existing: &[String]) -> Vec<String> {
    let ours = TABLES.iter().all(|t| existing.iter().any(|e| e == t));
    if ours { Vec::new() } else { existing.to_vec() }
}

/// Runs the migrations `conn` has not run yet, inside the write transaction the caller began.
/// A database migrated by a newer trainyard (more migrations than it knows) is refused.
pub(crate) fn migrate<D: Dialect>(conn: &mut D::Conn, label: &str) -> Result<()> {
    let migrations = render(&D::TYPES);
    conn.batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let current = match row(conn, "SELECT version FROM schema_version", &[], |r| r.int(0))? {
        Some(v) => v as usize,
        None => {
            conn.execute("INSERT INTO schema_version (version) VALUES (0)", &[])?;
            0
        }
    };
    if current > migrations.len() {
        return Err(Error::UnsupportedVersion {
            what: format!("{label}: the database schema"),
            found: current as u64,
            supported: migrations.len() as u64,
        });
    }
    for (i, m) in migrations.iter().enumerate().skip(current) {
        conn.batch(m)?;
        conn.execute(&D::placeholders("UPDATE schema_version SET version = ?1"), &[Value::Int(i as i64 + 1)])?;
    }
    let stored = rows(conn, "SELECT name, version FROM formats ORDER BY name", &[], |r| {
        Ok((r.text(0)?.to_string(), r.int(1)?))
    })?;
    check_formats(label, &stored)
}

/// Refuses formats newer than [`FORMATS`] (or unknown to it: a newer trainyard added them).
pub(crate) fn check_formats(label: &str, stored: &[(String, i64)]) -> Result<()> {
    for (name, version) in stored {
        let supported = FORMATS.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or(0);
        if *version < 0 || *version as u64 > supported {
            return Err(Error::UnsupportedVersion {
                what: format!("{label}: the stored `{name}` format"),
                found: (*version).max(0) as u64,
                supported,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_empty_or_trainyard_schema_has_no_foreign_tables() {
        assert!(foreign_tables(&[]).is_empty());
        assert!(foreign_tables(&names(TABLES)).is_empty());
        let mut more = names(TABLES);
        more.push("audit".into());
        assert!(foreign_tables(&more).is_empty(), "tables added next to trainyard's are left alone");
    }

    #[test]
    fn any_other_schema_is_someone_elses() {
        assert_eq!(foreign_tables(&names(&["users", "orders"])), names(&["users", "orders"]));
        // Another tool's `schema_version` (Flyway once used that name) does not make it ours.
        assert_eq!(foreign_tables(&names(&["schema_version", "users"])), names(&["schema_version", "users"]));
    }

    #[test]
    fn newer_or_unknown_formats_are_refused_with_their_versions() {
        let ok = [("event".to_string(), 1), ("snapshot".to_string(), 1)];
        check_formats("db", &ok).unwrap();
        let newer = [("event".to_string(), 1), ("snapshot".to_string(), 7)];
        match check_formats("db", &newer).unwrap_err() {
            Error::UnsupportedVersion { what, found, supported } => {
                assert_eq!((what.as_str(), found, supported), ("db: the stored `snapshot` format", 7, 1));
            }
            e => panic!("{e:?}"),
        }
        let unknown = [("job".to_string(), 1)];
        assert_eq!(check_formats("db", &unknown).unwrap_err().code(), "unsupported_version");
    }

    #[test]
    fn every_placeholder_is_filled() {
        let types = DdlTypes {
            big_int: "BIGINT",
            serial_key: "BIGSERIAL PRIMARY KEY",
            without_rowid: "",
            feed_key: "BIGINT PRIMARY KEY",
            byte_order: " COLLATE \"C\"",
        };
        for m in render(&types) {
            assert!(!m.contains('{') && !m.contains('}'), "{m}");
        }
    }
}
