"""Fork a Claude transcript into a new session's entries, as the Claude SDK's fork does.

Every conversation entry gets a fresh uuid with its ``parentUuid`` chain kept (progress entries
are left out and skipped over), the fork's ``sessionId`` and a ``forkedFrom`` back-pointer; the
last entry gets the fork's time; ``content-replacement`` records follow; a ``custom-title`` entry
(the given title, else the original's title or first prompt plus " (fork)") ends it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..errors import InvalidOptionError, TranscriptError
from . import transcripts

#: Fields of the source entries that describe the source session and are dropped from a fork.
SOURCE_ONLY_FIELDS = ("teamName", "agentName", "slug", "sourceToolAssistantUUID")

#: Title of a fork whose source has neither a title nor a prompt (before the " (fork)" suffix).
UNTITLED = "Forked session"


def source_title(entries: list[dict[str, Any]], session_id: str) -> str | None:
    """What a fork's title derives from, over a whole transcript (a store's entries): the last
    custom title, else the last AI title, else the first prompt; None when there is none."""
    custom = ai = None
    for entry in entries:
        if isinstance(entry.get("customTitle"), str) and entry["customTitle"]:
            custom = entry["customTitle"]
        if isinstance(entry.get("aiTitle"), str) and entry["aiTitle"]:
            ai = entry["aiTitle"]
    return custom or ai or transcripts.Transcript(session_id, "", entries).first_prompt


def fork_title(derived: str | None) -> str:
    """The title a fork gets without an explicit one: what it derives from, plus " (fork)"."""
    return f"{derived or UNTITLED} (fork)"


def fork_entries(
    entries: list[dict[str, Any]],
    session_id: str,
    source: str,
    up_to_message_id: str | None = None,
    title: str | None = None,
    derive_title: Callable[[], str | None] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The new session id and the entries of a fork of ``entries`` (a session's whole transcript).

    ``source`` names the transcript in errors; ``derive_title`` gives what an untitled fork's
    title derives from (default: ``source_title`` of all entries; a file's fork reads only its
    first and last 64 KiB, as the Claude SDK does). TranscriptError when there is nothing to
    fork, InvalidOptionError when ``up_to_message_id`` is not one of the transcript's entries.
    """
    chain: list[dict[str, Any]] = []
    replacements: list[Any] = []
    for entry in entries:
        kind = entry.get("type")
        if kind in transcripts.CHAIN_TYPES and isinstance(entry.get("uuid"), str):
            if not entry.get("isSidechain"):
                chain.append(entry)
        elif (
            kind == "content-replacement"
            and entry.get("sessionId") == session_id
            and isinstance(entry.get("replacements"), list)
        ):
            replacements.extend(entry["replacements"])
    nothing = TranscriptError(f"session {session_id} has no messages to fork", source=source)
    if not chain:
        raise nothing
    if up_to_message_id:
        cut = next((i for i, e in enumerate(chain) if e["uuid"] == up_to_message_id), None)
        if cut is None:
            raise InvalidOptionError(
                f"Message {up_to_message_id} not found in session {session_id}; "
                "pass the uuid of one of its messages (get_session_messages or "
                "get_session_messages_from_store lists them)"
            )
        chain = chain[: cut + 1]
    new_uuid = {e["uuid"]: str(uuid.uuid4()) for e in chain}
    by_uuid = {e["uuid"]: e for e in chain}
    kept = [e for e in chain if e.get("type") != "progress"]
    if not kept:
        raise nothing
    fork_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    out: list[dict[str, Any]] = []
    for index, original in enumerate(kept):
        parent_uuid: str | None = None
        parent_id = original.get("parentUuid")
        while parent_id:
            parent = by_uuid.get(parent_id)
            if parent is None:
                break
            if parent.get("type") != "progress":
                parent_uuid = new_uuid.get(parent_id)
                break
            parent_id = parent.get("parentUuid")
        logical = original.get("logicalParentUuid")
        forked = {
            **original,
            "uuid": new_uuid[original["uuid"]],
            "parentUuid": parent_uuid,
            "logicalParentUuid": new_uuid.get(logical) if logical else logical,
            "sessionId": fork_id,
            "timestamp": now if index == len(kept) - 1 else original.get("timestamp", now),
            "isSidechain": False,
            "forkedFrom": {"sessionId": session_id, "messageUuid": original["uuid"]},
        }
        for field in SOURCE_ONLY_FIELDS:
            forked.pop(field, None)
        out.append(forked)
    if replacements:
        out.append(
            {
                "type": "content-replacement",
                "sessionId": fork_id,
                "replacements": replacements,
                "uuid": str(uuid.uuid4()),
                "timestamp": now,
            }
        )
    given = title.strip() if title else None
    if not given:
        given = fork_title(derive_title() if derive_title else source_title(entries, session_id))
    out.append(
        {
            "type": "custom-title",
            "sessionId": fork_id,
            "customTitle": given,
            "uuid": str(uuid.uuid4()),
            "timestamp": now,
        }
    )
    return fork_id, out
