"""Find sessions the real Claude SDK wrote — transcript files or ``session_store=`` entries — for resuming.

Returns them as ``ClaudeHistory`` (neutral data the backend imports once). Reading is strict:
a transcript that cannot be read whole, or one of another working directory, is a
TranscriptError naming the file and line (or the store key), before anything is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio

from .._backend import ClaudeHistory, HistoryFinder
from ..errors import TranscriptError
from . import store_keys, transcripts
from .session_summary import iso_ms

if TYPE_CHECKING:
    from ..types import ClaudeAgentOptions, SessionKey


def history_of(transcript: transcripts.Transcript, modified_ms: int) -> ClaudeHistory:
    """A read transcript as the backend's neutral history."""
    return ClaudeHistory(
        session_id=transcript.session_id,
        source=transcript.source,
        messages=tuple(transcripts.history(transcript)),
        cwd=transcript.cwd,
        title=transcript.last("custom-title"),
        first_prompt=transcript.first_prompt,
        tag=transcript.last("tag"),
        modified_ms=modified_ms,
    )


def _newest_local(cwd: str) -> tuple[str, int] | None:
    """The newest transcript of a directory's project folder: (session id, mtime ms)."""
    folder = transcripts.projects_dir() / store_keys.project_key_for_directory(cwd)
    best: tuple[str, int] | None = None
    for path in folder.glob("*.jsonl") if folder.is_dir() else []:
        mtime = int(path.stat().st_mtime * 1000)
        if best is None or mtime > best[1]:
            best = (path.stem, mtime)
    return best


def read_local(session_id: str | None, cwd: str) -> ClaudeHistory | None:
    """A Claude session from the local config folder (None: not there); strict."""
    if session_id is None:
        newest = _newest_local(cwd)
        if newest is None:
            return None
        session_id = newest[0]
    path = transcripts.find_transcript(session_id, cwd)
    if path is None:
        return None
    transcript = transcripts.read_transcript(path)
    transcript.check_cwd(cwd)
    return history_of(transcript, int(path.stat().st_mtime * 1000))


async def read_store(store: Any, session_id: str | None, cwd: str, timeout_ms: int) -> ClaudeHistory | None:
    """A Claude session from a SessionStore (None: not there); a failing or hung store: TranscriptError."""
    project_key = store_keys.project_key_for_directory(cwd)
    where = f"session_store {type(store).__name__} project {project_key}"
    modified = 0
    try:
        with anyio.fail_after(timeout_ms / 1000):
            if session_id is None:
                listed = await store.list_sessions(project_key)
                if not listed:
                    return None
                newest = max(listed, key=lambda e: e["mtime"])
                session_id, modified = newest["session_id"], int(newest["mtime"])
            key: SessionKey = {"project_key": project_key, "session_id": session_id}
            entries = await store.load(key)
    except TimeoutError:
        raise TranscriptError(
            f"the store did not answer within load_timeout_ms={timeout_ms}; check it or raise the timeout",
            source=where,
        ) from None
    except TranscriptError:
        raise
    except Exception as exc:
        raise TranscriptError(f"the store failed: {type(exc).__name__}: {exc}", source=where) from None
    if entries is None:
        return None
    source = f"session_store key {project_key}/{session_id}"
    transcript = transcripts.transcript_of_entries(session_id, source, entries)
    transcript.check_cwd(cwd)
    if not modified:
        stamps = [iso_ms(e.get("timestamp")) for e in transcript.entries]
        modified = max((s for s in stamps if s is not None), default=0)
    return history_of(transcript, modified)


def finder(options: ClaudeAgentOptions, cwd: str) -> HistoryFinder:
    """Where a resumed or continued session that claude-compat does not know is looked for."""

    async def find(session_id: str | None, _cwd: str | None) -> ClaudeHistory | None:
        if options.session_store is not None:
            found = await read_store(options.session_store, session_id, cwd, options.load_timeout_ms)
            if found is not None:
                return found
        return await anyio.to_thread.run_sync(read_local, session_id, cwd)

    return find
