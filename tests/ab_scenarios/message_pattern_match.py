# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/01_basics/02_message_types/docs_samples/02_04_pattern_match_messages.py
"""message_pattern_match: structural pattern matching (match/case with keyword patterns) on the
message and block dataclasses of a query() with Bash allowed that runs pwd; a success result is
matched on subtype, total_cost_usd and num_turns.

Adapted from mtmtnao-handson/claude-agent-sdk-handon,
src/01_basics/02_message_types/docs_samples/02_04_pattern_match_messages.py. Adapted: the prompt
and labels are in English.
"""

import asyncio

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolUseBlock,
    query,
)


async def pattern_match_messages():
    options = ClaudeAgentOptions(allowed_tools=["Bash"])

    async for message in query(prompt="Run the pwd command", options=options):
        match message:
            case AssistantMessage(content=content):
                for block in content:
                    match block:
                        case TextBlock(text=text):
                            print(f"[text] {text}")
                        case ToolUseBlock(name=name, input=input_data):
                            print(f"[tool] {name}: {input_data}")

            case ResultMessage(subtype="success", total_cost_usd=cost, num_turns=turns):
                print(f"[result] cost: ${cost:.4f}, turns: {turns}")

            case ResultMessage(subtype=subtype):
                print(f"[result] subtype: {subtype}")

            case _:
                print(f"[other] {type(message).__name__}")


asyncio.run(pattern_match_messages())
