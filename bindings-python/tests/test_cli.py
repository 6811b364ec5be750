"""The ``trainyard`` console script (``trainyard._cli:main`` → ``trainyard._native.run_cli``) as
a subprocess: help, ``validate`` with its exit codes and streams, and ``run`` / ``watch``
stopping cleanly on SIGINT and SIGTERM."""

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

import trainyard as ty

CLI = [sys.executable, "-m", "trainyard._cli"]
GOOD = "id: hello\nphases:\n  - id: build\n    activities: [{ id: compile, kind: manual }]\n"
BAD = "id: hello\nphases:\n  - id: build\n    activities:\n      - { id: compile, kind: manual, depends_on: [nope] }\n"
RITA = ty.Actor("rita", roles=["account_release_manager"])


def trainyard(args: List[str], cwd: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(CLI + args, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_help_and_version_go_to_stdout_with_exit_0(tmp_path: Path) -> None:
    r = trainyard(["--help"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith("The `trainyard` command: validate definitions") and "Usage: trainyard" in r.stdout
    assert "  validate " in r.stdout and "  doctor " in r.stdout
    v = trainyard(["--version"], tmp_path)
    assert (v.returncode, v.stdout) == (0, f"trainyard {ty.__version__}\n")


def test_validate_exit_codes_and_streams(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    ok = trainyard(["validate", "good.yaml"], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = trainyard(["validate", "--format", "json", "bad.yaml"], tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    (problem,) = [p for p in json.loads(bad.stdout)["problems"] if p["severity"] == "error"]
    assert (problem["file"], problem["line"], problem["code"]) == ("bad.yaml", 5, "unknown_dependency")
    github = trainyard(["validate", "--format", "github", "bad.yaml"], tmp_path)
    assert github.returncode == 1 and github.stdout.startswith("::error file=bad.yaml,line=5,"), github.stdout
    usage = trainyard(["validate", "--format", "yaml", "bad.yaml"], tmp_path)
    assert (usage.returncode, usage.stdout) == (2, "")
    assert "invalid value 'yaml'" in usage.stderr
    missing = trainyard(["ls"], tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("error[usage]: no store"), missing.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_stops_cleanly_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    url = f"sqlite://{tmp_path / 'releases.db'}"
    ty.Engine.open(url).close()
    child = subprocess.Popen(
        CLI + ["--db", url, "run", "--interval", "100ms", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stderr is not None
    # The line is written once the signal handlers are in place.
    assert child.stderr.readline() == "trainyard engine running (SIGINT or SIGTERM stops it)\n"
    child.send_signal(sig)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert json.loads(out) == {"handled": 0}
    assert err.startswith("stopped after handling 0"), err
    assert "KeyboardInterrupt" not in err and "Traceback" not in err


def test_watch_prints_entries_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'releases.db'}"
    with ty.Engine.open(url) as engine:
        engine.register_process(GOOD)
        release = engine.create_release("hello", name="R", actor=RITA)
    child = subprocess.Popen(
        CLI + ["--db", url, "watch", "--after", "0", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    entry = json.loads(child.stdout.readline())  # the handlers are installed before the feed is read
    assert (entry["release"], entry["kinds"]) == (release.id, ["created"])
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=30)
    assert (child.returncode, out, err) == (0, "", "")
