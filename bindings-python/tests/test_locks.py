"""Locks from Python: releases contending for an environment wait their turn (``pending``,
``waiting_on`` kind ``lock``), ``Engine.locks`` shows the holder and the waiters in queue order, the
holder's end hands the lock on, a hotfix's priority puts it ahead of an older release, an
activity's own lock is in ``Activity.locks``, and a bad lock definition is refused with every
problem (the rules are the core's; tests/locks.test.mjs runs the same scenarios from Node)."""

import json
from datetime import timedelta
from typing import Any, Dict, List, Tuple

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

from conftest import REPO_ROOT, START

RITA = Actor("rita", roles=["account_release_manager"])
PROD1 = "environment:prod1"
VIEWS: Dict[str, List[str]] = json.loads((REPO_ROOT / "testdata" / "api" / "views.json").read_text(encoding="utf-8"))
#: Phase ``prod`` holds ``environment:${inputs.env}`` while its work (the manual step ``go``) runs; a
#: hotfix goes ahead in the queue. Then phase ``after``.
DEPLOY: Dict[str, Any] = {
    "id": "deploy",
    "inputs": {"env": {"type": "string", "default": "prod1"}},
    "phases": [
        {
            "id": "prod",
            "locks": [{"name": "environment:${inputs.env}", "priority": {"hotfix": 10}}],
            "activities": [{"id": "go", "kind": "manual", "owners": ["rita"]}],
        },
        {"id": "after", "depends_on": ["prod"], "activities": [{"id": "done", "kind": "manual", "owners": ["rita"]}]},
    ],
}
#: The manual step ``run`` holds ``service:api`` itself (two releases at once).
OWN_LOCK: Dict[str, Any] = {
    "id": "own",
    "phases": [
        {
            "id": "prod",
            "activities": [{"id": "run", "kind": "manual", "owners": ["rita"], "locks": [{"name": "service:api", "capacity": 2}]}],
        }
    ],
}


def engine(clock: ManualClock) -> Engine:
    e = Engine.in_memory(clock=clock)
    e.register_process(DEPLOY)
    e.register_process(OWN_LOCK)
    return e


def start(e: Engine, name: str, kind: str = "standard", process: str = "deploy") -> str:
    r = e.create_release(process, name=name, actor=RITA, kind=kind)
    e.activate(r.id, actor=RITA)
    return r.id


def status(e: Engine, release_id: str, phase: str = "prod", activity: str = "go") -> str:
    return e.get_release(release_id).phases[phase].activities[activity].status


def queue(e: Engine, name: str = PROD1) -> List[Tuple[str, bool]]:
    """``(release name, held)`` of every row of the lock, in the order ``Engine.locks`` gives."""
    return [(lock.release_name, lock.held_since is not None) for lock in e.locks([name])]


def test_the_second_release_waits_for_the_environment_and_gets_it_when_the_first_ends() -> None:
    clock = ManualClock(START)
    e = engine(clock)
    a = start(e, "A")
    b = start(e, "B")
    assert status(e, a) == "waiting_for_input"
    assert status(e, b) == "pending", "B waits for the environment"
    waiting = e.get_release(b).waiting_on
    assert waiting is not None
    assert (waiting.kind, waiting.phase_id, waiting.activity_id) == ("lock", "prod", "go")

    holder, waiter = e.locks([PROD1])
    assert isinstance(holder, trainyard.Lock)
    assert (holder.release_id, holder.release_name, holder.held_since) == (a, "A", START)
    assert (waiter.release_id, waiter.release_name, waiter.held_since) == (b, "B", None)
    (claim,) = e.get_release(b).phases["prod"].locks
    assert (claim.name, claim.release_name, claim.phase_id, claim.activity_id, claim.requested_by) == (
        PROD1, "B", "prod", None, "prod/go")
    assert (claim.capacity, claim.priority, claim.requested_at, claim.held_since) == (1, 0, START, None)
    assert e.get_release(b).phases["prod"].activities["go"].locks == [], "a phase's lock is the phase's"
    assert repr(claim) == "Lock(name='environment:prod1', release_name='B', requested_by='prod/go', priority=0, held_since=None)"
    assert e.locks(["environment:nowhere"]) == []
    assert [lock.release_name for lock in e.locks()] == ["A", "B"], "every lock when no names are given"

    clock.advance(timedelta(hours=1))
    e.complete_manual(a, "prod", "go", actor=RITA, values={})
    assert status(e, b) == "waiting_for_input", "B, the waiter, goes"
    (now_held,) = e.locks([PROD1])
    assert (now_held.release_name, now_held.requested_at, now_held.held_since) == ("B", START, START + timedelta(hours=1))
    assert e.get_release(a).phases["prod"].locks == [], "A let go when its work ended"
    e.complete_manual(b, "prod", "go", actor=RITA, values={})
    assert e.locks([PROD1]) == []


def test_a_hotfix_with_priority_goes_ahead_of_an_older_standard_waiter() -> None:
    e = engine(ManualClock(START))
    train = start(e, "train")
    feature = start(e, "feature")
    hotfix = start(e, "hotfix", kind="hotfix")
    assert queue(e) == [("hotfix", False), ("train", True), ("feature", False)], "queue order: priority, then age"
    assert [lock.priority for lock in e.locks([PROD1])] == [10, 0, 0]
    e.complete_manual(train, "prod", "go", actor=RITA, values={})
    assert status(e, hotfix) == "waiting_for_input"
    assert status(e, feature) == "pending"
    assert queue(e) == [("hotfix", True), ("feature", False)]


def test_an_activity_s_own_lock_is_in_its_view_with_its_capacity() -> None:
    e = engine(ManualClock(START))
    ids = [start(e, name, process="own") for name in ("A", "B", "C")]
    assert [status(e, r, "prod", "run") for r in ids] == ["waiting_for_input", "waiting_for_input", "pending"]
    c = e.get_release(ids[2])
    (claim,) = c.phases["prod"].activities["run"].locks
    assert (claim.name, claim.phase_id, claim.activity_id, claim.requested_by, claim.capacity) == (
        "service:api", "prod", "run", "prod/run", 2)
    assert claim.held_since is None and c.phases["prod"].locks == []
    assert c.waiting_on is not None and (c.waiting_on.kind, c.waiting_on.activity_id) == ("lock", "run")
    assert queue(e, "service:api") == [("A", True), ("B", True), ("C", False)]


def test_a_lock_has_the_fields_of_the_core_view_with_their_values() -> None:
    e = engine(ManualClock(START))
    a = start(e, "A")
    (lock,) = e.locks([PROD1])
    values: Dict[str, object] = {field: getattr(lock, field) for field in VIEWS["lock"]}
    assert values == {
        "name": PROD1, "release_id": a, "release_name": "A", "phase_id": "prod", "activity_id": None,
        "requested_by": "prod/go", "capacity": 1, "priority": 0, "requested_at": START, "held_since": START,
    }
    assert {n for n in dir(lock) if not n.startswith("_")} == set(VIEWS["lock"])


def test_a_bad_lock_definition_is_refused_with_every_problem() -> None:
    bad = {
        "id": "bad",
        "phases": [
            {
                "id": "p",
                "locks": [{"name": "a", "capacity": 0}],
                "activities": [{"id": "x", "kind": "manual", "owners": ["rita"], "locks": [{"name": "b", "hold_through_approval": True}]}],
            }
        ],
    }
    with pytest.raises(trainyard.ValidationError) as refused:
        Engine.in_memory().register_process(bad)
    problems = [(p.path, p.code) for p in refused.value.problems]
    assert problems == [
        ("phases[0].locks[0].capacity", "bad_lock"),
        ("phases[0].activities[0].locks[0].hold_through_approval", "bad_lock"),
    ]


def test_locks_checks_its_argument() -> None:
    e = Engine.in_memory()
    with pytest.raises(trainyard.InvalidInputError) as refused:
        e.locks(42)  # type: ignore[arg-type]
    assert [(p.path, p.code) for p in refused.value.problems] == [("names", "wrong_type")]


def test_with_an_actor_only_the_rows_of_releases_they_may_read() -> None:
    e = Engine.in_memory(clock=ManualClock(START), release_level="organization")
    e.register_process(DEPLOY)
    for org, name in [("acme", "Acme deploy"), ("globex", "Globex deploy")]:
        manager = Actor("omar", roles=[f"org_release_manager:{org}"])
        r = e.create_release("deploy", name=name, actor=manager, scope=f"org:{org}")
        e.activate(r.id, actor=manager)
    assert [lock.release_name for lock in e.locks([PROD1])] == ["Acme deploy", "Globex deploy"]
    ann = Actor("ann", roles=["org_release_manager:globex"])
    assert [lock.release_name for lock in e.locks([PROD1], actor=ann)] == ["Globex deploy"]
