# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/system_prompt.py
"""system_prompt: the same question with no system prompt, a string, the claude_code preset, and
the preset with an append.

Source: anthropics/claude-agent-sdk-python, examples/system_prompt.py. Unchanged but for the
model script.
"""

import anyio
from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, TextBlock, query


async def no_system_prompt():
    print("=== No System Prompt (Vanilla Claude) ===")
    async for message in query(prompt="What is 2 + 2?"):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
    print()


async def string_system_prompt():
    print("=== String System Prompt ===")
    options = ClaudeAgentOptions(system_prompt="You are a pirate assistant. Respond in pirate speak.")
    async for message in query(prompt="What is 2 + 2?", options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
    print()


async def preset_system_prompt():
    print("=== Preset System Prompt (Default) ===")
    options = ClaudeAgentOptions(system_prompt={"type": "preset", "preset": "claude_code"})
    async for message in query(prompt="What is 2 + 2?", options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
    print()


async def preset_with_append():
    print("=== Preset System Prompt with Append ===")
    options = ClaudeAgentOptions(
        system_prompt={
            "type": "preset",
            "preset": "claude_code",
            "append": "Always end your response with a fun fact.",
        },
    )
    async for message in query(prompt="What is 2 + 2?", options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
    print()


async def main():
    await no_system_prompt()
    await string_system_prompt()
    await preset_system_prompt()
    await preset_with_append()


if __name__ == "__main__":
    anyio.run(main)
