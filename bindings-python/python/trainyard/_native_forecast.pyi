"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). Forecasts: ``Forecast`` and ``PhaseForecast``."""

from datetime import datetime
from typing import List, Literal, Optional, final

@final
class PhaseForecast:
    """The forecast of one phase (``Forecast.phases``)."""

    @property
    def id(self) -> str:
        """Phase id."""
    @property
    def status(self) -> str:
        """Its status now."""
    @property
    def basis(self) -> Literal["actual", "history", "planned", "none"]:
        """Where its length comes from: it ended, the median of earlier releases, its planned ``duration``, or nothing known (0)."""
    @property
    def expected_secs(self) -> Optional[int]:
        """Its expected (or, once ended, actual) length in seconds; ``None`` when it does not count."""
    @property
    def planned_secs(self) -> Optional[int]:
        """Its planned length (``duration``) in seconds."""
    @property
    def history_runs(self) -> int:
        """How many earlier releases ran it to success."""
    @property
    def expected_start(self) -> Optional[datetime]:
        """When it starts (or started)."""
    @property
    def expected_end(self) -> Optional[datetime]:
        """When it ends (or ended)."""
    @property
    def critical(self) -> bool:
        """Whether it is on the critical path."""

@final
class Forecast:
    """The forecast of a release (``Engine.forecast``)."""

    @property
    def release_id(self) -> str:
        """Release id."""
    @property
    def at(self) -> datetime:
        """The time the forecast was made for (the engine's clock)."""
    @property
    def expected_end(self) -> Optional[datetime]:
        """When the release is expected to end."""
    @property
    def planned_end(self) -> Optional[datetime]:
        """Its planned end (the schedule's end)."""
    @property
    def at_risk(self) -> bool:
        """Whether the expected end is after the planned end."""
    @property
    def late_secs(self) -> Optional[int]:
        """Expected minus planned end in seconds (positive: late)."""
    @property
    def critical_path(self) -> List[str]:
        """The phase ids of the critical path, first to last."""
    @property
    def phases(self) -> List[PhaseForecast]:
        """Every phase, in plan order."""
