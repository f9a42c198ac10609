"""What the model is asked for and what it reads back: the CLI's sampling, plain tool results.

Through a real local Letta server whose Anthropic provider is a scripted Messages API (so the
request Letta sends reads like the CLI's own) and whose OpenAI provider a scripted chat API: the
session's killable server (``own_letta_server``), which serves these models beside its own.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage, get_session_messages, query
from claude_compat._internal.model_view import from_anthropic, from_openai
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from letta_backend.server import LocalLettaServer

if TYPE_CHECKING:
    from conftest import RealCli

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
    assert sent["call_ok"] == "1\talpha\n2\t"  # as the CLI's tool_result content
    # an error as the CLI sends its text too (chat completions carry no error flag), no Letta wrapper;
    # the tokens left as the CLI: once, after the reply's last result
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


def _read_as(body: dict[str, Any], cwd: Path) -> dict[str, Any]:
    """A request with its working directory as a placeholder (the two sides ran in two directories)."""
    read: dict[str, Any] = json.loads(json.dumps(body).replace(str(cwd), "<cwd>"))
    return read


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the real SDK's side: one loop is enough
@pytest.mark.parametrize(
    "naming", [{"model": "haiku"}, {"env": {"ANTHROPIC_MODEL": "haiku"}}], ids=["model", "env"]
)
async def test_a_model_the_program_names_decides_what_the_configured_handle_is_sent(
    claude_named: ScriptedModel, real_cli: RealCli, tmp_path: Path, naming: dict[str, Any]
) -> None:
    """Differential: a program naming ``haiku`` (an alias the CLI resolves to a model of its own),
    by the model option or by ANTHROPIC_MODEL in its env, with only Write, on a handle the user
    configured: the CLI's request for that model and claude-compat's read the same: its output
    limit, its Write text, its reminders in a system-role message after the prompt and after the
    result, no attribution without Bash."""
    from claude_compat._internal.model_view import compare_views

    def script(model: ScriptedModel, cwd: Path) -> ScriptedModel:
        write = ToolCall("Write", {"file_path": str(cwd / "out.txt"), "content": "hi"}, id="toolu_w")
        return model.push(Turn(tool_calls=[write]), "done")

    cli_cwd, ours_cwd, home = tmp_path / "cli", tmp_path / "ours", tmp_path / "home"
    for path in (cli_cwd, ours_cwd):
        path.mkdir()
    prompt, common = "write it", {**naming, "tools": ["Write"], "permission_mode": "acceptEdits"}
    cli = script(ScriptedModel("cli"), cli_cwd)
    await real_cli.query(prompt, cli, home=home, cwd=str(cli_cwd), setting_sources=[], **common)
    await _run(prompt, ClaudeAgentOptions(cwd=str(ours_cwd), **common))  # type: ignore[arg-type]
    cli_sent = [_read_as(r.body, cli_cwd) for r in cli.requests if r.body.get("tools")]
    ours_sent = [_read_as(r.body, ours_cwd) for r in claude_named.completions]
    assert cli_sent[0]["model"] != CLAUDE_MODEL and cli_sent[0]["model"].startswith("claude-")
    claude_view, ours_view = from_anthropic(cli_sent[0]), from_openai(ours_sent[0])
    assert claude_view.system_messages and not claude_view.reminders  # what this model is told, there
    differences = compare_views(
        replace(claude_view, tool_results=from_anthropic(cli_sent[-1]).tool_results),
        replace(ours_view, tool_results=from_openai(ours_sent[-1]).tool_results),
    )
    # what Letta's chat-completions requests cannot carry (see test_ab.LETTA_CANNOT_SEND)
    cannot = {"sampling thinking", "sampling thinking_budget", "sampling effort"}
    assert [str(d) for d in differences if d.key not in cannot] == []
    assert from_anthropic(cli_sent[-1]).tool_results["toolu_w"].system_after  # the CLI's tokens left


async def test_a_model_the_program_switches_to_on_a_configured_handle_is_asked_and_told_as_the_cli(
    claude_named: ScriptedModel, tmp_path: Path
) -> None:
    pytest.importorskip("claude_agent_sdk")
    from claude_compat._internal import cli_request

    haiku = await cli_request.cli_model({}, "haiku")
    cli = await cli_request.cli_reminders({}, haiku)
    assert cli is not None and cli.model_line is not None and cli.in_system_message
    claude_named.push("one", "two")
    async with ClaudeSDKClient(ClaudeAgentOptions(cwd=str(tmp_path))) as client:
        await client.query("one")
        [_ async for _ in client.receive_response()]
        await client.set_model("haiku")
        await client.query("two")
        [_ async for _ in client.receive_response()]
    first, second = claude_named.completions
    assert first.body["model"] == second.body["model"] == CLAUDE_MODEL  # the configured handle's
    assert [from_openai(r.body).sampling["max_output_tokens"] for r in (first, second)] == [32000, 128000]
    told = [m["content"] for m in second.messages if m["role"] == "system"][-1]
    assert told.startswith(cli.model_line)  # the switched-to model, told as the CLI tells it that one
