"""Start and stop a local Letta server (letta 0.16.8 on SQLite) from its own virtual environment.

The server runs in a venv built once per user from the pinned lock shipped with this package
(``server-requirements.lock.txt``), through ``_launcher.py``, which points Letta's database at
SQLite (or, given ``database_uri``, at a Postgres database that several servers may share). Used
by the embedded default server (``_embedded.py``), the CLI and the test kit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from claude_compat._private_files import private_dir, private_file
from claude_compat.errors import LettaServerStartError
from letta_backend import _tuning
from letta_backend._build import run_build_step
from letta_backend._process import (
    PortTaken,
    StartStop,
    find_free_port,
    reap_in_background,
    spawn_group,
    start_with_port_retry,
    stop_child,
)
from letta_backend.locks import blocking_file_lock

__all__ = [
    "LETTA_SERVER_VERSION",
    "LocalLettaServer",
    "ensure_server_venv",
    "find_free_port",
    "server_venv_dir",
]

LETTA_SERVER_VERSION = "0.16.8"

_log = logging.getLogger("claude_compat.server")

_PACKAGE_DIR = Path(__file__).resolve().parent
_LOCK_FILE = _PACKAGE_DIR / "server-requirements.lock.txt"
_LAUNCHER = _PACKAGE_DIR / "_launcher.py"
_COMPLETE_MARKER = ".claude-compat-complete"
_INSTALL_TIMEOUT = 1800.0
#: Longest wait for another process's server lock: a whole venv build (two install steps).
_LOCK_WAIT = 2 * _INSTALL_TIMEOUT + 60.0
_LOG_TAIL_LINES = 40
# Exit code of _launcher.py when its port is taken (retried with another port if we chose it).
_EXIT_PORT_BUSY = 3

# Variables the server inherits from the parent: locale, temp dirs, proxies and CA bundles.
# Everything else (LETTA_*, provider keys, ...) reaches it only through ``env``.
_INHERITED_VARS = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "SYSTEMROOT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
)
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


# --- the server's virtual environment -------------------------------------------------------


def _cache_root() -> Path:
    """Per-user cache directory of claude-compat (``CLAUDE_COMPAT_CACHE`` overrides it)."""
    override = os.environ.get("CLAUDE_COMPAT_CACHE")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("claude-compat"))


def server_venv_dir() -> Path:
    """Directory of the server venv for the shipped lock: a new lock gets a new venv."""
    digest = hashlib.sha256(_LOCK_FILE.read_bytes()).hexdigest()[:16]
    return _cache_root() / f"letta-server-{digest}"


def _venv_python(venv: Path) -> Path:
    """The interpreter inside ``venv``."""
    if sys.platform == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def ensure_server_venv() -> Path:
    """Build the server venv on first use (safe across processes) and return its python."""
    venv = server_venv_dir()
    python = _venv_python(venv)
    if (venv / _COMPLETE_MARKER).is_file() and python.exists():
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(venv.parent / f"{venv.name}.lock"):
        if (venv / _COMPLETE_MARKER).is_file() and python.exists():
            return python
        _build_venv(venv, python)
    return python


def _build_venv(venv: Path, python: Path) -> None:
    """Create ``venv`` and install the lock into it with uv; a half-built venv is discarded."""
    import uv

    uv_bin = uv.find_uv_bin()
    if venv.exists():
        shutil.rmtree(venv)
    build_log = venv.parent / f"{venv.name}.build.log"
    # The lock was resolved for CPython 3.11; uv finds (or fetches) one if we are not it.
    wanted_python = sys.executable if sys.version_info[:2] == (3, 11) else "3.11"
    steps = [
        ("create a Python 3.11 environment", [uv_bin, "venv", "--python", wanted_python, str(venv)]),
        (
            f"install letta {LETTA_SERVER_VERSION} and its pinned packages",
            [uv_bin, "pip", "install", "--python", str(python), "-r", str(_LOCK_FILE)],
        ),
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PYTHON")}
    _log.info(
        "building the Letta %s server environment in %s (first use only; log: %s)",
        LETTA_SERVER_VERSION,
        venv,
        build_log,
    )
    with build_log.open("wb") as out:
        for number, (title, cmd) in enumerate(steps, 1):
            code = run_build_step(
                cmd, step=number, steps=len(steps), title=title, log=out, env=env, timeout=_INSTALL_TIMEOUT
            )
            if code != 0:
                shutil.rmtree(venv, ignore_errors=True)
                what = "timed out" if code is None else f"exited with code {code}"
                raise LettaServerStartError(
                    f"could not build the Letta server environment in {venv}: "
                    f"`{' '.join(cmd[:3])}` {what}. Check access to the package index "
                    "(or set CLAUDE_COMPAT_CACHE to a writable directory) and retry.",
                    log_path=str(build_log),
                    log_tail=_tail(build_log),
                )
    (venv / _COMPLETE_MARKER).write_text(f"letta=={LETTA_SERVER_VERSION}\n", encoding="utf-8")


def _file_lock(path: Path, timeout: float = _LOCK_WAIT) -> contextlib.AbstractContextManager[None]:
    """Hold an exclusive lock on ``path`` (created if missing) across processes, waiting at most
    ``timeout`` seconds (then :class:`LettaServerStartError` says which lock is held)."""
    return blocking_file_lock(
        path,
        timeout=timeout,
        busy=lambda: LettaServerStartError(
            f"waited {timeout:.0f} s for the lock {path}, held by another claude-compat process "
            "(building or starting the Letta server); retry once it is done, or delete the lock file "
            "if no such process runs"
        ),
    )


# --- small HTTP and log helpers (shared with _embedded.py) ------------------------------------


def _http_url(host: str, port: int) -> str:
    """``http://host:port`` with IPv6 literals bracketed."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get_json(url: str, timeout: float, token: str | None = None) -> object | None:
    """GET ``url`` bypassing proxies (with ``token`` as bearer); the JSON body on HTTP 200, else None."""
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with _NO_PROXY_OPENER.open(request, timeout=timeout) as response:
            if response.status != 200:
                return None
            body: object = json.loads(response.read())
            return body
    except (OSError, ValueError):
        return None


def _get_status(url: str, timeout: float, token: str | None = None) -> int | None:
    """The HTTP status of GET ``url`` (with ``token`` as bearer), None when nothing answers."""
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with _NO_PROXY_OPENER.open(request, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _server_is_healthy(base_url: str, timeout: float = 2.0) -> bool:
    """True if ``base_url`` answers Letta's health check (not just any HTTP server)."""
    body = _get_json(f"{base_url}/v1/health/", timeout)
    return isinstance(body, dict) and "version" in body


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ("" if it cannot be read)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def _spawn_detached(
    cmd: list[str], *, log_path: Path, env: Mapping[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session / process group, stdout and stderr appended to a log.

    The log is the owner's alone: a server's log names its secret token.
    """
    with private_file(log_path).open("ab") as log:
        return spawn_group(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)


def _rotate_log(path: Path) -> None:
    """Keep the previous run's log as ``<name>.1`` so each start gets a fresh log."""
    if path.exists():
        with contextlib.suppress(OSError):
            path.replace(path.with_name(path.name + ".1"))


def _with_loopback_no_proxy(env: dict[str, str]) -> None:
    """Make sure the server never sends loopback requests (the local model) through a proxy."""
    for key in ("NO_PROXY", "no_proxy"):
        entries = [e for e in env.get(key, "").split(",") if e.strip()]
        env[key] = ",".join(entries + [n for n in _LOOPBACK_NAMES if n not in entries])


# --- the server -------------------------------------------------------------------------------


class LocalLettaServer(StartStop):
    """A Letta 0.16.8 server on loopback, backed by SQLite in ``data_dir``; start() / stop().

    Only its owner can use it: it runs in Letta's secure mode, and every request but the health
    check must carry ``api_key`` (a fresh secret unless given) as a bearer token; ``data_dir`` and
    the log are the owner's alone. With ``database_uri`` (``postgresql://user@host:port/db``) it
    uses that Postgres database instead, creating the schema the first time; servers sharing one
    database share all state.

    The server runs tuned (``_tuning.py``: a pooled SQLite engine, a cached SSL context, quiet
    logs, ...), which makes a turn about three times cheaper and changes nothing a client sees;
    ``CLAUDE_COMPAT_LETTA_TUNING`` (in this process's environment or ``env``) = ``none`` serves
    stock Letta, a comma list picks patches.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        data_dir: Path | None = None,
        model_base_url: str | None = None,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 180.0,
        database_uri: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self._host = host
        self._api_key = api_key or secrets.token_urlsafe(32)
        self._port_chosen_by_us = port is None
        self._port = find_free_port(host) if port is None else port
        self._data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self._temp_dir: Path | None = None
        self._model_base_url = model_base_url
        self._extra_env = dict(env or {})
        self._startup_timeout = startup_timeout
        self._database_uri = database_uri
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (the port may change during start() if we chose it)."""
        return _http_url(self._host, self._port)

    @property
    def api_key(self) -> str:
        """The secret every request must carry (``Authorization: Bearer <api_key>``)."""
        return self._api_key

    @property
    def data_dir(self) -> Path:
        """Where HOME, LETTA_DIR, the SQLite database (unless ``database_uri``) and the log live."""
        if self._data_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="letta-server-"))
            self._data_dir = self._temp_dir
        return self._data_dir

    @property
    def log_path(self) -> Path:
        """The server's combined stdout/stderr log."""
        return self.data_dir / "server.log"

    @property
    def pid(self) -> int | None:
        """Process id of the running server (leader of its own process group), else None."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the server and block until ``GET /v1/health/`` answers 200."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self._check_tuning()
        python = ensure_server_venv()
        data = private_dir(self.data_dir)
        private_dir(data / ".letta")
        env = self._server_env(data)

        def start_once() -> None:
            self._spawn(python, data, env)
            self._wait_until_healthy()

        start_with_port_retry(
            start_once,
            stop=self._kill,
            next_port=self._next_port if self._port_chosen_by_us else None,
            busy_error=lambda: self._start_error(f"port {self._port} is already in use"),
        )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period); safe to call twice."""
        self._kill()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
            self._data_dir = None

    def __repr__(self) -> str:
        return f"LocalLettaServer(base_url={self.base_url!r}, pid={self.pid})"

    # -- internals --

    def _tuning_setting(self) -> str:
        """The tuning the server gets: ``env``'s setting, else this process's, else all."""
        chosen = self._extra_env.get(_tuning.SETTING, os.environ.get(_tuning.SETTING))
        return chosen if chosen is not None else _tuning.DEFAULT

    def _check_tuning(self) -> None:
        """Refuse a bad tuning setting before anything starts."""
        try:
            _tuning.parse_selection(self._tuning_setting())
        except _tuning.TuningError as exc:
            raise LettaServerStartError(str(exc), base_url=self.base_url) from None

    def _server_env(self, data: Path) -> dict[str, str]:
        """The server's whole environment: inherited basics, the model endpoint, ``env``."""
        env = {k: os.environ[k] for k in _INHERITED_VARS if k in os.environ}
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONIOENCODING"] = "utf-8"
        if self._model_base_url is not None:
            env["OPENAI_BASE_URL"] = self._model_base_url
            env["OPENAI_API_KEY"] = "sk-local"
        env.update(self._extra_env)
        env[_tuning.SETTING] = self._tuning_setting()
        # Letta's own secure mode: every route but the health check wants the password as a
        # bearer token. Given through the environment (readable by the owner only), not argv.
        env["LETTA_SERVER_SECURE"] = "true"
        env["LETTA_SERVER_PASSWORD"] = self._api_key
        # Letta keeps state under ~/.letta too (tool_execution_dir), so HOME is private.
        env["HOME"] = str(data)
        env["USERPROFILE"] = str(data)
        env["LETTA_DIR"] = str(data / ".letta")
        _with_loopback_no_proxy(env)
        return env

    def _next_port(self) -> None:
        """Another free port, after the one we chose was taken before the server bound it."""
        self._port = find_free_port(self._host)

    def _spawn(self, python: Path, data: Path, env: dict[str, str]) -> None:
        """Launch the launcher in its own process group, logging to ``log_path``."""
        _rotate_log(self.log_path)
        cmd = [
            str(python),
            str(_LAUNCHER),
            "--host",
            self._host,
            "--port",
            str(self._port),
        ]
        if self._database_uri is not None:
            cmd += ["--database-uri", self._database_uri]
        else:
            cmd += ["--db", str(data / ".letta" / "letta.sqlite")]
        self._proc = _spawn_detached(cmd, log_path=self.log_path, env=env, cwd=data)

    def _wait_until_healthy(self) -> None:
        """Poll the health check; fail fast if the process exits, fail at the deadline."""
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + self._startup_timeout
        while True:
            code = proc.poll()
            if code == _EXIT_PORT_BUSY and self._port_chosen_by_us:
                raise PortTaken
            if code is not None:
                raise self._start_error(f"the Letta server exited with code {code} while starting")
            if _server_is_healthy(self.base_url):
                if proc.poll() is None:
                    self._check_locked()
                    return
                continue
            if time.monotonic() >= deadline:
                raise self._start_error(
                    f"the Letta server did not answer {self.base_url}/v1/health/ "
                    f"within {self._startup_timeout:.0f} s"
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.25)

    def _check_locked(self) -> None:
        """Fail the start unless the server refuses requests without the token and takes ours."""
        url = f"{self.base_url}/v1/models/"
        anonymous, ours = _get_status(url, 30.0), _get_status(url, 30.0, self._api_key)
        if anonymous != 401 or ours != 200:
            raise self._start_error(
                f"the Letta server at {self.base_url} is not locked to its owner (GET /v1/models/ "
                f"answered {anonymous} without the token and {ours} with it)"
            )

    def _start_error(self, what: str) -> LettaServerStartError:
        """A start failure quoting the log."""
        return LettaServerStartError(
            f"{what}; see {self.log_path}",
            base_url=self.base_url,
            log_path=str(self.log_path),
            log_tail=_tail(self.log_path),
        )

    def _kill(self) -> None:
        """Terminate the process group we started, if any, and reap it."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_child(proc)

    def _detach(self) -> int:
        """Let the running server outlive this object (and process); returns its pid."""
        proc, self._proc = self._proc, None
        if proc is None:
            raise RuntimeError("the server is not running")
        self._temp_dir = None
        reap_in_background(proc)
        return proc.pid
