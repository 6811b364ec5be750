"""Engine.forecast: the expected end from the plan, then from the history of an earlier release;
at risk against the planned end; access and unknown releases."""

from datetime import datetime, timedelta, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, Forecast, ManualClock, PhaseForecast

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
QUINN = Actor("quinn", groups=["qa"])
PROCESS = {"id": "train", "phases": [
    {"id": "build", "duration": "1h", "activities": [{"id": "compile", "kind": "wait", "duration": "1s"}]},
    {"id": "qa", "depends_on": ["build"], "duration": "2h",
     "activities": [{"id": "signoff", "kind": "approval", "approvers": [{"group": "qa"}]}]},
]}


def started(engine: Engine, clock: ManualClock, name: str) -> str:
    r = engine.create_release("train", name=name, actor=RITA)
    now = clock.now()
    engine.schedule(r.id, actor=RITA, start=now, end=now + timedelta(hours=3))
    engine.activate(r.id, actor=RITA)
    clock.advance("1s")
    engine.run_until_idle()
    return r.id


def test_forecast_from_the_plan_then_from_history() -> None:
    clock = ManualClock(START)
    engine = Engine.in_memory(clock=clock)
    engine.register_process(PROCESS)
    first = started(engine, clock, "Week 15")
    f = engine.forecast(first)
    assert isinstance(f, Forecast) and isinstance(f.phases[0], PhaseForecast)
    assert f.critical_path == ["build", "qa"]
    assert [(p.id, p.basis) for p in f.phases] == [("build", "actual"), ("qa", "planned")]
    assert f.phases[0].expected_secs == 1 and f.phases[1].planned_secs == 7200
    assert f.expected_end == START + timedelta(seconds=1, hours=2)
    assert f.planned_end == START + timedelta(hours=3)
    assert not f.at_risk and f.late_secs == 1 - 3600
    clock.advance("4h")
    f = engine.forecast(first)
    assert f.at_risk and f.expected_end == clock.now() and f.phases[1].critical
    engine.approve(first, "qa", "signoff", actor=QUINN)
    engine.run_until_idle()
    clock.advance("7d")
    second = started(engine, clock, "Week 16")
    qa = engine.forecast(second).phases[1]
    assert (qa.basis, qa.expected_secs, qa.history_runs) == ("history", 4 * 3600, 1)
    assert "Forecast(" in repr(engine.forecast(second))


def test_forecast_access_and_unknown_release() -> None:
    clock = ManualClock(START)
    engine = Engine.in_memory(clock=clock)
    engine.register_process(PROCESS)
    rid = started(engine, clock, "Week 15")
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.forecast(rid, actor=Actor("stranger"))
    assert engine.forecast(rid, actor=RITA).expected_end == engine.forecast(rid).expected_end
    with pytest.raises(trainyard.NotFoundError) as err:
        engine.forecast("nope")
    assert err.value.code == "not_found"
    with pytest.raises(trainyard.InvalidInputError):
        engine.forecast(7)  # type: ignore[arg-type]
