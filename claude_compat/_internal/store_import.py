"""Copy a Claude transcript (and its subagents) into a SessionStore, as the Claude SDK's import does.

Every file is read and checked whole before the first ``append``, so bad input raises a
TranscriptError naming the file and line and leaves the store untouched. ``append_plan`` writes
entries built in memory (a claude-compat session's history) in the same batches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from ..types import SessionKey, SessionStore, SessionStoreEntry
from . import transcripts

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


def _batches(path: Path, batch_size: int) -> list[list[SessionStoreEntry]]:
    """The file's entries in append batches (strictly read: TranscriptError on a bad line)."""
    batches: list[list[SessionStoreEntry]] = []
    batch: list[SessionStoreEntry] = []
    size = 0
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line:
            continue
        batch.append(cast("SessionStoreEntry", json.loads(line)))
        size += len(line)
        if len(batch) >= batch_size or size >= MAX_BATCH_BYTES:
            batches.append(batch)
            batch, size = [], 0
    if batch:
        batches.append(batch)
    return batches


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
    batches: list[list[SessionStoreEntry]] = []
    batch: list[SessionStoreEntry] = []
    size = 0
    for entry in entries:
        batch.append(cast("SessionStoreEntry", entry))
        size += len(json.dumps(entry, separators=(",", ":")))
        if len(batch) >= batch_size or size >= MAX_BATCH_BYTES:
            batches.append(batch)
            batch, size = [], 0
    if batch:
        batches.append(batch)
    return batches


async def append_plan(
    store: SessionStore, plan: list[tuple[SessionKey, list[dict[str, Any]]]], batch_size: int
) -> None:
    """Append each key's entries in batches, main transcript first (as an import writes them)."""
    size = batch_size if batch_size > 0 else MAX_BATCH_ENTRIES
    for key, entries in plan:
        for batch in _entry_batches(entries, size):
            await store.append(key, batch)
