"""Retention and deletion (the rules are in the README, Storage): apply_retention archives ended
releases past the retention period; delete_release refuses with a distinct error for each rule and
purges archived ones."""

from datetime import timedelta

import pytest

import trainyard
from conftest import activated, engine_with
from trainyard import Actor, Engine, ManualClock

RITA = Actor("rita", roles=["account_release_manager"])
PROCESS = {"id": "p", "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}]}


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    return engine_with(clock, PROCESS)


def ended(engine: Engine) -> str:
    release_id = activated(engine, "p", RITA)
    engine.complete_manual(release_id, "a", "b", actor=RITA, values={})
    assert engine.get_release(release_id).status == "success"
    return release_id


def test_apply_retention_archives_old_ended_releases(engine: Engine, clock: ManualClock) -> None:
    old = ended(engine)
    active = engine.create_release("p", name="active", actor=RITA)
    engine.activate(active.id, actor=RITA)
    assert engine.apply_retention() == []
    clock.advance(timedelta(days=366))
    recent = ended(engine)
    assert engine.apply_retention() == [old]
    assert engine.get_release(old).archived and not engine.get_release(recent).archived
    assert engine.get_release(active.id).status == "on_hold", "active releases are never archived"
    assert engine.history(old)[-1].comment == "retention: ended more than 365 days ago"
    assert engine.apply_retention(clock.now() + timedelta(days=400)) == [recent]
    assert [r.id for r in engine.list_releases(include_archived=True, status="success")] == [old, recent]


def test_set_retention(engine: Engine, clock: ManualClock) -> None:
    rid = ended(engine)
    engine.set_retention(archive_after=timedelta(days=7))
    clock.advance(timedelta(days=8))
    assert engine.apply_retention() == [rid]
    with pytest.raises(trainyard.InvalidInputError, match=r"archive_after: \[wrong_type\] must be a datetime.timedelta"):
        engine.set_retention(archive_after=7)  # type: ignore[arg-type]
    engine.set_retention(archive_after="2d")
    clock.advance("3d")
    assert engine.apply_retention() == []  # already archived


def test_delete_release_rules(engine: Engine, clock: ManualClock) -> None:
    draft = engine.create_release("p", name="d", actor=RITA)
    assert [e.kind for e in engine.delete_release(draft.id, actor=RITA)] == ["deleted"]
    running = engine.create_release("p", name="r", actor=RITA)
    engine.activate(running.id, actor=RITA)
    with pytest.raises(trainyard.InvalidTransitionError, match="while it is on_hold"):
        engine.delete_release(running.id, actor=RITA)
    rid = ended(engine)
    with pytest.raises(trainyard.InvalidTransitionError, match="archive it first"):
        engine.delete_release(rid, actor=RITA)
    engine.archive(rid, actor=RITA)
    with pytest.raises(trainyard.InvalidTransitionError, match="within the retention period"):
        engine.delete_release(rid, actor=RITA)
    clock.advance(timedelta(days=366))
    assert engine.delete_release(rid, actor=RITA) == []
    with pytest.raises(trainyard.NotFoundError):
        engine.get_release(rid)
