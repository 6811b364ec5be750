"""Native part of the ``trainyard`` package; import from ``trainyard`` instead."""

import os
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union, final

__all__ = [
    "__version__",
    "Problem",
    "validate_process",
    "load_process",
    "Actor",
    "ManualClock",
    "Engine",
    "Job",
    "Started",
    "STARTED",
    "ProcessInfo",
    "Release",
    "Phase",
    "Activity",
    "Event",
    "InputSet",
    "JobRecord",
    "Notification",
    "_drop_postgres_schema",
    "CalendarEntry",
    "Conflict",
]

__version__: str

@final
class Problem:
    """One problem found while validating a definition or a set of inputs.

    ``path`` is where it is (empty for the document itself), ``code`` a stable snake_case
    identifier, ``message`` what was wrong and what would be valid, ``line``/``column`` (1-based)
    the position in the source text when known.
    """

    def __new__(
        cls,
        path: str,
        code: str,
        message: str,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> "Problem": ...
    @property
    def path(self) -> str:
        """Where the problem is, e.g. ``phases[2].activities[0].depends_on[1]`` ("" for the document)."""
    @property
    def code(self) -> str:
        """Stable snake_case code, e.g. ``unknown_dependency``."""
    @property
    def message(self) -> str:
        """Human-readable explanation naming what would be valid."""
    @property
    def line(self) -> Optional[int]:
        """1-based line in the source text, when known."""
    @property
    def column(self) -> Optional[int]:
        """1-based column in the source text, when known."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> Tuple[Type["Problem"], Tuple[str, str, str, Optional[int], Optional[int]]]: ...

def validate_process(definition: Union[str, Dict[str, Any]]) -> List[Problem]:
    """Validates a process definition (YAML/JSON text or a dict) and returns its warnings.

    Raises ``ValidationError`` listing every problem when the definition is invalid.
    """

def load_process(definition: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
    """Loads a process definition (YAML/JSON text or a dict) and returns the normalized process.

    Raises ``ValidationError`` listing every problem when the definition is invalid.
    """

def _drop_postgres_schema(url: str) -> None:
    """Test support, not part of the API: drops the PostgreSQL schema named by ``url``'s ``?schema=``."""

@final
class Actor:
    """Who issues a command: a user ``id``, its ``groups`` and ``roles``
    (``account_release_manager``, ``org_release_manager:<org>``, ``viewer``, ``viewer:<org>``)."""

    def __new__(cls, id: str, *, groups: Sequence[str] = ..., roles: Sequence[str] = ...) -> "Actor": ...
    @property
    def id(self) -> str:
        """The user id (``system`` is the engine itself)."""
    @property
    def groups(self) -> Tuple[str, ...]:
        """The groups the user belongs to."""
    @property
    def roles(self) -> Tuple[str, ...]:
        """The role strings."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ManualClock:
    """A clock that only moves when told to; pass it to ``Engine.in_memory(clock=...)``."""

    def __new__(cls, start: datetime) -> "ManualClock": ...
    def now(self) -> datetime:
        """The current time (tz-aware, UTC)."""
    def advance(self, by: timedelta) -> datetime:
        """Moves the clock by ``by`` (negative moves it back); returns the new time."""
    def set(self, to: datetime) -> None:
        """Sets the clock to the tz-aware ``to``."""

@final
class Job:
    """One attempt of an automated activity, handed to an executor."""

    @property
    def id(self) -> str:
        """The job id, ``<release>/<phase>/<activity>/<attempt>``."""
    @property
    def release_id(self) -> str:
        """The release id."""
    @property
    def phase_id(self) -> str:
        """The phase id."""
    @property
    def activity_id(self) -> str:
        """The activity id."""
    @property
    def attempt(self) -> int:
        """The attempt (0 = first run)."""
    @property
    def executor(self) -> str:
        """The executor name the activity names."""
    @property
    def inputs(self) -> Dict[str, Any]:
        """The resolved ``with`` values."""
    @property
    def deadline(self) -> Optional[datetime]:
        """When the attempt times out (tz-aware, UTC), or ``None``."""
    @property
    def lease_token(self) -> Optional[str]:
        """The lease token of a job from ``Engine.claim_jobs`` (``None`` otherwise)."""
    @property
    def deliveries(self) -> Optional[int]:
        """How many times a claimed job was handed out, this time included (``None`` if not claimed)."""

@final
class JobRecord:
    """A job in the store with its lease (``Engine.list_jobs``)."""

    @property
    def job(self) -> Job:
        """The job (its inputs as stored: secret references unresolved)."""
    @property
    def worker(self) -> Optional[str]:
        """The lease holder, or ``None``."""
    @property
    def lease_until(self) -> Optional[datetime]:
        """When the lease ends (tz-aware, UTC), or ``None``."""
    @property
    def deliveries(self) -> int:
        """How many times it was handed out."""

@final
class InputSet:
    """One version of a named input set of a process."""

    @property
    def process_id(self) -> str:
        """The process it belongs to."""
    @property
    def name(self) -> str:
        """Its name."""
    @property
    def version(self) -> int:
        """Its version."""
    @property
    def values(self) -> Dict[str, Any]:
        """The values."""

@final
class Notification:
    """One notification, delivered to the functions passed to ``Engine.subscribe``."""

    @property
    def kind(self) -> str:
        """What happened (snake_case), e.g. ``approval_requested``."""
    @property
    def release_id(self) -> str:
        """The release id."""
    @property
    def release_name(self) -> str:
        """The release's display name."""
    @property
    def phase(self) -> Optional[str]:
        """The phase, for phase and activity notifications."""
    @property
    def activity(self) -> Optional[str]:
        """The activity, for activity notifications."""
    @property
    def status(self) -> Optional[str]:
        """The final status, for ``release_ended`` and ``phase_ended``."""
    @property
    def recipients(self) -> List[str]:
        """Who should hear about it."""
    @property
    def at(self) -> datetime:
        """When it happened (tz-aware, UTC)."""
    @property
    def seq(self) -> int:
        """The sequence number of the event that caused it."""
    @property
    def message(self) -> str:
        """A one-line human-readable text."""

@final
class Started:
    """The type of ``STARTED``: an executor's answer meaning "the result comes later"."""

STARTED: Started
"""Return it from an executor whose job reports back later through ``Engine.complete_job``."""

@final
class ProcessInfo:
    """A registered process version."""

    @property
    def id(self) -> str:
        """The process id."""
    @property
    def version(self) -> int:
        """The version (1, 2, …)."""
    @property
    def warnings(self) -> List[Problem]:
        """Validation warnings, which never stop a process from registering."""

@final
class Event:
    """One entry of a release's history (its audit trail)."""

    @property
    def seq(self) -> int:
        """Position in the release's log, from 1."""
    @property
    def at(self) -> datetime:
        """When it happened (tz-aware, UTC)."""
    @property
    def actor(self) -> str:
        """Who caused it."""
    @property
    def kind(self) -> str:
        """What happened, e.g. ``approval_recorded``."""
    @property
    def data(self) -> Dict[str, Any]:
        """The payload."""
    @property
    def comment(self) -> Optional[str]:
        """The reason or comment given with the command."""

@final
class Activity:
    """One activity of a release (a snapshot)."""

    @property
    def id(self) -> str:
        """Activity id."""
    @property
    def name(self) -> Optional[str]:
        """Display name, if the definition gives one."""
    @property
    def kind(self) -> str:
        """``automated``, ``approval``, ``manual``, ``subprocess`` or ``wait``."""
    @property
    def status(self) -> str:
        """Status (snake_case)."""
    @property
    def attempt(self) -> int:
        """Attempt (0 = first run)."""
    @property
    def outputs(self) -> Dict[str, Any]:
        """Outputs (success, ignore substitutes, manual field values, approvals)."""
    @property
    def approvals(self) -> List[Dict[str, Any]]:
        """Approval decisions of the current attempt: dicts with ``approver``, ``approved``, ``at``, ``comment``."""
    @property
    def error(self) -> Optional[str]:
        """The last failure message."""
    @property
    def skip_reason(self) -> Optional[str]:
        """Why it was skipped."""
    @property
    def job_id(self) -> Optional[str]:
        """The job of the current attempt (automated activities), for ``Engine.complete_job``."""
    @property
    def job_inputs(self) -> Dict[str, Any]:
        """The ``with`` values of the current attempt's job."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it first left ``pending`` in this attempt."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""
    @property
    def child_id(self) -> Optional[str]:
        """The current child release of a subprocess activity."""

@final
class Phase:
    """One phase of a release (a snapshot)."""

    @property
    def id(self) -> str:
        """Phase id."""
    @property
    def name(self) -> Optional[str]:
        """Display name, if the definition gives one."""
    @property
    def status(self) -> str:
        """Status (snake_case)."""
    @property
    def outputs(self) -> Dict[str, Any]:
        """Evaluated phase outputs."""
    @property
    def activities(self) -> Dict[str, Activity]:
        """Activities by id (``dict[str, Activity]``)."""
    @property
    def rollback(self) -> bool:
        """Whether this is a rollback phase."""
    @property
    def skip_reason(self) -> Optional[str]:
        """Why it was skipped."""
    @property
    def variables(self) -> Dict[str, Any]:
        """The phase's variables, evaluated when it started."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it started."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""

@final
class Release:
    """A snapshot of a release; read it again with ``Engine.get_release`` to see later changes."""

    @property
    def id(self) -> str:
        """Release id (UUID v7, time-ordered)."""
    @property
    def name(self) -> str:
        """Display name."""
    @property
    def kind(self) -> str:
        """``standard``, ``hotfix``, ``feature`` or ``system``."""
    @property
    def status(self) -> str:
        """Status (snake_case)."""
    @property
    def scope(self) -> str:
        """``account`` or ``org:<id>``."""
    @property
    def process_id(self) -> str:
        """Process id."""
    @property
    def process_version(self) -> int:
        """Pinned process version."""
    @property
    def inputs(self) -> Dict[str, Any]:
        """Inputs (defaults ⊕ input set ⊕ explicit values)."""
    @property
    def attempt(self) -> int:
        """Release attempt (a restart increments it)."""
    @property
    def archived(self) -> bool:
        """Archived."""
    @property
    def rolled_back(self) -> bool:
        """Ended failed after running its rollback phases."""
    @property
    def pre_executed(self) -> bool:
        """Activated before its scheduled start."""
    @property
    def paused(self) -> bool:
        """Paused by an operator."""
    @property
    def owners(self) -> List[str]:
        """Owners (release managers and stakeholders)."""
    @property
    def group(self) -> Optional[str]:
        """The release group that generated it."""
    @property
    def input_set(self) -> Optional[Tuple[str, int]]:
        """The input set it was created from: ``(name, version)``, or ``None``."""
    @property
    def planned_start(self) -> Optional[datetime]:
        """Planned start, once scheduled."""
    @property
    def planned_end(self) -> Optional[datetime]:
        """Planned end, if given."""
    @property
    def auto_start(self) -> Optional[bool]:
        """Whether it activates itself at ``planned_start`` (``None`` until scheduled)."""
    @property
    def created_at(self) -> Optional[datetime]:
        """When it was created."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it was activated."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""
    @property
    def phases(self) -> Dict[str, Phase]:
        """Phases by id (``dict[str, Phase]``)."""

@final
class Engine:
    """The release-orchestration engine; ``Engine.in_memory()`` or ``Engine.open(url)``."""

    @staticmethod
    def in_memory(*, clock: Optional[ManualClock] = None, release_level: str = "account") -> "Engine":
        """An engine with an in-memory store."""
    @staticmethod
    def open(url: str, *, release_level: str = "account", clock: Optional[ManualClock] = None) -> "Engine":
        """An engine on the store named by ``url``: ``memory://``, ``sqlite://path``, ``postgres://…``."""
    @property
    def url(self) -> str:
        """The storage URL."""
    @property
    def release_level(self) -> str:
        """The release level: ``"account"`` or ``"organization"``."""
    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
    def now(self) -> datetime:
        """The engine's current time (tz-aware, UTC)."""
    def close(self) -> None:
        """Closes the engine; later calls raise ``StorageError``."""
    def __enter__(self) -> "Engine": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None: ...
    # processes
    def register_process(self, definition: Union[str, Dict[str, Any]]) -> ProcessInfo:
        """Validates and registers a process definition; a changed one gets version n+1."""
    def validate_process(self, definition: Union[str, Dict[str, Any]]) -> List[Problem]:
        """Validates a definition against the registered processes; returns its warnings."""
    def get_process(self, process_id: str, version: Optional[int] = None) -> Dict[str, Any]:
        """A registered process as a dict (latest version, or ``version``)."""
    def list_processes(self) -> List[ProcessInfo]:
        """Every registered process with its latest version."""
    # executors and jobs
    def register_executor(self, name: str, fn: Callable[[Job], Union[Dict[str, Any], None, Started]]) -> None:
        """Registers ``fn(job) -> dict | None | STARTED`` as the in-process executor ``name``."""
    def register_command_executor(self, name: str = "command", *, base_dir: Optional[Union[str, "os.PathLike[str]"]] = None) -> None:
        """Registers the built-in ``command`` executor (runs ``with.argv``) under ``name``."""
    def claim_jobs(
        self,
        executors: Sequence[str],
        *,
        worker: str,
        limit: int = 10,
        lease: Optional[timedelta] = None,
    ) -> List[Job]:
        """Claims up to ``limit`` jobs of ``executors`` for ``worker``; each has a ``lease_token``."""
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
        """Reports a job's outcome (with its ``lease_token`` when it was claimed)."""
    def queued_jobs(self) -> List[Job]:
        """Jobs queued for in-process executors and not yet run."""
    def list_jobs(self) -> List[JobRecord]:
        """Every job in the store with its lease, oldest first."""
    # notifications and secrets
    def subscribe(self, fn: Callable[[Notification], object]) -> None:
        """Calls ``fn(notification)`` after every commit that notifies someone; its exceptions are counted."""
    def notification_failures(self) -> int:
        """How many notification deliveries failed so far."""
    def set_secret_resolver(self, resolver: Union[Mapping[str, str], Callable[[str], str]]) -> None:
        """Where ``secret://name`` references are resolved: a dict name -> value, or ``fn(name) -> str``."""
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
    ) -> Release:
        """Creates a draft release of the latest version of ``process_id``."""
    def update_release(
        self,
        release_id: str,
        *,
        actor: Actor,
        name: Optional[str] = None,
        inputs: Optional[Dict[str, Any]] = None,
        owners: Optional[Sequence[str]] = None,
    ) -> List[Event]:
        """Changes a draft's name, inputs (merged) or owners."""
    def schedule(
        self,
        release_id: str,
        *,
        start: datetime,
        actor: Actor,
        end: Optional[datetime] = None,
        auto_start: bool = True,
    ) -> List[Event]:
        """Schedules (or reschedules) a release; validates and locks its inputs."""
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
        """Deletes a release, following the retention rules (DESIGN §8)."""
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
        """Retries an on_hold activity, optionally with changed ``with`` values."""
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
        """Skips a pending activity."""
    # reading
    def get_release(self, release_id: str, *, actor: Optional[Actor] = None) -> Release:
        """The current state of a release."""
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
        """Releases matching every filter given, oldest first."""
    def history(self, release_id: str, *, actor: Optional[Actor] = None) -> List[Event]:
        """The release's events, oldest first (with ``actor``: only if they may read it)."""
    # input sets
    def save_input_set(self, process_id: str, name: str, values: Dict[str, Any], *, actor: Actor) -> int:
        """Saves a named input set of a process; returns its version."""
    def get_input_set(self, process_id: str, name: str, version: Optional[int] = None) -> InputSet:
        """An input set (its latest version, or ``version``)."""
    def list_input_sets(self, process_id: str) -> List[Tuple[str, int]]:
        """The input sets of a process: ``(name, latest version)`` pairs."""
    # retention
    def set_retention(self, *, archive_after: timedelta) -> None:
        """Sets how long ended releases are kept before ``apply_retention`` archives them."""
    def apply_retention(self, now: Optional[datetime] = None) -> List[str]:
        """Archives terminal releases older than the retention period; returns their ids."""
    # time: release groups, freezes, the calendar
    def create_release_group(
        self,
        *,
        id: str,
        name: str,
        process: str,
        cadence: Union[str, Dict[str, Any]],
        timezone: str,
        duration: Union[str, timedelta],
        starts_on: Union[str, date, datetime],
        actor: Actor,
        ends_on: Union[str, date, datetime, None] = None,
        name_template: Optional[str] = None,
        input_set: Optional[str] = None,
        inputs: Optional[Dict[str, Any]] = None,
        kind: str = "standard",
        auto_start: bool = True,
        scope: str = "account",
        owners: Optional[Sequence[str]] = None,
    ) -> Dict[str, Any]:
        """Creates a release group and its scheduled releases up to the horizon."""
    def update_release_group(
        self,
        *,
        id: str,
        name: str,
        process: str,
        cadence: Union[str, Dict[str, Any]],
        timezone: str,
        duration: Union[str, timedelta],
        starts_on: Union[str, date, datetime],
        actor: Actor,
        ends_on: Union[str, date, datetime, None] = None,
        name_template: Optional[str] = None,
        input_set: Optional[str] = None,
        inputs: Optional[Dict[str, Any]] = None,
        kind: str = "standard",
        auto_start: bool = True,
        scope: str = "account",
        owners: Optional[Sequence[str]] = None,
    ) -> Dict[str, List[str]]:
        """Replaces a release group; returns the release ids created, rescheduled and deleted."""
    def get_release_group(self, id: str) -> Dict[str, Any]:
        """A release group as a dict."""
    def list_release_groups(self) -> List[Dict[str, Any]]:
        """Every release group, by id."""
    def delete_release_group(self, id: str, *, actor: Actor) -> List[str]:
        """Deletes a release group and its not-started releases (returns their ids)."""
    def set_horizon(self, horizon: timedelta) -> None:
        """Sets how far ahead release groups create their releases."""
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
    ) -> Dict[str, Any]:
        """Adds a freeze window (account release managers only)."""
    def list_freezes(self) -> List[Dict[str, Any]]:
        """Every freeze."""
    def delete_freeze(self, id: str, *, actor: Actor) -> None:
        """Deletes a freeze."""
    def calendar(self, start: datetime, end: datetime, **filters: Any) -> List[CalendarEntry]:
        """The releases on the calendar in ``[start, end)``, by start."""
    def conflicts(self, start: datetime, end: datetime) -> List[Conflict]:
        """Overlaps on shared services/environments and overlaps with freezes in ``[start, end)``."""
    def calendar_ics(self, start: datetime, end: datetime, **filters: Any) -> str:
        """The calendar of ``[start, end)`` as iCalendar text."""
    # input sets
    # the built-in command executor
@final
class CalendarEntry:
    """A release on the calendar (a snapshot)."""

    @property
    def release_id(self) -> str:
        """Release id."""
    @property
    def name(self) -> str:
        """Release name."""
    @property
    def status(self) -> str:
        """Status (snake_case)."""
    @property
    def kind(self) -> str:
        """Kind (snake_case)."""
    @property
    def group(self) -> Optional[str]:
        """The release group that generated it."""
    @property
    def scope(self) -> str:
        """Scope."""
    @property
    def start(self) -> datetime:
        """Window start."""
    @property
    def end(self) -> datetime:
        """Window end."""
    @property
    def phases(self) -> List[Tuple[str, datetime, datetime]]:
        """Phase windows: ``(phase_id, start, end)``."""
    @property
    def planned_start(self) -> Optional[datetime]:
        """Scheduled start."""
    @property
    def planned_end(self) -> Optional[datetime]:
        """Scheduled end."""
    @property
    def actual_start(self) -> Optional[datetime]:
        """Activation time."""
    @property
    def actual_end(self) -> Optional[datetime]:
        """End time."""
    @property
    def services(self) -> List[str]:
        """Values of its ``service`` inputs."""
    @property
    def environments(self) -> List[str]:
        """Values of its ``environment`` inputs."""

@final
class Conflict:
    """A calendar conflict: ``overlap`` or ``freeze``."""

    @property
    def kind(self) -> str:
        """``overlap`` or ``freeze``."""
    @property
    def release_ids(self) -> List[str]:
        """The releases involved."""
    @property
    def resource(self) -> str:
        """The shared resource (``service:x``, ``environment:y``, ``*``)."""
    @property
    def freeze_id(self) -> Optional[str]:
        """The freeze (freeze conflicts)."""
    @property
    def start(self) -> datetime:
        """Start of the overlap."""
    @property
    def end(self) -> datetime:
        """End of the overlap."""
