"""The exception classes of trainyard: one base class and one subclass per stable error code.

Every error raised by trainyard is a :class:`TrainyardError` whose ``code`` is one of the stable
snake_case strings shared with the Rust core and the Node package (``validation``,
``invalid_input``, ``invalid_transition``, ``not_found``, ``permission_denied``, ``conflict``,
``already_exists``,
``expression_error``, ``storage``, ``executor``, ``schedule``, ``unsupported_version``). ``TrainyardError`` itself, raised
only for a bug inside trainyard, has the code ``internal``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple, Type

from ._native import Problem

__all__ = [
    "BY_CODE",
    "ConflictError",
    "AlreadyExistsError",
    "ExecutorError",
    "ExpressionError",
    "InvalidInputError",
    "InvalidTransitionError",
    "JobFailed",
    "NotFoundError",
    "PermissionDeniedError",
    "ScheduleError",
    "StorageError",
    "TrainyardError",
    "UnsupportedVersionError",
    "ValidationError",
]


class TrainyardError(Exception):
    """Base class of every trainyard error.

    Attributes:
        code: the stable snake_case error code (see the subclasses).
        message: the human-readable message; also ``str(error)``.
        problems: the individual problems, for errors that carry them (``ValidationError``,
            ``InvalidInputError``); an empty list otherwise.
    """

    code: str = "internal"
    message: str
    problems: List[Problem]

    def __init__(self, message: str, *, problems: Iterable[Problem] = (), code: Optional[str] = None) -> None:
        """Creates the error with its ``message``, optional ``problems`` and, to override the
        class's own, a ``code``."""
        super().__init__(message)
        self.message = message
        self.problems = list(problems)
        if code is not None:
            self.code = code

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.problems, self.code))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, problems={self.problems!r})"


def _rebuild(cls: Type[TrainyardError], message: str, problems: List[Problem], code: str) -> TrainyardError:
    return cls(message, problems=problems, code=code)


class ValidationError(TrainyardError):
    """A definition (e.g. a process) is invalid; ``problems`` lists every problem found, in
    document order, each with its ``path``, ``code`` and ``message`` (and ``line``/``column`` for
    malformed text)."""

    code = "validation"


class InvalidInputError(TrainyardError):
    """Release inputs or field values are invalid; ``problems`` lists every problem found."""

    code = "invalid_input"


class InvalidTransitionError(TrainyardError):
    """A command is not allowed in the current status; the message names the status and the
    commands allowed in it."""

    code = "invalid_transition"


class NotFoundError(TrainyardError):
    """Something named (a process, release, phase or activity) does not exist."""

    code = "not_found"


class PermissionDeniedError(TrainyardError):
    """The actor lacks the role or listing a command needs."""

    code = "permission_denied"


class ConflictError(TrainyardError):
    """Lost a race: someone else changed the release (took the job, fired the timer) first.
    Nothing was written; trying again against the fresh state may succeed."""

    code = "conflict"


class AlreadyExistsError(TrainyardError):
    """What the command would create or record exists already (a release group or freeze id, a
    release id, an approver's decision, an archive). Trying again gives the same answer."""

    code = "already_exists"


class ExpressionError(TrainyardError):
    """An expression failed to compile or to evaluate."""

    code = "expression_error"


class StorageError(TrainyardError):
    """The storage backend failed."""

    code = "storage"


class ExecutorError(TrainyardError):
    """An executor failed outside of an activity outcome (e.g. an unknown executor)."""

    code = "executor"


class ScheduleError(TrainyardError):
    """A scheduling rule refused the command (freeze window, bad recurrence, bad time range)."""

    code = "schedule"


class UnsupportedVersionError(TrainyardError):
    """Stored data was written by a newer trainyard (a database schema, event or snapshot format
    this version does not know); nothing was changed. Open it with that version or a later one."""

    code = "unsupported_version"


BY_CODE: Dict[str, Type[TrainyardError]] = {
    cls.code: cls
    for cls in (
        ValidationError,
        InvalidInputError,
        InvalidTransitionError,
        NotFoundError,
        PermissionDeniedError,
        ConflictError,
        AlreadyExistsError,
        ExpressionError,
        StorageError,
        ExecutorError,
        ScheduleError,
        UnsupportedVersionError,
    )
}
"""The exception class for each stable error code."""


class JobFailed(Exception):
    """Raise it from an executor to fail the job with exactly ``message``, saying whether an
    automatic retry may help (``retryable``; the activity's ``retry`` policy applies only then).

    Any other exception raised by an executor also fails the job, with the message
    ``"<ExceptionType>: <message>"``, as retryable. ``JobFailed`` is not a :class:`TrainyardError`:
    the engine never raises it, executors do.
    """

    message: str
    retryable: bool

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        """Creates the failure with its ``message`` and whether it is ``retryable``."""
        super().__init__(message)
        self.message = message
        self.retryable = retryable

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild_job_failed, (self.message, self.retryable))

    def __repr__(self) -> str:
        return f"JobFailed({self.message!r}, retryable={self.retryable!r})"


def _rebuild_job_failed(message: str, retryable: bool) -> JobFailed:
    return JobFailed(message, retryable=retryable)
