"""trainyard: an embeddable release-orchestration engine.

A *process* is the blueprint of a release (phases, activities, dependencies, approvals); a
*release* runs a process with concrete inputs. This package is a thin binding over the Rust core.

>>> import trainyard
>>> process = trainyard.load_process('''
... id: hello
... phases:
...   - id: build
...     activities:
...       - { id: compile, kind: automated, executor: command, with: { argv: ["make"] } }
... ''')
>>> process["phases"][0]["activities"][0]["id"]
'compile'
"""

from ._errors import (
    ConflictError,
    ExecutorError,
    ExpressionError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ScheduleError,
    StorageError,
    TrainyardError,
    ValidationError,
)
from ._native import Problem, __version__, load_process, validate_process

__all__ = [
    "ConflictError",
    "ExecutorError",
    "ExpressionError",
    "InvalidInputError",
    "InvalidTransitionError",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
    "ScheduleError",
    "StorageError",
    "TrainyardError",
    "ValidationError",
    "__version__",
    "load_process",
    "validate_process",
]
