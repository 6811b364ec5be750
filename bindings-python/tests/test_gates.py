"""Gate activities from Python: a waiting gate's ``gate_targets`` and ``waiting_on``, the
calendar's ``waits_for``, the gate opening when its target succeeds, and a skip that needs a
reason (the rules are the core's; scenarios 52 and 53 run them in all three suites)."""

from datetime import datetime, timedelta, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

RITA = Actor("rita", roles=["account_release_manager"])
TARGET = {"id": "target", "phases": [{"id": "prod1", "activities": [{"id": "ok", "kind": "manual", "owners": ["rita"]}]}]}
WAITER = {
    "id": "waiter",
    "inputs": {"train": {"type": "string", "required": True}},
    "phases": [
        {"id": "wait", "activities": [{"id": "gate", "kind": "gate", "targets": [{"release": "${inputs.train}", "phase": "prod1"}]}]},
        {"id": "deploy", "depends_on": ["wait"], "activities": [{"id": "go", "kind": "manual", "owners": ["rita"]}]},
    ],
}
START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)


def engine() -> Engine:
    e = Engine.in_memory(clock=ManualClock(START))
    e.register_process(TARGET)
    e.register_process(WAITER)
    return e


def test_a_waiting_gate_shows_its_targets_and_opens_when_the_target_phase_succeeds() -> None:
    e = engine()
    t = e.create_release("target", name="train", actor=RITA)
    e.activate(t.id, actor=RITA)
    w = e.create_release("waiter", name="hotfix", actor=RITA, inputs={"train": t.id})
    e.schedule(w.id, actor=RITA, start=START + timedelta(days=1), auto_start=False)
    entry = next(x for x in e.calendar(START, START + timedelta(days=7)) if x.release_id == w.id)
    assert entry.waits_for == [t.id]
    e.activate(w.id, actor=RITA)
    release = e.get_release(w.id)
    gate = release.phases["wait"].activities["gate"]
    assert (gate.kind, gate.status) == ("gate", "running")
    assert gate.gate_targets == [{"release": t.id, "phase": "prod1", "activity": None, "status": "on_hold"}]  # a person completes it
    assert release.waiting_on is not None and release.waiting_on.kind == "gate"
    e.complete_manual(t.id, "prod1", "ok", actor=RITA, values={})
    release = e.get_release(w.id)
    gate = release.phases["wait"].activities["gate"]
    assert gate.status == "success"
    assert gate.gate_targets == []
    assert gate.outputs["targets"][0]["status"] == "success"
    assert release.phases["deploy"].activities["go"].status == "waiting_for_input"


def test_skipping_a_waiting_gate_needs_a_reason_and_a_watched_release_is_not_deletable() -> None:
    e = engine()
    t = e.create_release("target", name="train", actor=RITA)
    w = e.create_release("waiter", name="hotfix", actor=RITA, inputs={"train": t.id})
    e.activate(w.id, actor=RITA)
    with pytest.raises(trainyard.InvalidTransitionError) as refused:
        e.delete_release(t.id, actor=RITA)
    assert w.id in str(refused.value)
    with pytest.raises(trainyard.InvalidInputError):
        e.skip(w.id, "wait", "gate", actor=RITA, reason=" ")
    e.skip(w.id, "wait", "gate", actor=RITA, reason="the train is cancelled")
    assert e.get_release(w.id).phases["wait"].activities["gate"].status == "skipped"
    e.delete_release(t.id, actor=RITA)
