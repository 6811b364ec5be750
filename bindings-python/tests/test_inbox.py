"""The inbox through Python: what waits on a person across groups, and why they may act or not."""
from datetime import datetime, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, InboxItem, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
QUINN = Actor("quinn", groups=["qa", "ops"])

PROCESS = """
id: inbox-app
phases:
  - id: check
    activities:
      - { id: notes, kind: manual, owners: [ops], fields: [{ name: ticket, type: string }] }
      - id: qa
        kind: approval
        approvers: [{ group: qa }, { user: rita }]
        min_approvals: 2
        forbid_self_approval: true
        deadline: 1d
"""


def test_inbox_across_groups_with_the_self_approval_ban() -> None:
    e = Engine.in_memory(clock=ManualClock(START))
    e.register_process(PROCESS)
    r = e.create_release("inbox-app", name="Week 15", actor=RITA)
    e.activate(r.id, actor=RITA)
    e.run_until_idle()

    items = e.inbox(QUINN)
    assert [(i.activity_id, i.kind, i.can_act) for i in items] == [("notes", "manual", True), ("qa", "approval", True)]
    qa = items[1]
    assert isinstance(qa, InboxItem)
    assert (qa.release_id, qa.release_name, qa.phase_id) == (r.id, "Week 15", "check")
    assert qa.reason == "approver entry group qa"
    assert qa.due == datetime(2025, 4, 8, 9, tzinfo=timezone.utc)
    assert qa.escalated is False
    assert qa.since == START
    assert items[0].due is None
    assert items[0].reason == "activity owner ops"

    ritas = [i for i in e.inbox(RITA) if i.activity_id == "qa"]
    assert len(ritas) == 1 and not ritas[0].can_act
    assert "self-approval ban" in ritas[0].reason

    e.approve(r.id, "check", "qa", actor=QUINN)
    after = [i for i in e.inbox(QUINN, limit=10) if i.activity_id == "qa"][0]
    assert not after.can_act
    assert "already decided by quinn" in after.reason
    assert e.inbox(Actor("nobody")) == []
    assert len(e.inbox(QUINN, limit=1)) == 1
    assert "InboxItem(" in repr(after)


def test_inbox_refuses_a_bad_limit_and_actor() -> None:
    e = Engine.in_memory()
    with pytest.raises(trainyard.InvalidInputError) as err:
        e.inbox(QUINN, limit=0)
    assert err.value.problems[0].path == "limit"
    with pytest.raises(trainyard.InvalidInputError):
        e.inbox(QUINN, limit=5000)
    with pytest.raises(trainyard.InvalidInputError):
        e.inbox("quinn")  # type: ignore[arg-type]
