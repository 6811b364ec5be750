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
    "Approval",
    "FailureDetail",
    "Schedule",
    "ParentLink",
    "InputSetRef",
    "WaitingOn",
    "Event",
    "InputSet",
    "InboxItem",
    "SearchPage",
    "JobRecord",
    "Notification",
    "_drop_postgres_schema",
    "CalendarEntry",
    "CalendarPhase",
    "Conflict",
]

__version__: str

_Duration = Union[timedelta, str]
"""A ``timedelta``, or a trainyard duration string: ``"30m"``, ``"2d"``, ``"1d 12h"`` (units ``w d h m s``)."""
_Names = Union[str, Sequence[str]]
"""A list of strings; one string stands for a list of one."""

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
    def advance(self, by: _Duration) -> datetime:
        """Moves the clock by ``by`` (a ``timedelta``, negative moves it back, or a duration string
        such as ``"30m"``); returns the new time."""
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
class InboxItem:
    """One item of a person's inbox (``Engine.inbox``)."""

    @property
    def release_id(self) -> str:
        """Release id."""
    @property
    def release_name(self) -> str:
        """Release name."""
    @property
    def phase_id(self) -> str:
        """Phase id."""
    @property
    def activity_id(self) -> str:
        """Activity id."""
    @property
    def kind(self) -> str:
        """``approval``, ``manual`` or ``failure_decision``."""
    @property
    def can_act(self) -> bool:
        """Whether the actor may act on it now."""
    @property
    def reason(self) -> str:
        """Why it may (the entry or role matched), or why not (self-approval ban, already decided)."""
    @property
    def due(self) -> Optional[datetime]:
        """The approval's deadline (tz-aware, UTC), or ``None``."""
    @property
    def escalated(self) -> bool:
        """Whether the approval's deadline escalated."""
    @property
    def since(self) -> datetime:
        """Since when it waits (tz-aware, UTC)."""

@final
class SearchPage:
    """One page of ``Engine.search``."""

    @property
    def releases(self) -> List[Release]:
        """The releases of the page, in the sort order."""
    @property
    def next(self) -> Optional[str]:
        """The cursor of the next page, or ``None`` on the last one."""

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
class Approval:
    """One approval decision of an activity."""

    @property
    def approver(self) -> str:
        """Who decided."""
    @property
    def approved(self) -> bool:
        """Approved (``True``) or rejected."""
    @property
    def at(self) -> datetime:
        """When (tz-aware, UTC)."""
    @property
    def comment(self) -> Optional[str]:
        """The comment given."""

@final
class Schedule:
    """When a release is planned (``Release.schedule``)."""

    @property
    def start(self) -> datetime:
        """Planned start (tz-aware, UTC)."""
    @property
    def end(self) -> Optional[datetime]:
        """Planned end, if given."""
    @property
    def auto_start(self) -> bool:
        """Whether the clock activates the release at ``start``."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class ParentLink:
    """The parent of a child release: its release and subprocess activity (``Release.parent``)."""

    @property
    def release(self) -> str:
        """The parent release id."""
    @property
    def phase(self) -> str:
        """The parent's phase."""
    @property
    def activity(self) -> str:
        """The parent's subprocess activity."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class WaitingOn:
    """What a release waits on now (``Release.waiting_on``)."""

    @property
    def kind(self) -> str:
        """``approval``, ``manual``, ``failure_decision``, ``worker``, ``freeze`` or ``timer``."""
    @property
    def phase_id(self) -> Optional[str]:
        """The phase concerned (``None`` for a scheduled activation)."""
    @property
    def activity_id(self) -> Optional[str]:
        """The activity concerned (``None`` for a scheduled activation or a phase's ``not_before``)."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class InputSetRef:
    """The input set a release was created with (``Release.input_set``)."""

    @property
    def name(self) -> str:
        """The input set's name."""
    @property
    def version(self) -> int:
        """The version used."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class FailureDetail:
    """The structured form of an executor's failure (the command executor gives one)."""

    @property
    def reason(self) -> str:
        """``exit_code``, ``signal``, ``timed_out``, ``cancelled``, ``not_started``,
        ``invalid_outputs`` or ``lost``."""
    @property
    def exit_code(self) -> Optional[int]:
        """The exit code, when the process exited."""
    @property
    def signal(self) -> Optional[int]:
        """The signal number that ended the process, if one did."""
    @property
    def signal_name(self) -> Optional[str]:
        """The signal's name (``SIGKILL``), when it has a standard one."""
    @property
    def stderr_tail(self) -> Optional[str]:
        """The last 4 KiB of stderr, redacted; ``None`` when stderr was empty."""

@final
class Activity:
    """One activity of a release (a snapshot): the fields of the core's activity view."""

    @property
    def id(self) -> str:
        """Activity id."""
    @property
    def name(self) -> Optional[str]:
        """Display name from the definition."""
    @property
    def kind(self) -> str:
        """``automated``, ``approval``, ``manual``, ``subprocess`` or ``wait``."""
    @property
    def status(self) -> str:
        """``pending``, ``queued``, ``running``, ``waiting_for_input``, ``on_hold``, ``success``,
        ``failed``, ``ignored``, ``skipped`` or ``aborted``."""
    @property
    def attempt(self) -> int:
        """Attempt (0 = first run)."""
    @property
    def outputs(self) -> Dict[str, Any]:
        """Outputs: executor outputs, ``ignore`` substitutes, manual field values, ``approvers``."""
    @property
    def approvals(self) -> List[Approval]:
        """Approval decisions of the current attempt, oldest first."""
    @property
    def escalated(self) -> bool:
        """Whether the approval deadline escalated (``escalate_to`` may approve too)."""
    @property
    def error(self) -> Optional[str]:
        """The last failure message."""
    @property
    def last_failure(self) -> Optional[FailureDetail]:
        """The structured form of the last failure, when the executor gave one."""
    @property
    def skip_reason(self) -> Optional[str]:
        """Why it was skipped: ``condition``, ``manual``, ``upstream_failed`` or ``release_failed``."""
    @property
    def job_id(self) -> Optional[str]:
        """The job of the current attempt (automated activities), for ``Engine.complete_job``."""
    @property
    def child_id(self) -> Optional[str]:
        """The child release of the current attempt (subprocess activities)."""
    @property
    def job_inputs(self) -> Dict[str, Any]:
        """The ``with`` values of the current attempt's job (secrets as ``secret://`` references)."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it first left ``pending`` in this attempt."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""

@final
class Phase:
    """One phase of a release (a snapshot): the fields of the core's phase view."""

    @property
    def id(self) -> str:
        """Phase id."""
    @property
    def name(self) -> Optional[str]:
        """Display name from the definition."""
    @property
    def status(self) -> str:
        """``pending``, ``scheduled``, ``running``, ``on_hold``, ``success``, ``failed``, ``skipped``
        or ``aborted``."""
    @property
    def rollback(self) -> bool:
        """Whether this is a rollback phase."""
    @property
    def critical(self) -> bool:
        """Whether its failure fails the release (``critical``, default true)."""
    @property
    def skip_reason(self) -> Optional[str]:
        """Why it was skipped."""
    @property
    def outputs(self) -> Dict[str, Any]:
        """Evaluated phase outputs (set when it ends)."""
    @property
    def variables(self) -> Dict[str, Any]:
        """The phase's variables, evaluated when it started."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it started."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""
    @property
    def not_before(self) -> Optional[datetime]:
        """When it may start (its ``not_before``), once known."""
    @property
    def activities(self) -> Dict[str, Activity]:
        """Activities by id, in definition order."""

@final
class Release:
    """A snapshot of a release, with exactly the fields of the core's read model; read it again
    with ``Engine.get_release`` to see later changes."""

    @property
    def id(self) -> str:
        """Release id (UUID v7, time-ordered)."""
    @property
    def seq(self) -> int:
        """Sequence number of its last event."""
    @property
    def name(self) -> str:
        """Display name."""
    @property
    def kind(self) -> str:
        """``standard``, ``hotfix``, ``feature`` or ``system``."""
    @property
    def status(self) -> str:
        """``draft``, ``scheduled``, ``running``, ``on_hold``, ``success``, ``partial_success``,
        ``failed`` or ``aborted``."""
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
        """Inputs (defaults, then the input set, then explicit values; secrets as references)."""
    @property
    def variables(self) -> Dict[str, Any]:
        """Global variables, evaluated at activation."""
    @property
    def owners(self) -> List[str]:
        """Owners (release managers and stakeholders)."""
    @property
    def group(self) -> Optional[str]:
        """The release group that generated it."""
    @property
    def occurrence(self) -> Optional[str]:
        """The release-group occurrence it was generated for (``<group>@<start>``)."""
    @property
    def input_set(self) -> Optional[InputSetRef]:
        """The input set it was created with."""
    @property
    def parent(self) -> Optional[ParentLink]:
        """The parent's subprocess activity, for a child release."""
    @property
    def schedule(self) -> Optional[Schedule]:
        """When it is planned, once scheduled."""
    @property
    def attempt(self) -> int:
        """Release attempt (a restart increments it)."""
    @property
    def archived(self) -> bool:
        """Archived (kept for audit, hidden from the active calendar)."""
    @property
    def rolled_back(self) -> bool:
        """Ended failed after running its rollback phases."""
    @property
    def rolling_back(self) -> bool:
        """The rollback phases are running."""
    @property
    def halted(self) -> bool:
        """A critical phase failed: no new work starts."""
    @property
    def paused(self) -> bool:
        """Paused by an operator."""
    @property
    def pre_executed(self) -> bool:
        """Activated before its scheduled start."""
    @property
    def created_by(self) -> str:
        """Who created it."""
    @property
    def created_at(self) -> Optional[datetime]:
        """When it was created."""
    @property
    def scheduled_by(self) -> Optional[str]:
        """Who scheduled it last."""
    @property
    def started_by(self) -> Optional[str]:
        """Who activated it (for a clock activation: whoever scheduled it)."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it was activated."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended (or was aborted)."""
    @property
    def updated_at(self) -> Optional[datetime]:
        """When its last event happened."""
    @property
    def labels(self) -> Dict[str, str]:
        """Labels (key → value)."""
    @property
    def description(self) -> Optional[str]:
        """A description."""
    @property
    def version(self) -> Optional[str]:
        """The version being released."""
    @property
    def links(self) -> List[Dict[str, Optional[str]]]:
        """Links: ``{"kind": "ticket" | "commit" | "incident" | "other", "url", "title"}``."""
    @property
    def waiting_on(self) -> Optional[WaitingOn]:
        """What it waits on now, or ``None``."""
    @property
    def phases(self) -> Dict[str, Phase]:
        """Phases by id: regular phases in definition order, then the rollback phases."""

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
    def register_process(self, definition: Union[str, Dict[str, Any]]) -> ProcessInfo:
        """Validates and registers a process definition (YAML/JSON text or a dict); a changed one
        gets version n+1, the same one again keeps its version. ``ValidationError`` lists every
        problem."""
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
    # metrics
    def metrics(self) -> Dict[str, Any]:
        """The engine's metrics: counters (``commands``, ``conflicts_retried``, ``timers_fired``,
        ``jobs_claimed``, ``lease_expiries``), histograms (``command_latency``, ``timer_lag``,
        ``feed_lag``, ``notification_lag``: ``count``, ``sum_seconds``, ``buckets``) and
        ``queue_depth`` (executor -> jobs in the store)."""
    def prometheus_text(self) -> str:
        """The engine's metrics in the Prometheus text exposition format."""
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
        labels: Optional[Mapping[str, Optional[str]]] = None,
        description: Optional[str] = None,
        version: Optional[str] = None,
        links: Optional[Sequence[Mapping[str, Optional[str]]]] = None,
    ) -> List[Event]:
        """Changes a draft's name, inputs (merged; ``None`` removes one) or owners."""
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
        """Skips a pending activity."""
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
    def search(
        self,
        filter: Optional[Mapping[str, Any]] = None,
        sort: str = "created_at desc",
        cursor: Optional[str] = None,
        page_size: int = 50,
    ) -> SearchPage:
        """Releases matching ``filter`` in ``sort`` order, a page at a time (keyset cursors)."""
    # input sets
    def save_input_set(self, process_id: str, name: str, values: Dict[str, Any], *, actor: Actor) -> int:
        """Saves a named input set of a process; returns its version."""
    def get_input_set(self, process_id: str, name: str, version: Optional[int] = None) -> InputSet:
        """An input set (its latest version, or ``version``)."""
    def list_input_sets(self, process_id: str) -> List[Tuple[str, int]]:
        """The input sets of a process: ``(name, latest version)`` pairs."""
    # retention
    def set_retention(self, *, archive_after: _Duration) -> None:
        """Sets how long ended releases are kept before ``apply_retention`` archives them."""
    def apply_retention(self, now: Optional[datetime] = None) -> List[str]:
        """Archives terminal releases older than the retention period; returns their ids."""
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
    ) -> Dict[str, List[str]]:
        """Replaces a release group; returns the release ids ``created``, ``rescheduled`` and
        ``deleted``."""
    def get_release_group(self, id: str) -> Dict[str, Any]:
        """A release group as a dict."""
    def list_release_groups(self) -> List[Dict[str, Any]]:
        """Every release group, by id."""
    def delete_release_group(self, id: str, *, actor: Actor) -> List[str]:
        """Deletes a release group and its not-started releases (returns their ids)."""
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
    ) -> Dict[str, Any]:
        """Adds a freeze window (account release managers only); ``recurrence`` is ``{"cadence":
        …, "timezone": … (default ``"UTC"``), "duration": …}``."""
    def list_freezes(self) -> List[Dict[str, Any]]:
        """Every freeze."""
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
        actor: Optional[Actor] = None,
    ) -> List[CalendarEntry]:
        """The releases on the calendar in ``[start, end)``, by start. Each filter given must pass
        (a release passes a list when its value is in it); with ``actor``, only what they may read."""
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
    ) -> str:
        """The calendar of ``[start, end)`` as iCalendar (RFC 5545) text; the filters of ``calendar``."""

@final
class CalendarPhase:
    """The window of one phase on the calendar."""

    @property
    def phase_id(self) -> str:
        """Phase id."""
    @property
    def start(self) -> datetime:
        """Window start (tz-aware, UTC)."""
    @property
    def end(self) -> datetime:
        """Window end (tz-aware, UTC)."""
    @property
    def planned(self) -> bool:
        """``True`` for a planned (future) window, ``False`` for the times it actually ran."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

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
        """Window start (activation, else the scheduled start)."""
    @property
    def end(self) -> datetime:
        """Window end."""
    @property
    def phases(self) -> List[CalendarPhase]:
        """Phase windows, in phase order."""
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
