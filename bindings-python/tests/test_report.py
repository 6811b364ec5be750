"""engine.report(): two weekly trains and a hotfix, with the fields of the core's report
(testdata/api/views.json, as Node's), and its exports report_csv (one table, str) and report_xlsx
(the workbook, bytes)."""

import io
import json
import zipfile
from datetime import timedelta
from typing import Any, Dict, Set

import pytest

import trainyard as ty
from conftest import REPO_ROOT, START

RITA = ty.Actor("rita", roles=["account_release_manager"])
QUINN = ty.Actor("quinn", groups=["qa"])
VIEWS = json.loads((REPO_ROOT / "testdata" / "api" / "views.json").read_text(encoding="utf-8"))
TRAIN = (REPO_ROOT / "testdata" / "processes" / "weekly-train.yaml").read_text(encoding="utf-8")


def public(obj: object) -> Set[str]:
    return {n for n in dir(obj) if not n.startswith("_")}


def deploy(job: Any) -> Dict[str, Any]:
    if job.inputs.get("version") == "bad":
        raise ty.JobFailed("health checks failing", retryable=False)
    return {}


def run(engine: ty.Engine, clock: ty.ManualClock, name: str, kind: str, version: str, wait: timedelta) -> str:
    r = engine.create_release("train", name=name, kind=kind, inputs={"version": version}, actor=RITA)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    clock.advance(wait)
    engine.approve(r.id, "qa", "signoff", actor=QUINN, comment="looks good")
    engine.run_until_idle()
    return r.id


@pytest.fixture
def trains() -> Any:
    clock = ty.ManualClock(START)
    engine = ty.Engine.in_memory(clock=clock)
    engine.register_executor("x", deploy)
    engine.register_process(TRAIN)
    week15 = run(engine, clock, "Week 15", "standard", "2.1.3", timedelta(hours=2))
    clock.advance(timedelta(days=1))
    hotfix = run(engine, clock, "Hotfix 2.1.4", "hotfix", "2.1.4", timedelta(minutes=30))
    clock.advance(timedelta(days=6))
    week16 = run(engine, clock, "Week 16", "standard", "bad", timedelta(hours=1))
    return engine, (week15, hotfix, week16)


def test_a_report_over_two_weekly_trains_and_a_hotfix(trains: Any) -> None:
    engine, (week15, hotfix, week16) = trains
    report = engine.report(START, START + timedelta(days=14))
    assert isinstance(report, ty.Report)
    assert (report.from_time, report.to_time, report.group) == (START, START + timedelta(days=14), None)
    assert [r.id for r in report.releases] == [week15, hotfix, week16]
    w15 = report.releases[0]
    assert (w15.name, w15.kind, w15.status, w15.rolled_back) == ("Week 15", "standard", "success", False)
    assert w15.started_at == START and w15.ended_at == START + timedelta(hours=2)
    build = w15.phases[0]
    assert (build.id, build.planned_secs, build.actual_secs, build.overrun_secs) == ("build", 3600, 0, -3600)
    assert [(a.id, a.status, a.attempts) for a in build.activities] == [("compile", "success", 1)]
    assert [(a.phase_id, a.activity_id, a.waited_secs) for a in w15.approvals] == [("qa", "signoff", 7200)]
    assert report.releases[2].status == "failed"
    d = report.dora
    assert (d.deployments, d.changes, d.failed_changes) == (2, 3, 2)
    assert d.change_failure_rate == pytest.approx(2 / 3)
    assert d.deployments_per_week == pytest.approx(1.0)
    assert d.lead_time_secs is None, "no release holds a commit time"
    # A narrower hotfix window: week 15 is no longer a failed change.
    narrow = engine.report(START, START + timedelta(days=14), hotfix_window=timedelta(hours=1))
    assert narrow.dora.failed_changes == 1
    assert engine.report(START, START + timedelta(days=14), group="nightly").releases == []
    # On behalf of someone: only what they may read counts (quinn approves all three).
    assert [r.id for r in engine.report(START, START + timedelta(days=14), actor=QUINN).releases] == [
        week15, hotfix, week16,
    ]
    outsider = engine.report(START, START + timedelta(days=14), actor=ty.Actor("sam"))
    assert (outsider.releases, outsider.dora.deployments) == ([], 0)
    assert engine.report_csv(START, START + timedelta(days=14), "releases", actor=ty.Actor("sam")).count("\n") == 1


def test_the_report_objects_expose_exactly_the_fields_of_the_core(trains: Any) -> None:
    engine, _ = trains
    report = engine.report(START, START + timedelta(days=14))
    release = report.releases[0]
    objects = {"report": report, "release_report": release, "phase_report": release.phases[0],
               "activity_report": release.phases[0].activities[0], "approval_wait": release.approvals[0],
               "dora": report.dora}
    for view, obj in objects.items():
        assert public(obj) == set(VIEWS[view]), view
    decided = engine.report(START, START + timedelta(days=14)).releases
    assert all(isinstance(d, ty.DecisionRecord) for r in decided for d in r.decisions)
    assert set(VIEWS["decision_record"]) == {"what", "target", "actor", "at", "reason"}
    assert public(ty.DecisionRecord) == set(VIEWS["decision_record"])


def test_a_report_exports_as_csv_and_xlsx(trains: Any) -> None:
    engine, (week15, _, _) = trains
    end = START + timedelta(days=14)
    csv = engine.report_csv(START, end, "releases")
    lines = csv.splitlines()
    assert lines[0] == "release_id,name,kind,status,rolled_back,started_at,ended_at,duration_secs"
    assert lines[1] == f"{week15},Week 15,standard,success,false,2025-04-07T09:00:00Z,2025-04-07T11:00:00Z,7200"
    assert "change_failure_rate,0.6666666666666666" in engine.report_csv(START, end, "dora")
    book = engine.report_xlsx(START, end)
    assert isinstance(book, bytes)
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        workbook = z.read("xl/workbook.xml").decode()
    for sheet in ("Releases", "Phases", "Activities", "Approvals", "Decisions", "DORA"):
        assert f'name="{sheet}"' in workbook


def test_bad_arguments_are_refused_with_every_problem() -> None:
    engine = ty.Engine.in_memory()
    with pytest.raises(ty.InvalidInputError) as e:
        engine.report_csv("yesterday", START, "sheets")  # type: ignore[arg-type]
    assert sorted((p.path, p.code) for p in e.value.problems) == [("from_", "wrong_type"), ("table", "invalid_value")]
    with pytest.raises(ty.InvalidInputError) as e:
        engine.report(START, START + timedelta(days=1), hotfix_window=timedelta(hours=-1))
    assert [(p.path, p.code) for p in e.value.problems] == [("hotfix_window", "invalid_value")]
    with pytest.raises(ty.InvalidInputError) as e:
        engine.report_xlsx(START, START)
    assert [(p.path, p.code) for p in e.value.problems] == [("to", "bad_range")]
