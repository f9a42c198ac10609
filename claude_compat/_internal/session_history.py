"""Sessions as the Claude SDK lists and reads them: registry records as SDKSessionInfo, a Letta
conversation's stored history as SessionMessages.

The records come from :mod:`letta_backend.session_records`, the raw histories from
:func:`letta_backend.conversations.conversation_history`; this module only shapes them the Claude way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from letta_backend.conversations import conversation_history, is_error_return
from letta_backend.registry import SessionRecord, SessionRegistry
from letta_backend.session_records import (
    directory_filter,
    existing_session,
    in_directory,
    readable_session,
    subagent_records,
)
from letta_backend.translate import message_blocks

from ..types import SDKSessionInfo, SessionMessage
from .messages import block_content
from .transcripts import page

if TYPE_CHECKING:
    from letta_backend.backend import LettaBackend


def session_info_of(record: SessionRecord) -> SDKSessionInfo:
    """A registry record as the Claude SDK's ``SDKSessionInfo`` (times in epoch ms)."""
    return SDKSessionInfo(
        session_id=record.session_id,
        summary=record.title or record.first_prompt or "",
        last_modified=int(record.updated_at * 1000),
        custom_title=record.title,
        first_prompt=record.first_prompt,
        cwd=record.cwd,
        tag=record.tag,
        created_at=int(record.created_at * 1000) if record.created_at else None,
    )


async def list_session_infos(
    sessions: SessionRegistry,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    include_worktrees: bool = True,
) -> list[SDKSessionInfo]:
    """Top-level sessions (of ``directory`` and its worktrees, or all), newest first."""
    wanted = directory_filter(directory, include_worktrees)
    records = [r for r in await sessions.list() if r.subagent_id is None and in_directory(r, wanted)]
    records.sort(key=lambda r: r.updated_at, reverse=True)
    if offset > 0:
        records = records[offset:]
    if limit is not None and limit > 0:
        records = records[:limit]
    return [session_info_of(r) for r in records]


async def session_info(
    sessions: SessionRegistry, session_id: str, directory: str | None = None
) -> SDKSessionInfo | None:
    """One session's metadata, or None when unknown (or not in ``directory``), as in Claude."""
    record = await readable_session(sessions, session_id, directory)
    if record is None or record.subagent_id is not None:
        return None
    return session_info_of(record)


#: The environment note the engine puts before a session's prompt (claude_compat._internal.environment):
#: what the model was told, not what the user wrote, so session history leaves it out.
_ENVIRONMENT_NOTE = re.compile(
    r"\A<system-reminder>\n# Environment\n.*?</system-reminder>"
    r"(?:\n\n<system-reminder>\n.*?</system-reminder>)*(?:\n\n)?",
    re.DOTALL,
)


def _without_environment(text: str) -> str:
    """``text`` without the environment note the engine put before the prompt."""
    return _ENVIRONMENT_NOTE.sub("", text, count=1)


def _user_blocks(content: Any) -> list[dict[str, Any]]:
    """Letta user content (a string or text/image parts) as Anthropic content blocks."""
    if isinstance(content, str):
        return [{"type": "text", "text": _without_environment(content)}]
    blocks: list[dict[str, Any]] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text":
            text = _without_environment(str(part.get("text", "")))
            if text:
                blocks.append({"type": "text", "text": text})
        elif part.get("type") == "image":
            blocks.append({"type": "image", "source": part.get("source", {})})
    return blocks


def _assistant_blocks(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The content blocks of one assistant-side Letta message: the live run's blocks, shown as the
    CLI wrote them to its transcript (what the Claude SDK's history reads back)."""
    return [content for block in message_blocks(item) if (content := block_content(block)) is not None]


_ASSISTANT_KINDS = frozenset(
    {
        "reasoning_message",
        "hidden_reasoning_message",
        "assistant_message",
        "tool_call_message",
        "approval_request_message",
    }
)


def _tool_returns(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The returns a tool_return_message carries: its ``tool_returns``, else itself."""
    returns = item.get("tool_returns")
    if isinstance(returns, list) and returns:
        return [r for r in returns if isinstance(r, dict)]
    return [item]


def _result_block(tool_call_id: str, content: Any, is_error: bool) -> dict[str, Any]:
    """A tool_result block; a result stored as text parts reads back as its text."""
    if isinstance(content, list):  # a result stored as text parts (see conversations.tool_return)
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        content = "\n".join(str(t) for t in texts) if len(texts) == len(content) else content
    text = content if isinstance(content, str) else json.dumps(content)
    return {"type": "tool_result", "tool_use_id": tool_call_id, "content": text, "is_error": is_error}


def _tool_result_blocks(item: dict[str, Any], returned: set[str]) -> list[dict[str, Any]]:
    """The results a ``tool_return_message`` carries (one, or several of parallel calls)."""
    return [
        _result_block(str(r.get("tool_call_id", "")), r.get("tool_return", ""), is_error_return(r))
        for r in _tool_returns(item)
    ]


def _approval_blocks(item: dict[str, Any], returned: set[str]) -> list[dict[str, Any]]:
    """Results of an ``approval_response_message``: client-side tool results and denials, except
    those a later ``tool_return_message`` carries (``returned``)."""
    blocks = []
    for answer in item.get("approvals") or []:
        call_id = str(answer.get("tool_call_id", ""))
        if call_id in returned:
            continue
        if answer.get("type") == "tool":
            blocks.append(_result_block(call_id, answer.get("tool_return", ""), is_error_return(answer)))
        elif answer.get("approve") is False:
            blocks.append(_result_block(call_id, answer.get("reason") or "denied", True))
    return blocks


_Role = Literal["user", "assistant"]
_Builder = Callable[[dict[str, Any], set[str]], list[dict[str, Any]]]

#: Letta message type -> the role it has in Claude's history and its content blocks. Other
#: types (system prompt, compaction events, pings) end the message being gathered and add nothing.
_SHAPES: dict[str, tuple[_Role, _Builder]] = {
    **{kind: ("assistant", lambda item, _: _assistant_blocks(item)) for kind in _ASSISTANT_KINDS},
    "user_message": ("user", lambda item, _: _user_blocks(item.get("content"))),
    "tool_return_message": ("user", _tool_result_blocks),
    "approval_response_message": ("user", _approval_blocks),
    "summary_message": ("user", lambda item, _: [{"type": "text", "text": str(item.get("summary", ""))}]),
}


@dataclass
class _Gatherer:
    """Gathers the blocks of consecutive Letta messages sharing a role and an id into SessionMessages."""

    session_id: str
    parent_tool_use_id: str | None
    out: list[SessionMessage] = field(default_factory=list)
    role: _Role = "user"
    letta_id: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def add(self, role: _Role, letta_id: str, blocks: list[dict[str, Any]]) -> None:
        """Add blocks to the message being gathered, or start the next (a repeated tool call counts once)."""
        if self.letta_id is None or self.role != role or self.letta_id != letta_id:
            self.flush()
            self.role, self.letta_id = role, letta_id
        ids = {b.get("id") for b in self.blocks if b.get("type") == "tool_use"}
        self.blocks.extend(b for b in blocks if b.get("type") != "tool_use" or b.get("id") not in ids)

    def flush(self) -> None:
        """End the message being gathered (one without blocks is dropped)."""
        if self.letta_id is not None and self.blocks:
            message: dict[str, Any] = {"role": self.role, "content": self.blocks}
            if self.role == "assistant":
                message = {"id": self.letta_id, "type": "message", **message}
            self.out.append(
                SessionMessage(
                    type=self.role,
                    uuid=self.letta_id,
                    session_id=self.session_id,
                    message=message,
                    parent_tool_use_id=self.parent_tool_use_id,
                )
            )
        self.letta_id, self.blocks = None, []


def render_messages(
    items: Iterable[dict[str, Any]],
    session_id: str,
    *,
    parent_tool_use_id: str | None = None,
) -> list[SessionMessage]:
    """Letta history (oldest first) as Claude ``SessionMessage``s; ``uuid`` is the Letta message id.

    One stored message is one SessionMessage: an assistant step's thinking, text and tool calls
    share it, as do the results of parallel tool calls.
    """
    items = list(items)
    returned = {
        str(r.get("tool_call_id"))
        for item in items
        if item.get("message_type") == "tool_return_message"
        for r in _tool_returns(item)
    }
    gathered = _Gatherer(session_id, parent_tool_use_id)
    for item in items:
        shape = _SHAPES.get(str(item.get("message_type")))
        if shape is None:
            gathered.flush()
            continue
        role, build = shape
        gathered.add(role, str(item.get("id", "")), build(item, returned))
    gathered.flush()
    return gathered.out


async def session_messages(
    backend: LettaBackend,
    session_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """A session's history as SessionMessages (empty when the session is unknown, as in Claude)."""
    record = await readable_session(backend.sessions, session_id, directory)
    if record is None:
        return []
    items = await conversation_history(backend.client, record.conversation_id, agent_id=record.agent_id)
    return page(render_messages(items, record.session_id), limit, offset)


async def subagent_messages(
    backend: LettaBackend,
    session_id: str,
    agent_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """One subagent's history; ``parent_tool_use_id`` is the Agent call that started it."""
    record = await readable_session(backend.sessions, session_id, directory) if agent_id else None
    if record is None:
        return []
    child = next(
        (c for c in await subagent_records(backend.sessions, record.session_id) if c.subagent_id == agent_id),
        None,
    )
    if child is None:
        return []
    items = await conversation_history(backend.client, child.conversation_id, agent_id=child.agent_id)
    tool_use_id = agent_id.removeprefix("subagent-") if agent_id.startswith("subagent-") else None
    return page(render_messages(items, record.session_id, parent_tool_use_id=tool_use_id), limit, offset)


@dataclass
class ExportedHistory:
    """A session's or subagent's history as Claude messages, with when each Letta message was written."""

    messages: list[SessionMessage]
    times: dict[str, str]  # Letta message id -> ISO 8601 time
    subagent_id: str | None = None
    parent_tool_use_id: str | None = None


async def _exported(
    backend: LettaBackend, record: SessionRecord, session_id: str, parent_tool_use_id: str | None = None
) -> ExportedHistory:
    """One record's history as Claude messages, with when each Letta message was written."""
    items = await conversation_history(backend.client, record.conversation_id, agent_id=record.agent_id)
    times = {str(i.get("id")): str(i["date"]) for i in items if isinstance(i.get("date"), str)}
    messages = render_messages(items, session_id, parent_tool_use_id=parent_tool_use_id)
    return ExportedHistory(messages, times, record.subagent_id, parent_tool_use_id)


async def export_session(
    backend: LettaBackend, session_id: str, directory: str | None = None
) -> tuple[SessionRecord, ExportedHistory, list[ExportedHistory]]:
    """A session's record, history and subagent histories (SessionMissingError when unknown)."""
    record = await existing_session(backend.sessions, session_id, directory)
    main = await _exported(backend, record, record.session_id)
    children = []
    for child in await subagent_records(backend.sessions, record.session_id):
        agent_id = child.subagent_id or ""
        tool_use_id = agent_id.removeprefix("subagent-") if agent_id.startswith("subagent-") else None
        children.append(await _exported(backend, child, record.session_id, tool_use_id))
    return record, main, children
