#!/usr/bin/env python3
"""The forms of system_prompt: a plain string, the claude_code preset with an append, a custom dict."""

import anyio

from claude_compat import AssistantMessage, ClaudeAgentOptions, TextBlock, query


async def ask(title, options, prompt):
    """Ask one question with the given options and print the answer."""
    print(f"=== {title} ===")
    async for message in query(prompt=prompt, options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
    print()


async def main():
    # A plain string replaces the default system prompt.
    await ask(
        "String system prompt",
        ClaudeAgentOptions(system_prompt="You are a pirate assistant. Answer like a pirate."),
        "What is the capital of Spain?",
    )

    # The claude_code preset, with extra instructions appended to it.
    await ask(
        "Preset with append",
        ClaudeAgentOptions(
            system_prompt={
                "type": "preset",
                "preset": "claude_code",
                "append": "Always end your answer with the word 'Arr'.",
            }
        ),
        "Which language is this project written in?",
    )

    # The custom form of a system prompt.
    await ask(
        "Custom system prompt",
        ClaudeAgentOptions(system_prompt={"type": "custom", "prompt": "You are a poet. Answer in rhyme."}),
        "Describe the sea.",
    )


if __name__ == "__main__":
    anyio.run(main)
