//! Stored data across versions: every database in `testdata/stored/` was written by a released
//! trainyard (`examples/stored_fixture.rs`). This version opens a copy of each, migrates it
//! forward to [`SCHEMA_VERSION`] and replays it; the views and histories must be the ones written
//! next to it (`v<version>.views.json`; fields added since are allowed, nothing else may differ),
//! with its snapshots and from its events alone. Databases newer than this version are refused
//! with `unsupported_version` and left unchanged.

#[path = "support/stored_views.rs"]
mod stored_views;
#[path = "support/storage.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use stored_views::{differences, stored_views};
use trainyard::Engine;
use trainyard::schedule::ManualClock;
use trainyard::store::{SCHEMA_VERSION, SqliteStore};

fn fixtures() -> Vec<(PathBuf, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/stored");
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sqlite"))
        .map(|db| (db.clone(), db.with_extension("views.json")))
        .collect();
    found.sort();
    found
}

/// A copy of the fixture in a fresh directory (the committed file is never written).
fn copy(db: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(db.file_name().unwrap());
    std::fs::copy(db, &path).unwrap();
    (dir, path)
}

/// The fixtures' clock: one day after they started (where the generator left it).
fn engine_on(path: &Path) -> Engine {
    let clock = ManualClock::new("2025-04-08T09:00:00Z".parse().unwrap());
    Engine::open_with(&format!("sqlite://{}", path.display()), Arc::new(clock)).unwrap()
}

fn schema_version_of(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT version FROM schema_version", [], |r| r.get(0)).unwrap()
}

fn assert_replays_as_written(path: &Path, views: &Path, how: &str) {
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(views).unwrap()).unwrap();
    let actual = stored_views(&engine_on(path)).unwrap();
    let mut diffs = Vec::new();
    differences(&expected, &actual, "", &mut diffs);
    assert!(diffs.is_empty(), "{} ({how}) replays differently:\n{}", views.display(), diffs.join("\n"));
}

#[test]
fn there_is_a_fixture_of_this_version() {
    let name = format!("v{}.sqlite", env!("CARGO_PKG_VERSION"));
    let all = fixtures();
    assert!(all.iter().any(|(db, _)| db.file_name().unwrap() == name.as_str()), "no {name} in {all:?}");
    for (db, views) in &all {
        assert!(views.exists(), "{} has no {}", db.display(), views.display());
    }
}

#[test]
fn every_fixture_opens_migrates_and_replays_as_written() {
    for (db, views) in fixtures() {
        let (_dir, path) = copy(&db);
        let before = schema_version_of(&path);
        assert!(before >= 1 && before <= SCHEMA_VERSION as i64, "{}: schema {before}", db.display());
        assert_replays_as_written(&path, &views, "with its snapshots");
        assert_eq!(schema_version_of(&path), SCHEMA_VERSION as i64, "{} migrated forward", db.display());
        assert_eq!(SqliteStore::open(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
        // And once more (migrations run once), from the events alone.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let snapshots: i64 = conn.query_row("SELECT count(*) FROM snapshots", [], |r| r.get(0)).unwrap();
        conn.execute("DELETE FROM snapshots", []).unwrap();
        drop(conn);
        assert_replays_as_written(&path, &views, "from its events alone");
        if db.file_name().unwrap() == "v0.1.0.sqlite" {
            assert!(snapshots > 0, "the first fixture holds snapshots");
        }
    }
}

#[test]
fn a_fixture_opened_again_reads_the_same() {
    let (db, views) = fixtures().into_iter().next().expect("a fixture");
    let (_dir, path) = copy(&db);
    let first = stored_views(&engine_on(&path)).unwrap();
    let second = stored_views(&engine_on(&path)).unwrap();
    assert_eq!(first, second);
    assert_replays_as_written(&path, &views, "reopened");
}

fn expect_unsupported(path: &Path, what: &str, found: u64) {
    let before = std::fs::read(path).unwrap();
    let err = Engine::open(&format!("sqlite://{}", path.display())).err().expect("a newer database is refused");
    assert_eq!(err.code(), "unsupported_version", "{err}");
    match &err {
        trainyard::Error::UnsupportedVersion { what: w, found: f, .. } => {
            assert!(w.contains(what), "{w}");
            assert_eq!(*f, found);
        }
        e => panic!("{e:?}"),
    }
    assert!(err.to_string().contains("upgrade trainyard"), "{err}");
    assert_eq!(std::fs::read(path).unwrap(), before, "a refused database is left as it was");
}

#[test]
fn a_database_of_a_newer_schema_is_refused_and_left_alone() {
    let (db, _) = fixtures().into_iter().next().expect("a fixture");
    let (_dir, path) = copy(&db);
    drop(engine_on(&path)); // migrated to this version
    let newer = SCHEMA_VERSION as i64 + 1;
    rusqlite::Connection::open(&path).unwrap().execute("UPDATE schema_version SET version = ?1", [newer]).unwrap();
    expect_unsupported(&path, "the database schema", newer as u64);
}

#[test]
fn a_newer_event_or_snapshot_format_is_refused() {
    let (db, _) = fixtures().into_iter().next().expect("a fixture");
    for format in ["event", "snapshot"] {
        let (_dir, path) = copy(&db);
        drop(engine_on(&path));
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("UPDATE formats SET version = version + 1 WHERE name = ?1", [format]).unwrap();
        drop(conn);
        expect_unsupported(&path, &format!("the stored `{format}` format"), 2);
    }
}

#[test]
fn a_snapshot_body_of_a_newer_format_is_refused_not_guessed() {
    let (db, _) = fixtures().into_iter().next().expect("a fixture");
    let (_dir, path) = copy(&db);
    drop(engine_on(&path));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (release, body): (String, String) =
        conn.query_row("SELECT release, body FROM snapshots LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&body).unwrap();
    value["format"] = serde_json::json!(trainyard::store::SNAPSHOT_FORMAT + 1);
    conn.execute("UPDATE snapshots SET body = ?1 WHERE release = ?2", [value.to_string(), release.clone()]).unwrap();
    drop(conn);
    let err = engine_on(&path).get_release(&release).unwrap_err();
    assert_eq!(err.code(), "unsupported_version", "{err}");
    assert!(err.to_string().contains("a release snapshot is at version 2"), "{err}");
}

/// PostgreSQL records the same versions and refuses newer ones the same way (the store is left as
/// it was: opening it again after the versions are put back works).
#[cfg(feature = "postgres")]
#[test]
fn postgres_refuses_a_newer_schema_or_format() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "stored");
    let schema = fresh.store.schema().unwrap().to_string();
    let mut client = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    let set = |client: &mut postgres::Client, sql: &str| client.batch_execute(&sql.replace("{s}", &schema)).unwrap();
    let cases = [
        ("UPDATE \"{s}\".schema_version SET version = version + 1", "the database schema", SCHEMA_VERSION as u64 + 1),
        ("UPDATE \"{s}\".formats SET version = 2 WHERE name = 'event'", "the stored `event` format", 2),
    ];
    for (change, what, found) in cases {
        set(&mut client, change);
        let err = trainyard::store::PostgresStore::open(&fresh.url).err().expect("refused");
        match &err {
            trainyard::Error::UnsupportedVersion { what: w, found: f, .. } => {
                assert!(w.contains(what), "{w}");
                assert_eq!(*f, found);
            }
            e => panic!("{e:?}"),
        }
        set(&mut client, &format!("UPDATE \"{{s}}\".schema_version SET version = {SCHEMA_VERSION}"));
        set(&mut client, "UPDATE \"{s}\".formats SET version = 1");
        trainyard::store::PostgresStore::open(&fresh.url).unwrap();
    }
}
