"""Changing sessions on Letta: rename, tag, delete, fork (the Letta halves of the Claude SDK's).

Each change acts on the record :func:`~letta_backend.session_records.existing_session` finds
(SessionMissingError when there is none) and keeps the registry and the Letta conversation in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conversations import ignore_missing
from .forking import fork_conversation, fork_record
from .registry import SessionRecord
from .session_records import (
    check_session_id,
    clean_tag,
    clean_title,
    existing_session,
    normalise_message_id,
    subagent_records,
)

if TYPE_CHECKING:
    from .backend import LettaBackend


async def rename(backend: LettaBackend, session_id: str, title: str, directory: str | None = None) -> None:
    """Set the session's title in the registry and as the Letta conversation's summary."""
    check_session_id(session_id)
    stripped = clean_title(title)
    record = await existing_session(backend.sessions, session_id, directory)
    await backend.sessions.touch(record.session_id, title=stripped)
    if record.conversation_id != "default":
        await ignore_missing(backend.client.conversations.update(record.conversation_id, summary=stripped))


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
        await ignore_missing(backend.client.conversations.delete(record.conversation_id))
    if record.owns_agent and record.agent_id:
        heirs = [
            r
            for r in await backend.sessions.list()
            if r.agent_id == record.agent_id and r.session_id != record.session_id
        ]
        if heirs:
            await backend.sessions.touch(heirs[0].session_id, owns_agent=True)
        else:
            await ignore_missing(backend.client.agents.delete(record.agent_id))
    await backend.sessions.delete(record.session_id)


async def delete(backend: LettaBackend, session_id: str, directory: str | None = None) -> None:
    """Delete the session: its Letta conversation, its own agent if it has one, its subagents, its record.

    Forks keep working: Letta deletes conversations softly and forks hold their own references.
    """
    record = await existing_session(backend.sessions, session_id, directory)
    for child in await subagent_records(backend.sessions, record.session_id):
        await _delete_record(backend, child)
    await _delete_record(backend, record)


async def fork(backend: LettaBackend, record: SessionRecord, up_to_message_id: str | None, title: str) -> str:
    """Copy a session (up to and including a message, when given) into a new one titled ``title``; its id."""
    point = normalise_message_id(up_to_message_id) if up_to_message_id else None
    conversation_id = await fork_conversation(backend.client, record, point)
    new = await backend.sessions.put(fork_record(record, conversation_id, title=title, fork_point=point))
    await ignore_missing(backend.client.conversations.update(conversation_id, summary=title))
    return new.session_id
