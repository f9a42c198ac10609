"""Session records as the session functions find them: ids, lookup, directory filters, subagents.

Records come from the session registry (local SQLite or the Letta server). A read gets None for
an id it cannot use (:func:`readable_session`); a change gets ValueError for a malformed id and
SessionMissingError for an unknown one (:func:`existing_session`). Titles and tags are checked
and cleaned here as the Claude SDK checks them.
"""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata

from claude_compat.errors import InvalidOptionError, SessionNotFoundError

from .registry import SessionRecord, SessionRegistry

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MESSAGE_PREFIX = "message-"


class SessionMissingError(SessionNotFoundError, FileNotFoundError):
    """No such session: a SessionNotFoundError that ``except FileNotFoundError`` (Claude's) also catches."""


# ---------------------------------------------------------------------------
# Ids and records
# ---------------------------------------------------------------------------


def is_session_key(session_id: str) -> bool:
    """True for ids a session function accepts: a Claude session UUID or a Letta ``conv-…`` id."""
    return bool(_UUID.match(session_id)) or session_id.startswith("conv-")


def normalise_message_id(value: str) -> str:
    """A Letta message id from ``message-<uuid>`` or a bare ``<uuid>``; ValueError otherwise."""
    if value.startswith(_MESSAGE_PREFIX) and _UUID.match(value[len(_MESSAGE_PREFIX) :]):
        return value
    if _UUID.match(value):
        return _MESSAGE_PREFIX + value
    raise InvalidOptionError(
        f"{value!r} is not a message id: pass a SessionMessage.uuid from get_session_messages() "
        "(message-<uuid>) or an AssistantMessage.message_id"
    )


async def find_session(sessions: SessionRegistry, session_id: str) -> SessionRecord | None:
    """The record of a session id or of a Letta conversation id, or None."""
    if session_id.startswith("conv-"):
        return await sessions.by_conversation(session_id)
    return await sessions.get(session_id)


def _canonical(directory: str) -> str:
    """A directory as records hold it: real path, NFC-normalised."""
    try:
        return unicodedata.normalize("NFC", os.path.realpath(directory))
    except OSError:
        return unicodedata.normalize("NFC", directory)


def worktree_paths(directory: str) -> list[str]:
    """The git worktrees of the repository holding ``directory`` (empty outside git)."""
    try:
        done = subprocess.run(
            ["git", "worktree", "list", "--porcelain"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    return [
        unicodedata.normalize("NFC", line[len("worktree ") :])
        for line in done.stdout.splitlines()
        if line.startswith("worktree ")
    ]


def directory_filter(directory: str | None, include_worktrees: bool = True) -> set[str] | None:
    """The working directories that count as ``directory`` (itself and its worktrees), None = all."""
    if not directory:
        return None
    canonical = _canonical(directory)
    return {canonical, *(worktree_paths(canonical) if include_worktrees else [])}


def in_directory(record: SessionRecord, wanted: set[str] | None) -> bool:
    """Does the record belong to one of the ``wanted`` directories (None: any)?"""
    return wanted is None or (record.cwd is not None and _canonical(record.cwd) in wanted)


# ---------------------------------------------------------------------------
# Subagents
# ---------------------------------------------------------------------------


async def subagent_ids(sessions: SessionRegistry, session_id: str, directory: str | None = None) -> list[str]:
    """Ids of the subagents that ran in a session (empty when none, or unknown)."""
    record = await readable_session(sessions, session_id, directory)
    if record is None:
        return []
    return [c.subagent_id for c in await subagent_records(sessions, record.session_id) if c.subagent_id]


async def subagent_records(sessions: SessionRegistry, session_id: str) -> list[SessionRecord]:
    """The records of the subagents that ran in a session, oldest first."""
    children = [
        r for r in await sessions.list() if r.parent_session_id == session_id and r.subagent_id is not None
    ]
    return sorted(children, key=lambda r: r.created_at)


# ---------------------------------------------------------------------------
# Checks: titles, tags, and the record a read or a change acts on
# ---------------------------------------------------------------------------

_FORMAT_CATEGORIES = frozenset({"Cf", "Co", "Cn"})


def sanitize_tag(value: str) -> str:
    """NFKC-normalise and drop format, private-use and unassigned characters, as Claude does for tags."""
    current = value
    for _ in range(10):
        previous = current
        current = unicodedata.normalize("NFKC", current)
        current = "".join(c for c in current if unicodedata.category(c) not in _FORMAT_CATEGORIES)
        if current == previous:
            break
    return current


def check_session_id(session_id: str) -> None:
    """ValueError (as Claude raises) unless the id is a session UUID or a ``conv-…`` id."""
    if not is_session_key(session_id):
        raise InvalidOptionError(f"Invalid session_id: {session_id}")


def clean_title(title: str) -> str:
    """The stripped title; ValueError when nothing is left."""
    stripped = title.strip()
    if not stripped:
        raise InvalidOptionError("title must be non-empty")
    return stripped


def clean_tag(value: str | None) -> str | None:
    """The sanitized, stripped tag (None clears); ValueError when nothing is left."""
    if value is None:
        return None
    cleaned = sanitize_tag(value).strip()
    if not cleaned:
        raise InvalidOptionError("tag must be non-empty (use None to clear)")
    return cleaned


async def existing_session(
    sessions: SessionRegistry, session_id: str, directory: str | None
) -> SessionRecord:
    """The record a change acts on; ValueError for a malformed id, SessionMissingError if unknown."""
    check_session_id(session_id)
    record = await find_session(sessions, session_id)
    if record is None or not in_directory(record, directory_filter(directory)):
        where = f" in project directory for {directory}" if directory else ""
        raise SessionMissingError(
            f"Session {session_id} not found{where} (looked in {sessions.where}); "
            "list_sessions() shows the sessions there",
            looked_up=session_id,
        )
    return record


async def readable_session(
    sessions: SessionRegistry, session_id: str, directory: str | None
) -> SessionRecord | None:
    """The record a read acts on, or None (malformed, unknown or in another directory)."""
    if not is_session_key(session_id):
        return None
    record = await find_session(sessions, session_id)
    if record is None or not in_directory(record, directory_filter(directory)):
        return None
    return record
