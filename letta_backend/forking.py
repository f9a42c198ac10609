"""Forking a Letta conversation, whole or at a message: the one fork of session forks and resumes.

``fork_session()`` and ``resume=`` with ``fork_session=`` / ``resume_session_at=`` all come here:
:func:`fork_conversation` makes the new conversation and :func:`fork_record` the registry record
of the new session. Letta 0.16.8 ignores ``fork(message_id=…)``, so forking at a message is
emulated exactly there (see :func:`_fork_at`), under a lock file per agent.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import anyio
from letta_client import AsyncLetta

from claude_compat.errors import SessionNotFoundError

from .conversations import ignore_missing
from .locks import file_lock, lock_path
from .registry import SessionRecord
from .session_records import normalise_message_id

_log = logging.getLogger(__name__)

#: Longest wait for another process's fork of the same agent (it makes four bounded requests).
AGENT_LOCK_WAIT = 300.0


async def fork_conversation(client: AsyncLetta, record: SessionRecord, message_id: str | None = None) -> str:
    """A new conversation holding the history of ``record``'s conversation, up to and including
    ``message_id`` when given."""
    if message_id:
        return await _fork_at(
            client,
            record.conversation_id,
            agent_id=record.agent_id,
            message_id=message_id,
            session_id=record.session_id,
        )
    if record.conversation_id == "default":
        conv = await client.conversations.fork("default", agent_id=record.agent_id)
    else:
        conv = await client.conversations.fork(record.conversation_id)
    return conv.id


def fork_record(
    record: SessionRecord,
    conversation_id: str,
    *,
    session_id: str | None = None,
    cwd: str | None = None,
    title: str | None = None,
    fork_point: str | None = None,
) -> SessionRecord:
    """The registry record of a fork of ``record`` living in ``conversation_id`` (a new id unless given)."""
    return SessionRecord(
        session_id=session_id or str(uuid.uuid4()),
        server_url=record.server_url,
        agent_id=record.agent_id,
        conversation_id=conversation_id,
        cwd=cwd or record.cwd,
        model=record.model,
        title=title,
        first_prompt=record.first_prompt,
        parent_session_id=record.session_id,
        fork_point=fork_point,
    )


def agent_lock(
    agent_id: str, *, wait: float = AGENT_LOCK_WAIT
) -> contextlib.AbstractAsyncContextManager[None]:
    """One fork through an agent's default thread at a time among this user's processes."""
    return file_lock(
        lock_path(agent_id),
        f"another claude-compat process has been forking a conversation of agent {agent_id}",
        wait=wait,
    )


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


async def _fork_at(
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
        await ignore_missing(client.conversations.delete(forked.id))
    for _ in range(3):
        forked_id = await _fork_through_default_thread(client, agent_id, keep)
        if await _holds(client, forked_id, keep):
            return forked_id
        await ignore_missing(client.conversations.delete(forked_id))
    raise SessionNotFoundError(
        f"could not fork at message {wanted}: the agent {agent_id} kept changing while forking — retry",
        looked_up=wanted,
    )


async def _holds(client: AsyncLetta, conversation_id: str, keep: Sequence[str]) -> bool:
    """Does the conversation hold exactly ``keep`` after its own system message?"""
    conv = await client.conversations.retrieve(conversation_id)
    return list(conv.in_context_message_ids or [])[1:] == list(keep[1:])


async def _fork_through_default_thread(client: AsyncLetta, agent_id: str, keep: Sequence[str]) -> str:
    """Fork ``keep`` through the agent's default thread: set its messages, fork, restore them."""
    async with agent_lock(agent_id):
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
