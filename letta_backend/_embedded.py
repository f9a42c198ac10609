"""The embedded Letta server: one detached local server per user, shared by all claude-compat runs.

Used when neither LETTA_BASE_URL nor LETTA_API_KEY is set. Its state (a JSON file guarded by a
lock file, the secret token, the SQLite data, the logs) lives in the per-user state dir, the
owner's alone, so sessions survive restarts. The model is the user's provider keys when set, else
the scripted demo model. Letta stores the demo model's address (in its provider record and in every
agent) the first time and never updates it, so the demo model always listens where the server's
data says it is: nothing a run stores depends on that run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import platformdirs

from claude_compat._private_files import private_dir, write_private_text
from claude_compat.errors import LettaConnectionError, LettaServerStartError
from letta_backend._build import WAIT_ATTR
from letta_backend._process import find_free_port, pid_alive, reap_in_background, stop_child, terminate_group
from letta_backend.server import (
    LocalLettaServer,
    _file_lock,
    _get_json,
    _server_is_healthy,
    _spawn_detached,
    _tail,
    ensure_server_venv,
)

__all__ = [
    "PROVIDER_KEY_VARS",
    "EmbeddedStatus",
    "embedded_base_url",
    "embedded_connection",
    "embedded_status",
    "start_embedded",
    "stop_embedded",
]

_log = logging.getLogger("claude_compat.server")

#: Variables that make the embedded server use a real model provider instead of the demo model.
PROVIDER_KEY_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GROQ_API_KEY",
    "DEEPSEEK_API_KEY",
    "XAI_API_KEY",
    "TOGETHER_API_KEY",
    "OPENROUTER_API_KEY",
    "FIREWORKS_API_KEY",
    "AZURE_API_KEY",
    "ZAI_API_KEY",
    "BASETEN_API_KEY",
    "MINIMAX_API_KEY",
    "OLLAMA_BASE_URL",
    "VLLM_API_BASE",
    "SGLANG_API_BASE",
    "LMSTUDIO_BASE_URL",
)
# Settings that go with a provider key (endpoints, versions); passed along when set.
_PROVIDER_COMPANION_VARS = (
    "OPENAI_BASE_URL",
    "AZURE_BASE_URL",
    "AZURE_API_VERSION",
    "GEMINI_BASE_URL",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "OPENROUTER_REFERER",
    "OPENROUTER_TITLE",
    "VLLM_HANDLE_BASE",
    "SGLANG_HANDLE_BASE",
)
DEMO_MODEL_SOURCE = "scripted demo model"
_SERVER_MARK = "_launcher.py"
_MODEL_MARK = "claude_compat.testing"
_MODEL_START_TIMEOUT = 60.0
_HUNG_GRACE = 30.0


@dataclass(frozen=True)
class EmbeddedStatus:
    """Where the embedded server runs and what model it uses."""

    base_url: str
    pid: int
    model_pid: int | None
    data_dir: Path
    log_path: Path
    started_at: float
    model_source: str
    token_path: Path

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (paths as strings, ``started_at`` as Unix time; never the token)."""
        data = asdict(self)
        for key in ("data_dir", "log_path", "token_path"):
            data[key] = str(data[key])
        return data

    def token(self) -> str:
        """The secret every request to the server must carry as ``Authorization: Bearer``."""
        try:
            return self.token_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise LettaConnectionError(
                f"cannot read the embedded Letta server's token at {self.token_path} ({exc.strerror}); "
                "restart it with `claude-compat server stop` and `claude-compat server start`",
                base_url=self.base_url,
            ) from None


# --- paths and state file ---------------------------------------------------------------------


def _home() -> Path:
    """The embedded server's directory in the per-user state dir (``CLAUDE_COMPAT_HOME``); 0700."""
    override = os.environ.get("CLAUDE_COMPAT_HOME")
    root = Path(override).expanduser() if override else Path(platformdirs.user_state_dir("claude-compat"))
    return private_dir(root / "embedded-server")


def _state_file() -> Path:
    return _home() / "server.json"


def _lock_path() -> Path:
    return _home() / "server.lock"


def _token_path() -> Path:
    return _home() / "token"


def _endpoints_path() -> Path:
    """Where the demo model listens, run after run (``endpoints.json``)."""
    return _home() / "endpoints.json"


def _read_state() -> EmbeddedStatus | None:
    """The recorded server, or None when there is no (readable) state file."""
    try:
        raw = json.loads(_state_file().read_text(encoding="utf-8"))
        model_pid = raw.get("model_pid")
        return EmbeddedStatus(
            base_url=str(raw["base_url"]),
            pid=int(raw["pid"]),
            model_pid=int(model_pid) if model_pid is not None else None,
            data_dir=Path(raw["data_dir"]),
            log_path=Path(raw["log_path"]),
            started_at=float(raw["started_at"]),
            model_source=str(raw["model_source"]),
            # A record without a token is a server from before the lock: restarted when met.
            token_path=Path(raw.get("token_path") or _token_path()),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(status: EmbeddedStatus) -> None:
    """Replace the state file atomically (0600)."""
    write_private_text(_state_file(), json.dumps(status.to_json(), indent=2) + "\n")


def _read_endpoints() -> dict[str, Any]:
    try:
        raw = json.loads(_endpoints_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _is_ours(pid: int | None, mark: str) -> bool:
    """True if ``pid`` runs and (where the OS tells) its command line contains ``mark``.

    Guards against signalling an unrelated process that reused a recorded pid.
    """
    if pid is None or not pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS, Windows): trust the pid
    return mark.encode() in cmdline


def _stop_recorded(status: EmbeddedStatus) -> bool:
    """Stop the processes a state record names; True if any was running."""
    stopped = False
    if _is_ours(status.pid, _SERVER_MARK):
        terminate_group(status.pid)
        stopped = True
    if _is_ours(status.model_pid, _MODEL_MARK):
        assert status.model_pid is not None
        terminate_group(status.model_pid, grace=5.0)
        stopped = True
    with contextlib.suppress(FileNotFoundError):
        _state_file().unlink()
    return stopped


# --- model source -----------------------------------------------------------------------------


def _provider_env() -> dict[str, str]:
    """Provider keys (and their companion settings) set in this process's environment."""
    if not any(os.environ.get(name) for name in PROVIDER_KEY_VARS):
        return {}
    names = PROVIDER_KEY_VARS + _PROVIDER_COMPANION_VARS
    return {name: os.environ[name] for name in names if os.environ.get(name)}


def _start_demo_model(home: Path, preferred_port: int | None, *, strict: bool = False) -> tuple[int, str]:
    """Start the scripted demo model detached, on ``preferred_port`` when it is free (``strict``:
    there or nowhere, since the server's stored data calls it there); returns (pid, base URL)."""
    log_path = home / "model.log"
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    for attempt in range(3):
        port = preferred_port if attempt == 0 and preferred_port else find_free_port()
        cmd = [sys.executable, "-m", _MODEL_MARK, "serve", "--demo", "--port", str(port)]
        with contextlib.suppress(FileNotFoundError):
            log_path.unlink()
        proc = _spawn_detached(cmd, log_path=log_path, env=env, cwd=home)
        deadline = time.monotonic() + _MODEL_START_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            if _get_json(f"http://127.0.0.1:{port}/v1/models", timeout=1.0) is not None:
                reap_in_background(proc)
                return proc.pid, f"http://127.0.0.1:{port}/v1"
            time.sleep(0.1)
        if proc.poll() is None:
            stop_child(proc, grace=2.0)
        elif "cannot listen" in _tail(log_path) and strict:
            raise LettaServerStartError(
                f"port {port} on 127.0.0.1, where the embedded Letta server's agents call the scripted "
                "demo model, is taken by another program: stop that program and retry, or set a "
                "provider key such as OPENAI_API_KEY to use a real model",
                log_path=str(log_path),
                log_tail=_tail(log_path),
            )
        elif attempt < 2 and "cannot listen" in _tail(log_path):
            continue
        break
    raise LettaServerStartError(
        "the scripted demo model (python -m claude_compat.testing serve --demo) did not start; "
        "set a provider key such as OPENAI_API_KEY or ANTHROPIC_API_KEY to use a real model",
        log_path=str(log_path),
        log_tail=_tail(log_path),
    )


# --- public API -------------------------------------------------------------------------------


def embedded_status() -> EmbeddedStatus | None:
    """The running embedded server, or None (a record of dead processes is cleaned up)."""
    status = _read_state()
    if status is None:
        return None
    if _is_ours(status.pid, _SERVER_MARK):
        return status
    with _file_lock(_lock_path()):
        status = _read_state()
        if status is None or _is_ours(status.pid, _SERVER_MARK):
            return status
        _stop_recorded(status)
    return None


def embedded_base_url(*, start: bool = True) -> str:
    """URL of the embedded server; started (detached, outliving this process) when needed."""
    return embedded_connection(start=start)[0]


def embedded_connection(*, start: bool = True) -> tuple[str, str]:
    """(URL, token) of the embedded server; started (detached, outliving this process) when needed."""
    status = _read_state()
    if status is not None and _is_ours(status.pid, _SERVER_MARK) and status.token_path.is_file():
        if _model_alive(status) and _server_is_healthy(status.base_url, timeout=5.0):
            return status.base_url, status.token()
    if not start:
        if status is not None and _is_ours(status.pid, _SERVER_MARK):
            raise LettaConnectionError(
                f"the embedded Letta server (pid {status.pid}) is not answering at "
                f"{status.base_url}; see {status.log_path}, or restart it with "
                "`claude-compat server stop` and `claude-compat server start`",
                base_url=status.base_url,
            )
        raise LettaConnectionError(
            "the embedded Letta server is not running: start it with `claude-compat server "
            "start`, or set LETTA_BASE_URL to a Letta server of your own"
        )
    started = start_embedded()
    return started.base_url, started.token()


def start_embedded(*, port: int | None = None) -> EmbeddedStatus:
    """Start the embedded server unless it already runs (one per user, even when raced)."""
    home = _home()
    with _file_lock(_lock_path()):
        status = _read_state()
        if status is not None:
            locked = status.token_path.is_file()
            if locked and _is_ours(status.pid, _SERVER_MARK) and _wait_healthy(status.base_url):
                if _model_alive(status):
                    return status
                revived = _revive_demo_model(home, status)
                if revived is not None:
                    return revived
                _log.warning("the demo model cannot listen where the server calls it; restarting both")
            elif not locked:
                _log.warning("restarting the embedded Letta server so that only its owner can reach it")
            elif _is_ours(status.pid, _SERVER_MARK):
                _log.warning(
                    "the embedded Letta server (pid %d) stopped answering; restarting it",
                    status.pid,
                )
            _stop_recorded(status)
        return _start_locked(home, port)


def stop_embedded() -> bool:
    """Stop the embedded server and its demo model; True if something was running."""
    if not _state_file().exists():
        return False
    with _file_lock(_lock_path()):
        status = _read_state()
        if status is None:
            with contextlib.suppress(FileNotFoundError):
                _state_file().unlink()
            return False
        return _stop_recorded(status)


# --- internals --------------------------------------------------------------------------------


def _model_alive(status: EmbeddedStatus) -> bool:
    """The demo model the server calls still runs (True when the server uses provider keys)."""
    return status.model_pid is None or _is_ours(status.model_pid, _MODEL_MARK)


def _revive_demo_model(home: Path, status: EmbeddedStatus) -> EmbeddedStatus | None:
    """Start a dead demo model again where the running server calls it; None if that port is
    taken (the caller restarts both). Caller holds the lock."""
    port = _read_endpoints().get("demo_model_port")
    if not isinstance(port, int):
        return None
    _log.info("the scripted demo model had stopped; starting it again on port %d", port)
    model_pid, _ = _start_demo_model(home, port, strict=True)
    revived = dataclasses.replace(status, model_pid=model_pid)
    _write_state(revived)
    return revived


def _wait_healthy(base_url: str) -> bool:
    """Give a live but busy server some time to answer its health check."""
    deadline = time.monotonic() + _HUNG_GRACE
    while time.monotonic() < deadline:
        if _server_is_healthy(base_url, timeout=5.0):
            return True
        time.sleep(1.0)
    return False


def _start_locked(home: Path, port: int | None) -> EmbeddedStatus:
    """Start model (if needed) and server; caller holds the lock."""
    ensure_server_venv()  # built (with progress) before the start, whose wait is then just the start
    env = _provider_env()
    model_pid: int | None = None
    model_base_url: str | None = None
    kept = _read_endpoints().get("demo_model_port")
    demo_port = kept if isinstance(kept, int) else None
    if env:
        source = "provider keys: " + ",".join(n for n in PROVIDER_KEY_VARS if n in env)
    else:
        source = DEMO_MODEL_SOURCE
        model_pid, model_base_url = _start_demo_model(home, demo_port, strict=demo_port is not None)
    server = LocalLettaServer(port=port, data_dir=home / "data", model_base_url=model_base_url, env=env)
    _log.info(
        "starting the embedded Letta server (%s); this takes 10 to 30 s",
        source,
        extra={WAIT_ATTR: True},
    )
    try:
        server.start()
        write_private_text(_token_path(), server.api_key + "\n")
        if model_pid is not None:
            # A data dir from an earlier claude-compat may call the demo model elsewhere.
            stored = _stored_demo_port(server.base_url, server.api_key)
            if stored is not None and stored != httpx.URL(model_base_url or "").port:
                terminate_group(model_pid, grace=2.0)
                model_pid, model_base_url = _start_demo_model(home, stored, strict=True)
            demo_port = httpx.URL(model_base_url or "").port
    except BaseException:
        server.stop()
        if model_pid is not None:
            terminate_group(model_pid, grace=2.0)
        raise
    if demo_port is not None:
        write_private_text(_endpoints_path(), json.dumps({"demo_model_port": demo_port}) + "\n")
    status = EmbeddedStatus(
        base_url=server.base_url,
        pid=server._detach(),
        model_pid=model_pid,
        data_dir=server.data_dir,
        log_path=server.log_path,
        started_at=time.time(),
        model_source=source,
        token_path=_token_path(),
    )
    _write_state(status)
    _log.info("the embedded Letta server is ready at %s (%s)", status.base_url, source)
    return status


def _stored_demo_port(base_url: str, token: str) -> int | None:
    """The port where the server's stored data calls the demo model (its ``openai-proxy`` models)."""
    with _http(base_url, token) as http:
        response = http.get("/v1/models/")
        response.raise_for_status()
        models = response.json()
    for model in models:
        if isinstance(model, dict) and str(model.get("handle", "")).startswith("openai-proxy/"):
            port: int | None = httpx.URL(str(model.get("model_endpoint", ""))).port
            return port
    return None


def _http(base_url: str, token: str) -> httpx.Client:
    """A loopback client for the server's own API (no proxies, bounded waits)."""
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(60.0, connect=5.0),
        trust_env=False,
    )
