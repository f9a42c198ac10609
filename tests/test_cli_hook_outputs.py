"""Hook outputs as the Claude CLI validates and shows them, through a real local Letta server:
a hookSpecificOutput for another event fails the hook (the call does not run, the model goes on),
and a systemMessage is shown as an informational notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    ClaudeAgentOptions,
    HookMatcher,
    ResultError,
    ResultMessage,
    SystemMessage,
    UserMessage,
    query,
)
from claude_compat.testing import ScriptedModel, ToolCall, Turn

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


def options(tmp_path: Path, output: dict[str, Any]) -> ClaudeAgentOptions:
    async def hook(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        return output

    return ClaudeAgentOptions(
        cwd=tmp_path,
        permission_mode="bypassPermissions",
        hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[hook])]},
    )


async def test_a_pre_tool_use_hook_answering_for_another_event_fails_and_the_call_never_runs(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(
        Turn(tool_calls=[ToolCall("Bash", {"command": "touch made.txt"}, id="toolu_1")]), "done"
    )
    wrong = {"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "x"}}

    messages = [m async for m in query(prompt="go", options=options(tmp_path, wrong))]

    assert not (tmp_path / "made.txt").exists()
    result = next(m for m in messages if isinstance(m, UserMessage)).content[0]
    assert result.is_error  # type: ignore[union-attr]
    assert result.content == (  # type: ignore[union-attr]
        "PreToolUse hook failed with an unexpected error. The tool call was not executed; "
        "other configured hooks may not have completed."
    )
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.result == "done" and not final.is_error


async def test_a_hook_system_message_is_shown_as_an_informational_notice_before_the_result(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(tool_calls=[ToolCall("Bash", {"command": "echo hi"}, id="toolu_1")]), "done")
    said = {"systemMessage": "Careful with Bash", "suppressOutput": True}

    messages = [m async for m in query(prompt="go", options=options(tmp_path, said))]

    kinds = [type(m).__name__ + (f":{m.subtype}" if isinstance(m, SystemMessage) else "") for m in messages]
    notice_at = kinds.index("SystemMessage:informational")
    assert kinds[notice_at + 1] == "UserMessage"  # shown before the tool result
    notice = messages[notice_at]
    assert notice.data["content"] == "PreToolUse:Bash says: Careful with Bash"
    assert notice.data["level"] == "notice" and notice.data["session_id"] == messages[-1].session_id


async def test_a_user_prompt_submit_hook_answering_for_another_event_ends_the_turn_before_any_model_call(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    async def hook(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        return {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "pink"}}

    scripted_model.push("never sent")
    seen: list[Any] = []
    with pytest.raises(ResultError) as info:
        async for m in query(
            prompt="What's my favorite color?",
            options=ClaudeAgentOptions(cwd=tmp_path, hooks={"UserPromptSubmit": [HookMatcher(hooks=[hook])]}),
        ):
            seen.append(m)

    assert not scripted_model.completions
    assert len(seen) == 1  # as the CLI: no init message, the result alone
    result = seen[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "error_during_execution"
    assert result.is_error and result.num_turns == 0 and result.result is None
    assert result.errors is not None and result.errors[0].startswith(
        "Hook returned incorrect event name: expected 'UserPromptSubmit' but got 'SessionStart'. "
        "Full stdout: {"
    )
    assert info.value.subtype == "error_during_execution"
