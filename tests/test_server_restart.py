"""The Letta server going away mid-stream: a typed error at once, and the session resumes after a restart."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat.errors import LettaConnectionError
from claude_compat.testing import ScriptedModelServer, Turn
from letta_backend.server import LocalLettaServer, _server_is_healthy

pytestmark = [pytest.mark.anyio, pytest.mark.letta, pytest.mark.slow]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # one backend: this test restarts a whole server


async def test_a_server_restart_mid_stream_is_a_typed_error_and_the_session_resumes(
    scripted_model_server: ScriptedModelServer,
    own_letta_server: LocalLettaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The session's killable server (the fault tests restart it too): a start of its own would
    # cost a whole server start more than the one restart this test is about.
    model = scripted_model_server.model
    model.reset()
    server = own_letta_server
    await anyio.to_thread.run_sync(server.start)  # running unless a test before left it down
    try:
        monkeypatch.setenv("LETTA_BASE_URL", server.base_url)
        monkeypatch.setenv("LETTA_API_KEY", server.api_key)
        monkeypatch.setenv("CLAUDE_COMPAT_MODEL", f"openai-proxy/{model.model_id}")
        monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path / "home"))
        model.push("first answer", Turn(text="never delivered", delay=20.0))
        first = [m async for m in query(prompt="hello")]
        session_id = first[-1].session_id
        seen: list[Any] = []

        async def crash_soon() -> None:
            await anyio.sleep(2.0)
            assert server.pid is not None
            os.killpg(server.pid, signal.SIGKILL)  # a crash: no graceful shutdown of open streams

        with anyio.fail_after(15):  # well before the model's 20 s reply
            async with anyio.create_task_group() as tg:
                tg.start_soon(crash_soon)
                with pytest.raises(LettaConnectionError) as info:
                    async for m in query(prompt="slow one", options=ClaudeAgentOptions(resume=session_id)):
                        seen.append(m)
        assert server.base_url in str(info.value)

        model.reset()
        model.push("after restart")
        await anyio.to_thread.run_sync(server.stop)  # reap what the crash left
        await anyio.to_thread.run_sync(server.start)
        monkeypatch.setenv("LETTA_BASE_URL", server.base_url)  # the same port unless it was taken
        again = [m async for m in query(prompt="still there?", options=ClaudeAgentOptions(resume=session_id))]
        assert isinstance(again[-1], ResultMessage) and again[-1].session_id == session_id
        assert again[-1].result == "after restart"
        assert "first answer" in str(model.completions[-1].messages)
    finally:
        # left running for the session (a failure above may have left it down: start it again)
        if server.pid is None or not _server_is_healthy(server.base_url):
            await anyio.to_thread.run_sync(server._kill)
            await anyio.to_thread.run_sync(server.start)
