"""The embedded default survives what users do to it: stop and start, kill -9 of each process, a taken port.

Nothing the server stores may depend on one run: after each of these a resumed session (and a new
one) answers again, with no data dir deleted.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat.errors import LettaServerStartError
from letta_backend import _embedded
from letta_backend._process import pid_alive

pytestmark = [pytest.mark.anyio, pytest.mark.letta, pytest.mark.slow]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # one backend: this test starts the embedded server three times


@pytest.fixture
def embedded_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user with no Letta settings and no provider key: claude-compat starts the embedded server."""
    for name in (*_embedded.PROVIDER_KEY_VARS, "LETTA_BASE_URL", "LETTA_API_KEY", "CLAUDE_COMPAT_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))
    try:
        yield tmp_path
    finally:
        _embedded.stop_embedded()


async def _ask(prompt: str, session_id: str | None = None) -> ResultMessage:
    options = ClaudeAgentOptions(resume=session_id) if session_id else ClaudeAgentOptions()
    messages = [m async for m in query(prompt=prompt, options=options)]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert not result.is_error, result.result
    assert prompt in (result.result or "")  # the demo model echoes what it is told
    return result


def _status() -> _embedded.EmbeddedStatus:
    status = _embedded.embedded_status()
    assert status is not None
    return status


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


async def test_sessions_on_the_embedded_server_survive_restarts_a_taken_port_and_kill_9(
    embedded_home: Path,
) -> None:
    first = await _ask("remember the number 7")
    session = first.session_id
    model_port = _embedded._read_endpoints()["demo_model_port"]

    # kill -9 of the demo model: the next program starts it again where the server calls it.
    status = _status()
    assert status.model_pid is not None
    os.killpg(status.model_pid, signal.SIGKILL)
    _wait_gone(status.model_pid)
    await _ask("after the model was killed", session)
    assert _status().pid == status.pid  # the server itself was not restarted

    # `claude-compat server stop`. Someone else holds the demo model's port meanwhile: a typed
    # error saying so, nothing half-started (the model is checked before the server starts).
    await anyio.to_thread.run_sync(_embedded.stop_embedded)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the old TIME_WAITs
        squatter.bind(("127.0.0.1", model_port))
        squatter.listen(1)
        with pytest.raises(LettaServerStartError) as info:
            await _ask("while the port is taken", session)
        assert f"port {model_port}" in str(info.value) and "taken by another program" in str(info.value)
        assert _embedded.embedded_status() is None
    # Once the port is free, the start after the stop resumes the session: the demo model listens
    # where it did, because that address is what the server's stored agents call. (One restart
    # proves both: a server start is most of this test's time.)
    await _ask("after a stop, once the port is free again", session)
    assert _embedded._read_endpoints()["demo_model_port"] == model_port
    await _ask("a new session")

    # kill -9 of the server: the next program starts a new one on the same data.
    status = _status()
    os.killpg(status.pid, signal.SIGKILL)
    _wait_gone(status.pid)
    again = await _ask("after the server was killed", session)
    assert again.session_id == session
    assert _status().pid != status.pid
