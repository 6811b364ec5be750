"""Organisations are isolated: processes and input sets belong to a scope like releases (the
account's are shared read-only with every org); registering and retention with an actor follow the
access matrix."""

from datetime import datetime, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

ACCOUNT = Actor("ada", roles=["account_release_manager"])
PAYMENTS = Actor("pat", roles=["org_release_manager:payments"])
SEARCH = Actor("sam", roles=["org_release_manager:search"])
PROCESS = {"id": "deploy", "inputs": {"region": {"type": "string", "default": "eu"}},
           "phases": [{"id": "go", "activities": [{"id": "ok", "kind": "manual"}]}]}


@pytest.fixture
def engine() -> Engine:
    e = Engine.in_memory(clock=ManualClock(datetime(2025, 6, 2, 9, tzinfo=timezone.utc)),
                         release_level="organization")
    e.register_process(PROCESS)
    return e


def test_an_org_manager_cannot_overwrite_another_orgs_or_the_accounts_input_set(engine: Engine) -> None:
    engine.save_input_set("deploy", "prod", {"region": "eu"}, actor=ACCOUNT)
    assert engine.save_input_set("deploy", "prod", {"region": "us"}, actor=SEARCH, scope="org:search") == 1
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.save_input_set("deploy", "prod", {"region": "ap"}, actor=PAYMENTS)
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.save_input_set("deploy", "prod", {"region": "ap"}, actor=PAYMENTS, scope="org:search")
    engine.save_input_set("deploy", "prod", {"region": "ap"}, actor=PAYMENTS, scope="org:payments")
    assert engine.get_input_set("deploy", "prod").values == {"region": "eu"}
    seen = engine.get_input_set("deploy", "prod", scope="org:search")
    assert (seen.scope, seen.values) == ("org:search", {"region": "us"})
    assert engine.get_input_set("deploy", "prod", scope="org:data").scope == "account"
    assert engine.list_input_sets("deploy", scope="org:payments") == [("prod", 1)]
    r = engine.create_release("deploy", name="s", actor=SEARCH, scope="org:search", input_set="prod")
    assert r.inputs["region"] == "us"


def test_processes_belong_to_a_scope(engine: Engine) -> None:
    own = dict(PROCESS, id="search-deploy")
    assert engine.register_process(own, actor=SEARCH).version == 1
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.register_process(dict(own, name="changed"), actor=PAYMENTS)
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.create_release("search-deploy", name="p", actor=PAYMENTS, scope="org:payments")
    engine.create_release("search-deploy", name="s", actor=SEARCH, scope="org:search")
    with pytest.raises(trainyard.InvalidInputError) as err:
        engine.register_process(dict(own, name="changed"), actor=ACCOUNT, scope="account")
    assert err.value.problems[0].path == "scope"
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.register_process(dict(PROCESS, name="changed"), actor=PAYMENTS)
    assert engine.register_process(dict(PROCESS, name="changed"), actor=ACCOUNT).version == 2
    with pytest.raises(trainyard.InvalidInputError):
        engine.register_process(PROCESS, actor="not an actor")  # type: ignore[arg-type]


def test_retention_with_an_actor_needs_an_account_release_manager(engine: Engine) -> None:
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.apply_retention(actor=PAYMENTS)
    assert engine.apply_retention(actor=ACCOUNT) == []
    assert engine.apply_retention() == []
