#!/usr/bin/env python3
"""Partial messages: print the answer's text deltas as they stream, then the complete message."""

from collections import Counter

import anyio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    StreamEvent,
    TextBlock,
    query,
)


async def main():
    options = ClaudeAgentOptions(include_partial_messages=True, max_turns=1)
    event_types = Counter()
    text_deltas = 0

    prompt = "Write a haiku about the sea."
    print(f"Prompt: {prompt}\n")

    async for message in query(prompt=prompt, options=options):
        if isinstance(message, StreamEvent):
            event = message.event
            event_types[event["type"]] += 1
            if event["type"] == "content_block_delta" and event["delta"].get("type") == "text_delta":
                # Each delta is a piece of the text, printed as it arrives.
                print(event["delta"]["text"], end="", flush=True)
                text_deltas += 1
        elif isinstance(message, AssistantMessage):
            # The complete message follows its stream events.
            text = "".join(b.text for b in message.content if isinstance(b, TextBlock))
            if text:
                print(f"\n\nComplete message: {text!r}")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.subtype}")

    print(f"Text deltas: {text_deltas}")
    print(f"Stream events: {', '.join(sorted(event_types))}")


if __name__ == "__main__":
    anyio.run(main)
