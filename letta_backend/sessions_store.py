"""Session functions on Letta: records, raw history, rename, tag, delete, fork.

The Letta halves of ``claude_compat.sessions``: records come from the session registry (local
SQLite or the Letta server), histories from ``conversations.messages.list`` (the Claude side
renders them, see ``claude_compat._internal.session_history``). Also: forking a
conversation at a message (Letta 0.16.8 ignores ``fork(message_id=…)``, so it is emulated
exactly, see :func:`fork_conversation_at`) and CLAUDE.md files as memory blocks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import unicodedata
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import filelock
from letta_client import AsyncLetta

from claude_compat.errors import InvalidOptionError, SessionBusyError, SessionNotFoundError

from .registry import SessionRecord, SessionRegistry, home_dir

if TYPE_CHECKING:
    from .backend import LettaBackend

_log = logging.getLogger(__name__)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MESSAGE_PREFIX = "message-"
_PAGE = 1000


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
    return wanted is None or (record.cwd is not None and _canonical(record.cwd) in wanted)


# ---------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------


async def subagent_ids(sessions: SessionRegistry, session_id: str, directory: str | None = None) -> list[str]:
    """Ids of the subagents that ran in a session (empty when none, or unknown)."""
    record = await readable_session(sessions, session_id, directory)
    if record is None:
        return []
    return [c.subagent_id for c in await subagent_records(sessions, record.session_id) if c.subagent_id]


async def subagent_records(sessions: SessionRegistry, session_id: str) -> list[SessionRecord]:
    children = [
        r for r in await sessions.list() if r.parent_session_id == session_id and r.subagent_id is not None
    ]
    return sorted(children, key=lambda r: r.created_at)


# ---------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------


async def conversation_history(
    client: AsyncLetta, conversation_id: str, *, agent_id: str | None
) -> list[dict[str, Any]]:
    """Every Letta message of a conversation, oldest first, as plain dicts.

    One stored message can list as several (reasoning, text, tool call) sharing an id, so each
    page after the first restarts at the last id it could have split, and repeats are dropped.
    """
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    after: str | None = None
    while True:
        kwargs: dict[str, Any] = {"order": "asc", "limit": _PAGE}
        if conversation_id == "default":
            kwargs["agent_id"] = agent_id
        if after is not None:
            kwargs["after"] = after
        page = await client.conversations.messages.list(conversation_id, **kwargs)
        items = [m.model_dump(mode="json", exclude_none=True) for m in page.items]
        fresh = 0
        for item in items:
            key = (str(item.get("id")), str(item.get("message_type")), str(item.get("otid")))
            if key not in seen:
                seen.add(key)
                out.append(item)
                fresh += 1
        if len(items) < _PAGE or fresh == 0:
            return out
        ids = [str(i.get("id")) for i in items]
        earlier = next((i for i in reversed(ids) if i != ids[-1]), None)
        after = earlier if earlier is not None and earlier != after else ids[-1]


# ---------------------------------------------------------------------------
# Mutations
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


async def _ignore_missing(call: Any) -> None:
    """Await a Letta call, treating 404 (already gone) as done."""
    try:
        await call
    except Exception as exc:
        if getattr(exc, "status_code", None) != 404:
            raise


async def rename(backend: LettaBackend, session_id: str, title: str, directory: str | None = None) -> None:
    """Set the session's title in the registry and as the Letta conversation's summary."""
    check_session_id(session_id)
    stripped = clean_title(title)
    record = await existing_session(backend.sessions, session_id, directory)
    await backend.sessions.touch(record.session_id, title=stripped)
    if record.conversation_id != "default":
        await _ignore_missing(backend.client.conversations.update(record.conversation_id, summary=stripped))


async def tag(
    backend: LettaBackend, session_id: str, value: str | None, directory: str | None = None
) -> None:
    """Set (None: clear) the session's tag; Letta conversations have no tags, so it lives in the registry."""
    check_session_id(session_id)
    cleaned = clean_tag(value)
    record = await existing_session(backend.sessions, session_id, directory)
    await backend.sessions.touch(record.session_id, tag=cleaned)


async def _delete_record(backend: LettaBackend, record: SessionRecord) -> None:
    """Delete one session; its own agent goes too, unless a fork still runs on it (which then owns it)."""
    if record.conversation_id != "default":
        await _ignore_missing(backend.client.conversations.delete(record.conversation_id))
    if record.owns_agent and record.agent_id:
        heirs = [
            r
            for r in await backend.sessions.list()
            if r.agent_id == record.agent_id and r.session_id != record.session_id
        ]
        if heirs:
            await backend.sessions.touch(heirs[0].session_id, owns_agent=True)
        else:
            await _ignore_missing(backend.client.agents.delete(record.agent_id))
    await backend.sessions.delete(record.session_id)


async def delete(backend: LettaBackend, session_id: str, directory: str | None = None) -> None:
    """Delete the session: its Letta conversation, its own agent if it has one, its subagents, its record.

    Forks keep working: Letta deletes conversations softly and forks hold their own references.
    """
    record = await existing_session(backend.sessions, session_id, directory)
    for child in await subagent_records(backend.sessions, record.session_id):
        await _delete_record(backend, child)
    await _delete_record(backend, record)


async def fork(
    backend: LettaBackend,
    session_id: str,
    directory: str | None = None,
    up_to_message_id: str | None = None,
    title: str | None = None,
) -> str:
    """Copy a session (up to and including a message, when given) into a new one; its id."""
    check_session_id(session_id)
    point = normalise_message_id(up_to_message_id) if up_to_message_id else None
    record = await existing_session(backend.sessions, session_id, directory)
    if point is not None:
        conversation_id = await fork_conversation_at(
            backend.client,
            record.conversation_id,
            agent_id=record.agent_id,
            message_id=point,
            session_id=record.session_id,
        )
    else:
        conversation_id = await _fork_whole(backend.client, record)
    fork_title = (title or "").strip() or f"{record.title or record.first_prompt or 'Forked session'} (fork)"
    new = await backend.sessions.put(
        SessionRecord(
            session_id=str(uuid.uuid4()),
            server_url=record.server_url,
            agent_id=record.agent_id,
            conversation_id=conversation_id,
            cwd=record.cwd,
            model=record.model,
            title=fork_title,
            first_prompt=record.first_prompt,
            parent_session_id=record.session_id,
            fork_point=point,
        )
    )
    await _ignore_missing(backend.client.conversations.update(conversation_id, summary=fork_title))
    return new.session_id


async def _fork_whole(client: AsyncLetta, record: SessionRecord) -> str:
    if record.conversation_id == "default":
        conv = await client.conversations.fork("default", agent_id=record.agent_id)
    else:
        conv = await client.conversations.fork(record.conversation_id)
    return conv.id


# ---------------------------------------------------------------------------
# Forking at a message
# ---------------------------------------------------------------------------

#: Per server URL: does ``conversations.fork(message_id=…)`` cut the history there? (0.16.8: no)
_native_fork_at: dict[str, bool] = {}
_LAST_SERVER_WITHOUT_FORK_AT = (0, 16, 8)


async def _server_forks_at_messages(client: AsyncLetta) -> bool | None:
    """False for servers known to ignore ``message_id`` on fork, None when it must be tried."""
    key = str(client.base_url)
    if key in _native_fork_at:
        return _native_fork_at[key]
    try:
        health: Any = await client.get("/v1/health/", cast_to=object)
        version = tuple(int(p) for p in str(health.get("version", "")).split(".")[:3])
    except Exception:
        return None
    if version and version <= _LAST_SERVER_WITHOUT_FORK_AT:
        _native_fork_at[key] = False
        return False
    return None


async def fork_conversation_at(
    client: AsyncLetta,
    conversation_id: str,
    *,
    agent_id: str,
    message_id: str,
    session_id: str | None = None,
) -> str:
    """A new conversation holding ``conversation_id``'s history up to and including ``message_id``.

    Servers that honour ``fork(message_id=…)`` do it natively (checked on the result). Letta
    0.16.8 ignores it, so there the agent's default thread is borrowed for about 0.3 s: its
    message list is set to the kept prefix, forked into a new conversation (messages are
    shared, not copied; no model call), and restored. A lock file serialises this per agent on
    this machine; the result is verified and retried if another machine raced it.
    """
    wanted = normalise_message_id(message_id)
    if conversation_id == "default":
        agent = await client.agents.retrieve(agent_id)
        history = list(agent.message_ids or [])
    else:
        conv = await client.conversations.retrieve(conversation_id)
        agent_id = conv.agent_id
        history = list(conv.in_context_message_ids or [])
    if wanted not in history[1:]:
        raise SessionNotFoundError(
            f"message {wanted} is not in the history of session {session_id or conversation_id} "
            "(or was compacted out of it); pass a uuid from get_session_messages()",
            looked_up=wanted,
        )
    keep = history[: history.index(wanted) + 1]
    if conversation_id != "default" and await _server_forks_at_messages(client) is not False:
        forked = await client.conversations.fork(conversation_id, message_id=wanted)
        if await _holds(client, forked.id, keep):
            _native_fork_at[str(client.base_url)] = True
            return forked.id
        _native_fork_at[str(client.base_url)] = False
        await _ignore_missing(client.conversations.delete(forked.id))
    for _ in range(3):
        forked_id = await _fork_through_default_thread(client, agent_id, keep)
        if await _holds(client, forked_id, keep):
            return forked_id
        await _ignore_missing(client.conversations.delete(forked_id))
    raise SessionNotFoundError(
        f"could not fork at message {wanted}: the agent {agent_id} kept changing while forking — retry",
        looked_up=wanted,
    )


async def _holds(client: AsyncLetta, conversation_id: str, keep: Sequence[str]) -> bool:
    """Does the conversation hold exactly ``keep`` after its own system message?"""
    conv = await client.conversations.retrieve(conversation_id)
    return list(conv.in_context_message_ids or [])[1:] == list(keep[1:])


async def _fork_through_default_thread(client: AsyncLetta, agent_id: str, keep: Sequence[str]) -> str:
    async with _agent_file_lock(agent_id):
        agent = await client.agents.retrieve(agent_id)
        saved = list(agent.message_ids or [])
        system = saved[0] if saved else keep[0]
        await client.agents.update(agent_id, message_ids=[system, *keep[1:]])
        try:
            conv = await client.conversations.fork("default", agent_id=agent_id)
        finally:
            with anyio.CancelScope(shield=True):
                await client.agents.update(agent_id, message_ids=saved)
    _log.debug("forked %s at %s through the default thread of %s", conv.id, keep[-1], agent_id)
    return conv.id


#: Longest wait for another process's fork of the same agent (it makes four bounded requests).
AGENT_LOCK_WAIT = 300.0


@contextlib.asynccontextmanager
async def _agent_file_lock(agent_id: str, *, wait: float = AGENT_LOCK_WAIT) -> AsyncIterator[None]:
    """An exclusive lock per agent shared by every process of this user (polled, never blocking)."""
    path = home_dir() / "locks" / f"{agent_id}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(path)
    with anyio.move_on_after(wait) as waiting:
        while True:
            try:
                lock.acquire(timeout=0)
                break
            except filelock.Timeout:
                await anyio.sleep(0.05)
    if waiting.cancelled_caught:
        raise SessionBusyError(
            f"another claude-compat process has been forking a conversation of agent {agent_id} "
            f"for over {wait:g} s (lock file {path}) — retry once it has finished"
        )
    try:
        yield
    finally:
        lock.release()
