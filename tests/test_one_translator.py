"""A session's history shows its blocks as its live stream did: one translator, one block shape.

The real Claude SDK (0.2.188) reads history from the transcript the CLI wrote, which holds each block
as the CLI yielded it live: a tool call's input with its schema defaults (Edit's ``replace_all``),
a thinking block's signature. Its one difference: the live parser drops ``redacted_thinking`` (that
message comes with empty content) while history shows the block.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from claude_compat import AssistantMessage, ClaudeAgentOptions, ResultMessage, query
from claude_compat._internal.messages import PartialStream, Stamp, assistant_message
from claude_compat._internal.session_history import render_messages
from claude_compat.sessions import get_session_messages
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from claude_compat.types import StreamEvent, TextBlock, ThinkingBlock, ToolUseBlock
from letta_backend.translate import RunTranslator

STAMP = Stamp(session_id="s", model="m")


def wire(block: object) -> dict[str, Any]:
    """A live typed block as the CLI wrote it."""
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ThinkingBlock):
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    assert isinstance(block, ToolUseBlock)
    return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}


def live_content(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Each live AssistantMessage's content (as wire blocks) for Letta events fed to the translator."""
    translator = RunTranslator()
    for event in events:
        translator.feed(event)
    translator.finish()
    said = [assistant_message(STAMP, block, None) for block in translator.blocks]
    return [[wire(b) for b in m.content] for m in said if m is not None]


def history_content(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for m in render_messages(items, "s") if m.type == "assistant" for b in m.message["content"]]


@pytest.mark.anyio
@pytest.mark.letta
async def test_history_shows_thinking_signatures_and_input_defaults_as_the_live_stream(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    target = tmp_path / "f.txt"
    target.write_text("hello world\n")
    edit = {"file_path": str(target), "old_string": "hello", "new_string": "bye"}  # no replace_all
    scripted_model.push(
        Turn(reasoning="I should edit it", text="Editing.", tool_calls=[ToolCall("Edit", edit)]),
        Turn(text="Done."),
    )
    options = ClaudeAgentOptions(cwd=tmp_path, permission_mode="bypassPermissions")
    messages = [m async for m in query(prompt="Edit f.txt", options=options)]

    live = [wire(b) for m in messages if isinstance(m, AssistantMessage) for b in m.content]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    history = get_session_messages(result.session_id)
    shown = [b for m in history if m.type == "assistant" for b in m.message["content"]]

    assert [b["type"] for b in live] == ["thinking", "text", "tool_use", "text"]
    assert live[0]["signature"]  # Letta stored none: both show the same stand-in
    assert live[2]["input"] == {**edit, "replace_all": False}
    assert list(live[2]["input"]) == ["replace_all", *edit]  # the CLI's order: defaults first
    assert shown == live and list(shown[2]["input"]) == list(live[2]["input"])


def test_hidden_reasoning_is_dropped_live_and_shown_in_history_as_the_real_sdk_does() -> None:
    hidden = {"message_type": "hidden_reasoning_message", "id": "message-1", "hidden_reasoning": "b64=="}

    assert live_content([hidden]) == [[]]  # an AssistantMessage with empty content, as the SDK yields
    assert history_content([hidden]) == [{"type": "redacted_thinking", "data": "b64=="}]


@pytest.mark.parametrize(
    "calls",
    [
        {"tool_calls": {"tool_call_id": "c1", "name": "Edit", "arguments": "{}"}},
        {"tool_calls": [], "tool_call": {"tool_call_id": "c1", "name": "Edit", "arguments": "{}"}},
        {"tool_calls": None, "tool_call": {"tool_call_id": "c1", "name": "Edit", "arguments": {}}},
    ],
    ids=["a dict", "an empty list", "none, arguments parsed"],
)
def test_tool_calls_in_any_shape_read_the_same_live_and_in_history(calls: dict[str, Any]) -> None:
    item = {"message_type": "tool_call_message", "id": "message-1", **calls}

    [[live]] = live_content([json.loads(json.dumps(item))])

    assert live == {"type": "tool_use", "id": "c1", "name": "Edit", "input": {"replace_all": False}}
    assert history_content([item]) == [live]


def test_a_signed_thinking_block_keeps_its_signature_on_both_paths() -> None:
    item = {"message_type": "reasoning_message", "id": "message-1", "reasoning": "hm", "signature": "SIG"}

    assert live_content([item]) == [[{"type": "thinking", "thinking": "hm", "signature": "SIG"}]]
    assert history_content([item]) == live_content([item])[0]


def test_partial_messages_send_hidden_reasoning_whole_in_its_block_start() -> None:
    translator, stream = RunTranslator(), PartialStream(STAMP)
    events = [{"message_type": "hidden_reasoning_message", "id": "message-1", "hidden_reasoning": "b64=="}]
    shown = [m for e in events for b in translator.feed(e) for m in stream.feed(b)]
    shown += [m for b in translator.finish() for m in stream.feed(b)]

    raw = [m.event for m in shown if isinstance(m, StreamEvent)]
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "redacted_thinking", "data": "b64=="},
    }
    assert [e["type"] for e in raw] == ["message_start", "content_block_start", "content_block_stop"]
    assert raw[1] == start
