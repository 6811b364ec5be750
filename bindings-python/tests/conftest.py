"""Shared helpers for the trainyard Python tests: where the repository's shared fixtures live, and
the manual clock most engine tests start from."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from trainyard import ManualClock

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
