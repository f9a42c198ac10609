"""The Agent tool's ``fork`` subagent against the real CLI: a background subagent that goes on from the
parent's conversation, with the CLI's answer to the call and its instructions in front of the directive.

The real CLI runs against a scripted Anthropic API; claude-compat through the local Letta server on a
scripted model named as the CLI's model (the CLI's Agent text, which offers forks, needs the real SDK).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TaskNotificationMessage,
    TextBlock,
    query,
)
from claude_compat._internal.model_view import from_anthropic, from_openai
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn

if TYPE_CHECKING:
    from conftest import RealCli

pytestmark = [pytest.mark.anyio, pytest.mark.letta]

CLAUDE_MODEL = "claude-sonnet-4-5"
CALL = {"description": "forked", "prompt": "count the files", "subagent_type": "fork"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _scripted(model: ScriptedModel) -> ScriptedModel:
    """The Agent call first; then the fork (whichever request comes first: the CLI runs it beside the
    parent) answers its directive, and the parent answers once it has the launch result."""
    model.push(Turn(tool_calls=[ToolCall("Agent", dict(CALL), id="toolu_fork_1")]))
    model.add_rule(Rule(Turn(text="three files"), last_tool="Fork started"))
    return model.add_rule(Rule(Turn(text="done"), last_tool="Async agent launched"))


def _texts(messages: list[Any]) -> list[tuple[str | None, str]]:
    return [
        (m.parent_tool_use_id, b.text)
        for m in messages
        if type(m).__name__ == "AssistantMessage"
        for b in m.content
        if type(b).__name__ == "TextBlock"
    ]


def _after_call(messages: list[dict[str, Any]]) -> list[str]:
    """The texts a request carries after the Agent call: its result, then any text sent with it."""
    at = next(
        i
        for i, m in enumerate(messages)
        if "toolu_fork_1" in json.dumps(m.get("tool_calls") or m.get("content"))
    )
    out: list[str] = []
    for m in messages[at + 1 :]:
        content = m.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        for p in parts:
            if p.get("type") == "tool_result":
                inner = p.get("content")
                out.append(inner if isinstance(inner, str) else "".join(q.get("text", "") for q in inner))
            elif p.get("type") == "text":
                out.append(str(p.get("text")))
    return out


async def test_a_fork_goes_on_from_the_parents_conversation_as_the_clis_does(
    claude_named: ScriptedModel, real_cli: RealCli, tmp_path: Path
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    model = _scripted(ScriptedModel(CLAUDE_MODEL))
    cli_messages = await real_cli.query("fork it", model, home=home, cwd=str(work), model=CLAUDE_MODEL)
    cli_requests = [r.body for r in model.requests if r.body.get("tools")]

    _scripted(claude_named)
    messages = [m async for m in query(prompt="fork it", options=ClaudeAgentOptions(cwd=str(work)))]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages[-1]

    # the program: the fork's text under the Agent call, its report in the notification, then the answer
    # (the parent answers the launch, then the notification in a turn of its own; the CLI runs the fork
    # beside the parent, so only the order of the fork's text among the parent's may differ)
    assert _texts(messages)[0] == ("toolu_fork_1", "three files")
    assert sorted(_texts(messages), key=str) == sorted(_texts(cli_messages), key=str)
    notes = [m for m in messages if isinstance(m, TaskNotificationMessage)]
    assert [n.summary for n in notes] == ["three files"]
    # the model: the offered Agent tool is the CLI's (which offers forks)
    assert from_openai(claude_named.completions[0].body).tools["Agent"].description == (
        from_anthropic(cli_requests[0]).tools["Agent"].description
    )
    # the fork's first request: the parent's conversation, the call answered, then the directive
    cli_fork = next(b for b in cli_requests if "Your directive" in json.dumps(b["messages"][-1]))
    compat_fork = claude_named.completions[1].body
    assert _after_call(compat_fork["messages"]) == _after_call(cli_fork["messages"])
    assert _after_call(compat_fork["messages"])[-1].endswith("Your directive: count the files")
    first_prompt = next(m for m in compat_fork["messages"] if m.get("role") == "user")
    assert "fork it" in json.dumps(first_prompt)  # the parent's prompt is in the fork's history
    assert not [
        m
        for m in messages
        if isinstance(m, AssistantMessage)
        and any(isinstance(b, TextBlock) and "Error" in b.text for b in m.content)
    ]
