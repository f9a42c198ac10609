"""Copy a session into a SessionStore (the import verb), as the Claude SDK's ``import_session_to_store`` does.

A Claude transcript (and its subagents) is copied line by line; a claude-compat session becomes
the transcript the Claude CLI would have written for it (``mirror``). Every file is read and
checked whole before the first ``append``, so bad input raises a TranscriptError naming the file
and line and leaves the store untouched; ``append_plan`` writes entries built in memory in the
same batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from letta_backend import session_records as _records
from letta_backend.backend import LettaBackend
from letta_backend.session_records import SessionMissingError

from ..types import SessionKey, SessionStore, SessionStoreEntry
from . import mirror, transcripts
from . import session_history as _history
from .session_access import claude_only, using_backend
from .store_keys import project_key_for_directory

#: Entries and bytes per ``append`` (the Claude SDK's batch limits).
MAX_BATCH_ENTRIES = 500
MAX_BATCH_BYTES = 1 << 20


def _jsonl_files(base: Path) -> list[Path]:
    if not base.is_dir():
        return []
    out: list[Path] = []
    for entry in sorted(base.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            out.extend(_jsonl_files(entry))
        elif entry.is_file() and entry.name.endswith(".jsonl"):
            out.append(entry)
    return out


def _batched(sized: Iterable[tuple[Any, int]], batch_size: int) -> list[list[SessionStoreEntry]]:
    """(entry, its size in bytes) pairs in append batches of at most ``batch_size`` entries or about 1 MiB."""
    batches: list[list[SessionStoreEntry]] = []
    batch: list[SessionStoreEntry] = []
    size = 0
    for entry, length in sized:
        batch.append(cast("SessionStoreEntry", entry))
        size += length
        if len(batch) >= batch_size or size >= MAX_BATCH_BYTES:
            batches.append(batch)
            batch, size = [], 0
    if batch:
        batches.append(batch)
    return batches


def _batches(path: Path, batch_size: int) -> list[list[SessionStoreEntry]]:
    """The file's entries in append batches (strictly read: TranscriptError on a bad line)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return _batched(((json.loads(line), len(line)) for line in lines if line), batch_size)


async def import_to_store(
    path: Path, session_id: str, store: SessionStore, *, include_subagents: bool, batch_size: int
) -> None:
    """Append the transcript at ``path`` (and its subagents) to ``store`` under its project key."""
    if batch_size <= 0:
        batch_size = MAX_BATCH_ENTRIES
    project_key = path.parent.name
    plan: list[tuple[SessionKey, list[list[SessionStoreEntry]]]] = []
    transcripts.read_transcript(path)  # checks every line first
    plan.append(({"project_key": project_key, "session_id": session_id}, _batches(path, batch_size)))
    if include_subagents:
        session_dir = path.with_suffix("")
        for file in _jsonl_files(session_dir / "subagents"):
            transcripts.read_transcript(file)
            parts = list(file.relative_to(session_dir).parts)
            parts[-1] = parts[-1][: -len(".jsonl")]
            key: SessionKey = {
                "project_key": project_key,
                "session_id": session_id,
                "subpath": "/".join(parts),
            }
            batches = _batches(file, batch_size)
            meta = transcripts.agent_metadata(file)
            if meta is not None:
                batches.append([cast("SessionStoreEntry", {**meta, "type": "agent_metadata"})])
            plan.append((key, batches))
    for key, batches in plan:
        for batch in batches:
            await store.append(key, batch)


def _entry_batches(entries: list[dict[str, Any]], batch_size: int) -> list[list[SessionStoreEntry]]:
    """Entries in append batches of at most ``batch_size`` entries or about 1 MiB of JSON."""
    return _batched(((e, len(json.dumps(e, separators=(",", ":")))) for e in entries), batch_size)


async def append_plan(
    store: SessionStore, plan: list[tuple[SessionKey, list[dict[str, Any]]]], batch_size: int
) -> None:
    """Append each key's entries in batches, main transcript first (as an import writes them)."""
    size = batch_size if batch_size > 0 else MAX_BATCH_ENTRIES
    for key, entries in plan:
        for batch in _entry_batches(entries, size):
            await store.append(key, batch)


async def import_session_to_store(
    session_id: str,
    store: SessionStore,
    *,
    directory: str | None = None,
    include_subagents: bool = True,
    batch_size: int = 500,
) -> None:
    """Copy a session into a store, as the Claude SDK does: a local Claude transcript (and its
    subagents) line by line, or a claude-compat session as the transcript the Claude CLI would have
    written for it, so the Claude SDK can list, read and resume it from the store.

    Everything is read and checked before the first append: a bad transcript line raises
    TranscriptError and nothing is written. SessionMissingError (a FileNotFoundError) when the
    session is nowhere.
    """
    _records.check_session_id(session_id)
    path = transcripts.find_transcript(session_id, directory)
    if path is not None:
        await import_to_store(
            path, session_id, store, include_subagents=include_subagents, batch_size=batch_size
        )
        return
    if not _records.is_session_key(session_id) or claude_only(session_id, directory):
        raise SessionMissingError(f"Session {session_id} not found", looked_up=session_id)
    plan = await using_backend(lambda b: _letta_export_plan(b, session_id, directory, include_subagents))
    await append_plan(store, plan, batch_size)


async def _letta_export_plan(
    backend: LettaBackend, session_id: str, directory: str | None, include_subagents: bool
) -> list[tuple[SessionKey, list[dict[str, Any]]]]:
    """What importing a claude-compat session writes: (store key, entries) per transcript."""
    record, main, children = await _history.export_session(backend, session_id, directory)
    project_key = project_key_for_directory(record.cwd or directory)
    entries = mirror.history_entries(record.session_id, main.messages, main.times, cwd=record.cwd)
    entries += mirror.session_metadata_entries(record.session_id, entries, title=record.title, tag=record.tag)
    plan: list[tuple[SessionKey, list[dict[str, Any]]]] = [
        ({"project_key": project_key, "session_id": record.session_id}, entries)
    ]
    for child in children if include_subagents else []:
        # keyed by the Agent call, as the live mirror keys a subagent's messages
        agent_id = child.parent_tool_use_id or child.subagent_id or ""
        lines = mirror.history_entries(
            record.session_id, child.messages, child.times, cwd=record.cwd, agent_id=agent_id
        )
        if child.parent_tool_use_id:
            lines.append({"type": "agent_metadata", "toolUseId": child.parent_tool_use_id})
        key: SessionKey = {
            "project_key": project_key,
            "session_id": record.session_id,
            "subpath": f"subagents/agent-{agent_id}",
        }
        plan.append((key, lines))
    return plan
