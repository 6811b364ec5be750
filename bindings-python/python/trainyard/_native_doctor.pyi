"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). The doctor's reports: ``DoctorReport``, ``DoctorFinding``, ``DoctorProblem``, ``RepairReport``."""

from typing import List, final

@final
class DoctorProblem:
    """One reason a release cannot progress (or part of it cannot)."""

    @property
    def code(self) -> str:
        """Stable code: ``timer_missing``, ``job_missing``, ``child_missing``, ``nobody_can_act`` or ``no_progress``."""
    @property
    def message(self) -> str:
        """What is wrong, naming the timer, job, activity or child."""
    @property
    def repairable(self) -> bool:
        """Whether ``Engine.repair`` fixes it (timers and jobs are derived again from the events)."""

@final
class DoctorFinding:
    """A release the doctor found a problem with."""

    @property
    def release_id(self) -> str:
        """Release id."""
    @property
    def name(self) -> str:
        """Release name."""
    @property
    def status(self) -> str:
        """Release status (``running``, ``on_hold``, ``draft``, …)."""
    @property
    def can_progress(self) -> bool:
        """Whether something else still moves the release (a problem may stop only part of it)."""
    @property
    def problems(self) -> List[DoctorProblem]:
        """Every problem found, in the order checked (timer, jobs, children, people)."""

@final
class DoctorReport:
    """What ``Engine.doctor()`` found."""

    @property
    def checked(self) -> int:
        """How many releases that have not ended were checked."""
    @property
    def findings(self) -> List[DoctorFinding]:
        """The releases with a problem, oldest first (empty: every release can progress)."""

@final
class RepairReport:
    """What ``Engine.repair()`` did."""

    @property
    def repaired(self) -> List[str]:
        """Releases whose timer or jobs were written again."""
    @property
    def timers_restored(self) -> int:
        """Timers restored (a release's due time written again)."""
    @property
    def jobs_restored(self) -> int:
        """Jobs queued again."""
