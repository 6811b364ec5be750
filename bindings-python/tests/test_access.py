"""Access control (the matrix is in the `trainyard::access` docs) through Python: commands need roles; reads with an actor are
filtered (list) or refused (get, history)."""

from datetime import datetime, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
VIEWER = Actor("vic", roles=["viewer"])
NOBODY = Actor("nobody")
PROCESS = {"id": "p", "phases": [{"id": "a", "activities": [
    {"id": "qa", "kind": "approval", "approvers": [{"user": "quinn"}]}]}]}


@pytest.fixture
def engine() -> Engine:
    e = Engine.in_memory(clock=ManualClock(START))
    e.register_process(PROCESS)
    return e


def test_a_viewer_reads_but_may_not_command(engine: Engine) -> None:
    r = engine.create_release("p", name="r", actor=RITA)
    assert engine.get_release(r.id, actor=VIEWER).id == r.id
    assert [e.kind for e in engine.history(r.id, actor=VIEWER)] == ["created"]
    assert [x.id for x in engine.list_releases(actor=VIEWER)] == [r.id]
    for command in (lambda: engine.activate(r.id, actor=VIEWER),
                    lambda: engine.create_release("p", name="x", actor=VIEWER),
                    lambda: engine.delete_release(r.id, actor=VIEWER)):
        with pytest.raises(trainyard.PermissionDeniedError, match="actor `vic`") as info:
            command()
        assert info.value.code == "permission_denied"
    assert engine.get_release(r.id).status == "draft"


def test_people_without_a_role_see_only_what_lists_them(engine: Engine) -> None:
    r = engine.create_release("p", name="r", actor=RITA)
    other = engine.create_release("p", name="o", actor=RITA, owners=["nobody"])
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.get_release(r.id, actor=NOBODY)
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.history(r.id, actor=NOBODY)
    assert [x.id for x in engine.list_releases(actor=NOBODY)] == [other.id]
    assert engine.get_release(other.id, actor=NOBODY).name == "o"
    assert len(engine.list_releases()) == 2, "without an actor the caller is trusted"
    quinn = Actor("quinn")
    assert [x.id for x in engine.list_releases(actor=quinn)] == [r.id, other.id], "listed as an approver"


def test_org_managers_stay_in_their_org() -> None:
    engine = Engine.in_memory(clock=ManualClock(START), release_level="organization")
    engine.register_process(PROCESS)
    pay = Actor("pam", roles=["org_release_manager:payments"])
    bill = Actor("bob", roles=["org_release_manager:billing"])
    r = engine.create_release("p", name="r", actor=pay, scope="org:payments")
    engine.activate(r.id, actor=pay)
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.pause(r.id, actor=bill)
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.get_release(r.id, actor=bill)
    assert engine.list_releases(actor=bill) == []
    assert [x.id for x in engine.list_releases(actor=Actor("v", roles=["viewer:payments"]))] == [r.id]
    engine.pause(r.id, actor=RITA)  # the account manager manages every org
