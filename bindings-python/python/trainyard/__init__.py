"""trainyard: an embeddable release-orchestration engine.

A *process* is the blueprint of a release (phases, activities, dependencies, approvals); a
*release* runs a process with concrete inputs. This package is a thin binding over the Rust core:
:class:`Engine` registers processes and executors, creates and drives releases and reads them back
as :class:`Release` snapshots and :class:`Event` histories; :class:`ManualClock` drives simulated
time; :class:`Actor` says who issues a command; every error is a :class:`TrainyardError` subclass.

>>> import trainyard
>>> process = trainyard.load_process('''
... id: hello
... phases:
...   - id: build
...     activities:
...       - { id: compile, kind: automated, executor: command, with: { argv: ["make"] } }
... ''')
>>> process["phases"][0]["activities"][0]["id"]
'compile'
"""

from ._errors import (
    ConflictError,
    AlreadyExistsError,
    ExecutorError,
    ExpressionError,
    InvalidInputError,
    InvalidTransitionError,
    JobFailed,
    NotFoundError,
    PermissionDeniedError,
    ScheduleError,
    StorageError,
    UnsupportedVersionError,
    TrainyardError,
    ValidationError,
)
from ._native import (
    STARTED,
    Activity,
    Actor,
    Approval,
    FailureDetail,
    CalendarEntry,
    CalendarPhase,
    Conflict,
    DeadLetter,
    DoctorFinding,
    DoctorProblem,
    DoctorReport,
    RepairReport,
    Engine,
    Event,
    FeedEntry,
    FeedFilter,
    FeedPage,
    InboxItem,
    InputSet,
    LedgerEntry,
    InputSetRef,
    Job,
    JobRecord,
    ManualClock,
    Notification,
    ParentLink,
    Phase,
    PhaseAttempt,
    Problem,
    ProcessInfo,
    Release,
    ReplayReport,
    RetryPolicy,
    RunReport,
    Schedule,
    SearchPage,
    Started,
    Watch,
    WaitingOn,
    __version__,
    load_process,
    validate_process,
)
from ._feed import AsyncWatch

__all__ = [
    "STARTED",
    "Activity",
    "Actor",
    "Approval",
    "AsyncWatch",
    "FailureDetail",
    "CalendarEntry",
    "CalendarPhase",
    "Conflict",
    "ConflictError",
    "AlreadyExistsError",
    "DeadLetter",
    "DoctorReport",
    "DoctorFinding",
    "DoctorProblem",
    "RepairReport",
    "Engine",
    "Event",
    "FeedEntry",
    "FeedFilter",
    "FeedPage",
    "ExecutorError",
    "ExpressionError",
    "InboxItem",
    "InputSet",
    "LedgerEntry",
    "InputSetRef",
    "InvalidInputError",
    "InvalidTransitionError",
    "Job",
    "JobFailed",
    "JobRecord",
    "ManualClock",
    "NotFoundError",
    "Notification",
    "ParentLink",
    "PermissionDeniedError",
    "Phase",
    "PhaseAttempt",
    "Problem",
    "ProcessInfo",
    "Release",
    "ReplayReport",
    "RetryPolicy",
    "RunReport",
    "Schedule",
    "ScheduleError",
    "SearchPage",
    "Started",
    "StorageError",
    "UnsupportedVersionError",
    "TrainyardError",
    "WaitingOn",
    "ValidationError",
    "Watch",
    "__version__",
    "load_process",
    "validate_process",
]
