"""In-process access to SDK MCP servers (``{"type": "sdk", "instance": Server}``) for the engine.

Servers built by ``create_sdk_mcp_server`` are called directly through the tool table they were
built from (no protocol round trip). Any other ``mcp.server.Server`` a user puts in a config is
served over an in-memory MCP connection for the duration of one call, which works on mcp 1.x and
2.x alike. This module is the only place that branches on the installed mcp major version.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import mcp.types
from mcp.server import Server

from ..errors import InvalidOptionError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from mcp import ClientSession

    from ..types import McpSdkServerConfig

__all__ = [
    "MCP_MAJOR",
    "SdkToolResult",
    "SdkToolSpec",
    "ToolRunner",
    "build_tool_server",
    "call_sdk_tool",
    "list_sdk_tools",
]

# mcp 2 replaced the JSONRPCMessage root model with a TypeAdapter; its presence tells the
# supported majors apart.
MCP_MAJOR: int = 2 if hasattr(mcp.types, "jsonrpc_message_adapter") else 1
"""Major version of the installed ``mcp`` package."""

# Only one major is installed at a time, so the other major's API is reached through Any.
_Server: Any = Server


@dataclass(frozen=True)
class SdkToolSpec:
    """A tool of an in-process server as the model sees it (JSON schema, wire-named hints)."""

    name: str
    description: str
    input_schema: dict[str, Any]
    annotations: dict[str, Any] | None = None


@dataclass(frozen=True)
class SdkToolResult:
    """The outcome of one tool call: MCP content-block dicts and whether it is an error."""

    content: list[dict[str, Any]]
    is_error: bool = False


ToolRunner = Callable[[str, dict[str, Any]], Awaitable[SdkToolResult]]
"""Runs a tool by name; never raises for tool failures (they become ``is_error`` results)."""


@dataclass(frozen=True)
class _ToolTable:
    """What a server built here serves: its tool specs and the runner behind them."""

    specs: tuple[SdkToolSpec, ...]
    run: ToolRunner


_tables: weakref.WeakKeyDictionary[Server[Any], _ToolTable] = weakref.WeakKeyDictionary()


def _wire_dump(model: Any) -> dict[str, Any]:
    """A pydantic mcp model as its camelCase wire dict (same on mcp 1.x and 2.x)."""
    dumped: dict[str, Any] = model.model_dump(by_alias=True, mode="json", exclude_none=True)
    return dumped


def _spec_from_wire_tool(tool: Any) -> SdkToolSpec:
    """The spec of an ``mcp.types.Tool``."""
    wire = _wire_dump(tool)
    annotations = wire.get("annotations") or None
    return SdkToolSpec(
        name=wire["name"],
        description=wire.get("description") or "",
        input_schema=wire.get("inputSchema") or {"type": "object", "properties": {}},
        annotations=annotations,
    )


def _to_call_tool_result(result: SdkToolResult) -> mcp.types.CallToolResult:
    return mcp.types.CallToolResult.model_validate({"content": result.content, "isError": result.is_error})


def build_tool_server(
    name: str, version: str, tools: Sequence[mcp.types.Tool], run: ToolRunner
) -> Server[Any]:
    """A lowlevel ``Server`` listing ``tools`` and delegating calls to ``run``, registered here.

    ``run`` owns validation and error mapping, so mcp's own input validation is turned off.
    """
    tool_list = list(tools)

    if MCP_MAJOR >= 2:

        async def on_list_tools(ctx: Any, params: Any) -> mcp.types.ListToolsResult:
            return mcp.types.ListToolsResult(tools=tool_list)

        async def on_call_tool(ctx: Any, params: Any) -> mcp.types.CallToolResult:
            return _to_call_tool_result(await run(params.name, dict(params.arguments or {})))

        server: Server[Any] = _Server(
            name, version=version, on_list_tools=on_list_tools, on_call_tool=on_call_tool
        )
    else:  # pragma: no cover - exercised only with mcp 1.x installed

        async def list_tools() -> list[mcp.types.Tool]:
            return tool_list

        async def call_tool(tool_name: str, arguments: dict[str, Any]) -> Any:
            result = _to_call_tool_result(await run(tool_name, dict(arguments or {})))
            # mcp 1.x answers a cancelled request itself; a late second answer stops the server.
            await anyio.lowlevel.checkpoint_if_cancelled()
            return result

        server = _Server(name, version=version)
        _Server.list_tools(server)(list_tools)
        _Server.call_tool(server, validate_input=False)(call_tool)

    _tables[server] = _ToolTable(tuple(_spec_from_wire_tool(t) for t in tool_list), run)
    return server


def _instance_of(config: McpSdkServerConfig) -> Any:
    """The server object of an SDK server config, or a typed error saying what is wrong."""
    instance = config.get("instance") if isinstance(config, dict) else None
    if instance is None:
        raise InvalidOptionError(
            "an SDK MCP server config needs an 'instance' (an mcp.server.Server); build it with "
            "create_sdk_mcp_server(name, tools=[...])"
        )
    return instance


async def list_sdk_tools(config: McpSdkServerConfig) -> list[SdkToolSpec]:
    """The tools an in-process MCP server offers."""
    instance = _instance_of(config)
    table = _tables.get(instance)
    if table is not None:
        return list(table.specs)
    specs: list[SdkToolSpec] = []
    async with _connected(instance) as session:
        cursor: str | None = None
        seen: set[str] = set()  # a server that repeats a cursor must not page forever
        while True:
            page: Any = await _list_tools_page(session, cursor)
            specs.extend(_spec_from_wire_tool(t) for t in page.tools)
            cursor = getattr(page, "nextCursor", None) or getattr(page, "next_cursor", None)
            if not cursor or cursor in seen:
                return specs
            seen.add(cursor)


async def call_sdk_tool(
    config: McpSdkServerConfig, tool_name: str, arguments: dict[str, Any]
) -> SdkToolResult:
    """Call one tool of an in-process MCP server; failures come back as ``is_error`` results."""
    instance = _instance_of(config)
    table = _tables.get(instance)
    if table is not None:
        return await table.run(tool_name, arguments)
    try:
        async with _connected(instance) as session:
            raw: Any = await session.call_tool(tool_name, arguments)
    except Exception as exc:  # a protocol error of a user-built server is a tool error too
        return SdkToolResult([{"type": "text", "text": str(exc) or type(exc).__name__}], True)
    content = [_wire_dump(block) for block in getattr(raw, "content", None) or []]
    is_error = bool(getattr(raw, "isError", None) or getattr(raw, "is_error", None))
    return SdkToolResult(content, is_error)


async def _list_tools_page(session: ClientSession, cursor: str | None) -> Any:
    """One page of ``tools/list`` (the cursor argument differs between mcp majors)."""
    if cursor is None:
        return await session.list_tools()
    if MCP_MAJOR >= 2:
        params: Any = mcp.types.PaginatedRequestParams(cursor=cursor)
        return await session.list_tools(params=params)
    legacy: Any = session  # pragma: no cover - mcp 1.x only
    return await legacy.list_tools(cursor)  # pragma: no cover


@asynccontextmanager
async def _connected(server: Any) -> AsyncIterator[ClientSession]:
    """An initialized client session to ``server`` over in-memory streams, closed on exit."""
    from mcp import ClientSession
    from mcp.shared.memory import create_client_server_memory_streams

    async with create_client_server_memory_streams() as (client_streams, server_streams):
        server_read, server_write = server_streams
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                lambda: server.run(server_read, server_write, server.create_initialization_options())
            )
            try:
                async with ClientSession(*client_streams) as session:
                    await session.initialize()
                    yield session
            finally:
                tg.cancel_scope.cancel()
