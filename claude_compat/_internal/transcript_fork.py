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


def fork_title(title: str | None, derived: Callable[[], str | None]) -> str:
    """A fork's title: ``title`` stripped, else what ``derived()`` gives plus " (fork)".

    Every fork takes its title from here: of a transcript, of a store's session, of a Letta session.
    """
    given = title.strip() if title else ""
    return given or f"{derived() or UNTITLED} (fork)"


def _chain_and_replacements(
    entries: list[dict[str, Any]], session_id: str
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The main-chain conversation entries, and the session's own content replacements."""
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
    return chain, replacements


def _cut(chain: list[dict[str, Any]], session_id: str, up_to_message_id: str | None) -> list[dict[str, Any]]:
    """The chain up to and including ``up_to_message_id`` (all of it without one)."""
    if not up_to_message_id:
        return chain
    cut = next((i for i, e in enumerate(chain) if e["uuid"] == up_to_message_id), None)
    if cut is None:
        raise InvalidOptionError(
            f"Message {up_to_message_id} not found in session {session_id}; "
            "pass the uuid of one of its messages (get_session_messages or "
            "get_session_messages_from_store lists them)"
        )
    return chain[: cut + 1]


def _new_parent(original: dict[str, Any], by_uuid: dict[str, Any], new_uuid: dict[str, str]) -> str | None:
    """The fork's uuid of the nearest ancestor that is not a progress entry (None at the root)."""
    parent_id = original.get("parentUuid")
    while parent_id:
        parent = by_uuid.get(parent_id)
        if parent is None:
            return None
        if parent.get("type") != "progress":
            return new_uuid.get(parent_id)
        parent_id = parent.get("parentUuid")
    return None


def _forked_chain(
    chain: list[dict[str, Any]], session_id: str, fork_id: str, now: str
) -> list[dict[str, Any]]:
    """The chain's entries (progress left out) with fresh uuids, the fork's id and back-pointers."""
    new_uuid = {e["uuid"]: str(uuid.uuid4()) for e in chain}
    by_uuid = {e["uuid"]: e for e in chain}
    kept = [e for e in chain if e.get("type") != "progress"]
    out: list[dict[str, Any]] = []
    for index, original in enumerate(kept):
        logical = original.get("logicalParentUuid")
        forked = {
            **original,
            "uuid": new_uuid[original["uuid"]],
            "parentUuid": _new_parent(original, by_uuid, new_uuid),
            "logicalParentUuid": new_uuid.get(logical) if logical else logical,
            "sessionId": fork_id,
            "timestamp": now if index == len(kept) - 1 else original.get("timestamp", now),
            "isSidechain": False,
            "forkedFrom": {"sessionId": session_id, "messageUuid": original["uuid"]},
        }
        for field in SOURCE_ONLY_FIELDS:
            forked.pop(field, None)
        out.append(forked)
    return out


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
    chain, replacements = _chain_and_replacements(entries, session_id)
    nothing = TranscriptError(f"session {session_id} has no messages to fork", source=source)
    if not chain:
        raise nothing
    chain = _cut(chain, session_id, up_to_message_id)
    if all(e.get("type") == "progress" for e in chain):
        raise nothing
    fork_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    out = _forked_chain(chain, session_id, fork_id, now)
    if replacements:
        out.append(_metadata(fork_id, now, type="content-replacement", replacements=replacements))
    name = fork_title(title, derive_title or (lambda: source_title(entries, session_id)))
    out.append(_metadata(fork_id, now, type="custom-title", customTitle=name))
    return fork_id, out


def _metadata(fork_id: str, now: str, **fields: Any) -> dict[str, Any]:
    """A metadata entry of the fork (its ``type`` among ``fields``)."""
    return {
        "type": fields.pop("type"),
        "sessionId": fork_id,
        **fields,
        "uuid": str(uuid.uuid4()),
        "timestamp": now,
    }
