//! Opening an engine on a store named by a URL.

use super::Engine;
use crate::Result;
use crate::schedule::{Clock, SystemClock};
use std::sync::Arc;

impl Engine {
    /// An engine on the store a URL names, on the system clock:
    /// `memory://`, `sqlite://relative/path.db`, `sqlite:///absolute/path.db`,
    /// `postgres://user[:password]@host[:port]/db[?schema=NAME]` (feature `postgres`, on by default;
    /// the schema is created if missing).
    ///
    /// A malformed URL, an unknown scheme or an unreachable database is an `Error::Storage` that
    /// names the URL without its password.
    ///
    /// ```
    /// let engine = trainyard::Engine::open("memory://").unwrap();
    /// assert!(engine.list_processes().unwrap().is_empty());
    /// let dir = std::env::temp_dir().join(format!("trainyard-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let url = format!("sqlite://{}", dir.join("releases.db").display());
    /// let engine = trainyard::Engine::open(&url).unwrap();
    /// assert!(engine.list_processes().unwrap().is_empty());
    /// # std::fs::remove_dir_all(&dir).ok();
    /// let err = trainyard::Engine::open("postgres://app:s3cret@127.0.0.1:1/none").err().unwrap();
    /// assert_eq!(err.code(), "storage");
    /// assert!(!err.to_string().contains("s3cret"));
    /// ```
    pub fn open(url: &str) -> Result<Engine> {
        Engine::open_with(url, Arc::new(SystemClock))
    }

    /// Like [`Engine::open`], on the given clock (e.g. a [`crate::schedule::ManualClock`]).
    pub fn open_with(url: &str, clock: Arc<dyn Clock>) -> Result<Engine> {
        Ok(Engine::new(crate::store::open(url)?, clock))
    }
}
