"""External workers: claim jobs with a lease, heartbeat, complete with the lease token; the
built-in ``command`` executor."""

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import trainyard
from conftest import activated, engine_with
from trainyard import Actor, Engine, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
PROCESS = {"id": "ship", "inputs": {"service": {"type": "string", "default": "api"}}, "phases": [
    {"id": "deploy", "activities": [
        {"id": "rollout", "kind": "automated", "executor": "remote", "outputs": ["url"],
         "with": {"service": "${ inputs.service }"}, "retry": {"max_attempts": 2}}]}]}


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    return engine_with(clock, PROCESS)


def running(engine: Engine) -> str:
    return activated(engine, "ship", RITA)


def test_claim_heartbeat_complete(engine: Engine, clock: ManualClock) -> None:
    rid = running(engine)
    (record,) = engine.list_jobs()
    assert (record.worker, record.lease_until, record.deliveries) == (None, None, 0)
    assert record.job.executor == "remote" and "deliveries=0" in repr(record)
    assert engine.claim_jobs(["other"], worker="w1") == []
    (job,) = engine.claim_jobs(["remote"], worker="w1", limit=5, lease=timedelta(minutes=2))
    assert job.id == f"{rid}/deploy/rollout/0" and job.inputs == {"service": "api"}
    assert job.lease_token and job.deliveries == 1 and "deliveries=1" in repr(job)
    assert engine.get_release(rid).phases["deploy"].activities["rollout"].status == "running"
    (leased,) = engine.list_jobs()
    assert (leased.worker, leased.lease_until) == ("w1", START + timedelta(minutes=2))
    assert engine.claim_jobs(["remote"], worker="w2") == [], "leased: nobody else gets it"
    clock.advance(timedelta(minutes=1))
    assert engine.heartbeat(job.id, job.lease_token) == clock.now() + timedelta(minutes=5)
    engine.complete_job(job.id, job.lease_token, outputs={"url": "https://api.example"})
    r = engine.get_release(rid)
    assert r.status == "success" and r.phases["deploy"].activities["rollout"].outputs == {"url": "https://api.example"}
    assert engine.list_jobs() == []


def test_an_expired_lease_is_redelivered_and_the_stale_token_refused(engine: Engine, clock: ManualClock) -> None:
    rid = running(engine)
    (first,) = engine.claim_jobs(["remote"], worker="slow", lease=timedelta(seconds=30))
    clock.advance(timedelta(minutes=1))
    (again,) = engine.claim_jobs(["remote"], worker="fast")
    assert again.id == first.id and again.lease_token != first.lease_token and again.deliveries == 2
    assert first.lease_token is not None and again.lease_token is not None
    with pytest.raises(trainyard.ConflictError):
        engine.heartbeat(first.id, first.lease_token)
    with pytest.raises(trainyard.ConflictError):
        engine.complete_job(first.id, first.lease_token, outputs={"url": "late"})
    engine.complete_job(again.id, again.lease_token, error="disk full", retryable=False)
    act = engine.get_release(rid).phases["deploy"].activities["rollout"]
    assert (act.status, act.error, act.attempt) == ("on_hold", "disk full", 0)


def test_a_retryable_failure_queues_the_next_attempt(engine: Engine) -> None:
    rid = running(engine)
    (job,) = engine.claim_jobs(["remote"], worker="w")
    engine.complete_job(job.id, job.lease_token, error="flaky")
    (retry,) = engine.claim_jobs(["remote"], worker="w")
    assert retry.attempt == 1 and retry.id == f"{rid}/deploy/rollout/1"
    with pytest.raises(trainyard.ConflictError):
        engine.complete_job(job.id, outputs={"url": "x"})  # tokenless, for the stale attempt 0
    engine.complete_job(retry.id, outputs={"url": "u"})  # tokenless: a trusted caller
    assert engine.get_release(rid).status == "success"


def test_claim_jobs_arguments(engine: Engine) -> None:
    with pytest.raises(trainyard.InvalidInputError, match=r"lease: \[wrong_type\] must be a datetime.timedelta"):
        engine.claim_jobs(["remote"], worker="w", lease=60)  # type: ignore[arg-type]
    with pytest.raises(trainyard.InvalidInputError, match=r"executors: \[wrong_type\] must be a list of str, not str"):
        engine.claim_jobs("remote", worker="w")
    assert engine.claim_jobs(["remote"], worker="w", lease="90s") == []


def test_the_command_executor_runs_a_program(tmp_path: Path, clock: ManualClock) -> None:
    engine = Engine.in_memory(clock=clock)
    engine.register_command_executor(base_dir=tmp_path)
    engine.register_command_executor("shell")
    (tmp_path / "work").mkdir()
    engine.register_process({"id": "cmd", "phases": [{"id": "build", "activities": [
        {"id": "ok", "kind": "automated", "executor": "command", "outputs": ["artifact"], "with": {
            "argv": [sys.executable, "-c",
                     "import os; open(os.environ['TRAINYARD_OUTPUT'], 'a').write('artifact=' + os.getcwd() + '\\n')"],
            "cwd": "work"}},
        {"id": "bad", "kind": "automated", "executor": "shell", "on_failure": "fail",
         "with": {"argv": "echo broken >&2; exit 3", "shell": True}},
    ]}]})
    r = engine.create_release("cmd", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    acts = engine.get_release(r.id).phases["build"].activities
    assert acts["ok"].status == "success"
    assert Path(acts["ok"].outputs["artifact"]).resolve() == (tmp_path / "work").resolve()
    assert acts["bad"].status == "failed" and acts["bad"].error is not None
    assert "3" in acts["bad"].error and "broken" in acts["bad"].error
