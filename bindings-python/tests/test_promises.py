"""Before and after a release runs: automatic retention, archived releases off the calendar,
drafts and scheduled releases that still change, release managers and stakeholders."""

from datetime import datetime, timedelta, timezone

import pytest

import trainyard
from conftest import engine_with
from trainyard import Actor, Engine, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
V1 = {"id": "app", "inputs": {"version": {"type": "string", "required": True}},
      "phases": [{"id": "deploy", "activities": [{"id": "go", "kind": "manual"}]}]}
V2 = {"id": "app", "inputs": {"version": {"type": "string", "required": True},
                              "region": {"type": "string", "required": True}},
      "phases": [{"id": "build", "activities": [{"id": "go", "kind": "manual"}]}]}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    return engine_with(clock, V1)


def shipped(engine: Engine) -> str:
    r = engine.create_release("app", name="r", actor=RITA, inputs={"version": "1.0.0"})
    engine.activate(r.id, actor=RITA)
    engine.complete_manual(r.id, "deploy", "go", actor=RITA, values={})
    return r.id


@pytest.mark.parametrize("automatic", [True, False])
def test_tick_archives_after_a_year_unless_turned_off(engine: Engine, clock: ManualClock, automatic: bool) -> None:
    engine.set_retention(automatic=automatic)
    old = shipped(engine)
    clock.advance(timedelta(days=400))
    engine.tick()
    assert engine.get_release(old).archived is automatic
    month = (START - timedelta(days=6), START + timedelta(days=24))
    shown = engine.calendar(*month)
    assert [e.release_id for e in shown] == ([] if automatic else [old])
    assert [e.release_id for e in engine.calendar(*month, include_archived=True)] == [old]


def test_update_lists_every_problem_and_switches_the_process(engine: Engine) -> None:
    engine.register_process(V2)
    r = engine.create_release("app", name="r", actor=RITA, inputs={"version": "1", "region": "eu"},
                              stakeholders=["sam"])
    assert (r.process_version, r.release_managers, r.stakeholders) == (2, ["rita"], ["sam"])
    with pytest.raises(trainyard.InvalidInputError) as e:
        engine.update_release(r.id, actor=RITA, process_version=1, name=" ", release_managers=[])
    got = sorted((p.path, p.code) for p in e.value.problems)
    assert got == [("inputs.region", "unknown_input"), ("name", "missing_field"),
                   ("release_managers", "missing_field")]
    engine.update_release(r.id, actor=RITA, process_version=1, inputs={"region": None}, kind="hotfix",
                          start=START + timedelta(days=1), reason="v2 is not approved")
    s = engine.get_release(r.id)
    assert (s.process_version, list(s.phases), s.kind, s.inputs) == (1, ["deploy"], "hotfix", {"version": "1"})
    assert s.schedule is not None and s.schedule.start == START + timedelta(days=1)
    assert engine.history(r.id)[-1].comment == "v2 is not approved"
    assert engine.get_release(r.id, actor=Actor("sam")).id == r.id, "stakeholders may read it"
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.get_release(r.id, actor=Actor("vic"))


def test_a_scheduled_release_refuses_draft_only_changes(engine: Engine) -> None:
    r = engine.create_release("app", name="r", actor=RITA, inputs={"version": "1"})
    engine.schedule(r.id, actor=RITA, start=START + timedelta(days=2))
    with pytest.raises(trainyard.InvalidInputError) as e:
        engine.update_release(r.id, actor=RITA, kind="hotfix", scope="account")
    assert [p.code for p in e.value.problems] == ["not_changeable", "not_changeable"]
    engine.update_release(r.id, actor=RITA, name="r2", stakeholders=["sam"])
    assert engine.get_release(r.id).name == "r2"


def test_bad_change_arguments_are_all_listed(engine: Engine) -> None:
    r = engine.create_release("app", name="r", actor=RITA)
    with pytest.raises(trainyard.InvalidInputError) as e:
        engine.update_release(r.id, actor=RITA, process_version=0, kind="big", start="tomorrow", owners="rita")  # type: ignore[arg-type]
    assert sorted(p.path for p in e.value.problems) == ["kind", "owners", "process_version", "start"]
