"""The deployment ledger from Python: `deployed` and `deployments`, and the same reads on behalf
of an actor, who sees only the entries of releases they may read."""
from datetime import datetime, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

from conftest import REPO_ROOT

RITA = Actor("rita", roles=["account_release_manager"])
PAT = Actor("pat", roles=["org_release_manager:payments"])

PROCESS = (REPO_ROOT / "testdata" / "processes" / "ship-to-one-environment.yaml").read_text(encoding="utf-8")


@pytest.fixture
def engine() -> Engine:
    e = Engine.in_memory(clock=ManualClock(datetime(2025, 4, 7, 9, tzinfo=timezone.utc)),
                         release_level="organization")
    e.register_executor("x", lambda job: {})
    e.register_process(PROCESS)
    for scope, env, version in [("org:payments", "prod1", "1.0"), ("org:search", "prod1", "2.0"),
                                ("org:payments", "prod2", "1.1")]:
        r = e.create_release("ship", name=f"{scope} {version}", actor=RITA, scope=scope,
                             inputs={"version": version, "env": env})
        e.activate(r.id, actor=RITA)
        e.run_until_idle()
    return e


def test_deployed_answers_what_is_where_and_an_actor_sees_only_their_releases(engine: Engine) -> None:
    assert [(x.environment, x.version) for x in engine.deployed()] == [("prod1", "2.0"), ("prod2", "1.1")]
    # prod1 runs the search org's 2.0 now: pat does not see that slot at all (not payments' older 1.0).
    assert [(x.environment, x.version) for x in engine.deployed(actor=PAT)] == [("prod2", "1.1")]
    assert [x.version for x in engine.deployments("checkout", "prod1")] == ["2.0", "1.0"]
    assert [x.version for x in engine.deployments("checkout", "prod1", actor=PAT)] == ["1.0"]
    assert engine.deployed("prod1", "checkout", actor=Actor("nobody")) == []


def test_bad_ledger_arguments_are_refused(engine: Engine) -> None:
    with pytest.raises(trainyard.InvalidInputError) as err:
        engine.deployments("checkout", "prod1", 0, actor=PAT)
    assert "limit" in str(err.value)
    with pytest.raises(trainyard.InvalidInputError):
        engine.deployed(actor={"id": 3})  # type: ignore[arg-type]
