"""can_use_tool hears the permission suggestions the Claude CLI offers, through a real local Letta
server: for a Bash command that creates a file in cwd, the exact command as a rule, the directory,
and acceptEdits, in the CLI's order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    ClaudeAgentOptions,
    PermissionResultDeny,
    ResultMessage,
    UserMessage,
    query,
)
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from claude_compat.types import PermissionRuleValue

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


async def test_can_use_tool_gets_the_cli_suggestions_for_a_bash_command_that_creates_a_file(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    asked: list[Any] = []

    async def ask(tool: str, tool_input: dict[str, Any], context: Any) -> Any:
        asked.append(context)
        return PermissionResultDeny(message="no")

    scripted_model.push(Turn(tool_calls=[ToolCall("Bash", {"command": "touch made.txt"}, id="t1")]), "ok")

    messages = [
        m async for m in query(prompt="make it", options=ClaudeAgentOptions(cwd=tmp_path, can_use_tool=ask))
    ]

    (context,) = asked
    assert [(s.type, s.destination) for s in context.suggestions] == [
        ("addRules", "localSettings"),
        ("addDirectories", "session"),
        ("setMode", "session"),
    ]
    assert context.suggestions[0].rules == [PermissionRuleValue("Bash", "touch made.txt")]
    assert context.suggestions[1].directories == [str(tmp_path)]
    assert context.suggestions[2].mode == "acceptEdits"
    assert not (tmp_path / "made.txt").exists()
    denied = next(m for m in messages if isinstance(m, UserMessage)).content[0]
    assert denied.is_error  # type: ignore[union-attr]
    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "ok"
