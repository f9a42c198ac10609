"""Local session registry: Claude ``session_id`` → (server, agent, conversation, …) in SQLite WAL.

One small database per user (``$CLAUDE_COMPAT_HOME/sessions.db``) that many processes share
safely: WAL journaling, a busy timeout, and one short transaction per write. It also holds the
turn leases of :mod:`letta_backend.leases` and a journal of the tool calls this machine ran, so a
turn that died between running a tool and reporting it is reconciled with what really happened.
A damaged or emptied file is never reset: it raises :class:`SessionRegistryError` naming the file
and the backup (``sessions.db.bak``, refreshed hourly with SQLite's backup API from a checked copy).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Protocol

import platformdirs

from claude_compat.errors import SessionRegistryError

from .leases import Acquired, Claim, Holder

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
CREATE TABLE IF NOT EXISTS turn_leases (
    lease_key TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tool_journal (
    conversation_key TEXT NOT NULL,
    tool_call_id TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    state TEXT NOT NULL,
    content TEXT,
    is_error INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (conversation_key, tool_call_id)
);
"""

#: How often (seconds) a process that opens the registry refreshes ``sessions.db.bak``.
BACKUP_EVERY = 3600.0
#: Journal entries older than this are dropped when the registry opens (their turns are long over).
_JOURNAL_KEEP = 30 * 24 * 3600.0
#: SQLite result codes that mean the file is damaged or not a database at all.
_DAMAGE_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


@dataclass(frozen=True)
class JournalEntry:
    """What this machine knows of one tool call: ``running`` (started, no result) or ``done``."""

    tool_call_id: str
    tool_name: str
    state: str
    content: str | None = None
    is_error: bool = False


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
        self.backup_path = self.path.with_name(self.path.name + ".bak")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        if not self.path.exists():
            self._create()
        elif self.path.stat().st_size == 0:
            raise self._damaged("it is empty (0 bytes): it was truncated or overwritten")
        with self._guard():
            self._conn().executescript(_SCHEMA)
            self._migrate()
            self._conn().execute(
                "DELETE FROM tool_journal WHERE updated_at < ?", (time.time() - _JOURNAL_KEEP,)
            )
        self._refresh_backup()

    def _create(self) -> None:
        """Build the schema in a private file and link it into place, so no process ever sees a
        half-made (0-byte) registry; a process that lost the race uses the winner's file."""
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
            finally:
                conn.close()
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _damaged(self, what: str) -> SessionRegistryError:
        """The error for a registry file SQLite cannot use: names the file, the backup, the fix."""
        if self.backup_path.exists():
            taken = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.backup_path.stat().st_mtime))
            fix = (
                f"restore the last good copy (taken {taken}) with `cp {self.backup_path} {self.path}`, "
                f"or move {self.path} away to start with no sessions"
            )
        else:
            fix = (
                f"move {self.path} away to start with no sessions; earlier sessions can still be "
                "resumed by their Letta conversation id (conv-…)"
            )
        return SessionRegistryError(
            f"the session registry {self.path} cannot be used: {what}. claude-compat does not reset it "
            f"(that would lose every session) — {fix}",
            path=str(self.path),
            backup=str(self.backup_path) if self.backup_path.exists() else None,
        )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's errors about a damaged file into :class:`SessionRegistryError`."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code in _DAMAGE_CODES or (code is None and type(exc) is sqlite3.DatabaseError):
                raise self._damaged(f"SQLite says {exc}") from None
            raise

    def _refresh_backup(self) -> None:
        """Copy the registry to ``sessions.db.bak`` with SQLite's backup API when the copy is older
        than :data:`BACKUP_EVERY`; a copy that fails its integrity check never replaces a good one."""
        try:
            if time.time() - self.backup_path.stat().st_mtime < BACKUP_EVERY:
                return
        except FileNotFoundError:
            pass
        conn = self._conn()
        with self._guard():
            if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
                return
        tmp = self.backup_path.with_name(f".{self.backup_path.name}.{uuid.uuid4().hex}.tmp")
        try:
            target = sqlite3.connect(tmp)
            try:
                with self._guard():
                    conn.backup(target)
            finally:
                target.close()
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.backup_path)
        except OSError:  # a read-only directory or a full disk: the registry itself still works
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

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
            with self._guard():
                conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._guard():
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _one(self, sql: str, args: Sequence[object] = ()) -> Any:
        with self._guard():
            return self._conn().execute(sql, args).fetchone()

    def _all(self, sql: str, args: Sequence[object] = ()) -> list[Any]:
        with self._guard():
            return self._conn().execute(sql, args).fetchall()

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
        row = self._one(f"SELECT {', '.join(_COLUMNS)} FROM sessions WHERE session_id = ?", (session_id,))
        return _record(row)

    def by_conversation(self, conversation_id: str, agent_id: str | None = None) -> SessionRecord | None:
        """The session mapped to a Letta conversation id (of ``agent_id`` when given), or None."""
        where, args = "WHERE conversation_id = ?", [conversation_id]
        if agent_id is not None:
            where, args = where + " AND agent_id = ?", [*args, agent_id]
        row = self._one(
            f"SELECT {', '.join(_COLUMNS)} FROM sessions {where} ORDER BY updated_at DESC LIMIT 1", args
        )
        return _record(row)

    def latest(self, cwd: str | None = None) -> SessionRecord | None:
        """The most recently used top-level session (for ``cwd`` when given); subagents never count."""
        args: tuple[str, ...] = ()
        sql = "WHERE subagent_id IS NULL ORDER BY updated_at DESC LIMIT 1"
        if cwd is not None:
            sql, args = "WHERE cwd = ? AND subagent_id IS NULL ORDER BY updated_at DESC LIMIT 1", (cwd,)
        row = self._one(f"SELECT {', '.join(_COLUMNS)} FROM sessions {sql}", args)
        return _record(row)

    def list(self, cwd: str | None = None, limit: int | None = None) -> list[SessionRecord]:
        """Sessions, most recently used first."""
        where, args = ("WHERE cwd = ?", [cwd]) if cwd is not None else ("", [])
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self._all(
            f"SELECT {', '.join(_COLUMNS)} FROM sessions {where} ORDER BY updated_at DESC{lim}", args
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
        row = self._one(
            "SELECT agent_id FROM shared_agents WHERE server_url = ? AND config_key = ?",
            (server_url, config_key),
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

    # --- turn leases (see letta_backend.leases) -------------------------------------------------

    def acquire_lease(self, key: str, holder: Holder, ttl: float) -> Acquired:
        """Take the lease on ``key`` when free, expired or held by a dead process of this host."""
        now = time.time()
        with self._tx() as db:
            row = db.execute(
                "SELECT holder, host, pid, expires_at FROM turn_leases WHERE lease_key = ?", (key,)
            ).fetchone()
            other = Claim(Holder(str(row[0]), str(row[1]), int(row[2])), float(row[3])) if row else None
            if other is not None and other.holder.id != holder.id and not other.is_stale(now):
                return Acquired(False, other)
            db.execute(
                "INSERT OR REPLACE INTO turn_leases VALUES (?, ?, ?, ?, ?)",
                (key, holder.id, holder.host, holder.pid, now + ttl),
            )
        return Acquired(True, other if other is not None and other.holder.id != holder.id else None)

    def renew_lease(self, key: str, holder: Holder, ttl: float) -> bool:
        """Extend ``holder``'s claim; False when another holder took it (it had expired)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE turn_leases SET expires_at = ? WHERE lease_key = ? AND holder = ?",
                (time.time() + ttl, key, holder.id),
            )
            return cur.rowcount == 1

    def release_lease(self, key: str, holder: Holder) -> None:
        """Drop ``holder``'s claim on ``key``."""
        with self._tx() as db:
            db.execute("DELETE FROM turn_leases WHERE lease_key = ? AND holder = ?", (key, holder.id))

    # --- the tool-call journal -----------------------------------------------------------------

    def journal_start(self, conversation_key: str, tool_call_id: str, tool_name: str) -> None:
        """Note that a tool call is about to run (its effects may exist from now on)."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO tool_journal VALUES (?, ?, ?, 'running', NULL, 0, ?)",
                (conversation_key, tool_call_id, tool_name, time.time()),
            )

    def journal_done(
        self, conversation_key: str, tool_call_id: str, tool_name: str, content: str, is_error: bool
    ) -> None:
        """Record the result a tool call produced, before it is sent to the server."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO tool_journal VALUES (?, ?, ?, 'done', ?, ?, ?)",
                (conversation_key, tool_call_id, tool_name, content, int(is_error), time.time()),
            )

    def journal(self, conversation_key: str, tool_call_ids: Sequence[str]) -> dict[str, JournalEntry]:
        """What the journal knows of these tool calls, by id."""
        if not tool_call_ids:
            return {}
        marks = ", ".join("?" for _ in tool_call_ids)
        rows = self._all(
            "SELECT tool_call_id, tool_name, state, content, is_error FROM tool_journal "
            f"WHERE conversation_key = ? AND tool_call_id IN ({marks})",
            (conversation_key, *tool_call_ids),
        )
        return {str(r[0]): JournalEntry(str(r[0]), str(r[1]), str(r[2]), r[3], bool(r[4])) for r in rows}

    def journal_forget(self, conversation_key: str, tool_call_ids: Sequence[str]) -> None:
        """Drop entries whose results the server has accepted."""
        if not tool_call_ids:
            return
        marks = ", ".join("?" for _ in tool_call_ids)
        with self._tx() as db:
            db.execute(
                f"DELETE FROM tool_journal WHERE conversation_key = ? AND tool_call_id IN ({marks})",
                (conversation_key, *tool_call_ids),
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

    async def acquire_lease(self, key: str, holder: Holder, ttl: float) -> Acquired:
        """Take the turn lease on ``key`` if free or stale (see :mod:`letta_backend.leases`)."""
        ...

    def renew_lease(self, key: str, holder: Holder, ttl: float) -> bool:
        """Extend ``holder``'s claim (called from a thread); False when it was lost."""
        ...

    async def release_lease(self, key: str, holder: Holder) -> None:
        """Drop ``holder``'s claim."""
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

    async def acquire_lease(self, key: str, holder: Holder, ttl: float) -> Acquired:
        """See :meth:`Registry.acquire_lease`."""
        return self.registry.acquire_lease(key, holder, ttl)

    def renew_lease(self, key: str, holder: Holder, ttl: float) -> bool:
        """See :meth:`Registry.renew_lease` (called from the heartbeat thread)."""
        return self.registry.renew_lease(key, holder, ttl)

    async def release_lease(self, key: str, holder: Holder) -> None:
        """See :meth:`Registry.release_lease`."""
        self.registry.release_lease(key, holder)
