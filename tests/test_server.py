"""The local Letta server as a user meets it: built once, starts, serves the model, stops cleanly.

Real processes only. Two tests start a real Letta server (~25 s each); the others check that
failures are reported at once and clearly.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from claude_compat.errors import LettaServerStartError
from letta_backend._embedded import PROVIDER_KEY_VARS, embedded_connection, embedded_status
from letta_backend.server import (
    LocalLettaServer,
    ensure_server_venv,
    find_free_port,
    server_venv_dir,
)

STUB_MODEL_ID = "stub-model"


class _StubModelHandler(BaseHTTPRequestHandler):
    """Answers GET /v1/models with one model id: all a Letta server needs to register it."""

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            self.send_error(404)
            return
        body = json.dumps({"object": "list", "data": [{"id": STUB_MODEL_ID, "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stub_model_url() -> Iterator[str]:
    """Base URL (``.../v1``) of a minimal OpenAI-compatible endpoint in this process."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubModelHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _get_json(url: str, token: str | None = None) -> object:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    with opener.open(request, timeout=30) as response:
        return json.loads(response.read())


def _pid_gone(pid: int) -> bool:
    """True if no process ``pid`` runs (an exited one its parent has not reaped yet counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _cli_env(home: Path) -> dict[str, str]:
    """The environment of a user with no provider key and no Letta settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PROVIDER_KEY_VARS and not k.startswith("LETTA_") and k != "OPENAI_BASE_URL"
    }
    env["CLAUDE_COMPAT_HOME"] = str(home)
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "claude_compat", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_server_environment_is_built_once_then_reused() -> None:
    python = ensure_server_venv()
    marker = server_venv_dir() / ".claude-compat-complete"
    built_at = marker.stat().st_mtime_ns

    assert ensure_server_venv() == python
    assert marker.stat().st_mtime_ns == built_at  # not rebuilt
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('letta'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == "0.16.8"


def test_a_local_server_serves_the_model_and_stop_leaves_no_process(
    stub_model_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Variables of the caller that must not reach the server.
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-must-not-leak")
    monkeypatch.setenv("LETTA_PG_URI", "postgresql://nobody@127.0.0.1:1/none")
    server = LocalLettaServer(model_base_url=stub_model_url)
    with server:
        pid = server.pid
        assert pid is not None
        data_dir = server.data_dir
        health = _get_json(f"{server.base_url}/v1/health/")
        assert isinstance(health, dict) and health["version"] == "0.16.8"
        models = _get_json(f"{server.base_url}/v1/models/", server.api_key)
        assert isinstance(models, list)
        assert f"openai-proxy/{STUB_MODEL_ID}" in [m["handle"] for m in models]
        environ = dict(
            item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item
        )
        assert environ["HOME"] == str(data_dir)
        assert environ["LETTA_DIR"] == str(data_dir / ".letta")
        assert environ["OPENAI_BASE_URL"] == stub_model_url
        assert "ANTHROPIC_API_KEY" not in environ
        assert "LETTA_PG_URI" not in environ
        assert (data_dir / ".letta" / "letta.sqlite").is_file()

    assert server.pid is None
    assert _pid_gone(pid)
    assert _group_gone(pid)
    assert not data_dir.exists()  # a temp data dir goes with the server
    server.stop()  # a second stop is harmless


def test_a_launcher_failure_is_reported_at_once_quoting_the_log(tmp_path: Path) -> None:
    # A directory where the SQLite file should be: the launcher cannot open its database.
    (tmp_path / ".letta" / "letta.sqlite").mkdir(parents=True)
    server = LocalLettaServer(data_dir=tmp_path, startup_timeout=120)

    with pytest.raises(LettaServerStartError) as caught:
        server.start()

    assert "exited with code" in str(caught.value)
    assert "cannot open the SQLite database" in caught.value.log_tail
    assert caught.value.log_path == str(tmp_path / "server.log")
    assert server.pid is None


def test_a_busy_port_chosen_by_the_user_is_reported_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        server = LocalLettaServer(port=port, data_dir=tmp_path)

        with pytest.raises(LettaServerStartError) as caught:
            server.start()

    assert f"cannot listen on 127.0.0.1:{port}" in caught.value.log_tail
    assert server.pid is None


def test_cli_status_and_stop_say_no_server_runs_and_exit_1(tmp_path: Path) -> None:
    env = _cli_env(tmp_path)

    status = _cli("server", "status", env=env)
    assert status.returncode == 1
    assert "not running" in status.stdout

    as_json = _cli("server", "status", "--json", env=env)
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout) == {"running": False}

    stop = _cli("server", "stop", env=env)
    assert stop.returncode == 1
    assert "not running" in stop.stdout


def test_a_stale_embedded_server_record_is_cleaned_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(finished.stdout)
    state = tmp_path / "embedded-server" / "server.json"
    state.parent.mkdir(parents=True)
    state.write_text(
        json.dumps(
            {
                "base_url": f"http://127.0.0.1:{find_free_port()}",
                "pid": dead_pid,
                "model_pid": None,
                "data_dir": str(tmp_path / "data"),
                "log_path": str(tmp_path / "data" / "server.log"),
                "started_at": 0.0,
                "model_source": "scripted demo model",
            }
        )
    )

    assert embedded_status() is None
    assert not state.exists()
    assert _cli("server", "status", env=_cli_env(tmp_path)).returncode == 1


def test_two_processes_starting_the_embedded_server_at_once_get_one_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _cli_env(tmp_path)
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))
    for name in PROVIDER_KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    starts = [
        subprocess.Popen(
            [sys.executable, "-m", "claude_compat", "server", "start"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        outputs = [proc.communicate(timeout=600) for proc in starts]
        assert [proc.returncode for proc in starts] == [0, 0], outputs
        url, token = embedded_connection(start=False)
        for stdout, _stderr in outputs:
            assert f"running at {url}" in stdout
            assert "model: scripted demo model" in stdout

        status = _cli("server", "status", "--json", env=env)
        assert status.returncode == 0
        shown = json.loads(status.stdout)
        assert shown["base_url"] == url and shown["healthy"] is True
        models = _get_json(f"{url}/v1/models/", token)
        assert isinstance(models, list)
        assert "openai-proxy/scripted-model" in [m["handle"] for m in models]

        stop = _cli("server", "stop", env=env)
        assert stop.returncode == 0
        assert f"stopped the embedded Letta server at {url}" in stop.stdout
        assert _pid_gone(shown["pid"]) and _pid_gone(shown["model_pid"])
        assert _cli("server", "status", env=env).returncode == 1
        # The data stays for the next start, so sessions survive.
        assert Path(shown["data_dir"], ".letta", "letta.sqlite").is_file()
    finally:
        _cli("server", "stop", env=env)
