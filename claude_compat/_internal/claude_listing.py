"""Session functions over the Claude CLI's own transcripts: what the real SDK's list/info/messages return.

Used for sessions the real Claude SDK wrote that claude-compat has not imported yet; reading is
lenient here (bad lines are skipped, as the Claude SDK does), strict only when importing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..types import SDKSessionInfo, SessionMessage
from . import transcripts


def _last_field(entries: list[dict[str, Any]], key: str) -> str | None:
    values = [e[key] for e in entries if isinstance(e.get(key), str) and e[key]]
    return values[-1] if values else None


def info_of(path: Path, project_path: str | None = None) -> SDKSessionInfo | None:
    """A transcript file as ``SDKSessionInfo`` (None for sidechains and metadata-only files)."""
    try:
        transcript = transcripts.read_transcript(path, strict=False)
        stat = path.stat()
    except Exception:
        return None
    return info_of_transcript(transcript, int(stat.st_mtime * 1000), stat.st_size, project_path)


#: Bytes of a transcript's start and of its end that the Claude SDK reads to summarise it.
LITE_WINDOW = 65536


def _windows(
    transcript: transcripts.Transcript, size: int | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The entries whose lines lie in the first and in the last ``LITE_WINDOW`` bytes.

    The Claude SDK summarises a session from those two windows only (a title set in the middle
    of a long transcript does not show); with no line positions, the whole transcript is both.
    """
    entries, spans = transcript.entries, transcript.spans
    if spans is None or size is None or size <= LITE_WINDOW:
        return entries, entries
    head = [e for e, (_, end) in zip(entries, spans, strict=True) if end <= LITE_WINDOW]
    tail = [e for e, (start, _) in zip(entries, spans, strict=True) if start >= size - LITE_WINDOW]
    return head, tail


def _first_field(entries: list[dict[str, Any]], key: str) -> str | None:
    return next((e[key] for e in entries if isinstance(e.get(key), str) and e[key]), None)


def info_of_transcript(
    transcript: transcripts.Transcript, last_modified: int, file_size: int | None, project_path: str | None
) -> SDKSessionInfo | None:
    """A read transcript (a file's or a store key's) as ``SDKSessionInfo``; None for sidechains and
    metadata-only transcripts. As the Claude SDK: the summary is the custom (else AI) title, else
    the most recent prompt, else a ``summary`` hint, else the first prompt, read from the first and
    last 64 KiB of the transcript."""
    entries = transcript.entries
    if not entries or entries[0].get("isSidechain") is True:
        return None
    head, tail = _windows(transcript, file_size)
    start = transcripts.Transcript(transcript.session_id, transcript.source, head)
    custom_title = (
        _last_field(tail, "customTitle")
        or _last_field(head, "customTitle")
        or _last_field(tail, "aiTitle")
        or _last_field(head, "aiTitle")
    )
    first_prompt = start.first_prompt
    summary = custom_title or _last_field(tail, "lastPrompt") or _last_field(tail, "summary") or first_prompt
    if not summary:
        return None
    tags = [e for e in tail if e.get("type") == "tag"]
    tag = tags[-1].get("tag") if tags else None
    return SDKSessionInfo(
        session_id=transcript.session_id,
        summary=summary,
        last_modified=last_modified,
        file_size=file_size,
        custom_title=custom_title,
        first_prompt=first_prompt,
        git_branch=_last_field(tail, "gitBranch") or _first_field(head, "gitBranch"),
        cwd=start.cwd or project_path,
        tag=tag if isinstance(tag, str) and tag else None,
        created_at=start.created_at,
    )


def info_of_entries(
    session_id: str, entries: list[Any], last_modified: int, project_path: str | None
) -> SDKSessionInfo | None:
    """A session's store entries as ``SDKSessionInfo``, measured as the Claude SDK serialises them
    (one compact JSON line each, ``type`` first)."""
    kept: list[dict[str, Any]] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for entry in entries:
        shaped = {"type": entry["type"], **entry} if isinstance(entry, dict) and "type" in entry else entry
        length = len(json.dumps(shaped, separators=(",", ":")).encode("utf-8"))
        if isinstance(entry, dict):
            kept.append(entry)
            spans.append((position, position + length))
        position += length + 1
    transcript = transcripts.Transcript(session_id, session_id, kept, spans=spans)
    return info_of_transcript(transcript, last_modified, position, project_path)


def list_infos(directory: str | None) -> list[SDKSessionInfo]:
    """Claude transcripts of a directory's project folder (or of every project), unsorted."""
    from ..sessions import project_key_for_directory

    root = transcripts.projects_dir()
    if directory:
        folder = root / project_key_for_directory(directory)
        files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        project_path: str | None = transcripts.canonical_cwd(directory)
    else:
        files = transcripts.transcript_files(root)
        project_path = None
    return [info for info in (info_of(f, project_path) for f in files) if info is not None]


def info(session_id: str, directory: str | None) -> SDKSessionInfo | None:
    """One Claude transcript's info, or None."""
    path = transcripts.find_transcript(session_id, directory)
    if path is None:
        return None
    return info_of(path, transcripts.canonical_cwd(directory) if directory else None)


def messages(session_id: str, directory: str | None) -> list[SessionMessage] | None:
    """The visible messages of a Claude transcript, as the real SDK returns them; None when absent."""
    path = transcripts.find_transcript(session_id, directory)
    if path is None:
        return None
    return session_messages(transcripts.read_transcript(path, strict=False))


def session_messages(transcript: transcripts.Transcript) -> list[SessionMessage]:
    """A transcript's visible messages as ``SessionMessage``s (the real SDK's shape)."""
    return [
        SessionMessage(
            type="user" if e["type"] == "user" else "assistant",
            uuid=e.get("uuid", ""),
            session_id=e.get("sessionId", ""),
            message=e.get("message"),
        )
        for e in transcript.visible()
    ]


def _append(session_id: str, directory: str | None, entry: dict[str, Any]) -> bool:
    """Append one metadata line to a Claude transcript, as the Claude SDK does; False when absent."""
    path = transcripts.find_transcript(session_id, directory)
    if path is None:
        return False
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry, separators=(",", ":")) + "\n")
    return True


def rename(session_id: str, title: str, directory: str | None) -> bool:
    """Give a Claude transcript a custom title (a ``custom-title`` line); False when there is none."""
    return _append(
        session_id, directory, {"type": "custom-title", "customTitle": title, "sessionId": session_id}
    )


def tag(session_id: str, value: str | None, directory: str | None) -> bool:
    """Set or clear (an empty ``tag`` line) a Claude transcript's tag; False when there is none."""
    return _append(session_id, directory, {"type": "tag", "tag": value or "", "sessionId": session_id})


def delete(session_id: str, directory: str | None) -> bool:
    """Delete a Claude transcript and its subagent transcripts; False when there is none."""
    path = transcripts.find_transcript(session_id, directory)
    if path is None:
        return False
    path.unlink(missing_ok=True)
    shutil.rmtree(path.with_suffix(""), ignore_errors=True)
    return True
