"""engine.doctor() / engine.repair(): a release made stuck on purpose (its timer row or its job
deleted in SQLite behind the engine's back) is found, with the same fields as Node's, and the
repair makes it progress again."""

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Set

import pytest

import trainyard as ty
from conftest import REPO_ROOT, START

RITA = ty.Actor("rita", roles=["account_release_manager"])
VIEWS = json.loads((REPO_ROOT / "testdata" / "api" / "views.json").read_text(encoding="utf-8"))
PROCESSES = (
    "id: soak\nphases:\n  - id: wait\n    activities: [{ id: soak, kind: wait, duration: 1h }]\n",
    "id: remote\nphases:\n  - id: build\n    activities: [{ id: b, kind: automated, executor: remote }]\n",
)


def public(obj: object) -> Set[str]:
    return {n for n in dir(obj) if not n.startswith("_")}


def test_doctor_finds_a_lost_timer_and_a_lost_job_and_repair_makes_them_progress(tmp_path: Path) -> None:
    db = tmp_path / "releases.db"
    clock = ty.ManualClock(START)
    engine = ty.Engine.open(f"sqlite://{db}", clock=clock)
    for p in PROCESSES:
        engine.register_process(p)
    waiting = engine.create_release("soak", name="Lost timer", actor=RITA)
    engine.activate(waiting.id, actor=RITA)
    queued = engine.create_release("remote", name="Lost job", actor=RITA)
    engine.activate(queued.id, actor=RITA)
    healthy = engine.doctor()
    assert (healthy.checked, healthy.findings) == (2, [])

    with sqlite3.connect(db) as c:
        assert c.execute("UPDATE releases SET next_due = NULL WHERE id = ?", (waiting.id,)).rowcount == 1
        assert c.execute("DELETE FROM jobs WHERE release = ?", (queued.id,)).rowcount == 1
    report = engine.doctor()
    assert isinstance(report, ty.DoctorReport) and report.checked == 2
    found = {f.release_id: f for f in report.findings}
    assert set(found) == {waiting.id, queued.id}
    timer = found[waiting.id]
    assert (timer.name, timer.status, timer.can_progress) == ("Lost timer", "running", False)
    assert [(p.code, p.repairable) for p in timer.problems] == [("timer_missing", True)]
    assert "timer" in timer.problems[0].message and "not in the store" in timer.problems[0].message
    assert [p.code for p in found[queued.id].problems] == ["job_missing"]
    # Stuck: an hour later the wait has still not ended.
    clock.advance(timedelta(hours=2))
    engine.run_until_idle()
    assert engine.get_release(waiting.id).status == "running"

    repaired = engine.repair()
    assert isinstance(repaired, ty.RepairReport)
    assert (sorted(repaired.repaired), repaired.timers_restored, repaired.jobs_restored) == (
        sorted([waiting.id, queued.id]), 1, 1)
    assert engine.doctor().findings == []
    assert engine.repair().repaired == [], "nothing left to repair"
    engine.run_until_idle()
    assert engine.get_release(waiting.id).status == "success", "the restored timer fired"
    assert [j.release_id for j in engine.claim_jobs(["remote"], worker="w1")] == [queued.id]


def test_repair_of_named_releases_and_bad_arguments() -> None:
    engine = ty.Engine.in_memory()
    engine.register_process(PROCESSES[0])
    r = engine.create_release("soak", name="Fine", actor=RITA)
    engine.activate(r.id, actor=RITA)
    report = engine.repair([r.id])
    assert (report.repaired, report.timers_restored, report.jobs_restored) == ([], 0, 0)
    with pytest.raises(ty.NotFoundError):
        engine.repair(["no-such-release"])
    with pytest.raises(ty.InvalidInputError) as e:
        engine.repair("not-a-list")  # a str is a Sequence[str] to mypy, not a list of ids
    assert [(p.path, p.code) for p in e.value.problems] == [("release_ids", "wrong_type")]


@pytest.mark.parametrize(
    "view,cls",
    [("doctor_report", ty.DoctorReport), ("doctor_finding", ty.DoctorFinding),
     ("doctor_problem", ty.DoctorProblem), ("repair_report", ty.RepairReport)],
)
def test_the_reports_have_exactly_the_core_fields(view: str, cls: type) -> None:
    assert public(cls) == set(VIEWS[view])
