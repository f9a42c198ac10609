"""Mirror each turn's transcript to a ``SessionStore`` (``session_store=``), as the Claude SDK does.

Entries are JSON-able dicts in the Claude transcript style (``type``, ``uuid``, ``timestamp``,
``sessionId``, ``message``); a failing ``append`` becomes a MirrorErrorMessage, never an exception.
Also renders a whole claude-compat session's history as the transcript the Claude CLI would have
written for it (``history_entries``), for ``import_session_to_store``.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import anyio

from ..types import (
    AssistantMessage,
    Message,
    MirrorErrorMessage,
    ResultMessage,
    SessionKey,
    SessionMessage,
    UserMessage,
)

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


#: Namespace of the entry uuids of an exported history: the same message always gets the same
#: uuid, so exporting a session twice writes the same entries (stores treat uuids as idempotency keys).
ENTRY_NAMESPACE = uuid.UUID("5b0c4d1e-8f3a-4c6e-9a53-2f1d7c0b9e41")


def _iso(value: str | None) -> str:
    """A time as the CLI writes it (UTC, milliseconds, ``Z``); now when unknown."""
    if value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        except ValueError:
            pass
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _entry_parts(message: SessionMessage) -> list[dict[str, Any]]:
    """A message as the CLI writes it: an assistant reply one entry per content block (sharing the
    message id), tool results one entry each, anything else (a prompt) whole."""
    body = message.message if isinstance(message.message, dict) else {"role": message.type, "content": []}
    content = body.get("content")
    if not isinstance(content, list) or len(content) <= 1:
        return [body]
    results_only = all(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
    if message.type == "assistant" or results_only:
        return [{**body, "content": [block]} for block in content]
    return [body]


def _prompt_text(body: dict[str, Any]) -> str | None:
    content = body.get("content")
    if isinstance(content, str):
        return content or None
    texts = [b.get("text") for b in content or [] if isinstance(b, dict) and b.get("type") == "text"]
    joined = "\n".join(t for t in texts if isinstance(t, str) and t)
    return joined or None


def _has_results(entry: dict[str, Any]) -> bool:
    content = entry["message"].get("content")
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def history_entries(
    session_id: str,
    messages: Sequence[SessionMessage],
    times: Mapping[str, str],
    *,
    cwd: str | None,
    agent_id: str | None = None,
) -> list[dict[str, Any]]:
    """A session's (or, with ``agent_id``, a subagent's) messages as Claude transcript entries.

    The entries form one ``parentUuid`` chain; ``times`` maps a message's uuid to when it was
    written. A subagent's entries are sidechain entries carrying its ``agentId``.
    """
    out: list[dict[str, Any]] = []
    parent: str | None = None
    for message in messages:
        for index, body in enumerate(_entry_parts(message)):
            entry_uuid = str(
                uuid.uuid5(ENTRY_NAMESPACE, f"{session_id}/{agent_id or ''}/{message.uuid}/{index}")
            )
            entry: dict[str, Any] = {
                "parentUuid": parent,
                "isSidechain": agent_id is not None,
                "type": message.type,
                "message": body,
                "uuid": entry_uuid,
                "timestamp": _iso(times.get(message.uuid)),
                "userType": "external",
                "sessionId": session_id,
            }
            if cwd:
                entry["cwd"] = cwd
            if agent_id is not None:
                entry["agentId"] = agent_id
            out.append(entry)
            parent = entry_uuid
    return out


def session_metadata_entries(
    session_id: str,
    entries: Sequence[dict[str, Any]],
    *,
    title: str | None,
    tag: str | None,
) -> list[dict[str, Any]]:
    """The metadata entries the CLI adds after a session's turns: its last prompt, title and tag."""
    out: list[dict[str, Any]] = []
    prompts = [_prompt_text(e["message"]) for e in entries if e["type"] == "user" and not _has_results(e)]
    prompts = [p for p in prompts if p]
    if prompts:
        out.append(
            {
                "type": "last-prompt",
                "lastPrompt": prompts[-1],
                "leafUuid": entries[-1]["uuid"],
                "sessionId": session_id,
            }
        )
    if title:
        out.append({"type": "custom-title", "customTitle": title, "sessionId": session_id})
    if tag:
        out.append({"type": "tag", "tag": tag, "sessionId": session_id})
    return out
