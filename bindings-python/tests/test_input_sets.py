"""Input sets: named, versioned input values per process; a release takes
defaults ⊕ input set ⊕ explicit inputs and records the set's name and version."""

from datetime import datetime, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
PROCESS = {"id": "deploy", "inputs": {
    "region": {"type": "string", "default": "us"},
    "replicas": {"type": "number", "default": 1},
    "service": {"type": "string", "required": True},
}, "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}]}


@pytest.fixture
def engine() -> Engine:
    e = Engine.in_memory(clock=ManualClock(START))
    e.register_process(PROCESS)
    return e


def test_save_get_list_and_versions(engine: Engine) -> None:
    assert engine.save_input_set("deploy", "eu-prod", {"region": "eu", "replicas": 3}, actor=RITA) == 1
    assert engine.save_input_set("deploy", "eu-prod", {"region": "eu", "replicas": 5}, actor=RITA) == 2
    assert engine.save_input_set("deploy", "canary", {"replicas": 1}, actor=RITA) == 1
    latest = engine.get_input_set("deploy", "eu-prod")
    assert (latest.process_id, latest.name, latest.version, latest.values) == ("deploy", "eu-prod", 2, {"region": "eu", "replicas": 5})
    assert engine.get_input_set("deploy", "eu-prod", 1).values == {"region": "eu", "replicas": 3}
    assert repr(latest) == "InputSet(process_id='deploy', name='eu-prod', version=2, scope='account', values=['region', 'replicas'])"
    assert sorted(engine.list_input_sets("deploy")) == [("canary", 1), ("eu-prod", 2)]
    assert engine.list_input_sets("other") == []
    with pytest.raises(trainyard.NotFoundError, match="its input sets at `account`: .*eu-prod"):
        engine.get_input_set("deploy", "nope")


def test_a_release_records_defaults_then_set_then_overrides(engine: Engine) -> None:
    engine.save_input_set("deploy", "eu-prod", {"region": "eu", "replicas": 3}, actor=RITA)
    r = engine.create_release("deploy", name="r", actor=RITA, input_set="eu-prod", inputs={"service": "api", "replicas": 4})
    assert r.inputs == {"region": "eu", "replicas": 4, "service": "api"}
    assert r.input_set is not None and (r.input_set.name, r.input_set.version) == ("eu-prod", 1)
    assert repr(r.input_set) == "InputSetRef(name='eu-prod', version=1)"
    created = engine.history(r.id)[0]
    assert created.kind == "created" and created.data["input_set"] == ["eu-prod", 1]
    assert engine.create_release("deploy", name="plain", actor=RITA, inputs={"service": "x"}).input_set is None
    with pytest.raises(trainyard.NotFoundError, match="input set `deploy/missing` not found"):
        engine.create_release("deploy", name="r", actor=RITA, input_set="missing")


def test_bad_sets_and_actors_are_refused(engine: Engine) -> None:
    with pytest.raises(trainyard.InvalidInputError) as info:
        engine.save_input_set("deploy", "bad", {"replicas": "many", "colour": "red"}, actor=RITA)
    assert {p.path for p in info.value.problems} >= {"inputs.replicas", "inputs.colour"}
    with pytest.raises(trainyard.InvalidInputError, match="not a valid input set name"):
        engine.save_input_set("deploy", "Bad Name", {}, actor=RITA)
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.save_input_set("deploy", "x", {}, actor=Actor("viewer", roles=["viewer"]))
    with pytest.raises(trainyard.NotFoundError):
        engine.save_input_set("nope", "x", {}, actor=RITA)
