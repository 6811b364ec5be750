"""The engine through Python: clock, actors, processes, executors, releases, reading, errors."""

import pickle
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

import pytest

import trainyard
from trainyard import Actor, Engine, Job, ManualClock

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
QUINN = Actor("quinn", groups=["qa"])

WEEKLY = """
id: weekly
inputs:
  service: { type: string, required: true }
phases:
  - id: deploy
    name: Deploy
    activities:
      - { id: rollout, kind: automated, executor: deploy, outputs: [url], with: { service: "${ inputs.service }" }, timeout: 1h }
  - id: signoff
    depends_on: [deploy]
    not_before: 1d
    activities:
      - { id: qa, kind: approval, approvers: [{ group: qa }] }
"""


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    e = Engine.in_memory(clock=clock)
    e.register_executor("deploy", lambda job: {"url": f"https://{job.inputs['service']}.example"})
    e.register_process(WEEKLY)
    return e


def new_release(engine: Engine, **inputs: Any) -> trainyard.Release:
    return engine.create_release("weekly", name="Week 15", actor=RITA, inputs=inputs or {"service": "api"})


# ---- clock and actors ----


def test_manual_clock_moves_only_when_told(clock: ManualClock) -> None:
    assert clock.now() == START and clock.now().tzinfo is not None
    assert clock.advance(timedelta(days=3)) == START + timedelta(days=3)
    clock.set(datetime(2025, 5, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2025, 5, 1, 10, tzinfo=timezone.utc)
    assert clock.now().utcoffset() == timedelta(0)
    assert "2025-05-01T10:00:00" in repr(clock)


def only_problem(info: "pytest.ExceptionInfo[trainyard.InvalidInputError]") -> Tuple[str, str, str]:
    (p,) = info.value.problems
    return p.path, p.code, p.message


def test_naive_datetimes_are_refused_with_a_clear_error(engine: Engine) -> None:
    with pytest.raises(trainyard.InvalidInputError) as info:
        ManualClock(datetime(2025, 4, 7, 9))
    assert only_problem(info)[:2] == ("start", "invalid_value") and "naive datetime" in only_problem(info)[2]
    r = new_release(engine)
    with pytest.raises(trainyard.InvalidInputError, match=r"start: \[invalid_value\] is a naive datetime .*tz-aware"):
        engine.schedule(r.id, start=datetime(2025, 4, 8), actor=RITA)
    with pytest.raises(trainyard.InvalidInputError, match="start: .*must be a tz-aware datetime.datetime, not str"):
        engine.schedule(r.id, start="2025-04-08", actor=RITA)  # type: ignore[arg-type]
    with pytest.raises(trainyard.InvalidInputError, match="timedelta or a duration string"):
        ManualClock(START).advance(3)  # type: ignore[arg-type]


def test_durations_are_timedeltas_or_duration_strings() -> None:
    clock = ManualClock(START)
    assert clock.advance("1d 12h") == START + timedelta(days=1, hours=12)
    assert clock.advance(timedelta(minutes=-30)) == START + timedelta(days=1, hours=11, minutes=30)
    with pytest.raises(trainyard.InvalidInputError) as info:
        clock.advance("12")
    assert only_problem(info)[:2] == ("by", "bad_duration")
    engine = Engine.in_memory(clock=clock)
    engine.set_horizon("2w")
    assert engine.horizon() == timedelta(weeks=2)
    engine.set_horizon(timedelta(days=3))
    assert engine.horizon() == timedelta(days=3)


def test_actor_is_immutable_and_compares_by_value() -> None:
    a = Actor("quinn", groups=["qa", "eng"], roles=("viewer",))
    assert (a.id, a.groups, a.roles) == ("quinn", ("qa", "eng"), ("viewer",))
    assert a == Actor("quinn", groups=["qa", "eng"], roles=["viewer"]) and hash(a) == hash(Actor("quinn", groups=("qa", "eng"), roles=["viewer"]))
    assert a != Actor("quinn")
    assert repr(a) == "Actor('quinn', groups=('qa', 'eng'), roles=('viewer',))"
    with pytest.raises(AttributeError):
        a.id = "x"  # type: ignore[misc]
    with pytest.raises(trainyard.InvalidInputError) as info:
        Actor("q", groups="qa")  # a str is not a list of groups
    assert only_problem(info)[:2] == ("groups", "wrong_type")


# ---- engine lifecycle ----


def test_open_memory_and_context_manager() -> None:
    with Engine.open("memory://") as e:
        assert e.url == "memory://" and e.release_level == "account" and not e.closed
        e.register_process(WEEKLY)
        assert [(p.id, p.version) for p in e.list_processes()] == [("weekly", 1)]
    assert e.closed and "closed" in repr(e)
    with pytest.raises(trainyard.StorageError, match="closed"):
        e.list_processes()
    e.close()  # closing twice is harmless


@pytest.mark.parametrize(
    "url, message",
    [
        ("bogus://x", "unknown scheme `bogus`"),
        ("sqlite://", "no file path"),
        ("postgres://app:s3cret@127.0.0.1:1/none", "cannot open store `postgres://app:\\*\\*\\*@127.0.0.1:1/none`"),
        ("releases.db", "expected `memory://`, `sqlite://PATH`"),
    ],
)
def test_open_bad_urls_is_a_storage_error(url: str, message: str) -> None:
    with pytest.raises(trainyard.StorageError, match=message) as info:
        Engine.open(url)
    assert info.value.code == "storage"
    assert "s3cret" not in str(info.value), "the password never appears"


def test_open_sqlite_and_the_url_is_shown_without_a_password(tmp_path: Any) -> None:
    with Engine.open(f"sqlite://{tmp_path / 'r.db'}") as e:
        assert e.url.startswith("sqlite://") and e.url.endswith("r.db")
        assert e.list_processes() == []
    assert (tmp_path / "r.db").is_file()


def test_release_level_is_checked() -> None:
    assert Engine.in_memory(release_level="account").release_level == "account"
    with pytest.raises(trainyard.InvalidInputError, match="not a release level") as info:
        Engine.open("memory://", release_level="galaxy")
    assert info.value.problems[0].path == "release_level"


def test_organization_level_takes_org_scoped_releases_only() -> None:
    engine = Engine.in_memory(release_level="organization")
    assert engine.release_level == "organization" and "organization" in repr(engine)
    engine.register_process({"id": "p", "phases": [{"id": "a", "activities": [{"id": "b", "kind": "manual"}]}]})
    ops = Actor("olga", roles=["org_release_manager:payments"])
    r = engine.create_release("p", name="r", actor=ops, scope="org:payments")
    assert r.scope == "org:payments"
    with pytest.raises(trainyard.InvalidInputError) as info:
        engine.create_release("p", name="r", actor=RITA)  # scope "account" at the organization level
    assert [p.code for p in info.value.problems] == ["release_level_mismatch"]
    with pytest.raises(trainyard.PermissionDeniedError):
        engine.create_release("p", name="r", actor=ops, scope="org:billing")
    assert Engine.open("memory://", release_level="organization").release_level == "organization"


def test_clock_must_be_a_manual_clock() -> None:
    with pytest.raises(trainyard.InvalidInputError) as info:
        Engine.in_memory(clock=START)  # type: ignore[arg-type]
    assert only_problem(info)[:2] == ("clock", "wrong_type") and "ManualClock" in only_problem(info)[2]
    assert Engine.in_memory().now().tzinfo is not None


# ---- processes ----


def test_processes_register_version_and_read_back(engine: Engine) -> None:
    again = engine.register_process(WEEKLY)
    assert (again.id, again.version, again.warnings) == ("weekly", 1, [])
    changed = engine.register_process(WEEKLY.replace("not_before: 1d", "not_before: 2d"))
    assert changed.version == 2 and "version=2" in repr(changed)
    assert engine.get_process("weekly")["phases"][1]["not_before"] == "2d"
    assert engine.get_process("weekly", 1)["phases"][1]["not_before"] == "1d"
    with pytest.raises(trainyard.NotFoundError, match=r"registered: weekly \(v2\)"):
        engine.get_process("nope")
    assert engine.validate_process({"id": "child", "phases": [{"id": "p", "activities": [
        {"id": "a", "kind": "subprocess", "process": "weekly"}]}]}) == []


# ---- executors ----


def test_executor_gets_a_job_and_its_outputs_flow(engine: Engine, clock: ManualClock) -> None:
    seen: List[Job] = []

    def deploy(job: Job) -> Dict[str, Any]:
        seen.append(job)
        return {"url": "https://api.example"}

    engine.register_executor("deploy", deploy)
    r = new_release(engine)
    engine.activate(r.id, actor=RITA)
    assert engine.run_until_idle() >= 1
    (job,) = seen
    assert (job.release_id, job.phase_id, job.activity_id, job.attempt) == (r.id, "deploy", "rollout", 0)
    assert job.id == f"{r.id}/deploy/rollout/0" and job.executor == "deploy"
    assert job.inputs == {"service": "api"}
    assert job.deadline == START + timedelta(hours=1)
    assert "attempt=0" in repr(job)
    act = engine.get_release(r.id).phases["deploy"].activities["rollout"]
    assert act.status == "success" and act.outputs == {"url": "https://api.example"}
    assert act.job_inputs == {"service": "api"} and act.started_at == START and act.ended_at == START


def test_an_executor_exception_fails_the_activity_not_the_call(engine: Engine) -> None:
    def broken(job: Job) -> None:
        raise ValueError(f"cannot reach {job.inputs['service']}")

    engine.register_executor("deploy", broken)
    r = new_release(engine)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    act = engine.get_release(r.id).phases["deploy"].activities["rollout"]
    assert act.status == "on_hold"  # on_failure: hold (the default for automated activities)
    assert act.error == "ValueError: cannot reach api"
    failed = [e for e in engine.history(r.id) if e.kind == "activity_failed"]
    assert failed[0].data["message"] == "ValueError: cannot reach api"


def test_job_failed_sets_message_and_retryable(clock: ManualClock) -> None:
    engine = Engine.in_memory(clock=clock)
    attempts: List[int] = []

    def flaky(job: Job) -> None:
        attempts.append(job.attempt)
        raise trainyard.JobFailed("quota exceeded", retryable=False)

    engine.register_executor("x", flaky)
    engine.register_process({"id": "p", "phases": [{"id": "a", "activities": [
        {"id": "b", "kind": "automated", "executor": "x", "retry": {"max_attempts": 3}}]}]})
    r = engine.create_release("p", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    act = engine.get_release(r.id).phases["a"].activities["b"]
    assert attempts == [0], "a non-retryable failure is not retried automatically"
    assert (act.status, act.error) == ("on_hold", "quota exceeded")
    assert pickle.loads(pickle.dumps(trainyard.JobFailed("m", retryable=False))).retryable is False


@pytest.mark.parametrize(
    "result, message",
    [(42, "returned a int; return a dict of outputs, None, or trainyard.STARTED"),
     ({"when": START}, "returned outputs that are not JSON data: outputs.when: [wrong_type] cannot use a datetime")],
)
def test_a_bad_executor_result_fails_the_activity(engine: Engine, result: Any, message: str) -> None:
    engine.register_executor("deploy", lambda job: result)
    r = new_release(engine)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    act = engine.get_release(r.id).phases["deploy"].activities["rollout"]
    assert act.status == "on_hold" and act.error is not None and message in act.error


def test_started_then_complete_job(engine: Engine) -> None:
    handed: List[str] = []

    def later(job: Job) -> trainyard.Started:
        handed.append(job.id)
        return trainyard.STARTED

    engine.register_executor("deploy", later)
    r = new_release(engine)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    assert engine.get_release(r.id).phases["deploy"].activities["rollout"].status == "running"
    assert repr(trainyard.STARTED) == "trainyard.STARTED"
    with pytest.raises(trainyard.InvalidInputError, match="not both"):
        engine.complete_job(handed[0], outputs={"url": "u"}, error="e")
    engine.complete_job(handed[0], outputs={"url": "https://later.example"})
    act = engine.get_release(r.id).phases["deploy"].activities["rollout"]
    assert act.status == "success" and act.outputs["url"] == "https://later.example"
    with pytest.raises(trainyard.NotFoundError, match="job ids look like"):
        engine.complete_job("nonsense")


def test_queued_jobs_lists_what_tick_will_run(engine: Engine) -> None:
    r = new_release(engine)
    engine.activate(r.id, actor=RITA)
    (job,) = engine.queued_jobs()
    assert job.activity_id == "rollout"
    assert engine.tick() == 1 and engine.queued_jobs() == []


def test_register_executor_needs_a_callable(engine: Engine) -> None:
    with pytest.raises(trainyard.InvalidInputError) as info:
        engine.register_executor("deploy", "not callable")  # type: ignore[arg-type]
    assert only_problem(info)[:2] == ("fn", "wrong_type") and "must be callable" in only_problem(info)[2]


def test_keyboard_interrupt_in_an_executor_fails_the_job_and_is_raised_again(engine: Engine) -> None:
    def interrupted(job: Job) -> None:
        raise KeyboardInterrupt("stop")

    engine.register_executor("deploy", interrupted)
    r = new_release(engine)
    engine.activate(r.id, actor=RITA)
    with pytest.raises(KeyboardInterrupt):
        engine.run_until_idle()
    assert engine.get_release(r.id).phases["deploy"].activities["rollout"].error == "KeyboardInterrupt: stop"
    assert engine.tick() == 0  # nothing left over


# ---- releases ----


def test_a_release_from_draft_to_success(engine: Engine, clock: ManualClock) -> None:
    r = engine.create_release("weekly", name="Week 15", actor=RITA, inputs={"service": "api"},
                              kind="system", owners=["rita", "sam"])
    assert (r.status, r.kind, r.scope, r.process_id, r.process_version) == ("draft", "system", "account", "weekly", 1)
    assert r.inputs == {"service": "api"} and r.owners == ["rita", "sam"] and r.created_at == START
    assert (r.attempt, r.archived, r.rolled_back, r.started_at, r.ended_at) == (0, False, False, None, None)
    assert list(r.phases) == ["deploy", "signoff"] and r.phases["deploy"].name == "Deploy"
    assert r.phases["signoff"].activities["qa"].kind == "approval"
    assert repr(r) == f"Release(id='{r.id}', name='Week 15', status='draft', kind='system', process='weekly', version=1, attempt=0)"

    events = engine.schedule(r.id, start=START + timedelta(hours=1), end=START + timedelta(days=2), actor=RITA)
    assert [e.kind for e in events] == ["scheduled"]
    s = engine.get_release(r.id)
    assert s.status == "scheduled" and s.scheduled_by == "rita" and s.schedule is not None
    assert (s.schedule.start, s.schedule.end, s.schedule.auto_start) == (
        START + timedelta(hours=1), START + timedelta(days=2), True)
    clock.advance(timedelta(hours=1))
    engine.run_until_idle()
    assert engine.get_release(r.id).status == "running"  # auto-activated; signoff waits for not_before
    clock.advance(timedelta(days=1))
    engine.run_until_idle()
    assert engine.get_release(r.id).status == "on_hold"
    engine.approve(r.id, "signoff", "qa", actor=QUINN, comment="looks good")
    done = engine.get_release(r.id)
    assert done.status == "success" and done.ended_at == START + timedelta(days=1, hours=1)
    (approval,) = done.phases["signoff"].activities["qa"].approvals
    assert (approval.approver, approval.approved, approval.at, approval.comment) == (
        "quinn", True, clock.now(), "looks good")
    history = engine.history(r.id)
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    recorded = next(e for e in history if e.kind == "approval_recorded")
    assert (recorded.actor, recorded.comment, recorded.data["approver"]) == ("quinn", "looks good", "quinn")
    assert "approval_recorded" in repr(recorded)
    engine.archive(r.id, actor=RITA)
    assert engine.get_release(r.id).archived


def test_update_pause_resume_abort_restart_delete(engine: Engine) -> None:
    engine.register_executor("deploy", lambda job: trainyard.STARTED)
    r = new_release(engine)
    engine.update_release(r.id, actor=RITA, name="Week 16", inputs={"service": "web"})
    assert (engine.get_release(r.id).name, engine.get_release(r.id).inputs) == ("Week 16", {"service": "web"})
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    engine.pause(r.id, actor=RITA)
    assert engine.get_release(r.id).paused and engine.get_release(r.id).status == "on_hold"
    engine.resume(r.id, actor=RITA)
    events = engine.abort(r.id, actor=RITA, reason="wrong build")
    assert events[0].comment == "wrong build"
    assert engine.get_release(r.id).status == "aborted"
    engine.restart(r.id, actor=RITA)
    assert engine.get_release(r.id).attempt == 1
    other = new_release(engine)
    engine.delete_release(other.id, actor=RITA)
    assert other.id not in [x.id for x in engine.list_releases()]
    with pytest.raises(trainyard.NotFoundError):
        engine.history(other.id)


def test_hold_decisions_retry_ignore_fail_and_skip(clock: ManualClock) -> None:
    engine = Engine.in_memory(clock=clock)
    calls: Dict[str, int] = {}

    def fails_first(job: Job) -> Dict[str, Any]:
        calls[job.activity_id] = calls.get(job.activity_id, 0) + 1
        if job.attempt == 0:
            raise RuntimeError("flaky")
        return {"region": job.inputs.get("region")}

    engine.register_executor("x", fails_first)
    engine.register_process({"id": "p", "phases": [{"id": "a", "activities": [
        {"id": "r", "kind": "automated", "executor": "x", "with": {"region": "us"}},
        {"id": "i", "kind": "automated", "executor": "x"},
        {"id": "f", "kind": "automated", "executor": "x"},
        {"id": "later", "kind": "manual", "depends_on": ["f"], "fields": [{"name": "ok", "type": "boolean"}]},
        {"id": "s", "kind": "manual", "depends_on": ["later"]},
    ]}], "rollback": []})
    r = engine.create_release("p", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    engine.run_until_idle()
    engine.retry(r.id, "a", "r", actor=RITA, inputs={"region": "eu"}, reason="fix region")
    engine.ignore(r.id, "a", "i", actor=RITA, outputs={"region": "none"}, reason="not needed")
    engine.fail(r.id, "a", "f", actor=RITA, reason="give up")
    engine.run_until_idle()
    acts = engine.get_release(r.id).phases["a"].activities
    assert (acts["r"].status, acts["r"].attempt, acts["r"].outputs) == ("success", 1, {"region": "eu"})
    assert (acts["i"].status, acts["i"].outputs) == ("ignored", {"region": "none"})
    assert acts["f"].status == "failed"
    assert acts["later"].status == "skipped" and acts["later"].skip_reason == "upstream_failed"


def test_manual_activity_and_skip(clock: ManualClock) -> None:
    engine = Engine.in_memory(clock=clock)
    engine.register_process({"id": "m", "phases": [{"id": "a", "activities": [
        {"id": "notes", "kind": "manual", "fields": [{"name": "ticket", "type": "string", "required": True}]},
        {"id": "extra", "kind": "manual", "depends_on": ["notes"]},
    ]}]})
    r = engine.create_release("m", name="r", actor=RITA)
    engine.activate(r.id, actor=RITA)
    engine.skip(r.id, "a", "extra", actor=RITA, reason="not this week")
    with pytest.raises(trainyard.InvalidInputError) as info:
        engine.complete_manual(r.id, "a", "notes", actor=RITA, values={"ticket": 7})
    assert [p.path for p in info.value.problems] and all(isinstance(p, trainyard.Problem) for p in info.value.problems)
    engine.complete_manual(r.id, "a", "notes", actor=RITA, values={"ticket": "CHG-1"})
    s = engine.get_release(r.id)
    assert s.phases["a"].activities["notes"].outputs == {"ticket": "CHG-1"}
    assert s.phases["a"].activities["extra"].skip_reason == "manual" and s.status == "success"


def test_list_releases_filters(engine: Engine) -> None:
    a = new_release(engine)
    b = engine.create_release("weekly", name="hotfix", actor=RITA, inputs={"service": "x"}, kind="hotfix")
    engine.activate(b.id, actor=RITA)
    assert [r.id for r in engine.list_releases()] == [a.id, b.id]
    assert [r.id for r in engine.list_releases(status="draft")] == [a.id]
    assert [r.id for r in engine.list_releases(kind="hotfix", actor=RITA)] == [b.id]
    assert engine.list_releases(group="none") == [] and len(engine.list_releases(scope="account")) == 2
    with pytest.raises(trainyard.InvalidInputError, match="expected one of: draft"):
        engine.list_releases(status="finished")
    with pytest.raises(trainyard.InvalidInputError, match="not a release kind"):
        engine.create_release("weekly", name="x", actor=RITA, kind="urgent")


def test_an_unknown_input_set_is_not_found(engine: Engine) -> None:
    with pytest.raises(trainyard.NotFoundError, match="input set `weekly/defaults`"):
        engine.create_release("weekly", name="x", actor=RITA, input_set="defaults")


def test_snapshots_are_read_only_and_readable(engine: Engine) -> None:
    r = new_release(engine)
    with pytest.raises(AttributeError):
        r.status = "success"  # type: ignore[misc]
    phase = r.phases["deploy"]
    assert repr(phase) == "Phase(id='deploy', status='pending', activities=1)"
    assert repr(phase.activities["rollout"]) == "Activity(id='rollout', kind='automated', status='pending', attempt=0)"
    assert repr(engine) == "Engine(url='memory://', release_level='account')"
    assert repr(engine.list_processes()[0]) == "ProcessInfo(id='weekly', version=1, warnings=0)"
    assert repr(engine.history(r.id)[0]) == "Event(seq=1, at=2025-04-07T09:00:00Z, actor='rita', kind='created')"
    assert phase.rollback is False and phase.variables == {} and phase.started_at is None


# ---- threads ----


def test_several_python_threads_drive_one_engine(clock: ManualClock) -> None:
    engine = Engine.in_memory(clock=clock)
    ran: List[str] = []
    lock = threading.Lock()

    def build(job: Job) -> Dict[str, Any]:
        with lock:
            ran.append(job.release_id)
        return {"n": job.inputs["n"]}

    engine.register_executor("build", build)
    engine.register_process({"id": "t", "inputs": {"n": {"type": "number"}}, "phases": [
        {"id": "b", "activities": [{"id": "c", "kind": "automated", "executor": "build", "with": {"n": "${ inputs.n }"}, "outputs": ["n"]}]},
        {"id": "ok", "depends_on": ["b"], "activities": [{"id": "qa", "kind": "approval", "approvers": [{"group": "qa"}]}]},
    ]})
    errors: List[BaseException] = []
    ids: List[str] = []

    def worker(w: int) -> None:
        try:
            for i in range(10):
                r = engine.create_release("t", name=f"w{w}-{i}", actor=RITA, inputs={"n": w * 100 + i})
                with lock:
                    ids.append(r.id)
                engine.activate(r.id, actor=RITA)
                engine.run_until_idle()
                engine.tick()
                engine.list_releases()
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine.run_until_idle()
    assert sorted(ran) == sorted(ids) and len(ids) == 60, "each job ran exactly once"
    for rid in ids:
        r = engine.get_release(rid)
        assert r.status == "on_hold" and r.phases["b"].activities["c"].outputs["n"] == r.inputs["n"]
    approvers = [threading.Thread(target=engine.approve, args=(rid, "ok", "qa"), kwargs={"actor": QUINN}) for rid in ids]
    for t in approvers:
        t.start()
    for t in approvers:
        t.join()
    assert {engine.get_release(rid).status for rid in ids} == {"success"}


def test_executors_run_while_other_threads_hold_no_lock(clock: ManualClock) -> None:
    """An executor that waits for another Python thread only finishes if the engine call released
    the GIL (it would deadlock otherwise)."""
    engine = Engine.in_memory(clock=clock)
    go = threading.Event()
    helper_ran = threading.Event()

    def helper() -> None:
        go.wait(5)
        helper_ran.set()

    def waits(job: Job) -> Optional[Dict[str, Any]]:
        go.set()
        assert helper_ran.wait(5), "the helper thread never ran while the executor waited"
        return None

    engine.register_executor("w", waits)
    engine.register_process({"id": "g", "phases": [{"id": "a", "activities": [{"id": "b", "kind": "automated", "executor": "w"}]}]})
    r = engine.create_release("g", name="g", actor=RITA)
    engine.activate(r.id, actor=RITA)
    t = threading.Thread(target=helper)
    t.start()
    engine.run_until_idle()
    t.join()
    assert engine.get_release(r.id).status == "success"
