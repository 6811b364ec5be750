"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). Reports:
``Report`` and its parts (``Engine.report``; ``Engine.report_csv`` and ``Engine.report_xlsx``
export one)."""

from datetime import datetime
from typing import List, Optional, final

@final
class ActivityReport:
    """An activity in a report."""

    @property
    def id(self) -> str:
        """Activity id."""
    @property
    def status(self) -> str:
        """How it ended."""
    @property
    def actual_secs(self) -> Optional[int]:
        """How long it ran (start of its first attempt to its end) in seconds, if it ran."""
    @property
    def attempts(self) -> int:
        """Its attempts (0 when it never ran)."""

@final
class PhaseReport:
    """A phase in a report: planned against actual."""

    @property
    def id(self) -> str:
        """Phase id."""
    @property
    def status(self) -> str:
        """How it ended."""
    @property
    def planned_secs(self) -> Optional[int]:
        """Its planned length (``duration``) in seconds, if it has one."""
    @property
    def actual_secs(self) -> Optional[int]:
        """How long it ran in seconds, if it ran."""
    @property
    def overrun_secs(self) -> Optional[int]:
        """``actual_secs - planned_secs`` when both are known (positive: late)."""
    @property
    def activities(self) -> List[ActivityReport]:
        """Its activities, in plan order."""

@final
class ApprovalWait:
    """How long an approval waited for its decision."""

    @property
    def phase_id(self) -> str:
        """Phase id."""
    @property
    def activity_id(self) -> str:
        """Activity id."""
    @property
    def waited_secs(self) -> int:
        """From opening to the decision (or to the end of the release), in seconds."""

@final
class DecisionRecord:
    """A retry, ignore, failure decided by a person, or abort."""

    @property
    def what(self) -> str:
        """``retry``, ``auto_retry``, ``ignore``, ``fail`` or ``abort``."""
    @property
    def target(self) -> str:
        """``phase/activity`` (empty for an abort)."""
    @property
    def actor(self) -> str:
        """Who."""
    @property
    def at(self) -> datetime:
        """When (tz-aware, UTC)."""
    @property
    def reason(self) -> Optional[str]:
        """The reason given (the comment, or the failure message of an automatic retry)."""

@final
class ReleaseReport:
    """One release in a report."""

    @property
    def id(self) -> str:
        """Release id."""
    @property
    def name(self) -> str:
        """Name."""
    @property
    def kind(self) -> str:
        """Kind."""
    @property
    def status(self) -> str:
        """How it ended."""
    @property
    def rolled_back(self) -> bool:
        """Whether its rollback phases ran."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it started."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""
    @property
    def phases(self) -> List[PhaseReport]:
        """Its phases, in plan order."""
    @property
    def approvals(self) -> List[ApprovalWait]:
        """How long each approval waited."""
    @property
    def decisions(self) -> List[DecisionRecord]:
        """Retries, ignores, failures decided by people and aborts, with their reasons."""

@final
class Dora:
    """The DORA figures of the releases that ended in a report's window."""

    @property
    def deployments(self) -> int:
        """Releases that ended ``success`` or ``partial_success``."""
    @property
    def deployments_per_week(self) -> float:
        """``deployments`` per week of the window."""
    @property
    def lead_time_secs(self) -> Optional[int]:
        """The median lead time (commit to end) in seconds, over deployments with a commit time."""
    @property
    def changes(self) -> int:
        """Ended releases (not aborted)."""
    @property
    def failed_changes(self) -> int:
        """Of those, the ones that failed, were rolled back, or were followed by a hotfix in time."""
    @property
    def change_failure_rate(self) -> Optional[float]:
        """``failed_changes / changes`` (a fraction), ``None`` without changes."""
    @property
    def time_to_restore_secs(self) -> Optional[int]:
        """The median time to restore in seconds, over failed changes that were restored."""

@final
class Report:
    """A report over ``[from_time, to_time)``."""

    @property
    def from_time(self) -> datetime:
        """Start of the window (inclusive)."""
    @property
    def to_time(self) -> datetime:
        """End of the window (exclusive)."""
    @property
    def group(self) -> Optional[str]:
        """The release group, if the report is about one."""
    @property
    def releases(self) -> List[ReleaseReport]:
        """The releases that ended in the window, by end time."""
    @property
    def dora(self) -> Dora:
        """The DORA figures."""
