"""Session hooks through a real local Letta: prompt context, Stop keeping the model going, tool hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_compat import ClaudeAgentOptions, HookMatcher, ResultMessage, query
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


async def run(prompt: str, options: ClaudeAgentOptions) -> list[Any]:
    return [m async for m in query(prompt=prompt, options=options)]


async def test_user_prompt_submit_context_reaches_the_model(scripted_model: ScriptedModel) -> None:
    async def add_context(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        assert hook_input["prompt"] == "hello"
        return {
            "hookSpecificOutput": {
                "hookEventName": "UserPromptSubmit",
                "additionalContext": "The user is Ada.",
            }
        }

    await run("hello", ClaudeAgentOptions(hooks={"UserPromptSubmit": [HookMatcher(hooks=[add_context])]}))

    assert "The user is Ada." in str(scripted_model.completions[-1].messages[-1]["content"])


async def test_a_user_prompt_submit_block_stops_before_the_model(scripted_model: ScriptedModel) -> None:
    async def block(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        return {"decision": "block", "reason": "no secrets please"}

    before = len(scripted_model.completions)
    messages = await run(
        "my password is x", ClaudeAgentOptions(hooks={"UserPromptSubmit": [HookMatcher(hooks=[block])]})
    )

    assert len(scripted_model.completions) == before
    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "no secrets please"


async def test_a_stop_hook_block_makes_the_model_go_on(scripted_model: ScriptedModel) -> None:
    calls: list[bool] = []

    async def once_more(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        calls.append(hook_input["stop_hook_active"])
        if hook_input["stop_hook_active"]:
            return {}
        return {"decision": "block", "reason": "Also say goodbye."}

    scripted_model.push("hello", "goodbye")
    messages = await run("greet", ClaudeAgentOptions(hooks={"Stop": [HookMatcher(hooks=[once_more])]}))

    assert calls == [False, True]
    assert messages[-1].result == "goodbye" and messages[-1].num_turns == 2
    assert "Also say goodbye." in str(scripted_model.completions[-1].messages)


async def test_post_tool_use_sees_the_tool_response(scripted_model: ScriptedModel, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    async def record(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        seen.append(dict(hook_input))
        return {}

    (tmp_path / "f.txt").write_text("content\n")
    scripted_model.push(Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "f.txt")}, id="c1")]))
    scripted_model.add_rule(Rule(last_tool=".", reply=Turn(text="ok"), times=1))

    await run(
        "read",
        ClaudeAgentOptions(
            cwd=tmp_path, hooks={"PostToolUse": [HookMatcher(matcher="Read", hooks=[record])]}
        ),
    )

    assert len(seen) == 1 and seen[0]["tool_name"] == "Read" and seen[0]["tool_use_id"] == "c1"
    assert seen[0]["hook_event_name"] == "PostToolUse" and seen[0]["tool_response"]


async def test_include_hook_events_emits_hook_event_messages(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    from claude_compat import HookEventMessage, UserMessage

    async def allow(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        return {}

    (tmp_path / "f.txt").write_text("x\n")
    scripted_model.push(Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "f.txt")}, id="c1")]))
    scripted_model.add_rule(Rule(last_tool=".", reply=Turn(text="ok"), times=1))

    messages = await run(
        "read",
        ClaudeAgentOptions(
            cwd=tmp_path,
            include_hook_events=True,
            hooks={"PreToolUse": [HookMatcher(matcher="Read", hooks=[allow])]},
        ),
    )

    events = [m for m in messages if isinstance(m, HookEventMessage)]
    assert [(e.subtype, e.hook_event_name) for e in events] == [
        ("hook_started", "PreToolUse"),
        ("hook_response", "PreToolUse"),
    ]
    first_result = next(i for i, m in enumerate(messages) if isinstance(m, UserMessage))
    assert all(messages.index(e) < first_result for e in events)


async def test_a_tool_hooks_context_reaches_the_model_but_not_the_programs_tool_result(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    from claude_compat import ToolResultBlock, UserMessage

    async def context(hook_input: Any, tool_use_id: str | None, ctx: Any) -> dict[str, Any]:
        event = hook_input["hook_event_name"]
        return {"hookSpecificOutput": {"hookEventName": event, "additionalContext": f"{event} says hi"}}

    (tmp_path / "f.txt").write_text("content\n")
    scripted_model.push(Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "f.txt")}, id="c1")]))
    scripted_model.add_rule(Rule(last_tool=".", reply=Turn(text="ok"), times=1))
    hooks = {event: [HookMatcher(hooks=[context])] for event in ("PreToolUse", "PostToolUse")}

    messages = await run("read", ClaudeAgentOptions(cwd=tmp_path, hooks=hooks))  # type: ignore[dict-item]

    results = [
        block
        for m in messages
        if isinstance(m, UserMessage) and isinstance(m.content, list)
        for block in m.content
        if isinstance(block, ToolResultBlock)
    ]
    assert len(results) == 1 and "content" in str(results[0].content)
    assert "says hi" not in str(results[0].content)
    to_model = str(scripted_model.completions[-1].messages)
    assert "PreToolUse says hi" in to_model and "PostToolUse says hi" in to_model


async def test_a_post_tool_use_system_message_follows_the_tool_result(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    from claude_compat import SystemMessage, UserMessage

    async def say(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        return {"systemMessage": "checked by hook"}

    (tmp_path / "f.txt").write_text("x\n")
    scripted_model.push(Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "f.txt")}, id="c1")]))
    scripted_model.add_rule(Rule(last_tool=".", reply=Turn(text="ok"), times=1))

    messages = await run(
        "read", ClaudeAgentOptions(cwd=tmp_path, hooks={"PostToolUse": [HookMatcher(hooks=[say])]})
    )

    kinds = [type(m).__name__ for m in messages]
    notice = kinds.index("SystemMessage", 1)
    assert isinstance(messages[notice - 1], UserMessage)  # the tool result comes first
    shown = messages[notice]
    assert isinstance(shown, SystemMessage) and shown.subtype == "informational"
    assert shown.data["content"] == "PostToolUse:Read says: checked by hook"
    assert messages[-1].result == "ok"


async def test_a_post_tool_use_continue_false_ends_the_turn_on_the_result(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    from claude_compat import UserMessage

    async def halt(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        return {"continue_": False, "stopReason": "halted", "systemMessage": "not shown"}

    (tmp_path / "f.txt").write_text("x\n")
    scripted_model.push(Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "f.txt")}, id="c1")]))
    before = len(scripted_model.completions)

    messages = await run(
        "read", ClaudeAgentOptions(cwd=tmp_path, hooks={"PostToolUse": [HookMatcher(hooks=[halt])]})
    )

    assert len(scripted_model.completions) == before + 1  # no model call after the tool result
    assert isinstance(messages[-2], UserMessage)
    result = messages[-1]
    assert isinstance(result, ResultMessage) and not result.is_error
    assert (result.terminal_reason, result.stop_reason, result.result) == ("hook_stopped", "tool_use", "")
    assert result.num_turns == 2  # as the CLI: the call, and the turn the hook did not let start
