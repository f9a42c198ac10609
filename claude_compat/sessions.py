"""Session functions of the Claude SDK: listing, reading, renaming, tagging, forking, stores.

Signatures and return values are the Claude SDK's. Sessions live on Letta: records in the
session registry (``CLAUDE_COMPAT_REGISTRY``: local SQLite, or the Letta server), histories in
Letta conversations. The functions are synchronous like Claude's; called from inside an event
loop they do their network work on a worker thread. ``InMemorySessionStore``,
``fold_session_summary`` and ``project_key_for_directory`` work as in the Claude SDK; the
``*_from_store`` / ``*_via_store`` functions are not built yet (sessions are not mirrored to stores).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import anyio

from letta_backend import sessions_store as _store
from letta_backend.backend import LettaBackend
from letta_backend.client import map_error
from letta_backend.letta_registry import registry_kind
from letta_backend.registry import LocalSessionRegistry, SessionRegistry, default_registry

from ._internal import claude_listing as _claude_listing
from ._internal import transcripts as _transcripts
from .errors import InvalidOptionError, NotSupportedOnLettaError
from .types import (
    SDKSessionInfo,
    SessionKey,
    SessionListSubkeysKey,
    SessionMessage,
    SessionStore,
    SessionStoreEntry,
    SessionStoreListEntry,
    SessionSummaryEntry,
)

__all__ = [
    "ForkSessionResult",
    "InMemorySessionStore",
    "delete_session",
    "delete_session_via_store",
    "fold_session_summary",
    "fork_session",
    "fork_session_via_store",
    "get_session_info",
    "get_session_info_from_store",
    "get_session_messages",
    "get_session_messages_from_store",
    "get_subagent_messages",
    "get_subagent_messages_from_store",
    "import_session_to_store",
    "list_sessions",
    "list_sessions_from_store",
    "list_subagents",
    "list_subagents_from_store",
    "project_key_for_directory",
    "rename_session",
    "rename_session_via_store",
    "tag_session",
    "tag_session_via_store",
]

T = TypeVar("T")


@dataclass
class ForkSessionResult:
    """The outcome of forking a session: the new session's id."""

    session_id: str


def _not_yet(name: str) -> NoReturn:
    raise NotSupportedOnLettaError(
        name,
        "sessions live on Letta and are not mirrored to a SessionStore yet; use the functions "
        "without _from_store/_via_store (list_sessions, get_session_messages, fork_session, …)",
    )


# ---------------------------------------------------------------------------
# Running async work from the sync functions
# ---------------------------------------------------------------------------


def _in_event_loop() -> bool:
    """Is an asyncio or trio event loop running in this thread?"""
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        pass
    trio: Any = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_trio_token()
            return True
        except RuntimeError:
            pass
    return False


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """Run async work to completion: here, or on a worker thread when a loop already runs here."""

    async def main() -> T:
        return await work()

    if not _in_event_loop():
        return anyio.run(main)
    outcome: list[T] = []
    failure: list[BaseException] = []

    def worker() -> None:
        try:
            outcome.append(anyio.run(main))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=worker, name="claude-compat-sessions", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


def _with_backend(work: Callable[[LettaBackend], Awaitable[T]]) -> T:
    """Connect to Letta (as query() would), do ``work``, close; Letta failures become typed errors."""

    async def run() -> T:
        backend = await LettaBackend.connect()
        try:
            return await work(backend)
        except Exception as exc:
            raise map_error(exc, backend.conn) from None
        finally:
            await backend.aclose()

    return _run(run)


def _with_registry(work: Callable[[SessionRegistry], Awaitable[T]]) -> T:
    """Read the registry: the local file needs no server; the Letta-side one connects."""
    if registry_kind() == "local":
        local = LocalSessionRegistry(default_registry())
        return _run(lambda: work(local))
    return _with_backend(lambda backend: work(backend.sessions))


def _known_locally(session_id: str, directory: str | None) -> bool:
    """With the local registry, is there such a session? (Avoids reaching a server for nothing.)"""
    if registry_kind() != "local":
        return True
    local = LocalSessionRegistry(default_registry())
    return _run(lambda: _store.readable_session(local, session_id, directory)) is not None


def _claude_only(session_id: str, directory: str | None) -> bool:
    """A session id claude-compat does not know (so a Claude transcript may hold it)."""
    return registry_kind() == "local" and not _known_locally(session_id, directory)


def _read(
    session_id: str, directory: str | None, work: Callable[[LettaBackend], Awaitable[T]], empty: T
) -> T:
    """A read that needs the server: ``empty`` for unknown sessions, as the Claude SDK returns."""
    if not _store.is_session_key(session_id) or not _known_locally(session_id, directory):
        return empty
    return _with_backend(work)


def _change(session_id: str, directory: str | None, work: Callable[[LettaBackend], Awaitable[T]]) -> T:
    """A change: ValueError for a malformed id, FileNotFoundError for an unknown one, before any server."""
    _store.check_session_id(session_id)
    if registry_kind() == "local":
        local = LocalSessionRegistry(default_registry())
        _run(lambda: _store.existing_session(local, session_id, directory))
    return _with_backend(work)


# ---------------------------------------------------------------------------
# Sessions (sync)
# ---------------------------------------------------------------------------


def list_sessions(
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    include_worktrees: bool = True,
) -> list[SDKSessionInfo]:
    """Sessions of a directory (and its git worktrees) or of all directories, newest first.

    ``summary`` is the custom title, else the first prompt; ``last_modified`` is when the session
    was last opened, resumed or edited (epoch ms). Subagent sessions are not listed. Sessions the
    real Claude SDK wrote and claude-compat has not imported yet are listed as the Claude SDK lists them.
    """
    ours = _with_registry(lambda reg: _store.list_session_infos(reg, directory, None, 0, include_worktrees))
    known = {info.session_id for info in ours}
    merged = ours + [i for i in _claude_listing.list_infos(directory) if i.session_id not in known]
    merged.sort(key=lambda info: info.last_modified, reverse=True)
    if offset > 0:
        merged = merged[offset:]
    return merged[:limit] if limit is not None and limit > 0 else merged


def get_session_info(session_id: str, directory: str | None = None) -> SDKSessionInfo | None:
    """Metadata of one session, or None when there is no such session (as in the Claude SDK)."""
    found = _with_registry(lambda reg: _store.session_info(reg, session_id, directory))
    if found is None and _store.is_session_key(session_id):
        return _claude_listing.info(session_id, directory)
    return found


def get_session_messages(
    session_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """The user and assistant messages of a session, from its Letta conversation, oldest first.

    ``uuid`` is the Letta message id (usable as ``up_to_message_id`` / ``resume_session_at``);
    ``message`` is Anthropic-shaped: text, thinking, tool_use and tool_result blocks. Unknown
    sessions give ``[]``, as in the Claude SDK.
    """
    if _store.is_session_key(session_id) and not _known_locally(session_id, directory):
        claude = _claude_listing.messages(session_id, directory)
        if claude is not None:
            claude = claude[offset:] if offset > 0 else claude
            return claude[:limit] if limit is not None and limit > 0 else claude
    return _read(
        session_id, directory, lambda b: _store.session_messages(b, session_id, directory, limit, offset), []
    )


def list_subagents(session_id: str, directory: str | None = None) -> list[str]:
    """Ids of the subagents (Agent tool calls) that ran in a session; [] when none or unknown."""
    return _with_registry(lambda reg: _store.subagent_ids(reg, session_id, directory))


def get_subagent_messages(
    session_id: str,
    agent_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """The messages of one subagent of a session ([] when unknown)."""
    if not agent_id:
        return []
    return _read(
        session_id,
        directory,
        lambda b: _store.subagent_messages(b, session_id, agent_id, directory, limit, offset),
        [],
    )


def rename_session(session_id: str, title: str, directory: str | None = None) -> None:
    """Give a session a custom title (also the Letta conversation's summary).

    ValueError for a malformed id or an empty title; FileNotFoundError (a SessionNotFoundError)
    when there is no such session.
    """
    _store.check_session_id(session_id)
    stripped = _store.clean_title(title)
    if _claude_only(session_id, directory) and _claude_listing.rename(session_id, stripped, directory):
        return
    _change(session_id, directory, lambda b: _store.rename(b, session_id, title, directory))


def tag_session(session_id: str, tag: str | None, directory: str | None = None) -> None:
    """Set (or, with None, clear) a session's tag."""
    _store.check_session_id(session_id)
    cleaned = _store.clean_tag(tag)
    if _claude_only(session_id, directory) and _claude_listing.tag(session_id, cleaned, directory):
        return
    _change(session_id, directory, lambda b: _store.tag(b, session_id, tag, directory))


def delete_session(session_id: str, directory: str | None = None) -> None:
    """Delete a session: its Letta conversation, its own agent if it had one, its subagents, its record.

    A Claude transcript not imported yet is deleted as the Claude SDK does (the file and its subagents).
    """
    _store.check_session_id(session_id)
    if _claude_only(session_id, directory) and _claude_listing.delete(session_id, directory):
        return
    _change(session_id, directory, lambda b: _store.delete(b, session_id, directory))


def fork_session(
    session_id: str,
    directory: str | None = None,
    up_to_message_id: str | None = None,
    title: str | None = None,
) -> ForkSessionResult:
    """Copy a session into a new one, up to and including ``up_to_message_id`` when given.

    The fork is a new Letta conversation on the same agent; its title defaults to the original's
    plus " (fork)". ``up_to_message_id`` is a ``SessionMessage.uuid`` (a Letta message id).
    """
    _store.check_session_id(session_id)
    if up_to_message_id:
        _store.normalise_message_id(up_to_message_id)
    new_id = _change(
        session_id, directory, lambda b: _store.fork(b, session_id, directory, up_to_message_id, title)
    )
    return ForkSessionResult(session_id=new_id)


# ---------------------------------------------------------------------------
# Sessions through a SessionStore (async)
# ---------------------------------------------------------------------------


def _store_uuid(session_id: str) -> None:
    """ValueError unless ``session_id`` is a session UUID (store keys are Claude session ids)."""
    if session_id.startswith("conv-") or not _store.is_session_key(session_id):
        raise InvalidOptionError(f"Invalid session_id: {session_id}")


async def _append_entry(
    store: SessionStore, session_id: str, directory: str | None, entry: dict[str, Any]
) -> None:
    """Append one metadata entry to a session's main transcript in a store, as the Claude SDK does."""
    stamp = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    full = {**entry, "sessionId": session_id, "uuid": str(uuid.uuid4()), "timestamp": stamp}
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    await store.append(key, [cast("SessionStoreEntry", full)])


async def list_sessions_from_store(
    session_store: SessionStore,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SDKSessionInfo]:
    """Sessions kept in a store, newest first."""
    _not_yet("list_sessions_from_store")


async def get_session_info_from_store(
    session_store: SessionStore, session_id: str, directory: str | None = None
) -> SDKSessionInfo | None:
    """Metadata of one session kept in a store, or None."""
    _not_yet("get_session_info_from_store")


async def get_session_messages_from_store(
    session_store: SessionStore,
    session_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """The user and assistant messages of a session kept in a store (as the Claude SDK reads them)."""
    if not _store.is_session_key(session_id) or session_id.startswith("conv-"):
        return []
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    entries = await session_store.load(key)
    if not entries:
        return []
    transcript = _transcripts.transcript_of_entries(session_id, _key_string(key), entries, strict=False)
    found = _claude_listing.session_messages(transcript)
    found = found[offset:] if offset > 0 else found
    return found[:limit] if limit is not None and limit > 0 else found


async def list_subagents_from_store(
    session_store: SessionStore, session_id: str, directory: str | None = None
) -> list[str]:
    """Ids of the subagents of a session kept in a store."""
    _not_yet("list_subagents_from_store")


async def get_subagent_messages_from_store(
    session_store: SessionStore,
    session_id: str,
    agent_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """The messages of one subagent of a session kept in a store."""
    _not_yet("get_subagent_messages_from_store")


async def rename_session_via_store(
    session_store: SessionStore, session_id: str, title: str, directory: str | None = None
) -> None:
    """Give a session kept in a store a custom title (appends a ``custom-title`` entry)."""
    _store_uuid(session_id)
    stripped = _store.clean_title(title)
    await _append_entry(
        session_store, session_id, directory, {"type": "custom-title", "customTitle": stripped}
    )


async def tag_session_via_store(
    session_store: SessionStore, session_id: str, tag: str | None, directory: str | None = None
) -> None:
    """Set or clear (an empty tag) the tag of a session kept in a store (appends a ``tag`` entry)."""
    _store_uuid(session_id)
    cleaned = _store.clean_tag(tag)
    await _append_entry(session_store, session_id, directory, {"type": "tag", "tag": cleaned or ""})


async def delete_session_via_store(
    session_store: SessionStore, session_id: str, directory: str | None = None
) -> None:
    """Delete a session kept in a store (a store without ``delete`` is left alone, as in the Claude SDK)."""
    _store_uuid(session_id)
    if getattr(type(session_store), "delete", None) is getattr(SessionStore, "delete", None):
        return
    await session_store.delete(
        {"project_key": project_key_for_directory(directory), "session_id": session_id}
    )


async def fork_session_via_store(
    session_store: SessionStore,
    session_id: str,
    directory: str | None = None,
    up_to_message_id: str | None = None,
    title: str | None = None,
) -> ForkSessionResult:
    """Fork a session kept in a store."""
    _not_yet("fork_session_via_store")


async def import_session_to_store(
    session_id: str,
    store: SessionStore,
    *,
    directory: str | None = None,
    include_subagents: bool = True,
    batch_size: int = 500,
) -> None:
    """Copy a local Claude transcript (and its subagents) into a store, as the Claude SDK does.

    The transcript is checked whole first: a bad line raises TranscriptError and nothing is
    appended. Sessions that live only on Letta cannot be copied yet (NotSupportedOnLettaError).
    """
    from ._internal.store_import import import_to_store

    _store.check_session_id(session_id)
    path = _transcripts.find_transcript(session_id, directory)
    if path is None:
        if _store.is_session_key(session_id) and not _claude_only(session_id, directory):
            _not_yet("import_session_to_store")
        raise _store.SessionMissingError(f"Session {session_id} not found", looked_up=session_id)
    await import_to_store(path, session_id, store, include_subagents=include_subagents, batch_size=batch_size)


# ---------------------------------------------------------------------------
# Project keys
# ---------------------------------------------------------------------------

_MAX_SANITIZED_LENGTH = 200
_NON_ALNUM = re.compile(r"[^a-zA-Z0-9]")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _js_string_hash(text: str) -> str:
    """The 32-bit ``hash * 31 + char`` string hash in base 36, as Claude's directory names use."""
    value = 0
    for char in text:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    if value >= 0x80000000:
        value -= 0x100000000
    value = abs(value)
    digits = ""
    while value:
        value, digit = divmod(value, 36)
        digits = _BASE36[digit] + digits
    return digits or "0"


def _sanitize_path(path: str) -> str:
    """Non-alphanumerics become '-'; long paths are cut and suffixed with a hash."""
    sanitized = _NON_ALNUM.sub("-", path)
    if len(sanitized) <= _MAX_SANITIZED_LENGTH:
        return sanitized
    return f"{sanitized[:_MAX_SANITIZED_LENGTH]}-{_js_string_hash(path)}"


def project_key_for_directory(directory: str | Path | None = None) -> str:
    """The store ``project_key`` of a directory (default: the working directory)."""
    raw = str(directory) if directory is not None else "."
    try:
        resolved = os.path.realpath(raw)
    except OSError:
        resolved = raw
    return _sanitize_path(unicodedata.normalize("NFC", resolved))


# ---------------------------------------------------------------------------
# Session summaries
# ---------------------------------------------------------------------------

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


def _iso_to_epoch_ms(value: Any) -> int | None:
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
            created = _iso_to_epoch_ms(entry.get("timestamp"))
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


# ---------------------------------------------------------------------------
# In-memory store
# ---------------------------------------------------------------------------


def _key_string(key: SessionKey | SessionListSubkeysKey) -> str:
    parts = [key["project_key"], key["session_id"]]
    subpath = cast("dict[str, Any]", key).get("subpath")
    if subpath:
        parts.append(subpath)
    return "/".join(parts)


class InMemorySessionStore(SessionStore):
    """A ``SessionStore`` kept in a dict, for tests and development (lost at exit)."""

    def __init__(self) -> None:
        self._store: dict[str, list[SessionStoreEntry]] = {}
        self._mtimes: dict[str, int] = {}
        self._summaries: dict[tuple[str, str], SessionSummaryEntry] = {}
        self._last_mtime = 0

    def _next_mtime(self) -> int:
        """Write time in epoch ms, strictly increasing so back-to-back appends differ."""
        now_ms = max(int(time.time() * 1000), self._last_mtime + 1)
        self._last_mtime = now_ms
        return now_ms

    async def append(self, key: SessionKey, entries: list[SessionStoreEntry]) -> None:
        """Append entries; main transcripts also update their summary."""
        k = _key_string(key)
        self._store.setdefault(k, []).extend(entries)
        now_ms = self._next_mtime()
        if key.get("subpath") is None:
            session = (key["project_key"], key["session_id"])
            folded = fold_session_summary(self._summaries.get(session), key, entries)
            folded["mtime"] = now_ms
            self._summaries[session] = folded
        self._mtimes[k] = now_ms

    async def load(self, key: SessionKey) -> list[SessionStoreEntry] | None:
        """A copy of the entries of ``key``, or None when never written."""
        entries = self._store.get(_key_string(key))
        return None if entries is None else list(entries)

    async def list_sessions(self, project_key: str) -> list[SessionStoreListEntry]:
        """Main transcripts of a project with their write times."""
        prefix = project_key + "/"
        return [
            {"session_id": k[len(prefix) :], "mtime": self._mtimes.get(k, 0)}
            for k in self._store
            if k.startswith(prefix) and "/" not in k[len(prefix) :]
        ]

    async def list_session_summaries(self, project_key: str) -> list[SessionSummaryEntry]:
        """Summaries of the project's main transcripts."""
        return [s for (pk, _), s in self._summaries.items() if pk == project_key]

    async def delete(self, key: SessionKey) -> None:
        """Delete ``key``; a main transcript takes its subkeys with it."""
        k = _key_string(key)
        self._store.pop(k, None)
        self._mtimes.pop(k, None)
        if key.get("subpath") is None:
            self._summaries.pop((key["project_key"], key["session_id"]), None)
            prefix = k + "/"
            for sub in [s for s in self._store if s.startswith(prefix)]:
                self._store.pop(sub, None)
                self._mtimes.pop(sub, None)

    async def list_subkeys(self, key: SessionListSubkeysKey) -> list[str]:
        """Subpaths stored under a session."""
        prefix = _key_string(key) + "/"
        return [k[len(prefix) :] for k in self._store if k.startswith(prefix)]

    def get_entries(self, key: SessionKey) -> list[SessionStoreEntry]:
        """Entries of ``key`` (empty when absent); a test helper."""
        return list(self._store.get(_key_string(key), []))

    @property
    def size(self) -> int:
        """Number of stored main transcripts; a test helper."""
        return sum(1 for k in self._store if k.count("/") == 1)

    def clear(self) -> None:
        """Forget everything; a test helper."""
        self._store.clear()
        self._mtimes.clear()
        self._summaries.clear()
        self._last_mtime = 0
