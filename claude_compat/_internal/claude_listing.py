"""Session functions over the Claude CLI's own transcripts: what the real SDK's session functions return.

Used for sessions the real Claude SDK wrote that claude-compat has not imported yet; reading is
lenient here (bad lines are skipped, as the Claude SDK does), strict only when importing.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from ..errors import TranscriptError
from ..types import SDKSessionInfo, SessionMessage
from . import store_keys, transcripts
from .transcript_fork import fork_entries


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


def _window_title(head: list[dict[str, Any]], tail: list[dict[str, Any]]) -> str | None:
    """A transcript's title from its windows: the custom title (tail first), else the AI title."""
    return (
        _last_field(tail, "customTitle")
        or _last_field(head, "customTitle")
        or _last_field(tail, "aiTitle")
        or _last_field(head, "aiTitle")
    )


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
    custom_title = _window_title(head, tail)
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
    root = transcripts.projects_dir()
    if directory:
        folder = root / store_keys.project_key_for_directory(directory)
        files = list(transcripts.folder_transcripts(folder))
        project_path: str | None = store_keys.canonical_cwd(directory)
    else:
        files = transcripts.transcript_files(root, ordered=False)
        project_path = None
    newest: dict[str, SDKSessionInfo] = {}  # one per session id, the newest, where it was first seen
    for info in (info_of(f, project_path) for f in files):
        if info is not None and (
            info.session_id not in newest or info.last_modified > newest[info.session_id].last_modified
        ):
            newest[info.session_id] = info
    return list(newest.values())


def info(session_id: str, directory: str | None) -> SDKSessionInfo | None:
    """One Claude transcript's info, or None."""
    path = transcripts.session_file(session_id, directory)
    if path is None:
        return None
    return info_of(path, store_keys.canonical_cwd(directory) if directory else None)


def messages(session_id: str, directory: str | None) -> list[SessionMessage] | None:
    """The visible messages of a Claude transcript, as the real SDK returns them; None when absent."""
    path = transcripts.session_file(session_id, directory)
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
    path = transcripts.session_file(session_id, directory)
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
    path = transcripts.session_file(session_id, directory)
    if path is None:
        return False
    path.unlink(missing_ok=True)
    shutil.rmtree(path.with_suffix(""), ignore_errors=True)
    return True


# ---------------------------------------------------------------------------
# Subagents and forks
# ---------------------------------------------------------------------------


def _agent_files(session_id: str, directory: str | None) -> list[tuple[str, Path]] | None:
    """The subagent transcripts of a Claude session; None when there is no such session."""
    path = transcripts.session_file(session_id, directory)
    return None if path is None else transcripts.agent_files(path.with_suffix("") / "subagents")


def subagent_ids(session_id: str, directory: str | None) -> list[str] | None:
    """Ids of a Claude session's subagents (nested folders included); None when there is no such session."""
    found = _agent_files(session_id, directory)
    return None if found is None else [agent_id for agent_id, _ in found]


def subagent_session_messages(
    entries: list[dict[str, Any]], metadata: dict[str, Any] | None
) -> list[SessionMessage]:
    """A subagent transcript's user and assistant messages, as the Claude SDK returns them.

    Each carries the Agent call that started the subagent (``parent_tool_use_id``) and the
    subagent that started it (``parent_agent_id``), from its metadata: the ``.meta.json``
    sidecar of a file, the ``agent_metadata`` entry of a store.
    """
    tool_use_id = (metadata or {}).get("toolUseId")
    parent_agent_id = (metadata or {}).get("parentAgentId")
    return [
        SessionMessage(
            type="user" if e["type"] == "user" else "assistant",
            uuid=e.get("uuid", ""),
            session_id=e.get("sessionId", ""),
            message=e.get("message"),
            parent_tool_use_id=tool_use_id if isinstance(tool_use_id, str) else None,
            parent_agent_id=parent_agent_id if isinstance(parent_agent_id, str) else None,
        )
        for e in transcripts.subagent_chain(entries)
        if e.get("type") in ("user", "assistant")
    ]


def subagent_messages(session_id: str, agent_id: str, directory: str | None) -> list[SessionMessage] | None:
    """The messages of one subagent of a Claude session ([] when it has no such subagent); None
    when there is no such session."""
    found = _agent_files(session_id, directory)
    if found is None:
        return None
    path = next((p for a, p in found if a == agent_id), None)
    if path is None:
        return []
    try:
        transcript = transcripts.read_transcript(path, strict=False)
    except TranscriptError:  # unreadable: no messages, as the Claude SDK reads it
        return []
    return subagent_session_messages(transcript.entries, transcripts.agent_metadata(path))


def fork(path: Path, session_id: str, up_to_message_id: str | None, title: str | None) -> str:
    """Fork a Claude transcript file into a new one beside it, as the Claude SDK does; the new id.

    An untitled fork's title derives from the first and last 64 KiB of the source, as the Claude
    SDK reads it. TranscriptError (a ValueError) when it has no messages, InvalidOptionError (a
    ValueError) when ``up_to_message_id`` is not one of its entries.
    """
    size = path.stat().st_size
    transcript = transcripts.read_transcript(path, strict=False)
    head, tail = _windows(transcript, size)

    def derived() -> str | None:
        return _window_title(head, tail) or transcripts.Transcript(session_id, "", head).first_prompt

    fork_id, entries = fork_entries(
        transcript.entries, session_id, str(path), up_to_message_id, title, derived
    )
    text = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries)
    descriptor = os.open(path.parent / f"{fork_id}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(text.encode("utf-8"))
    return fork_id
