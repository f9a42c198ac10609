#!/usr/bin/env python3
"""Quick start: a plain question, then a question with options, printing the answers."""

import anyio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    query,
)


async def basic_example():
    """A plain question with the default options."""
    print("=== Basic Example ===")

    async for message in query(prompt="What is 2 + 2?"):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
    print()


async def with_options_example():
    """A system prompt and a turn limit, then what the run cost."""
    print("=== With Options Example ===")

    options = ClaudeAgentOptions(
        system_prompt="You are a helpful assistant that explains things simply.",
        max_turns=1,
    )

    async for message in query(prompt="Explain what Python is in one sentence.", options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage):
            print(f"Turns: {message.num_turns}")
            if message.total_cost_usd and message.total_cost_usd > 0:
                print(f"Cost: ${message.total_cost_usd:.4f}")
    print()


async def main():
    """Run both examples."""
    await basic_example()
    await with_options_example()


if __name__ == "__main__":
    anyio.run(main)
