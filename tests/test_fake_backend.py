"""The engine's turn loop on FakeBackend: no Letta server, no network, the real tools, hooks and gate.

Each test scripts the model's runs and checks what a program sees (messages and their fields) and
what the model is sent back (the recorded requests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookMatcher,
    PermissionResultDeny,
    ResultError,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolPermissionContext,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)
from claude_compat._backend import BlockFinished, BlockStarted, RunStopped, ToolAnswers, ToolReturn
from claude_compat._internal import cli_request
from claude_compat.errors import SessionNotFoundError, UnknownModelError
from claude_compat.testing import FakeBackend, FakeRun, FakeToolCall
from claude_compat.testing._fake import DEFAULT_MODEL

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def no_letta(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session that reached for Letta here would fail at once: nothing answers on port 9."""
    monkeypatch.setenv("LETTA_BASE_URL", "http://127.0.0.1:9")


async def run(prompt: str, options: ClaudeAgentOptions, fake: FakeBackend) -> list[Any]:
    with fake.installed():
        return [m async for m in query(prompt=prompt, options=options)]


def label(m: Any) -> str:
    if isinstance(m, SystemMessage):
        return f"Sys:{m.subtype}"
    if isinstance(m, AssistantMessage):
        return "A[" + ",".join(type(b).__name__ for b in m.content) + "]"
    if isinstance(m, UserMessage):
        return "U[" + ",".join(type(b).__name__ for b in m.content if not isinstance(m.content, str)) + "]"
    if isinstance(m, ResultMessage):
        return f"Result:{m.subtype}"
    return type(m).__name__


async def test_a_text_reply_is_one_message_per_block_and_a_success_result(tmp_path: Path) -> None:
    fake = FakeBackend(FakeRun(thinking="2 and 2 make 4", text="4", input_tokens=12, output_tokens=3))

    messages = await run("What is 2 + 2?", ClaudeAgentOptions(cwd=tmp_path, system_prompt="Be brief."), fake)

    assert [label(m) for m in messages] == [
        "Sys:init",
        "Sys:thinking_tokens",
        "A[ThinkingBlock]",
        "A[TextBlock]",
        "Result:success",
    ]
    init, _, thinking, text, result = messages
    assert init.data["model"] == DEFAULT_MODEL and init.data["session_id"] == result.session_id
    assert isinstance(thinking.content[0], ThinkingBlock) and thinking.content[0].thinking == "2 and 2 make 4"
    assert isinstance(text.content[0], TextBlock) and text.content[0].text == "4"
    assert thinking.message_id == text.message_id  # two blocks of one model reply
    assert result.result == "4" and not result.is_error
    assert (
        result.num_turns == 1 and result.stop_reason == "end_turn" and result.terminal_reason == "completed"
    )
    assert result.usage["input_tokens"] == 12 and result.usage["output_tokens"] == 3
    assert result.model_usage[DEFAULT_MODEL]["outputTokens"] == 3
    assert result.total_cost_usd > 0  # a Claude model has a list price
    # what the backend was given: the options' system prompt, the prompt after the environment note
    assert fake.sessions[0].spec.system_prompt.endswith("\n\nBe brief.")
    assert len(fake.requests) == 1 and isinstance(fake.prompts[0], str)
    assert fake.prompts[0].endswith("What is 2 + 2?") and f"directory: {tmp_path}" in fake.prompts[0]
    assert fake.closes == 1


async def test_a_built_in_tool_runs_locally_and_its_result_goes_back_to_the_model(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("buy milk\n")
    fake = FakeBackend(
        FakeRun(text="Reading.", tool_calls=[FakeToolCall("Read", {"file_path": str(notes)}, id="toolu_1")]),
        FakeRun(text="Your note says: buy milk."),
    )

    messages = await run("What do my notes say?", ClaudeAgentOptions(cwd=tmp_path), fake)

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[TextBlock]",
        "A[ToolUseBlock]",
        "U[ToolResultBlock]",
        "A[TextBlock]",
        "Result:success",
    ]
    use = messages[2].content[0]
    assert isinstance(use, ToolUseBlock) and use.id == "toolu_1" and use.name == "Read"
    assert use.input["file_path"] == str(notes)
    shown = messages[3].content[0]
    assert isinstance(shown, ToolResultBlock) and shown.tool_use_id == "toolu_1" and not shown.is_error
    assert "buy milk" in str(shown.content)
    assert messages[3].tool_use_result["file"]["content"] == "buy milk\n"
    result = messages[-1]
    assert result.result == "Your note says: buy milk." and result.num_turns == 2
    # the second request answers the call, with what the Read tool returned
    assert len(fake.requests) == 2 and [type(i) for i in fake.requests[1]] == [ToolAnswers]
    [answer] = fake.tool_answers
    assert isinstance(answer, ToolReturn) and answer.tool_call_id == "toolu_1" and not answer.is_error
    assert "buy milk" in answer.content
    assert fake.journal == {"toolu_1": "done"}
    assert "Read" in [t["name"] for t in fake.client_tools[0]]


async def test_hooks_see_the_prompt_and_the_tool_call_and_their_context_reaches_the_model(
    tmp_path: Path,
) -> None:
    seen: list[tuple[str, Any]] = []

    async def on_prompt(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        seen.append(("prompt", hook_input["prompt"]))
        return {
            "hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": "User: Ada."}
        }

    async def after_tool(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        seen.append(("tool", (hook_input["tool_name"], tool_use_id)))
        return {"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "Checked."}}

    (tmp_path / "a.txt").write_text("alpha")
    fake = FakeBackend(
        FakeRun(tool_calls=[FakeToolCall("Read", {"file_path": str(tmp_path / "a.txt")}, id="toolu_r")]),
        FakeRun(text="done"),
    )
    options = ClaudeAgentOptions(
        cwd=tmp_path,
        hooks={
            "UserPromptSubmit": [HookMatcher(hooks=[on_prompt])],
            "PostToolUse": [HookMatcher(matcher="Read", hooks=[after_tool])],
        },
    )

    messages = await run("read a.txt", options, fake)

    assert seen == [("prompt", "read a.txt"), ("tool", ("Read", "toolu_r"))]
    assert "<system-reminder>\nUser: Ada.\n</system-reminder>" in str(fake.prompts[0])
    [answer] = fake.tool_answers
    assert isinstance(answer, ToolReturn)  # the model reads it after the result, as the CLI's reminder
    told = "<system-reminder>\nPostToolUse:Read hook additional context: Checked.\n</system-reminder>"
    assert answer.content.split("\n\n<system-reminder>\n<total_tokens>")[0].endswith(f"alpha\n\n{told}")
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.result == "done"


async def test_a_denied_tool_call_never_runs_and_the_model_gets_an_error_result(tmp_path: Path) -> None:
    target = tmp_path / "made.txt"
    asked: list[tuple[str, str | None]] = []

    async def deny(name: str, tool_input: dict[str, Any], ctx: ToolPermissionContext) -> Any:
        asked.append((name, ctx.tool_use_id))
        return PermissionResultDeny(message="not today")

    command = f"touch {target}"
    fake = FakeBackend(
        FakeRun(tool_calls=[FakeToolCall("Bash", {"command": command}, id="toolu_b")]),
        FakeRun(text="I was not allowed."),
    )
    with fake.installed():  # before the client connects: its session is opened then
        async with ClaudeSDKClient(ClaudeAgentOptions(cwd=tmp_path, can_use_tool=deny)) as client:
            await client.query("make the file")
            messages = [m async for m in client.receive_response()]

    assert not target.exists()
    assert asked == [("Bash", "toolu_b")]
    results = [m.content[0] for m in messages if isinstance(m, UserMessage)]
    assert len(results) == 1 and results[0].is_error and "not today" in str(results[0].content)
    [answer] = fake.tool_answers
    assert isinstance(answer, ToolReturn) and answer.is_error and "not today" in answer.content
    assert "toolu_b" not in fake.journal  # a refused call never starts
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.result == "I was not allowed."
    assert result.permission_denials == [
        {"tool_name": "Bash", "tool_use_id": "toolu_b", "tool_input": {"command": command}}
    ]


async def test_a_failed_model_call_is_an_api_error_message_and_result_then_result_error(
    tmp_path: Path,
) -> None:
    fake = FakeBackend(FakeRun(error="Overloaded", error_status=529))
    seen: list[Any] = []
    options = ClaudeAgentOptions(cwd=tmp_path, env={"CLAUDE_CODE_MAX_RETRIES": "0"})

    with fake.installed(), pytest.raises(ResultError) as info:
        async for message in query(prompt="hello", options=options):
            seen.append(message)

    assert [label(m) for m in seen] == ["Sys:init", "A[TextBlock]", "Result:success"]
    assistant, result = seen[1], seen[2]
    assert assistant.model == "<synthetic>" and assistant.error is not None
    assert (
        assistant.content[0].text.startswith("API Error: 529") and "Overloaded" in assistant.content[0].text
    )
    assert result.is_error and result.terminal_reason == "api_error" and result.api_error_status == 529
    assert info.value.api_error_status == 529 and info.value.session_id == result.session_id
    assert result.model_usage == {}  # no model answered


async def test_a_run_the_server_stopped_at_its_step_limit_ends_as_max_turns(tmp_path: Path) -> None:
    fake = FakeBackend(FakeRun(text="I had more to say", stop_reason="max_steps"))
    seen: list[Any] = []

    with fake.installed(), pytest.raises(ResultError) as info:
        async for message in query(prompt="go on", options=ClaudeAgentOptions(cwd=tmp_path)):
            seen.append(message)

    assert [label(m) for m in seen] == ["Sys:init", "A[TextBlock]", "Result:error_max_turns"]
    result = seen[-1]
    assert result.is_error and result.terminal_reason == "max_turns" and result.stop_reason == "tool_use"
    assert info.value.session_id == result.session_id


async def test_interrupt_ends_the_model_call_in_flight_and_the_next_turn_goes_on(tmp_path: Path) -> None:
    fake = FakeBackend(FakeRun(hold=True), FakeRun(text="after the interrupt"))
    seen: list[Any] = []

    with fake.installed():
        async with ClaudeSDKClient(ClaudeAgentOptions(cwd=tmp_path)) as client:
            await client.query("take your time")
            async with anyio.create_task_group() as tg:

                async def read() -> None:
                    async for m in client.receive_response():
                        seen.append(m)

                tg.start_soon(read)
                await fake.holding()
                await client.interrupt()
            await client.query("next")
            after = [m async for m in client.receive_response()]

    assert fake.cancels == 1
    result, notice = seen[-1], seen[-2]
    assert isinstance(notice, UserMessage) and notice.content == [TextBlock("[Request interrupted by user]")]
    assert isinstance(result, ResultMessage) and result.terminal_reason == "aborted_streaming"
    assert result.subtype == "error_during_execution" and result.num_turns == 2
    assert isinstance(after[-1], ResultMessage) and after[-1].result == "after the interrupt"
    assert after[-1].session_id == result.session_id
    assert str(fake.prompts[-1]).endswith("next")


async def test_raw_neutral_events_are_played_as_given(tmp_path: Path) -> None:
    from claude_compat._backend import Block

    block = Block("text", "message-raw", text="from raw events")
    fake = FakeBackend([BlockStarted(0, block), BlockFinished(0, block), RunStopped("end_turn")])

    messages = await run("hi", ClaudeAgentOptions(cwd=tmp_path), fake)

    assert messages[-1].result == "from raw events"
    assert messages[1].message_id == "message-raw"


async def test_a_session_resumes_by_id_and_an_unknown_id_is_a_typed_error(tmp_path: Path) -> None:
    fake = FakeBackend(FakeRun(text="one"), FakeRun(text="two"))
    first = await run("hi", ClaudeAgentOptions(cwd=tmp_path), fake)
    again = await run("again", ClaudeAgentOptions(cwd=tmp_path, resume=first[-1].session_id), fake)

    assert again[-1].session_id == first[-1].session_id and again[-1].result == "two"
    assert [s.resumed for s in fake.sessions] == [False, True]
    with pytest.raises(SessionNotFoundError) as info:
        await run("x", ClaudeAgentOptions(cwd=tmp_path, resume="no-such-session"), fake)
    assert info.value.looked_up == "no-such-session"


async def test_running_out_of_scripted_runs_names_the_request(tmp_path: Path) -> None:
    fake = FakeBackend()

    with pytest.raises(RuntimeError, match="no scripted run left for request 1"):
        await run("hi", ClaudeAgentOptions(cwd=tmp_path), fake)
    assert fake.closes == 1  # the session was closed all the same


async def test_set_model_none_names_the_clis_default_model_else_the_model_the_session_went_back_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def cli_default(env: dict[str, str]) -> str:
        return "claude-default-x"  # what the installed CLI's recorded request names

    monkeypatch.setattr(cli_request, "cli_default_model", cli_default)

    class Serving(FakeBackend):
        """A backend that has a handle for the named models only."""

        served: tuple[str, ...] = ()

        async def set_model(
            self, session: Any, model: str | None, handle: str | None, *, cli_model: str | None = None
        ) -> None:
            if model is not None and model not in self.served:
                raise UnknownModelError(model, list(self.served))
            await super().set_model(session, model, handle, cli_model=cli_model)

    for served, named in ((("claude-default-x",), "claude-default-x"), ((), DEFAULT_MODEL)):
        fake = Serving(FakeRun(text="one"), FakeRun(text="two"))
        fake.served = served
        with fake.installed():
            async with ClaudeSDKClient(ClaudeAgentOptions(cwd=tmp_path)) as client:
                await client.query("first")
                _ = [m async for m in client.receive_response()]
                await client.set_model(None)
                await client.query("second")
                second = [m async for m in client.receive_response()]

        assert second[0].content == f"<local-command-stdout>Set model to `{named}`</local-command-stdout>"
        assert fake.models[-1] == named  # the CLI's default where served, else the session's default
