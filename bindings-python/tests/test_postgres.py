"""PostgreSQL through Python: two engines share one schema (a fresh one per test, dropped after).

Reads ``TRAINYARD_TEST_POSTGRES`` (e.g. ``postgres://postgres@127.0.0.1:5432/test``). Unset, the
test is skipped with a loud reason, except in CI (``CI`` set and not ``false``/``0``), where it fails:
the PostgreSQL tests are required there."""

import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

import trainyard
import trainyard._native as native
from trainyard import Actor, Engine, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
PROCESS = {"id": "ship", "phases": [{"id": "deploy", "activities": [
    {"id": "rollout", "kind": "automated", "executor": "deploy", "outputs": ["url"]}]}]}


def in_ci() -> bool:
    return os.environ.get("CI", "") not in ("", "false", "0")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TRAINYARD_TEST_POSTGRES", "").strip()
    if not base:
        if in_ci():
            pytest.fail("TRAINYARD_TEST_POSTGRES is not set: the PostgreSQL tests are required in CI "
                        "(e.g. TRAINYARD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test)")
        pytest.skip("*** TRAINYARD_TEST_POSTGRES is not set: the PostgreSQL test is SKIPPED "
                    "(set it to e.g. postgres://postgres@127.0.0.1:5432/test; in CI it is required) ***")
    schema = f"ty_py_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    url = f"{base}{'&' if '?' in base else '?'}schema={schema}"
    try:
        yield url
    finally:
        native._drop_postgres_schema(url)


def test_two_engines_share_a_postgres_schema(postgres_url: str) -> None:
    clock = ManualClock(START)
    with Engine.open(postgres_url, clock=clock) as planner, Engine.open(postgres_url, clock=clock) as worker:
        planner.register_process(PROCESS)
        r = planner.create_release("ship", name="r", actor=RITA)
        planner.activate(r.id, actor=RITA)
        assert [p.id for p in worker.list_processes()] == ["ship"]
        (job,) = worker.claim_jobs(["deploy"], worker="w1", lease=timedelta(minutes=1))
        assert planner.claim_jobs(["deploy"], worker="w2") == [], "a leased job goes to one worker only"
        worker.complete_job(job.id, job.lease_token, outputs={"url": "https://pg.example"})
        done = planner.get_release(r.id, actor=RITA)
        assert done.status == "success"
        assert done.phases["deploy"].activities["rollout"].outputs == {"url": "https://pg.example"}
        assert [e.kind for e in planner.history(r.id)] == [e.kind for e in worker.history(r.id)]


def test_a_bad_schema_name_is_a_storage_error(postgres_url: str) -> None:
    with pytest.raises(trainyard.StorageError, match="not a plain name"):
        Engine.open(postgres_url.replace("schema=", "schema=bad-"))
