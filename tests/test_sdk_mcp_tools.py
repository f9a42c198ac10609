"""@tool functions in an in-process MCP server are listed and called without a subprocess.

The real claude_agent_sdk is the oracle: the same tools built with its ``create_sdk_mcp_server``
must list the same JSON schemas and give the same results. Its server is also a plain
``mcp.server.Server`` that claude-compat did not build, so it exercises the in-memory MCP path
used for servers users build themselves.
"""

from __future__ import annotations

import base64
import sys
from typing import Annotated, Any

import claude_agent_sdk as real
import pytest

import claude_compat as ours
from claude_compat._internal.sdk_mcp import SdkToolResult, SdkToolSpec, call_sdk_tool, list_sdk_tools
from claude_compat.errors import InvalidOptionError

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:
    from typing_extensions import NotRequired, TypedDict

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


async def add(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": f"Sum: {args['a'] + args['b']}"}]}


async def divide(args: dict[str, Any]) -> dict[str, Any]:
    if args["b"] == 0:
        return {"content": [{"type": "text", "text": "Error: division by zero"}], "is_error": True}
    return {"content": [{"type": "text", "text": f"Quotient: {args['a'] / args['b']}"}]}


async def plot(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": [
            {"type": "text", "text": f"plot of {args['expression']}"},
            {"type": "image", "data": PNG, "mimeType": "image/png"},
        ]
    }


async def sqrt(args: dict[str, Any]) -> dict[str, Any]:
    if args["x"] < 0:
        raise ValueError(f"cannot take the square root of {args['x']}")
    return {"content": [{"type": "text", "text": str(args["x"] ** 0.5)}]}


async def cite(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": [
            {"type": "resource_link", "name": "spec", "uri": "file:///spec.md"},
            {"type": "resource", "resource": {"uri": "mem://a", "text": "inline text"}},
            {"type": "resource", "resource": {"uri": "mem://b", "blob": "AAAA"}},
            {"type": "audio", "data": "AAAA", "mimeType": "audio/wav"},
        ]
    }


def calculator(sdk: Any) -> Any:
    """The same calculator server built with either SDK's ``@tool``/``create_sdk_mcp_server``."""
    tools = [
        sdk.tool(
            "add",
            "Add two numbers",
            {"a": float, "b": float},
            annotations=sdk.ToolAnnotations(read_only_hint=True, maxResultSizeChars=1000),
        )(add),
        sdk.tool("divide", "Divide a by b", {"a": float, "b": float})(divide),
        sdk.tool("plot", "Plot an expression", {"expression": str})(plot),
        sdk.tool("sqrt", "Square root", {"x": float})(sqrt),
        sdk.tool("cite", "Cite sources", {})(cite),
    ]
    return sdk.create_sdk_mcp_server("calc", version="2.0.0", tools=tools)


@pytest.fixture
def our_calc() -> Any:
    return calculator(ours)


@pytest.fixture
def real_calc() -> Any:
    return calculator(real)


def text_of(result: SdkToolResult) -> str:
    return "".join(block["text"] for block in result.content if block["type"] == "text")


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


def test_tool_decorator_returns_the_tool_definition_with_its_handler() -> None:
    definition = ours.tool("add", "Add two numbers", {"a": float, "b": float})(add)
    assert isinstance(definition, ours.SdkMcpTool)
    assert (definition.name, definition.description, definition.handler) == (
        "add",
        "Add two numbers",
        add,
    )
    assert definition.input_schema == {"a": float, "b": float}
    assert definition.annotations is None


def test_create_sdk_mcp_server_returns_an_sdk_config_with_an_mcp_server(our_calc: Any) -> None:
    from mcp.server import Server

    assert set(our_calc) == {"type", "name", "instance"}
    assert (our_calc["type"], our_calc["name"]) == ("sdk", "calc")
    assert isinstance(our_calc["instance"], Server)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"readOnlyHint": True, "destructiveHint": False},
        {"read_only_hint": True, "open_world_hint": True, "title": "Adder"},
        {"read_only_hint": False, "readOnlyHint": True},
        {"maxResultSizeChars": 500, "idempotent_hint": True},
        {"max_result_size_chars": 500, "custom": "kept"},
    ],
    ids=["camel", "snake", "both-spellings", "max-size", "extra"],
)
def test_tool_annotations_accept_both_spellings_like_the_claude_sdk(kwargs: dict[str, Any]) -> None:
    dump = {"by_alias": True, "exclude_none": True}
    ours_dumped = ours.ToolAnnotations(**kwargs).model_dump(**dump)  # type: ignore[arg-type]
    assert ours_dumped == real.ToolAnnotations(**kwargs).model_dump(**dump)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------


async def test_calculator_tools_are_listed_with_schemas_and_hints(our_calc: Any) -> None:
    specs = await list_sdk_tools(our_calc)
    assert [s.name for s in specs] == ["add", "divide", "plot", "sqrt", "cite"]
    assert specs[0] == SdkToolSpec(
        name="add",
        description="Add two numbers",
        input_schema={
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
        annotations={"readOnlyHint": True},
    )
    assert specs[1].annotations is None


async def test_listing_matches_the_claude_sdk_server(our_calc: Any, real_calc: Any) -> None:
    assert await list_sdk_tools(our_calc) == await list_sdk_tools(real_calc)


class Point(TypedDict):
    x: float
    y: Annotated[float, "vertical position"]


class Shape(TypedDict):
    name: Annotated[str, "what to call it"]
    points: list[Point]
    closed: NotRequired[bool]
    color: str | None
    weight: int | float
    tags: list[str]
    meta: dict[str, Any]
    anything: list  # type: ignore[type-arg]
    blob: bytes


class Empty(TypedDict, total=False):
    note: str


class NotATypedDict:
    x: int


SCHEMAS: dict[str, Any] = {
    "simple-map": {"text": str, "count": int, "ratio": float, "flag": bool},
    "map-with-containers": {
        "items": list[int],
        "pairs": dict[str, int],
        "bare_list": list,
        "bare_dict": dict,
        "maybe": str | None,
        "either": int | str,
        "described": Annotated[int, "how many"],
        "nested": Point,
        "unknown": bytes,
    },
    "typeddict": Shape,
    "typeddict-all-optional": Empty,
    "json-schema": {
        "type": "object",
        "properties": {"q": {"type": "string", "minLength": 1}},
        "required": ["q"],
        "additionalProperties": False,
    },
    "type-without-properties-is-a-map": {"type": "object"},
    "empty-map": {},
    "plain-class": NotATypedDict,
}


@pytest.mark.parametrize("form", SCHEMAS)
async def test_input_schema_is_built_as_the_claude_sdk_builds_it(form: str) -> None:
    declared = SCHEMAS[form]
    our_server = ours.create_sdk_mcp_server("s", tools=[ours.tool("t", "d", declared)(add)])
    real_server = real.create_sdk_mcp_server("s", tools=[real.tool("t", "d", declared)(add)])
    (our_spec,) = await list_sdk_tools(our_server)
    (real_spec,) = await list_sdk_tools(real_server)
    assert our_spec.input_schema == real_spec.input_schema


# ---------------------------------------------------------------------------
# Calling
# ---------------------------------------------------------------------------


async def test_a_call_returns_the_handlers_text(our_calc: Any) -> None:
    result = await call_sdk_tool(our_calc, "add", {"a": 2, "b": 3.5})
    assert result == SdkToolResult(content=[{"type": "text", "text": "Sum: 5.5"}], is_error=False)


async def test_an_image_result_keeps_its_data_and_mime_type(our_calc: Any) -> None:
    result = await call_sdk_tool(our_calc, "plot", {"expression": "x**2"})
    assert result.content == [
        {"type": "text", "text": "plot of x**2"},
        {"type": "image", "data": PNG, "mimeType": "image/png"},
    ]
    assert not result.is_error


async def test_a_handler_reporting_is_error_gives_an_error_result(our_calc: Any) -> None:
    result = await call_sdk_tool(our_calc, "divide", {"a": 1, "b": 0})
    assert result.is_error
    assert text_of(result) == "Error: division by zero"


async def test_a_raising_handler_becomes_an_error_result_with_its_message(our_calc: Any) -> None:
    result = await call_sdk_tool(our_calc, "sqrt", {"x": -4})
    assert result == SdkToolResult(
        content=[{"type": "text", "text": "cannot take the square root of -4"}], is_error=True
    )


async def test_invalid_arguments_never_reach_the_handler(our_calc: Any) -> None:
    result = await call_sdk_tool(our_calc, "add", {"a": "two"})
    assert result.is_error
    assert text_of(result).startswith("Input validation error: ")


async def test_an_unknown_tool_is_an_error_result(our_calc: Any) -> None:
    result = await call_sdk_tool(our_calc, "pow", {})
    assert result == SdkToolResult([{"type": "text", "text": "Tool 'pow' not found"}], True)


async def test_links_and_text_resources_become_text_and_the_rest_is_dropped(
    our_calc: Any,
) -> None:
    result = await call_sdk_tool(our_calc, "cite", {})
    assert result.content == [
        {"type": "text", "text": "spec\nfile:///spec.md"},
        {"type": "text", "text": "inline text"},
    ]


CALLS = [
    ("add", {"a": 2, "b": 3.5}),
    ("add", {"a": "two", "b": 1}),
    ("add", {"a": 1}),
    ("divide", {"a": 1, "b": 0}),
    ("divide", {"a": 9, "b": 3}),
    ("plot", {"expression": "sin(x)"}),
    ("sqrt", {"x": -1}),
    ("cite", {}),
    ("nope", {"a": 1}),
]


@pytest.mark.parametrize(("tool_name", "arguments"), CALLS, ids=[f"{n}-{a}" for n, a in CALLS])
async def test_results_match_the_claude_sdk_server(
    our_calc: Any, real_calc: Any, tool_name: str, arguments: dict[str, Any]
) -> None:
    ours_result = await call_sdk_tool(our_calc, tool_name, arguments)
    assert ours_result == await call_sdk_tool(real_calc, tool_name, arguments)


async def test_a_config_without_a_server_instance_is_a_clear_error() -> None:
    config: Any = {"type": "sdk", "name": "calc"}
    with pytest.raises(InvalidOptionError, match="create_sdk_mcp_server"):
        await list_sdk_tools(config)
    with pytest.raises(InvalidOptionError, match="create_sdk_mcp_server"):
        await call_sdk_tool(config, "add", {})


async def test_the_init_message_lists_mcp_tools_by_full_name_across_servers_as_the_cli(tmp_path: Any) -> None:
    from claude_compat._internal.toolhost import ClaudeToolHost

    def named(name: str) -> Any:
        return ours.tool(name, f"tool {name}", {"x": str})(add)

    zz = ours.create_sdk_mcp_server("zz", tools=[named("zeta"), named("Alpha"), named("mid")])
    aa = ours.create_sdk_mcp_server("aa", tools=[named("two"), named("one")])
    host = ClaudeToolHost(
        ours.ClaudeAgentOptions(tools=[], mcp_servers={"zz": zz, "aa": aa}), cwd=str(tmp_path)
    )
    await host.open("sess-1")
    try:
        names = host.tool_names()
    finally:
        await host.aclose()

    assert names == ["mcp__aa__one", "mcp__aa__two", "mcp__zz__Alpha", "mcp__zz__mid", "mcp__zz__zeta"]
