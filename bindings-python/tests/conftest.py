"""Shared helpers for the trainyard Python tests: where the repository's shared fixtures live."""

from pathlib import Path

import pytest

#: The repository root (bindings-python/tests/ -> ../..).
REPO_ROOT = Path(__file__).resolve().parents[2]
INVALID_DIR = REPO_ROOT / "testdata" / "invalid"
EXAMPLES_DIR = REPO_ROOT / "examples" / "processes"


@pytest.fixture
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT
