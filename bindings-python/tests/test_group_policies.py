"""Release groups' overlap and catch-up policies, pause, resume and trigger from Python."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from trainyard import (
    Actor,
    Engine,
    InvalidTransitionError,
    ManualClock,
    PermissionDeniedError,
    ValidationError,
)

ROOT = Path(__file__).resolve().parents[2]
RITA = Actor("rita", roles=["account_release_manager"])


def train(**policies: object) -> tuple[Engine, ManualClock]:
    """The weekly system train (Monday 09:00 Berlin from 7 April 2025), created on Friday 4 April."""
    clock = ManualClock(datetime(2025, 4, 4, 12, tzinfo=timezone.utc))
    engine = Engine.in_memory(clock=clock)
    engine.register_process((ROOT / "examples/processes/system-release-train.yaml").read_text())
    engine.register_executor("command", lambda job: {"commit": "abc", "url": "https://x"})
    engine.set_horizon("30d")
    engine.create_release_group(
        id="train",
        name="Train",
        process="system-release-train",
        cadence={"every": "week", "on": "monday", "at": "09:00"},
        timezone="Europe/Berlin",
        duration="2w",
        starts_on="2025-04-07",
        kind="system",
        inputs={"releaseVersion": "2.1.3"},
        actor=RITA,
        **policies,  # type: ignore[arg-type]
    )
    return engine, clock


def statuses(engine: Engine) -> list[str]:
    releases = engine.list_releases(group="train")
    releases.sort(key=lambda r: r.schedule.start if r.schedule else datetime.min)
    return [r.status for r in releases[:3]]


def test_the_policies_are_stored_and_bad_values_list_the_valid_ones() -> None:
    engine, _ = train(overlap={"max_in_flight": 2}, catch_up="all")
    group = engine.get_release_group("train")
    assert (group["overlap"], group["catch_up"]) == ({"max_in_flight": 2}, "all")
    with pytest.raises(ValidationError) as refused:
        train(overlap="sometimes", catch_up="maybe")
    found = {(p.path, p.code) for p in refused.value.problems}
    assert found == {("overlap", "invalid_value"), ("catch_up", "invalid_value")}
    assert any("buffer_one" in p.message for p in refused.value.problems)


def test_after_an_outage_catch_up_latest_starts_only_the_newest_train() -> None:
    engine, clock = train()
    clock.set(datetime(2025, 4, 22, 8, tzinfo=timezone.utc))
    engine.run_until_idle()
    assert statuses(engine)[:2] == ["aborted", "aborted"]
    assert statuses(engine)[2] in ("running", "on_hold")


def test_pause_resume_and_a_forced_trigger_are_recorded() -> None:
    engine, clock = train(catch_up="all")
    with pytest.raises(PermissionDeniedError):
        engine.pause_release_group("train", actor=Actor("nobody"))
    engine.pause_release_group("train", actor=RITA, reason="incident")
    assert engine.release_group_paused("train")
    clock.set(datetime(2025, 4, 8, 7, tzinfo=timezone.utc))
    engine.run_until_idle()
    assert statuses(engine)[0] == "scheduled"
    with pytest.raises(InvalidTransitionError):
        engine.trigger_release_group("train", actor=RITA)
    release = engine.trigger_release_group("train", actor=RITA, force=True)
    comments = [e.comment or "" for e in engine.history(release) if e.actor == "rita"]
    assert any("forced: the group is paused" in c for c in comments), comments
    engine.resume_release_group("train", actor=RITA)
    with pytest.raises(InvalidTransitionError):
        engine.resume_release_group("train", actor=RITA)
    assert not engine.release_group_paused("train")
