"""Custom tools: the ``@tool`` decorator and ``create_sdk_mcp_server`` for in-process MCP servers.

Same signatures and results as the Claude SDK: ``@tool`` turns an async handler into an
``SdkMcpTool``; ``create_sdk_mcp_server`` returns ``{"type": "sdk", "name", "instance"}`` whose
instance is a regular ``mcp.server.Server``. On Letta the engine lists and calls these tools in
process (``claude_compat._internal.sdk_mcp``) and offers them to the model as
``mcp__<server>__<tool>``.
"""

from __future__ import annotations

import importlib
import logging
import sys
import types as _pytypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

import mcp.types
from mcp.types import ToolAnnotations as _McpToolAnnotations

from ._internal.sdk_mcp import SdkToolResult, build_tool_server
from .types import McpSdkServerConfig

if sys.version_info >= (3, 11):
    from typing import get_type_hints as _get_type_hints
    from typing import is_typeddict
else:  # 3.10's versions know neither typing_extensions TypedDicts nor NotRequired
    from typing_extensions import get_type_hints as _get_type_hints
    from typing_extensions import is_typeddict

__all__ = ["SdkMcpTool", "ToolAnnotations", "create_sdk_mcp_server", "tool"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# snake_case spelling of each hint -> its wire (camelCase) name
_HINT_WIRE_NAMES = {
    "read_only_hint": "readOnlyHint",
    "destructive_hint": "destructiveHint",
    "idempotent_hint": "idempotentHint",
    "open_world_hint": "openWorldHint",
    "max_result_size_chars": "maxResultSizeChars",
}

_MAX_RESULT_SIZE_META_KEY = "anthropic/maxResultSizeChars"

# jsonschema ships no type information; reached through Any so mypy --strict needs no stubs.
_jsonschema_validators: Any = importlib.import_module("jsonschema.validators")
_jsonschema_exceptions: Any = importlib.import_module("jsonschema.exceptions")


class ToolAnnotations(_McpToolAnnotations, extra="allow"):
    """MCP tool hints in either spelling (``readOnlyHint`` or ``read_only_hint``), plus
    ``maxResultSizeChars``, on every supported mcp version."""

    maxResultSizeChars: int | None = None

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            title: str | None = None,
            readOnlyHint: bool | None = None,
            read_only_hint: bool | None = None,
            destructiveHint: bool | None = None,
            destructive_hint: bool | None = None,
            idempotentHint: bool | None = None,
            idempotent_hint: bool | None = None,
            openWorldHint: bool | None = None,
            open_world_hint: bool | None = None,
            maxResultSizeChars: int | None = None,
            max_result_size_chars: int | None = None,
            **extra: Any,
        ) -> None: ...

    else:

        def __init__(self, **data: Any) -> None:
            # Every mcp version accepts the wire names; given both spellings, the wire name wins.
            for snake, wire in _HINT_WIRE_NAMES.items():
                if snake in data:
                    data.setdefault(wire, data.pop(snake))
            super().__init__(**data)


@dataclass
class SdkMcpTool(Generic[T]):
    """A tool of an in-process MCP server: name, description, input schema and async handler."""

    name: str
    description: str
    input_schema: type[T] | dict[str, Any]
    handler: Callable[[T], Awaitable[dict[str, Any]]]
    annotations: _McpToolAnnotations | None = None


def tool(
    name: str,
    description: str,
    input_schema: type | dict[str, Any],
    annotations: _McpToolAnnotations | None = None,
) -> Callable[[Callable[[Any], Awaitable[dict[str, Any]]]], SdkMcpTool[Any]]:
    """Decorate ``async def handler(args: dict) -> {"content": [...]}`` into an ``SdkMcpTool``.

    ``input_schema`` is a ``{name: python type}`` map, a TypedDict class or a full JSON schema.
    """

    def decorator(handler: Callable[[Any], Awaitable[dict[str, Any]]]) -> SdkMcpTool[Any]:
        return SdkMcpTool(
            name=name,
            description=description,
            input_schema=input_schema,
            handler=handler,
            annotations=annotations,
        )

    return decorator


# ---------------------------------------------------------------------------
# Input schemas
# ---------------------------------------------------------------------------


def _python_type_to_json_schema(py_type: Any) -> dict[str, Any]:
    """JSON schema of a Python annotation, with the Claude SDK's mapping (unknown -> string)."""
    origin = get_origin(py_type)
    if getattr(origin, "_name", None) in ("NotRequired", "Required", "ReadOnly"):
        return _python_type_to_json_schema(get_args(py_type)[0])
    if origin is Annotated:
        base, *metadata = get_args(py_type)
        schema = _python_type_to_json_schema(base)
        description = next((m for m in metadata if isinstance(m, str)), None)
        if description is not None:
            schema["description"] = description
        return schema

    scalar = _SCALAR_SCHEMAS.get(py_type) if isinstance(py_type, type) else None
    if scalar is not None:
        return {"type": scalar}

    if origin is Union or isinstance(py_type, _pytypes.UnionType):
        members = [a for a in get_args(py_type) if a is not type(None)]
        if len(members) == 1:
            return _python_type_to_json_schema(members[0])
        return {"anyOf": [_python_type_to_json_schema(a) for a in members]}
    if origin is list or py_type is list:
        item_args = get_args(py_type)
        if item_args:
            return {"type": "array", "items": _python_type_to_json_schema(item_args[0])}
        return {"type": "array"}
    if origin is dict or py_type is dict:
        return {"type": "object"}
    if is_typeddict(py_type):
        return _typeddict_to_json_schema(py_type)
    return {"type": "string"}


_SCALAR_SCHEMAS: dict[type, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
}


def _typeddict_to_json_schema(td_class: Any) -> dict[str, Any]:
    """Object schema of a TypedDict; ``required`` lists its required keys, sorted."""
    hints = _get_type_hints(td_class, include_extras=True)
    properties = {key: _python_type_to_json_schema(hint) for key, hint in hints.items()}
    required = getattr(td_class, "__required_keys__", set(properties))
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = sorted(required)
    return schema


def _is_full_json_schema(schema: dict[str, Any]) -> bool:
    return isinstance(schema.get("type"), str) and "properties" in schema


def _build_input_schema(tool_def: SdkMcpTool[Any]) -> dict[str, Any]:
    """The JSON schema the model sees for a tool's declared ``input_schema``."""
    declared = tool_def.input_schema
    if isinstance(declared, dict):
        if _is_full_json_schema(declared):
            return declared
        properties = {key: _python_type_to_json_schema(hint) for key, hint in declared.items()}
        return {"type": "object", "properties": properties, "required": list(properties)}
    if is_typeddict(declared):
        return _typeddict_to_json_schema(declared)
    return {"type": "object", "properties": {}}


def _build_meta(tool_def: SdkMcpTool[Any]) -> dict[str, Any] | None:
    """Client hints that travel in the tool's ``_meta`` (clients drop unknown annotations)."""
    max_size = getattr(tool_def.annotations, "maxResultSizeChars", None)
    return None if max_size is None else {_MAX_RESULT_SIZE_META_KEY: max_size}


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


def _error_result(message: str) -> SdkToolResult:
    return SdkToolResult(content=[{"type": "text", "text": message}], is_error=True)


def _convert_content(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A handler's content as MCP text/image blocks; links and text resources become text."""
    content: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type")
        if kind == "text":
            content.append({"type": "text", "text": item["text"]})
        elif kind == "image":
            content.append({"type": "image", "data": item["data"], "mimeType": item["mimeType"]})
        elif kind == "resource_link":
            fields = (item.get("name"), item.get("uri"), item.get("description"))
            text = "\n".join(str(part) for part in fields if part)
            content.append({"type": "text", "text": text or "Resource link"})
        elif kind == "resource":
            resource = item.get("resource") or {}
            if "text" in resource:
                content.append({"type": "text", "text": resource["text"]})
            else:
                logger.warning("binary embedded resource in a tool result cannot become text")
        else:
            logger.warning("unsupported content type %r in a tool result, skipped", kind)
    return content


class _ToolRunner:
    """Runs the tools of one server with the Claude SDK's semantics: never raises for a tool."""

    def __init__(self, tools: list[SdkMcpTool[Any]], schemas: dict[str, dict[str, Any]]) -> None:
        self._tools = {t.name: t for t in tools}
        self._schemas = schemas
        self._validators: dict[str, Any] = {}

    def _validator(self, tool_name: str) -> Any:
        validator = self._validators.get(tool_name)
        if validator is None:
            schema = self._schemas[tool_name]
            cls: Any = _jsonschema_validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[tool_name] = cls(schema)
        return validator

    async def __call__(self, tool_name: str, arguments: dict[str, Any]) -> SdkToolResult:
        tool_def = self._tools.get(tool_name)
        if tool_def is None:
            return _error_result(f"Tool '{tool_name}' not found")
        try:
            error = _jsonschema_exceptions.best_match(self._validator(tool_name).iter_errors(arguments))
            if error is not None:
                return _error_result(f"Input validation error: {error.message}")
            result = await tool_def.handler(arguments)
            return SdkToolResult(
                content=_convert_content(result.get("content", [])),
                is_error=bool(result.get("is_error", False)),
            )
        except Exception as exc:
            return _error_result(str(exc) or type(exc).__name__)


def create_sdk_mcp_server(
    name: str, version: str = "1.0.0", tools: list[SdkMcpTool[Any]] | None = None
) -> McpSdkServerConfig:
    """An in-process MCP server config for ``ClaudeAgentOptions.mcp_servers``."""
    tools = tools or []
    schemas = {t.name: _build_input_schema(t) for t in tools}
    wire_tools = [
        mcp.types.Tool.model_validate(
            {
                "name": t.name,
                "description": t.description,
                "inputSchema": schemas[t.name],
                "annotations": t.annotations,
                "_meta": _build_meta(t),
            }
        )
        for t in tools
    ]
    server = build_tool_server(name, version, wire_tools, _ToolRunner(tools, schemas))
    return McpSdkServerConfig(type="sdk", name=name, instance=server)
