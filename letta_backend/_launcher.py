"""Run the Letta 0.16.8 server on SQLite; executed as a file by the server venv's python.

Letta 0.16.8 always builds a Postgres engine, so this script points its database at a SQLite
file, creates the schema from the ORM metadata and serves the app with uvicorn. It uses only
the standard library and the server venv's packages (never the claude-compat package).
"""

from __future__ import annotations

import argparse
import importlib
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

_APP = "letta.server.rest_api.app:app"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the listen address and the database file from the command line."""
    parser = argparse.ArgumentParser(description="Serve Letta 0.16.8 on a SQLite database.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True, help="SQLite database file")
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
    uri = f"sqlite+aiosqlite:///{db}"
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


def main(argv: list[str] | None = None) -> int:
    """Check the port and database, patch Letta onto SQLite, then serve until signalled."""
    args = _parse_args(argv)
    db: Path = args.db.resolve()
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}", _EXIT_PORT_BUSY)
    try:
        _check_db(db)
    except sqlite3.Error as exc:
        return _fail(f"cannot open the SQLite database {db}: {exc}")
    print(f"claude-compat launcher: loading Letta (database {db})", flush=True)
    _point_letta_at_sqlite(db)
    _create_schema(db)
    uvicorn: Any = importlib.import_module("uvicorn")
    config = uvicorn.Config(
        _APP,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=65,
    )
    print(f"claude-compat launcher: starting the app on http://{args.host}:{args.port}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
