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
    Engine,
    Event,
    InboxItem,
    InputSet,
    InputSetRef,
    Job,
    JobRecord,
    ManualClock,
    Notification,
    ParentLink,
    Phase,
    Problem,
    ProcessInfo,
    Release,
    Schedule,
    SearchPage,
    Started,
    WaitingOn,
    __version__,
    load_process,
    validate_process,
)

__all__ = [
    "STARTED",
    "Activity",
    "Actor",
    "Approval",
    "FailureDetail",
    "CalendarEntry",
    "CalendarPhase",
    "Conflict",
    "ConflictError",
    "AlreadyExistsError",
    "Engine",
    "Event",
    "ExecutorError",
    "ExpressionError",
    "InboxItem",
    "InputSet",
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
    "Problem",
    "ProcessInfo",
    "Release",
    "Schedule",
    "ScheduleError",
    "SearchPage",
    "Started",
    "StorageError",
    "TrainyardError",
    "WaitingOn",
    "ValidationError",
    "__version__",
    "load_process",
    "validate_process",
]
