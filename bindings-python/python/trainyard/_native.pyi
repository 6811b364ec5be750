"""Native part of the ``trainyard`` package; import from ``trainyard`` instead."""

import os
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, Union, final

from ._feed import AsyncWatch

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
    "LedgerEntry",
    "SearchPage",
    "JobRecord",
    "Notification",
    "_drop_postgres_schema",
    "CalendarEntry",
    "CalendarPhase",
    "Conflict",
    "FeedFilter",
    "FeedEntry",
    "FeedPage",
    "Watch",
    "RetryPolicy",
    "RunReport",
    "ReplayReport",
    "DeadLetter",
]

__version__: str

_Duration = Union[timedelta, str]
"""A ``timedelta``, or a trainyard duration string: ``"30m"``, ``"2d"``, ``"1d 12h"`` (units ``w d h m s``)."""
_Names = Union[str, Sequence[str]]
"""A list of strings; one string stands for a list of one."""
_Cursor = Union[int, str]
"""A feed cursor: an ``int`` from 0 (``FeedPage.next``, ``FeedEntry.cursor``) or its decimal text."""

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
    def scope(self) -> str:
        """The scope it belongs to (``"account"`` or ``"org:<id>"``)."""
    @property
    def values(self) -> Dict[str, Any]:
        """The values."""

@final
class LedgerEntry:
    """One entry of the deployment ledger (``Engine.deployed``, ``Engine.deployments``)."""

    @property
    def service(self) -> str:
        """The service."""
    @property
    def environment(self) -> str:
        """The environment."""
    @property
    def version(self) -> str:
        """The version delivered."""
    @property
    def commit(self) -> Optional[str]:
        """The commit it was built from, if recorded."""
    @property
    def artifact(self) -> Optional[str]:
        """The artifact deployed, if recorded."""
    @property
    def at(self) -> datetime:
        """When the activity succeeded (for a current entry: since when the version is there)."""
    @property
    def release_id(self) -> str:
        """The release that delivered it."""
    @property
    def release_name(self) -> str:
        """Its name."""
    @property
    def release_kind(self) -> str:
        """Its kind."""
    @property
    def scope(self) -> str:
        """Its scope."""
    @property
    def phase_id(self) -> str:
        """The phase of the activity."""
    @property
    def activity_id(self) -> str:
        """The activity."""
    @property
    def attempt(self) -> int:
        """The attempt that succeeded (0-based)."""
    @property
    def rollback(self) -> bool:
        """Whether a rollback phase recorded it."""
    @property
    def seq(self) -> int:
        """The sequence of its ``delivery_recorded`` event in the release."""

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
        """Owners: the people and groups responsible for the release."""
    @property
    def release_managers(self) -> List[str]:
        """The release's managers (users or groups)."""
    @property
    def stakeholders(self) -> List[str]:
        """Stakeholders (users or groups): notified of its progress, and may read it."""
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
    def deployed(self, environment: Optional[str] = None, service: Optional[str] = None) -> List[LedgerEntry]:
        """What is deployed now: the current ledger entry of every service in every environment
        (or only of ``environment`` and ``service``), sorted by service, then environment."""
    def deployments(self, service: str, environment: str, limit: int = 100) -> List[LedgerEntry]:
        """The history of ``service`` in ``environment``, newest first, rollbacks included."""
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

@final
class FeedFilter:
    """Which feed entries a reader wants; empty lists match everything. A list may be one ``str``."""

    def __new__(
        cls,
        *,
        releases: _Names = ...,
        scopes: _Names = ...,
        groups: _Names = ...,
        processes: _Names = ...,
        statuses: _Names = ...,
        event_kinds: _Names = ...,
        with_notifications: bool = ...,
    ) -> "FeedFilter": ...
    @property
    def releases(self) -> Tuple[str, ...]:
        """Only these release ids."""
    @property
    def scopes(self) -> Tuple[str, ...]:
        """Only releases in these scopes."""
    @property
    def groups(self) -> Tuple[str, ...]:
        """Only releases of these release groups."""
    @property
    def processes(self) -> Tuple[str, ...]:
        """Only releases of these processes."""
    @property
    def statuses(self) -> Tuple[str, ...]:
        """Only entries whose status after the commit is one of these (snake_case)."""
    @property
    def event_kinds(self) -> Tuple[str, ...]:
        """Only entries with an event of one of these kinds."""
    @property
    def with_notifications(self) -> bool:
        """Only entries that carry notifications."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class FeedEntry:
    """What one commit did to one release (a snapshot)."""

    @property
    def cursor(self) -> int:
        """The entry's position in the feed: later commits have larger cursors."""
    @property
    def release(self) -> str:
        """The release id."""
    @property
    def seq_from(self) -> int:
        """The sequence number of the first event the commit added."""
    @property
    def seq_to(self) -> int:
        """The sequence number of the last event the commit added."""
    @property
    def kinds(self) -> List[str]:
        """The kinds of the events, in order."""
    @property
    def status_before(self) -> Optional[str]:
        """The release status before the commit (``None`` when it created the release)."""
    @property
    def status_after(self) -> str:
        """The release status after the commit."""
    @property
    def deleted(self) -> bool:
        """Whether the commit deleted the release."""
    @property
    def at(self) -> datetime:
        """The time of the commit's last event (tz-aware, UTC)."""
    @property
    def actor(self) -> str:
        """Who issued the command (``system`` for the clock and the engine)."""
    @property
    def scope(self) -> str:
        """The release's scope."""
    @property
    def process_id(self) -> str:
        """The release's process id."""
    @property
    def release_kind(self) -> str:
        """The release's kind (snake_case)."""
    @property
    def group(self) -> Optional[str]:
        """The release group, if any."""
    @property
    def notifications(self) -> List[Notification]:
        """The notifications the commit caused, with resolved recipients."""
    @property
    def origin(self) -> str:
        """The worker id of the engine that committed it (empty when unknown)."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class FeedPage:
    """A page of the feed: ``entries`` and the cursor ``next`` to continue after."""

    @property
    def entries(self) -> List[FeedEntry]:
        """The entries, in cursor order."""
    @property
    def next(self) -> int:
        """The cursor to ask after next time (past every entry the page looked at)."""
    def __len__(self) -> int: ...

@final
class Watch:
    """A blocking iterator over the feed (``Engine.watch``); ``async for`` works too."""

    def __iter__(self) -> Iterator[FeedEntry]: ...
    def __next__(self) -> FeedEntry: ...
    def __aiter__(self) -> AsyncWatch: ...
    def next_entry(self, timeout: Optional[_Duration] = None) -> Optional[FeedEntry]:
        """The next entry within ``timeout`` (``None``: the watch's own); ``None`` when none came."""
    @property
    def cursor(self) -> int:
        """The cursor past the last entry read from the store."""
    @property
    def timeout(self) -> Optional[timedelta]:
        """The watch's own timeout per step (``None``: for ever)."""

@final
class RetryPolicy:
    """How a sink retries: ``min(cap, base * factor**(n-1))`` after the n-th failure, at most
    ``max_attempts`` attempts, then the dead-letter list."""

    def __new__(
        cls,
        *,
        base: _Duration = "1s",
        factor: float = 2.0,
        cap: _Duration = "5m",
        max_attempts: int = 10,
    ) -> "RetryPolicy": ...
    @property
    def base(self) -> Optional[timedelta]:
        """The wait after the first failure."""
    @property
    def factor(self) -> float:
        """How much longer each next wait is."""
    @property
    def cap(self) -> Optional[timedelta]:
        """The longest wait."""
    @property
    def max_attempts(self) -> int:
        """Attempts per entry, the first included."""

@final
class RunReport:
    """What one run of a sink did."""

    @property
    def sink(self) -> str:
        """The sink's name."""
    @property
    def delivered(self) -> int:
        """Entries delivered."""
    @property
    def dead_lettered(self) -> int:
        """Entries moved to the dead-letter list."""
    @property
    def cursor(self) -> int:
        """The consumer's stored cursor after the run."""
    @property
    def retry_at(self) -> Optional[datetime]:
        """When the entry waiting for a retry is due."""
    @property
    def last_error(self) -> Optional[str]:
        """The waiting entry's last error."""
    @property
    def caught_up(self) -> bool:
        """Whether the sink saw every entry there was."""

@final
class ReplayReport:
    """What a replay of dead letters did."""

    @property
    def delivered(self) -> int:
        """Dead letters delivered (and removed)."""
    @property
    def failed(self) -> int:
        """Dead letters whose delivery failed again."""
    @property
    def remaining(self) -> int:
        """Dead letters still on the list."""

@final
class DeadLetter:
    """An entry a sink gave up on."""

    @property
    def entry(self) -> FeedEntry:
        """The entry that was not delivered."""
    @property
    def sink(self) -> str:
        """The sink's name."""
    @property
    def error(self) -> str:
        """The last delivery error."""
    @property
    def permanent(self) -> bool:
        """Whether the last error was permanent rather than the last retry."""
    @property
    def attempts(self) -> int:
        """How many delivery attempts failed."""
    @property
    def first_failed_at(self) -> datetime:
        """When the first attempt failed."""
    @property
    def last_failed_at(self) -> datetime:
        """When the last attempt failed."""
