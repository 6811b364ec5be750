"""Release, Phase, Activity and Approval expose exactly the fields of the core's read model
(`trainyard::release::ReleaseView`), FeedEntry and DeadLetter those of the change feed's
(`trainyard::feed::FeedEntry`, `DeadLetter`), Lock those of the lock view
(`trainyard::release::locks::LockView`), all listed in testdata/api/views.json by a Rust
test, and the stub
declares exactly those; the values are the view's, only converted."""

import ast
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Set

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

from conftest import REPO_ROOT

VIEWS: Dict[str, List[str]] = json.loads((REPO_ROOT / "testdata" / "api" / "views.json").read_text(encoding="utf-8"))
#: The stubs: ``_native.pyi`` and the stub-only modules it re-exports from.
STUBS = sorted(Path(trainyard.__file__).resolve().parent.glob("_native*.pyi"))
CLASSES = {"release": trainyard.Release, "phase": trainyard.Phase, "activity": trainyard.Activity,
           "approval": trainyard.Approval, "feed_entry": trainyard.FeedEntry, "dead_letter": trainyard.DeadLetter,
           "waiting_on": trainyard.WaitingOn, "lock": trainyard.Lock, "doctor_report": trainyard.DoctorReport,
           "doctor_finding": trainyard.DoctorFinding, "doctor_problem": trainyard.DoctorProblem,
           "repair_report": trainyard.RepairReport, "phase_attempt": trainyard.PhaseAttempt,
           "ledger_entry": trainyard.LedgerEntry, "report": trainyard.Report,
           "release_report": trainyard.ReleaseReport, "phase_report": trainyard.PhaseReport,
           "activity_report": trainyard.ActivityReport, "approval_wait": trainyard.ApprovalWait,
           "decision_record": trainyard.DecisionRecord, "dora": trainyard.Dora}
START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])


def public_attributes(cls: type) -> Set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def stub_properties(class_name: str) -> Set[str]:
    (cls,) = [
        n for stub in STUBS for n in ast.parse(stub.read_text(encoding="utf-8")).body
        if isinstance(n, ast.ClassDef) and n.name == class_name
    ]
    return {
        f.name for f in cls.body
        if isinstance(f, ast.FunctionDef) and any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list)
    }


@pytest.mark.parametrize("view", sorted(CLASSES))
def test_the_class_exposes_exactly_the_fields_of_the_core_view(view: str) -> None:
    assert public_attributes(CLASSES[view]) == set(VIEWS[view])


@pytest.mark.parametrize("view", sorted(CLASSES))
def test_the_stub_declares_exactly_the_fields_of_the_core_view(view: str) -> None:
    assert stub_properties(CLASSES[view].__name__) == set(VIEWS[view])


PARENT = """
id: parent
variables: { region: "${ inputs.region }" }
inputs: { region: { type: string, default: eu } }
phases:
  - id: build
    variables: { tag: "v1" }
    activities:
      - { id: child, kind: subprocess, process: child }
  - id: signoff
    depends_on: [build]
    not_before: 1d
    critical: false
    activities:
      - id: qa
        kind: approval
        approvers: [{ user: quinn }]
        deadline: 2h
        on_deadline: escalate
        escalate_to: [{ user: boss }]
"""
CHILD = "id: child\nphases:\n  - id: only\n    activities: [{ id: ok, kind: manual }]\n"


def test_the_values_are_those_of_the_view() -> None:
    clock = ManualClock(START)
    with Engine.in_memory(clock=clock) as engine:
        engine.register_process(CHILD)
        engine.register_process(PARENT)
        r = engine.create_release("parent", name="Week 15", actor=RITA)
        assert (r.seq, r.created_by, r.started_by, r.schedule, r.parent, r.halted, r.rolling_back) == (
            1, "rita", None, None, None, False, False)
        assert r.updated_at == START and r.variables == {}
        engine.schedule(r.id, start=START, end=START + timedelta(days=2), actor=RITA, auto_start=False)
        engine.activate(r.id, actor=Actor("sam", roles=["account_release_manager"]))
        engine.run_until_idle()
        parent = engine.get_release(r.id)
        assert parent.variables == {"region": "eu"} and parent.started_by == "sam" and parent.scheduled_by == "rita"
        assert parent.schedule == engine.get_release(r.id).schedule and parent.schedule is not None
        assert (parent.schedule.start, parent.schedule.end, parent.schedule.auto_start) == (
            START, START + timedelta(days=2), False)
        assert parent.phases["build"].variables == {"tag": "v1"}
        assert parent.phases["signoff"].critical is False and parent.phases["build"].critical is True
        assert parent.phases["signoff"].not_before is None  # known once its dependencies are done
        history = engine.history(r.id)
        assert (parent.seq, parent.updated_at) == (history[-1].seq, history[-1].at)

        child_id = parent.phases["build"].activities["child"].child_id
        assert child_id is not None
        child = engine.get_release(child_id)
        assert child.parent is not None
        assert (child.parent.release, child.parent.phase, child.parent.activity) == (r.id, "build", "child")
        assert repr(child.parent) == f"ParentLink(release='{r.id}', phase='build', activity='child')"
        engine.complete_manual(child_id, "only", "ok", actor=RITA, values={})
        engine.run_until_idle()
        signoff = engine.get_release(r.id).phases["signoff"]
        assert (signoff.status, signoff.not_before) == ("scheduled", START + timedelta(days=1))

        clock.advance("1d")  # not_before passed: the approval opens
        engine.run_until_idle()
        assert engine.get_release(r.id).phases["signoff"].activities["qa"].escalated is False
        clock.advance(timedelta(hours=3))  # its deadline (2h) passed: escalated
        engine.run_until_idle()
        qa = engine.get_release(r.id).phases["signoff"].activities["qa"]
        assert (qa.status, qa.escalated) == ("waiting_for_input", True)
        engine.approve(r.id, "signoff", "qa", actor=Actor("boss"), comment="late but fine")
        (decision,) = engine.get_release(r.id).phases["signoff"].activities["qa"].approvals
        assert isinstance(decision, trainyard.Approval)
        assert (decision.approver, decision.approved, decision.at, decision.comment) == (
            "boss", True, clock.now(), "late but fine")


def test_maps_are_fresh_copies_and_snapshots_do_not_change() -> None:
    with Engine.in_memory(clock=ManualClock(START)) as engine:
        engine.register_process(CHILD)
        r = engine.create_release("child", name="x", actor=RITA, inputs={})
        r.inputs["sneaky"] = 1
        r.phases.clear()
        assert r.inputs == {} and list(r.phases) == ["only"]
        engine.activate(r.id, actor=RITA)
        assert r.status == "draft" and engine.get_release(r.id).status == "on_hold"


def test_waiting_on_says_what_the_release_waits_on() -> None:
    e = Engine.in_memory(clock=ManualClock(START))
    e.register_process(
        "id: w\nphases:\n  - id: ship\n    activities:\n      - { id: ok, kind: approval, approvers: [{ user: ann }] }\n"
    )
    r = e.create_release("w", name="R", actor=RITA)
    assert r.waiting_on is None, "a draft waits on nothing"
    e.activate(r.id, actor=RITA)
    waiting = e.get_release(r.id).waiting_on
    assert waiting is not None
    assert (waiting.kind, waiting.phase_id, waiting.activity_id) == ("approval", "ship", "ok")
    e.approve(r.id, "ship", "ok", actor=Actor("ann"))
    assert e.get_release(r.id).waiting_on is None, "an ended release waits on nothing"


def test_events_returned_by_commands_read_as_the_history_does() -> None:
    """Events and releases are converted when read: what a command returned, read later, is what
    `history` gives for the same entries, and a release's phases are the same objects on every read."""
    with Engine.in_memory(clock=ManualClock(START)) as engine:
        engine.register_process(CHILD)
        r = engine.create_release("child", name="lazy", actor=RITA, inputs={})
        returned = engine.activate(r.id, actor=RITA) + engine.complete_manual(r.id, "only", "ok", actor=RITA, values={})
        history = {e.seq: e for e in engine.history(r.id)}
        assert len(returned) >= 2
        for e in returned:
            h = history[e.seq]
            assert (e.seq, e.at, e.actor, e.kind, e.data, e.comment) == (h.seq, h.at, h.actor, h.kind, h.data, h.comment)
            assert repr(e) == repr(h)
        assert any(e.data for e in returned) and all(isinstance(e.data, dict) for e in returned)
        done = engine.get_release(r.id)
        first = done.phases["only"]
        assert done.phases["only"] is first and first.activities["ok"].status == "success"
        assert done.status == "success" and r.status == "draft"  # the snapshot taken at creation did not change
