#!/usr/bin/env python3
"""Choosing the model with ClaudeAgentOptions(model=...): an alias and a full model id."""

import anyio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    SystemMessage,
    TextBlock,
    query,
)

# Under claude-compat, the environment variable CLAUDE_COMPAT_MODEL (a Letta model handle such as
# openai/gpt-4.1-mini) overrides model=, so this file runs unchanged on any model.


async def ask_with_model(model):
    """Ask one question on the given model and print which model answered."""
    print(f"=== model={model!r} ===")
    options = ClaudeAgentOptions(model=model, max_turns=1)

    async for message in query(prompt="In one sentence, what are you good at?", options=options):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            print(f"Model: {message.data.get('model')}")
        elif isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage) and message.model_usage:
            print(f"Usage by model: {', '.join(message.model_usage)}")
    print()


async def main():
    await ask_with_model("sonnet")
    await ask_with_model("claude-haiku-4-5")


if __name__ == "__main__":
    anyio.run(main)
