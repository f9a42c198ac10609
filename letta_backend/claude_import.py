"""Import a Claude session's history into Letta once, under the same session id.

The history (Anthropic-shaped messages: text, thinking, tool calls and their results) becomes
the message list of a new Letta agent through Letta's agent-file import, so the model sees it
exactly as a conversation it had: assistant turns with tool calls, tool results, prompts. The
agent is built from the session's own spec (system prompt, memory, model) and belongs to the
session. One import per session id: a file lock serialises processes of this machine, the
registry record is written last; an agent a failed or cancelled import made is deleted at once,
and one a killed process left is removed by the next import of the session.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import anyio
import sniffio
from letta_client import AsyncLetta

from claude_compat._backend import ClaudeHistory

from .locks import file_lock, lock_path
from .registry import SessionRecord, SessionRegistry

#: Tag of an agent holding an imported Claude session (its Claude session id follows).
IMPORT_TAG = "cc-import:"
#: Longest wait for another process importing the same session (it makes a few bounded requests).
IMPORT_LOCK_WAIT = 300.0


# ---------------------------------------------------------------------------
# Anthropic messages -> Letta agent-file messages (pure)
# ---------------------------------------------------------------------------


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            str(b.get("text", "")) if isinstance(b, dict) and b.get("type") == "text" else json.dumps(b)
            for b in content
        ]
        return "\n".join(parts)
    return "" if content is None else json.dumps(content)


def _assistant(blocks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            content.append({"type": "text", "text": str(block["text"])})
        elif kind == "thinking":
            content.append(
                {
                    "type": "reasoning",
                    "is_native": True,
                    "reasoning": str(block.get("thinking", "")),
                    "signature": block.get("signature") or None,
                }
            )
        elif kind == "redacted_thinking":
            content.append({"type": "redacted_reasoning", "data": str(block.get("data", ""))})
        elif kind == "tool_use":
            calls.append(
                {
                    "id": str(block.get("id", "")),
                    "type": "function",
                    "function": {
                        "name": str(block.get("name", "")),
                        "arguments": json.dumps(block.get("input") or {}),
                    },
                }
            )
    return {"role": "assistant", "content": content, "tool_calls": calls or None}


def _user(blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A user message's blocks: tool results become tool messages, the rest one user message."""
    out: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "tool_result":
            text = _result_text(block.get("content"))
            call_id = str(block.get("tool_use_id", ""))
            status = "error" if block.get("is_error") else "success"
            packaged = json.dumps({"status": "Failed" if block.get("is_error") else "OK", "message": text})
            out.append(
                {
                    "role": "tool",
                    "content": [{"type": "text", "text": packaged}],  # as Letta stores tool returns
                    "tool_call_id": call_id,
                    "tool_returns": [{"tool_call_id": call_id, "status": status, "func_response": text}],
                }
            )
        elif kind == "text" and block.get("text"):
            texts.append({"type": "text", "text": str(block["text"])})
        elif kind == "image":
            texts.append({"type": "text", "text": "[an image the user attached in the Claude session]"})
    if texts:
        out.append({"role": "user", "content": texts})
    return out


def letta_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anthropic-shaped history as Letta messages (role, content parts, tool calls, tool returns)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        blocks = message.get("content")
        if isinstance(blocks, str):
            blocks = [{"type": "text", "text": blocks}]
        if not isinstance(blocks, list):
            continue
        if message.get("role") == "assistant":
            converted = _assistant(blocks)
            if converted["content"] or converted["tool_calls"]:
                out.append(converted)
        else:
            out.extend(_user(blocks))
    return out


def _last_file_id(data: Any) -> int:
    """The highest number of the file's ``<kind>-<n>`` ids (an export numbers them across kinds,
    not always from 1, and an id must not repeat across kinds)."""
    if isinstance(data, dict):
        found = [_last_file_id(v) for v in data.values()]
        ident = data.get("id")
        if isinstance(ident, str) and ident.rpartition("-")[2].isdigit():
            found.append(int(ident.rpartition("-")[2]))
        return max(found, default=0)
    if isinstance(data, list):
        return max((_last_file_id(v) for v in data), default=0)
    return 0


def agent_file_with_history(exported: dict[str, Any], messages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """An exported (empty) agent file with ``messages`` appended after its system message."""
    data: dict[str, Any] = json.loads(json.dumps(exported))
    agent = data["agents"][0]
    system = agent["messages"][:1]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    first = _last_file_id(data) + 1
    added = []
    for index, message in enumerate(letta_messages(messages), start=first):
        added.append(
            {
                "type": "message",
                "id": f"message-{index}",
                "agent_id": agent["id"],
                "created_at": now.isoformat(),
                "tool_calls": None,
                "tool_call_id": None,
                "tool_returns": [],
                **message,
            }
        )
    agent["messages"] = system + added
    agent["in_context_message_ids"] = [m["id"] for m in agent["messages"]]
    return data


# ---------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------


def _session_lock(session_id: str) -> contextlib.AbstractAsyncContextManager[None]:
    """One importer per Claude session id among this user's processes."""
    return file_lock(
        lock_path(f"import-{session_id}"),
        f"another claude-compat process has been importing Claude session {session_id}",
        wait=IMPORT_LOCK_WAIT,
    )


#: One agent-file export or import at a time per server, per process and event-loop library.
_file_gates: dict[tuple[str, str], anyio.CapacityLimiter] = {}


@contextlib.asynccontextmanager
async def _agent_file_turn(server_url: str) -> AsyncIterator[None]:
    """Serialise agent-file exports and imports on one server among this user's processes.

    Letta 0.16.8 serves them with one shared serializer whose file-id maps and counters every
    call resets: two at once mix their ids (measured: "Duplicate message IDs" on import).
    """
    key = (server_url, sniffio.current_async_library())
    gate = _file_gates.get(key)
    if gate is None:
        gate = _file_gates[key] = anyio.CapacityLimiter(1)
    name = hashlib.sha256(server_url.encode()).hexdigest()[:16]
    async with (
        gate,
        file_lock(
            lock_path(f"agent-file-{name}"),
            f"another claude-compat process has been exporting or importing an agent on {server_url}",
            wait=IMPORT_LOCK_WAIT,
        ),
    ):
        yield


async def _remove_leftovers(client: AsyncLetta, session_id: str) -> None:
    """Delete agents an interrupted import of this session left behind (no record points at them)."""
    page = await client.agents.list(tags=[IMPORT_TAG + session_id], limit=100)
    for agent in page.items:
        with contextlib.suppress(Exception):
            await client.agents.delete(agent.id)


async def import_history(
    client: AsyncLetta,
    sessions: SessionRegistry,
    history: ClaudeHistory,
    *,
    server_url: str,
    create_template: Callable[[list[str]], Awaitable[str]],
    model_handle: str,
    cwd: str | None,
) -> SessionRecord:
    """The session's record, importing the history first unless a record already exists.

    ``create_template(tags)`` makes an empty agent of the session's configuration; its export
    plus the history is imported as the session's own agent, and the template is deleted.
    """
    async with _session_lock(history.session_id):
        existing = await sessions.get(history.session_id)
        if existing is not None:
            return existing
        await _remove_leftovers(client, history.session_id)
        tags = [IMPORT_TAG + history.session_id]
        template = await create_template(tags)
        try:
            async with _agent_file_turn(server_url):
                exported: Any = await client.agents.export_file(template)
                data = json.loads(exported) if isinstance(exported, (str, bytes)) else exported
                payload = json.dumps(agent_file_with_history(data, history.messages)).encode()
                imported = await client.agents.import_file(
                    file=(f"{history.session_id}.af", payload, "application/json"),
                    append_copy_suffix=False,
                )
        finally:
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await client.agents.delete(template)
        agent_id = imported.agent_ids[0]
        try:
            await client.agents.update(agent_id, tags=["claude-compat", *tags])
            return await sessions.put(
                SessionRecord(
                    session_id=history.session_id,
                    server_url=server_url,
                    agent_id=agent_id,
                    conversation_id="default",
                    cwd=history.cwd or cwd,
                    model=model_handle,
                    title=history.title,
                    first_prompt=history.first_prompt,
                    tag=history.tag,
                    owns_agent=True,
                )
            )
        except BaseException:
            # no record points at the agent yet: take it back, so a failure or Ctrl-C here
            # leaves no half-imported session (a crash leaves it to _remove_leftovers)
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await client.agents.delete(agent_id)
            raise
