#!/usr/bin/env python3
"""max_budget_usd: no limit, a budget that is not reached, and a tight budget that may stop the run.

Usage: max_budget.py [WORKDIR]  (default: the current directory; the tight run reads its README.md)
"""

import sys

import anyio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultError,
    ResultMessage,
    TextBlock,
    query,
)

WORKDIR = sys.argv[1] if len(sys.argv) > 1 else "."


async def run(prompt, options):
    """Print the answer, the cost and the status of one query."""
    async for message in query(prompt=prompt, options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage):
            print(f"Total cost: ${message.total_cost_usd:.4f}")
            print(f"Status: {message.subtype}")

            # Check if budget was exceeded.
            if message.subtype == "error_max_budget_usd":
                print("Budget limit exceeded!")
                print("Note: The cost may exceed the budget by up to one API call's worth")


async def without_budget():
    """No budget limit."""
    print("=== Without Budget Limit ===")
    await run("What is 2 + 2?", ClaudeAgentOptions(cwd=WORKDIR))
    print()


async def with_reasonable_budget():
    """A budget that a simple question will not exceed."""
    print("=== With Reasonable Budget ($0.10) ===")
    options = ClaudeAgentOptions(
        cwd=WORKDIR,
        max_budget_usd=0.10,  # 10 cents - plenty for a simple query
    )
    await run("What is 2 + 2?", options)
    print()


async def with_tight_budget():
    """A budget so small that the first model call may use it up."""
    print("=== With Tight Budget ($0.0001) ===")
    options = ClaudeAgentOptions(
        cwd=WORKDIR,
        max_budget_usd=0.0001,  # Very small budget - will be exceeded quickly
    )
    try:
        await run("Read the README.md file and summarize it", options)
    except ResultError as error:
        # An error result is yielded first, then raised.
        print(f"The run stopped: {error.subtype}")
    print()


async def main():
    await without_budget()
    await with_reasonable_budget()
    await with_tight_budget()


if __name__ == "__main__":
    anyio.run(main)
