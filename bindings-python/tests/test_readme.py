"""Every ```python block of the README runs as written (the binding tests exercise the README
examples verbatim, so they cannot go stale)."""

import contextlib
import io
import re

import pytest

from conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 2, f"expected the load_process and the release examples in {README}"


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_readme_python_example_runs(block: str) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})
    # The examples print what their comments promise.
    for promised in re.findall(r"print\(.*\)\s+# (\w+)$", block, flags=re.M):
        assert promised in out.getvalue(), (promised, out.getvalue())
