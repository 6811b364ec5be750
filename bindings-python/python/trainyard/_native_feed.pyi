"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). The change feed and its sinks: ``FeedFilter``, ``FeedEntry``, ``FeedPage``, ``Watch``, ``RetryPolicy``, ``RunReport``, ``ReplayReport``, ``DeadLetter``."""

from datetime import datetime, timedelta
from typing import Iterator, List, Optional, Tuple, final

from ._feed import AsyncWatch
from ._native_common import _Duration, _Names
from ._native_jobs import Notification

@final
class FeedFilter:
    """Which feed entries a reader wants; empty lists match everything. A list may be one ``str``."""

    def __new__(
        cls,
        *,
        releases: _Names = ...,
        scopes: _Names = ...,
        groups: _Names = ...,
        processes: _Names = ...,
        statuses: _Names = ...,
        event_kinds: _Names = ...,
        with_notifications: bool = ...,
    ) -> "FeedFilter": ...
    @property
    def releases(self) -> Tuple[str, ...]:
        """Only these release ids."""
    @property
    def scopes(self) -> Tuple[str, ...]:
        """Only releases in these scopes."""
    @property
    def groups(self) -> Tuple[str, ...]:
        """Only releases of these release groups."""
    @property
    def processes(self) -> Tuple[str, ...]:
        """Only releases of these processes."""
    @property
    def statuses(self) -> Tuple[str, ...]:
        """Only entries whose status after the commit is one of these (snake_case)."""
    @property
    def event_kinds(self) -> Tuple[str, ...]:
        """Only entries with an event of one of these kinds."""
    @property
    def with_notifications(self) -> bool:
        """Only entries that carry notifications."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class FeedEntry:
    """What one commit did to one release (a snapshot)."""

    @property
    def cursor(self) -> int:
        """The entry's position in the feed: later commits have larger cursors."""
    @property
    def release(self) -> str:
        """The release id."""
    @property
    def seq_from(self) -> int:
        """The sequence number of the first event the commit added."""
    @property
    def seq_to(self) -> int:
        """The sequence number of the last event the commit added."""
    @property
    def kinds(self) -> List[str]:
        """The kinds of the events, in order."""
    @property
    def status_before(self) -> Optional[str]:
        """The release status before the commit (``None`` when it created the release)."""
    @property
    def status_after(self) -> str:
        """The release status after the commit."""
    @property
    def deleted(self) -> bool:
        """Whether the commit deleted the release."""
    @property
    def at(self) -> datetime:
        """The time of the commit's last event (tz-aware, UTC)."""
    @property
    def actor(self) -> str:
        """Who issued the command (``system`` for the clock and the engine)."""
    @property
    def scope(self) -> str:
        """The release's scope."""
    @property
    def process_id(self) -> str:
        """The release's process id."""
    @property
    def release_kind(self) -> str:
        """The release's kind (snake_case)."""
    @property
    def group(self) -> Optional[str]:
        """The release group, if any."""
    @property
    def notifications(self) -> List[Notification]:
        """The notifications the commit caused, with resolved recipients."""
    @property
    def origin(self) -> str:
        """The worker id of the engine that committed it (empty when unknown)."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class FeedPage:
    """A page of the feed: ``entries`` and the cursor ``next`` to continue after."""

    @property
    def entries(self) -> List[FeedEntry]:
        """The entries, in cursor order."""
    @property
    def next(self) -> int:
        """The cursor to ask after next time (past every entry the page looked at)."""
    def __len__(self) -> int: ...

@final
class Watch:
    """A blocking iterator over the feed (``Engine.watch``); ``async for`` works too."""

    def __iter__(self) -> Iterator[FeedEntry]: ...
    def __next__(self) -> FeedEntry: ...
    def __aiter__(self) -> AsyncWatch: ...
    def next_entry(self, timeout: Optional[_Duration] = None) -> Optional[FeedEntry]:
        """The next entry within ``timeout`` (``None``: the watch's own); ``None`` when none came."""
    @property
    def cursor(self) -> int:
        """The cursor past the last entry read from the store."""
    @property
    def timeout(self) -> Optional[timedelta]:
        """The watch's own timeout per step (``None``: for ever)."""

@final
class RetryPolicy:
    """How a sink retries: ``min(cap, base * factor**(n-1))`` after the n-th failure, at most
    ``max_attempts`` attempts, then the dead-letter list."""

    def __new__(
        cls,
        *,
        base: _Duration = "1s",
        factor: float = 2.0,
        cap: _Duration = "5m",
        max_attempts: int = 10,
    ) -> "RetryPolicy": ...
    @property
    def base(self) -> Optional[timedelta]:
        """The wait after the first failure."""
    @property
    def factor(self) -> float:
        """How much longer each next wait is."""
    @property
    def cap(self) -> Optional[timedelta]:
        """The longest wait."""
    @property
    def max_attempts(self) -> int:
        """Attempts per entry, the first included."""

@final
class RunReport:
    """What one run of a sink did."""

    @property
    def sink(self) -> str:
        """The sink's name."""
    @property
    def delivered(self) -> int:
        """Entries delivered."""
    @property
    def dead_lettered(self) -> int:
        """Entries moved to the dead-letter list."""
    @property
    def cursor(self) -> int:
        """The consumer's stored cursor after the run."""
    @property
    def retry_at(self) -> Optional[datetime]:
        """When the entry waiting for a retry is due."""
    @property
    def last_error(self) -> Optional[str]:
        """The waiting entry's last error."""
    @property
    def caught_up(self) -> bool:
        """Whether the sink saw every entry there was."""

@final
class ReplayReport:
    """What a replay of dead letters did."""

    @property
    def delivered(self) -> int:
        """Dead letters delivered (and removed)."""
    @property
    def failed(self) -> int:
        """Dead letters whose delivery failed again."""
    @property
    def remaining(self) -> int:
        """Dead letters still on the list."""

@final
class DeadLetter:
    """An entry a sink gave up on."""

    @property
    def entry(self) -> FeedEntry:
        """The entry that was not delivered."""
    @property
    def sink(self) -> str:
        """The sink's name."""
    @property
    def error(self) -> str:
        """The last delivery error."""
    @property
    def permanent(self) -> bool:
        """Whether the last error was permanent rather than the last retry."""
    @property
    def attempts(self) -> int:
        """How many delivery attempts failed."""
    @property
    def first_failed_at(self) -> datetime:
        """When the first attempt failed."""
    @property
    def last_failed_at(self) -> datetime:
        """When the last attempt failed."""
