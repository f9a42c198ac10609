"""Where a session lives in a SessionStore: project keys, key strings, store session ids, store methods.

A project key is the Claude CLI's folder name for a project directory (also the folder of its
transcripts under the projects folder); a store keys a session by project key and session UUID.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from letta_backend import session_records as _records

from ..errors import InvalidOptionError
from ..types import SessionKey, SessionListSubkeysKey, SessionStore, SessionStoreEntry

#: Longest project key kept whole; longer ones are cut and get a hash suffix (as the Claude CLI's).
MAX_SANITIZED_LENGTH = 200
_NON_ALNUM = re.compile(r"[^a-zA-Z0-9]")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _js_string_hash(text: str) -> str:
    """The 32-bit ``hash * 31 + char`` string hash in base 36, as Claude's directory names use."""
    value = 0
    for char in text:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    if value >= 0x80000000:
        value -= 0x100000000
    value = abs(value)
    digits = ""
    while value:
        value, digit = divmod(value, 36)
        digits = _BASE36[digit] + digits
    return digits or "0"


def _sanitize_path(path: str) -> str:
    """Non-alphanumerics become '-'; long paths are cut and suffixed with a hash."""
    sanitized = _NON_ALNUM.sub("-", path)
    if len(sanitized) <= MAX_SANITIZED_LENGTH:
        return sanitized
    return f"{sanitized[:MAX_SANITIZED_LENGTH]}-{_js_string_hash(path)}"


def canonical_cwd(directory: str | os.PathLike[str]) -> str:
    """A directory as transcripts record it: real path, NFC-normalised."""
    try:
        return unicodedata.normalize("NFC", os.path.realpath(directory))
    except OSError:
        return unicodedata.normalize("NFC", str(directory))


def project_key_for_directory(directory: str | Path | None = None) -> str:
    """The store ``project_key`` of a directory (default: the working directory)."""
    return _sanitize_path(canonical_cwd(directory if directory is not None else "."))


def key_string(key: SessionKey | SessionListSubkeysKey) -> str:
    """A store key as one string: ``project_key/session_id[/subpath]`` (also names it in errors)."""
    parts = [key["project_key"], key["session_id"]]
    subpath = cast("dict[str, Any]", key).get("subpath")
    if subpath:
        parts.append(subpath)
    return "/".join(parts)


def is_store_uuid(session_id: str) -> bool:
    """A Claude session UUID (what a store keys sessions by), not a Letta ``conv-…`` id."""
    return _records.is_session_key(session_id) and not session_id.startswith("conv-")


def check_store_uuid(session_id: str) -> None:
    """ValueError unless ``session_id`` is a session UUID (store keys are Claude session ids)."""
    if not is_store_uuid(session_id):
        raise InvalidOptionError(f"Invalid session_id: {session_id}")


async def append_entry(
    store: SessionStore, session_id: str, directory: str | None, entry: dict[str, Any]
) -> None:
    """Append one metadata entry to a session's main transcript in a store, as the Claude SDK does."""
    stamp = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    full = {**entry, "sessionId": session_id, "uuid": str(uuid.uuid4()), "timestamp": stamp}
    key: SessionKey = {"project_key": project_key_for_directory(directory), "session_id": session_id}
    await store.append(key, [cast("SessionStoreEntry", full)])


def implements(store: SessionStore, method: str) -> bool:
    """Does the store define ``method`` itself (not the protocol's NotImplementedError default)?

    The defaults of claude-compat's protocol and of the Claude SDK's one (a store may subclass
    either) both count as absent, as the Claude SDK counts its own.
    """
    found = getattr(type(store), method, None)
    if found is None or found is getattr(SessionStore, method, None):
        return False
    return getattr(found, "__qualname__", "") != f"SessionStore.{method}"
