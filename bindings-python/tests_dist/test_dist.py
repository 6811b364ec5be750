"""The Python package as a user installs it: the abi3 wheel and the sdist `maturin` builds, and
`pip install ./bindings-python` from a fresh clone, each into a fresh virtualenv, used from a
temporary directory (nothing of the repository on the path).

In each: the package imports from the virtualenv, the README's ```python examples run (printing
what their comments promise), the `trainyard` console script runs (`--help`, `validate`), and
`mypy --strict` checks a program using the installed package
against its stubs (`py.typed`). The README's examples are run, not type-checked: several hand in
values of the wrong type on purpose, to show how they are refused.

Run by `make package-test` (`mk/package.mk`), not by `make python-test`: building the wheel, the
sdist and the clone takes minutes. Interpreters: the abi3 wheel is installed into every CPython
3.9–3.13 found on the machine (`TRAINYARD_DIST_PYTHONS`, a `:`-separated list, overrides the
search); the sdist and the clone into the one running this test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.M | re.S)
SUPPORTED = [(3, 9), (3, 10), (3, 11), (3, 12), (3, 13)]
#: A program using the installed package, checked by mypy --strict against the installed stubs.
TYPED_USER = '''
from datetime import datetime, timezone
import trainyard as ty

clock = ty.ManualClock(datetime(2025, 4, 7, 9, tzinfo=timezone.utc))
with ty.Engine.in_memory(clock=clock) as engine:
    info = engine.register_process("id: p\\nphases:\\n  - id: a\\n    activities: [{ id: b, kind: manual }]\\n")
    rita = ty.Actor("rita", roles=["account_release_manager"])
    release: ty.Release = engine.create_release("p", name="r", actor=rita)
    status: str = release.status
    try:
        ty.load_process("id: x")
    except ty.ValidationError as e:
        codes: list[str] = [p.code for p in e.problems]
'''


#: Definitions for the installed `trainyard` command: one valid, one with an unknown dependency on line 5.
GOOD_DEFINITION = "id: hello\nphases:\n  - id: build\n    activities: [{ id: compile, kind: manual }]\n"
BAD_DEFINITION = (
    "id: hello\nphases:\n  - id: build\n    activities:\n      - { id: compile, kind: manual, depends_on: [nope] }\n"
)


def run(args: List[str], cwd: Path, env: Optional[Dict[str, str]] = None, timeout: int = 3600) -> str:
    """Runs a command; its output on success, a failure naming the command and its output otherwise."""
    proc = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, f"{' '.join(map(str, args))} (in {cwd}) exited {proc.returncode}:\n{out}"
    return out


def clean_env() -> Dict[str, str]:
    """The environment without this virtualenv or any PYTHONPATH (nothing of the repository)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # The Rust build of the sdist and the clone reuses the repository's compiled dependencies.
    env.setdefault("CARGO_TARGET_DIR", str(REPO_ROOT / "target"))
    return env


def interpreters() -> List[Tuple[Tuple[int, int], str]]:
    """CPython 3.9–3.13 interpreters on this machine, one per minor version, oldest first."""
    listed = os.environ.get("TRAINYARD_DIST_PYTHONS")
    candidates = listed.split(":") if listed else []
    if not listed:
        pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        if pyenv.is_dir():
            candidates += [str(p / "bin" / "python3") for p in sorted(pyenv.iterdir())]
        candidates += [f"/usr/bin/python3.{minor}" for _, minor in SUPPORTED] + [sys.executable]
    found: Dict[Tuple[int, int], str] = {}
    for exe in candidates:
        if not Path(exe).exists():
            continue
        proc = subprocess.run([exe, "-c", "import sys, venv; print(*sys.version_info[:2])"], stdout=subprocess.PIPE)
        if proc.returncode != 0:
            continue
        major, minor = map(int, proc.stdout.split())
        if (major, minor) in SUPPORTED:
            found.setdefault((major, minor), exe)
    return sorted(found.items())


def fresh_venv(where: Path, python: str) -> Path:
    """A new virtualenv made by `python`; returns its interpreter."""
    if python == sys.executable:
        venv.EnvBuilder(with_pip=True, clear=True).create(where)
    else:
        run([python, "-m", "venv", "--clear", str(where)], cwd=where.parent)
    return where / "bin" / "python"


#: The oldest Python version the installed mypy can type-check for (mypy 2 dropped 3.9).
MYPY_OLDEST = (3, 10)


def check_installed(python: Path, work: Path, how: str) -> None:
    """Imports the package from `python`'s virtualenv in `work`, runs the README examples, type-checks."""
    env = clean_env()
    location = run([str(python), "-c", "import trainyard, sys; print(trainyard.__file__)"], cwd=work, env=env).strip()
    prefix = run([str(python), "-c", "import sys; print(sys.prefix)"], cwd=work, env=env).strip()
    assert Path(location).resolve().is_relative_to(Path(prefix).resolve()), (how, location, prefix)
    assert not Path(location).resolve().is_relative_to(REPO_ROOT), (how, location)
    files = []
    for i, block in enumerate(BLOCKS):
        path = work / f"readme_{i + 1}.py"
        path.write_text(block, encoding="utf-8")
        files.append(path)
        out = run([str(python), str(path)], cwd=work, env=env)
        for promised in re.findall(r"print\(.*\)\s+# (\w+)$", block, flags=re.M):
            assert promised in out, (how, f"README python block {i + 1}", promised, out)
    check_console_script(python, work, how)
    user = work / "typed_user.py"
    user.write_text(TYPED_USER, encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull]
    # The installed package is found through `python`'s site-packages; the checked language level is
    # that interpreter's, or the oldest mypy supports.
    version = tuple(int(x) for x in run([str(python), "-c", "import sys; print(*sys.version_info[:2])"], cwd=work).split())
    level = max(version, MYPY_OLDEST)
    mypy += ["--python-executable", str(python), "--python-version", f"{level[0]}.{level[1]}"]
    run(mypy + [str(user)], cwd=work, env=env)


def check_console_script(python: Path, work: Path, how: str) -> None:
    """The `trainyard` console script the package installs: help, and `validate` with exit 0 and 1."""
    env = clean_env()
    cli = python.parent / "trainyard"
    assert cli.is_file(), (how, sorted(p.name for p in python.parent.iterdir()))
    out = run([str(cli), "--help"], cwd=work, env=env)
    assert "Usage: trainyard" in out and "  validate " in out and "  doctor " in out, (how, out)
    (work / "good.yaml").write_text(GOOD_DEFINITION, encoding="utf-8")
    (work / "bad.yaml").write_text(BAD_DEFINITION, encoding="utf-8")
    run([str(cli), "validate", "good.yaml"], cwd=work, env=env)
    bad = subprocess.run(
        [str(cli), "validate", "--format", "json", "bad.yaml"], cwd=work, env=env, capture_output=True, text=True
    )
    assert bad.returncode == 1, (how, bad.stdout, bad.stderr)
    problems = [p for p in json.loads(bad.stdout)["problems"] if p["severity"] == "error"]
    assert [(p["file"], p["line"], p["code"]) for p in problems] == [("bad.yaml", 5, "unknown_dependency")], how


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Path, Path]]:
    """The wheel and the sdist, built by maturin from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    maturin = [sys.executable, "-m", "maturin"]
    manifest = str(REPO_ROOT / "bindings-python" / "Cargo.toml")
    run(maturin + ["build", "--release", "--locked", "-m", manifest, "--out", str(out)], cwd=REPO_ROOT)
    run(maturin + ["sdist", "-m", manifest, "--out", str(out)], cwd=REPO_ROOT)
    wheels = list(out.glob("*.whl"))
    sdists = list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    yield wheels[0], sdists[0]


def test_the_wheel_is_abi3_for_python_3_9_on() -> None:
    pyproject = (REPO_ROOT / "bindings-python" / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.9"' in pyproject
    cargo = (REPO_ROOT / "bindings-python" / "Cargo.toml").read_text(encoding="utf-8")
    assert '"abi3-py39"' in cargo


def test_the_oldest_and_newest_supported_pythons_are_here() -> None:
    versions = [v for v, _ in interpreters()]
    assert versions, "no CPython 3.9-3.13 found"
    # On this project's CI machine both ends of the range exist; elsewhere this says what is missing.
    if os.environ.get("CI"):
        assert (3, 9) in versions and (3, 13) in versions, f"found {versions}"


@pytest.mark.parametrize("version,python", interpreters(), ids=[f"py{v[0]}.{v[1]}" for v, _ in interpreters()])
def test_the_wheel_installs_and_works(
    dist: Tuple[Path, Path], tmp_path: Path, version: Tuple[int, int], python: str
) -> None:
    wheel, _ = dist
    assert re.search(r"-cp39-abi3-", wheel.name), wheel.name
    py = fresh_venv(tmp_path / "venv", python)
    # --no-index: the wheel has no dependencies, so nothing comes from a registry.
    run([str(py), "-m", "pip", "install", "--no-index", str(wheel)], cwd=tmp_path, env=clean_env())
    work = tmp_path / "work"
    work.mkdir()
    check_installed(py, work, f"wheel on Python {version}")


def test_the_sdist_builds_installs_and_works(dist: Tuple[Path, Path], tmp_path: Path) -> None:
    _, sdist = dist
    py = fresh_venv(tmp_path / "venv", sys.executable)
    run([str(py), "-m", "pip", "install", str(sdist)], cwd=tmp_path, env=clean_env())
    work = tmp_path / "work"
    work.mkdir()
    check_installed(py, work, "sdist")


def test_pip_install_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    # The committed tree (HEAD), as a user's `git clone` gets it.
    run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO_ROOT), str(clone)], cwd=tmp_path)
    assert not (clone / "target").exists() and not (clone / ".venv").exists()
    py = fresh_venv(tmp_path / "venv", sys.executable)
    run([str(py), "-m", "pip", "install", "./bindings-python"], cwd=clone, env=clean_env())
    shutil.rmtree(clone)  # nothing of the clone is needed once installed
    work = tmp_path / "work"
    work.mkdir()
    check_installed(py, work, "pip install ./bindings-python")
