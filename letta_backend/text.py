"""Text as Letta can store it: well-formed Unicode, with lone surrogates replaced as the Claude CLI does.

A Python ``str`` may hold a lone surrogate (``"\\ud800"``), which has no UTF-8 form: sending it
fails inside the HTTP client with an encoding error. The Claude CLI turns each one into U+FFFD
and pairs of surrogates into the character they spell; :func:`well_formed` does the same.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def well_formed(value: T) -> T:
    """``value`` with every string in it (through dicts, lists and tuples) made valid Unicode."""
    if isinstance(value, str):
        if value.isascii():
            return value  # the common case, without copying
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")  # type: ignore[return-value]
    if isinstance(value, dict):
        return {well_formed(k): well_formed(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [well_formed(v) for v in value]  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(well_formed(v) for v in value)  # type: ignore[return-value]
    return value
