"""The type stubs are part of the API: they match the runtime module.

`make python-test` also runs `python -m mypy.stubtest trainyard`; this test keeps a name-level
check inside pytest and type-checks the public API with mypy."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Set

import trainyard
import trainyard._native as native

PACKAGE_DIR = Path(trainyard.__file__).resolve().parent


def stub_names(path: Path) -> Set[str]:
    """The names a stub declares, and those it re-exports (``from ._native_x import A as A``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: Set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("_native_"):
            names.update(a.name for a in node.names if a.asname == a.name)
    return names


def test_native_stub_lists_exactly_the_public_names_of_the_module() -> None:
    def public(names: Set[str]) -> Set[str]:
        return {n for n in names if not n.startswith("_") or n == "__version__"}

    assert public(stub_names(PACKAGE_DIR / "_native.pyi")) == public(set(dir(native)))


def test_the_stub_only_modules_are_what_the_stubtest_allowlist_names_and_each_is_small() -> None:
    stubs = sorted(PACKAGE_DIR.glob("_native*.pyi"))
    modules = {p.stem for p in stubs} - {"_native"}
    allowlist = (PACKAGE_DIR.parents[1] / "stubtest-allowlist.txt").read_text(encoding="utf-8")
    (pattern,) = [line for line in allowlist.splitlines() if line and not line.startswith("#")]
    match = re.fullmatch(r"trainyard\\\._native_\((.*)\)", pattern)
    assert match, pattern
    listed = set(match.group(1).split("|"))
    assert {f"_native_{m}" for m in listed} == modules
    for m in modules:
        # No runtime module of that name: the stubs describe `trainyard._native`'s classes.
        assert not hasattr(native, m)
    # What each stub-only module declares, `_native.pyi` re-exports.
    declared: Set[str] = set()
    for m in modules:
        declared |= stub_names(PACKAGE_DIR / f"{m}.pyi")
    assert {n for n in declared if not n.startswith("_")} <= stub_names(PACKAGE_DIR / "_native.pyi")
    for p in stubs:
        lines = len(p.read_text(encoding="utf-8").splitlines())
        assert lines <= 800, f"{p.name} has {lines} lines"


def test_package_exports_are_all_importable() -> None:
    for name in trainyard.__all__:
        assert hasattr(trainyard, name), name


def test_py_typed_marker_is_shipped() -> None:
    assert (PACKAGE_DIR / "py.typed").is_file()


def test_public_api_type_checks(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import trainyard\n"
        "from typing import Any, Dict, List, Optional\n"
        "d: Dict[str, Any] = trainyard.load_process('id: x')\n"
        "w: List[trainyard.Problem] = trainyard.validate_process({'id': 'x'})\n"
        "line: Optional[int] = w[0].line\n"
        "try:\n"
        "    pass\n"
        "except trainyard.ValidationError as e:\n"
        "    code: str = e.code\n"
        "    probs: List[trainyard.Problem] = e.problems\n"
        "bad: int = trainyard.load_process('x')\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(sample)],
        capture_output=True,
        text=True,
    )
    # Exactly one error: the deliberate `bad: int` line; everything else type-checks.
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "sample.py:11:" in errors[0], result.stdout


ENGINE_SAMPLE = """
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple
import trainyard as ty

clock = ty.ManualClock(datetime(2025, 4, 7, tzinfo=timezone.utc))
now: datetime = clock.advance(timedelta(hours=1))
def deploy(job: ty.Job) -> Optional[Dict[str, Any]]:
    deadline: Optional[datetime] = job.deadline
    return {"url": job.inputs["service"]}
def later(job: ty.Job) -> ty.Started:
    return ty.STARTED
with ty.Engine.in_memory(clock=clock) as engine:
    engine.register_executor("deploy", deploy)
    engine.register_executor("later", later)
    info: ty.ProcessInfo = engine.register_process({"id": "x"})
    rita = ty.Actor("rita", roles=["account_release_manager"])
    r: ty.Release = engine.create_release("x", name="n", actor=rita, inputs={"a": 1})
    events: List[ty.Event] = engine.activate(r.id, actor=rita)
    n: int = engine.run_until_idle(max_steps=5)
    phase: ty.Phase = r.phases["p"]
    act: ty.Activity = phase.activities["a"]
    approvals: List[ty.Approval] = act.approvals
    approver: str = approvals[0].approver
    escalated: bool = act.escalated
    planned: Optional[ty.Schedule] = r.schedule
    parent: Optional[ty.ParentLink] = r.parent
    not_before: Optional[datetime] = phase.not_before
    status: str = engine.get_release(r.id, actor=rita).status
    engine.abort(r.id, actor=rita, reason="r")
    engine.approve(r.id, "p", "a", actor=rita, comment=None)
    try:
        raise ty.JobFailed("m", retryable=False)
    except ty.JobFailed as f:
        retry: bool = f.retryable
    jobs: List[ty.Job] = engine.claim_jobs(["deploy"], worker="w", limit=2, lease=timedelta(minutes=1))
    token: Optional[str] = jobs[0].lease_token
    until: datetime = engine.heartbeat(jobs[0].id, jobs[0].lease_token or "")
    engine.complete_job(jobs[0].id, token, outputs={"a": 1})
    engine.complete_job(jobs[0].id, error="e", retryable=False)
    records: List[ty.JobRecord] = engine.list_jobs()
    version: int = engine.save_input_set("x", "eu", {"a": 1}, actor=rita)
    iset: ty.InputSet = engine.get_input_set("x", "eu", version)
    sets: List[Tuple[str, int]] = engine.list_input_sets("x")
    recorded: Optional[ty.InputSetRef] = r.input_set
    def listen(n: ty.Notification) -> None:
        print(n.kind, n.recipients, n.at, n.seq, n.phase)
    engine.subscribe(listen)
    failures: int = engine.notification_failures()
    engine.set_secret_resolver({"t": "v"})
    engine.set_secret_resolver(lambda name: name.upper())
    engine.register_command_executor(base_dir="/tmp")
    archived: List[str] = engine.apply_retention()
    engine.set_retention(archive_after=timedelta(days=30))
    visible: List[ty.Release] = engine.list_releases(actor=rita)
    trail: List[ty.Event] = engine.history(r.id, actor=rita)
    pg = ty.Engine.open("postgres://u@h/db?schema=s", release_level="organization", clock=clock)
engine.abort(r.id, actor=rita)
"""


def test_engine_api_type_checks(tmp_path: Path) -> None:
    sample = tmp_path / "engine_sample.py"
    sample.write_text(ENGINE_SAMPLE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(sample)],
        capture_output=True,
        text=True,
    )
    # Exactly one error: the last line leaves out abort's required keyword `reason`.
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and 'Missing named argument "reason"' in errors[0], result.stdout
