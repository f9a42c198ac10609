"""Unified-diff hunks in the Claude CLI's ``structuredPatch`` shape (3 lines of context)."""

from __future__ import annotations

import difflib
from typing import Any


def _lines(text: str) -> list[str]:
    """Lines with their newline kept, so a missing final newline still counts as a change."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def structured_patch(old: str, new: str, context: int = 3) -> list[dict[str, Any]]:
    """``[{oldStart, oldLines, newStart, newLines, lines: [" ctx", "-old", "+new"]}]``."""
    a, b = _lines(old), _lines(new)
    hunks: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if all(op[0] == "equal" for op in group):
            continue
        i1, j1 = group[0][1], group[0][3]
        i2, j2 = group[-1][2], group[-1][4]
        lines: list[str] = []
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines.extend(" " + s.rstrip("\n") for s in a[a1:a2])
                continue
            if tag in ("replace", "delete"):
                lines.extend("-" + s.rstrip("\n") for s in a[a1:a2])
            if tag in ("replace", "insert"):
                lines.extend("+" + s.rstrip("\n") for s in b[b1:b2])
        hunks.append(
            {"oldStart": i1 + 1, "oldLines": i2 - i1, "newStart": j1 + 1, "newLines": j2 - j1, "lines": lines}
        )
    return hunks
