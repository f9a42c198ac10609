"""Session registry kept on the Letta server itself, so any machine that reaches it can resume.

Each session is one small standalone Letta block (label ``claude-compat-session``) whose value is
the session's record as JSON, found by tags: ``cc-session:<id>``, ``cc-conv:<conversation id>``,
``cc-agent:<agent id>`` and ``cc-cwd:<digest of the cwd>``. One object per session means two
machines creating or renaming different sessions never overwrite each other (a JSON map in one
block, or agent metadata, is read-modify-write and loses concurrent updates; agent tags cannot
tell apart the many sessions of a shared agent). Measured against Letta 0.16.8 with 8 writers
adding 5 sessions each at once: one block per session kept 40 of 40; a JSON map in one block kept
17 (after 45 retried 409 conflicts); tags on one shared agent kept 10. A new session costs one
create (~100 ms), a lookup one tag query (~125 ms); a turn costs a lease (below). Shared agents
are found by the ``cc-config:`` tag they are created with. Chosen with ``letta_registry="letta"``
or ``CLAUDE_COMPAT_REGISTRY=letta``.

Turn leases (:mod:`letta_backend.leases`) live here too, as blocks labelled
``claude-compat-lease`` and tagged ``cc-lease:<conversation>``. Letta has no compare-and-set
(block and metadata updates are last-writer-wins), so a claim is taken the way a bakery queue is:
create your own block, then list the blocks of that conversation; you hold the lease only if
every other block you see is stale (expired, or left by a dead process of this host), else you
delete yours and wait. Two claimants cannot both win: each lists after its own create, so the
later lister sees the earlier block. This needs the server's reads to see its committed writes
(one database, as Letta runs) and clocks within a few seconds of each other (expiry is compared
against the writer's clock). A turn costs three extra requests (create, list, delete); a server
started with Redis additionally refuses concurrent runs on a conversation itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, fields, replace
from typing import Any, Literal

import letta_client
from letta_client import AsyncLetta

from claude_compat.errors import InvalidOptionError

from .leases import Acquired, Claim, Holder
from .registry import LocalSessionRegistry, Registry, SessionRecord, SessionRegistry

RegistryKind = Literal["local", "letta"]

#: The environment variable that picks the registry when the option does not.
REGISTRY_ENV = "CLAUDE_COMPAT_REGISTRY"

#: Label (and tag) of the blocks that hold session records.
LABEL = "claude-compat-session"
_SESSION = "cc-session:"
_CONVERSATION = "cc-conv:"
_AGENT = "cc-agent:"
_CWD = "cc-cwd:"
_CONFIG = "cc-config:"
#: Label (and tag) of the blocks that hold turn leases, and the tag prefix naming the conversation.
LEASE_LABEL = "claude-compat-lease"
_LEASE = "cc-lease:"
_BLOCK_LIMIT = 100_000
_PAGE = 500
_FIELDS = tuple(f.name for f in fields(SessionRecord))


def registry_kind(option: str | None = None) -> RegistryKind:
    """The registry in force: the option, else ``CLAUDE_COMPAT_REGISTRY``, else ``local``."""
    value = option or os.environ.get(REGISTRY_ENV) or "local"
    if value not in ("local", "letta"):
        source = "letta_registry" if option else REGISTRY_ENV
        raise InvalidOptionError(
            f"{source} must be 'local' (SQLite on this machine) or 'letta' (on the Letta server), "
            f"not {value!r}"
        )
    return value  # type: ignore[return-value]


def open_registry(
    kind: RegistryKind, *, client: AsyncLetta, base_url: str, local: Registry
) -> SessionRegistry:
    """The session registry of that kind for a backend connected through ``client``."""
    if kind == "letta":
        return LettaSessionRegistry(client, base_url)
    return LocalSessionRegistry(local)


def cwd_tag(cwd: str) -> str:
    """The tag that finds the sessions of a working directory (a digest: paths can be long)."""
    return _CWD + hashlib.sha256(cwd.encode()).hexdigest()[:24]


def _tags(record: SessionRecord) -> list[str]:
    tags = [LABEL, _SESSION + record.session_id, _CONVERSATION + record.conversation_id]
    if record.agent_id:
        tags.append(_AGENT + record.agent_id)
    if record.cwd:
        tags.append(cwd_tag(record.cwd))
    return tags


class LettaSessionRegistry:
    """The :class:`~letta_backend.registry.SessionRegistry` stored as tagged blocks on a Letta server."""

    def __init__(self, client: AsyncLetta, base_url: str) -> None:
        self.client = client
        self.base_url = base_url
        self._block_ids: dict[str, str] = {}
        self._lease_blocks: dict[str, str] = {}  # holder id → its lease block
        self._sync: letta_client.Letta | None = None  # for the heartbeat thread

    @property
    def where(self) -> str:
        """The server that holds the sessions."""
        return f"the Letta server at {self.base_url}"

    def _decode(self, block: Any) -> SessionRecord | None:
        """A block's record (its server URL is the one this machine reaches it by), or None."""
        try:
            data = json.loads(block.value or "")
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
            return None
        known = {k: v for k, v in data.items() if k in _FIELDS}
        known["server_url"] = self.base_url
        try:
            record = SessionRecord(**known)
        except TypeError:
            return None
        self._block_ids[record.session_id] = block.id
        return record

    async def _blocks(self, *tags: str) -> list[Any]:
        """Session blocks carrying all of ``tags`` (every page)."""
        return [
            block
            async for block in self.client.blocks.list(
                label=LABEL, tags=list(tags), match_all_tags=True, limit=_PAGE
            )
        ]

    async def _records(self, *tags: str) -> list[SessionRecord]:
        """Decoded records carrying all of ``tags``, most recently used first."""
        records = [r for r in map(self._decode, await self._blocks(*tags)) if r is not None]
        return sorted(records, key=lambda r: r.updated_at, reverse=True)

    async def put(self, record: SessionRecord) -> SessionRecord:
        """Create or overwrite the session's block (a record without ``created_at`` is created at once)."""
        now = time.time()
        new = not record.created_at  # a record never stored before: no block to look up
        record = replace(
            record, server_url=self.base_url, created_at=record.created_at or now, updated_at=now
        )
        await self._write(record, new=new)
        return record

    async def _write(self, record: SessionRecord, *, new: bool = False) -> None:
        value = json.dumps(asdict(record), sort_keys=True)
        block_id = self._block_ids.get(record.session_id)
        if block_id is None and not new:
            found = await self._blocks(_SESSION + record.session_id)
            block_id = found[0].id if found else None
        if block_id is not None:
            try:
                await self.client.blocks.update(block_id, value=value, tags=_tags(record))
                self._block_ids[record.session_id] = block_id
                return
            except Exception as exc:  # deleted meanwhile: create it again
                if getattr(exc, "status_code", None) != 404:
                    raise
        block = await self.client.blocks.create(
            label=LABEL,
            value=value,
            tags=_tags(record),
            limit=_BLOCK_LIMIT,
            description=f"claude-compat session {record.session_id}",
        )
        self._block_ids[record.session_id] = block.id

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session with this id, or None."""
        records = await self._records(_SESSION + session_id)
        return records[0] if records else None

    async def by_conversation(
        self, conversation_id: str, agent_id: str | None = None
    ) -> SessionRecord | None:
        """The session mapped to a Letta conversation id (of ``agent_id`` when given), or None."""
        tags = [_CONVERSATION + conversation_id] + ([_AGENT + agent_id] if agent_id else [])
        records = await self._records(*tags)
        return records[0] if records else None

    async def latest(self, cwd: str | None = None) -> SessionRecord | None:
        """The most recently used top-level session (for ``cwd`` when given)."""
        for record in await self.list(cwd):
            if record.subagent_id is None:
                return record
        return None

    async def list(self, cwd: str | None = None, limit: int | None = None) -> list[SessionRecord]:
        """Sessions, most recently used first."""
        records = await self._records(cwd_tag(cwd)) if cwd is not None else await self._records()
        if cwd is not None:
            records = [r for r in records if r.cwd == cwd]
        return records[:limit] if limit is not None else records

    async def touch(self, session_id: str, **changes: object) -> None:
        """Update some fields of a session and its ``updated_at`` (no-op for an unknown id)."""
        bad = set(changes) - set(_FIELDS)
        if bad:
            raise KeyError(f"unknown registry fields: {sorted(bad)}")
        record = await self.get(session_id)
        if record is None:
            return
        await self._write(replace(record, **changes, updated_at=time.time()))  # type: ignore[arg-type]

    async def delete(self, session_id: str) -> bool:
        """Delete the session's block(s); True when there was one."""
        blocks = await self._blocks(_SESSION + session_id)
        for block in blocks:
            try:
                await self.client.blocks.delete(block.id)
            except Exception as exc:  # deleted by someone else meanwhile
                if getattr(exc, "status_code", None) != 404:
                    raise
        self._block_ids.pop(session_id, None)
        return bool(blocks)

    async def shared_agent(self, server_url: str, config_key: str) -> str | None:
        """The oldest agent tagged for this configuration (created by any machine), if any."""
        page = await self.client.agents.list(tags=[_CONFIG + config_key], limit=1, order="asc")
        return page.items[0].id if page.items else None

    async def set_shared_agent(self, server_url: str, config_key: str, agent_id: str | None) -> None:
        """Nothing to do: the agent's own ``cc-config:`` tag is the record."""

    # --- turn leases: a bakery queue of blocks (see the module docstring) -----------------------

    async def acquire_lease(self, key: str, holder: Holder, ttl: float) -> Acquired:
        """Queue a claim block, then keep it only if every other claim on ``key`` is stale."""
        mine = await self.client.blocks.create(
            label=LEASE_LABEL,
            value=_claim_json(holder, time.time() + ttl),
            tags=[LEASE_LABEL, _LEASE + key],
            limit=_BLOCK_LIMIT,
            description=f"claude-compat turn lease on {key}",
        )
        now, live, stale = time.time(), None, None
        for block in [
            b
            async for b in self.client.blocks.list(
                label=LEASE_LABEL, tags=[_LEASE + key], match_all_tags=True, limit=_PAGE
            )
        ]:
            if block.id == mine.id:
                continue
            claim = _claim_of(block.value)
            if claim is not None and not claim.is_stale(now):
                live = claim
                break
            stale = claim or stale
            await _delete_block(self.client, block.id)
        if live is not None:
            await _delete_block(self.client, mine.id)
            return Acquired(False, live)
        self._lease_blocks[holder.id] = mine.id
        return Acquired(True, stale)

    def renew_lease(self, key: str, holder: Holder, ttl: float) -> bool:
        """Rewrite the claim's expiry (from the heartbeat thread); False when its block is gone."""
        block_id = self._lease_blocks.get(holder.id)
        if block_id is None:
            return False
        if self._sync is None:
            self._sync = letta_client.Letta(
                base_url=self.base_url, api_key=self.client.api_key, max_retries=0, timeout=10.0
            )
        try:
            self._sync.blocks.update(block_id, value=_claim_json(holder, time.time() + ttl))
        except letta_client.NotFoundError:
            return False
        return True

    async def release_lease(self, key: str, holder: Holder) -> None:
        """Delete the claim's block."""
        block_id = self._lease_blocks.pop(holder.id, None)
        if block_id is not None:
            await _delete_block(self.client, block_id)


def _claim_json(holder: Holder, expires_at: float) -> str:
    return json.dumps({"holder": holder.id, "host": holder.host, "pid": holder.pid, "expires_at": expires_at})


def _claim_of(value: str | None) -> Claim | None:
    """The claim a lease block holds, or None for a block that is not one (treated as stale)."""
    try:
        data = json.loads(value or "")
        return Claim(
            Holder(str(data["holder"]), str(data["host"]), int(data["pid"])), float(data["expires_at"])
        )
    except (TypeError, ValueError, KeyError):
        return None


async def _delete_block(client: AsyncLetta, block_id: str) -> None:
    """Delete a block; one already deleted (by a racing claimant) is fine."""
    try:
        await client.blocks.delete(block_id)
    except letta_client.NotFoundError:
        pass
