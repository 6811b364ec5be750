"""Freeze windows from Python: ``add_freeze(mode=...)``, allowed windows (``mode="allow"``: what
the freeze covers runs only inside its windows) and the ``"mode"`` every freeze dict carries."""

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from trainyard import Actor, Engine, ManualClock, ScheduleError, ValidationError

ROOT = Path(__file__).resolve().parents[2]
RITA = Actor("rita", roles=["account_release_manager"])
UTC = timezone.utc
# Prod deploys Tuesday to Thursday, 10:00-16:00 Berlin time.
MIDWEEK: Dict[str, Any] = {
    "cadence": {"every": "week", "on": ["tuesday", "wednesday", "thursday"], "at": "10:00"},
    "timezone": "Europe/Berlin",
    "duration": "6h",
}


def engine_at(now: datetime) -> Tuple[Engine, ManualClock]:
    clock = ManualClock(now)
    engine = Engine.in_memory(clock=clock)
    engine.register_process((ROOT / "examples/processes/hotfix.yaml").read_text())
    engine.register_executor("command", lambda job: {"artifact": "fix.tgz"})
    return engine, clock


def hotfix(engine: Engine, environment: str) -> str:
    inputs = {"version": "2.1.4", "environment": environment}
    return engine.create_release("hotfix", name="Hotfix 2.1.4", inputs=inputs, actor=RITA).id


def add_midweek(engine: Engine) -> Dict[str, Any]:
    return engine.add_freeze(
        id="midweek", name="Prod deploys Tue-Thu 10-16", start="2025-04-01T10:00:00+02:00", end=None,
        environments=["prod1"], recurrence=MIDWEEK, mode="allow", actor=RITA,
    )


def test_outside_an_allowed_window_activation_is_refused() -> None:
    engine, clock = engine_at(datetime(2025, 4, 7, 12, tzinfo=UTC))  # Monday
    added = add_midweek(engine)
    assert added["mode"] == "allow"
    r = hotfix(engine, "prod1")
    with pytest.raises(ScheduleError) as refused:
        engine.activate(r, actor=RITA)
    assert refused.value.code == "schedule"
    assert "midweek" in str(refused.value)
    assert engine.get_release(r).status == "draft"
    # prod2 is not covered by the window.
    engine.activate(hotfix(engine, "prod2"), actor=RITA)
    # Tuesday 11:00 Berlin (09:00 UTC) is inside it.
    clock.set(datetime(2025, 4, 8, 9, tzinfo=UTC))
    engine.activate(r, actor=RITA)
    assert engine.get_release(r).status == "running"


def test_every_freeze_reads_back_its_effective_mode() -> None:
    engine, _ = engine_at(datetime(2025, 4, 7, 12, tzinfo=UTC))
    add_midweek(engine)
    plain = engine.add_freeze(
        id="easter", name="Easter", start=datetime(2025, 4, 18, tzinfo=UTC), end=datetime(2025, 4, 22, tzinfo=UTC),
        actor=RITA,
    )
    assert plain["mode"] == "block"
    blocked = engine.add_freeze(
        id="audit", name="Audit", start=datetime(2025, 5, 1, tzinfo=UTC), end=datetime(2025, 5, 2, tzinfo=UTC),
        mode="block", actor=RITA,
    )
    assert blocked["mode"] == "block"
    assert {f["id"]: f["mode"] for f in engine.list_freezes()} == {
        "midweek": "allow",
        "easter": "block",
        "audit": "block",
    }


def test_a_bad_mode_is_refused_naming_the_valid_ones() -> None:
    engine, _ = engine_at(datetime(2025, 4, 7, 12, tzinfo=UTC))
    start, end = datetime(2025, 4, 18, tzinfo=UTC), datetime(2025, 4, 22, tzinfo=UTC)
    with pytest.raises(ValidationError) as bad:
        engine.add_freeze(name="Sometimes", start=start, end=end, mode="sometimes", actor=RITA)
    assert bad.value.code == "validation"
    [problem] = [p for p in bad.value.problems if p.path == "mode"]
    assert "sometimes" in problem.message and "block" in problem.message and "allow" in problem.message
    with pytest.raises(ValidationError) as wrong_type:
        engine.add_freeze(name="Typed", start=start, end=end, mode=1, actor=RITA)  # type: ignore[arg-type]
    assert [p.path for p in wrong_type.value.problems] == ["mode"]
    assert engine.list_freezes() == []
