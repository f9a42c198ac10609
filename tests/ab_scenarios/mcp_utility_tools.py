# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/04_advanced/04_custom_tools.py
"""mcp_utility_tools: an SDK MCP server with four tools (a dict-schema greet, two argument-less
tools, and a JSON-Schema calculate); the model greets and calculates.

Source: mtmtnao-handson/claude-agent-sdk-handon, src/04_advanced/04_custom_tools.py. Adapted:
messages are printed by type and tool results by their text instead of whole (they hold ids and
timings); the scripted model does not call the clock and uuid tools, whose answers change on
every run.
"""

import asyncio
import uuid
from datetime import datetime

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    create_sdk_mcp_server,
    query,
    tool,
)


@tool("greet", "ユーザーに挨拶を返します", {"name": str})
async def greet(args: dict) -> dict:
    name = args["name"]
    return {"content": [{"type": "text", "text": f"こんにちは、{name}さん！"}]}  # noqa: RUF001


@tool("get_datetime", "現在の日時を取得します", {})
async def get_datetime(args: dict) -> dict:
    now = datetime.now()
    return {"content": [{"type": "text", "text": now.strftime("%Y-%m-%d %H:%M:%S")}]}


@tool("generate_uuid", "UUID を生成します", {})
async def generate_uuid(args: dict) -> dict:
    return {"content": [{"type": "text", "text": str(uuid.uuid4())}]}


@tool(
    "calculate",
    "数式を計算します",
    {
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "計算する数式"}},
        "required": ["expression"],
    },
)
async def calculate(args: dict) -> dict:
    try:
        allowed = set("0123456789+-*/.() ")
        expr = args["expression"]
        if not all(c in allowed for c in expr):
            raise ValueError("許可されていない文字が含まれています")
        result = eval(expr, {"__builtins__": {}}, {})
        return {"content": [{"type": "text", "text": f"結果: {result}"}]}
    except Exception as e:
        return {"content": [{"type": "text", "text": f"エラー: {e}"}]}


utility_server = create_sdk_mcp_server(
    name="utilities", version="1.0.0", tools=[greet, get_datetime, generate_uuid, calculate]
)


async def main():
    options = ClaudeAgentOptions(
        mcp_servers={"utils": utility_server},
        allowed_tools=[
            "mcp__utils__greet",
            "mcp__utils__get_datetime",
            "mcp__utils__generate_uuid",
            "mcp__utils__calculate",
        ],
    )

    async for message in query(
        prompt="""
        以下を実行してください:
        1. 「田中」さんに挨拶
        2. 123 + 456 を計算
        """,
        options=options,
    ):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print("Claude:", block.text)
                elif isinstance(block, ToolUseBlock):
                    print("Tool:", block.name, block.input)
        elif isinstance(message, UserMessage) and isinstance(message.content, list):
            for block in message.content:
                if isinstance(block, ToolResultBlock):
                    print("Result:", block.content)
        elif isinstance(message, ResultMessage):
            print("Done:", message.subtype)


if __name__ == "__main__":
    asyncio.run(main())
