"""How a subagent's messages appear in the parent's stream (no server needed)."""

from __future__ import annotations

from claude_compat import AssistantMessage, TextBlock, ToolUseBlock
from claude_compat._internal import subagents


def _said(*blocks: object) -> AssistantMessage:
    return AssistantMessage(content=list(blocks), model="m", session_id="child-session")  # type: ignore[arg-type]


def test_a_forwarded_message_names_the_spawning_call_and_the_parent_session() -> None:
    call = _said(ToolUseBlock(id="t1", name="Read", input={}))

    shown = subagents.forwarded(call, "toolu_agent", text=False, session_id="parent-session")

    assert isinstance(shown, AssistantMessage)
    assert (shown.parent_tool_use_id, shown.session_id) == ("toolu_agent", "parent-session")


def test_subagent_text_is_forwarded_only_when_asked() -> None:
    text = _said(TextBlock(text="hi"))

    assert subagents.forwarded(text, "toolu_agent", text=False, session_id="parent-session") is None
    shown = subagents.forwarded(text, "toolu_agent", text=True, session_id="parent-session")
    assert isinstance(shown, AssistantMessage) and shown.session_id == "parent-session"
