"""The shared scenario vectors (testdata/scenarios/*.yaml) run unchanged through the Python API.

This mirrors core/tests/scenarios.rs (the Rust runner) step for step, so the Rust and Python suites check
the same behaviour: scripted executors from the ``executors:`` section, actors, releases created
before the first step, then timed steps (``advance`` moves the ManualClock and ticks until idle;
``do`` runs a command as ``actor``; ``error`` expects that error code and no new event; ``expect``
checks statuses, phases, activities, outputs, flags and the event kinds recorded since the release
was last checked). The format is described in testdata/scenarios/README.md.
"""

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import yaml

import trainyard

from conftest import REPO_ROOT

SCENARIO_DIR = REPO_ROOT / "testdata" / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


def duration(text: str) -> timedelta:
    """A trainyard duration (``30m``, ``2d``, ``1d 12h``: units w d h m s, largest first)."""
    parts = re.findall(r"\s*(\d+)([wdhms])\s*", text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != re.sub(r"\s+", "", text):
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def parse_time(value: Any, start: datetime) -> datetime:
    """An RFC 3339 time, or an offset from the clock's start such as ``+2d``."""
    if isinstance(value, datetime):  # YAML may already have parsed a timestamp
        return value
    text = str(value)
    if text.startswith("+"):
        return start + duration(text[1:])
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def scripted(spec: Dict[str, Any]) -> Callable[[trainyard.Job], Any]:
    """A scripted executor: outputs per activity, failing attempts (raising ``JobFailed``), or
    STARTED, as in scenarios.rs."""

    def execute(job: trainyard.Job) -> Any:
        key = f"{job.phase_id}/{job.activity_id}"
        for f in spec.get("failures") or []:
            attempt = f.get("attempt")
            if attempt is None:
                matches = True
            elif isinstance(attempt, list):
                matches = job.attempt in attempt
            else:
                matches = job.attempt == attempt
            if f.get("activity") == key and matches:
                raise trainyard.JobFailed(f.get("message", "scripted failure"), retryable=f.get("retryable", True))
        if key in (spec.get("started") or []):
            return trainyard.STARTED
        return dict((spec.get("outputs") or {}).get(key) or {})

    return execute


class Run:
    """One scenario being run: the engine, its clock and the named actors and releases."""

    def __init__(self, spec: Dict[str, Any]) -> None:
        clock_text = spec.get("clock", "2025-04-07T09:00:00Z")
        self.start = parse_time(clock_text, datetime.min)
        self.clock = trainyard.ManualClock(self.start)
        self.engine = trainyard.Engine.in_memory(clock=self.clock)
        for p in spec.get("processes") or []:
            if "file" in p:
                self.engine.register_process((REPO_ROOT / p["file"]).read_text(encoding="utf-8"))
            else:
                self.engine.register_process(p)
        for name, exec_spec in (spec.get("executors") or {}).items():
            self.engine.register_executor(name, scripted(exec_spec or {}))
        self.actors: Dict[str, trainyard.Actor] = {
            "rita": trainyard.Actor("rita", roles=["account_release_manager"])
        }
        for name, a in (spec.get("actors") or {}).items():
            a = a or {}
            self.actors[name] = trainyard.Actor(name, groups=a.get("groups", []), roles=a.get("roles", []))
        self.releases: Dict[str, str] = {}
        if "horizon" in spec:
            self.engine.set_horizon(duration(str(spec["horizon"])))
        retention = spec.get("retention")
        if retention is not None:
            after = retention.get("archive_after")
            self.engine.set_retention(
                archive_after=duration(str(after)) if after is not None else None,
                automatic=retention.get("automatic"),
            )
        self.notes: List[trainyard.Notification] = []
        self.engine.subscribe(self.notes.append)

    def actor(self, value: Any) -> trainyard.Actor:
        if value is None:
            return self.actors["rita"]
        if isinstance(value, str):
            return self.actors.get(value) or trainyard.Actor(value)
        return trainyard.Actor(value["id"], groups=value.get("groups", []), roles=value.get("roles", []))

    def drive(self) -> None:
        """Ticks until nothing is left to do at the current time."""
        self.engine.run_until_idle(100_000)

    def create(self, alias: str, spec: Dict[str, Any], actor: trainyard.Actor) -> None:
        release = self.engine.create_release(
            spec["process"],
            name=spec.get("name", alias),
            actor=actor,
            inputs={**(spec.get("inputs") or {}), **{k: self.releases[a] for k, a in (spec.get("release_ids") or {}).items()}},
            input_set=spec.get("input_set"),
            kind=spec.get("kind", "standard"),
            scope=spec.get("scope", "account"),
            owners=spec.get("owners"),
            release_managers=spec.get("release_managers"),
            stakeholders=spec.get("stakeholders"),
        )
        self.releases[alias] = release.id

    def command(self, step: Dict[str, Any], release: str) -> None:
        cmd = step.get("do")
        if cmd is None:
            return
        actor = self.actor(step.get("actor"))
        w: Dict[str, Any] = step.get("with") or {}
        phase, _, activity = (step.get("activity") or "/").partition("/")
        reason: Optional[str] = w.get("reason", w.get("comment"))
        e = self.engine
        if cmd == "create":
            self.create(step["as"], w, actor)
        elif cmd == "update":
            e.update_release(
                release,
                actor=actor,
                name=w.get("name"),
                inputs=w.get("inputs"),
                owners=w.get("owners"),
                release_managers=w.get("release_managers"),
                stakeholders=w.get("stakeholders"),
                process=w.get("process"),
                process_version=w.get("process_version"),
                kind=w.get("kind"),
                scope=w.get("scope"),
                start=parse_time(w["start"], self.start) if "start" in w else None,
                end=parse_time(w["end"], self.start) if "end" in w else None,
                reason=reason,
            )
        elif cmd == "schedule":
            e.schedule(
                release,
                actor=actor,
                start=parse_time(w["start"], self.start),
                end=parse_time(w["end"], self.start) if "end" in w else None,
                auto_start=w.get("auto_start", True),
            )
        elif cmd == "activate":
            e.activate(release, actor=actor, force=bool(w.get("force", False)))
        elif cmd in ("pause", "resume", "restart", "archive"):
            getattr(e, cmd)(release, actor=actor)
        elif cmd == "delete":
            e.delete_release(release, actor=actor)
        elif cmd == "abort":
            e.abort(release, actor=actor, reason=reason or "")
        elif cmd in ("approve", "reject"):
            getattr(e, cmd)(release, phase, activity, actor=actor, comment=reason)
        elif cmd == "complete_manual":
            e.complete_manual(release, phase, activity, actor=actor, values=w.get("values") or {})
        elif cmd == "retry":
            e.retry(release, phase, activity, actor=actor, inputs=w.get("inputs"), reason=reason)
        elif cmd == "ignore":
            e.ignore(release, phase, activity, actor=actor, outputs=w.get("outputs") or {}, reason=reason)
        elif cmd == "fail":
            e.fail(release, phase, activity, actor=actor, reason=reason)
        elif cmd == "skip":
            e.skip(release, phase, activity, actor=actor, reason=reason or "")
        elif cmd in ("rewind", "insert_activity", "reassign", "delegate", "reschedule_phase"):
            how: Dict[str, Any] = {"actor": actor, "reason": w.get("reason", ""), "dry_run": bool(w.get("dry_run", False))}
            if cmd == "rewind":
                e.rewind(release, w["phase"], w.get("activity"), inputs=w.get("inputs"), **how)
            elif cmd == "insert_activity":
                e.insert_activity(release, w["phase"], w["definition"], after=w.get("after"), **how)
            elif cmd == "reassign":
                e.reassign(release, phase, activity, w["approvers"], **how)
            elif cmd == "delegate":
                e.delegate(release, phase, activity, from_user=w["from"], to_user=w["to"], **how)
            else:
                e.reschedule_phase(release, w["phase"], parse_time(w["not_before"], self.start), **how)
        elif cmd == "complete_job":
            job_id = e.get_release(release).phases[phase].activities[activity].job_id
            assert job_id is not None, f"activity {phase}/{activity} has no job"
            if "error" in w:
                e.complete_job(job_id, error=w["error"], retryable=w.get("retryable", True))
            else:
                e.complete_job(job_id, outputs=w.get("outputs") or {})
        elif cmd == "create_release_group":
            e.create_release_group(**w, actor=actor)
        elif cmd == "update_release_group":
            e.update_release_group(**w, actor=actor)
        elif cmd == "delete_release_group":
            e.delete_release_group(w.get("id", ""), actor=actor)
        elif cmd == "pause_release_group":
            e.pause_release_group(w.get("id", ""), actor=actor, reason=w.get("reason"))
        elif cmd == "resume_release_group":
            e.resume_release_group(w.get("id", ""), actor=actor, reason=w.get("reason"))
        elif cmd == "trigger_release_group":
            e.trigger_release_group(w.get("id", ""), actor=actor, force=w.get("force", False))
        elif cmd == "add_freeze":
            e.add_freeze(**{"end": None, **w}, actor=actor)
        elif cmd == "delete_freeze":
            e.delete_freeze(w.get("id", ""), actor=actor)
        else:
            raise AssertionError(f"unknown scenario command `{cmd}`")


def check_people(run: Run, release: str, expect: Dict[str, Any], notes_since: int, ctx: str) -> List[str]:
    """``readable_by`` (who may read the release) and ``notified`` (the notification kinds each
    recipient got for it since it was last checked, exactly and in order)."""
    failures: List[str] = []
    for name, want in (expect.get("readable_by") or {}).items():
        try:
            run.engine.get_release(release, actor=run.actor(name))
            readable = True
        except trainyard.PermissionDeniedError:
            readable = False
        if readable != want:
            failures.append(f"{ctx}: {name} may read the release: {str(readable).lower()} (expected {want})")
    for name, want in (expect.get("notified") or {}).items():
        got = [n.kind for n in run.notes[notes_since:] if n.release_id == release and name in n.recipients]
        if got != want:
            failures.append(f"{ctx}: {name} was notified of {got} (expected {want})")
    return failures


def check_fields(run: Run, r: trainyard.Release, expect: Dict[str, Any], ctx: str) -> List[str]:
    """The release's own fields (name, kind, scope, process, people, planned window, inputs)."""
    failures: List[str] = []
    fields: Dict[str, Any] = {
        "name": r.name,
        "kind": r.kind,
        "scope": r.scope,
        "process_id": r.process_id,
        "process_version": r.process_version,
        "owners": r.owners,
        "release_managers": r.release_managers,
        "stakeholders": r.stakeholders,
        "planned_start": r.schedule.start if r.schedule else None,
        "planned_end": r.schedule.end if r.schedule else None,
    }
    for field, actual in fields.items():
        if field not in expect:
            continue
        want = expect[field]
        if field.startswith("planned_") and want is not None:
            want = parse_time(want, run.start)
        if actual != want:
            failures.append(f"{ctx}: {field} is {actual!r} (expected {want!r})")
    for k, v in (expect.get("inputs") or {}).items():
        if r.inputs.get(k) != v:
            failures.append(f"{ctx}: input {k} is {r.inputs.get(k)!r} (expected {v!r})")
    return failures


def check(run: Run, release: str, expect: Dict[str, Any], since: int, ctx: str, notes_since: int = 0) -> List[str]:
    failures: List[str] = []
    r = run.engine.get_release(release)
    failures.extend(check_fields(run, r, expect, ctx))
    failures.extend(check_people(run, release, expect, notes_since, ctx))
    if "status" in expect and r.status != expect["status"]:
        failures.append(f"{ctx}: release status {r.status} (expected {expect['status']})")
    for flag in ("rolled_back", "pre_executed", "archived", "at_risk"):
        if flag in expect and getattr(r, flag) != expect[flag]:
            failures.append(f"{ctx}: {flag} is {getattr(r, flag)} (expected {expect[flag]})")
    if "waiting_on" in expect:
        w = r.waiting_on
        got = None
        if w is not None:
            target = f"{w.phase_id}/{w.activity_id}" if w.activity_id is not None else w.phase_id
            got = [w.kind, target]
        if got != expect["waiting_on"]:
            failures.append(f"{ctx}: waiting_on is {got} (expected {expect['waiting_on']})")
    if "attempt" in expect and r.attempt != expect["attempt"]:
        failures.append(f"{ctx}: release attempt {r.attempt} (expected {expect['attempt']})")
    for pid, want in (expect.get("phases") or {}).items():
        status, reason = (want, None) if isinstance(want, str) else (want.get("status"), want.get("reason"))
        p = r.phases.get(pid)
        if p is None:
            failures.append(f"{ctx}: no phase {pid}")
            continue
        if status is not None and p.status != status:
            failures.append(f"{ctx}: phase {pid} is {p.status} (expected {want})")
        if reason is not None and p.skip_reason != reason:
            failures.append(f"{ctx}: phase {pid} skip reason {p.skip_reason} (expected {want})")
    for key, want in (expect.get("activities") or {}).items():
        pid, _, aid = key.partition("/")
        a = r.phases[pid].activities.get(aid) if pid in r.phases else None
        if a is None:
            failures.append(f"{ctx}: no activity {key}")
            continue
        spec: Dict[str, Any] = {"status": want} if isinstance(want, str) else want
        if "reason" in spec and a.skip_reason != spec["reason"]:
            failures.append(f"{ctx}: activity {key} skip reason {a.skip_reason} (expected {spec['reason']})")
        for k, v in (spec.get("job_inputs") or {}).items():
            if a.job_inputs.get(k) != v:
                failures.append(f"{ctx}: activity {key} job input {k} is {a.job_inputs.get(k)!r} (expected {v!r})")
        if spec.get("status") is not None and a.status != spec["status"]:
            failures.append(f"{ctx}: activity {key} is {a.status} (expected {spec['status']})")
        if "attempt" in spec and a.attempt != spec["attempt"]:
            failures.append(f"{ctx}: activity {key} attempt {a.attempt} (expected {spec['attempt']})")
    for key, want in (expect.get("outputs") or {}).items():
        pid, _, aid = key.partition("/")
        if pid not in r.phases:
            actual: Dict[str, Any] = {}
        elif aid == "-":
            actual = r.phases[pid].outputs
        else:
            act = r.phases[pid].activities.get(aid)
            actual = act.outputs if act is not None else {}
        for k, v in (want or {}).items():
            if k not in actual or actual[k] != v:
                failures.append(f"{ctx}: output {key}.{k} is {actual.get(k)!r} (expected {v!r})")
    if "events" in expect:
        recent = [e.kind for e in run.engine.history(release)[since:]]
        it = iter(recent)
        for kind in expect["events"]:
            if not any(r_kind == kind for r_kind in it):
                failures.append(f"{ctx}: event `{kind}` not found in order among {recent}")
                break
    return failures


def group_releases(run: Run, group: str) -> List[str]:
    """The live releases of a release group, by planned start (as scenarios.rs)."""
    releases = run.engine.list_releases(group=group, include_archived=True)
    never = datetime.min.replace(tzinfo=run.start.tzinfo)
    releases.sort(key=lambda r: (r.schedule.start if r.schedule else never, r.created_at or never))
    return [r.id for r in releases]


def check_time(run: Run, expect: Dict[str, Any], ctx: str) -> List[str]:
    """Expectations about release groups and the calendar (not about one release)."""
    failures: List[str] = []
    for group, want in (expect.get("releases_in_group") or {}).items():
        n = len(group_releases(run, group))
        if n != want:
            failures.append(f"{ctx}: release group {group} has {n} release(s) (expected {want})")
    failures.extend(check_inbox(run, expect, ctx))
    failures.extend(check_ledger(run, expect, ctx))
    failures.extend(check_report(run, expect, ctx))
    cal = expect.get("calendar")
    if cal is not None:
        entries = run.engine.calendar(
            parse_time(cal["from"], run.start),
            parse_time(cal["to"], run.start),
            include_archived=bool(cal.get("include_archived", False)),
        )
        if "count" in cal and len(entries) != cal["count"]:
            names = [e.name for e in entries]
            failures.append(f"{ctx}: calendar has {len(entries)} release(s) {names} (expected {cal['count']})")
    return failures


def check_inbox(run: Run, expect: Dict[str, Any], ctx: str) -> List[str]:
    """``inbox: {actor: [[release, phase/activity, kind, can_act, reason], ...]}``, in order."""
    failures: List[str] = []
    alias = {v: k for k, v in run.releases.items()}
    for name, want in (expect.get("inbox") or {}).items():
        items = run.engine.inbox(run.actor(name), limit=100)
        got = [
            [alias.get(i.release_id, i.release_id), f"{i.phase_id}/{i.activity_id}", i.kind, i.can_act, i.reason]
            for i in items
        ]
        if got != want:
            failures.append(f"{ctx}: inbox of {name} is {got}, expected {want}")
    return failures


def same_number(got: Any, want: Any) -> bool:
    """A report figure against the vector's (``None`` matches only ``None``)."""
    if got is None or want is None:
        return got is None and want is None
    return abs(float(got) - float(want)) < 1e-9


def check_report(run: Run, expect: Dict[str, Any], ctx: str) -> List[str]:
    """``report: {from, to, group?, hotfix_window?, releases?, phases?, approvals?, dora?}``
    against ``engine.report`` (testdata/scenarios/README.md)."""
    spec = expect.get("report")
    if spec is None:
        return []
    failures: List[str] = []
    window = duration(spec["hotfix_window"]) if "hotfix_window" in spec else None
    report = run.engine.report(
        parse_time(spec["from"], run.start), parse_time(spec["to"], run.start), group=spec.get("group"), hotfix_window=window
    )
    alias = {v: k for k, v in run.releases.items()}
    by_alias = {alias.get(r.id, r.id): r for r in report.releases}
    if "releases" in spec:
        got = [[alias.get(r.id, r.id), r.status] for r in report.releases]
        if got != spec["releases"]:
            failures.append(f"{ctx}: report releases are {got}, expected {spec['releases']}")
    for name, phases in (spec.get("phases") or {}).items():
        for phase, want in phases.items():
            found = [[p.planned_secs, p.actual_secs] for p in by_alias[name].phases if p.id == phase] if name in by_alias else []
            if found != [want]:
                failures.append(f"{ctx}: report phase {name}/{phase} [planned, actual] is {found}, expected {want}")
    for name, approvals in (spec.get("approvals") or {}).items():
        for at, want in approvals.items():
            waits = [a.waited_secs for a in by_alias[name].approvals if f"{a.phase_id}/{a.activity_id}" == at] if name in by_alias else []
            if waits != [want]:
                failures.append(f"{ctx}: report approval {name}/{at} waited {waits}, expected {want}")
    for figure, want in (spec.get("dora") or {}).items():
        got_figure = getattr(report.dora, figure)
        if not same_number(got_figure, want):
            failures.append(f"{ctx}: report dora.{figure} is {got_figure}, expected {want}")
    return failures


def check_ledger(run: Run, expect: Dict[str, Any], ctx: str) -> List[str]:
    """``deployed: [[service, environment, version, release, rollback], ...]`` and
    ``deployments: {service@environment: [[version, release, rollback], ...]}`` (newest first)."""
    failures: List[str] = []
    alias = {v: k for k, v in run.releases.items()}
    if "deployed" in expect:
        got = [
            [e.service, e.environment, e.version, alias.get(e.release_id, e.release_id), e.rollback]
            for e in run.engine.deployed()
        ]
        if got != expect["deployed"]:
            failures.append(f"{ctx}: deployed is {got}, expected {expect['deployed']}")
    for key, want in (expect.get("deployments") or {}).items():
        service, environment = key.split("@", 1)
        entries = run.engine.deployments(service, environment, limit=100)
        got = [[e.version, alias.get(e.release_id, e.release_id), e.rollback] for e in entries]
        if got != want:
            failures.append(f"{ctx}: deployments of {key} are {got}, expected {want}")
    return failures


def history_len(run: Run, release: str) -> int:
    """How many events the release has (0 once it is deleted)."""
    try:
        return len(run.engine.history(release))
    except trainyard.NotFoundError:
        return 0


def run_scenario(path: Path) -> List[str]:
    spec = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    run = Run(spec)
    rita = run.actors["rita"]
    for s in spec.get("input_sets") or []:
        run.engine.save_input_set(s["process"], s["name"], s.get("values") or {}, actor=rita)
    for alias, r in (spec.get("releases") or {}).items():
        run.create(alias, r, rita)
    failures: List[str] = []
    seen: Dict[str, int] = {}
    notes_seen: Dict[str, int] = {}
    for i, step in enumerate(spec.get("steps") or []):
        ctx = f"{path.name} step {i + 1}"
        if "advance" in step:
            run.clock.advance(duration(str(step["advance"])))
            try:
                run.drive()
            except trainyard.TrainyardError as e:
                failures.append(f"{ctx}: driving the engine failed: {e}")
        alias = step.get("release") or next(iter(run.releases), "")
        # `child: phase/activity`: the step acts on (and checks) that subprocess activity's current child.
        child = step.get("child")
        if child is not None and alias in run.releases:
            p, _, a = child.partition("/")
            parent = run.engine.get_release(run.releases[alias])
            act = parent.phases[p].activities.get(a) if p in parent.phases else None
            if act is None or act.child_id is None:
                failures.append(f"{ctx}: {child} of {alias} has no child release")
                continue
            alias = f"{alias}>{child}"
            run.releases[alias] = act.child_id
        release_before = run.releases.get(alias)
        before = history_len(run, release_before) if release_before else None
        error: Optional[trainyard.TrainyardError] = None
        try:
            run.command(step, release_before or "")
        except trainyard.TrainyardError as e:
            error = e
        want_code = step.get("error")
        if error is None and want_code is not None:
            failures.append(f"{ctx}: expected a `{want_code}` error, the command succeeded")
        elif error is not None and want_code is None:
            failures.append(f"{ctx}: unexpected error: {error}")
        elif error is not None:
            if error.code != want_code:
                failures.append(f"{ctx}: error `{error.code}` ({error}), expected `{want_code}`")
            if release_before is not None and before is not None:
                after = history_len(run, release_before)
                if after != before:
                    failures.append(f"{ctx}: a refused command wrote {after - before} event(s)")
        try:
            run.drive()
        except trainyard.TrainyardError as e:
            failures.append(f"{ctx}: driving the engine failed: {e}")
        # `bind: { alias: "group#n" }`: the n-th release (by planned start) of a release group.
        for name, target in (step.get("bind") or {}).items():
            group, _, n = str(target).rpartition("#")
            ids = group_releases(run, group)
            if 1 <= int(n) <= len(ids):
                run.releases[name] = ids[int(n) - 1]
            else:
                failures.append(f"{ctx}: release group {group} has no release #{n}")
        if "expect" in step:
            failures.extend(check_time(run, step["expect"] or {}, ctx))
        rid = run.releases.get(alias)
        if rid is None:
            continue
        if "expect" in step:
            failures.extend(check(run, rid, step["expect"] or {}, seen.get(rid, 0), ctx, notes_seen.get(rid, 0)))
            seen[rid] = history_len(run, rid)
            notes_seen[rid] = len(run.notes)
    return failures


class _Loader(yaml.SafeLoader):
    """YAML 1.2-ish loading like the Rust runner (serde-saphyr): `on`, `yes`, `no` stay strings,
    and timestamps stay strings (times are parsed by the runner)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 20, f"at least 20 scenarios are expected in {SCENARIO_DIR}, found {len(SCENARIOS)}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(scenario: Path) -> None:
    failures = run_scenario(scenario)
    assert not failures, f"{len(failures)} check(s) failed:\n" + "\n".join(failures)


def test_the_runner_reports_a_wrong_expectation(tmp_path: Path) -> None:
    """A guard on the runner itself: a scenario whose expectations are wrong fails."""
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "processes:\n"
        "  - { id: tiny, phases: [ { id: p, activities: [ { id: a, kind: automated, executor: x } ] } ] }\n"
        "executors: { x: { outputs: { p/a: { n: 1 } } } }\n"
        "releases: { main: { process: tiny } }\n"
        "steps:\n"
        "  - do: activate\n"
        "    expect: { status: failed, activities: { p/a: on_hold }, outputs: { p/a: { n: 2 } },"
        " events: [ended, activated] }\n"
        "  - do: pause\n"
        "    error: not_found\n",
        encoding="utf-8",
    )
    failures = run_scenario(wrong)
    joined = "\n".join(failures)
    assert "release status success (expected failed)" in joined
    assert "activity p/a is success (expected on_hold)" in joined
    assert "output p/a.n is 1 (expected 2)" in joined
    assert "event `activated` not found in order" in joined
    assert "error `invalid_transition`" in joined
    assert len(failures) == 5, joined
