"""A release survives its engine: reopen the same sqlite file in a new engine and continue it."""

from datetime import datetime, timezone
from pathlib import Path

from trainyard import Actor, Engine, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
PROCESS = {"id": "gate", "phases": [
    {"id": "build", "activities": [{"id": "make", "kind": "automated", "executor": "make", "outputs": ["artifact"]}]},
    {"id": "ship", "depends_on": ["build"], "activities": [{"id": "ok", "kind": "approval", "approvers": [{"group": "qa"}]}]},
]}


def test_reopen_the_sqlite_file_and_continue_a_release(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'releases.db'}"
    clock = ManualClock(START)
    with Engine.open(url, clock=clock) as first:
        first.register_executor("make", lambda job: {"artifact": "app.tgz"})
        first.register_process(PROCESS)
        release = first.create_release("gate", name="r", actor=RITA)
        first.activate(release.id, actor=RITA)
        first.run_until_idle()
        assert first.get_release(release.id).status == "on_hold"
        before = [(e.seq, e.kind) for e in first.history(release.id)]
    with Engine.open(url, clock=clock) as second:
        assert [p.id for p in second.list_processes()] == ["gate"]
        assert [(e.seq, e.kind) for e in second.history(release.id)] == before
        second.approve(release.id, "ship", "ok", actor=Actor("quinn", groups=["qa"]))
        r = second.get_release(release.id)
        assert r.status == "success" and r.phases["build"].activities["make"].outputs == {"artifact": "app.tgz"}
