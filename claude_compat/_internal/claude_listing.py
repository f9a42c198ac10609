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


def info_of_transcript(
    transcript: transcripts.Transcript, last_modified: int, file_size: int | None, project_path: str | None
) -> SDKSessionInfo | None:
    """A read transcript (a file's or a store key's) as ``SDKSessionInfo``; None for sidechains and
    metadata-only transcripts. The summary is the custom (else AI) title, else the most recent
    prompt, else a ``summary`` hint, else the first prompt, as the Claude SDK derives it."""
    entries = transcript.entries
    if not entries or entries[0].get("isSidechain") is True:
        return None
    custom_title = _last_field(entries, "customTitle") or _last_field(entries, "aiTitle")
    first_prompt = transcript.first_prompt
    summary = (
        custom_title or _last_field(entries, "lastPrompt") or _last_field(entries, "summary") or first_prompt
    )
    if not summary:
        return None
    tags = [e for e in entries if e.get("type") == "tag"]
    tag = tags[-1].get("tag") if tags else None
    return SDKSessionInfo(
        session_id=transcript.session_id,
        summary=summary,
        last_modified=last_modified,
        file_size=file_size,
        custom_title=custom_title,
        first_prompt=first_prompt,
        git_branch=_last_field(entries, "gitBranch"),
        cwd=transcript.cwd or project_path,
        tag=tag if isinstance(tag, str) and tag else None,
        created_at=transcript.created_at,
    )


def jsonl_size(entries: list[Any]) -> int:
    """Bytes of entries written as the Claude SDK serialises store entries (``type`` first, compact)."""
    lines = [
        json.dumps(
            {"type": e["type"], **e} if isinstance(e, dict) and "type" in e else e, separators=(",", ":")
        )
        for e in entries
    ]
    return len(("\n".join(lines) + "\n").encode("utf-8"))


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
