"""Native part of the ``trainyard`` package; import from ``trainyard`` instead.

The classes are declared in stub-only modules by concept (``_native_common``, ``_native_jobs``,
``_native_views``, ``_native_engine``, ``_native_calendar``, ``_native_feed``,
``_native_doctor``, ``_native_ledger``, ``_native_forecast``, ``_native_report``), which have no runtime counterpart: they are re-exported here, and stubtest
checks them as ``trainyard._native.<name>`` (its allowlist, ``bindings-python/stubtest-allowlist.txt``,
names the modules it cannot import)."""

from typing import Any, Dict, List, Sequence, Union

from ._native_common import (
    Problem as Problem,
    Actor as Actor,
    ManualClock as ManualClock,
)
from ._native_jobs import (
    Job as Job,
    JobRecord as JobRecord,
    Notification as Notification,
    Started as Started,
    STARTED as STARTED,
)
from ._native_views import (
    ProcessInfo as ProcessInfo,
    Event as Event,
    Approval as Approval,
    Schedule as Schedule,
    ParentLink as ParentLink,
    WaitingOn as WaitingOn,
    Lock as Lock,
    InputSetRef as InputSetRef,
    FailureDetail as FailureDetail,
    Activity as Activity,
    Phase as Phase,
    PhaseAttempt as PhaseAttempt,
    Release as Release,
    InputSet as InputSet,
    InboxItem as InboxItem,
    SearchPage as SearchPage,
)
from ._native_engine import (
    Engine as Engine,
)
from ._native_calendar import (
    CalendarPhase as CalendarPhase,
    CalendarEntry as CalendarEntry,
    Conflict as Conflict,
)
from ._native_forecast import (
    Forecast as Forecast,
    PhaseForecast as PhaseForecast,
)
from ._native_ledger import (
    LedgerEntry as LedgerEntry,
)
from ._native_report import (
    Report as Report,
    ReleaseReport as ReleaseReport,
    PhaseReport as PhaseReport,
    ActivityReport as ActivityReport,
    ApprovalWait as ApprovalWait,
    DecisionRecord as DecisionRecord,
    Dora as Dora,
)
from ._native_doctor import (
    DoctorReport as DoctorReport,
    DoctorFinding as DoctorFinding,
    DoctorProblem as DoctorProblem,
    RepairReport as RepairReport,
)
from ._native_feed import (
    FeedFilter as FeedFilter,
    FeedEntry as FeedEntry,
    FeedPage as FeedPage,
    Watch as Watch,
    RetryPolicy as RetryPolicy,
    RunReport as RunReport,
    ReplayReport as ReplayReport,
    DeadLetter as DeadLetter,
)

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
    "PhaseAttempt",
    "Activity",
    "Approval",
    "FailureDetail",
    "Schedule",
    "ParentLink",
    "InputSetRef",
    "WaitingOn",
    "Lock",
    "Event",
    "InputSet",
    "InboxItem",
    "LedgerEntry",
    "Forecast",
    "PhaseForecast",
    "Report",
    "ReleaseReport",
    "PhaseReport",
    "ActivityReport",
    "ApprovalWait",
    "DecisionRecord",
    "Dora",
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
    "DoctorReport",
    "DoctorFinding",
    "DoctorProblem",
    "RepairReport",
    "run_cli",
]

__version__: str

def validate_process(definition: Union[str, Dict[str, Any]]) -> List[Problem]:
    """Validates a process definition (YAML/JSON text or a dict) and returns its warnings.

    Raises ``ValidationError`` listing every problem when the definition is invalid.
    """

def load_process(definition: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
    """Loads a process definition (YAML/JSON text or a dict) and returns the normalized process.

    Raises ``ValidationError`` listing every problem when the definition is invalid.
    """

def run_cli(argv: Sequence[str]) -> int:
    """Runs the ``trainyard`` command line on ``argv`` (program name first, as ``sys.argv``),
    writing to the process's standard output and error (the GIL released); returns the exit code.
    The ``trainyard`` console script calls it. While it runs, SIGINT and SIGTERM have their default
    disposition (``watch`` and ``run`` stop on them and return 0; other commands end the process);
    Python's handlers are put back after."""

def _drop_postgres_schema(url: str) -> None:
    """Test support, not part of the API: drops the PostgreSQL schema named by ``url``'s ``?schema=``."""
