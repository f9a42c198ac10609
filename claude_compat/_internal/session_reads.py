"""Reading sessions (the history verbs): list, info, messages, subagents; on Letta and in Claude transcripts.

A session claude-compat holds is read from the registry and its Letta conversation
(``session_history`` shapes it the Claude way); a Claude transcript not imported yet is read as
the Claude SDK reads it (``claude_listing``). Unknown sessions give ``[]`` or None, as in the
Claude SDK.
"""

from __future__ import annotations

from letta_backend import session_records as _records

from ..types import SDKSessionInfo, SessionMessage
from . import claude_listing as _claude_listing
from . import session_history as _history
from . import transcripts as _transcripts
from .session_access import claude_only, known_locally, read_on_letta, with_registry


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
    ours = with_registry(lambda reg: _history.list_session_infos(reg, directory, None, 0, include_worktrees))
    known = {info.session_id for info in ours}
    merged = ours + [i for i in _claude_listing.list_infos(directory) if i.session_id not in known]
    merged.sort(key=lambda info: info.last_modified, reverse=True)
    if offset > 0:
        merged = merged[offset:]
    return merged[:limit] if limit is not None and limit > 0 else merged


def get_session_info(session_id: str, directory: str | None = None) -> SDKSessionInfo | None:
    """Metadata of one session, or None when there is no such session (as in the Claude SDK)."""
    found = with_registry(lambda reg: _history.session_info(reg, session_id, directory))
    if found is None and _records.is_session_key(session_id):
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
    if _records.is_session_key(session_id) and not known_locally(session_id, directory):
        claude = _claude_listing.messages(session_id, directory)
        if claude is not None:
            claude = claude[offset:] if offset > 0 else claude
            return claude[:limit] if limit is not None and limit > 0 else claude
    return read_on_letta(
        session_id,
        directory,
        lambda b: _history.session_messages(b, session_id, directory, limit, offset),
        [],
    )


def list_subagents(session_id: str, directory: str | None = None) -> list[str]:
    """Ids of the subagents (Agent tool calls) that ran in a session; [] when none or unknown.

    For a Claude transcript not imported yet: its subagent transcripts' ids, as the Claude SDK lists them.
    """
    if _records.is_session_key(session_id) and claude_only(session_id, directory):
        return _claude_listing.subagent_ids(session_id, directory) or []
    return with_registry(lambda reg: _records.subagent_ids(reg, session_id, directory))


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
    if _records.is_session_key(session_id) and claude_only(session_id, directory):
        found = _claude_listing.subagent_messages(session_id, agent_id, directory)
        return _transcripts.page(found or [], limit, offset)
    return read_on_letta(
        session_id,
        directory,
        lambda b: _history.subagent_messages(b, session_id, agent_id, directory, limit, offset),
        [],
    )
