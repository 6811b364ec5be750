"""Every trainyard error class is raised by a real engine call, with its stable code, and
``problems`` where the error carries them."""

import sqlite3
from pathlib import Path
from datetime import datetime, timedelta, timezone

import pytest

import trainyard
from trainyard import Actor, Engine

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
QUINN = Actor("quinn", groups=["qa"])

PROCESS = {
    "id": "gate",
    "inputs": {"version": {"type": "string", "required": True, "pattern": "^[0-9.]+$"}},
    "phases": [{"id": "qa", "activities": [{"id": "ok", "kind": "approval", "approvers": [{"group": "qa"}],
                                            "min_approvals": 1}]}],
}


@pytest.fixture
def engine() -> Engine:
    e = Engine.in_memory(clock=trainyard.ManualClock(START))
    e.register_process(PROCESS)
    return e


def running(engine: Engine) -> str:
    r = engine.create_release("gate", name="r", actor=RITA, inputs={"version": "1.2.3"})
    engine.activate(r.id, actor=RITA)
    return r.id


def test_validation_error(engine: Engine) -> None:
    with pytest.raises(trainyard.ValidationError) as info:
        engine.register_process("id: x\nphases:\n  - id: a\n    depends_on: [b]\n    activities: []\n")
    assert info.value.code == "validation"
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("phases[0].depends_on[0]", "unknown_dependency"), ("phases[0].activities", "empty")]


def test_invalid_input_error_lists_every_problem(engine: Engine) -> None:
    with pytest.raises(trainyard.InvalidInputError) as info:
        engine.create_release("gate", name="r", actor=RITA, inputs={"version": "v1", "extra": 1})
    assert info.value.code == "invalid_input"
    assert len(info.value.problems) >= 2, info.value.problems
    assert {p.path for p in info.value.problems} >= {"inputs.version", "inputs.extra"}


def test_invalid_transition_error(engine: Engine) -> None:
    r = engine.create_release("gate", name="r", actor=RITA, inputs={"version": "1"})
    with pytest.raises(trainyard.InvalidTransitionError, match="while it is draft; allowed now:") as info:
        engine.pause(r.id, actor=RITA)
    assert info.value.code == "invalid_transition"


def test_not_found_error(engine: Engine) -> None:
    with pytest.raises(trainyard.NotFoundError, match="release `nope` not found") as info:
        engine.get_release("nope")
    assert info.value.code == "not_found"
    with pytest.raises(trainyard.NotFoundError, match="process `missing` not found"):
        engine.create_release("missing", name="x", actor=RITA)


def test_permission_denied_error(engine: Engine) -> None:
    rid = running(engine)
    with pytest.raises(trainyard.PermissionDeniedError, match="actor `mallory` may not") as info:
        engine.approve(rid, "qa", "ok", actor=Actor("mallory"))
    assert info.value.code == "permission_denied"


def test_already_exists_error_approving_twice(engine: Engine) -> None:
    engine.register_process({**PROCESS, "id": "two", "phases": [{"id": "qa", "activities": [
        {"id": "ok", "kind": "approval", "approvers": [{"group": "qa"}, {"user": "sam"}], "min_approvals": "all"}]}]})
    r = engine.create_release("two", name="r", actor=RITA, inputs={"version": "1"})
    engine.activate(r.id, actor=RITA)
    engine.approve(r.id, "qa", "ok", actor=QUINN)
    with pytest.raises(trainyard.AlreadyExistsError) as info:
        engine.approve(r.id, "qa", "ok", actor=QUINN)
    assert info.value.code == "already_exists"


def test_conflict_error_for_a_stale_lease(engine: Engine) -> None:
    engine.register_process({"id": "ext", "phases": [{"id": "a", "activities": [
        {"id": "b", "kind": "automated", "executor": "remote"}]}]})
    r = engine.create_release("ext", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    [job] = engine.claim_jobs(["remote"], worker="w1", lease=timedelta(seconds=1))
    assert job.lease_token is not None
    engine.complete_job(job.id, lease_token=job.lease_token)
    with pytest.raises(trainyard.ConflictError) as info:
        engine.heartbeat(job.id, lease_token=job.lease_token)
    assert info.value.code == "conflict"


def test_expression_error_activating_a_process_whose_variable_fails(engine: Engine) -> None:
    engine.register_process({"id": "expr", "variables": {"ratio": "${ 1 / inputs.zero }"},
                             "inputs": {"zero": {"type": "number", "default": 0}},
                             "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}]})
    r = engine.create_release("expr", name="r", actor=RITA)
    with pytest.raises(trainyard.ExpressionError) as info:
        engine.activate(r.id, actor=RITA)
    assert info.value.code == "expression_error"
    assert engine.get_release(r.id).status == "draft", "nothing was written"


def test_storage_error() -> None:
    with pytest.raises(trainyard.StorageError) as info:
        Engine.open("bogus://x")
    assert info.value.code == "storage"


def test_schedule_error_end_before_start(engine: Engine) -> None:
    r = engine.create_release("gate", name="r", actor=RITA, inputs={"version": "1"})
    with pytest.raises(trainyard.ScheduleError, match="must be after the start") as info:
        engine.schedule(r.id, start=START + timedelta(days=1), end=START, actor=RITA)
    assert info.value.code == "schedule"


TESTED = {
    "validation": test_validation_error,
    "invalid_input": test_invalid_input_error_lists_every_problem,
    "invalid_transition": test_invalid_transition_error,
    "not_found": test_not_found_error,
    "permission_denied": test_permission_denied_error,
    "conflict": test_conflict_error_for_a_stale_lease,
    "already_exists": test_already_exists_error_approving_twice,
    "expression_error": test_expression_error_activating_a_process_whose_variable_fails,
    "storage": test_storage_error,
    "schedule": test_schedule_error_end_before_start,
}


def test_executor_error_claiming_jobs_without_executor_names() -> None:
    engine = Engine.in_memory(clock=trainyard.ManualClock(START))
    with pytest.raises(trainyard.ExecutorError, match="claim_jobs needs the names of the executors"):
        engine.claim_jobs([], worker="w1")


TESTED["executor"] = test_executor_error_claiming_jobs_without_executor_names


def test_unsupported_version_error(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    Engine.open(f"sqlite://{path}").close()
    with sqlite3.connect(path) as c:
        c.execute("UPDATE schema_version SET version = version + 100")
    c.close()
    with pytest.raises(trainyard.UnsupportedVersionError) as e:
        Engine.open(f"sqlite://{path}")
    assert e.value.code == "unsupported_version" and "newer" in str(e.value)


TESTED["unsupported_version"] = test_unsupported_version_error


def test_every_error_class_is_raised_above() -> None:
    codes = {cls.code for cls in trainyard.TrainyardError.__subclasses__()}
    assert codes - set(TESTED) == set()
    err = trainyard.ExecutorError("executor error: x")
    assert err.code == "executor" and isinstance(err, trainyard.TrainyardError)


def test_the_executor_error_of_an_unresolvable_secret_fails_the_job() -> None:
    engine = Engine.in_memory(clock=trainyard.ManualClock(START))
    engine.set_secret_resolver(lambda name: (_ for _ in ()).throw(KeyError(name)))
    engine.register_process({"id": "s", "inputs": {"token": {"type": "secret", "default": "secret://t"}},
                             "phases": [{"id": "a", "activities": [
                                 {"id": "b", "kind": "automated", "executor": "x", "on_failure": "fail",
                                  "with": {"t": "${ inputs.token }"}}]}]})
    engine.register_executor("x", lambda job: None)
    r = engine.create_release("s", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()  # no ExecutorError here: the attempt fails instead
    act = engine.get_release(r.id).phases["a"].activities["b"]
    assert act.status == "failed"
    assert act.error == "executor error: secret `t` (job input `t`) could not be resolved: KeyError: 't'"
