"""External MCP servers (stdio, sse, http) from ``mcp_servers``, started and closed with the session.

A server that fails to start is reported in the init message's ``mcp_servers`` status, not raised:
the session goes on without its tools, as with the Claude SDK.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any, TextIO

import anyio
from mcp import ClientSession

from .sdk_mcp import SdkToolResult, SdkToolSpec, _spec_from_wire_tool, _wire_dump

#: How long a server may take to start and list its tools.
START_TIMEOUT = 30.0

#: A tool call's bounds, as the Claude CLI sets them (milliseconds): the server's ``timeout``, else
#: ``MCP_TOOL_TIMEOUT``, else TOOL_TIMEOUT_MS in all; and at most IDLE_TIMEOUT_MS (by transport, or
#: ``CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT``) without an answer or a progress notification.
TOOL_TIMEOUT_MS = 100_000_000
MAX_TOOL_TIMEOUT_MS = 2_147_483_647
IDLE_TIMEOUT_MS: dict[str, int] = {"stdio": 1_800_000, "sse": 300_000, "http": 300_000}


@dataclass
class McpConnection:
    """One external MCP server of a session."""

    name: str
    config: dict[str, Any]
    status: str = "pending"  # connected | failed
    error: str | None = None
    tools: list[SdkToolSpec] = field(default_factory=list)
    session: ClientSession | None = None
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    environ: dict[str, str] | None = None  # where MCP_TOOL_TIMEOUT is read (None: os.environ)

    def status_entry(self) -> dict[str, Any]:
        """The init message's ``mcp_servers`` entry."""
        entry: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.error:
            entry["error"] = self.error
        return entry

    async def start(self, cwd: str) -> None:
        """Connect and list tools; any failure marks the server failed (never raises)."""
        try:
            # contexts stay open for the session, so the timeout covers only the requests
            errlog = self.stack.enter_context(open(os.devnull, "w"))  # the server's stderr noise
            streams = await self.stack.enter_async_context(_transport(self.config, cwd, errlog))
            session = await self.stack.enter_async_context(ClientSession(streams[0], streams[1]))
            with anyio.fail_after(START_TIMEOUT):
                await session.initialize()
                listed = await session.list_tools()
            self.tools = [_spec_from_wire_tool(t) for t in listed.tools]
            self.session = session
            self.status = "connected"
        except BaseException as exc:  # a broken server must not break the session
            if isinstance(exc, anyio.get_cancelled_exc_class()) and not isinstance(exc, TimeoutError):
                raise
            self.status, self.error = "failed", _describe(exc)
            with contextlib.suppress(Exception):
                await self.stack.aclose()

    async def call(self, tool: str, arguments: dict[str, Any]) -> SdkToolResult:
        """Call one tool; protocol and transport failures become error results."""
        if self.session is None:
            return SdkToolResult([{"type": "text", "text": f"MCP server {self.name} is not connected"}], True)
        total, idle = tool_timeouts(self.config, self.environ)
        with anyio.move_on_after(total) as whole, anyio.CancelScope() as quiet:
            quiet.deadline = anyio.current_time() + idle

            async def progressed(progress: float, total: float | None, message: str | None) -> None:
                quiet.deadline = anyio.current_time() + idle

            try:
                raw = await self.session.call_tool(tool, arguments, progress_callback=progressed)
            except Exception as exc:
                return SdkToolResult([{"type": "text", "text": _describe(exc)}], True)
        if whole.cancelled_caught or quiet.cancelled_caught:
            waited = total if whole.cancelled_caught else idle
            text = f'MCP server "{self.name}" tool "{tool}" timed out after {int(waited)}s'
            return SdkToolResult([{"type": "text", "text": text}], True)
        content = [_wire_dump(block) for block in raw.content or []]
        return SdkToolResult(content, bool(raw.is_error))

    async def aclose(self) -> None:
        """Stop the server (its process, for stdio)."""
        self.session = None
        with contextlib.suppress(Exception):
            await self.stack.aclose()


def tool_timeouts(config: dict[str, Any], environ: dict[str, str] | None = None) -> tuple[float, float]:
    """(whole call, silence) bounds of one tool call of this server, in seconds."""
    env = os.environ if environ is None else environ

    def millis(value: object) -> int | None:
        try:
            number = int(str(value))
        except ValueError:
            return None
        return number if number >= 1000 else None

    total = millis(config.get("timeout", "")) or millis(env.get("MCP_TOOL_TIMEOUT", "")) or TOOL_TIMEOUT_MS
    kind = str(config.get("type", "stdio"))
    idle = millis(env.get("CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT", "")) or IDLE_TIMEOUT_MS.get(kind, 300_000)
    return min(total, MAX_TOOL_TIMEOUT_MS) / 1000, idle / 1000


def _describe(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)  # an exception group from the transport's task group
    if inner:
        return _describe(inner[0])
    if isinstance(exc, TimeoutError):
        return f"did not start within {START_TIMEOUT:.0f} s"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _transport(
    config: dict[str, Any], cwd: str, errlog: TextIO
) -> contextlib.AbstractAsyncContextManager[Any]:
    kind = config.get("type", "stdio")
    if kind == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(
            command=str(config["command"]),
            args=[str(a) for a in config.get("args", [])],
            env={**os.environ, **config.get("env", {})},
            cwd=cwd,
        )
        return stdio_client(params, errlog=errlog)
    if kind == "sse":
        from mcp.client.sse import sse_client

        return sse_client(str(config["url"]), headers=config.get("headers"))
    if kind == "http":
        from mcp.client.streamable_http import streamable_http_client

        headers = config.get("headers")
        if headers:
            import httpx2

            client = httpx2.AsyncClient(headers=headers)
            return streamable_http_client(str(config["url"]), http_client=client)
        return streamable_http_client(str(config["url"]))
    raise ValueError(f"unsupported MCP server type {kind!r} (stdio, sse, http or sdk)")
