"""Mirror each turn's transcript to a ``SessionStore`` (``session_store=``), as the Claude SDK does.

Entries are JSON-able dicts in the Claude transcript style (``type``, ``uuid``, ``timestamp``,
``sessionId``, ``message``); a failing ``append`` becomes a MirrorErrorMessage, never an exception.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import anyio

from ..types import AssistantMessage, Message, MirrorErrorMessage, ResultMessage, SessionKey, UserMessage

#: How long one append may take before the batch is dropped (Claude: non-fatal).
APPEND_TIMEOUT = 30.0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def entries_for_turn(session_id: str, prompt: Any, messages: list[Message]) -> list[dict[str, Any]]:
    """The transcript entries of one turn: the user's prompt, then every user/assistant message."""
    out: list[dict[str, Any]] = [
        {
            "type": "user",
            "uuid": str(uuid.uuid4()),
            "timestamp": _now(),
            "sessionId": session_id,
            "message": {"role": "user", "content": prompt},
        }
    ]
    for message in messages:
        if isinstance(message, (AssistantMessage, UserMessage)):
            role = "assistant" if isinstance(message, AssistantMessage) else "user"
            content = message.content
            blocks = content if isinstance(content, str) else [_block(b) for b in content]
            out.append(
                {
                    "type": role,
                    "uuid": message.uuid or str(uuid.uuid4()),
                    "timestamp": _now(),
                    "sessionId": session_id,
                    "parentToolUseID": message.parent_tool_use_id,
                    "message": {"role": role, "content": blocks},
                }
            )
        elif isinstance(message, ResultMessage):
            out.append(
                {
                    "type": "summary",
                    "uuid": str(uuid.uuid4()),
                    "timestamp": _now(),
                    "sessionId": session_id,
                    "result": message.result,
                    "subtype": message.subtype,
                }
            )
    return out


def _block(block: Any) -> dict[str, Any]:
    is_instance = dataclasses.is_dataclass(block) and not isinstance(block, type)
    data = dataclasses.asdict(block) if is_instance else dict(block)
    kind = type(block).__name__.removesuffix("Block")
    names = {"Text": "text", "Thinking": "thinking", "ToolUse": "tool_use", "ToolResult": "tool_result"}
    return {"type": names.get(kind, kind.lower()), **data}


async def mirror_turn(
    store: Any, key: SessionKey, entries: list[dict[str, Any]]
) -> MirrorErrorMessage | None:
    """Append one turn's entries; a failure or timeout comes back as the Claude SDK's notice."""
    started = time.monotonic()
    try:
        with anyio.fail_after(APPEND_TIMEOUT):
            await store.append(key, entries)
        return None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if isinstance(exc, TimeoutError):
            error = f"append timed out after {time.monotonic() - started:.0f} s"
        return MirrorErrorMessage(
            subtype="mirror_error",
            data={"type": "system", "subtype": "mirror_error", "key": dict(key), "error": error},
            key=key,
            error=error,
        )
