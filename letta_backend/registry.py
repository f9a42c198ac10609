"""Local session registry: Claude ``session_id`` → (server, agent, conversation, …) in SQLite WAL.

One small database per user (``$CLAUDE_COMPAT_HOME/sessions.db``) that many processes share
safely: WAL journaling, a busy timeout, and one short transaction per write.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Protocol

import platformdirs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    server_url TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    cwd TEXT,
    model TEXT,
    title TEXT,
    tag TEXT,
    first_prompt TEXT,
    parent_session_id TEXT,
    fork_point TEXT,
    owns_agent INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    subagent_id TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_cwd ON sessions (cwd, updated_at);
CREATE INDEX IF NOT EXISTS sessions_by_conversation ON sessions (conversation_id);
CREATE TABLE IF NOT EXISTS shared_agents (
    server_url TEXT NOT NULL,
    config_key TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (server_url, config_key)
);
"""


def home_dir() -> Path:
    """claude-compat's per-user state directory (``CLAUDE_COMPAT_HOME`` overrides it)."""
    env = os.environ.get("CLAUDE_COMPAT_HOME")
    return Path(env) if env else Path(platformdirs.user_state_dir("claude-compat"))


@dataclass(frozen=True)
class SessionRecord:
    """One Claude session and where it lives on Letta."""

    session_id: str
    server_url: str
    agent_id: str
    conversation_id: str
    cwd: str | None = None
    model: str | None = None
    title: str | None = None
    tag: str | None = None
    first_prompt: str | None = None
    parent_session_id: str | None = None
    fork_point: str | None = None
    owns_agent: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0
    subagent_id: str | None = None  # set on a subagent's session; parent_session_id is its parent


_COLUMNS = tuple(f.name for f in fields(SessionRecord))


class Registry:
    """SQLite-backed session registry, safe to share between threads and processes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or home_dir() / "sessions.db"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conn().executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Add the columns newer releases introduced to a database an older release created."""
        conn = self._conn()
        present = {str(row[1]) for row in conn.execute("PRAGMA table_info(sessions)")}
        for column in ("subagent_id",):
            if column not in present:
                try:
                    conn.execute(f"ALTER TABLE sessions ADD COLUMN {column} TEXT")
                except sqlite3.OperationalError:  # another process added it first
                    pass

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def put(self, record: SessionRecord) -> SessionRecord:
        """Insert or replace a session; stamps created/updated times."""
        now = time.time()
        record = replace(record, created_at=record.created_at or now, updated_at=now)
        values = tuple(getattr(record, c) for c in _COLUMNS)
        marks = ", ".join("?" for _ in _COLUMNS)
        with self._tx() as db:
            db.execute(f"INSERT OR REPLACE INTO sessions ({', '.join(_COLUMNS)}) VALUES ({marks})", values)
        return record

    def get(self, session_id: str) -> SessionRecord | None:
        """The session with this id, or None."""
        row = (
            self._conn()
            .execute(f"SELECT {', '.join(_COLUMNS)} FROM sessions WHERE session_id = ?", (session_id,))
            .fetchone()
        )
        return _record(row)

    def by_conversation(self, conversation_id: str, agent_id: str | None = None) -> SessionRecord | None:
        """The session mapped to a Letta conversation id (of ``agent_id`` when given), or None."""
        where, args = "WHERE conversation_id = ?", [conversation_id]
        if agent_id is not None:
            where, args = where + " AND agent_id = ?", [*args, agent_id]
        row = (
            self._conn()
            .execute(
                f"SELECT {', '.join(_COLUMNS)} FROM sessions {where} ORDER BY updated_at DESC LIMIT 1",
                args,
            )
            .fetchone()
        )
        return _record(row)

    def latest(self, cwd: str | None = None) -> SessionRecord | None:
        """The most recently used top-level session (for ``cwd`` when given); subagents never count."""
        args: tuple[str, ...] = ()
        sql = "WHERE subagent_id IS NULL ORDER BY updated_at DESC LIMIT 1"
        if cwd is not None:
            sql, args = "WHERE cwd = ? AND subagent_id IS NULL ORDER BY updated_at DESC LIMIT 1", (cwd,)
        row = self._conn().execute(f"SELECT {', '.join(_COLUMNS)} FROM sessions {sql}", args).fetchone()
        return _record(row)

    def list(self, cwd: str | None = None, limit: int | None = None) -> list[SessionRecord]:
        """Sessions, most recently used first."""
        where, args = ("WHERE cwd = ?", [cwd]) if cwd is not None else ("", [])
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = (
            self._conn()
            .execute(
                f"SELECT {', '.join(_COLUMNS)} FROM sessions {where} ORDER BY updated_at DESC{lim}",
                args,
            )
            .fetchall()
        )
        return [r for r in map(_record, rows) if r is not None]

    def touch(self, session_id: str, **changes: object) -> None:
        """Update some columns of a session and its ``updated_at``."""
        bad = set(changes) - set(_COLUMNS)
        if bad:
            raise KeyError(f"unknown registry columns: {sorted(bad)}")
        sets = ", ".join([*(f"{k} = ?" for k in changes), "updated_at = ?"])
        with self._tx() as db:
            db.execute(
                f"UPDATE sessions SET {sets} WHERE session_id = ?",
                (*changes.values(), time.time(), session_id),
            )

    def delete(self, session_id: str) -> bool:
        """Forget a session; True when it existed."""
        with self._tx() as db:
            return db.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,)).rowcount > 0

    def shared_agent(self, server_url: str, config_key: str) -> str | None:
        """The shared agent created earlier for this configuration, if any."""
        row = (
            self._conn()
            .execute(
                "SELECT agent_id FROM shared_agents WHERE server_url = ? AND config_key = ?",
                (server_url, config_key),
            )
            .fetchone()
        )
        return str(row[0]) if row else None

    def set_shared_agent(self, server_url: str, config_key: str, agent_id: str | None) -> None:
        """Remember (or, with None, forget) the shared agent of a configuration."""
        with self._tx() as db:
            if agent_id is None:
                db.execute(
                    "DELETE FROM shared_agents WHERE server_url = ? AND config_key = ?",
                    (server_url, config_key),
                )
            else:
                db.execute(
                    "INSERT OR REPLACE INTO shared_agents VALUES (?, ?, ?, ?)",
                    (server_url, config_key, agent_id, time.time()),
                )


def _record(row: tuple[object, ...] | None) -> SessionRecord | None:
    if row is None:
        return None
    data = dict(zip(_COLUMNS, row, strict=True))
    data["owns_agent"] = bool(data["owns_agent"])
    return SessionRecord(**data)  # type: ignore[arg-type]


_registries: dict[Path, Registry] = {}
_registries_lock = threading.Lock()


def default_registry() -> Registry:
    """The registry under the current ``CLAUDE_COMPAT_HOME`` (one instance per path)."""
    path = home_dir() / "sessions.db"
    with _registries_lock:
        reg = _registries.get(path)
        if reg is None:
            reg = _registries[path] = Registry(path)
        return reg


class SessionRegistry(Protocol):
    """Where the backend keeps its sessions: the local SQLite file, or the Letta server itself."""

    @property
    def where(self) -> str:
        """Where the sessions are kept, for error messages (a path or a server URL)."""
        ...

    async def put(self, record: SessionRecord) -> SessionRecord:
        """Insert or replace a session; stamps created/updated times."""
        ...

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session with this id, or None."""
        ...

    async def by_conversation(
        self, conversation_id: str, agent_id: str | None = None
    ) -> SessionRecord | None:
        """The session mapped to a Letta conversation id (of ``agent_id`` when given), or None."""
        ...

    async def latest(self, cwd: str | None = None) -> SessionRecord | None:
        """The most recently used top-level session (for ``cwd`` when given)."""
        ...

    async def list(self, cwd: str | None = None, limit: int | None = None) -> list[SessionRecord]:
        """Sessions, most recently used first."""
        ...

    async def touch(self, session_id: str, **changes: object) -> None:
        """Update some fields of a session and its ``updated_at``."""
        ...

    async def delete(self, session_id: str) -> bool:
        """Forget a session; True when it existed."""
        ...

    async def shared_agent(self, server_url: str, config_key: str) -> str | None:
        """The shared agent created earlier for this configuration, if any."""
        ...

    async def set_shared_agent(self, server_url: str, config_key: str, agent_id: str | None) -> None:
        """Remember (or, with None, forget) the shared agent of a configuration."""
        ...


class LocalSessionRegistry:
    """The SQLite :class:`Registry` behind the async :class:`SessionRegistry` interface.

    Each call is one short local transaction, so it runs inline rather than in a worker thread.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @property
    def where(self) -> str:
        """The database path."""
        return str(self.registry.path)

    async def put(self, record: SessionRecord) -> SessionRecord:
        """See :meth:`Registry.put`."""
        return self.registry.put(record)

    async def get(self, session_id: str) -> SessionRecord | None:
        """See :meth:`Registry.get`."""
        return self.registry.get(session_id)

    async def by_conversation(
        self, conversation_id: str, agent_id: str | None = None
    ) -> SessionRecord | None:
        """See :meth:`Registry.by_conversation`."""
        return self.registry.by_conversation(conversation_id, agent_id)

    async def latest(self, cwd: str | None = None) -> SessionRecord | None:
        """See :meth:`Registry.latest`."""
        return self.registry.latest(cwd)

    async def list(self, cwd: str | None = None, limit: int | None = None) -> list[SessionRecord]:
        """See :meth:`Registry.list`."""
        return self.registry.list(cwd, limit)

    async def touch(self, session_id: str, **changes: object) -> None:
        """See :meth:`Registry.touch`."""
        self.registry.touch(session_id, **changes)

    async def delete(self, session_id: str) -> bool:
        """See :meth:`Registry.delete`."""
        return self.registry.delete(session_id)

    async def shared_agent(self, server_url: str, config_key: str) -> str | None:
        """See :meth:`Registry.shared_agent`."""
        return self.registry.shared_agent(server_url, config_key)

    async def set_shared_agent(self, server_url: str, config_key: str, agent_id: str | None) -> None:
        """See :meth:`Registry.set_shared_agent`."""
        self.registry.set_shared_agent(server_url, config_key, agent_id)
