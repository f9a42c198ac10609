"""Changing sessions (the mutation verbs): rename, tag, delete, fork; on Letta, in transcripts, in stores.

A session claude-compat holds changes on Letta (``letta_backend.session_changes``); a Claude
transcript not imported yet changes as the Claude SDK changes it (``claude_listing``); a session
in a SessionStore gets the entries the Claude SDK appends. Every fork of a transcript or a store
goes through ``transcript_fork.fork_entries``, every fork on Letta through
``letta_backend.forking``; the title of an untitled fork is :func:`transcript_fork.fork_title`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from letta_backend import session_changes as _letta_changes
from letta_backend import session_records as _records
from letta_backend.backend import LettaBackend
from letta_backend.session_records import SessionMissingError

from ..errors import InvalidOptionError
from ..types import SessionKey, SessionStore, SessionStoreEntry
from . import claude_listing as _claude_listing
from . import transcripts as _transcripts
from .session_access import change_on_letta, claude_only
from .store_keys import append_entry, check_store_uuid, is_store_uuid, key_string, project_key_for_directory
from .transcript_fork import fork_entries, fork_title


@dataclass
class ForkSessionResult:
    """The outcome of forking a session: the new session's id."""

    session_id: str


def rename_session(session_id: str, title: str, directory: str | None = None) -> None:
    """Give a session a custom title (also the Letta conversation's summary).

    ValueError for a malformed id or an empty title; FileNotFoundError (a SessionNotFoundError)
    when there is no such session.
    """
    _records.check_session_id(session_id)
    stripped = _records.clean_title(title)
    if claude_only(session_id, directory) and _claude_listing.rename(session_id, stripped, directory):
        return
    change_on_letta(session_id, directory, lambda b: _letta_changes.rename(b, session_id, title, directory))


def tag_session(session_id: str, tag: str | None, directory: str | None = None) -> None:
    """Set (or, with None, clear) a session's tag."""
    _records.check_session_id(session_id)
    cleaned = _records.clean_tag(tag)
    if claude_only(session_id, directory) and _claude_listing.tag(session_id, cleaned, directory):
        return
    change_on_letta(session_id, directory, lambda b: _letta_changes.tag(b, session_id, tag, directory))


def delete_session(session_id: str, directory: str | None = None) -> None:
    """Delete a session: its Letta conversation, its own agent if it had one, its subagents, its record.

    A Claude transcript not imported yet is deleted as the Claude SDK does (the file and its subagents).
    """
    _records.check_session_id(session_id)
    if claude_only(session_id, directory) and _claude_listing.delete(session_id, directory):
        return
    change_on_letta(session_id, directory, lambda b: _letta_changes.delete(b, session_id, directory))


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
    _records.check_session_id(session_id)
    if claude_only(session_id, directory):
        path = _transcripts.session_file(session_id, directory)
        if path is not None:
            if up_to_message_id and not is_store_uuid(up_to_message_id):
                raise InvalidOptionError(f"Invalid up_to_message_id: {up_to_message_id}")
            return ForkSessionResult(_claude_listing.fork(path, session_id, up_to_message_id, title))
    if up_to_message_id:
        _records.normalise_message_id(up_to_message_id)

    async def fork(backend: LettaBackend) -> str:
        record = await _records.existing_session(backend.sessions, session_id, directory)
        name = fork_title(title, lambda: record.title or record.first_prompt)
        return await _letta_changes.fork(backend, record, up_to_message_id, name)

    return ForkSessionResult(session_id=change_on_letta(session_id, directory, fork))


async def rename_session_via_store(
    session_store: SessionStore, session_id: str, title: str, directory: str | None = None
) -> None:
    """Give a session kept in a store a custom title (appends a ``custom-title`` entry)."""
    check_store_uuid(session_id)
    stripped = _records.clean_title(title)
    await append_entry(
        session_store, session_id, directory, {"type": "custom-title", "customTitle": stripped}
    )


async def tag_session_via_store(
    session_store: SessionStore, session_id: str, tag: str | None, directory: str | None = None
) -> None:
    """Set or clear (an empty tag) the tag of a session kept in a store (appends a ``tag`` entry)."""
    check_store_uuid(session_id)
    cleaned = _records.clean_tag(tag)
    await append_entry(session_store, session_id, directory, {"type": "tag", "tag": cleaned or ""})


async def delete_session_via_store(
    session_store: SessionStore, session_id: str, directory: str | None = None
) -> None:
    """Delete a session kept in a store (a store without ``delete`` is left alone, as in the Claude SDK)."""
    check_store_uuid(session_id)
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
    check_store_uuid(session_id)
    if up_to_message_id and not is_store_uuid(up_to_message_id):
        raise InvalidOptionError(f"Invalid up_to_message_id: {up_to_message_id}")
    project_key = project_key_for_directory(directory)
    key: SessionKey = {"project_key": project_key, "session_id": session_id}
    loaded = cast("list[Any] | None", await session_store.load(key))
    if not loaded:
        raise SessionMissingError(
            f"Session {session_id} not found in the store under project {project_key}; "
            "list_sessions_from_store() shows the sessions there",
            looked_up=session_id,
        )
    entries = [e for e in loaded if isinstance(e, dict)]
    fork_id, forked = fork_entries(entries, session_id, key_string(key), up_to_message_id, title)
    await session_store.append(
        {"project_key": project_key, "session_id": fork_id}, cast("list[SessionStoreEntry]", forked)
    )
    return ForkSessionResult(session_id=fork_id)
