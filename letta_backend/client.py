"""AsyncLetta factory: which server to talk to, with what key, timeouts and error mapping.

Order: explicit option → ``LETTA_BASE_URL`` → ``LETTA_API_KEY`` alone (Letta's hosted API) →
the embedded local server claude-compat starts itself.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
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

#: Letta's hosted API, used when only ``LETTA_API_KEY`` is set.
HOSTED_BASE_URL = "https://api.letta.com"

#: Connect fast (an unreachable server must fail within seconds); never cut a slow model short.
STREAM_TIMEOUT = httpx.Timeout(None, connect=5.0)
CALL_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


@dataclass(frozen=True)
class Connection:
    """Where the backend's Letta server is and how it was chosen."""

    base_url: str
    api_key: str | None
    source: str  # "option", "LETTA_BASE_URL", "LETTA_API_KEY" or "embedded"

    def __repr__(self) -> str:  # never print the key
        return f"Connection(base_url={self.base_url!r}, source={self.source!r})"


async def resolve_connection(base_url: str | None = None, api_key: str | None = None) -> Connection:
    """Choose the Letta server, starting the embedded one when nothing else is configured."""
    key = api_key or os.environ.get("LETTA_API_KEY") or None
    if base_url:
        return Connection(base_url.rstrip("/"), key, "option")
    env_url = os.environ.get("LETTA_BASE_URL")
    if env_url:
        return Connection(env_url.rstrip("/"), key, "LETTA_BASE_URL")
    if key:
        return Connection(HOSTED_BASE_URL, key, "LETTA_API_KEY")
    from ._embedded import embedded_connection

    url, token = await anyio.to_thread.run_sync(embedded_connection)
    return Connection(url.rstrip("/"), token, "embedded")


_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    """One SSL context per process: building one costs tens of milliseconds per client."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context(cafile=certifi.where())
    return _ssl_context


def make_client(conn: Connection) -> AsyncLetta:
    """An AsyncLetta that never retries on its own: the engine decides what a failure means."""
    http = DefaultAsyncHttpxClient(verify=_shared_ssl_context(), timeout=CALL_TIMEOUT)
    return AsyncLetta(
        base_url=conn.base_url, api_key=conn.api_key, max_retries=0, timeout=CALL_TIMEOUT, http_client=http
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
    if isinstance(exc, (letta_client.APITimeoutError, httpx.TimeoutException)):
        return LettaConnectionError(
            f"the Letta server at {conn.base_url} did not answer in time — it may be overloaded; retry, or "
            "lower CLAUDE_COMPAT_MAX_CONCURRENCY so fewer requests reach it at once",
            base_url=conn.base_url,
        )
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


async def check_health(client: AsyncLetta, conn: Connection) -> None:
    """Fail fast with a typed error when the server is unreachable or refuses the key."""
    try:
        await client.get("/v1/health/", cast_to=object)
        if conn.api_key is not None:
            await client.get("/v1/models/", cast_to=object)
    except Exception as exc:
        raise map_error(exc, conn) from None
