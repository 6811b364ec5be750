//! The SQL store beyond the contract: databases created by the first SQL stores (their DDL kept
//! here verbatim as fixtures) open and work unchanged; PostgreSQL round trips per store call
//! (append = 1, an empty claim = 1, every statement prepared once per connection) and appends
//! that notify only while a feed waiter is announced; SQLite claims that find nothing take no
//! write lock and no cached statement is ever compiled again; a PostgreSQL schema of someone
//! else's tables is refused.

#[path = "support/storage.rs"]
mod support;

use serde_json::json;
use std::sync::Arc;
use trainyard::executor::Job;
use trainyard::release::{Event, EventKind, ReleaseStatus};
use trainyard::store::fixtures::release_row;
use trainyard::store::{Append, ReleaseQuery, ReleaseRow, SqliteStore, Store};
use trainyard::{Error, Process, Timestamp};

/// The SQLite schema as the first SQLite store created it (migration 1), verbatim.
const OLD_SQLITE_DDL: &str = r#"
CREATE TABLE processes (id TEXT NOT NULL, version INTEGER NOT NULL, ord INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (id, version));
CREATE TABLE documents (collection TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (collection, key, version));
CREATE TABLE document_heads (collection TEXT NOT NULL, key TEXT NOT NULL, last INTEGER NOT NULL,
    live INTEGER NOT NULL, PRIMARY KEY (collection, key));
CREATE TABLE releases (ord INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
    kind TEXT NOT NULL, scope TEXT NOT NULL, grp TEXT, archived INTEGER NOT NULL, deleted INTEGER NOT NULL,
    next_due INTEGER, due_lease INTEGER, seq INTEGER NOT NULL, win_start INTEGER, win_end INTEGER,
    ended_at INTEGER, body TEXT NOT NULL);
CREATE INDEX releases_due ON releases (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX releases_status ON releases (status);
CREATE INDEX releases_group ON releases (grp);
CREATE INDEX releases_window ON releases (win_start, win_end);
CREATE TABLE events (release TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (release, seq)) WITHOUT ROWID;
CREATE TABLE snapshots (release TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE jobs (ord INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, release TEXT NOT NULL,
    executor TEXT NOT NULL, body TEXT NOT NULL, worker TEXT, token TEXT, lease_until INTEGER,
    deliveries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX jobs_executor ON jobs (executor, lease_until);
CREATE INDEX jobs_release ON jobs (release);
"#;

/// The change feed's migration (schema version 2), as SQLite runs it.
const FEED_SQLITE_DDL: &str = r#"
CREATE TABLE feed (cursor INTEGER PRIMARY KEY AUTOINCREMENT, release TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE feed_consumers (name TEXT PRIMARY KEY, cursor INTEGER NOT NULL);
"#;

/// The inbox index's migration (schema version 4), as SQLite runs it.
const INBOX_SQLITE_DDL: &str = r#"
CREATE TABLE inbox (principal TEXT NOT NULL, since INTEGER NOT NULL, release TEXT NOT NULL, item TEXT NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (principal, since, release, item)) WITHOUT ROWID;
CREATE INDEX inbox_release ON inbox (release);
"#;

/// The search columns' migration (schema version 5), as SQLite runs it.
const SEARCH_SQLITE_DDL: &str = r#"
ALTER TABLE releases ADD COLUMN name TEXT;
ALTER TABLE releases ADD COLUMN process_id TEXT;
ALTER TABLE releases ADD COLUMN process_version INTEGER;
ALTER TABLE releases ADD COLUMN created_at INTEGER;
ALTER TABLE releases ADD COLUMN started_at INTEGER;
ALTER TABLE releases ADD COLUMN updated_at INTEGER;
CREATE INDEX releases_by_created ON releases (created_at, id);
CREATE INDEX releases_by_name ON releases (name, id);
CREATE INDEX releases_by_updated ON releases (updated_at, id);
CREATE TABLE release_labels (release TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (key, value, release)) WITHOUT ROWID;
CREATE INDEX release_labels_release ON release_labels (release);
"#;

/// The deployment ledger's migration (schema version 6), as SQLite runs it.
const LEDGER_SQLITE_DDL: &str = r#"
CREATE TABLE ledger (service TEXT NOT NULL, environment TEXT NOT NULL, at INTEGER NOT NULL,
    release TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (service, environment, at, release, seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX ledger_release ON ledger (release, seq);
"#;

/// The seventh migration: the feed entry's origin as a column (for the tick probe).
const FEED_ORIGIN_DDL: &str = "ALTER TABLE feed ADD COLUMN origin TEXT;";

/// The eighth migration: the index retention reads.
const RETENTION_DDL: &str =
    "CREATE INDEX releases_ended ON releases (ended_at) WHERE archived = 0 AND deleted = 0 AND ended_at IS NOT NULL;";

/// The ninth migration: what each release's waiting gates watch.
const WATCHES_DDL: &str = "CREATE TABLE release_watches (release TEXT NOT NULL, target TEXT NOT NULL,
    PRIMARY KEY (target, release)) WITHOUT ROWID;
CREATE INDEX release_watches_release ON release_watches (release);";

/// The tenth migration: the locks releases hold and wait for.
const LOCKS_DDL: &str = "CREATE TABLE release_locks (name TEXT NOT NULL, release TEXT NOT NULL,
    node TEXT NOT NULL, held INTEGER NOT NULL, rank INTEGER NOT NULL, requested_at INTEGER NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (name, release, node)) WITHOUT ROWID;
CREATE INDEX release_locks_release ON release_locks (release);
CREATE INDEX release_locks_queue ON release_locks (name, held, rank, requested_at, release, node);";

/// The third migration: the versions of the stored formats.
const FORMATS_DDL: &str = "CREATE TABLE formats (name TEXT PRIMARY KEY, version INTEGER NOT NULL);";

/// The PostgreSQL schema as the first PostgreSQL store created it (migration 1), verbatim.
#[cfg(feature = "postgres")]
const OLD_POSTGRES_DDL: &str = r#"
CREATE TABLE processes (id TEXT NOT NULL, version INTEGER NOT NULL, ord BIGINT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (id, version));
CREATE TABLE documents (collection TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (collection, key, version));
CREATE TABLE document_heads (collection TEXT NOT NULL, key TEXT NOT NULL, last INTEGER NOT NULL,
    live INTEGER NOT NULL, PRIMARY KEY (collection, key));
CREATE TABLE releases (ord BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
    kind TEXT NOT NULL, scope TEXT NOT NULL, grp TEXT, archived INTEGER NOT NULL, deleted INTEGER NOT NULL,
    next_due BIGINT, due_lease BIGINT, seq BIGINT NOT NULL, win_start BIGINT, win_end BIGINT,
    ended_at BIGINT, body TEXT NOT NULL);
CREATE INDEX releases_due ON releases (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX releases_status ON releases (status);
CREATE INDEX releases_group ON releases (grp);
CREATE INDEX releases_window ON releases (win_start, win_end);
CREATE TABLE events (release TEXT NOT NULL, seq BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (release, seq));
CREATE TABLE snapshots (release TEXT PRIMARY KEY, seq BIGINT NOT NULL, body TEXT NOT NULL);
CREATE TABLE jobs (ord BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, release TEXT NOT NULL,
    executor TEXT NOT NULL, body TEXT NOT NULL, worker TEXT, token TEXT, lease_until BIGINT,
    deliveries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX jobs_executor ON jobs (executor, lease_until);
CREATE INDEX jobs_release ON jobs (release);
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
"#;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn process() -> Process {
    trainyard::load_process("id: p\nphases:\n  - id: a\n    activities:\n      - { id: w, kind: wait, duration: 1h }\n")
        .unwrap()
        .process
}

fn event(seq: u64) -> Event {
    Event {
        seq,
        at: t("2025-04-07T09:00:00Z") + chrono::Duration::seconds(seq as i64),
        actor: "system".into(),
        kind: EventKind::Paused,
        comment: Some(format!("event {seq}")),
    }
}

fn row(id: &str, seq: u64, next_due: Option<Timestamp>) -> ReleaseRow {
    let base = release_row(id, seq);
    ReleaseRow {
        status: ReleaseStatus::Running,
        group: Some("weekly".into()),
        next_due,
        services: vec!["payments".into()],
        ..base
    }
}

fn job(release: &str, activity: &str, executor: &str) -> Job {
    Job {
        id: trainyard::release::job_id(release, "ph", activity, 0),
        release_id: release.into(),
        phase_id: "ph".into(),
        activity_id: activity.into(),
        attempt: 0,
        executor: executor.into(),
        inputs: Default::default(),
        deadline: None,
        secrets: Vec::new(),
    }
}

fn text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// What the old stores wrote: a process, a document, release `r` (2 events, a due timer, a
/// queued job) and its snapshot.
struct OldRows {
    process: Process,
    events: Vec<Event>,
    row: ReleaseRow,
    job: Job,
}

fn old_rows() -> OldRows {
    OldRows {
        process: process(),
        events: vec![event(1), event(2)],
        row: row("r", 2, Some(t("2025-04-07T10:00:00Z"))),
        job: job("r", "build", "x"),
    }
}

/// Checks that a store over a database written by the old code reads it and keeps working.
fn old_database_works(s: &dyn Store, old: &OldRows) {
    assert_eq!(s.get_process("p", None).unwrap(), Some((1, old.process.clone())));
    assert_eq!(s.put_process(&old.process).unwrap(), 1, "the same definition keeps its old version");
    assert_eq!(s.list_processes().unwrap(), [("p".to_string(), 1)]);
    assert_eq!(s.get_document("input_sets", "train", None).unwrap(), Some((1, json!({"env": "qa"}))));
    assert_eq!(s.put_document("input_sets", "train", &json!({"env": "prod"})).unwrap(), 2);
    assert_eq!(s.list_documents("input_sets").unwrap(), [("train".to_string(), 2)]);
    assert_eq!(s.events("r", 0).unwrap(), old.events);
    assert_eq!(s.release("r").unwrap(), Some(old.row.clone()));
    assert_eq!(s.snapshot("r").unwrap(), Some((2, json!({"at": 2}))));
    let q = ReleaseQuery { group: Some("weekly".into()), service: Some("payments".into()), ..Default::default() };
    assert_eq!(s.query_releases(&q).unwrap().len(), 1, "the old index row is found by the query");
    let now = t("2025-04-08T00:00:00Z");
    let lease = now + chrono::Duration::seconds(30);
    assert_eq!(s.claim_due(now, 10, lease).unwrap(), [(t("2025-04-07T10:00:00Z"), "r".to_string())]);
    let claimed = s.claim_jobs(&["x".to_string()], "w1", 10, lease, now).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].job.clone(), claimed[0].deliveries), (old.job.clone(), 1));
    // Appending continues the old sequence; a stale expected sequence still conflicts.
    let more = [event(3)];
    let next = row("r", 3, None);
    let done = [old.job.id.clone()];
    s.append(&Append { done_jobs: &done, ..Append::new("r", 2, &more, &next) }).unwrap();
    assert!(matches!(s.append(&Append::new("r", 2, &more, &next)), Err(Error::Conflict { .. })));
    assert_eq!(s.events("r", 0).unwrap().len(), 3);
    assert!(s.jobs().unwrap().is_empty(), "the old job ended with the append");
    let fresh = [event(1)];
    s.append(&Append::new("r2", 0, &fresh, &row("r2", 1, None))).unwrap();
    let ids: Vec<String> = s.releases().unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["r", "r2"], "new releases sort after the old ones");
    assert!(s.delete_release("r").unwrap());
}

/// `sqlite_master` of a database, whitespace removed from the SQL (for comparing schemas).
fn sqlite_schema(conn: &rusqlite::Connection) -> Vec<(String, String, String)> {
    let mut stmt = conn
        .prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| {
        let sql: String = r.get(2)?;
        Ok((r.get(0)?, r.get(1)?, sql.split_whitespace().collect::<String>()))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

#[test]
fn a_sqlite_file_created_by_the_old_ddl_opens_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let old = old_rows();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.execute_batch(OLD_SQLITE_DDL).unwrap();
        c.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);",
        )
        .unwrap();
        c.execute("INSERT INTO processes (id, version, ord, body) VALUES ('p', 1, 1, ?1)", [text(&old.process)])
            .unwrap();
        c.execute_batch(
            r#"INSERT INTO documents VALUES ('input_sets', 'train', 1, '{"env":"qa"}');
               INSERT INTO document_heads VALUES ('input_sets', 'train', 1, 1);"#,
        )
        .unwrap();
        for e in &old.events {
            c.execute(
                "INSERT INTO events (release, seq, body) VALUES ('r', ?1, ?2)",
                rusqlite::params![e.seq as i64, text(e)],
            )
            .unwrap();
        }
        let created = micros(old.row.created_at.unwrap());
        c.execute(
            "INSERT INTO releases (id, status, kind, scope, grp, archived, deleted, next_due, due_lease, seq,
                 win_start, win_end, ended_at, body)
             VALUES ('r', 'running', 'standard', 'account', 'weekly', 0, 0, ?1, NULL, 2, ?2, ?2, NULL, ?3)",
            rusqlite::params![micros(old.row.next_due.unwrap()), created, text(&old.row)],
        )
        .unwrap();
        c.execute(
            "INSERT INTO jobs (id, release, executor, body) VALUES (?1, 'r', 'x', ?2)",
            [old.job.id.clone(), text(&old.job)],
        )
        .unwrap();
        c.execute_batch(r#"INSERT INTO snapshots VALUES ('r', 2, '{"at":2}');"#).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        trainyard::store::SCHEMA_VERSION,
        "the later migrations ran, the first one did not again"
    );
    old_database_works(&store, &old);
    drop(store);
    // And the schema the store creates today is the old one plus the later migrations' tables
    // (the change feed, the formats, the inbox, the search columns, the ledger, the feed's origin,
    // the ended index, the gate watches),
    // object for object.
    let new_path = dir.path().join("new.db");
    drop(SqliteStore::open(&new_path).unwrap());
    let reference = rusqlite::Connection::open_in_memory().unwrap();
    reference.execute_batch(OLD_SQLITE_DDL).unwrap();
    reference.execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL)").unwrap();
    reference.execute_batch(FEED_SQLITE_DDL).unwrap();
    reference.execute_batch(FORMATS_DDL).unwrap();
    reference.execute_batch(INBOX_SQLITE_DDL).unwrap();
    reference.execute_batch(SEARCH_SQLITE_DDL).unwrap();
    reference.execute_batch(LEDGER_SQLITE_DDL).unwrap();
    reference.execute_batch(FEED_ORIGIN_DDL).unwrap();
    reference.execute_batch(RETENTION_DDL).unwrap();
    reference.execute_batch(WATCHES_DDL).unwrap();
    reference.execute_batch(LOCKS_DDL).unwrap();
    assert_eq!(sqlite_schema(&rusqlite::Connection::open(&new_path).unwrap()), sqlite_schema(&reference));
}

#[test]
fn sqlite_claims_that_find_nothing_take_no_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let store = SqliteStore::open(&path).unwrap();
    let evs = [event(1)];
    let r = row("r", 1, Some(t("2025-05-01T00:00:00Z")));
    let jobs = [job("r", "build", "x")];
    store.append(&Append { new_jobs: &jobs, ..Append::new("r", 0, &evs, &r) }).unwrap();
    // Another connection (another process, say) holds the database's write lock.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let now = t("2025-04-08T00:00:00Z");
    let lease = now + chrono::Duration::seconds(30);
    // Nothing is due and nothing is queued for `y`: the claims answer at once, without waiting
    // for the lock (a write transaction would wait for the busy timeout and then fail).
    let writes = store.write_transactions();
    assert_eq!(store.claim_due(now, 10, lease).unwrap(), []);
    assert_eq!(store.claim_jobs(&["y".to_string(), "z".to_string()], "w", 10, lease, now).unwrap(), []);
    assert_eq!(store.write_transactions(), writes, "the empty claims opened no write transaction");
    other.execute_batch("COMMIT").unwrap();
    // With the lock free, claims that find something still claim it, for any list length.
    let claimed = store.claim_jobs(&["y".to_string(), "x".to_string()], "w", 10, lease, now).unwrap();
    assert_eq!(claimed.iter().map(|c| c.job.clone()).collect::<Vec<_>>(), jobs);
    let later = t("2025-05-02T00:00:00Z");
    assert_eq!(store.claim_due(later, 10, later).unwrap(), [(t("2025-05-01T00:00:00Z"), "r".to_string())]);
    assert_eq!(store.write_transactions(), writes + 2, "each claim that found something: one write transaction");
}

#[test]
fn sqlite_cached_statements_are_never_prepared_again() {
    let store = SqliteStore::open_in_memory().unwrap();
    let base = t("2025-05-01T00:00:00Z");
    for i in 0..20 {
        let id = format!("r{i}");
        let r = row(&id, 1, Some(base + chrono::Duration::hours(i)));
        let jobs = [job(&id, "build", if i % 2 == 0 { "x" } else { "y" })];
        store.append(&Append { new_jobs: &jobs, ..Append::new(&id, 0, &[event(1)], &r) }).unwrap();
    }
    // The claims, the timer read and the release read with ever new values bound: SQLite's STAT4
    // planner would compile each statement again on the first step after every new binding.
    for i in 0..20 {
        let now = base + chrono::Duration::minutes(30 + 60 * i);
        let lease = now + chrono::Duration::seconds(30);
        assert_eq!(store.claim_due(now, 1, lease).unwrap().len(), 1);
        let executors = [format!("nothing-{i}"), ["x", "y"][i as usize % 2].to_string()];
        assert_eq!(store.claim_jobs(&executors, &format!("w{i}"), 1, lease, now).unwrap().len(), 1);
        assert!(store.due(now, 5).unwrap().len() <= 5);
        assert!(store.release(&format!("r{i}")).unwrap().is_some());
        assert_eq!(store.events(&format!("r{i}"), i as u64 % 2).unwrap().len(), 1 - i as usize % 2);
    }
    assert!(store.statements_run() > 100, "the calls ran their statements ({})", store.statements_run());
    assert_eq!(store.statements_reprepared(), 0, "every cached statement kept its first preparation");
}

#[cfg(feature = "postgres")]
mod postgres_only {
    use super::*;
    use support::{Fresh, postgres_url, unique_schema, with_schema};
    use trainyard::store::PostgresStore;

    fn client(base: &str) -> postgres::Client {
        postgres::Client::connect(base, postgres::NoTls).unwrap()
    }

    /// The columns and indexes of a schema, with the schema's name taken out.
    fn pg_schema(c: &mut postgres::Client, schema: &str) -> Vec<String> {
        let columns = c
            .query(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text,
                        COALESCE(column_default::text, '')
                 FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position",
                &[&schema],
            )
            .unwrap();
        let indexes = c
            .query("SELECT indexdef::text FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname", &[&schema])
            .unwrap();
        let mut out: Vec<String> =
            columns.iter().map(|r| (0..5).map(|i| r.get::<_, String>(i)).collect::<Vec<_>>().join(" | ")).collect();
        out.extend(indexes.iter().map(|r| r.get::<_, String>(0)));
        // A default shows its sequence qualified unless the schema is on the search path.
        out.iter().map(|s| s.replace(&format!("{schema}."), "")).collect()
    }

    #[test]
    fn a_postgres_schema_created_by_the_old_ddl_opens_and_works() {
        let Some(base) = postgres_url() else { return };
        let schema = unique_schema("old");
        let old = old_rows();
        let mut c = client(&base);
        c.batch_execute(&format!("CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\"; {OLD_POSTGRES_DDL}"))
            .unwrap();
        c.execute("INSERT INTO processes (id, version, ord, body) VALUES ('p', 1, 1, $1)", &[&text(&old.process)])
            .unwrap();
        c.batch_execute(
            r#"INSERT INTO documents VALUES ('input_sets', 'train', 1, '{"env":"qa"}');
               INSERT INTO document_heads VALUES ('input_sets', 'train', 1, 1);
               INSERT INTO snapshots VALUES ('r', 2, '{"at":2}');"#,
        )
        .unwrap();
        for e in &old.events {
            c.execute("INSERT INTO events (release, seq, body) VALUES ('r', $1, $2)", &[&(e.seq as i64), &text(e)])
                .unwrap();
        }
        let created = micros(old.row.created_at.unwrap());
        c.execute(
            "INSERT INTO releases (id, status, kind, scope, grp, archived, deleted, next_due, due_lease, seq,
                 win_start, win_end, ended_at, body)
             VALUES ('r', 'running', 'standard', 'account', 'weekly', 0, 0, $1, NULL, 2, $2, $2, NULL, $3)",
            &[&micros(old.row.next_due.unwrap()), &created, &text(&old.row)],
        )
        .unwrap();
        c.execute(
            "INSERT INTO jobs (id, release, executor, body) VALUES ($1, 'r', 'x', $2)",
            &[&old.job.id, &text(&old.job)],
        )
        .unwrap();
        let store = PostgresStore::open(&with_schema(&base, &schema)).unwrap();
        old_database_works(&store, &old);
        // The schema the store creates today is the old one, column for column and index for index.
        let fresh = Fresh::new(&base, "newddl");
        let new_schema = fresh.store.schema().unwrap().to_string();
        let expected = pg_schema(&mut c, &schema);
        assert_eq!(pg_schema(&mut c, &new_schema), expected);
        assert!(expected.len() > 40, "the comparison saw the tables: {expected:?}");
        store.drop_schema().unwrap();
    }

    fn append(s: &PostgresStore, id: &str, expected: u64, n: u64, new_jobs: &[Job], done: &[String]) {
        let evs: Vec<Event> = (expected + 1..=expected + n).map(event).collect();
        let r = row(id, expected + n, None);
        s.append(&Append { new_jobs, done_jobs: done, ..Append::new(id, expected, &evs, &r) }).unwrap();
    }

    /// Round trips and prepares of one call.
    fn cost(s: &PostgresStore, call: impl FnOnce()) -> (u64, u64) {
        let (trips, prepared) = (s.round_trips(), s.statements_prepared());
        call();
        (s.round_trips() - trips, s.statements_prepared() - prepared)
    }

    #[test]
    fn postgres_round_trips_per_call() {
        let Some(base) = postgres_url() else { return };
        let f = Fresh::new(&base, "trips");
        let s = &f.store;
        let now = t("2025-04-08T00:00:00Z");
        let lease = now + chrono::Duration::seconds(30);
        let x = ["x".to_string()];
        // First use on the connection: prepare once, then run.
        assert_eq!(cost(s, || append(s, "r", 0, 2, &[job("r", "a", "x")], &[])), (2, 1));
        assert_eq!(cost(s, || assert_eq!(s.claim_jobs(&x, "w", 10, lease, now).unwrap().len(), 1)), (2, 1));
        assert_eq!(cost(s, || assert_eq!(s.claim_due(now, 1, lease).unwrap(), [])), (2, 1));
        // Prepared: one round trip each, never prepared again.
        let done = [job("r", "a", "x").id];
        let next = [job("r", "b", "x"), job("r", "c", "y")];
        assert_eq!(cost(s, || append(s, "r", 2, 3, &next, &done)), (1, 0), "an append with jobs");
        assert_eq!(cost(s, || append(s, "other", 0, 1, &[], &[])), (1, 0), "a new release");
        let conflict = cost(s, || {
            let evs = [event(1)];
            let r = row("r", 1, None);
            assert!(matches!(s.append(&Append::new("r", 0, &evs, &r)), Err(Error::Conflict { .. })));
        });
        assert_eq!(conflict, (1, 0), "a conflicting append");
        let nothing = ["nothing-queued".to_string(), "neither".to_string()];
        assert_eq!(cost(s, || assert_eq!(s.claim_jobs(&nothing, "w", 10, lease, now).unwrap(), [])), (1, 0));
        assert_eq!(cost(s, || assert_eq!(s.claim_due(now, 10, lease).unwrap(), [])), (1, 0));
        assert_eq!(cost(s, || assert_eq!(s.claim_jobs(&x, "w", 10, lease, now).unwrap().len(), 1)), (1, 0));
        let events = cost(s, || assert_eq!(s.events("r", 0).unwrap().len(), 5));
        assert_eq!(events, (2, 1), "a read is prepared once too");
        assert_eq!(cost(s, || assert_eq!(s.events("r", 3).unwrap().len(), 2)), (1, 0));
        assert_eq!(s.jobs().unwrap().len(), 2, "the ended job is gone, the two queued are there");
    }

    /// Appends one event with its feed entry to release `id` at `seq`.
    fn append_with_feed(s: &PostgresStore, id: &str, seq: u64) {
        let evs = [event(seq + 1)];
        let entry = trainyard::store::fixtures::feed_entry(id, seq + 1, seq + 1);
        let r = row(id, seq + 1, None);
        s.append(&Append { feed: Some(&entry), ..Append::new(id, seq, &evs, &r) }).unwrap();
    }

    #[test]
    fn postgres_appends_notify_only_while_a_feed_waiter_is_announced() {
        let Some(base) = postgres_url() else { return };
        let f = Fresh::new(&base, "notify");
        let s = &f.store;
        for seq in 0..5 {
            append_with_feed(s, "r", seq);
        }
        assert_eq!(s.notifies_sent(), 0, "nobody waits: no append sent a NOTIFY");
        // A waiter on another store of the schema (another engine, say) waits for what comes next,
        // again and again, until told to stop.
        let other = PostgresStore::open(&f.url).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waiter = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let head = other.feed_head().unwrap();
                    other.wait_for_feed(head, std::time::Duration::from_secs(30)).unwrap();
                }
            })
        };
        // Appends go on until one sees the waiter announced and notifies it.
        let start = std::time::Instant::now();
        let mut seq = 5;
        while s.notifies_sent() == 0 {
            assert!(start.elapsed() < std::time::Duration::from_secs(30), "no append ever saw the waiter");
            append_with_feed(s, "r", seq);
            seq += 1;
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        append_with_feed(s, "r", seq);
        waiter.join().expect("the waiter woke and stopped");
        assert_eq!(s.events("r", 0).unwrap().len() as u64, seq + 1);
    }

    #[test]
    fn postgres_appends_stay_atomic_under_concurrency() {
        let Some(base) = postgres_url() else { return };
        let f = Fresh::new(&base, "atomic");
        let s: Arc<dyn Store> = f.dyn_store();
        // Many new releases created concurrently twice each: one creation wins, one conflicts.
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let mut won = 0;
                    for i in 0..25 {
                        let id = format!("r{i}");
                        let evs = [event(1), event(2)];
                        let r = row(&id, 2, None);
                        let jobs = [job(&id, "a", "x")];
                        match s.append(&Append { new_jobs: &jobs, ..Append::new(&id, 0, &evs, &r) }) {
                            Ok(()) => won += 1,
                            Err(Error::Conflict { .. }) => {}
                            Err(e) => panic!("unexpected error: {e}"),
                        }
                    }
                    won
                })
            })
            .collect();
        let won: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(won, 25, "each release is created exactly once");
        for i in 0..25 {
            assert_eq!(s.events(&format!("r{i}"), 0).unwrap().len(), 2, "no events of a losing creation");
        }
        assert_eq!(s.jobs().unwrap().len(), 25, "no jobs of a losing creation");
    }

    #[test]
    fn postgres_refuses_a_schema_of_someone_elses_tables() {
        let Some(base) = postgres_url() else { return };
        let schema = unique_schema("foreign");
        let mut c = client(&base);
        c.batch_execute(&format!(
            "CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".orders (id INT);
             CREATE VIEW \"{schema}\".report AS SELECT 1 AS one;"
        ))
        .unwrap();
        let err = PostgresStore::open(&with_schema(&base, &schema)).err().expect("refused");
        let text = err.to_string();
        assert_eq!(err.code(), "storage", "{text}");
        for part in [schema.as_str(), "orders", "report", "not trainyard's", "?schema=NAME"] {
            assert!(text.contains(part), "`{text}` should say `{part}`");
        }
        let ours = c
            .query("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_version'", &[&schema])
            .unwrap();
        assert!(ours.is_empty(), "nothing was created in the refused schema");
        c.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE")).unwrap();
    }

    #[test]
    fn postgres_without_a_schema_option_uses_public_and_refuses_foreign_tables_there() {
        let Some(base) = postgres_url() else { return };
        let (server, options) = base.split_once('?').map_or((base.as_str(), ""), |(b, q)| (b, q));
        let (server, _) = server.rsplit_once('/').expect("a database in the URL");
        let db = unique_schema("public");
        let url =
            |db: &str| if options.is_empty() { format!("{server}/{db}") } else { format!("{server}/{db}?{options}") };
        let mut admin = client(&base);
        admin.batch_execute(&format!("CREATE DATABASE \"{db}\"")).unwrap();
        let result = std::panic::catch_unwind(|| {
            let mut c = client(&url(&db));
            c.batch_execute("CREATE TABLE public.customers (id INT)").unwrap();
            let err = PostgresStore::open(&url(&db)).err().expect("refused");
            assert!(err.to_string().contains("schema `public`"), "{err}");
            assert!(err.to_string().contains("customers"), "{err}");
            c.batch_execute("DROP TABLE public.customers").unwrap();
            let store = PostgresStore::open(&url(&db)).expect("an empty public schema is fine");
            assert_eq!(store.schema(), None);
            store.put_document("c", "k", &json!(1)).unwrap();
            let n: i64 = c.query_one("SELECT count(*) FROM public.document_heads", &[]).unwrap().get(0);
            assert_eq!(n, 1, "without `schema` the tables are in public");
            drop(store);
            drop(PostgresStore::open(&url(&db)).expect("trainyard's own public schema opens again"));
        });
        admin.batch_execute(&format!("DROP DATABASE \"{db}\" WITH (FORCE)")).unwrap();
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }
}
