"""The in-memory SessionStore of the Claude SDK: a dict, for tests and development (lost at exit)."""

from __future__ import annotations

import time

from ..types import (
    SessionKey,
    SessionListSubkeysKey,
    SessionStore,
    SessionStoreEntry,
    SessionStoreListEntry,
    SessionSummaryEntry,
)
from .session_summary import fold_session_summary
from .store_keys import key_string


class InMemorySessionStore(SessionStore):
    """A ``SessionStore`` kept in a dict, for tests and development (lost at exit)."""

    def __init__(self) -> None:
        self._store: dict[str, list[SessionStoreEntry]] = {}
        self._mtimes: dict[str, int] = {}
        self._summaries: dict[tuple[str, str], SessionSummaryEntry] = {}
        self._last_mtime = 0

    def _next_mtime(self) -> int:
        """Write time in epoch ms, strictly increasing so back-to-back appends differ."""
        now_ms = max(int(time.time() * 1000), self._last_mtime + 1)
        self._last_mtime = now_ms
        return now_ms

    async def append(self, key: SessionKey, entries: list[SessionStoreEntry]) -> None:
        """Append entries; main transcripts also update their summary."""
        k = key_string(key)
        self._store.setdefault(k, []).extend(entries)
        now_ms = self._next_mtime()
        if key.get("subpath") is None:
            session = (key["project_key"], key["session_id"])
            folded = fold_session_summary(self._summaries.get(session), key, entries)
            folded["mtime"] = now_ms
            self._summaries[session] = folded
        self._mtimes[k] = now_ms

    async def load(self, key: SessionKey) -> list[SessionStoreEntry] | None:
        """A copy of the entries of ``key``, or None when never written."""
        entries = self._store.get(key_string(key))
        return None if entries is None else list(entries)

    async def list_sessions(self, project_key: str) -> list[SessionStoreListEntry]:
        """Main transcripts of a project with their write times."""
        prefix = project_key + "/"
        return [
            {"session_id": k[len(prefix) :], "mtime": self._mtimes.get(k, 0)}
            for k in self._store
            if k.startswith(prefix) and "/" not in k[len(prefix) :]
        ]

    async def list_session_summaries(self, project_key: str) -> list[SessionSummaryEntry]:
        """Summaries of the project's main transcripts."""
        return [s for (pk, _), s in self._summaries.items() if pk == project_key]

    async def delete(self, key: SessionKey) -> None:
        """Delete ``key``; a main transcript takes its subkeys with it."""
        k = key_string(key)
        self._store.pop(k, None)
        self._mtimes.pop(k, None)
        if key.get("subpath") is None:
            self._summaries.pop((key["project_key"], key["session_id"]), None)
            prefix = k + "/"
            for sub in [s for s in self._store if s.startswith(prefix)]:
                self._store.pop(sub, None)
                self._mtimes.pop(sub, None)

    async def list_subkeys(self, key: SessionListSubkeysKey) -> list[str]:
        """Subpaths stored under a session."""
        prefix = key_string(key) + "/"
        return [k[len(prefix) :] for k in self._store if k.startswith(prefix)]

    def get_entries(self, key: SessionKey) -> list[SessionStoreEntry]:
        """Entries of ``key`` (empty when absent); a test helper."""
        return list(self._store.get(key_string(key), []))

    @property
    def size(self) -> int:
        """Number of stored main transcripts; a test helper."""
        return sum(1 for k in self._store if k.count("/") == 1)

    def clear(self) -> None:
        """Forget everything; a test helper."""
        self._store.clear()
        self._mtimes.clear()
        self._summaries.clear()
        self._last_mtime = 0
