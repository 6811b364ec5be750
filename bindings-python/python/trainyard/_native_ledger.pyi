"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). The deployment ledger: ``LedgerEntry``."""

from datetime import datetime
from typing import Optional, final

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
