# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/hooks.py
"""hooks_userpromptsubmit_wrong_event: a UserPromptSubmit hook answers with a hookSpecificOutput
naming SessionStart; the CLI rejects it and ends the turn with an error result before any model call.

Adapted from anthropics/claude-agent-sdk-python examples/hooks.py (example_userpromptsubmit:
its add_custom_instructions hook, registered for UserPromptSubmit, names "SessionStart").
"""

from typing import Any

import anyio
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookMatcher,
    ProcessError,
    ResultMessage,
    TextBlock,
)


async def add_custom_instructions(input_data: dict[str, Any], tool_use_id: str | None, context: Any) -> Any:
    return {
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": "My favorite color is hot pink",
        }
    }


async def main() -> None:
    options = ClaudeAgentOptions(
        hooks={"UserPromptSubmit": [HookMatcher(matcher=None, hooks=[add_custom_instructions])]}
    )
    try:
        async with ClaudeSDKClient(options=options) as client:
            await client.query("What's my favorite color?")
            async for msg in client.receive_response():
                if isinstance(msg, AssistantMessage):
                    for block in msg.content:
                        if isinstance(block, TextBlock):
                            print(f"Claude: {block.text}")
                elif isinstance(msg, ResultMessage):
                    print("Result ended:", msg.subtype, msg.is_error, msg.errors)
    except ProcessError as exc:
        print("failed:", type(exc).__name__)


anyio.run(main)
