"""Reading sessions kept in a SessionStore (the history verbs): list, info, messages, subagents.

Read as the Claude SDK reads a store: a listing uses the store's running summaries when it keeps
them (``fold_session_summary``) and loads only the sessions whose summary is missing or stale;
messages come from the stored transcript entries (``transcripts``, ``claude_listing``).
"""

from __future__ import annotations

import time
from typing import Any, cast

import anyio

from ..errors import InvalidOptionError
from ..types import (
    SDKSessionInfo,
    SessionKey,
    SessionMessage,
    SessionStore,
    SessionStoreListEntry,
    SessionSummaryEntry,
)
from . import claude_listing as _claude_listing
from . import transcripts as _transcripts
from .session_summary import iso_ms
from .store_keys import canonical_cwd, implements, is_store_uuid, key_string, project_key_for_directory

#: Most store ``load`` calls a listing runs at once (keeps adapters' connection pools whole).
_LOAD_CONCURRENCY = 16


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
    listing = list(await store.list_sessions(project_key)) if implements(store, "list_sessions") else None
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
    project_path = canonical_cwd(directory if directory is not None else ".")
    project_key = project_key_for_directory(directory)
    if implements(session_store, "list_session_summaries"):
        try:
            summaries = list(await session_store.list_session_summaries(project_key))
        except NotImplementedError:
            pass
        else:
            return await _from_summaries(session_store, summaries, project_key, project_path, limit, offset)
    if not implements(session_store, "list_sessions"):
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
    stamp = iso_ms(last.get("timestamp")) if isinstance(last, dict) else None
    return stamp if stamp is not None else int(time.time() * 1000)


async def get_session_info_from_store(
    session_store: SessionStore, session_id: str, directory: str | None = None
) -> SDKSessionInfo | None:
    """Metadata of one session kept in a store; None when unknown, not a UUID, a sidechain or empty."""
    if not is_store_uuid(session_id):
        return None
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    entries = cast("list[Any] | None", await session_store.load(key))
    if not entries:
        return None
    project_path = canonical_cwd(directory if directory is not None else ".")
    return _claude_listing.info_of_entries(session_id, entries, _last_entry_time(entries), project_path)


async def get_session_messages_from_store(
    session_store: SessionStore,
    session_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """The user and assistant messages of a session kept in a store (as the Claude SDK reads them)."""
    if not is_store_uuid(session_id):
        return []
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    entries = await session_store.load(key)
    if not entries:
        return []
    transcript = _transcripts.transcript_of_entries(session_id, key_string(key), entries, strict=False)
    return _transcripts.page(_claude_listing.session_messages(transcript), limit, offset)


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
    if not is_store_uuid(session_id):
        return []
    if not implements(session_store, "list_subkeys"):
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
    if not is_store_uuid(session_id) or not agent_id:
        return []
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    subpath: str | None = f"subagents/agent-{agent_id}"
    if implements(session_store, "list_subkeys"):
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
