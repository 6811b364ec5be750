"""Secrets: ``secret`` inputs hold ``secret://name`` references, resolved only in the job an
executor gets; the values never appear in history, releases, notifications or errors."""

from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

import trainyard
from trainyard import Actor, Engine, Job, ManualClock, Notification

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
VALUE = "hunter2-very-secret"
PROCESS = {"id": "deploy", "inputs": {"token": {"type": "secret", "default": "secret://deploy-token"}},
           "phases": [{"id": "a", "activities": [
               {"id": "push", "kind": "automated", "executor": "push", "outputs": ["echo"],
                "with": {"header": "Bearer ${ inputs.token }"}, "on_failure": "fail"}]}]}


def everything_recorded(engine: Engine, rid: str, notes: List[Notification]) -> str:
    r = engine.get_release(rid)
    parts: List[Any] = [r.inputs]
    for p in r.phases.values():
        for a in p.activities.values():
            parts += [a.outputs, a.job_inputs, a.error]
    for e in engine.history(rid):
        parts += [e.data, e.comment]
    parts += [(n.message, n.recipients) for n in notes]
    parts += [(j.job.inputs) for j in engine.list_jobs()]
    return repr(parts)


@pytest.mark.parametrize("kind", ["dict", "callable"])
def test_secrets_reach_the_executor_only(kind: str) -> None:
    engine = Engine.in_memory(clock=ManualClock(START))
    if kind == "dict":
        engine.set_secret_resolver({"deploy-token": VALUE})
    else:
        engine.set_secret_resolver(lambda name: {"deploy-token": VALUE}[name])
    seen: List[Dict[str, Any]] = []

    def push(job: Job) -> Dict[str, Any]:
        seen.append(job.inputs)
        return {"echo": job.inputs["header"]}  # a careless executor echoing the secret

    notes: List[Notification] = []
    engine.subscribe(notes.append)
    engine.register_executor("push", push)
    engine.register_process(PROCESS)
    r = engine.create_release("deploy", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    assert seen == [{"header": f"Bearer {VALUE}"}]
    done = engine.get_release(r.id)
    assert done.status == "success" and done.phases["a"].activities["push"].outputs == {"echo": "Bearer ***"}
    assert done.inputs == {"token": "secret://deploy-token"}
    assert VALUE not in everything_recorded(engine, r.id, notes)


def test_an_external_worker_gets_the_resolved_value() -> None:
    engine = Engine.in_memory(clock=ManualClock(START))
    engine.set_secret_resolver({"deploy-token": VALUE})
    engine.register_process(PROCESS)
    r = engine.create_release("deploy", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    assert VALUE not in repr([j.job.inputs for j in engine.list_jobs()])
    (job,) = engine.claim_jobs(["push"], worker="w")
    assert job.inputs == {"header": f"Bearer {VALUE}"}
    engine.complete_job(job.id, job.lease_token, error=f"401 for {VALUE}")
    act = engine.get_release(r.id).phases["a"].activities["push"]
    assert act.status == "failed" and act.error == "401 for ***"
    assert VALUE not in everything_recorded(engine, r.id, [])


@pytest.mark.parametrize("resolver, fragment", [
    (None, "no secret resolver"),
    ({}, "secret `deploy-token`"),
    (lambda name: 42, "the secret resolver's value for `deploy-token` must be a str, not int"),
    (lambda name: "x\udc80", "the secret resolver's value for `deploy-token` is not valid Unicode text"),
])
def test_an_unresolvable_secret_fails_the_job_naming_it(resolver: Any, fragment: str) -> None:
    engine = Engine.in_memory(clock=ManualClock(START))
    if resolver is not None:
        engine.set_secret_resolver(resolver)
    ran: List[str] = []
    engine.register_executor("push", lambda job: ran.append(job.id))
    engine.register_process(PROCESS)
    r = engine.create_release("deploy", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    act = engine.get_release(r.id).phases["a"].activities["push"]
    assert ran == [] and act.status == "failed" and act.error is not None and fragment in act.error


def test_set_secret_resolver_checks_its_argument() -> None:
    engine = Engine.in_memory()
    with pytest.raises(trainyard.InvalidInputError, match=r"resolver.a: \[wrong_type\] must be a str"):
        engine.set_secret_resolver({"a": 1})  # type: ignore[dict-item]
    with pytest.raises(trainyard.InvalidInputError, match="dict of name -> value"):
        engine.set_secret_resolver("env")  # type: ignore[arg-type]
