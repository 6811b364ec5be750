"""The shared invalid-definition corpus (testdata/invalid), run unchanged by the Rust, Python and Node
suites: every case must fail to load with exactly the `(path, code)` problems its `# expect:` lines
list, in that order (`-` stands for the document itself). JSON cases keep those lines in a sibling
`<name>.expect` file."""

from pathlib import Path
from typing import List, Tuple

import pytest

import trainyard

from conftest import INVALID_DIR


def corpus() -> List[Path]:
    """Every corpus case, discovered at run time."""
    return sorted(p for p in INVALID_DIR.iterdir() if p.suffix in (".yaml", ".json"))


def expected(path: Path) -> List[Tuple[str, str]]:
    """The `(path, code)` pairs a case declares."""
    source = path.with_suffix(".expect") if path.suffix == ".json" else path
    pairs = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect:"):
            where, code = line[len("# expect:") :].split()[:2]
            pairs.append(("" if where == "-" else where, code))
    return pairs


CASES = corpus()


def test_corpus_is_there() -> None:
    assert len(CASES) >= 25, f"{INVALID_DIR} holds {len(CASES)} cases; at least 25 are expected"


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_case_gives_exactly_its_expected_problems(case: Path) -> None:
    want = expected(case)
    assert want, f"{case.name} declares no `# expect:` lines"
    text = case.read_text(encoding="utf-8")
    with pytest.raises(trainyard.ValidationError) as info:
        trainyard.load_process(text)
    err = info.value
    assert err.code == "validation"
    got = [(p.path, p.code) for p in err.problems]
    assert got == want, "\n".join(str(p) for p in err.problems)
    for p in err.problems:
        assert isinstance(p, trainyard.Problem)
        assert p.message, f"{case.name}: empty message for {p!r}"
        assert p.message in str(err)
    # validate_process reports the same problems the same way.
    with pytest.raises(trainyard.ValidationError) as again:
        trainyard.validate_process(text)
    assert again.value.problems == err.problems


SYNTAX_CASES = [p for p in CASES if any(code == "syntax" for _, code in expected(p))]


def test_corpus_has_syntax_cases() -> None:
    assert SYNTAX_CASES, "the corpus should hold at least one malformed-text case"


@pytest.mark.parametrize("case", SYNTAX_CASES, ids=[p.name for p in SYNTAX_CASES])
def test_syntax_problems_carry_line_and_column(case: Path) -> None:
    with pytest.raises(trainyard.ValidationError) as info:
        trainyard.load_process(case.read_text(encoding="utf-8"))
    first = info.value.problems[0]
    assert first.code == "syntax"
    assert isinstance(first.line, int) and first.line >= 1, repr(first)
    assert isinstance(first.column, int) and first.column >= 1, repr(first)
