"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). Values shared by the whole API: ``Problem``, ``Actor``, ``ManualClock`` and the argument aliases."""

from datetime import datetime, timedelta
from typing import Optional, Sequence, Tuple, Type, Union, final

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
