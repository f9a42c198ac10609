"""AsyncLetta factory: which server to talk to, with what key, timeouts and error mapping.

Order: explicit option → ``LETTA_BASE_URL`` → ``LETTA_API_KEY`` alone (Letta's hosted API) →
the embedded local server claude-compat starts itself.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from typing import Any

import anyio
import certifi
import httpx
import letta_client
from letta_client import AsyncLetta, DefaultAsyncHttpxClient

from claude_compat.errors import (
    ClaudeSDKError,
    LettaAPIError,
    LettaAuthenticationError,
    LettaConnectionError,
)

from .timeouts import DEFAULT_TIMEOUTS, Timeouts, stall_error

#: Letta's hosted API, used when only ``LETTA_API_KEY`` is set.
HOSTED_BASE_URL = "https://api.letta.com"

#: Connect fast (an unreachable server must fail within seconds). A turn's stream has no httpx
#: read limit: the engine bounds its silence itself (timeouts.BOUNDS["idle"]) with anyio.
CONNECT_TIMEOUT = 5.0
STREAM_TIMEOUT = httpx.Timeout(None, connect=CONNECT_TIMEOUT)
CALL_TIMEOUT = httpx.Timeout(DEFAULT_TIMEOUTS.request, connect=CONNECT_TIMEOUT)


@dataclass(frozen=True)
class Connection:
    """Where the backend's Letta server is, how it was chosen, and how long to wait for it."""

    base_url: str
    api_key: str | None
    source: str  # "option", "LETTA_BASE_URL", "LETTA_API_KEY" or "embedded"
    timeouts: Timeouts = field(default=DEFAULT_TIMEOUTS)

    def __repr__(self) -> str:  # never print the key
        return f"Connection(base_url={self.base_url!r}, source={self.source!r})"


async def resolve_connection(
    base_url: str | None = None, api_key: str | None = None, timeouts: Timeouts | None = None
) -> Connection:
    """Choose the Letta server, starting the embedded one when nothing else is configured."""
    key = api_key or os.environ.get("LETTA_API_KEY") or None
    bounds = timeouts if timeouts is not None else Timeouts.resolve()
    if base_url:
        return Connection(base_url.rstrip("/"), key, "option", bounds)
    env_url = os.environ.get("LETTA_BASE_URL")
    if env_url:
        return Connection(env_url.rstrip("/"), key, "LETTA_BASE_URL", bounds)
    if key:
        return Connection(HOSTED_BASE_URL, key, "LETTA_API_KEY", bounds)
    from ._embedded import embedded_connection

    url, token = await anyio.to_thread.run_sync(embedded_connection)
    return Connection(url.rstrip("/"), token, "embedded", bounds)


_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    """One SSL context per process: building one costs tens of milliseconds per client."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context(cafile=certifi.where())
    return _ssl_context


def make_client(conn: Connection) -> AsyncLetta:
    """An AsyncLetta that never retries on its own: the engine decides what a failure means.

    Every request but a turn's stream is bounded by the connection's request timeout.
    """
    timeout = httpx.Timeout(conn.timeouts.request, connect=min(CONNECT_TIMEOUT, conn.timeouts.request))
    http = DefaultAsyncHttpxClient(verify=_shared_ssl_context(), timeout=timeout)
    return AsyncLetta(
        base_url=conn.base_url, api_key=conn.api_key, max_retries=0, timeout=timeout, http_client=http
    )


def unreachable_message(base_url: str, source: str) -> str:
    """The message of a LettaConnectionError: what failed and what to do."""
    if source == "embedded":
        hint = "the embedded server did not answer; run `claude-compat server status`"
    elif source == "LETTA_BASE_URL":
        hint = "start it, fix LETTA_BASE_URL, or unset LETTA_BASE_URL to use the embedded server"
    elif source == "LETTA_API_KEY":
        hint = "check your network, or set LETTA_BASE_URL to a self-hosted server"
    else:
        hint = "start it or pass a reachable letta_base_url"
    return f"no Letta server at {base_url} — {hint}"


def map_error(exc: BaseException, conn: Connection) -> ClaudeSDKError:
    """Turn a letta-client or transport failure into the claude_compat error a user can act on."""
    if isinstance(exc, ClaudeSDKError):
        return exc
    if isinstance(exc, httpx.ConnectTimeout) or isinstance(exc.__cause__, httpx.ConnectTimeout):
        return LettaConnectionError(unreachable_message(conn.base_url, conn.source), base_url=conn.base_url)
    if isinstance(exc, (letta_client.APITimeoutError, httpx.TimeoutException)):
        return stall_error("request", conn.timeouts.request, base_url=conn.base_url)
    if isinstance(exc, (letta_client.APIConnectionError, httpx.TransportError, OSError)):
        return LettaConnectionError(unreachable_message(conn.base_url, conn.source), base_url=conn.base_url)
    if isinstance(exc, letta_client.APIStatusError):
        status = exc.status_code
        detail = _detail(exc.body) or str(exc)
        if status in (401, 403) and conn.source == "embedded":
            return LettaAuthenticationError(
                f"the embedded Letta server at {conn.base_url} refused its token (HTTP {status}): it was "
                "probably restarted meanwhile — run the program again",
                status_code=status,
                body=exc.body,
            )
        if status in (401, 403):
            return LettaAuthenticationError(
                f"the Letta server at {conn.base_url} refused the API key (HTTP {status}): {detail} — "
                "set LETTA_API_KEY (or letta_api_key=) to a valid key",
                status_code=status,
                body=exc.body,
            )
        return LettaAPIError(
            f"Letta server error (HTTP {status}) at {conn.base_url}: {detail}",
            status_code=status,
            body=exc.body,
        )
    return LettaAPIError(f"unexpected failure talking to Letta at {conn.base_url}: {exc!r}")


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value
            if value is not None:
                return str(value)
    return body if isinstance(body, str) else ""


def not_letta_message(conn: Connection, answer: str) -> str:
    """The message when something answers at the URL but it is not a Letta server."""
    if conn.base_url.endswith("/v1"):
        fix = f"drop the trailing /v1: the address is {conn.base_url[: -len('/v1')]}"
    elif conn.source == "LETTA_BASE_URL":
        fix = "set LETTA_BASE_URL to a Letta server's address (e.g. http://localhost:8283), or unset it"
        fix += " to use the embedded server"
    elif conn.source == "option":
        fix = "pass letta_base_url= a Letta server's address (e.g. http://localhost:8283)"
    else:
        fix = "run `claude-compat server status`"
    return (
        f"{conn.base_url} is not a Letta server: GET /v1/health/ answered {answer}, where a Letta "
        f"server answers its version — {fix}"
    )


def _describe(response: httpx.Response) -> str:
    """``HTTP 404 (text/html: '<!DOCTYPE html>…')``: what a response was, for an error message."""
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    text = " ".join(response.text[:60].split())
    shown = f"{kind}: {text!r}" if text else kind
    return f"HTTP {response.status_code} ({shown})"


async def check_health(client: AsyncLetta, conn: Connection) -> None:
    """Fail fast with a typed error when the server is unreachable, not Letta, or refuses the key."""
    try:
        response = await client.get("/v1/health/", cast_to=httpx.Response)
    except letta_client.APIStatusError as exc:
        if exc.status_code in (401, 403) or exc.status_code >= 500:
            raise map_error(exc, conn) from None
        raise LettaConnectionError(
            not_letta_message(conn, _describe(exc.response)), base_url=conn.base_url
        ) from None
    except Exception as exc:
        raise map_error(exc, conn) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not (isinstance(body, dict) and ("version" in body or "status" in body)):
        raise LettaConnectionError(not_letta_message(conn, _describe(response)), base_url=conn.base_url)
    try:
        if conn.api_key is not None:
            await client.get("/v1/models/", cast_to=object)
    except Exception as exc:
        raise map_error(exc, conn) from None
