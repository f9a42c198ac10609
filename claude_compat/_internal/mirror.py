"""Mirror each turn's transcript to a ``SessionStore`` (``session_store=``) as the CLI writes it.

The entries are the CLI's transcript records (``type``, ``uuid``, ``parentUuid``, ``isSidechain``,
``timestamp``, ``sessionId``, ``cwd``, ``message``), chained by ``parentUuid`` from the session's
last record, so the real Claude SDK can resume the session from the same store (the rollback path
of a gradual migration). Subagent messages go to the subagent's own key, as the CLI keeps them.
A failing ``append`` becomes a MirrorErrorMessage, never an exception. ``history_entries`` renders
a whole claude-compat session's history the same way, for ``import_session_to_store``.
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
    SessionMessage,
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


def record(
    kind: str,
    parent: str | None,
    message: dict[str, Any],
    *,
    session_id: str,
    cwd: str | None,
    timestamp: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One chained transcript record as the CLI writes it (``uuid`` and ``sidechain`` in ``extra``)."""
    return {
        "parentUuid": parent,
        "isSidechain": bool(extra.pop("sidechain", False)),
        "type": kind,
        "message": message,
        "uuid": extra.pop("uuid", None) or str(uuid.uuid4()),
        "timestamp": timestamp or _now(),
        "userType": "external",
        "entrypoint": "sdk-py",
        "cwd": cwd,
        "sessionId": session_id,
        **extra,
    }


def message_record(
    message: AssistantMessage | UserMessage,
    parent: str | None,
    *,
    session_id: str,
    cwd: str | None,
    **extra: Any,
) -> dict[str, Any]:
    """A user or assistant message as the CLI's transcript record (a subagent's is a sidechain)."""
    content = message.content
    blocks: Any = content if isinstance(content, str) else [_block(b) for b in content]
    sidechain = message.parent_tool_use_id is not None
    where = {"session_id": session_id, "cwd": cwd, "uuid": message.uuid, "sidechain": sidechain, **extra}
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
        return record("assistant", parent, body, **where)
    if message.tool_use_result is not None:
        where["toolUseResult"] = message.tool_use_result
    return record("user", parent, {"role": "user", "content": blocks}, **where)


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
        return record(kind, parent, message, session_id=self.session_id, cwd=self.cwd, **extra)

    def _message_record(self, message: AssistantMessage | UserMessage, parent: str | None) -> dict[str, Any]:
        return message_record(message, parent, session_id=self.session_id, cwd=self.cwd)

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
    return _now()


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
    extra = {"agentId": agent_id} if agent_id is not None else {}
    for message in messages:
        for index, body in enumerate(_entry_parts(message)):
            entry_uuid = str(
                uuid.uuid5(ENTRY_NAMESPACE, f"{session_id}/{agent_id or ''}/{message.uuid}/{index}")
            )
            entry = record(
                message.type,
                parent,
                body,
                session_id=session_id,
                cwd=cwd,
                timestamp=_iso(times.get(message.uuid)),
                uuid=entry_uuid,
                sidechain=agent_id is not None,
                **extra,
            )
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
