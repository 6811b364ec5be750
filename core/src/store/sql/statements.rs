//! Every statement of the SQL store, written once and rendered for a dialect when the store is
//! built (its locking clauses, list conditions, token expression and placeholder style filled
//! in), so each call only looks its text up in the connection's statement cache.

use super::dialect::Dialect;

/// The columns of the `releases` index row written by an append, in parameter order after `id`.
pub(crate) const RELEASE_COLUMNS: &str = "id, status, kind, scope, grp, archived, deleted, next_due, due_lease, seq,
    win_start, win_end, ended_at, body, name, process_id, process_version, created_at, started_at, updated_at";

/// What an append's upsert of the index row changes (the timer lease ends with every append).
pub(crate) const RELEASE_UPDATE: &str = "status = excluded.status, kind = excluded.kind, scope = excluded.scope,
    grp = excluded.grp, archived = excluded.archived, deleted = excluded.deleted, next_due = excluded.next_due,
    due_lease = NULL, seq = excluded.seq, win_start = excluded.win_start, win_end = excluded.win_end,
    ended_at = excluded.ended_at, body = excluded.body, name = excluded.name, process_id = excluded.process_id,
    process_version = excluded.process_version, created_at = excluded.created_at, started_at = excluded.started_at,
    updated_at = excluded.updated_at";

/// The statements, rendered for one dialect.
#[derive(Debug, Clone)]
pub(crate) struct Statements {
    pub latest_process: String,
    pub process_at: String,
    pub insert_process: String,
    pub list_processes: String,
    pub open_document_head: String,
    pub document_head: String,
    pub latest_document: String,
    pub document_at: String,
    pub insert_document: String,
    pub set_document_head: String,
    pub list_documents: String,
    pub delete_document_versions: String,
    pub retire_document_head: String,
    pub release_seq: String,
    pub insert_event: String,
    pub upsert_release: String,
    pub delete_job: String,
    pub insert_job: String,
    pub events_after: String,
    pub put_snapshot: String,
    pub snapshot: String,
    pub release_body: String,
    pub delete_release: [String; 9],
    pub delete_labels: String,
    pub insert_label: String,
    pub delete_watches: String,
    pub insert_watch: String,
    pub watches_of: String,
    pub all_watches: String,
    /// Writes a lock row (asked for, or granted).
    pub upsert_lock: String,
    /// Removes a lock row.
    pub delete_lock: String,
    /// How many other releases hold a lock.
    pub lock_holders: String,
    /// The rows of one lock.
    pub locks_named: String,
    /// The held rows of one lock.
    pub lock_holders_of: String,
    /// The first waiting rows of one lock, in queue order.
    pub lock_waiters_of: String,
    /// Every lock row.
    pub all_locks: String,
    pub delete_inbox: String,
    pub insert_inbox: String,
    pub insert_ledger: String,
    pub deployments: String,
    pub due: String,
    pub any_due_claimable: String,
    pub claim_due: String,
    pub any_job_claimable: String,
    pub tick_probe: String,
    pub claim_jobs: String,
    pub heartbeat: String,
    pub finish_job: String,
    pub jobs: String,
    pub schema_version: String,
    pub insert_feed: String,
    pub feed_after: String,
    pub any_feed_after: String,
    pub any_feed_committed_after: String,
    pub feed_head: String,
    pub consumer_cursor: String,
    pub set_consumer_cursor: String,
}

/// The inbox read for `principals` principals (`?1 ..= ?n`, then the per-principal limit): the
/// first rows of each principal's part of the index, merged by `since`.
pub(crate) fn inbox_query<D: Dialect>(principals: usize) -> String {
    let n = principals + 1;
    let parts: Vec<String> = (1..=principals)
        .map(|i| {
            format!(
                "SELECT * FROM (SELECT since, release, item, body FROM inbox WHERE principal = ?{i}
                 ORDER BY since, release, item LIMIT ?{n}) AS p{i}"
            )
        })
        .collect();
    D::placeholders(&format!("SELECT body FROM ({}) AS u ORDER BY since, release, item", parts.join(" UNION ALL ")))
}

/// The current ledger entry of each service and environment (its latest: no later entry of the
/// same pair exists), filtered by environment (`?1`) and service (`?2`, or `?1` without an
/// environment) when `environment`/`service` say so.
pub(crate) fn deployed_query<D: Dialect>(environment: bool, service: bool) -> String {
    let mut filters = Vec::new();
    let mut n = 0;
    for (given, column) in [(environment, "environment"), (service, "service")] {
        if given {
            n += 1;
            filters.push(format!(" AND l.{column} = ?{n}"));
        }
    }
    D::placeholders(&format!(
        "SELECT l.body FROM ledger l WHERE 1 = 1{} AND NOT EXISTS (SELECT 1 FROM ledger m
         WHERE m.service = l.service AND m.environment = l.environment
         AND (m.at > l.at OR (m.at = l.at AND (m.release > l.release OR (m.release = l.release AND m.seq > l.seq)))))
         ORDER BY l.service, l.environment",
        filters.concat()
    ))
}

impl Statements {
    /// The statements in dialect `D`.
    pub(crate) fn new<D: Dialect>() -> Self {
        let p = |sql: &str| D::placeholders(sql);
        let (for_update, skip_locked, token) = (D::FOR_UPDATE, D::SKIP_LOCKED, D::NEW_TOKEN);
        // A release whose timer is due at `?now` and not leased; a job of the executors `?list`
        // not leased at `?now` (the placeholders' numbers differ between statements).
        let due_at = |now: usize| {
            format!("next_due IS NOT NULL AND next_due <= ?{now} AND (due_lease IS NULL OR due_lease <= ?{now})")
        };
        let job_at = |list: usize, now: usize| {
            format!("{} AND (lease_until IS NULL OR lease_until <= ?{now})", D::in_list("executor", list))
        };
        let (claimable_due, claimable_job) = (due_at(1), job_at(1, 2));
        Statements {
            latest_process: p("SELECT version, body FROM processes WHERE id = ?1 ORDER BY version DESC LIMIT 1"),
            process_at: p("SELECT version, body FROM processes WHERE id = ?1 AND version = ?2"),
            insert_process: p("INSERT INTO processes (id, version, ord, body) VALUES (?1, ?2,
                COALESCE((SELECT MIN(ord) FROM processes WHERE id = ?1),
                         (SELECT COALESCE(MAX(ord), 0) + 1 FROM processes)), ?3)"),
            list_processes: p("SELECT id, MAX(version) FROM processes GROUP BY id ORDER BY MIN(ord), id"),
            open_document_head: p("INSERT INTO document_heads (collection, key, last, live) VALUES (?1, ?2, 0, 0)
                ON CONFLICT DO NOTHING"),
            document_head: p(&format!(
                "SELECT last, live FROM document_heads WHERE collection = ?1 AND key = ?2{for_update}"
            )),
            latest_document: p("SELECT version, body FROM documents WHERE collection = ?1 AND key = ?2
                ORDER BY version DESC LIMIT 1"),
            document_at: p("SELECT version, body FROM documents WHERE collection = ?1 AND key = ?2 AND version = ?3"),
            insert_document: p("INSERT INTO documents (collection, key, version, body) VALUES (?1, ?2, ?3, ?4)"),
            set_document_head: p("UPDATE document_heads SET last = ?3, live = 1 WHERE collection = ?1 AND key = ?2"),
            list_documents: p("SELECT key, last FROM document_heads WHERE collection = ?1 AND live = 1 ORDER BY key"),
            delete_document_versions: p("DELETE FROM documents WHERE collection = ?1 AND key = ?2"),
            retire_document_head: p("UPDATE document_heads SET live = 0 WHERE collection = ?1 AND key = ?2"),
            release_seq: p(&format!("SELECT seq FROM releases WHERE id = ?1{for_update}")),
            insert_event: p("INSERT INTO events (release, seq, body) VALUES (?1, ?2, ?3)"),
            upsert_release: p(&format!(
                "INSERT INTO releases ({RELEASE_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
                 ON CONFLICT (id) DO UPDATE SET {RELEASE_UPDATE}"
            )),
            delete_job: p("DELETE FROM jobs WHERE id = ?1"),
            insert_job: p("INSERT INTO jobs (id, release, executor, body) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (id) DO NOTHING"),
            events_after: p("SELECT body FROM events WHERE release = ?1 AND seq > ?2 ORDER BY seq"),
            put_snapshot: p("INSERT INTO snapshots (release, seq, body)
                SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM releases WHERE id = ?1)
                ON CONFLICT (release) DO UPDATE SET seq = excluded.seq, body = excluded.body
                WHERE excluded.seq > snapshots.seq"),
            snapshot: p("SELECT seq, body FROM snapshots WHERE release = ?1"),
            release_body: p("SELECT body FROM releases WHERE id = ?1"),
            delete_release: [
                p("DELETE FROM releases WHERE id = ?1"),
                p("DELETE FROM events WHERE release = ?1"),
                p("DELETE FROM snapshots WHERE release = ?1"),
                p("DELETE FROM jobs WHERE release = ?1"),
                p("DELETE FROM inbox WHERE release = ?1"),
                p("DELETE FROM release_labels WHERE release = ?1"),
                p("DELETE FROM ledger WHERE release = ?1"),
                p("DELETE FROM release_watches WHERE release = ?1"),
                p("DELETE FROM release_locks WHERE release = ?1"),
            ],
            delete_labels: p("DELETE FROM release_labels WHERE release = ?1"),
            insert_label: p("INSERT INTO release_labels (release, key, value) VALUES (?1, ?2, ?3)"),
            delete_watches: p("DELETE FROM release_watches WHERE release = ?1"),
            insert_watch: p("INSERT INTO release_watches (release, target) VALUES (?1, ?2) ON CONFLICT DO NOTHING"),
            watches_of: p("SELECT release, target FROM release_watches WHERE target = ?1 ORDER BY release"),
            all_watches: p("SELECT release, target FROM release_watches ORDER BY release, target"),
            upsert_lock: p("INSERT INTO release_locks (name, release, node, held, rank, requested_at, body)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT (name, release, node) DO UPDATE SET held = excluded.held, body = excluded.body"),
            delete_lock: p("DELETE FROM release_locks WHERE name = ?1 AND release = ?2 AND node = ?3"),
            lock_holders: p("SELECT COUNT(DISTINCT release) FROM release_locks WHERE name = ?1 AND held = 1 AND release <> ?2"),
            locks_named: p("SELECT body FROM release_locks WHERE name = ?1"),
            lock_holders_of: p("SELECT body FROM release_locks WHERE name = ?1 AND held = 1"),
            lock_waiters_of: p("SELECT body FROM release_locks WHERE name = ?1 AND held = 0
                ORDER BY rank, requested_at, release, node LIMIT ?2"),
            all_locks: p("SELECT body FROM release_locks"),
            delete_inbox: p("DELETE FROM inbox WHERE release = ?1"),
            insert_inbox: p("INSERT INTO inbox (principal, since, release, item, body) VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (principal, since, release, item) DO UPDATE SET body = excluded.body"),
            insert_ledger: p("INSERT INTO ledger (service, environment, at, release, seq, body)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"),
            deployments: p("SELECT body FROM ledger WHERE service = ?1 AND environment = ?2
                ORDER BY at DESC, release DESC, seq DESC LIMIT ?3"),
            due: p("SELECT next_due, id FROM releases WHERE next_due IS NOT NULL AND next_due <= ?1
                ORDER BY next_due, ord LIMIT ?2"),
            any_due_claimable: p(&format!("SELECT 1 FROM releases WHERE {claimable_due} LIMIT 1")),
            claim_due: p(&format!(
                "WITH picked AS (
                     SELECT ord AS pick FROM releases WHERE {claimable_due}
                     ORDER BY next_due, ord LIMIT ?2{skip_locked})
                 UPDATE releases SET due_lease = ?3 FROM picked WHERE releases.ord = picked.pick
                 RETURNING next_due, id, ord"
            )),
            any_job_claimable: p(&format!("SELECT 1 FROM jobs WHERE {claimable_job} LIMIT 1")),
            // `?1` feed cursor, `?2` now, `?3` executors, `?4` document collection, `?5` the
            // asking engine's origin (entries it wrote itself do not count; entries written before
            // the column existed have none and do). `CASE` rather than a bare `EXISTS`: an
            // integer in both dialects. The last column is the readable head after `?1`.
            tick_probe: p(&format!(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM feed WHERE cursor > ?1{0}
                        AND (origin IS NULL OR origin <> ?5)) THEN 1 ELSE 0 END,
                    CASE WHEN EXISTS (SELECT 1 FROM releases WHERE {1}) THEN 1 ELSE 0 END,
                    CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE {2}) THEN 1 ELSE 0 END,
                    CASE WHEN EXISTS (SELECT 1 FROM document_heads WHERE collection = ?4 AND live = 1) THEN 1 ELSE 0 END,
                    (SELECT COALESCE(MAX(cursor), ?1) FROM feed WHERE cursor > ?1{0})",
                D::FEED_VISIBLE,
                due_at(2),
                job_at(3, 2)
            )),
            claim_jobs: p(&format!(
                "WITH picked AS (
                     SELECT ord AS pick FROM jobs WHERE {claimable_job} ORDER BY ord LIMIT ?3{skip_locked})
                 UPDATE jobs SET worker = ?4, token = {token}, lease_until = ?5, deliveries = deliveries + 1
                 FROM picked WHERE jobs.ord = picked.pick
                 RETURNING ord, body, token, deliveries"
            )),
            heartbeat: p("UPDATE jobs SET lease_until = ?1 WHERE id = ?2 AND token = ?3"),
            finish_job: p("DELETE FROM jobs WHERE id = ?1 AND token = ?2"),
            jobs: p("SELECT body, worker, lease_until, deliveries FROM jobs ORDER BY ord"),
            schema_version: p("SELECT version FROM schema_version"),
            insert_feed: p(&format!("INSERT INTO feed (cursor, release, origin, body) VALUES ({}, ?1, ?2, ?3)", D::FEED_CURSOR)),
            feed_after: p(&format!(
                "SELECT cursor, body FROM feed WHERE cursor > ?1{} ORDER BY cursor LIMIT ?2",
                D::FEED_VISIBLE
            )),
            any_feed_after: p(&format!("SELECT 1 FROM feed WHERE cursor > ?1{} LIMIT 1", D::FEED_VISIBLE)),
            any_feed_committed_after: p("SELECT 1 FROM feed WHERE cursor > ?1 LIMIT 1"),
            feed_head: format!("SELECT COALESCE(MAX(cursor), 0) FROM feed WHERE 1 = 1{}", D::FEED_VISIBLE),
            consumer_cursor: p("SELECT cursor FROM feed_consumers WHERE name = ?1"),
            set_consumer_cursor: p("INSERT INTO feed_consumers (name, cursor) VALUES (?1, ?2)
                ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor"),
        }
    }
}
