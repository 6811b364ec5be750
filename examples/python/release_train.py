"""`make demo-python`: the two-week system release train, end to end, from Python.

The same walkthrough as `make demo` (examples/demo.rs), with a manual clock so it finishes in
seconds. A weekly release group creates the train every Monday 09:00. Week one: branch cut and QA
deploy (the built-in `command` executor running `examples/scripts/`), alpha fixes until Thursday
noon, QA sign-off by two approvers. Week two: beta to prod 0 (the deploy fails once and is retried)
with a two-day soak, beta fixes, then prod 1 (Monday), a hotfix release gated on prod 1 (out before prod 2), prod 2
(Wednesday) and prod 3 (the Monday after). The group meanwhile generates the second week's train.
It prints a status tree per day, the month's calendar with its conflicts, the audit trail of the
first train, and writes `target/demo-python/calendar.ics`.

The engine is in memory (`Engine.in_memory`); `Engine.open("sqlite://...")` works the same way
where the binding has the SQLite backend.
"""

import os
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import trainyard

EXAMPLES = Path(__file__).resolve().parent.parent
OUT = EXAMPLES.parent / "target" / "demo-python"

SYMBOLS = {
    "success": "✔",
    "partial_success": "◐",
    "failed": "✖",
    "aborted": "⊘",
    "on_hold": "⏸",
    "running": "▶",
    "queued": "▶",
    "waiting_for_input": "✋",
    "ignored": "~",
    "skipped": "↷",
    "scheduled": "◷",
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 4, day, hour, minute, tzinfo=timezone.utc)


def fmt(t: Optional[datetime]) -> str:
    return t.strftime("%a %d %b %H:%M") if t else "—"


def human(d: timedelta) -> str:
    mins = int(d.total_seconds() // 60)
    if mins < 1:
        return "<1m"
    if mins < 60:
        return f"{mins}m"
    if mins < 60 * 48:
        return f"{mins // 60}h{mins % 60:02d}m"
    return f"{mins // (60 * 24)}d{(mins // 60) % 24}h"


def span(start: Optional[datetime], end: Optional[datetime]) -> str:
    if start and end:
        return f"{fmt(start)} → {fmt(end)} ({human(end - start)})"
    return f"since {fmt(start)}" if start else ""


class Demo:
    def __init__(self) -> None:
        self.clock = trainyard.ManualClock(datetime(2025, 4, 7, 8, tzinfo=timezone.utc))
        self.engine = trainyard.Engine.in_memory(clock=self.clock)

    def goto(self, target: datetime) -> None:
        """Moves the clock to `target` in five-minute steps, letting the engine do what becomes due."""
        while self.clock.now() < target:
            self.clock.advance(min(target - self.clock.now(), timedelta(minutes=5)))
            self.engine.run_until_idle(100_000)

    def show(self, release_id: str, title: str) -> None:
        r = self.engine.get_release(release_id)
        print(f"── {title} ({fmt(self.engine.now())})")
        rolled = " (rolled back)" if r.rolled_back else ""
        print(f"{SYMBOLS.get(r.status, '○')} {r.name} [{r.status}]{rolled}")
        for ph in r.phases.values():
            if ph.rollback and ph.status == "pending":
                continue  # rollback phases only matter when they run
            print(f"  {SYMBOLS.get(ph.status, '○')} {ph.id:<12} {ph.status:<10} {span(ph.started_at, ph.ended_at)}")
            for a in ph.activities.values():
                attempt = f" (attempt {a.attempt + 1})" if a.attempt > 0 else ""
                note = f" — {a.error.splitlines()[0]}" if a.error and a.status != "success" else ""
                print(
                    f"      {SYMBOLS.get(a.status, '○')} {a.id:<16} {a.status:<18} "
                    f"{span(a.started_at, a.ended_at)}{attempt}{note}"
                )
        print()


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    # deploy.sh fails once for prod0: the beta deploy's first attempt fails and is retried.
    os.environ["FAIL_ONCE_ENV"] = "prod0"
    os.environ["FAIL_ONCE_FILE"] = str(OUT / "prod0-failed-once")

    demo = Demo()
    engine = demo.engine
    engine.register_command_executor("command", base_dir=str(EXAMPLES))
    for name in ("system-release-train.yaml", "hotfix.yaml"):
        engine.register_process((EXAMPLES / "processes" / name).read_text(encoding="utf-8"))

    rita = trainyard.Actor("rita", roles=["account_release_manager"])
    quinn = trainyard.Actor("quinn", groups=["qa"])
    stakeholder = trainyard.Actor("stakeholder-1")
    dev = trainyard.Actor("dana", groups=["development"])
    ops = trainyard.Actor("oscar", groups=["operations"])

    print(f"trainyard demo (Python) — the two-week system release train, on {engine.url}\n")
    engine.create_release_group(
        id="system-train",
        name="System Release Train",
        process="system-release-train",
        cadence={"every": "week", "on": "monday", "at": "09:00"},
        duration="2w",
        starts_on="2025-04-07",
        name_template="Week {iso_week} System Release - {month} {year}",
        kind="system",
        inputs={"releaseVersion": "2.1.3", "services": ["payment-service", "user-service"], "environment": "prod3"},
        actor=rita,
    )
    trains = engine.list_releases(group="system-train")
    print(f"release group `system-train` materialised {len(trains)} scheduled release(s) for the next 90 days:")
    for t in trains[:3]:
        print(f"  • {t.name} — starts {fmt(t.schedule.start if t.schedule else None)}")
    print("  • …\n")
    train = trains[0].id

    # Week one.
    demo.goto(at(7, 9, 30))
    demo.show(train, "Monday — the clock activated the train: branch cut and QA deploy ran")
    demo.goto(at(8, 9))
    demo.show(train, "Tuesday — alpha fixes land")
    demo.goto(at(10, 12, 30))
    demo.show(train, "Thursday noon — the alpha fixes window closed; development confirms the fixes")
    engine.complete_manual(train, "alpha-fixes", "fixes-done", actor=dev, values={"mergedFixes": 4})
    demo.goto(at(10, 17, 15))
    demo.show(train, "Thursday 17:00 — QA sign-off opened")
    engine.approve(train, "qa-signoff", "signoff", actor=quinn, comment="regression suite green")
    demo.goto(at(10, 17, 45))
    engine.approve(train, "qa-signoff", "signoff", actor=stakeholder, comment="go")
    demo.show(train, "Thursday evening — QA and the stakeholder signed off")
    # Week two.
    demo.goto(at(11, 9, 30))
    demo.show(train, "Friday — beta to prod 0: the first deploy failed and was retried; the soak runs")
    # A security hotfix, approved now, goes out between prod 1 and prod 2: its gate waits for the
    # train's prod 1 (the hotfix process's `after-prod1` gate, given the train's id).
    hotfix = engine.create_release(
        "hotfix",
        name="Hotfix: Security Patch CVE-2025-1234",
        kind="hotfix",
        inputs={"version": "2.1.3-hotfix.1", "ticket": "SEC-1234", "environment": "prod1", "train": train},
        actor=rita,
    )
    engine.activate(hotfix.id, actor=rita)
    demo.goto(at(11, 9, 50))
    engine.approve(hotfix.id, "approve", "approve", actor=ops, comment="patch reviewed")
    demo.show(hotfix.id, "Friday — a hotfix is built and approved; its gate waits for the train's prod 1")
    demo.goto(at(13, 9, 30))
    demo.show(train, "Sunday — the soak is over; beta fixes")
    engine.complete_manual(
        train, "beta-fixes", "beta-fixes-done", actor=dev, values={"notes": "two fixes cherry-picked"}
    )
    demo.goto(at(14, 9, 30))
    demo.show(train, "Monday — prod 1")
    demo.goto(at(14, 10))
    engine.complete_manual(
        hotfix.id, "deploy", "sanity", actor=quinn, values={"evidence": "https://ci.example/sanity/981"}
    )
    demo.show(hotfix.id, "Monday — prod 1 done: the gate opened and the hotfix deployed before prod 2")


    demo.goto(at(16, 9, 30))
    demo.show(train, "Wednesday — prod 2")
    demo.goto(at(21, 9, 30))
    demo.show(train, "The Monday after — prod 3 completes the rollout")

    second = next(
        (r for r in engine.list_releases(group="system-train") if r.id != train and r.started_at is not None), None
    )
    if second is not None:
        demo.show(second.id, "Meanwhile: the next week's train, generated by the group, waits for its people")

    calendar(engine)
    audit(engine, train)
    status = engine.get_release(train).status
    print(f"The first train ended: {status}")
    return 0 if status == "success" else 1


def calendar(engine: trainyard.Engine) -> None:
    start = datetime(2025, 4, 1, tzinfo=timezone.utc)
    end = datetime(2025, 5, 1, tzinfo=timezone.utc)
    entries = engine.calendar(start, end)
    print(f"══ Release calendar, {start:%B %Y}")
    names = {}
    for e in entries:
        names[e.release_id] = e.name
        print(f"  {e.name:<44} {e.status:<16} {fmt(e.start)} → {fmt(e.end)}")
        for p in e.phases:
            if p.end <= engine.now():  # what happened (planned windows are ahead of now)
                print(f"      {p.phase_id:<12} {fmt(p.start)} → {fmt(p.end)}")
    conflicts = engine.conflicts(start, end)
    print(f"\n  {len(conflicts)} conflict(s) (releases whose windows overlap on a shared service or environment):")
    for c in conflicts[:8]:
        who = " ↔ ".join(names.get(i, i) for i in c.release_ids)
        print(f"  ⚠ {c.resource} — {who} ({fmt(c.start)} → {fmt(c.end)})")
    if len(conflicts) > 8:
        print(f"  … and {len(conflicts) - 8} more")
    path = OUT / "calendar.ics"
    path.write_text(engine.calendar_ics(start, end), encoding="utf-8")
    print(f"\n  iCalendar written to {path}\n")


def audit(engine: trainyard.Engine, release_id: str) -> None:
    print("══ Audit trail of the first train")
    for e in engine.history(release_id):
        d = e.data
        if e.kind == "approval_recorded":
            verb = "approved" if d.get("approved") else "rejected"
            what = f"{verb} {d.get('phase')}/{d.get('activity')} by {d.get('approver')}"
        elif e.kind == "activity_failed":
            what = f"{d.get('phase')}/{d.get('activity')} failed: {str(d.get('message', '')).splitlines()[0]}"
        elif e.kind == "phase_ended":
            what = f"phase {d.get('phase')} ended {d.get('status')}"
        elif e.kind == "ended":
            what = f"release ended {d.get('status')}"
        else:
            target = ""
            if d.get("phase") and d.get("activity"):
                target = f" {d['phase']}/{d['activity']}"
            elif d.get("phase"):
                target = f" {d['phase']}"
            what = e.kind.replace("_", " ") + target
        comment = f"  “{e.comment}”" if e.comment else ""
        print(f"  {e.seq:>3} {e.at:%a %d %H:%M} {e.actor:<9} {what}{comment}")
    print()


if __name__ == "__main__":
    sys.exit(main())
