"""The ``claude-compat`` command line (placeholder)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``claude-compat`` console script."""
    return 0
