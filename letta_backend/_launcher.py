"""Run the Letta 0.16.8 server on SQLite or Postgres; executed as a file by the server venv's python.

Letta 0.16.8 always builds a Postgres engine, so with ``--db`` this script points its database at a
SQLite file; with ``--database-uri`` it points Letta at that Postgres database. Either way it creates
the schema from the ORM metadata (the wheel ships no migrations), applies the tuning chosen by
``CLAUDE_COMPAT_LETTA_TUNING`` (``_tuning.py``, beside this file) and serves the app with uvicorn.
It uses only the standard library and the server venv's packages (never the claude-compat package).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import os
import socket
import sqlite3
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from letta_backend import _tuning
else:  # run as a file: its directory is on sys.path, the letta_backend package is not
    import _tuning

_APP = "letta.server.rest_api.app:app"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the listen address and the database file from the command line."""
    parser = argparse.ArgumentParser(description="Serve Letta 0.16.8 on SQLite or Postgres.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="SQLite database file")
    where.add_argument("--database-uri", help="Postgres database, postgresql://user@host:port/name")
    return parser.parse_args(argv)


_EXIT_FAILED = 2
_EXIT_PORT_BUSY = 3  # the parent retries with another port when it picked this one


def _fail(message: str, code: int = _EXIT_FAILED) -> int:
    """Print one launcher error line (the parent quotes the log) and return the exit code."""
    print(f"claude-compat launcher: error: {message}", file=sys.stderr, flush=True)
    return code


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket before the slow imports, so a busy port fails at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _check_db(db: Path) -> None:
    """Open the database file once with the stdlib driver, so a bad path fails at once."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("SELECT 1")
    finally:
        conn.close()


def _point_letta_at_sqlite(db: Path) -> None:
    """Make Letta's engine factory return the SQLite URI; must run before letta.server.db loads."""
    if "letta.server.db" in sys.modules:
        raise RuntimeError("letta.server.db was imported before the database URI was patched")
    # a 60 s busy timeout (SQLite's default here is 5 s): concurrent sessions queue instead of failing
    uri = f"sqlite+aiosqlite:///{db}?timeout=60"
    database_utils: Any = importlib.import_module("letta.database_utils")

    def sqlite_uri(*_args: object, **_kwargs: object) -> str:
        return uri

    database_utils.get_database_uri_for_context = sqlite_uri


def _create_schema(db: Path) -> None:
    """Create every table of Letta's ORM that does not exist yet (the wheel has no migrations)."""
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    importlib.import_module("letta.orm")
    base: Any = importlib.import_module("letta.orm.base").Base
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    try:
        base.metadata.create_all(engine)
    finally:
        engine.dispose()


def _prepare_sqlite(db: Path, tuning: _tuning.Tuning) -> int:
    """Point Letta at the SQLite file ``db``, tune its engine and create its schema; non-zero on failure."""
    try:
        _check_db(db)
    except sqlite3.Error as exc:
        return _fail(f"cannot open the SQLite database {db}: {exc}")
    print(f"claude-compat launcher: loading Letta (database {db})", flush=True)
    _point_letta_at_sqlite(db)
    tuning.run(_tuning.ENGINE)
    _create_schema(db)
    return 0


# --- Postgres -----------------------------------------------------------------------------------

# Key of the advisory lock that lets one launcher at a time create the schema on a shared database.
_SCHEMA_LOCK_KEY = 0x6C657474_61303136


def _plain_uri(uri: str) -> str:
    """``uri`` without a ``+driver`` suffix in its scheme, as asyncpg.connect wants it."""
    scheme, sep, rest = uri.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def _redacted(uri: str) -> str:
    """``uri`` without its password, for log lines."""
    scheme, sep, rest = uri.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not at or ":" not in credentials:
        return uri
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{location}"


def _probe_postgres(uri: str) -> bool:
    """Connect once, so a wrong URI fails at once; True if the server offers the vector extension."""
    asyncpg: Any = importlib.import_module("asyncpg")

    async def probe() -> bool:
        conn = await asyncpg.connect(_plain_uri(uri), timeout=15)
        try:
            found = await conn.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
            return bool(found)
        finally:
            await conn.close()

    return asyncio.run(probe())


def _vector_stand_in(extension: bool) -> types.ModuleType:
    """A ``pgvector.sqlalchemy`` module with the one column type Letta's ORM imports from it.

    The server venv does not carry the pgvector package. With the ``vector`` extension the column
    is a real ``vector(n)``; without it a ``real[]`` (archival-memory search is then unavailable;
    nothing else uses embeddings).
    """
    sqlalchemy: Any = importlib.import_module("sqlalchemy")

    class Vector(sqlalchemy.types.UserDefinedType):  # type: ignore[misc]
        """An embedding column: ``vector(dim)`` with the extension, ``real[]`` without."""

        cache_ok = True

        def __init__(self, dim: int | None = None) -> None:
            self.dim = dim

        def get_col_spec(self, **_kw: object) -> str:
            if not extension:
                return "REAL[]"
            return f"VECTOR({self.dim})" if self.dim else "VECTOR"

        def bind_processor(self, _dialect: object) -> Any:
            def process(value: Any) -> Any:
                if value is None:
                    return None
                floats = [float(x) for x in value]
                return "[" + ",".join(repr(x) for x in floats) + "]" if extension else floats

            return process

        def result_processor(self, _dialect: object, _coltype: object) -> Any:
            def process(value: Any) -> Any:
                if isinstance(value, str):
                    return [float(x) for x in value.strip("[]").split(",") if x]
                return value

            return process

        class comparator_factory(sqlalchemy.types.UserDefinedType.Comparator):  # type: ignore[misc]
            """pgvector's distance operators."""

            def cosine_distance(self, other: Any) -> Any:
                return self.op("<=>", return_type=sqlalchemy.Float)(other)

            def l2_distance(self, other: Any) -> Any:
                return self.op("<->", return_type=sqlalchemy.Float)(other)

            def max_inner_product(self, other: Any) -> Any:
                return self.op("<#>", return_type=sqlalchemy.Float)(other)

    module = types.ModuleType("pgvector.sqlalchemy")
    module.Vector = Vector  # type: ignore[attr-defined]
    return module


def _point_letta_at_postgres(uri: str, extension: bool) -> None:
    """Set ``LETTA_PG_URI`` before Letta's settings load; supply a vector type if needed."""
    if "letta.settings" in sys.modules:
        raise RuntimeError("letta.settings was imported before LETTA_PG_URI was set")
    os.environ["LETTA_PG_URI"] = uri
    if extension and importlib.util.find_spec("pgvector") is not None:
        return
    package = types.ModuleType("pgvector")
    package.__path__ = []
    module = _vector_stand_in(extension)
    package.sqlalchemy = module  # type: ignore[attr-defined]
    sys.modules["pgvector"] = package
    sys.modules["pgvector.sqlalchemy"] = module


def _sequence_defaults(metadata: Any, sqlalchemy: Any) -> list[str]:
    """DDL giving each database-generated integer column (``FetchedValue``) a sequence default.

    Letta's migrations do this (``messages.sequence_id`` counts messages in insertion order); the
    ORM metadata alone leaves the column without a default. Idempotent.
    """
    statements = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            # exactly FetchedValue: a DefaultClause (``server_default="1"``) is a subclass of it
            generated = type(column.server_default) is sqlalchemy.schema.FetchedValue
            if not generated or not isinstance(column.type, sqlalchemy.Integer):
                continue
            sequence = f"{table.name}_{column.name}_seq"
            statements += [
                f'CREATE SEQUENCE IF NOT EXISTS "{sequence}" OWNED BY "{table.name}"."{column.name}"',
                f'ALTER TABLE "{table.name}" ALTER COLUMN "{column.name}" '
                f"SET DEFAULT nextval('\"{sequence}\"')",
            ]
    return statements


def _create_postgres_schema(uri: str, extension: bool) -> int:
    """Create the tables that do not exist yet, once across servers; returns how many it made.

    All of it runs in one transaction under an advisory lock: a second launcher on the same
    database waits, then finds the tables (Postgres DDL is transactional).
    """
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    async_engines: Any = importlib.import_module("sqlalchemy.ext.asyncio")
    importlib.import_module("letta.orm")
    base: Any = importlib.import_module("letta.orm.base").Base
    database_utils: Any = importlib.import_module("letta.database_utils")
    async_uri = database_utils.get_database_uri_for_context(uri, "async")

    def create(connection: Any) -> int:
        existing = set(sqlalchemy.inspect(connection).get_table_names())
        missing = [name for name in base.metadata.tables if name not in existing]
        base.metadata.create_all(connection)
        for statement in _sequence_defaults(base.metadata, sqlalchemy):
            connection.execute(sqlalchemy.text(statement))
        return len(missing)

    async def run() -> int:
        engine = async_engines.create_async_engine(async_uri, poolclass=sqlalchemy.pool.NullPool)
        try:
            async with engine.begin() as conn:
                lock = sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)")
                await conn.execute(lock, {"key": _SCHEMA_LOCK_KEY})
                if extension:
                    await conn.execute(sqlalchemy.text("CREATE EXTENSION IF NOT EXISTS vector"))
                made: int = await conn.run_sync(create)
                return made
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _pool_connections(uri: str) -> bool:
    """Turn on Letta's connection pool unless the caller chose; True when it is on.

    Letta 0.16.8 opens a new connection per database session by default (a turn makes dozens);
    measured here, pooling makes a turn ~2.5x faster. Its pooled engine forces TLS unless the URI
    names ``ssl``/``sslmode``, so the pool is turned on only for a URI that says which it wants.
    """
    chosen = os.environ.get("LETTA_DISABLE_SQLALCHEMY_POOLING")
    if chosen is None and ("sslmode=" in uri or "ssl=" in uri):
        os.environ["LETTA_DISABLE_SQLALCHEMY_POOLING"] = chosen = "false"
    return (chosen or "true").strip().lower() in ("false", "0", "no", "off")


def _one_startup_at_a_time(app: Any, uri: str) -> Any:
    """Wrap the ASGI app so its startup runs under the schema's advisory lock.

    Letta's startup inserts the default organization, user and providers without checking for
    a concurrent insert: two servers starting at once on one database made one of them exit
    (duplicate key on ``users_pkey``). The lock is held from ``lifespan.startup`` until the app
    reports it complete (or failed), on a connection of its own.
    """
    asyncpg: Any = importlib.import_module("asyncpg")

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        held: list[Any] = []

        async def receive_locked() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup" and not held:
                conn = await asyncpg.connect(_plain_uri(uri), timeout=15)
                held.append(conn)
                await conn.execute("SELECT pg_advisory_lock($1)", _SCHEMA_LOCK_KEY)
            return message

        async def send_unlocking(message: dict[str, Any]) -> None:
            if message["type"].startswith("lifespan.startup.") and held:
                await held.pop().close()  # ending the session releases its advisory lock
            await send(message)

        try:
            await app(scope, receive_locked, send_unlocking)
        finally:
            while held:
                await held.pop().close()

    return wrapped


def _prepare_postgres(uri: str, tuning: _tuning.Tuning) -> int:
    """Point Letta at the Postgres database ``uri`` and create its schema once; non-zero on failure."""
    shown = _redacted(uri)
    try:
        extension = _probe_postgres(uri)
    except Exception as exc:
        return _fail(f"cannot connect to the Postgres database {shown}: {type(exc).__name__}: {exc}")
    pooled = _pool_connections(uri)
    print(
        f"claude-compat launcher: loading Letta (database {shown}, "
        f"vector extension {'on' if extension else 'not available'}, "
        f"connection pool {'on' if pooled else 'off: name sslmode in the URI to turn it on'})",
        flush=True,
    )
    _point_letta_at_postgres(uri, extension)
    tuning.run(_tuning.ENGINE)
    made = _create_postgres_schema(uri, extension)
    what = f"created {made} tables" if made else "already present"
    print(f"claude-compat launcher: schema {what}", flush=True)
    return 0


def _load_tuned_app(args: argparse.Namespace) -> tuple[int, Any]:
    """Point Letta at its database, tune it and import its app: (exit code, app or None)."""
    postgres = args.database_uri is not None
    tuning = _tuning.Tuning(os.environ.get(_tuning.SETTING), _tuning.POSTGRES if postgres else _tuning.SQLITE)
    tuning.run(_tuning.ENV)
    if postgres:
        code = _prepare_postgres(args.database_uri, tuning)
    else:
        code = _prepare_sqlite(args.db.resolve(), tuning)
    if code:
        return code, None
    module, _, name = _APP.partition(":")
    app = getattr(importlib.import_module(module), name)
    tuning.run(_tuning.APP)
    tuning.verify()
    for line in tuning.summary():
        print(f"claude-compat launcher: {line}", flush=True)
    return 0, _one_startup_at_a_time(app, args.database_uri) if postgres else app


def main(argv: list[str] | None = None) -> int:
    """Check the port and database, point Letta at it, tune it, then serve until signalled."""
    args = _parse_args(argv)
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}", _EXIT_PORT_BUSY)
    try:
        code, app = _load_tuned_app(args)
    except _tuning.TuningError as exc:
        return _fail(str(exc))
    if code:
        return code
    uvicorn: Any = importlib.import_module("uvicorn")
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        loop=_tuning.event_loop(os.environ.get(_tuning.SETTING)),
        timeout_keep_alive=65,
    )
    print(f"claude-compat launcher: starting the app on http://{args.host}:{args.port}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
