"""``AsyncWatch``: the asyncio face of :class:`trainyard.Watch` (``Engine.watch_async``).

Each step runs the watch's blocking wait (``Watch.next_entry``) in the event loop's default
executor, one slice of at most :data:`SLICE` at a time: the wait is the core's own (woken by
commits, no busy polling), the event loop keeps running meanwhile, and a cancelled ``async for``
frees its worker thread within one slice.
"""

import asyncio
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from ._native import FeedEntry, Watch

#: The longest one blocking wait in the executor lasts.
SLICE = timedelta(milliseconds=250)


class AsyncWatch:
    """An async iterator of the feed entries a :class:`trainyard.Watch` yields.

    ``async for entry in engine.watch_async(after, filter, timeout)``: each step waits for the next
    entry that passes the filter, at most the watch's ``timeout`` (``None``: for ever), and ends
    the iteration when none came.
    """

    def __init__(self, watch: "Watch") -> None:
        self._watch = watch

    @property
    def watch(self) -> "Watch":
        """The blocking watch underneath (its ``cursor`` says how far it read)."""
        return self._watch

    def __aiter__(self) -> "AsyncWatch":
        return self

    async def __anext__(self) -> "FeedEntry":
        entry = await self.next_entry(self._watch.timeout)
        if entry is None:
            raise StopAsyncIteration
        return entry

    async def next_entry(self, timeout: Optional[timedelta] = None) -> "Optional[FeedEntry]":
        """The next entry, waiting at most ``timeout`` (``None``: for ever); ``None`` when none came."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else time.monotonic() + timeout.total_seconds()
        while True:
            left = SLICE if deadline is None else timedelta(seconds=max(0.0, deadline - time.monotonic()))
            entry = await loop.run_in_executor(None, self._watch.next_entry, min(left, SLICE))
            if entry is not None:
                return entry
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def __repr__(self) -> str:
        return f"AsyncWatch({self._watch!r})"
