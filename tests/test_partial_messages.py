"""include_partial_messages: Anthropic-style StreamEvents from Letta token streaming, text delivered once."""

from __future__ import annotations

from typing import Any

import pytest

from claude_compat import AssistantMessage, ClaudeAgentOptions, ResultMessage, StreamEvent, query
from claude_compat.testing import ScriptedModel, Turn

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


def label(m: Any) -> str:
    if isinstance(m, StreamEvent):
        return "SE:" + m.event["type"]
    if isinstance(m, AssistantMessage):
        return "A:" + type(m.content[0]).__name__
    return type(m).__name__


async def test_partial_messages_stream_each_block_then_its_complete_message(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push(Turn(reasoning="thinking it over", text="The answer is forty-two."))

    messages = [
        m async for m in query(prompt="why?", options=ClaudeAgentOptions(include_partial_messages=True))
    ]

    labels = [label(m) for m in messages]
    assert labels[:3] == ["SystemMessage", "SystemMessage", "SE:message_start"]
    assert messages[1].subtype == "status" and messages[1].data["status"] == "requesting"  # as the CLI
    assert labels[-3:] == ["SE:message_delta", "SE:message_stop", "ResultMessage"]
    # each complete AssistantMessage comes right before its block's content_block_stop
    for i, name in enumerate(labels):
        if name.startswith("A:"):
            assert labels[i + 1] == "SE:content_block_stop"
    events = [m.event for m in messages if isinstance(m, StreamEvent)]
    text = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
    thinking = "".join(e["delta"].get("thinking", "") for e in events if e["type"] == "content_block_delta")
    assert text == "The answer is forty-two." and thinking == "thinking it over"
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["thinking", "text"]
    assistants = [m for m in messages if isinstance(m, AssistantMessage)]
    assert [type(m.content[0]).__name__ for m in assistants] == ["ThinkingBlock", "TextBlock"]
    assert all(m.usage is not None for m in assistants)  # as the CLI: the message_start usage
    # as the Anthropic stream: a signature_delta is the thinking block's last delta
    thinking_deltas = [e["delta"] for e in events if e["type"] == "content_block_delta" and e["index"] == 0]
    assert thinking_deltas[-1] == {"type": "signature_delta", "signature": assistants[0].content[0].signature}
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.result == "The answer is forty-two."
    assert all(m.session_id == result.session_id for m in messages if isinstance(m, StreamEvent))
