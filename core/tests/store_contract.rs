//! The store contract (`trainyard::store::contract`) on every backend: memory, sqlite, postgres.
#![cfg(feature = "postgres")]

#[path = "support/storage.rs"]
mod support;

use std::sync::{Arc, Mutex};
use trainyard::store::{MemoryStore, SqliteStore, Store, TickQuestion, contract};

#[test]
fn contract_memory() {
    contract::run_all(&|| Arc::new(MemoryStore::new()));
}

#[test]
fn contract_sqlite_file() {
    let dirs = Mutex::new(Vec::new());
    contract::run_all(&|| {
        let (dir, store) = support::sqlite();
        dirs.lock().unwrap().push(dir);
        store
    });
}

#[test]
fn contract_sqlite_in_memory() {
    contract::run_all(&|| Arc::new(SqliteStore::open_in_memory().unwrap()));
}

#[test]
fn contract_postgres() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = Mutex::new(Vec::new());
    contract::run_all(&|| {
        let f = support::Fresh::new(&base, "contract");
        let store = f.dyn_store();
        fresh.lock().unwrap().push(f);
        store
    });
}

#[test]
fn sqlite_reopens_with_its_data_and_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        s.put_document("c", "k", &serde_json::json!(1)).unwrap();
        s.set_consumer_cursor("portal", 42).unwrap();
        assert_eq!(s.schema_version().unwrap(), trainyard::store::SCHEMA_VERSION);
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), trainyard::store::SCHEMA_VERSION, "migrations run once");
    assert_eq!(s.get_document("c", "k", None).unwrap(), Some((1, serde_json::json!(1))));
    assert_eq!(s.consumer_cursor("portal").unwrap(), Some(42), "a consumer's cursor survives a restart");
}

#[test]
fn open_by_url_and_errors_without_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a.db").display());
    let store = trainyard::store::open(&url).unwrap();
    store.put_document("c", "k", &serde_json::json!("v")).unwrap();
    assert!(dir.path().join("a.db").exists(), "sqlite:///abs/path opens that file");
    for (bad, why) in [
        ("nonsense", "expected"),
        ("mysql://root:pw123@h/db", "unknown scheme"),
        ("sqlite://", "no file path"),
        ("sqlite:///nonexistent-dir/sub/x.db", "unable to open"),
        ("postgres://app:pw123@127.0.0.1:1/db", "cannot connect"),
        ("postgres://app:pw123@127.0.0.1:5432/db?schema=bad-name", "plain name"),
    ] {
        let err = trainyard::store::open(bad).err().unwrap_or_else(|| panic!("{bad} should fail"));
        let text = err.to_string();
        assert_eq!(err.code(), "storage", "{bad}: {text}");
        assert!(!text.contains("pw123"), "{bad}: the password leaked: {text}");
        assert!(text.to_lowercase().contains(why), "{bad}: `{text}` should say `{why}`");
        assert!(text.contains(&trainyard::store::redact_url(bad)), "{bad}: names the URL: {text}");
    }
    let err = trainyard::Engine::open("postgres://u:pw123@127.0.0.1:1/db").err().unwrap();
    assert_eq!(err.code(), "storage");
    assert!(err.to_string().contains("postgres://u:***@127.0.0.1:1/db"), "{err}");
}

#[test]
fn postgres_schema_option_isolates_runs() {
    let Some(base) = support::postgres_url() else { return };
    let a = support::Fresh::new(&base, "iso");
    let b = support::Fresh::new(&base, "iso");
    a.store.put_document("c", "k", &serde_json::json!(1)).unwrap();
    assert_eq!(b.store.get_document("c", "k", None).unwrap(), None, "another schema sees nothing");
    let again = trainyard::store::PostgresStore::open(&a.url).unwrap();
    assert_eq!(again.get_document("c", "k", None).unwrap(), Some((1, serde_json::json!(1))), "same schema, same data");
}

/// The built-in stores answer the tick probe themselves (the contract's exactness check then
/// applies to them): on an empty store nothing is there to do.
#[test]
fn built_in_stores_probe_for_the_tick() {
    let nothing =
        trainyard::store::TickProbe { feed: false, feed_head: 0, timers: false, jobs: false, documents: false };
    let executors = ["deploy".to_string()];
    let q = TickQuestion {
        feed_after: 0,
        origin: "engine",
        now: "2025-04-07T09:00:00Z".parse().unwrap(),
        executors: &executors,
        collection: "release_groups",
    };
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    assert_eq!(memory.tick_probe(&q).unwrap(), nothing, "memory");
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    assert_eq!(sqlite.tick_probe(&q).unwrap(), nothing, "sqlite");
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "probe");
    assert_eq!(fresh.dyn_store().tick_probe(&q).unwrap(), nothing, "postgres");
}
