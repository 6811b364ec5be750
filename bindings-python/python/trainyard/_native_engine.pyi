"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). The ``Engine`` class."""

import os
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union, final

from ._feed import AsyncWatch
from ._native_common import Actor, ManualClock, Problem, _Cursor, _Duration, _Names
from ._native_jobs import Job, JobRecord, Notification, Started
from ._native_views import Event, InboxItem, InputSet, Lock, ProcessInfo, Release, SearchPage
from ._native_calendar import CalendarEntry, Conflict
from ._native_doctor import DoctorReport, RepairReport
from ._native_ledger import LedgerEntry
from ._native_forecast import Forecast
from ._native_report import Report
from ._native_feed import DeadLetter, FeedFilter, FeedPage, ReplayReport, RetryPolicy, RunReport, Watch

@final
class Engine:
    """The release-orchestration engine: ``Engine.in_memory()`` or ``Engine.open(url)``; a context
    manager (closed on exit); safe to share between threads (every call releases the GIL).

    Every argument is checked before the engine sees it: a value of the wrong type (``bytes`` for
    text, ``"rita"`` for an ``Actor``, ``1`` for a flag), ``nan``/``inf``, an ``int`` outside
    ``-2**63 <= n < 2**63``, a ``str`` with a lone surrogate, or lists/dicts nested deeper than
    128 levels or containing themselves raise ``InvalidInputError`` whose ``problems`` name each bad
    value's path (``inputs.a.b[2]``) and say what would be valid; in a definition, a release group
    or a freeze the same is a ``ValidationError``. Durations are a ``timedelta`` or a duration
    string (``"30m"``, ``"1d 12h"``); times are tz-aware ``datetime``s (returned in UTC).
    """

    @staticmethod
    def in_memory(*, clock: Optional[ManualClock] = None, release_level: str = "account") -> "Engine":
        """An engine with an in-memory store. ``clock``: a ``ManualClock``, or ``None`` for the
        system clock; ``release_level``: ``"account"`` or ``"organization"``."""
    @staticmethod
    def open(url: str, *, release_level: str = "account", clock: Optional[ManualClock] = None) -> "Engine":
        """An engine on the store named by ``url``: ``memory://``, ``sqlite://path``,
        ``postgres://user[:password]@host[:port]/db[?schema=NAME]``. ``StorageError`` for a bad
        URL or an unreachable database."""
    @property
    def url(self) -> str:
        """The storage URL, without its password."""
    @property
    def release_level(self) -> str:
        """The release level: ``"account"`` or ``"organization"``."""
    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
    def now(self) -> datetime:
        """The engine's current time (tz-aware, UTC)."""
    def close(self) -> None:
        """Closes the engine; later calls raise ``StorageError``. Closing twice is harmless."""
    def __enter__(self) -> "Engine": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None: ...
    # processes
    def register_process(
        self, definition: Union[str, Dict[str, Any]], *, actor: Optional[Actor] = None, scope: Optional[str] = None
    ) -> ProcessInfo:
        """Validates and registers a process definition (YAML/JSON text or a dict); a changed one
        gets version n+1, the same one again keeps its version. ``ValidationError`` lists every
        problem. With ``actor``: a release manager of the process's scope (fixed by its first
        registration; ``PermissionDeniedError`` otherwise); without, the application acts as the
        engine."""
    def validate_process(self, definition: Union[str, Dict[str, Any]]) -> List[Problem]:
        """Validates a definition against the registered processes (subprocess references
        resolve); returns its warnings, raises ``ValidationError`` on errors."""
    def get_process(self, process_id: str, version: Optional[int] = None) -> Dict[str, Any]:
        """A registered process as a dict (latest version, or ``version``); ``NotFoundError``."""
    def list_processes(self) -> List[ProcessInfo]:
        """Every registered process with its latest version."""
    # executors and jobs
    def register_executor(self, name: str, fn: Callable[[Job], Union[Dict[str, Any], None, Started]]) -> None:
        """Registers ``fn(job) -> dict | None | STARTED`` as the in-process executor ``name``.
        Raising fails the attempt with ``"<ExceptionType>: <message>"`` (``JobFailed`` sets the
        exact message and whether it is retryable)."""
    def register_command_executor(
        self, name: str = "command", *, base_dir: Optional[Union[str, "os.PathLike[str]"]] = None
    ) -> None:
        """Registers the built-in ``command`` executor (runs ``with.argv``; outputs from
        ``$TRAINYARD_OUTPUT``) under ``name``; ``with.cwd`` is relative to ``base_dir``."""
    def claim_jobs(
        self,
        executors: Sequence[str],
        *,
        worker: str,
        limit: int = 10,
        lease: Optional[_Duration] = None,
    ) -> List[Job]:
        """Claims up to ``limit`` queued jobs of ``executors`` for ``worker`` for ``lease``
        (default 5 minutes); each job has a ``lease_token``."""
    def heartbeat(self, job_id: str, lease_token: str) -> datetime:
        """Extends a claimed job's lease; returns its new end. ``ConflictError`` for a stale token."""
    def complete_job(
        self,
        job_id: str,
        lease_token: Optional[str] = None,
        *,
        outputs: Optional[Dict[str, Any]] = None,
        error: Optional[str] = None,
        retryable: bool = True,
    ) -> None:
        """Reports a job's outcome: ``outputs`` (success) or ``error`` (failure), with its
        ``lease_token`` when it was claimed."""
    def queued_jobs(self) -> List[Job]:
        """Jobs queued for in-process executors and not yet run."""
    def list_jobs(self) -> List[JobRecord]:
        """Every job in the store with its lease, oldest first."""
    # notifications and secrets
    def subscribe(self, fn: Callable[[Notification], object]) -> None:
        """Calls ``fn(notification)`` after every commit that notifies someone; its exceptions are
        logged and counted, never raised."""
    def notification_failures(self) -> int:
        """How many notification deliveries failed so far."""
    # the change feed
    def changes(
        self,
        after: Optional[_Cursor] = None,
        filter: Optional[FeedFilter] = None,
        limit: int = 100,
        *,
        actor: Optional[Actor] = None,
    ) -> FeedPage:
        """The feed entries after ``after`` (``None``: the start) that pass ``filter``, at most
        ``limit`` (1 to 1000); with ``actor``, only releases in scopes they may read."""
    def feed_head(self) -> int:
        """The cursor of the last readable entry (0 for an empty feed)."""
    def watch(
        self,
        after: Optional[_Cursor] = None,
        filter: Optional[FeedFilter] = None,
        timeout: Optional[_Duration] = None,
    ) -> Watch:
        """A blocking iterator of the entries after ``after`` that pass ``filter``, woken by
        commits of any process on the store; each step waits at most ``timeout`` (``None``: for
        ever) and ends the iteration when none came. ``KeyboardInterrupt`` gets through within
        100 ms."""
    def watch_async(
        self,
        after: Optional[_Cursor] = None,
        filter: Optional[FeedFilter] = None,
        timeout: Optional[_Duration] = None,
    ) -> AsyncWatch:
        """``watch`` as an asyncio async iterator (``async for entry in ...``)."""
    def consume(self, consumer: str, filter: Optional[FeedFilter] = None, limit: int = 100) -> FeedPage:
        """The entries after the named consumer's stored cursor (at least once: ``ack`` them)."""
    def ack(self, consumer: str, cursor: _Cursor) -> None:
        """Stores that ``consumer`` handled everything up to ``cursor`` (an older cursor is ignored)."""
    def consumer_cursor(self, consumer: str) -> int:
        """The named consumer's stored cursor (0 for a new consumer)."""
    def subscribe_durable(
        self, consumer: str, fn: Callable[[Notification], object], *, filter: Optional[FeedFilter] = None
    ) -> None:
        """Calls ``fn(notification)`` for the notifications of every commit of any process on the
        store, from the feed under the consumer name ``consumer``: at least once, resuming after a
        restart. Deliveries run in ``tick()`` / ``run_sinks()``; an exception makes them come again."""
    # sinks
    def add_webhook_sink(
        self,
        name: str,
        url: str,
        secret: str,
        *,
        filter: Optional[FeedFilter] = None,
        connect_timeout: _Duration = "5s",
        timeout: _Duration = "10s",
        retry: Optional[RetryPolicy] = None,
        batch: int = 100,
    ) -> None:
        """Adds a webhook sink: each entry POSTed as JSON to ``url``, signed (HMAC-SHA256 of the
        body keyed with ``secret``, in ``X-Trainyard-Signature``), retried with backoff, then
        dead-lettered."""
    def add_nats_sink(
        self,
        name: str,
        url: str,
        *,
        subject_prefix: str = "trainyard",
        create_stream: Optional[str] = None,
        filter: Optional[FeedFilter] = None,
        connect_timeout: _Duration = "5s",
        ack_timeout: _Duration = "5s",
        retry: Optional[RetryPolicy] = None,
        batch: int = 100,
    ) -> None:
        """Adds a NATS JetStream sink publishing each entry to
        ``<subject_prefix>.<scope>.<release_kind>.<status_after>``."""
    def run_sinks(self) -> List[RunReport]:
        """Delivers what is due to every sink and durable subscriber now; one report per sink."""
    def dead_letters(self, sink: str) -> List[DeadLetter]:
        """The sink's dead letters, oldest entry first."""
    def replay_dead_letters(self, sink: str) -> ReplayReport:
        """Delivers the sink's dead letters again, removing each one delivered."""
    # metrics
    def metrics(self) -> Dict[str, Any]:
        """The engine's metrics: counters (``commands``, ``conflicts_retried``, ``timers_fired``,
        ``jobs_claimed``, ``lease_expiries``), histograms (``command_latency``, ``timer_lag``,
        ``feed_lag``, ``notification_lag``: ``count``, ``sum_seconds``, ``buckets``) and
        ``queue_depth`` (executor -> jobs in the store)."""
    def prometheus_text(self) -> str:
        """The engine's metrics in the Prometheus text exposition format."""
    # the doctor
    def doctor(self) -> DoctorReport:
        """Checks every release that has not ended: whether it has a due timer, a queued or leased
        job, a child release or a named person who can act, and why not. Reads only."""
    def repair(self, release_ids: Optional[Sequence[str]] = None) -> RepairReport:
        """Derives the timers and jobs of ``release_ids`` (of every release the doctor finds a
        repairable problem with, when ``None``) again from their events and writes what is missing."""
    def set_secret_resolver(self, resolver: Union[Mapping[str, str], Callable[[str], str]]) -> None:
        """Where ``secret://name`` references are resolved: a dict name -> value, or
        ``fn(name) -> str``. Resolved values reach only executors (never events, errors,
        notifications or log records)."""
    # driving
    def tick(self) -> int:
        """Fires due timers and runs queued jobs; returns how many it handled."""
    def run_until_idle(self, max_steps: int = 10000) -> int:
        """Ticks until nothing is left to do at the current time; returns how many were handled."""
    # releases
    def create_release(
        self,
        process_id: str,
        *,
        name: str,
        actor: Actor,
        inputs: Optional[Dict[str, Any]] = None,
        input_set: Optional[str] = None,
        kind: str = "standard",
        scope: str = "account",
        owners: Optional[Sequence[str]] = None,
        release_managers: Optional[Sequence[str]] = None,
        stakeholders: Optional[Sequence[str]] = None,
        labels: Optional[Mapping[str, str]] = None,
        description: Optional[str] = None,
        version: Optional[str] = None,
        links: Optional[Sequence[Mapping[str, Optional[str]]]] = None,
    ) -> Release:
        """Creates a draft release of the latest version of ``process_id``: inputs are the
        defaults, then the input set's values, then ``inputs``."""
    def update_release(
        self,
        release_id: str,
        *,
        actor: Actor,
        name: Optional[str] = None,
        inputs: Optional[Dict[str, Any]] = None,
        owners: Optional[Sequence[str]] = None,
        release_managers: Optional[Sequence[str]] = None,
        stakeholders: Optional[Sequence[str]] = None,
        process: Optional[str] = None,
        process_version: Optional[int] = None,
        kind: Optional[str] = None,
        scope: Optional[str] = None,
        start: Optional[datetime] = None,
        end: Optional[datetime] = None,
        labels: Optional[Mapping[str, Optional[str]]] = None,
        description: Optional[str] = None,
        version: Optional[str] = None,
        links: Optional[Sequence[Mapping[str, Optional[str]]]] = None,
        reason: Optional[str] = None,
    ) -> List[Event]:
        """Changes a release that has not started: a draft anything (inputs merged; ``None``
        removes one; the inputs are checked again against a new process), a scheduled release
        all but ``process``, ``process_version``, ``kind`` and ``scope``; ``labels`` (merged),
        ``description``, ``version`` (the release's; ``""`` clears one) and ``links`` are its
        metadata. ``reason`` is recorded."""
    def schedule(
        self,
        release_id: str,
        *,
        start: datetime,
        actor: Actor,
        end: Optional[datetime] = None,
        auto_start: bool = True,
    ) -> List[Event]:
        """Schedules (or reschedules) a release; validates and locks its inputs. With
        ``auto_start`` the clock activates it at ``start``."""
    def activate(self, release_id: str, *, actor: Actor, force: bool = False) -> List[Event]:
        """Activates a release now (early: pre-execution); ``force`` overrides a freeze."""
    def pause(self, release_id: str, *, actor: Actor) -> List[Event]:
        """Pauses a release: nothing new starts until ``resume``."""
    def resume(self, release_id: str, *, actor: Actor) -> List[Event]:
        """Lets a paused release progress again."""
    def abort(self, release_id: str, *, actor: Actor, reason: str) -> List[Event]:
        """Aborts a release, recording ``reason``."""
    def restart(self, release_id: str, *, actor: Actor) -> List[Event]:
        """Restarts a failed or aborted release."""
    def archive(self, release_id: str, *, actor: Actor) -> List[Event]:
        """Archives a release that has ended."""
    def delete_release(self, release_id: str, *, actor: Actor) -> List[Event]:
        """Deletes a release, following the retention rules."""
    def approve(
        self, release_id: str, phase_id: str, activity_id: str, *, actor: Actor, comment: Optional[str] = None
    ) -> List[Event]:
        """Approves an approval activity (only listed approvers may)."""
    def reject(
        self, release_id: str, phase_id: str, activity_id: str, *, actor: Actor, comment: Optional[str] = None
    ) -> List[Event]:
        """Rejects an approval activity: it fails."""
    def complete_manual(
        self, release_id: str, phase_id: str, activity_id: str, *, actor: Actor, values: Dict[str, Any]
    ) -> List[Event]:
        """Completes a manual activity with its field values."""
    def retry(
        self,
        release_id: str,
        phase_id: str,
        activity_id: str,
        *,
        actor: Actor,
        inputs: Optional[Dict[str, Any]] = None,
        reason: Optional[str] = None,
    ) -> List[Event]:
        """Retries an on_hold activity, optionally with changed ``with`` values (merged name by
        name; a name its ``with`` does not have is refused)."""
    def ignore(
        self,
        release_id: str,
        phase_id: str,
        activity_id: str,
        *,
        actor: Actor,
        outputs: Optional[Dict[str, Any]] = None,
        reason: Optional[str] = None,
    ) -> List[Event]:
        """Ignores an on_hold activity, optionally supplying its outputs."""
    def fail(
        self, release_id: str, phase_id: str, activity_id: str, *, actor: Actor, reason: Optional[str] = None
    ) -> List[Event]:
        """Fails an on_hold activity for good."""
    def skip(self, release_id: str, phase_id: str, activity_id: str, *, actor: Actor, reason: str) -> List[Event]:
        """Skips a pending activity, or a gate that waits (``reason`` must not be blank then)."""
    # amending a running release (each with a required reason; dry_run: the events it would append)
    def rewind(
        self,
        release_id: str,
        phase_id: str,
        activity_id: Optional[str] = None,
        *,
        actor: Actor,
        reason: str,
        inputs: Optional[Dict[str, Any]] = None,
        dry_run: bool = False,
    ) -> List[Event]:
        """Runs a phase (or an activity) again with everything downstream of it, optionally with
        new release inputs; in-flight work among the nodes reset is cancelled."""
    def insert_activity(
        self,
        release_id: str,
        phase_id: str,
        definition: Dict[str, Any],
        *,
        actor: Actor,
        reason: str,
        after: Optional[str] = None,
        dry_run: bool = False,
    ) -> List[Event]:
        """Adds an ad-hoc activity to a phase that has not finished (validated like a process)."""
    def reassign(
        self,
        release_id: str,
        phase_id: str,
        activity_id: str,
        approvers: List[Dict[str, str]],
        *,
        actor: Actor,
        reason: str,
        dry_run: bool = False,
    ) -> List[Event]:
        """Replaces who may approve (a manual activity: complete) an activity that has not ended."""
    def delegate(
        self,
        release_id: str,
        phase_id: str,
        activity_id: str,
        *,
        from_user: str,
        to_user: str,
        actor: Actor,
        reason: str,
        dry_run: bool = False,
    ) -> List[Event]:
        """Hands the approval entries naming ``from_user`` to ``to_user``."""
    def reschedule_phase(
        self,
        release_id: str,
        phase_id: str,
        not_before: datetime,
        *,
        actor: Actor,
        reason: str,
        dry_run: bool = False,
    ) -> List[Event]:
        """Sets the earliest start of a phase that has not started."""
    # reading
    def get_release(self, release_id: str, *, actor: Optional[Actor] = None) -> Release:
        """The current state of a release (with ``actor``: only if they may read it)."""
    def list_releases(
        self,
        *,
        actor: Optional[Actor] = None,
        status: Optional[str] = None,
        kind: Optional[str] = None,
        group: Optional[str] = None,
        scope: Optional[str] = None,
        include_archived: bool = False,
    ) -> List[Release]:
        """Releases matching every filter given, oldest first: ``status``, ``kind`` (snake_case),
        ``group`` (release group id), ``scope``; archived ones only with ``include_archived``;
        with ``actor``, only those they may read."""
    def history(self, release_id: str, *, actor: Optional[Actor] = None) -> List[Event]:
        """The release's events, oldest first (with ``actor``: only if they may read it)."""
    # the inbox
    def inbox(self, actor: Actor, limit: int = 100) -> List[InboxItem]:
        """The approvals, manual activities and failure decisions ``actor`` may act on, oldest
        first, each with why (or why not)."""
    def deployed(
        self, environment: Optional[str] = None, service: Optional[str] = None, *, actor: Optional[Actor] = None
    ) -> List[LedgerEntry]:
        """What is deployed now: the current ledger entry of every service in every environment
        (or only of ``environment`` and ``service``), sorted by service, then environment. With
        ``actor``, only entries whose release they may read."""
    def deployments(
        self, service: str, environment: str, limit: int = 100, *, actor: Optional[Actor] = None
    ) -> List[LedgerEntry]:
        """The history of ``service`` in ``environment``, newest first, rollbacks included. With
        ``actor``, only entries whose release they may read."""
    def locks(self, names: Optional[Sequence[str]] = None, *, actor: Optional[Actor] = None) -> List[Lock]:
        """Who holds and who waits for the locks ``names`` (every lock when ``None``): one ``Lock``
        per release and declaring node, sorted by lock name, then in queue order (higher
        ``priority`` first, then the oldest request). With ``actor``, only the rows of releases
        they may read."""
    def forecast(self, release_id: str, *, actor: Optional[Actor] = None) -> Forecast:
        """The release's expected end at the engine's time, from actual ends, history medians and
        planned durations along the critical path (with ``actor``: only if they may read it)."""
    # reports
    def report(
        self,
        from_: datetime,
        to: datetime,
        group: Optional[str] = None,
        hotfix_window: Optional[_Duration] = None,
        commit_time_input: Optional[str] = None,
        actor: Optional[Actor] = None,
    ) -> Report:
        """The report of the releases that ended in ``[from_, to)`` (of ``group`` when given):
        planned against actual per phase and activity, approval waits, decisions with their
        reasons and the DORA figures. ``hotfix_window`` defaults to two days,
        ``commit_time_input`` to ``commit_time``. With ``actor``, only the releases they may
        read count."""
    def report_csv(
        self,
        from_: datetime,
        to: datetime,
        table: str,
        group: Optional[str] = None,
        hotfix_window: Optional[_Duration] = None,
        commit_time_input: Optional[str] = None,
        actor: Optional[Actor] = None,
    ) -> str:
        """One table of the report (``releases``, ``phases``, ``activities``, ``approvals``,
        ``decisions`` or ``dora``) as CSV, its header first."""
    def report_xlsx(
        self,
        from_: datetime,
        to: datetime,
        group: Optional[str] = None,
        hotfix_window: Optional[_Duration] = None,
        commit_time_input: Optional[str] = None,
        actor: Optional[Actor] = None,
    ) -> bytes:
        """The report as an xlsx workbook: a sheet per table, times as Excel dates (UTC)."""
    def search(
        self,
        filter: Optional[Mapping[str, Any]] = None,
        sort: str = "created_at desc",
        cursor: Optional[str] = None,
        page_size: int = 50,
    ) -> SearchPage:
        """Releases matching ``filter`` in ``sort`` order, a page at a time (keyset cursors)."""
    # input sets
    def save_input_set(
        self, process_id: str, name: str, values: Dict[str, Any], *, actor: Actor, scope: Optional[str] = None
    ) -> int:
        """Saves a named input set of a process at ``scope`` (default ``"account"``, shared
        read-only with every org); returns its version. Needs a release manager of ``scope``."""
    def get_input_set(
        self, process_id: str, name: str, version: Optional[int] = None, *, scope: Optional[str] = None
    ) -> InputSet:
        """An input set as a release at ``scope`` sees it (the scope's own, else the account's)."""
    def list_input_sets(self, process_id: str, *, scope: Optional[str] = None) -> List[Tuple[str, int]]:
        """The input sets a release at ``scope`` can use: ``(name, latest version)`` pairs."""
    # retention
    def set_retention(self, *, archive_after: Optional[_Duration] = None, automatic: Optional[bool] = None) -> None:
        """Sets how long ended releases are kept before retention archives them, and whether
        ``tick`` applies retention itself once per day of engine time (``automatic``, default on)."""
    def apply_retention(self, now: Optional[datetime] = None, *, actor: Optional[Actor] = None) -> List[str]:
        """Archives terminal releases older than the retention period; returns their ids. With
        ``actor``: an account release manager (``PermissionDeniedError`` otherwise)."""
    # time: release groups, freezes
    def create_release_group(
        self,
        *,
        id: str,
        name: str,
        process: str,
        cadence: Union[str, Dict[str, Any]],
        duration: _Duration,
        starts_on: Union[str, date, datetime],
        actor: Actor,
        timezone: str = "UTC",
        ends_on: Union[str, date, datetime, None] = None,
        name_template: Optional[str] = None,
        input_set: Optional[str] = None,
        inputs: Optional[Dict[str, Any]] = None,
        kind: str = "standard",
        auto_start: bool = True,
        scope: str = "account",
        owners: Optional[Sequence[str]] = None,
        overlap: Union[str, Dict[str, int]] = "allow",
        catch_up: str = "latest",
    ) -> Dict[str, Any]:
        """Creates a release group (an RRULE or friendly ``cadence`` in ``timezone``) and its
        scheduled releases up to the horizon; returns the group as a dict."""
    def update_release_group(
        self,
        *,
        id: str,
        name: str,
        process: str,
        cadence: Union[str, Dict[str, Any]],
        duration: _Duration,
        starts_on: Union[str, date, datetime],
        actor: Actor,
        timezone: str = "UTC",
        ends_on: Union[str, date, datetime, None] = None,
        name_template: Optional[str] = None,
        input_set: Optional[str] = None,
        inputs: Optional[Dict[str, Any]] = None,
        kind: str = "standard",
        auto_start: bool = True,
        scope: str = "account",
        owners: Optional[Sequence[str]] = None,
        overlap: Union[str, Dict[str, int]] = "allow",
        catch_up: str = "latest",
    ) -> Dict[str, List[str]]:
        """Replaces a release group; returns the release ids ``created``, ``rescheduled`` and
        ``deleted``."""
    def get_release_group(self, id: str) -> Dict[str, Any]:
        """A release group as a dict."""
    def list_release_groups(self) -> List[Dict[str, Any]]:
        """Every release group, by id."""
    def delete_release_group(self, id: str, *, actor: Actor) -> List[str]:
        """Deletes a release group and its not-started releases (returns their ids)."""
    def pause_release_group(self, id: str, *, actor: Actor, reason: Optional[str] = None) -> None:
        """Pauses a release group: none of its occurrences starts until it is resumed."""
    def resume_release_group(self, id: str, *, actor: Actor, reason: Optional[str] = None) -> None:
        """Resumes a paused release group; its catch-up policy decides about what became due."""
    def release_group_paused(self, id: str) -> bool:
        """Whether a release group is paused."""
    def trigger_release_group(self, id: str, *, actor: Actor, force: bool = False) -> str:
        """Activates the group's next not-started occurrence now; returns its release id."""
    def set_horizon(self, horizon: _Duration) -> None:
        """Sets how far ahead release groups create their releases (default 90 days)."""
    def horizon(self) -> timedelta:
        """How far ahead release groups create their releases."""
    def add_freeze(
        self,
        *,
        name: str,
        start: Union[str, datetime],
        end: Union[str, datetime, None],
        actor: Actor,
        environments: Sequence[str] = (),
        services: Sequence[str] = (),
        recurrence: Optional[Dict[str, Any]] = None,
        id: Optional[str] = None,
        reason: Optional[str] = None,
        mode: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Adds a freeze window (account release managers only); ``recurrence`` is ``{"cadence":
        …, "timezone": … (default ``"UTC"``), "duration": …}``. ``mode`` is ``"block"`` (default:
        nothing it covers runs inside its windows) or ``"allow"`` (what it covers runs only inside
        them). The dict always has ``"mode"``, the effective mode."""
    def list_freezes(self) -> List[Dict[str, Any]]:
        """Every freeze (each dict with its effective ``"mode"``: ``"block"`` or ``"allow"``)."""
    def delete_freeze(self, id: str, *, actor: Actor) -> None:
        """Deletes a freeze."""
    # time: the calendar
    def calendar(
        self,
        start: datetime,
        end: datetime,
        *,
        statuses: Optional[_Names] = None,
        kinds: Optional[_Names] = None,
        groups: Optional[_Names] = None,
        scopes: Optional[_Names] = None,
        services: Optional[_Names] = None,
        environments: Optional[_Names] = None,
        include_archived: Optional[bool] = None,
        actor: Optional[Actor] = None,
    ) -> List[CalendarEntry]:
        """The releases on the calendar in ``[start, end)``, by start. Each filter given must pass
        (a release passes a list when its value is in it); archived releases only with
        ``include_archived``; with ``actor``, only what they may read."""
    def conflicts(self, start: datetime, end: datetime) -> List[Conflict]:
        """Overlaps on shared services/environments and overlaps with freezes in ``[start, end)``."""
    def calendar_ics(
        self,
        start: datetime,
        end: datetime,
        *,
        statuses: Optional[_Names] = None,
        kinds: Optional[_Names] = None,
        groups: Optional[_Names] = None,
        scopes: Optional[_Names] = None,
        services: Optional[_Names] = None,
        environments: Optional[_Names] = None,
        include_archived: Optional[bool] = None,
    ) -> str:
        """The calendar of ``[start, end)`` as iCalendar (RFC 5545) text; the filters of ``calendar``."""
