"""Permission modes as data: each mode name (Claude's, and Letta Code's) → what it allows without asking.

The permission gate (:mod:`claude_compat._internal.permissions`) applies these rules on the client;
MIGRATING.md's permission-mode table is generated from them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModeRules:
    """What a permission mode allows without asking."""

    claude_name: str
    allow_all: bool = False  # every tool runs without asking
    allow_edits: bool = False  # file edits (Write/Edit/NotebookEdit, mkdir/touch…) in allowed dirs
    read_only: bool = False  # only read-only tools may run (plan mode)
    deny_asks: bool = False  # anything that would ask is denied instead (dontAsk)


#: Claude and Letta permission-mode names → one set of rules (both vocabularies accepted).
PERMISSION_MODES: dict[str, ModeRules] = {
    "default": ModeRules("default"),
    "acceptEdits": ModeRules("acceptEdits", allow_edits=True),
    "plan": ModeRules("plan", read_only=True),
    "bypassPermissions": ModeRules("bypassPermissions", allow_all=True),
    "dontAsk": ModeRules("dontAsk", deny_asks=True),
    "auto": ModeRules("default"),  # Claude's classifier mode: asks like default on Letta
    # Letta Code's names
    "standard": ModeRules("default"),
    "memory": ModeRules("plan", read_only=True),
    "unrestricted": ModeRules("bypassPermissions", allow_all=True),
}
