"""Shared helpers for the trainyard Python tests: where the repository's shared fixtures live, the
manual clock most engine tests start from, and an engine with one process registered."""

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Union

import pytest

from trainyard import Actor, Engine, ManualClock

#: The repository root (bindings-python/tests/ -> ../..).
REPO_ROOT = Path(__file__).resolve().parents[2]
INVALID_DIR = REPO_ROOT / "testdata" / "invalid"
EXAMPLES_DIR = REPO_ROOT / "examples" / "processes"


@pytest.fixture
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


#: When the engine tests' clocks start: Monday 2025-04-07 09:00 UTC.
START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at ``START`` (a test file may define its own ``clock`` instead)."""
    return ManualClock(START)


def engine_with(clock: ManualClock, process: Union[str, Dict[str, Any]]) -> Engine:
    """An in-memory engine on ``clock`` with ``process`` registered (the ``engine`` fixture of the
    tests that need one process and nothing else)."""
    e = Engine.in_memory(clock=clock)
    e.register_process(process)
    return e


def activated(engine: Engine, process_id: str, actor: Actor) -> str:
    """The id of a new release of ``process_id`` (named ``r``), created and activated by ``actor``."""
    release = engine.create_release(process_id, name="r", actor=actor)
    engine.activate(release.id, actor=actor)
    return release.id
