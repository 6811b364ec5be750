"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). The calendar: ``CalendarEntry``, ``CalendarPhase``, ``Conflict``."""

from datetime import datetime
from typing import List, Optional, final

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
    @property
    def waits_for(self) -> List[str]:
        """The releases its gates wait for (or will, once they start)."""

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
