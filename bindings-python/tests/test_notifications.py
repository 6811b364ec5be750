"""Notifications reach Python subscribers after the commit; a subscriber's exception is counted,
never raised into the engine call."""

import threading
from datetime import datetime, timezone
from typing import List

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock, Notification

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
PROCESS = {"id": "gate", "phases": [{"id": "ship", "activities": [
    {"id": "qa", "kind": "approval", "approvers": [{"group": "qa"}, {"user": "sam"}]}]}]}


def test_subscribers_get_notifications_under_the_gil() -> None:
    engine = Engine.in_memory(clock=ManualClock(START))
    engine.register_process(PROCESS)
    got: List[Notification] = []
    threads: List[str] = []

    def listen(n: Notification) -> None:
        got.append(n)
        threads.append(threading.current_thread().name)

    engine.subscribe(listen)
    r = engine.create_release("gate", name="Week 15", actor=RITA, owners=["rita"])
    engine.activate(r.id, actor=RITA)
    assert [n.kind for n in got] == ["release_started", "phase_started", "approval_requested"]
    asked = got[-1]
    assert (asked.release_id, asked.release_name, asked.phase, asked.activity) == (r.id, "Week 15", "ship", "qa")
    assert asked.recipients == ["group:qa", "sam"] and asked.at == START and asked.status is None
    assert asked.seq > 0 and asked.message
    assert repr(asked).startswith("Notification(kind='approval_requested'") and "'group:qa'" in repr(asked)
    assert got[0].recipients == ["rita"]
    engine.approve(r.id, "ship", "qa", actor=Actor("sam"))
    ended = [n for n in got if n.kind == "release_ended"]
    assert [n.status for n in ended] == ["success"]
    assert set(threads) == {threading.current_thread().name}
    assert engine.notification_failures() == 0


def test_a_failing_subscriber_is_counted_and_the_command_succeeds() -> None:
    engine = Engine.in_memory(clock=ManualClock(START))
    engine.register_process(PROCESS)
    calls: List[str] = []

    def broken(n: Notification) -> None:
        calls.append(n.kind)
        raise RuntimeError("mail server down")

    engine.subscribe(broken)
    r = engine.create_release("gate", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    assert engine.get_release(r.id).status == "on_hold"
    assert engine.notification_failures() == len(calls) == 3
    with pytest.raises(trainyard.InvalidInputError, match=r"fn: \[wrong_type\] must be callable"):
        engine.subscribe("nope")  # type: ignore[arg-type]


def test_a_subscriber_may_call_back_into_the_engine() -> None:
    engine = Engine.in_memory(clock=ManualClock(START))
    engine.register_process(PROCESS)
    statuses: List[str] = []
    engine.subscribe(lambda n: statuses.append(engine.get_release(n.release_id).status))
    r = engine.create_release("gate", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    assert statuses and statuses[-1] == "on_hold"


def test_keyboard_interrupt_in_a_subscriber_is_raised_after_the_commit() -> None:
    engine = Engine.in_memory(clock=ManualClock(START))
    engine.register_process(PROCESS)

    def interrupted(n: Notification) -> None:
        raise KeyboardInterrupt("stop")

    engine.subscribe(interrupted)
    r = engine.create_release("gate", name="r", actor=RITA)
    with pytest.raises(KeyboardInterrupt):
        engine.activate(r.id, actor=RITA)
    assert engine.get_release(r.id).status == "on_hold", "the command was committed"
    assert engine.notification_failures() == 3
