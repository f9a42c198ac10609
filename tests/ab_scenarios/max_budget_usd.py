# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/max_budget_usd.py
"""max_budget_usd: no budget, a reasonable budget, then a tight one that a tool-using run exceeds;
the program prints cost and subtype and checks for error_max_budget_usd.

Source: anthropics/claude-agent-sdk-python, examples/max_budget_usd.py. Adapted: the program
writes the README.md it asks about.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, ResultMessage, TextBlock, query


async def without_budget():
    print("=== Without Budget Limit ===")
    async for message in query(prompt="What is 2 + 2?"):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage):
            if message.total_cost_usd:
                print(f"Total cost: ${message.total_cost_usd:.4f}")
            print(f"Status: {message.subtype}")
    print()


async def with_reasonable_budget():
    print("=== With Reasonable Budget ($0.10) ===")
    options = ClaudeAgentOptions(max_budget_usd=0.10)
    async for message in query(prompt="What is 2 + 2?", options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage):
            if message.total_cost_usd:
                print(f"Total cost: ${message.total_cost_usd:.4f}")
            print(f"Status: {message.subtype}")
    print()


async def with_tight_budget():
    print("=== With Tight Budget ($0.0001) ===")
    options = ClaudeAgentOptions(max_budget_usd=0.0001)
    async for message in query(prompt="Read the README.md file and summarize it", options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage):
            if message.total_cost_usd:
                print(f"Total cost: ${message.total_cost_usd:.4f}")
            print(f"Status: {message.subtype}")
            if message.subtype == "error_max_budget_usd":
                print("⚠️  Budget limit exceeded!")
    print()


async def main():
    Path("README.md").write_text("# Demo\n\nA small demo project.\n")
    await without_budget()
    await with_reasonable_budget()
    await with_tight_budget()


if __name__ == "__main__":
    anyio.run(main)
