"""Session functions of the Claude SDK: listing, reading, renaming, tagging, forking, stores.

Signatures and return values are the Claude SDK's. Sessions live on Letta: records in the
session registry (``CLAUDE_COMPAT_REGISTRY``: local SQLite, or the Letta server), histories in
Letta conversations. The functions are synchronous like Claude's; called from inside an event
loop they do their network work on a worker thread. ``InMemorySessionStore``,
``fold_session_summary`` and ``project_key_for_directory`` work as in the Claude SDK, and so do the
``*_from_store`` / ``*_via_store`` functions on any ``SessionStore``; ``import_session_to_store``
also copies a claude-compat session into a store as the transcript the Claude CLI would have written.
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
from typing import Any, TypeVar, cast

import anyio

from letta_backend import sessions_store as _store
from letta_backend.backend import LettaBackend
from letta_backend.client import map_error
from letta_backend.letta_registry import registry_kind
from letta_backend.registry import LocalSessionRegistry, SessionRegistry, default_registry

from ._internal import claude_listing as _claude_listing
from ._internal import session_history as _history
from ._internal import transcripts as _transcripts
from .errors import InvalidOptionError
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

#: Most store ``load`` calls a listing runs at once (keeps adapters' connection pools whole).
_LOAD_CONCURRENCY = 16


@dataclass
class ForkSessionResult:
    """The outcome of forking a session: the new session's id."""

    session_id: str


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


async def _using_backend(work: Callable[[LettaBackend], Awaitable[T]]) -> T:
    """Connect to Letta (as query() would), do ``work``, close; Letta failures become typed errors."""
    backend = await LettaBackend.connect()
    try:
        return await work(backend)
    except Exception as exc:
        raise map_error(exc, backend.conn) from None
    finally:
        await backend.aclose()


def _with_backend(work: Callable[[LettaBackend], Awaitable[T]]) -> T:
    """``_using_backend`` from synchronous code."""
    return _run(lambda: _using_backend(work))


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
    ours = _with_registry(lambda reg: _history.list_session_infos(reg, directory, None, 0, include_worktrees))
    known = {info.session_id for info in ours}
    merged = ours + [i for i in _claude_listing.list_infos(directory) if i.session_id not in known]
    merged.sort(key=lambda info: info.last_modified, reverse=True)
    if offset > 0:
        merged = merged[offset:]
    return merged[:limit] if limit is not None and limit > 0 else merged


def get_session_info(session_id: str, directory: str | None = None) -> SDKSessionInfo | None:
    """Metadata of one session, or None when there is no such session (as in the Claude SDK)."""
    found = _with_registry(lambda reg: _history.session_info(reg, session_id, directory))
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
        session_id,
        directory,
        lambda b: _history.session_messages(b, session_id, directory, limit, offset),
        [],
    )


def list_subagents(session_id: str, directory: str | None = None) -> list[str]:
    """Ids of the subagents (Agent tool calls) that ran in a session; [] when none or unknown.

    For a Claude transcript not imported yet: its subagent transcripts' ids, as the Claude SDK lists them.
    """
    if _store.is_session_key(session_id) and _claude_only(session_id, directory):
        return _claude_listing.subagent_ids(session_id, directory) or []
    return _with_registry(lambda reg: _store.subagent_ids(reg, session_id, directory))


def get_subagent_messages(
    session_id: str,
    agent_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """The messages of one subagent of a session ([] when unknown); for a Claude transcript not
    imported yet, its subagent transcript's messages as the Claude SDK reads them."""
    if not agent_id:
        return []
    if _store.is_session_key(session_id) and _claude_only(session_id, directory):
        found = _claude_listing.subagent_messages(session_id, agent_id, directory)
        return _transcripts.page(found or [], limit, offset)
    return _read(
        session_id,
        directory,
        lambda b: _history.subagent_messages(b, session_id, agent_id, directory, limit, offset),
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
    A Claude transcript not imported yet is forked as the Claude SDK forks it: a new transcript
    in the same project folder (``up_to_message_id`` then is an entry uuid).
    """
    _store.check_session_id(session_id)
    if _claude_only(session_id, directory):
        path = _transcripts.session_file(session_id, directory)
        if path is not None:
            if up_to_message_id and not _is_store_uuid(up_to_message_id):
                raise InvalidOptionError(f"Invalid up_to_message_id: {up_to_message_id}")
            return ForkSessionResult(_claude_listing.fork(path, session_id, up_to_message_id, title))
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


def _implements(store: SessionStore, method: str) -> bool:
    """Does the store define ``method`` itself (not the protocol's NotImplementedError default)?

    The defaults of claude-compat's protocol and of the Claude SDK's one (a store may subclass
    either) both count as absent, as the Claude SDK counts its own.
    """
    found = getattr(type(store), method, None)
    if found is None or found is getattr(SessionStore, method, None):
        return False
    return getattr(found, "__qualname__", "") != f"SessionStore.{method}"


async def _infos_via_load(
    store: SessionStore, listing: list[SessionStoreListEntry], project_key: str, project_path: str
) -> list[SDKSessionInfo]:
    """Load each listed session (at most 16 at once) and summarise it; a failing load gives an empty row."""
    limiter = anyio.CapacityLimiter(_LOAD_CONCURRENCY)
    loaded: list[list[Any] | Exception | None] = [None] * len(listing)

    async def load(index: int, session_id: str) -> None:
        async with limiter:
            try:
                loaded[index] = cast(
                    "list[Any] | None",
                    await store.load({"project_key": project_key, "session_id": session_id}),
                )
            except Exception as exc:  # the adapter is user code: one bad row, not a failed listing
                loaded[index] = exc

    async with anyio.create_task_group() as group:
        for index, listed in enumerate(listing):
            group.start_soon(load, index, listed["session_id"])
    out: list[SDKSessionInfo] = []
    for listed, entries in zip(listing, loaded, strict=True):
        if isinstance(entries, Exception):
            out.append(
                SDKSessionInfo(session_id=listed["session_id"], summary="", last_modified=listed["mtime"])
            )
        elif entries:
            info = _claude_listing.info_of_entries(
                listed["session_id"], entries, listed["mtime"], project_path
            )
            if info is not None:
                out.append(info)
    return out


def _summary_to_info(summary: SessionSummaryEntry, project_path: str | None) -> SDKSessionInfo | None:
    """A store's running summary (``fold_session_summary``) as ``SDKSessionInfo``; None for sidechains."""
    data = summary["data"]
    if data.get("is_sidechain"):
        return None
    first_prompt = (
        data.get("first_prompt") if data.get("first_prompt_locked") else data.get("command_fallback")
    ) or None
    custom_title = data.get("custom_title") or data.get("ai_title") or None
    text = custom_title or data.get("last_prompt") or data.get("summary_hint") or first_prompt
    if not text:
        return None
    return SDKSessionInfo(
        session_id=summary["session_id"],
        summary=text,
        last_modified=summary["mtime"],
        file_size=None,
        custom_title=custom_title,
        first_prompt=first_prompt,
        git_branch=data.get("git_branch") or None,
        cwd=data.get("cwd") or project_path or None,
        tag=data.get("tag") or None,
        created_at=data.get("created_at"),
    )


async def _from_summaries(
    store: SessionStore,
    summaries: list[SessionSummaryEntry],
    project_key: str,
    project_path: str,
    limit: int | None,
    offset: int,
) -> list[SDKSessionInfo]:
    """Fresh summaries as they are; sessions without one, or with a stale one, loaded (after paging)."""
    listing = list(await store.list_sessions(project_key)) if _implements(store, "list_sessions") else None
    known = {e["session_id"]: e["mtime"] for e in listing or []}
    slots: list[tuple[int, str, SDKSessionInfo | None]] = []
    fresh: set[str] = set()
    for summary in summaries:
        session_id = summary["session_id"]
        if listing is not None and (session_id not in known or summary["mtime"] < known[session_id]):
            continue  # gone, or older than the transcript: loaded below
        fresh.add(session_id)
        info = _summary_to_info(summary, project_path)
        if info is not None:
            slots.append((summary["mtime"], session_id, info))
    slots.extend((e["mtime"], e["session_id"], None) for e in listing or [] if e["session_id"] not in fresh)
    slots.sort(key=lambda slot: slot[0], reverse=True)
    slots = slots[offset:] if offset > 0 else slots
    if limit is not None and limit > 0:
        slots = slots[:limit]
    missing: list[SessionStoreListEntry] = [{"session_id": s, "mtime": m} for m, s, i in slots if i is None]
    filled = {i.session_id: i for i in await _infos_via_load(store, missing, project_key, project_path)}
    return [info for _, session_id, given in slots if (info := given or filled.get(session_id)) is not None]


async def list_sessions_from_store(
    session_store: SessionStore,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SDKSessionInfo]:
    """Sessions kept in a store for ``directory``, newest first, summarised as ``list_sessions`` does.

    Uses the store's running summaries when it keeps them (loading only sessions whose summary is
    missing or stale), else loads every session. InvalidOptionError (a ValueError) for a store
    with neither ``list_session_summaries`` nor ``list_sessions``.
    """
    project_path = _transcripts.canonical_cwd(directory if directory is not None else ".")
    project_key = project_key_for_directory(directory)
    if _implements(session_store, "list_session_summaries"):
        try:
            summaries = list(await session_store.list_session_summaries(project_key))
        except NotImplementedError:
            pass
        else:
            return await _from_summaries(session_store, summaries, project_key, project_path, limit, offset)
    if not _implements(session_store, "list_sessions"):
        raise InvalidOptionError(
            "session_store implements neither list_session_summaries() nor list_sessions(), so its "
            "sessions cannot be listed; add one of them to the store"
        )
    listing = list(await session_store.list_sessions(project_key))
    found = await _infos_via_load(session_store, listing, project_key, project_path)
    found.sort(key=lambda info: info.last_modified, reverse=True)
    found = found[offset:] if offset > 0 else found
    return found[:limit] if limit is not None and limit > 0 else found


def _last_entry_time(entries: list[Any]) -> int:
    """Epoch ms of the last entry's timestamp, else now (as the Claude SDK dates a loaded session)."""
    last = entries[-1] if entries else None
    stamp = _iso_to_epoch_ms(last.get("timestamp")) if isinstance(last, dict) else None
    return stamp if stamp is not None else int(time.time() * 1000)


async def get_session_info_from_store(
    session_store: SessionStore, session_id: str, directory: str | None = None
) -> SDKSessionInfo | None:
    """Metadata of one session kept in a store; None when unknown, not a UUID, a sidechain or empty."""
    if not _store.is_session_key(session_id) or session_id.startswith("conv-"):
        return None
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    entries = cast("list[Any] | None", await session_store.load(key))
    if not entries:
        return None
    project_path = _transcripts.canonical_cwd(directory if directory is not None else ".")
    return _claude_listing.info_of_entries(session_id, entries, _last_entry_time(entries), project_path)


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
    return _transcripts.page(_claude_listing.session_messages(transcript), limit, offset)


def _is_store_uuid(session_id: str) -> bool:
    return _store.is_session_key(session_id) and not session_id.startswith("conv-")


async def _subagent_paths(store: SessionStore, key: SessionKey) -> list[str]:
    """Subpaths of a session's subagent transcripts (``subagents/…/agent-<id>``)."""
    subkeys = await store.list_subkeys({"project_key": key["project_key"], "session_id": key["session_id"]})
    return [p for p in subkeys if p.startswith("subagents/") and p.rsplit("/", 1)[-1].startswith("agent-")]


async def list_subagents_from_store(
    session_store: SessionStore, session_id: str, directory: str | None = None
) -> list[str]:
    """Ids of the subagents of a session kept in a store ([] when none or not a session UUID).

    InvalidOptionError (a ValueError) for a store without ``list_subkeys``.
    """
    if not _is_store_uuid(session_id):
        return []
    if not _implements(session_store, "list_subkeys"):
        raise InvalidOptionError(
            "session_store does not implement list_subkeys(), so a session's subagents cannot be "
            "listed; add list_subkeys() to the store"
        )
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    ids: list[str] = []
    for path in await _subagent_paths(session_store, key):
        agent_id = path.rsplit("/", 1)[-1].removeprefix("agent-")
        if agent_id not in ids:
            ids.append(agent_id)
    return ids


async def get_subagent_messages_from_store(
    session_store: SessionStore,
    session_id: str,
    agent_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """The messages of one subagent of a session kept in a store ([] when unknown).

    Each message carries the Agent call that started the subagent (``parent_tool_use_id``) and
    the subagent that started it (``parent_agent_id``), from the subagent's ``agent_metadata`` entry.
    """
    if not _is_store_uuid(session_id) or not agent_id:
        return []
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    subpath: str | None = f"subagents/agent-{agent_id}"
    if _implements(session_store, "list_subkeys"):
        wanted = f"agent-{agent_id}"
        subpath = next(
            (p for p in await _subagent_paths(session_store, key) if p.rsplit("/", 1)[-1] == wanted), None
        )
    if subpath is None:
        return []
    key["subpath"] = subpath
    entries = cast("list[Any] | None", await session_store.load(key))
    metadata = [e for e in entries or [] if isinstance(e, dict) and e.get("type") == "agent_metadata"]
    lines = [e for e in entries or [] if not (isinstance(e, dict) and e.get("type") == "agent_metadata")]
    if not lines:
        return []
    found = _claude_listing.subagent_session_messages(
        [e for e in lines if isinstance(e, dict)], metadata[-1] if metadata else None
    )
    return _transcripts.page(found, limit, offset)


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
    """Fork a session kept in a store into a new one in the same project, as the Claude SDK does.

    The fork copies the conversation (up to and including ``up_to_message_id``, an entry uuid)
    with fresh uuids; its title is ``title``, else the original's title or first prompt plus
    " (fork)". InvalidOptionError (a ValueError) for a malformed id or an unknown message,
    SessionMissingError (a FileNotFoundError) when the store has no such session,
    TranscriptError (a ValueError) when it has no messages to fork.
    """
    from ._internal.transcript_fork import fork_entries

    _store_uuid(session_id)
    if up_to_message_id and not _is_store_uuid(up_to_message_id):
        raise InvalidOptionError(f"Invalid up_to_message_id: {up_to_message_id}")
    project_key = project_key_for_directory(directory)
    key: SessionKey = {"project_key": project_key, "session_id": session_id}
    loaded = cast("list[Any] | None", await session_store.load(key))
    if not loaded:
        raise _store.SessionMissingError(
            f"Session {session_id} not found in the store under project {project_key}; "
            "list_sessions_from_store() shows the sessions there",
            looked_up=session_id,
        )
    entries = [e for e in loaded if isinstance(e, dict)]
    fork_id, forked = fork_entries(entries, session_id, _key_string(key), up_to_message_id, title)
    await session_store.append(
        {"project_key": project_key, "session_id": fork_id}, cast("list[SessionStoreEntry]", forked)
    )
    return ForkSessionResult(session_id=fork_id)


async def import_session_to_store(
    session_id: str,
    store: SessionStore,
    *,
    directory: str | None = None,
    include_subagents: bool = True,
    batch_size: int = 500,
) -> None:
    """Copy a session into a store, as the Claude SDK does: a local Claude transcript (and its
    subagents) line by line, or a claude-compat session as the transcript the Claude CLI would have
    written for it, so the Claude SDK can list, read and resume it from the store.

    Everything is read and checked before the first append: a bad transcript line raises
    TranscriptError and nothing is written. SessionMissingError (a FileNotFoundError) when the
    session is nowhere.
    """
    from ._internal.store_import import append_plan, import_to_store

    _store.check_session_id(session_id)
    path = _transcripts.find_transcript(session_id, directory)
    if path is not None:
        await import_to_store(
            path, session_id, store, include_subagents=include_subagents, batch_size=batch_size
        )
        return
    if not _store.is_session_key(session_id) or _claude_only(session_id, directory):
        raise _store.SessionMissingError(f"Session {session_id} not found", looked_up=session_id)
    plan = await _using_backend(lambda b: _letta_export_plan(b, session_id, directory, include_subagents))
    await append_plan(store, plan, batch_size)


async def _letta_export_plan(
    backend: LettaBackend, session_id: str, directory: str | None, include_subagents: bool
) -> list[tuple[SessionKey, list[dict[str, Any]]]]:
    """What importing a claude-compat session writes: (store key, entries) per transcript."""
    from ._internal import mirror

    record, main, children = await _history.export_session(backend, session_id, directory)
    project_key = project_key_for_directory(record.cwd or directory)
    entries = mirror.history_entries(record.session_id, main.messages, main.times, cwd=record.cwd)
    entries += mirror.session_metadata_entries(record.session_id, entries, title=record.title, tag=record.tag)
    plan: list[tuple[SessionKey, list[dict[str, Any]]]] = [
        ({"project_key": project_key, "session_id": record.session_id}, entries)
    ]
    for child in children if include_subagents else []:
        # keyed by the Agent call, as the live mirror keys a subagent's messages
        agent_id = child.parent_tool_use_id or child.subagent_id or ""
        lines = mirror.history_entries(
            record.session_id, child.messages, child.times, cwd=record.cwd, agent_id=agent_id
        )
        if child.parent_tool_use_id:
            lines.append({"type": "agent_metadata", "toolUseId": child.parent_tool_use_id})
        key: SessionKey = {
            "project_key": project_key,
            "session_id": record.session_id,
            "subpath": f"subagents/agent-{agent_id}",
        }
        plan.append((key, lines))
    return plan


# ---------------------------------------------------------------------------
# Project keys
# ---------------------------------------------------------------------------

#: Longest project key kept whole; longer ones are cut and get a hash suffix (as the Claude CLI's).
MAX_SANITIZED_LENGTH = 200
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
    if len(sanitized) <= MAX_SANITIZED_LENGTH:
        return sanitized
    return f"{sanitized[:MAX_SANITIZED_LENGTH]}-{_js_string_hash(path)}"


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
