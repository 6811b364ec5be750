"""The change feed across processes: a child Python process (feed_worker.py) commits on the same
store, and this process sees it through ``watch``, a durable consumer and a durable subscriber.

SQLite: one file shared by both processes. PostgreSQL: one schema (``?schema=``, fresh per test,
dropped after) with an engine in each process; it needs ``TRAINYARD_TEST_POSTGRES`` (e.g.
``postgres://postgres@127.0.0.1:5432/test``): unset, those tests are skipped with a loud reason,
except in CI where they fail, and set with the server down they fail."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

import trainyard._native as native
from trainyard import Engine, FeedEntry, FeedFilter, Notification

from feed_worker import PROCESS

WORKER = Path(__file__).resolve().parent / "feed_worker.py"
RELEASES = 1000


def in_ci() -> bool:
    return os.environ.get("CI", "") not in ("", "false", "0")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'feed.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TRAINYARD_TEST_POSTGRES", "").strip()
    if not base:
        if in_ci():
            pytest.fail("TRAINYARD_TEST_POSTGRES is not set: the PostgreSQL tests are required in CI")
        pytest.skip("*** TRAINYARD_TEST_POSTGRES is not set: the cross-process PostgreSQL feed test is SKIPPED "
                    "(set it to e.g. postgres://postgres@127.0.0.1:5432/test; in CI it is required) ***")
    url = f"{base}{'&' if '?' in base else '?'}schema=ty_pyfeed_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    try:
        yield url
    finally:
        native._drop_postgres_schema(url)


def worker(*args: str) -> "subprocess.Popen[str]":
    return subprocess.Popen([sys.executable, str(WORKER), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_worker(*args: str) -> str:
    done = subprocess.run([sys.executable, str(WORKER), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def watch_everything_the_child_commits(url: str) -> None:
    """The child creates, activates and approves RELEASES releases; the parent watches from before
    it started and must see each release's three commits exactly once, in order."""
    with Engine.open(url) as engine:
        engine.register_process(PROCESS)
        head = engine.feed_head()
        child = worker("advance", url, str(RELEASES))
        try:
            seen: List[FeedEntry] = []
            deadline = time.monotonic() + 600
            for entry in engine.watch(after=head, filter=FeedFilter(processes=["gated"]), timeout=timedelta(seconds=60)):
                seen.append(entry)
                if len(seen) == 3 * RELEASES or time.monotonic() > deadline:
                    break
            out, err = child.communicate(timeout=300)
            assert child.returncode == 0, err
        finally:
            if child.poll() is None:
                child.kill()
        ids = out.split()
        assert len(ids) == RELEASES
        cursors = [e.cursor for e in seen]
        assert cursors == sorted(set(cursors)), "cursors are increasing, none twice"
        by_release: Dict[str, List[FeedEntry]] = {}
        for e in seen:
            by_release.setdefault(e.release, []).append(e)
        assert set(by_release) == set(ids), "every release the child committed, nothing else"
        for rid, entries in by_release.items():
            assert [(e.status_before, e.status_after) for e in entries] == [
                (None, "draft"), ("draft", "on_hold"), ("on_hold", "success")], rid
            assert entries[0].seq_from == 1
            for a, b in zip(entries, entries[1:]):
                assert b.seq_from == a.seq_to + 1, f"{rid}: no gap, no overlap between {a} and {b}"
        # Nothing more comes: the watch saw each change exactly once.
        assert engine.changes(after=cursors[-1], filter=FeedFilter(processes=["gated"])).entries == []


def test_watch_sees_every_commit_of_another_process_on_sqlite(sqlite_url: str) -> None:
    watch_everything_the_child_commits(sqlite_url)


def test_watch_sees_every_commit_of_another_engine_on_postgres(postgres_url: str) -> None:
    watch_everything_the_child_commits(postgres_url)


def test_a_durable_consumer_resumes_in_a_new_process(sqlite_url: str) -> None:
    run_worker("advance", sqlite_url, "4")  # 12 entries
    first = json.loads(run_worker("consume", sqlite_url, "mailer", "5"))
    second = json.loads(run_worker("consume", sqlite_url, "mailer", "100"))
    assert len(first) == 5 and len(second) == 7
    assert first + second == sorted(first + second) and not set(first) & set(second)
    with Engine.open(sqlite_url) as engine:
        assert engine.consumer_cursor("mailer") == second[-1] == engine.feed_head()
        assert engine.consume("mailer").entries == []


def killed_committer_loses_no_notification(url: str) -> None:
    child = worker("commit-and-hang", url)
    try:
        assert child.stdout is not None
        release_id = child.stdout.readline().strip()
        assert release_id, child.stderr.read() if child.stderr else ""
        child.send_signal(signal.SIGKILL)  # right after its commit returned: no chance to notify anyone
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    got: List[Notification] = []
    with Engine.open(url) as engine:
        engine.subscribe_durable("mailer", got.append)
        deadline = time.monotonic() + 30
        while not any(n.kind == "approval_requested" for n in got) and time.monotonic() < deadline:
            engine.run_sinks()
        kinds = [(n.kind, n.release_id, n.recipients) for n in got]
        assert ("approval_requested", release_id, ["group:qa"]) in kinds, kinds
        assert [k for k, _, _ in kinds] == ["release_started", "phase_started", "approval_requested"]
        # Delivered once: the consumer's cursor moved past it, so a second subscriber process would not see it again.
        assert engine.consumer_cursor("mailer") == engine.feed_head()


def test_a_killed_committer_loses_no_notification_on_sqlite(sqlite_url: str) -> None:
    killed_committer_loses_no_notification(sqlite_url)


def test_a_killed_committer_loses_no_notification_on_postgres(postgres_url: str) -> None:
    killed_committer_loses_no_notification(postgres_url)
