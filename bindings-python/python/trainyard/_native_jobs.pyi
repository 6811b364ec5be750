"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). Jobs and notifications: ``Job``, ``JobRecord``, ``Started`` / ``STARTED``, ``Notification``."""

from datetime import datetime
from typing import Any, Dict, List, Optional, final

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
