"""Amending a running release through Python: rewind with a new build, an inserted activity, a
delegated approval, reassign and reschedule_phase, each with a reason and a dry run."""
from datetime import datetime, timedelta, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])

PROCESS = """
id: train
inputs:
  build: { type: string, default: "2.1.3" }
phases:
  - id: qa
    outputs: { tested: "${activities.suite.outputs.build}" }
    activities:
      - { id: suite, kind: automated, executor: qa, outputs: [build], with: { build: "${inputs.build}" } }
  - id: staging
    depends_on: [qa]
    activities:
      - { id: signoff, kind: approval, approvers: [{ user: sam }] }
      - { id: deploy, kind: automated, executor: qa, depends_on: [signoff], with: { build: "${phases.qa.outputs.tested}" } }
  - id: prod
    depends_on: [staging]
    not_before: 3d
    activities:
      - { id: deploy, kind: automated, executor: qa }
"""


CLOCK = ManualClock(START)


def started() -> "tuple[Engine, str]":
    CLOCK.set(START)
    e = Engine.in_memory(clock=CLOCK)
    e.register_executor("qa", lambda job: {"build": job.inputs.get("build")})
    e.register_process(PROCESS)
    r = e.create_release("train", name="Week 15", actor=RITA)
    e.activate(r.id, actor=RITA)
    e.run_until_idle()
    return e, r.id


def test_rewind_with_a_new_build_and_its_dry_run() -> None:
    e, rid = started()
    before = len(e.history(rid))
    preview = e.rewind(rid, "qa", actor=RITA, reason="2.1.4 fixes QA-12", inputs={"build": "2.1.4"}, dry_run=True)
    assert [ev.kind for ev in preview][0] == "rewound"
    assert len(e.history(rid)) == before, "a dry run appends nothing"
    done = e.rewind(rid, "qa", actor=RITA, reason="2.1.4 fixes QA-12", inputs={"build": "2.1.4"})
    assert [ev.kind for ev in done] == [ev.kind for ev in preview]
    e.run_until_idle()
    r = e.get_release(rid)
    assert r.inputs["build"] == "2.1.4"
    assert r.phases["qa"].outputs["tested"] == "2.1.4"
    (first,) = r.phases["qa"].attempts
    assert (first.attempt, first.status, first.outputs) == (0, "success", {"tested": "2.1.3"})
    assert first.started_at == START and first.ended_at == START
    with pytest.raises(trainyard.InvalidInputError) as info:
        e.rewind(rid, "prod", actor=RITA, reason="x")
    assert info.value.problems[0].code == "not_rewindable"
    with pytest.raises(trainyard.InvalidInputError, match="reason"):
        e.rewind(rid, "qa", actor=RITA, reason=" ")
    with pytest.raises(trainyard.PermissionDeniedError):
        e.rewind(rid, "qa", actor=Actor("sam"), reason="x")


def test_insert_delegate_reassign_and_reschedule() -> None:
    e, rid = started()
    smoke = {"id": "smoke", "kind": "manual", "fields": [{"name": "ok", "type": "boolean"}]}
    (ev,) = e.insert_activity(rid, "staging", smoke, after="signoff", actor=RITA, reason="smoke test")
    assert ev.kind == "activity_inserted"
    with pytest.raises(trainyard.ValidationError) as bad:
        e.insert_activity(rid, "staging", {"id": "smoke", "kind": "automated"}, actor=RITA, reason="x")
    assert all(p.path.startswith("definition") for p in bad.value.problems)
    e.delegate(rid, "staging", "signoff", from_user="sam", to_user="vera", actor=Actor("sam"), reason="on leave")
    with pytest.raises(trainyard.PermissionDeniedError):
        e.approve(rid, "staging", "signoff", actor=Actor("sam"))
    e.reassign(rid, "staging", "signoff", [{"user": "lee"}], actor=RITA, reason="lee owns staging now")
    e.approve(rid, "staging", "signoff", actor=Actor("lee"))
    e.complete_manual(rid, "staging", "smoke", actor=RITA, values={"ok": True})
    e.run_until_idle()
    assert e.get_release(rid).phases["prod"].status == "scheduled"
    soon = START + timedelta(hours=1)
    moved = e.reschedule_phase(rid, "prod", soon, actor=RITA, reason="ops window moved")
    # The new earliest start, then the phase scheduled again at it.
    assert [x.kind for x in moved] == ["phase_rescheduled", "phase_scheduled"]
    CLOCK.advance(timedelta(hours=1))
    e.run_until_idle()
    assert e.get_release(rid).status == "success", "prod started at its new time, not after 3 days"
