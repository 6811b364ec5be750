"""The Python API of trainyard: dict and text input, problems, the error classes."""

import pickle
from typing import Any, Dict

import pytest

import trainyard

VALID_YAML = """
id: hello
phases:
  - id: build
    activities:
      - { id: compile, kind: automated, executor: command, with: { argv: ["make"] } }
  - id: ship
    depends_on: [build]
    activities:
      - { id: approve, kind: approval, approvers: [{ group: release-eng }] }
"""

VALID_DICT: Dict[str, Any] = {
    "id": "hello",
    "phases": [
        {
            "id": "build",
            "activities": [{"id": "compile", "kind": "automated", "executor": "command", "with": {"argv": ["make"]}}],
        },
        {
            "id": "ship",
            "depends_on": ["build"],
            "activities": [{"id": "approve", "kind": "approval", "approvers": [{"group": "release-eng"}]}],
        },
    ],
}

INVALID_YAML = "id: x\nphases:\n  - id: a\n    depends_on: [b]\n    activities: []\n"

ERROR_CLASSES = {
    "validation": trainyard.ValidationError,
    "invalid_input": trainyard.InvalidInputError,
    "invalid_transition": trainyard.InvalidTransitionError,
    "not_found": trainyard.NotFoundError,
    "permission_denied": trainyard.PermissionDeniedError,
    "conflict": trainyard.ConflictError,
    "already_exists": trainyard.AlreadyExistsError,
    "expression_error": trainyard.ExpressionError,
    "storage": trainyard.StorageError,
    "executor": trainyard.ExecutorError,
    "schedule": trainyard.ScheduleError,
    "unsupported_version": trainyard.UnsupportedVersionError,
}


def test_load_process_from_text_returns_the_normalized_dict() -> None:
    process = trainyard.load_process(VALID_YAML)
    assert process["id"] == "hello"
    assert [p["id"] for p in process["phases"]] == ["build", "ship"]
    assert process["phases"][1]["depends_on"] == ["build"]
    assert process["phases"][0]["activities"][0]["with"] == {"argv": ["make"]}


def test_dict_input_gives_the_same_process_as_text() -> None:
    assert trainyard.load_process(VALID_DICT) == trainyard.load_process(VALID_YAML)
    assert trainyard.validate_process(VALID_DICT) == []


def test_validate_process_returns_warnings_for_a_valid_process() -> None:
    assert trainyard.validate_process(VALID_YAML) == []


def test_invalid_definition_raises_validation_error_with_every_problem() -> None:
    with pytest.raises(trainyard.ValidationError) as info:
        trainyard.validate_process(INVALID_YAML)
    err = info.value
    assert isinstance(err, trainyard.TrainyardError)
    assert err.code == "validation"
    assert [(p.path, p.code) for p in err.problems] == [
        ("phases[0].depends_on[0]", "unknown_dependency"),
        ("phases[0].activities", "empty"),
    ]
    assert str(err) == err.message
    assert "2 problem(s)" in err.message
    assert all(p.line is None and p.column is None for p in err.problems)


def test_invalid_dict_raises_the_same_problems_as_text() -> None:
    doc = {"id": "x", "phases": [{"id": "a", "depends_on": ["b"], "activities": []}]}
    with pytest.raises(trainyard.ValidationError) as from_dict:
        trainyard.load_process(doc)
    with pytest.raises(trainyard.ValidationError) as from_text:
        trainyard.load_process(INVALID_YAML)
    assert from_dict.value.problems == from_text.value.problems


def test_malformed_yaml_is_a_syntax_problem_with_line_and_column() -> None:
    with pytest.raises(trainyard.ValidationError) as info:
        trainyard.load_process("id: hello\nphases:\n  - id: [build\n")
    (problem,) = info.value.problems
    assert problem.code == "syntax"
    assert problem.path == ""
    assert problem.line is not None and problem.line >= 3
    assert problem.column is not None and problem.column >= 1
    assert f"line {problem.line}" in str(problem)


def test_malformed_json_is_a_syntax_problem_with_line_and_column() -> None:
    with pytest.raises(trainyard.ValidationError) as info:
        trainyard.load_process('{"id": "hello",\n "phases": [}\n')
    (problem,) = info.value.problems
    assert (problem.code, problem.line) == ("syntax", 2)
    assert problem.column is not None


@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_each_error_class_is_a_trainyard_error_with_its_code(code: str) -> None:
    cls = ERROR_CLASSES[code]
    assert issubclass(cls, trainyard.TrainyardError)
    assert issubclass(cls, Exception)
    assert cls.code == code
    err = cls("something went wrong")
    assert (err.code, err.message, str(err), err.problems) == (code, "something went wrong", "something went wrong", [])
    assert cls.__doc__


def test_every_code_has_exactly_one_class() -> None:
    from trainyard._errors import BY_CODE

    assert BY_CODE == ERROR_CLASSES


def test_errors_and_problems_pickle() -> None:
    with pytest.raises(trainyard.ValidationError) as info:
        trainyard.load_process(INVALID_YAML)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is trainyard.ValidationError
    assert (again.code, again.message, again.problems) == (info.value.code, info.value.message, info.value.problems)


def test_problem_attributes_equality_and_repr() -> None:
    p = trainyard.Problem("phases[0].id", "bad_id", "ids are lower-case", line=3, column=7)
    assert (p.path, p.code, p.message, p.line, p.column) == ("phases[0].id", "bad_id", "ids are lower-case", 3, 7)
    assert p == trainyard.Problem("phases[0].id", "bad_id", "ids are lower-case", 3, 7)
    assert p != trainyard.Problem("phases[0].id", "bad_id", "ids are lower-case")
    assert hash(p) == hash(trainyard.Problem("phases[0].id", "bad_id", "ids are lower-case", 3, 7))
    assert repr(p) == "Problem(path='phases[0].id', code='bad_id', message='ids are lower-case', line=3, column=7)"
    assert str(p) == "phases[0].id (line 3, column 7): [bad_id] ids are lower-case"
    assert str(trainyard.Problem("", "empty", "nothing here")) == "<document>: [empty] nothing here"
    assert pickle.loads(pickle.dumps(p)) == p


def test_problem_is_frozen() -> None:
    p = trainyard.Problem("a", "b", "c")
    with pytest.raises(AttributeError):
        p.code = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "definition, error, path, code, fragment",
    [
        (42, trainyard.InvalidInputError, "definition", "wrong_type", "or a dict, not int"),
        (["id", "x"], trainyard.InvalidInputError, "definition", "wrong_type", "not list"),
        ({"id": "x", "phases": {1: "a"}}, trainyard.ValidationError, "phases", "wrong_type", "keys must be str"),
        ({"id": "x", "phases": [{"id": object()}]}, trainyard.ValidationError, "phases[0].id", "wrong_type",
         "cannot use a object"),
        ({"id": "x", "n": float("nan")}, trainyard.ValidationError, "n", "invalid_value", "nan is not a finite number"),
        ({"id": "x", "n": 2**70}, trainyard.ValidationError, "n", "invalid_value",
         "1180591620717411303424 is out of range"),
    ],
)
def test_non_json_dicts_are_refused_with_the_place(
    definition: Any, error: type, path: str, code: str, fragment: str
) -> None:
    with pytest.raises(error) as info:
        trainyard.load_process(definition)
    assert isinstance(info.value, trainyard.TrainyardError)
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == (path, code)
    assert fragment in problem.message


def test_deep_dict_is_refused_not_crashing() -> None:
    doc: Dict[str, Any] = {"id": "x"}
    node = doc
    for _ in range(10_000):
        node["d"] = {}
        node = node["d"]
    with pytest.raises(trainyard.ValidationError) as info:
        trainyard.load_process(doc)
    (problem,) = info.value.problems
    assert problem.code == "too_deep" and problem.path.startswith("d.d.d")


def test_tuples_and_scalars_convert() -> None:
    doc = dict(VALID_DICT)
    doc["phases"] = tuple(VALID_DICT["phases"])
    assert trainyard.load_process(doc) == trainyard.load_process(VALID_DICT)


def test_version() -> None:
    assert isinstance(trainyard.__version__, str) and trainyard.__version__.count(".") == 2
