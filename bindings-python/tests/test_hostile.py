"""Hostile values from Python: each is refused with a `TrainyardError` subclass whose problems name
the path of the bad value, never with a plain `ValueError`, `TypeError`, `UnicodeEncodeError`,
`OverflowError`, `RecursionError` or `PanicException`, and never by a crash, a hang or a blow-up.

Every case runs in a child interpreter that the test bounds itself: at most `MEMORY` bytes of
address space and `CPU_SECONDS` of CPU (`resource.setrlimit`), and `WALL_SECONDS` of wall time."""

import json
import subprocess
import sys
import textwrap
from typing import Any, Dict, List

import pytest

MEMORY = 2 * 1024**3
CPU_SECONDS = 30
WALL_SECONDS = 90

PRELUDE = f"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY}))
resource.setrlimit(resource.RLIMIT_CPU, ({CPU_SECONDS}, {CPU_SECONDS}))
from datetime import datetime, timedelta, timezone
import trainyard
from trainyard import Actor, Engine, ManualClock
START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
clock = ManualClock(START)
engine = Engine.in_memory(clock=clock)
rita = Actor("rita", roles=["account_release_manager"])
engine.register_process({{"id": "p", "inputs": {{"a": {{"type": "object", "required": False}}}},
    "phases": [{{"id": "x", "activities": [{{"id": "y", "kind": "manual"}}]}}]}})
release = engine.create_release("p", name="r", actor=rita)

def deep(levels):
    top = node = {{}}
    for _ in range(levels - 1):
        node["d"] = {{}}
        node = node["d"]
    return top
"""

EPILOGUE = """
except BaseException as e:
    print(json.dumps({"type": type(e).__name__,
                      "trainyard": isinstance(e, trainyard.TrainyardError),
                      "code": getattr(e, "code", None),
                      "problems": [[p.path, p.code, p.message] for p in getattr(e, "problems", [])]}))
    sys.exit(0)
print(json.dumps({"type": None}))
"""


def outcome(body: str) -> Dict[str, Any]:
    """Runs `body` in a bounded child interpreter; what it raised (`type` None if nothing)."""
    script = PRELUDE + "try:\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n" + EPILOGUE
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=WALL_SECONDS)
    assert done.returncode == 0, f"the child died ({done.returncode}):\n{done.stderr[-4000:]}"
    result: Dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def refused(body: str, error: str = "InvalidInputError") -> List[List[str]]:
    """The problems of the coded error `body` raises (failing the test for anything else)."""
    result = outcome(body)
    assert result["type"] == error and result["trainyard"], result
    problems: List[List[str]] = result["problems"]
    assert problems, result
    return problems


# ---- numbers ----


@pytest.mark.parametrize("value", ["float('nan')", "float('inf')", "float('-inf')"])
def test_non_finite_numbers_in_inputs(value: str) -> None:
    [[path, code, message]] = refused(f"engine.update_release(release.id, actor=rita, inputs={{'a': {{'b': [0, 1, {value}]}}}})")
    assert (path, code) == ("inputs.a.b[2]", "invalid_value") and "not a finite number" in message


@pytest.mark.parametrize("value", ["2**63", "-2**63 - 1", "2**100", "10**100000"])
def test_integers_beyond_64_bits_in_inputs(value: str) -> None:
    [[path, code, message]] = refused(f"engine.update_release(release.id, actor=rita, inputs={{'a': {{'n': {value}}}}})")
    assert (path, code) == ("inputs.a.n", "invalid_value") and "64 bits" in message


def test_integers_at_the_edges_of_64_bits_are_kept() -> None:
    result = outcome("""
        engine.update_release(release.id, actor=rita, inputs={'a': {'lo': -2**63, 'hi': 2**63 - 1}})
        assert engine.get_release(release.id).inputs == {'a': {'lo': -2**63, 'hi': 2**63 - 1}}
    """)
    assert result == {"type": None}


def test_non_finite_numbers_in_a_definition_are_validation_problems() -> None:
    problems = refused("""
        trainyard.validate_process({"id": "x", "phases": [{"id": "a", "activities": [], "n": float("nan")}],
                                    "m": float("inf")})
    """, error="ValidationError")
    assert [p[:2] for p in problems] == [["phases[0].n", "invalid_value"], ["m", "invalid_value"]]


# ---- nesting ----


def test_a_cyclic_dict_in_inputs() -> None:
    [[path, code, message]] = refused("""
        d = {"x": 1}
        d["self"] = d
        engine.update_release(release.id, actor=rita, inputs={"a": d})
    """)
    assert (path, code) == ("inputs.a.self", "invalid_value") and "contains itself" in message


def test_a_cyclic_list_in_a_definition() -> None:
    [[path, code, message]] = refused("""
        items = [1]
        items.append(items)
        engine.register_process({"id": "x", "phases": items})
    """, error="ValidationError")
    assert (path, code) == ("phases[1]", "invalid_value") and "contains itself" in message


def test_values_nested_to_the_core_bound_are_kept_deeper_ones_refused() -> None:
    # The core stores values nested up to 100 levels (trainyard.limits); the binding converts up to
    # 128 levels and refuses deeper ones itself, naming the deep path.
    result = outcome("""
        engine.update_release(release.id, actor=rita, inputs={"a": deep(100)})
        assert engine.get_release(release.id).inputs["a"] == deep(100)
    """)
    assert result == {"type": None}
    [[path, code, _]] = refused('engine.update_release(release.id, actor=rita, inputs={"a": deep(101)})')
    assert (path, code) == ("inputs.a", "too_deep")
    [[path, code, _]] = refused('engine.update_release(release.id, actor=rita, inputs={"a": deep(128)})')
    assert (path, code) == ("inputs.a" + ".d" * 127, "too_deep")


def test_a_value_nested_100_000_levels_is_refused_quickly() -> None:
    [[path, code, message]] = refused('engine.update_release(release.id, actor=rita, inputs={"a": deep(100_000)})')
    assert code == "too_deep" and path.startswith("inputs.a.d.d") and "128" in message


def test_a_definition_nested_100_000_levels_is_refused_quickly() -> None:
    [[path, code, _]] = refused("engine.register_process(deep(100_000))", error="ValidationError")
    assert code == "too_deep" and path.startswith("d.d.d")


def test_executor_outputs_that_contain_themselves_fail_the_job_not_the_process() -> None:
    result = outcome("""
        def echo(job):
            out = {"n": 1}
            out["me"] = out
            return out
        engine.register_executor("echo", echo)
        engine.register_process({"id": "e", "phases": [{"id": "a", "activities": [
            {"id": "b", "kind": "automated", "executor": "echo", "outputs": ["n"]}]}]})
        r = engine.create_release("e", name="e", actor=rita)
        engine.activate(r.id, actor=rita)
        engine.run_until_idle()
        act = engine.get_release(r.id).phases["a"].activities["b"]
        assert act.status == "on_hold" and "outputs.me: [invalid_value]" in (act.error or ""), act.error
        assert "contains itself" in (act.error or ""), act.error
    """)
    assert result == {"type": None}


# ---- text ----


def test_a_lone_surrogate_in_inputs() -> None:
    [[path, code, message]] = refused("engine.update_release(release.id, actor=rita, inputs={'a': {'s': 'ok\\udc80'}})")
    assert (path, code) == ("inputs.a.s", "invalid_value") and "lone surrogate '\\udc80' at index 2" in message


def test_a_lone_surrogate_in_a_key_and_in_an_argument() -> None:
    problems = refused("engine.update_release(release.id, actor=rita, name='x\\ud800', inputs={'a': {'k\\udfff': 1}})")
    assert [p[:2] for p in problems] == [["name", "invalid_value"], ["inputs.a[\"k\\udfff\"]", "invalid_value"]]


def test_bytes_where_text_is_expected() -> None:
    problems = refused("engine.create_release(b'p', name=b'r', actor=rita, inputs={'a': b'x'})")
    assert [p[:2] for p in problems] == [["process_id", "wrong_type"], ["name", "wrong_type"], ["inputs.a", "wrong_type"]]
    assert all("decode it first" in p[2] for p in problems)


def test_bytes_as_a_definition() -> None:
    [[path, code, _]] = refused("engine.register_process(b'id: x')")
    assert (path, code) == ("definition", "wrong_type")


# ---- actors and options ----


@pytest.mark.parametrize(
    "call, path",
    [
        ("engine.activate(release.id, actor='rita')", "actor"),
        ("engine.get_release(release.id, actor={'id': 'rita'})", "actor"),
        ("engine.activate(release.id, actor=rita, force='yes')", "force"),
        ("engine.schedule(release.id, start=START, actor=rita, auto_start=1)", "auto_start"),
        ("engine.claim_jobs(['x'], worker='w', limit=True)", "limit"),
        ("engine.run_until_idle(max_steps='many')", "max_steps"),
        ("engine.list_releases(include_archived='no')", "include_archived"),
        ("engine.calendar(START, START, statuses=42)", "statuses"),
        ("engine.claim_jobs('x', worker='w')", "executors"),
        ("engine.create_release('p', name='r', actor=rita, owners='rita')", "owners"),
        ("Engine.in_memory(clock='now')", "clock"),
        ("Actor(42)", "id"),
    ],
)
def test_wrong_types_for_actors_and_options(call: str, path: str) -> None:
    [[got, code, _]] = refused(call)
    assert (got, code) == (path, "wrong_type")


@pytest.mark.parametrize(
    "call, path, code",
    [
        ("engine.claim_jobs(['x'], worker='w', limit=-1)", "limit", "invalid_value"),
        ("engine.claim_jobs(['x'], worker='w', lease='soon')", "lease", "bad_duration"),
        ("engine.set_retention(archive_after=timedelta(days=-1))", "archive_after", "invalid_value"),
        ("clock.advance(timedelta(days=999_999_999))", "by", "invalid_value"),
        ("engine.schedule(release.id, start=datetime(2025, 4, 7), actor=rita)", "start", "invalid_value"),
        ("engine.list_releases(status='done')", "status", "invalid_value"),
        ("engine.calendar(START, START, kinds=['standard', 'nope'])", "kinds[1]", "invalid_value"),
        ("Engine.in_memory(release_level='galaxy')", "release_level", "invalid_value"),
        ("engine.get_process('p', version=0)", "version", "invalid_value"),
    ],
)
def test_bad_option_values(call: str, path: str, code: str) -> None:
    [[got, got_code, _]] = refused(call)
    assert (got, got_code) == (path, code)


def test_every_bad_argument_is_listed_at_once() -> None:
    problems = refused("engine.schedule(b'id', start='tomorrow', actor='rita', end=float('nan'), auto_start='y')")
    assert [p[:2] for p in problems] == [
        ["release_id", "wrong_type"], ["start", "wrong_type"], ["actor", "wrong_type"], ["end", "wrong_type"],
        ["auto_start", "wrong_type"]]


def test_a_release_group_field_that_cannot_be_a_document_is_a_validation_problem() -> None:
    problems = refused("""
        engine.create_release_group(id="g", name=b"G", process="p", cadence="FREQ=DAILY", duration=float("nan"),
                                    starts_on="2025-04-07", actor=rita, inputs={"a": float("inf")})
    """, error="ValidationError")
    assert [p[:2] for p in problems] == [["name", "wrong_type"], ["duration", "wrong_type"],
                                         ["inputs.a", "invalid_value"]]


def test_a_secret_resolver_returning_bytes_fails_the_job_with_a_message() -> None:
    result = outcome("""
        engine.set_secret_resolver(lambda name: b"raw")
        engine.register_executor("use", lambda job: None)
        engine.register_process({"id": "s", "inputs": {"t": {"type": "secret", "default": "secret://t"}},
            "phases": [{"id": "a", "activities": [
                {"id": "b", "kind": "automated", "executor": "use", "with": {"t": "${ inputs.t }"}}]}]})
        r = engine.create_release("s", name="s", actor=rita)
        engine.activate(r.id, actor=rita)
        engine.run_until_idle()
        act = engine.get_release(r.id).phases["a"].activities["b"]
        assert act.status == "on_hold" and "must be a str, not bytes" in (act.error or ""), act.error
    """)
    assert result == {"type": None}


def test_a_secrets_dict_with_a_non_text_value() -> None:
    [[path, code, _]] = refused("engine.set_secret_resolver({'token': 42})")
    assert (path, code) == ("resolver.token", "wrong_type")


# ---- definitions given as dicts reach the core unchanged ----


def test_a_dict_definition_is_read_exactly_as_its_json_text() -> None:
    result = outcome("""
        doc = {"id": "x", "description": "çà ✓ \\U0001F680", "variables": {"big": 2**63 - 1, "f": 0.1, "z": None,
               "order": {"b": 1, "a": 2}},
               "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}]}
        assert trainyard.load_process(doc) == trainyard.load_process(json.dumps(doc))
    """)
    assert result == {"type": None}


def test_a_deep_dict_definition_gets_the_problems_of_its_json_text() -> None:
    result = outcome("""
        doc = {"id": "x", "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}],
               "description": deep(100)}
        errors = []
        for form in (doc, json.dumps(doc)):
            try:
                trainyard.validate_process(form)
            except trainyard.ValidationError as e:
                errors.append([(p.path, p.code) for p in e.problems])
        assert len(errors) == 2 and errors[0] == errors[1] and errors[0], errors
    """)
    assert result == {"type": None}


def test_a_dict_definition_over_4_mib_is_refused_like_its_text() -> None:
    problems = refused("""
        # 30 strings of 200 KB: each under the string bound, together over the 4 MiB one.
        doc = {"id": "x", "variables": {f"v{i}": "d" * 200_000 for i in range(30)},
               "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}]}
        engine.register_process(doc)
    """, error="ValidationError")
    assert [p[1] for p in problems] == ["too_large"]
