"""Mirror each turn's transcript to a ``SessionStore`` (``session_store=``) as the CLI writes it.

The entries are the CLI's transcript records (``type``, ``uuid``, ``parentUuid``, ``isSidechain``,
``timestamp``, ``sessionId``, ``cwd``, ``message``), chained by ``parentUuid`` from the session's
last record, so the real Claude SDK can resume the session from the same store (the rollback path
of a gradual migration). Subagent messages go to the subagent's own key, as the CLI keeps them.
A failing ``append`` becomes a MirrorErrorMessage, never an exception.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast

import anyio

from ..types import (
    AssistantMessage,
    Message,
    MirrorErrorMessage,
    SessionKey,
    SessionStoreEntry,
    UserMessage,
)

#: How long one append may take before the batch is dropped (Claude: non-fatal).
APPEND_TIMEOUT = 30.0

#: Content block class name → the Messages API block type the CLI records.
_BLOCK_TYPES = {"Text": "text", "Thinking": "thinking", "ToolUse": "tool_use", "ToolResult": "tool_result"}

#: Record types that take part in the ``parentUuid`` chain (the CLI's conversation records).
_CHAINED = frozenset({"user", "assistant", "attachment", "system"})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _block(block: Any) -> dict[str, Any]:
    """A content block as the Messages API (and so the CLI's transcript) spells it."""
    is_instance = dataclasses.is_dataclass(block) and not isinstance(block, type)
    data = dataclasses.asdict(block) if is_instance else dict(block)
    kind = type(block).__name__.removesuffix("Block")
    return {"type": _BLOCK_TYPES.get(kind, kind.lower()), **{k: v for k, v in data.items() if v is not None}}


def chain_tail(entries: Sequence[Mapping[str, Any]]) -> str | None:
    """The uuid of a transcript's last chained record: where the next record hangs."""
    for entry in reversed(entries):
        if entry.get("type") in _CHAINED and isinstance(entry.get("uuid"), str):
            return str(entry["uuid"])
    return None


@dataclass
class TranscriptMirror:
    """One session's mirror: renders turns as chained CLI records and appends them to the store."""

    store: Any
    project_key: str
    session_id: str
    cwd: str
    load_timeout: float = 60.0
    _tails: dict[str, str | None] = field(default_factory=dict)
    _pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _failure: tuple[SessionKey, str] | None = None
    _prompt: Any = None

    def _key(self, subpath: str) -> SessionKey:
        key: SessionKey = {"project_key": self.project_key, "session_id": self.session_id}
        if subpath:
            key["subpath"] = subpath
        return key

    async def _tail(self, subpath: str) -> str | None:
        """The chain's end: remembered, else read once from the store (a resumed session's records)."""
        if subpath not in self._tails:
            with anyio.fail_after(self.load_timeout):
                existing = await self.store.load(self._key(subpath))
            self._tails[subpath] = chain_tail(existing or [])
        return self._tails[subpath]

    def _record(self, kind: str, parent: str | None, message: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "parentUuid": parent,
            "isSidechain": bool(extra.pop("sidechain", False)),
            "type": kind,
            "message": message,
            "uuid": extra.pop("uuid", None) or str(uuid.uuid4()),
            "timestamp": _now(),
            "userType": "external",
            "entrypoint": "sdk-py",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            **extra,
        }

    def _message_record(self, message: AssistantMessage | UserMessage, parent: str | None) -> dict[str, Any]:
        content = message.content
        blocks: Any = content if isinstance(content, str) else [_block(b) for b in content]
        sidechain = message.parent_tool_use_id is not None
        if isinstance(message, AssistantMessage):
            body: dict[str, Any] = {
                "id": message.message_id or f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": message.model,
                "content": blocks,
                "stop_reason": message.stop_reason,
                "stop_sequence": None,
                "usage": message.usage or {},
            }
            return self._record("assistant", parent, body, uuid=message.uuid, sidechain=sidechain)
        extra: dict[str, Any] = {"uuid": message.uuid, "sidechain": sidechain}
        if message.tool_use_result is not None:
            extra["toolUseResult"] = message.tool_use_result
        return self._record("user", parent, {"role": "user", "content": blocks}, **extra)

    async def begin(self, prompt: Any, prompt_uuid: str | None = None) -> None:
        """Start a turn: its prompt is the first record (``prompt_uuid``: the uuid it was echoed with)."""
        self._prompt = prompt
        prompt_id = str(uuid.uuid4())
        await self._add(
            "",
            lambda parent: self._record(
                "user", parent, {"role": "user", "content": prompt}, uuid=prompt_uuid, promptId=prompt_id
            ),
        )

    async def add(self, message: Message) -> None:
        """Record a user or assistant message the turn yielded (a subagent's under its own key)."""
        if isinstance(message, (AssistantMessage, UserMessage)):
            parent_tool = message.parent_tool_use_id
            subpath = f"subagents/agent-{parent_tool}" if parent_tool else ""
            await self._add(subpath, lambda parent: self._message_record(message, parent))

    async def _add(self, subpath: str, record_of: Callable[[str | None], dict[str, Any]]) -> None:
        if self._failure is not None:
            return
        try:
            parent = await self._tail(subpath)
        except Exception as exc:  # a store that cannot load: reported at the next flush
            self._failure = (self._key(subpath), _describe(exc, self.load_timeout))
            return
        record = record_of(parent)
        self._pending.setdefault(subpath, []).append(record)
        self._tails[subpath] = record["uuid"]

    async def flush(self, *, end_of_turn: bool = False) -> MirrorErrorMessage | None:
        """Append what is pending; at the turn's end also the ``last-prompt`` record, as the CLI does.

        A failure or timeout comes back as the Claude SDK's notice and drops the batch (non-fatal).
        """
        if end_of_turn and isinstance(self._prompt, str) and self._failure is None:
            leaf = self._tails.get("")
            last = {
                "type": "last-prompt",
                "lastPrompt": self._prompt,
                "leafUuid": leaf,
                "sessionId": self.session_id,
            }
            self._pending.setdefault("", []).append(last)
        pending, self._pending = self._pending, {}
        failure, self._failure = self._failure, None
        for subpath, records in pending.items():
            if failure is not None:
                break
            try:
                with anyio.fail_after(APPEND_TIMEOUT):
                    await self.store.append(self._key(subpath), cast("list[SessionStoreEntry]", records))
            except Exception as exc:
                failure = (self._key(subpath), _describe(exc, APPEND_TIMEOUT))
        if failure is None:
            return None
        self._tails.clear()  # what landed is unknown: read the chain's end again next time
        key, error = failure
        return MirrorErrorMessage(
            subtype="mirror_error",
            data={"type": "system", "subtype": "mirror_error", "key": dict(key), "error": error},
            key=key,
            error=error,
        )


def _describe(exc: BaseException, timeout: float) -> str:
    """A store failure as the mirror notice words it."""
    if isinstance(exc, TimeoutError):
        return f"the store did not answer within {timeout:.0f} s"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
