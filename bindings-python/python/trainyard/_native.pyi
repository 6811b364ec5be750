"""Native part of the ``trainyard`` package; import from ``trainyard`` instead."""

from typing import Any, Dict, List, Optional, Tuple, Type, Union, final

__all__ = ["__version__", "Problem", "validate_process", "load_process"]

__version__: str

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

def validate_process(definition: Union[str, Dict[str, Any]]) -> List[Problem]:
    """Validates a process definition (YAML/JSON text or a dict) and returns its warnings.

    Raises ``ValidationError`` listing every problem when the definition is invalid.
    """

def load_process(definition: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
    """Loads a process definition (YAML/JSON text or a dict) and returns the normalized process.

    Raises ``ValidationError`` listing every problem when the definition is invalid.
    """
