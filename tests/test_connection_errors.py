"""Backend failures reach the user as typed errors that say what to do, within seconds."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ClaudeSDKError, CLIConnectionError, query
from claude_compat.errors import LettaAPIError, LettaAuthenticationError, LettaConnectionError
from letta_backend.server import find_free_port

pytestmark = pytest.mark.anyio


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("LETTA_API_KEY", raising=False)
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))


class _Refusing(BaseHTTPRequestHandler):
    """A server that refuses every request with 401, as Letta does for a bad key."""

    def log_message(self, *args: object) -> None:
        pass

    def _refuse(self) -> None:
        body = json.dumps({"detail": "Invalid API key"}).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_no_server_at_letta_base_url_is_a_connection_error_naming_the_url(
    isolated_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{find_free_port()}"
    monkeypatch.setenv("LETTA_BASE_URL", url)

    with anyio.fail_after(15), pytest.raises(LettaConnectionError) as info:
        async for _ in query(prompt="hi"):
            pass

    assert isinstance(info.value, CLIConnectionError)
    assert url in str(info.value) and "LETTA_BASE_URL" in str(info.value)


async def test_a_refused_api_key_is_an_authentication_error_with_the_status(
    isolated_env: None, monkeypatch: pytest.MonkeyPatch, refusing_server: str
) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", refusing_server)
    monkeypatch.setenv("LETTA_API_KEY", "sk-wrong-key-123")

    with anyio.fail_after(15), pytest.raises(LettaAuthenticationError) as info:
        async for _ in query(prompt="hi"):
            pass

    assert isinstance(info.value, LettaAPIError) and isinstance(info.value, ClaudeSDKError)
    assert info.value.status_code == 401
    assert "LETTA_API_KEY" in str(info.value)
    assert "sk-wrong-key-123" not in str(info.value)


async def test_api_keys_never_appear_in_errors_or_logs(
    isolated_env: None,
    monkeypatch: pytest.MonkeyPatch,
    refusing_server: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    secret = "sk-letta-SECRET-0123456789"
    monkeypatch.setenv("LETTA_BASE_URL", refusing_server)
    monkeypatch.setenv("LETTA_API_KEY", secret)
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    for _ in range(2):  # the refused key, then the error path again with the health cache warm
        with pytest.raises(ClaudeSDKError) as info:
            async for _ in query(prompt="hi"):
                pass
        texts += [str(info.value), repr(info.value), repr(getattr(info.value, "body", ""))]

    from letta_backend.client import resolve_connection

    texts.append(repr(await resolve_connection()))
    out = capsys.readouterr()
    assert caplog.records, "debug logging was captured"
    for text in [*texts, caplog.text, out.out, out.err]:
        assert secret not in text


class _NotLetta(BaseHTTPRequestHandler):
    """Some other web server: an HTML page for every path, with the status its server sets."""

    def log_message(self, *args: object) -> None:
        pass

    def _page(self) -> None:
        status: int = self.server.status  # type: ignore[attr-defined]
        body = b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>"
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page


@pytest.fixture(params=[404, 200])
def other_web_server(request: pytest.FixtureRequest) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotLetta)
    server.status = request.param  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_a_base_url_that_is_not_a_letta_server_says_so_and_how_to_fix_it(
    isolated_env: None, monkeypatch: pytest.MonkeyPatch, other_web_server: str
) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", other_web_server)

    with anyio.fail_after(15), pytest.raises(LettaConnectionError) as info:
        async for _ in query(prompt="hi"):
            pass

    message = str(info.value)
    assert f"{other_web_server} is not a Letta server" in message
    assert "text/html" in message and "Welcome to nginx" in message  # what answered instead
    assert "LETTA_BASE_URL" in message
    assert "unknown" not in message.lower() and "UnknownModelError" not in message


async def test_a_base_url_ending_in_v1_is_told_to_drop_it(
    isolated_env: None, monkeypatch: pytest.MonkeyPatch, other_web_server: str
) -> None:
    with anyio.fail_after(15), pytest.raises(LettaConnectionError) as info:
        async for _ in query(
            prompt="hi", options=ClaudeAgentOptions(letta_base_url=other_web_server + "/v1")
        ):
            pass

    assert f"drop the trailing /v1: the address is {other_web_server}" in str(info.value)
