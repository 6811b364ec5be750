"""Every example process (examples/processes/*.yaml) loads, as text and as a dict."""

import json
from pathlib import Path

import pytest

import trainyard

from conftest import EXAMPLES_DIR

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 1, f"no example processes in {EXAMPLES_DIR}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_loads(example: Path) -> None:
    text = example.read_text(encoding="utf-8")
    process = trainyard.load_process(text)
    assert isinstance(process, dict)
    assert process["id"], process
    assert process["phases"], process
    warnings = trainyard.validate_process(text)
    assert all(isinstance(w, trainyard.Problem) for w in warnings)
    # The normalized dict is JSON data that loads again to the same process.
    assert trainyard.load_process(json.loads(json.dumps(process))) == process
    assert trainyard.load_process(json.dumps(process)) == process
