"""Nothing hangs: every wait for Letta has a bound; one that runs out says what stalled and what to set."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from claude_compat import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    CLIConnectionError,
    LettaTimeoutError,
    ResultMessage,
    query,
)
from claude_compat.errors import InvalidOptionError
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from letta_backend.server import LocalLettaServer
from letta_backend.timeouts import BOUNDS, DEFAULT_TIMEOUTS, Timeouts

pytestmark = pytest.mark.anyio


# --- settings ---------------------------------------------------------------------------------


def test_the_defaults_are_generous_and_the_turn_has_no_limit_unless_set() -> None:
    assert DEFAULT_TIMEOUTS == Timeouts(request=60.0, idle=300.0, turn=None)
    assert {b.default for b in BOUNDS.values()} == {60.0, 300.0, None}


@pytest.mark.parametrize("wait", list(BOUNDS))
def test_an_option_wins_over_the_environment_which_wins_over_the_default(wait: str) -> None:
    bound = BOUNDS[wait]  # type: ignore[index]

    from_env = Timeouts.resolve(environ={bound.env: "12.5"})
    from_option = Timeouts.resolve(**{wait: 3.0}, environ={bound.env: "12.5"})

    assert getattr(from_env, wait) == 12.5
    assert getattr(from_option, wait) == 3.0
    assert getattr(Timeouts.resolve(environ={}), wait) == bound.default


@pytest.mark.parametrize("raw", ["soon", "0", "-5", "nan"])
@pytest.mark.parametrize("wait", list(BOUNDS))
def test_a_bad_environment_value_is_an_error_naming_the_variable(wait: str, raw: str) -> None:
    env = BOUNDS[wait].env  # type: ignore[index]

    with pytest.raises(InvalidOptionError) as info:
        Timeouts.resolve(environ={env: raw})

    assert env in str(info.value) and "positive number of seconds" in str(info.value)


@pytest.mark.parametrize("value", [0, -1.0, True, "60"])
async def test_a_bad_timeout_option_fails_before_anything_connects(
    value: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))

    with anyio.fail_after(20), pytest.raises(InvalidOptionError) as info:
        async for _ in query(prompt="hi", options=ClaudeAgentOptions(letta_idle_timeout=value)):
            pass

    assert "letta_idle_timeout" in str(info.value)


# --- a server that accepts and never answers --------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts every connection and never sends a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


async def test_a_server_that_never_answers_fails_within_the_request_timeout_naming_it(
    silent_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", silent_server)
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))
    monkeypatch.setenv("CLAUDE_COMPAT_REQUEST_TIMEOUT", "1")

    with anyio.fail_after(30), pytest.raises(LettaTimeoutError) as info:
        async for _ in query(prompt="hi"):
            pass

    error = info.value
    assert isinstance(error, CLIConnectionError)  # what a Claude SDK program already catches
    assert error.wait == "request" and error.seconds == 1.0 and error.base_url == silent_server
    assert silent_server in str(error) and "CLAUDE_COMPAT_REQUEST_TIMEOUT" in str(error)


# --- a Letta server whose turn stream stalls --------------------------------------------------


@dataclass
class StallingProxy:
    """Forwards everything to a real Letta server except a turn's stream, which it stalls.

    ``mode`` "silent": the turn request is accepted and nothing comes back; "one event": the
    response headers and one SSE ping arrive, then nothing.
    """

    upstream: str
    mode: str
    stop: threading.Event = field(default_factory=threading.Event)
    stalled: list[str] = field(default_factory=list)  # paths of the stalled requests

    def handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "POST" and self.path.split("?")[0].endswith("/messages"):
                    proxy.stalled.append(self.path)
                    if proxy.mode == "one event":
                        self.send_response(200)
                        self.send_header("content-type", "text/event-stream")
                        self.end_headers()
                        ping = {"message_type": "ping", "id": "ping-1", "date": "2026-01-01T00:00:00Z"}
                        self.wfile.write(f"data: {json.dumps(ping)}\n\n".encode())
                        self.wfile.flush()
                    proxy.stop.wait(120)
                    self.close_connection = True
                    return
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                reply = httpx.request(
                    self.command, proxy.upstream + self.path, headers=headers, content=body, timeout=60
                )
                self.send_response(reply.status_code)
                for key, value in reply.headers.items():
                    if key.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward

        return Handler


@pytest.fixture(params=["silent", "one event"])
def stalling_letta(
    request: pytest.FixtureRequest, scripted_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StallingProxy]:
    """LETTA_BASE_URL pointed at a proxy that stalls every turn's stream of the real server."""
    import os

    proxy = StallingProxy(os.environ["LETTA_BASE_URL"], str(request.param))
    server = ThreadingHTTPServer(("127.0.0.1", 0), proxy.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("LETTA_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield proxy
    finally:
        proxy.stop.set()
        server.shutdown()
        server.server_close()


@pytest.mark.letta
async def test_a_stalled_turn_stream_ends_at_the_idle_timeout_naming_server_conversation_and_setting(
    stalling_letta: StallingProxy,
) -> None:
    import os

    base_url = os.environ["LETTA_BASE_URL"]
    seen: list[Any] = []

    with anyio.fail_after(60), pytest.raises(LettaTimeoutError) as info:
        async for message in query(prompt="hello?", options=ClaudeAgentOptions(letta_idle_timeout=1.5)):
            seen.append(message)

    error = info.value
    assert stalling_letta.stalled, "the turn request reached the stalling proxy"
    assert error.wait == "idle" and error.seconds == 1.5 and error.setting == "letta_idle_timeout"
    assert error.conversation_id and error.conversation_id.startswith("conv-")
    for part in (
        base_url,
        error.conversation_id,
        "idle timeout",
        "letta_idle_timeout",
        "CLAUDE_COMPAT_IDLE_TIMEOUT",
    ):
        assert part in str(error)
    assert seen and seen[0].subtype == "init"  # the session started; only the stream stalled


@pytest.mark.letta
async def test_the_idle_timeout_can_be_set_from_the_environment(
    stalling_letta: StallingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_COMPAT_IDLE_TIMEOUT", "1")

    with anyio.fail_after(60), pytest.raises(LettaTimeoutError) as info:
        async for _ in query(prompt="hello?"):
            pass

    assert info.value.wait == "idle" and info.value.seconds == 1.0


# --- the turn limit, on the real server ----------------------------------------------------------


@pytest.mark.letta
async def test_a_turn_over_its_limit_ends_with_a_timeout_and_the_session_goes_on_in_order(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push(Turn(text="much too late", delay=8.0), "on time")

    async with ClaudeSDKClient(ClaudeAgentOptions(letta_turn_timeout=4.0)) as client:
        await client.query("PROMPT-ONE")
        with anyio.fail_after(60), pytest.raises(LettaTimeoutError) as info:
            async for _ in client.receive_response():
                pass
        await client.query("PROMPT-TWO")
        with anyio.fail_after(60):
            after = [m async for m in client.receive_response()]

    assert info.value.wait == "turn" and info.value.setting == "letta_turn_timeout"
    assert "turn timeout" in str(info.value) and "CLAUDE_COMPAT_TURN_TIMEOUT" in str(info.value)
    result = after[-1]
    assert isinstance(result, ResultMessage) and result.result == "on time"
    # the late reply was stored before the second prompt: the model saw the history in order
    history = str(scripted_model.completions[-1].messages[1:])
    assert history.index("PROMPT-ONE") < history.index("much too late") < history.index("PROMPT-TWO")


@pytest.mark.letta
async def test_a_permission_callback_that_never_answers_ends_the_turn_at_its_limit_and_the_tool_never_runs(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    target = tmp_path / "never.txt"
    write = ToolCall("Write", {"file_path": str(target), "content": "x"}, id="w1")
    scripted_model.push(Turn(tool_calls=[write]), "after the stuck tool")

    async def never_answers(name: str, tool_input: dict[str, Any], context: Any) -> Any:
        await anyio.sleep(3600)

    options = ClaudeAgentOptions(cwd=tmp_path, can_use_tool=never_answers, letta_turn_timeout=5.0)
    async with ClaudeSDKClient(options) as client:
        await client.query("write it")
        with anyio.fail_after(60), pytest.raises(LettaTimeoutError) as info:
            async for _ in client.receive_response():
                pass
        await client.query("go on")
        with anyio.fail_after(60):
            after = [m async for m in client.receive_response()]

    assert info.value.wait == "turn" and "Write" in str(info.value)
    assert not target.exists()
    assert isinstance(after[-1], ResultMessage) and after[-1].result == "after the stuck tool"


@pytest.mark.letta
@pytest.mark.slow
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the server's keepalives, not the event loop
async def test_a_model_slower_than_the_idle_timeout_still_answers_because_keepalive_pings_count(
    scripted_model: ScriptedModel,
    own_letta_server: LocalLettaServer,
    own_letta_keepalive_s: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Letta sends a keepalive ping every so often while the model works (every 20 s by default; the
    # session's killable server, this one, every second): silence means a stall, not thought
    await anyio.to_thread.run_sync(own_letta_server.start)  # running unless a test before left it down
    monkeypatch.setenv("LETTA_BASE_URL", own_letta_server.base_url)
    monkeypatch.setenv("LETTA_API_KEY", own_letta_server.api_key)
    idle = 5 * own_letta_keepalive_s
    scripted_model.push(Turn(text="thought long and hard", delay=1.5 * idle))

    with anyio.fail_after(90):
        messages = [
            m async for m in query(prompt="think", options=ClaudeAgentOptions(letta_idle_timeout=idle))
        ]

    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "thought long and hard"


# --- external MCP tools ------------------------------------------------------------------------

SHOUT_SERVER = Path(__file__).parent / "mcp_servers" / "shout_server.py"


@pytest.mark.parametrize(
    ("config", "env", "bounds"),
    [
        ({"type": "stdio"}, {}, (100_000.0, 1800.0)),  # the CLI's defaults
        ({"type": "http"}, {}, (100_000.0, 300.0)),
        ({"type": "stdio"}, {"MCP_TOOL_TIMEOUT": "20000"}, (20.0, 1800.0)),
        ({"type": "stdio", "timeout": 5000}, {"MCP_TOOL_TIMEOUT": "20000"}, (5.0, 1800.0)),
        ({"type": "sse", "timeout": 500}, {"CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT": "60000"}, (100_000.0, 60.0)),
    ],
)
def test_an_mcp_tool_call_is_bounded_as_the_claude_cli_bounds_it(
    config: dict[str, Any], env: dict[str, str], bounds: tuple[float, float]
) -> None:
    from claude_compat._internal.mcp_bridge import tool_timeouts

    assert tool_timeouts(config, env) == bounds


@pytest.mark.letta
async def test_an_mcp_tool_that_never_answers_becomes_an_error_result_and_the_turn_goes_on(
    scripted_model: ScriptedModel,
) -> None:
    import sys

    scripted_model.push(Turn(tool_calls=[ToolCall("mcp__slow__hang", {}, id="h1")]), "moved on")
    server = {"type": "stdio", "command": sys.executable, "args": [str(SHOUT_SERVER)]}
    options = ClaudeAgentOptions(
        mcp_servers={"slow": server},  # type: ignore[dict-item]
        allowed_tools=["mcp__slow"],
        env={"MCP_TOOL_TIMEOUT": "1500"},
    )

    with anyio.fail_after(60):
        messages = [m async for m in query(prompt="call the slow tool", options=options)]

    from claude_compat import UserMessage

    results = [b for m in messages if isinstance(m, UserMessage) for b in m.content]
    assert results[0].is_error  # type: ignore[union-attr]
    # the CLI's MCP error: the text, then (on the tool's first error) its note on the deferred schema
    content = results[0].content  # type: ignore[union-attr]
    assert isinstance(content, str)
    assert content.split("\n\n")[0] == 'MCP server "slow" tool "hang" timed out after 1s'
    assert 'ToolSearch with query "select:mcp__slow__hang"' in content
    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "moved on"


async def test_an_sdk_mcp_server_that_repeats_its_page_cursor_is_listed_once_not_forever() -> None:
    import mcp.types
    from mcp.server import Server

    from claude_compat._internal.sdk_mcp import list_sdk_tools

    tool = mcp.types.Tool(name="echo", description="echo", input_schema={"type": "object", "properties": {}})

    async def on_list_tools(ctx: Any, params: Any) -> mcp.types.ListToolsResult:
        return mcp.types.ListToolsResult(tools=[tool], next_cursor="page-2")  # always "there is more"

    server: Any = Server("looping", on_list_tools=on_list_tools)

    with anyio.fail_after(20):
        specs = await list_sdk_tools({"type": "sdk", "name": "looping", "instance": server})

    assert [s.name for s in specs] == ["echo", "echo"]  # the first page, and the one it pointed to


async def test_waiting_for_another_process_forking_the_same_agent_is_bounded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import fcntl

    from claude_compat.errors import SessionBusyError
    from letta_backend.forking import agent_lock

    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))
    lock = tmp_path / "locks" / "agent-x.lock"
    lock.parent.mkdir(parents=True)
    with lock.open("a+b") as holder:  # another process's lock: flock locks are per open file
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        with anyio.fail_after(20), pytest.raises(SessionBusyError) as info:
            async with agent_lock("agent-x", wait=0.5):
                pass

    assert "agent-x" in str(info.value) and str(lock) in str(info.value)


def test_waiting_for_another_process_building_the_server_is_bounded(tmp_path: Path) -> None:
    import fcntl

    from claude_compat.errors import LettaServerStartError
    from letta_backend.server import _file_lock

    lock = tmp_path / "venv.lock"
    with lock.open("a+b") as holder:  # another process's lock: flock locks are per open file
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        with pytest.raises(LettaServerStartError) as info, _file_lock(lock, timeout=0.3):
            pass
        with _file_lock(tmp_path / "free.lock", timeout=0.3):  # a free lock is taken at once
            pass

    assert str(lock) in str(info.value) and "building or starting the Letta server" in str(info.value)
