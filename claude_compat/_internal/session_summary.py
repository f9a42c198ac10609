"""A session's running summary in a SessionStore: what a listing shows, folded as the Claude SDK does.

``fold_session_summary`` folds each appended batch of transcript entries into the summary
(title, first prompt, tag, branch, …), so a listing need not read the transcript again.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from ..types import SessionKey, SessionStoreEntry, SessionSummaryEntry

# Summary fields where the last appended value wins: transcript key -> summary data key.
_LAST_WINS_FIELDS = {
    "customTitle": "custom_title",
    "aiTitle": "ai_title",
    "lastPrompt": "last_prompt",
    "summary": "summary_hint",
    "gitBranch": "git_branch",
}

# User texts that are not a real first prompt (command output, hook and IDE wrappers, ticks).
_NOT_A_PROMPT = re.compile(
    r"^(?:<local-command-stdout>|<session-start-hook>|<tick>|<goal>|"
    r"\[Request interrupted by user[^\]]*\]|"
    r"\s*<ide_opened_file>[\s\S]*</ide_opened_file>\s*$|"
    r"\s*<ide_selection>[\s\S]*</ide_selection>\s*$)"
)
_COMMAND_NAME = re.compile(r"<command-name>(.*?)</command-name>")
_FIRST_PROMPT_MAX = 200


def iso_ms(value: Any) -> int | None:
    """Epoch ms of an ISO 8601 time (``…Z`` too); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        return int(datetime.fromisoformat(text).timestamp() * 1000)
    except ValueError:
        return None


def _user_texts(entry: dict[str, Any]) -> list[str]:
    """Texts of a user entry's message content (a string or text blocks)."""
    message = entry.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [
        block["text"]
        for block in content
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)
    ]


def _has_tool_result(entry: dict[str, Any]) -> bool:
    message = entry.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def _fold_first_prompt(data: dict[str, Any], entry: dict[str, Any]) -> None:
    """Latch the first real user prompt (or remember a slash command as a fallback)."""
    if data.get("first_prompt_locked") or entry.get("type") != "user":
        return
    if entry.get("isMeta") is True or entry.get("isCompactSummary") is True:
        return
    if _has_tool_result(entry):
        return
    for raw in _user_texts(entry):
        text = raw.replace("\n", " ").strip()
        if not text:
            continue
        command = _COMMAND_NAME.search(text)
        if command:
            if not data.get("command_fallback"):
                data["command_fallback"] = command.group(1)
            continue
        if _NOT_A_PROMPT.match(text):
            continue
        if len(text) > _FIRST_PROMPT_MAX:
            text = text[:_FIRST_PROMPT_MAX].rstrip() + "\u2026"
        data["first_prompt"] = text
        data["first_prompt_locked"] = True
        return


def fold_session_summary(
    prev: SessionSummaryEntry | None,
    key: SessionKey,
    entries: list[SessionStoreEntry],
) -> SessionSummaryEntry:
    """Fold appended entries into a session's running summary (pure; ``mtime`` left as is)."""
    if prev is not None:
        summary: SessionSummaryEntry = {
            "session_id": prev["session_id"],
            "mtime": prev["mtime"],
            "data": dict(prev["data"]),
        }
    else:
        summary = {"session_id": key["session_id"], "mtime": 0, "data": {}}
    data = summary["data"]
    for raw_entry in entries:
        entry = cast("dict[str, Any]", raw_entry)
        if "is_sidechain" not in data:
            data["is_sidechain"] = entry.get("isSidechain") is True
        if "created_at" not in data:
            created = iso_ms(entry.get("timestamp"))
            if created is not None:
                data["created_at"] = created
        if "cwd" not in data:
            cwd = entry.get("cwd")
            if isinstance(cwd, str) and cwd:
                data["cwd"] = cwd
        _fold_first_prompt(data, entry)
        for source, target in _LAST_WINS_FIELDS.items():
            value = entry.get(source)
            if isinstance(value, str):
                data[target] = value
        if entry.get("type") == "tag":
            tag = entry.get("tag")
            if isinstance(tag, str) and tag:
                data["tag"] = tag
            else:
                data.pop("tag", None)
    return summary
