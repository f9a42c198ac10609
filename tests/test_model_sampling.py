"""What the model is asked for and what it reads back: the CLI's sampling, plain tool results.

Through a real local Letta server whose Anthropic provider is a scripted Messages API (so the
request Letta sends reads like the CLI's own) and whose OpenAI provider a scripted chat API: the
session's killable server (``own_letta_server``), which serves these models beside its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage, get_session_messages, query
from claude_compat._internal.model_view import from_anthropic, from_openai
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from letta_backend.server import LocalLettaServer

pytestmark = [pytest.mark.anyio, pytest.mark.letta]

CLAUDE_MODEL = "claude-sonnet-4-5"


class Lane:
    """A Letta server whose models are scripted and named as a Claude model: ``anthropic/`` on a
    scripted Messages API, ``openai-proxy/`` on a scripted OpenAI-compatible API."""

    def __init__(self, anthropic: ScriptedModel, openai: ScriptedModel, letta: LocalLettaServer) -> None:
        self.anthropic = anthropic
        self.openai = openai
        self.letta = letta


@pytest.fixture
def lane(own_letta_server: LocalLettaServer, claude_named_models: Any) -> Lane:
    """The session's killable Letta server, which serves the Claude-named scripted models too."""
    own_letta_server.start()  # running unless a test before left it down
    assert claude_named_models.anthropic.model_id == CLAUDE_MODEL  # the name the tests below use
    return Lane(claude_named_models.anthropic, claude_named_models.openai, own_letta_server)


def _point_at(lane: Lane, handle: str, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", lane.letta.base_url)
    monkeypatch.setenv("LETTA_API_KEY", lane.letta.api_key)
    monkeypatch.setenv("CLAUDE_COMPAT_MODEL", handle)
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(home / "claude-compat-home"))
    monkeypatch.delenv("CLAUDE_CODE_MAX_OUTPUT_TOKENS", raising=False)


@pytest.fixture
def on_anthropic(lane: Lane, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ScriptedModel:
    """claude-compat on ``anthropic/claude-sonnet-4-5``, its scripted model reset."""
    lane.anthropic.reset()
    _point_at(lane, f"anthropic/{CLAUDE_MODEL}", monkeypatch, tmp_path)
    return lane.anthropic


@pytest.fixture
def claude_named(lane: Lane, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ScriptedModel:
    """claude-compat on ``openai-proxy/claude-sonnet-4-5``, its scripted model reset."""
    lane.openai.reset()
    _point_at(lane, f"openai-proxy/{CLAUDE_MODEL}", monkeypatch, tmp_path)
    return lane.openai


async def _run(prompt: str, options: ClaudeAgentOptions) -> ResultMessage:
    messages = [m async for m in query(prompt=prompt, options=options)]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and not result.is_error, messages
    return result


def _sampling(model: ScriptedModel) -> dict[str, Any]:
    return dict(from_anthropic(model.completions[0].body).sampling)


# As the CLI asks claude-sonnet-4-5 (measured: claude-agent-sdk 0.2.188, scripted Messages API).
_CLI_DEFAULT = {
    "max_output_tokens": 32000,
    "thinking": "enabled",
    "thinking_budget": 31999,
    "effort": None,
    "temperature": 1.0,  # the CLI names none: the API's default
}


async def test_an_anthropic_model_is_asked_for_the_clis_output_limit_and_thinking(
    on_anthropic: ScriptedModel, tmp_path: Path
) -> None:
    on_anthropic.push("ok")
    await _run("hi", ClaudeAgentOptions(cwd=str(tmp_path)))
    assert _sampling(on_anthropic) == _CLI_DEFAULT


@pytest.mark.parametrize(
    ("options", "changed"),
    [
        ({"thinking": {"type": "disabled"}}, {"thinking": None, "thinking_budget": None}),
        ({"max_thinking_tokens": 2000}, {"thinking_budget": 2000}),
        (
            {"env": {"CLAUDE_CODE_MAX_OUTPUT_TOKENS": "8000"}},
            {"max_output_tokens": 8000, "thinking_budget": 7999},
        ),
    ],
)
async def test_thinking_options_and_the_output_limit_reach_an_anthropic_model(
    on_anthropic: ScriptedModel, tmp_path: Path, options: dict[str, Any], changed: dict[str, Any]
) -> None:
    # disabled: the CLI sends temperature 1 and no thinking; Letta sends no thinking block at all
    on_anthropic.push("ok")
    await _run("hi", ClaudeAgentOptions(cwd=str(tmp_path), **options))
    assert _sampling(on_anthropic) == {**_CLI_DEFAULT, **changed}


def _anthropic_results(model: ScriptedModel) -> list[dict[str, Any]]:
    return [
        part
        for message in model.completions[-1].body["messages"]
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "tool_result"
    ]


#: What the CLI appends to a tool result for a Claude model that gets its token countdown: the budget
#: less the context of the model's answer (the scripted 10 input and 5 output tokens).
_TOKENS_LEFT = "\n\n<system-reminder>\n<total_tokens>14999985 tokens left</total_tokens>\n</system-reminder>"


async def test_a_tool_result_reaches_an_anthropic_model_as_the_plain_text_the_cli_sends(
    on_anthropic: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("alpha\n")
    on_anthropic.push(
        Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "notes.txt")}, id="toolu_r")]), "done"
    )
    await _run("read it", ClaudeAgentOptions(cwd=str(tmp_path), allowed_tools=["Read"]))
    [result] = _anthropic_results(on_anthropic)
    assert result["tool_use_id"] == "toolu_r"
    assert result["content"] == [{"type": "text", "text": "1\talpha\n2\t" + _TOKENS_LEFT}]


async def test_an_openai_compatible_claude_model_gets_the_clis_output_limit_and_the_default_temperature(
    claude_named: ScriptedModel, tmp_path: Path
) -> None:
    claude_named.push("ok", "ok")
    await _run("hi", ClaudeAgentOptions(cwd=str(tmp_path)))
    await _run("hi", ClaudeAgentOptions(cwd=str(tmp_path), env={"CLAUDE_CODE_MAX_OUTPUT_TOKENS": "8000"}))
    first, second = (from_openai(r.body).sampling for r in claude_named.completions)
    assert first["max_output_tokens"] == 32000 and second["max_output_tokens"] == 8000
    assert [r.body["temperature"] for r in claude_named.completions] == [1.0, 1.0]  # not Letta's 0.7
    assert first["thinking"] is None  # no chat-completions form for a Claude model's thinking


async def test_tool_results_and_errors_reach_an_openai_model_as_plain_text_and_history_keeps_the_error_flag(
    claude_named: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("alpha\n")
    claude_named.push(
        Turn(
            tool_calls=[
                ToolCall("Read", {"file_path": str(tmp_path / "notes.txt")}, id="call_ok"),
                ToolCall("Read", {"file_path": str(tmp_path / "missing.txt")}, id="call_bad"),
            ]
        ),
        "done",
    )
    result = await _run("read them", ClaudeAgentOptions(cwd=str(tmp_path), allowed_tools=["Read"]))
    sent = {
        m["tool_call_id"]: m["content"] for m in claude_named.completions[-1].messages if m["role"] == "tool"
    }
    # as the CLI's tool_result content: the step's reminders follow its last result only
    assert sent["call_ok"] == "1\talpha\n2\t"
    # an error as the CLI sends its text too (chat completions carry no error flag), no Letta wrapper
    assert sent["call_bad"].startswith("File does not exist.") and sent["call_bad"].endswith(_TOKENS_LEFT)
    seen = from_openai(claude_named.completions[-1].body).tool_results
    assert not seen["call_ok"].wrapped and not seen["call_bad"].wrapped
    # the session's history still reads the error as an error
    history = await anyio.to_thread.run_sync(
        lambda: get_session_messages(result.session_id, directory=str(tmp_path))
    )
    results = [
        block
        for m in history
        for block in (m.message.get("content") if isinstance(m.message.get("content"), list) else [])
        if block.get("type") == "tool_result"
    ]
    assert {b["tool_use_id"]: b["is_error"] for b in results} == {"call_ok": False, "call_bad": True}


async def test_a_model_switched_to_is_asked_for_what_the_cli_asks_it_for_under_the_sessions_options(
    lane: Lane, on_anthropic: ScriptedModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CLAUDE_COMPAT_MODEL")  # the switch names the handle itself
    lane.openai.reset()
    on_anthropic.push("first")
    lane.openai.push("second")
    options = ClaudeAgentOptions(
        cwd=str(tmp_path),
        letta_model_handle=f"anthropic/{CLAUDE_MODEL}",
        env={"CLAUDE_CODE_MAX_OUTPUT_TOKENS": "8000"},
    )
    async with ClaudeSDKClient(options) as client:
        await client.query("one")
        [_ async for _ in client.receive_response()]
        await client.set_model(f"openai-proxy/{CLAUDE_MODEL}")
        await client.query("two")
        [_ async for _ in client.receive_response()]
    assert _sampling(on_anthropic)["max_output_tokens"] == 8000
    [switched] = lane.openai.completions
    assert switched.body["max_completion_tokens"] == 8000 and switched.body["temperature"] == 1.0
