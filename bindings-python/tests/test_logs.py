"""The core's `tracing` events reach Python's `logging` (loggers `trainyard.*`), filtered by
`RUST_LOG` and by the loggers' levels, and never carry a secret value handed to an executor."""

import json
import logging
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock

RITA = Actor("rita", roles=["account_release_manager"])
START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
MANUAL = {"id": "hello", "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}]}


# The in-process tests need the default filter (`RUST_LOG` unset or empty when trainyard was
# imported); `make python-test` runs pytest with `RUST_LOG=`. The RUST_LOG tests below use children.
default_filter = pytest.mark.skipif(
    bool(os.environ.get("RUST_LOG", "").strip()),
    reason="RUST_LOG is set for this pytest run, so the core's events may be filtered before logging sees them",
)


def trainyard_records(caplog: pytest.LogCaptureFixture) -> List[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("trainyard")]


@default_filter
def test_creating_a_release_logs_a_record_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    with Engine.in_memory(clock=ManualClock(START)) as engine:
        engine.register_process(MANUAL)
        with caplog.at_level(logging.DEBUG, logger="trainyard"):
            r = engine.create_release("hello", name="r", actor=RITA)
    created = [rec for rec in trainyard_records(caplog) if rec.getMessage().startswith("release created")]
    assert len(created) == 1, [rec.getMessage() for rec in trainyard_records(caplog)]
    (rec,) = created
    assert (rec.name, rec.levelno, rec.levelname) == ("trainyard.engine.apply", logging.INFO, "INFO")
    fields: Dict[str, str] = getattr(rec, "fields")
    assert fields["release"] == r.id and fields["process"] == "hello"
    assert f"release={r.id}" in rec.getMessage()
    assert rec.pathname.endswith(".rs") and rec.lineno > 0


@default_filter
def test_the_loggers_level_is_read_on_every_record(caplog: pytest.LogCaptureFixture) -> None:
    with Engine.in_memory(clock=ManualClock(START)) as engine:
        engine.register_process(MANUAL)
        with caplog.at_level(logging.WARNING, logger="trainyard"):
            engine.create_release("hello", name="quiet", actor=RITA)
        assert trainyard_records(caplog) == []
        with caplog.at_level(logging.INFO, logger="trainyard.engine"):
            engine.create_release("hello", name="loud", actor=RITA)
        assert [rec.getMessage().split(" release=")[0] for rec in trainyard_records(caplog)] == ["release created"]


@default_filter
def test_a_command_executor_run_is_logged_without_the_secret_it_was_handed(caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cr3t-Value-9f2b"
    process = {
        "id": "deploy",
        "inputs": {"token": {"type": "secret", "default": "secret://deploy-token"}},
        "phases": [{"id": "a", "activities": [
            {"id": "push", "kind": "automated", "executor": "command", "outputs": ["seen"],
             "with": {"argv": ["sh", "-c", 'echo "token is $TOKEN"; echo "seen=$TOKEN" >> "$TRAINYARD_OUTPUT"'],
                      "env": {"TOKEN": "${ inputs.token }"}}},
            {"id": "fail", "kind": "automated", "executor": "command",
             "with": {"argv": ["sh", "-c", 'echo "bad $TOKEN" >&2; exit 3'], "env": {"TOKEN": "${ inputs.token }"}}},
            {"id": "py", "kind": "automated", "executor": "echo", "outputs": ["echo"],
             "with": {"auth": "Bearer ${ inputs.token }"}},
        ]}],
    }

    def echo(job: trainyard.Job) -> Dict[str, Any]:
        return {"echo": job.inputs["auth"]}

    with Engine.in_memory(clock=ManualClock(START)) as engine:
        engine.set_secret_resolver({"deploy-token": secret})
        engine.register_command_executor()
        engine.register_executor("echo", echo)
        engine.register_process(process)
        with caplog.at_level(1, logger="trainyard"):
            r = engine.create_release("deploy", name="r", actor=RITA)
            engine.activate(r.id, actor=RITA)
            engine.run_until_idle()
        acts = engine.get_release(r.id).phases["a"].activities
        assert acts["push"].outputs == {"seen": "***"} and acts["py"].outputs == {"echo": "Bearer ***"}
        assert acts["fail"].status == "on_hold"
    records = trainyard_records(caplog)
    messages = [rec.getMessage() for rec in records]
    assert any(m.startswith("command succeeded") for m in messages), messages
    assert any(m.startswith("command failed") for m in messages), messages
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s %(pathname)s")
    for rec in records:
        text = formatter.format(rec) + json.dumps(getattr(rec, "fields", {})) + repr(rec.__dict__)
        assert secret not in text, text


CHILD_PRELUDE = """
import json, logging, sys
import trainyard
from trainyard import Actor, Engine
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger("trainyard").addHandler(Keep())
logging.getLogger("trainyard").setLevel(1)
rita = Actor("rita", roles=["account_release_manager"])
engine = Engine.in_memory()
engine.register_process({"id": "hello", "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}]})
"""


def child(body: str, rust_log: Any) -> "subprocess.CompletedProcess[str]":
    env = {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
    if rust_log is not None:
        env["RUST_LOG"] = rust_log
    script = CHILD_PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("rust_log, logged", [(None, True), ("", True), ("trainyard=info", True),
                                               ("trainyard=warn", False), ("off", False)])
def test_rust_log_filters_what_reaches_logging(rust_log: Any, logged: bool) -> None:
    done = child("""
        engine.create_release("hello", name="r", actor=rita)
        print(json.dumps(records))
    """, rust_log)
    assert done.returncode == 0, done.stderr
    messages = json.loads(done.stdout)
    assert any(m.startswith("release created") for m in messages) == logged, messages


def test_an_invalid_rust_log_says_so_and_keeps_the_default() -> None:
    done = child("""
        engine.create_release("hello", name="r", actor=rita)
        print(json.dumps(records))
    """, "trainyard=loudest")
    assert done.returncode == 0, done.stderr
    assert "RUST_LOG" in done.stderr and "is not a valid filter" in done.stderr
    assert any(m.startswith("release created") for m in json.loads(done.stdout))


def test_a_handler_may_call_the_engine() -> None:
    # Records are handed over after the core call returns, where the engine holds no lock: a
    # handler that reads the engine neither deadlocks nor feeds itself.
    done = child("""
        seen = []
        class Reader(logging.Handler):
            def emit(self, record):
                if record.getMessage().startswith("release created"):
                    seen.append(engine.get_release(record.fields["release"]).status)
                    engine.create_release("hello", name="from a handler", actor=rita)
        logging.getLogger("trainyard").addHandler(Reader())
        engine.create_release("hello", name="r", actor=rita)
        print(json.dumps([seen, len(engine.list_releases())]))
    """, None)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [["draft"], 2]
