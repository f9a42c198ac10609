"""Sessions: the V2 send()/stream() API, resume by any id, continue and fork."""

from __future__ import annotations

from typing import Any

import pytest

from claude_compat import (
    ClaudeAgentOptions,
    ResultMessage,
    SystemMessage,
    query,
    unstable_v2_create_session,
    unstable_v2_createSession,
    unstable_v2_prompt,
    unstable_v2_resumeSession,
)
from claude_compat.errors import InvalidOptionError, SessionNotFoundError, SessionNotReadyError
from claude_compat.testing import ScriptedModel
from letta_backend.registry import default_registry

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


async def run(prompt: str, options: ClaudeAgentOptions | None = None) -> list[Any]:
    return [m async for m in query(prompt=prompt, options=options)]


def history(model: ScriptedModel) -> str:
    return str(model.completions[-1].messages)


async def test_v2_session_send_then_stream_turn_by_turn(scripted_model: ScriptedModel) -> None:
    scripted_model.push("hi there", "still here")

    async with unstable_v2_createSession(system_prompt="You are a helpful assistant.") as session:
        with pytest.raises(SessionNotReadyError):
            _ = session.session_id
        await session.send("Hello!")
        first = [m async for m in session.stream()]
        await session.send({"type": "user", "message": {"role": "user", "content": "Again"}})
        second = [m async for m in session.stream()]

    assert isinstance(first[0], SystemMessage) and isinstance(first[-1], ResultMessage)
    assert first[-1].result == "hi there" and second[-1].result == "still here"
    assert session.session_id == session.sessionId == first[-1].session_id == second[-1].session_id
    assert "Hello!" in history(scripted_model)
    assert "You are a helpful assistant." in scripted_model.completions[-1].messages[0]["content"]


async def test_v2_resume_continues_the_same_session_with_its_history(scripted_model: ScriptedModel) -> None:
    scripted_model.push("noted: blue", "your colour is blue")
    async with unstable_v2_createSession() as session:
        await session.send("My favourite colour is blue.")
        [m async for m in session.stream()]
    session_id = session.session_id

    resumed = unstable_v2_resumeSession(session_id)
    assert resumed.session_id == session_id  # known at once for a resumed session
    async with resumed:
        await resumed.send("What is my favourite colour?")
        messages = [m async for m in resumed.stream()]

    assert messages[-1].session_id == session_id
    assert "My favourite colour is blue." in history(scripted_model)


async def test_v2_prompt_returns_the_result_and_accepts_camel_case_options(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push("42")

    result = await unstable_v2_prompt("The answer?", {"systemPrompt": "Answer with a number.", "maxTurns": 3})

    assert isinstance(result, ResultMessage) and result.result == "42"
    assert "Answer with a number." in scripted_model.completions[-1].messages[0]["content"]


async def test_v2_unknown_option_is_a_typed_error_with_a_suggestion() -> None:
    with pytest.raises(InvalidOptionError, match="did you mean 'allowed_tools'"):
        unstable_v2_create_session({"allowedTool": ["Read"]})


async def test_query_resume_keeps_the_session_id_and_history(scripted_model: ScriptedModel) -> None:
    first = await run("Remember the number 7.")
    session_id = first[-1].session_id

    second = await run("Which number?", ClaudeAgentOptions(resume=session_id))

    assert second[0].data["session_id"] == session_id and second[-1].session_id == session_id
    assert "Remember the number 7." in history(scripted_model)


async def test_resume_by_letta_conversation_id(scripted_model: ScriptedModel) -> None:
    first = await run("conversation marker")
    record = default_registry().get(first[-1].session_id)
    assert record is not None

    again = await run("and now?", ClaudeAgentOptions(resume=record.conversation_id))

    assert "conversation marker" in history(scripted_model)
    assert again[-1].session_id == first[-1].session_id


async def test_resume_of_an_unknown_id_names_what_was_looked_up(scripted_model: ScriptedModel) -> None:
    with pytest.raises(SessionNotFoundError) as info:
        await run("hi", ClaudeAgentOptions(resume="00000000-0000-4000-8000-000000000000"))
    assert "00000000-0000-4000-8000-000000000000" in str(info.value)


async def test_continue_conversation_resumes_the_latest_session_of_the_cwd(
    scripted_model: ScriptedModel, tmp_path: Any
) -> None:
    first = await run("continue marker", ClaudeAgentOptions(cwd=tmp_path))

    again = await run("go on", ClaudeAgentOptions(cwd=tmp_path, continue_conversation=True))

    assert again[-1].session_id == first[-1].session_id
    assert "continue marker" in history(scripted_model)


async def test_continue_conversation_with_no_earlier_session_starts_a_new_one(
    scripted_model: ScriptedModel, tmp_path: Any
) -> None:
    scripted_model.push("fresh start")

    messages = await run("first words", ClaudeAgentOptions(cwd=tmp_path, continue_conversation=True))

    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"
    assert result.result == "fresh start"
    assert "first words" in history(scripted_model)
    again = await run("go on", ClaudeAgentOptions(cwd=tmp_path, continue_conversation=True))
    assert again[-1].session_id == result.session_id  # the new session is the one continued next


async def test_fork_session_copies_history_under_a_new_id(scripted_model: ScriptedModel) -> None:
    first = await run("fork marker")

    forked = await run("in the fork", ClaudeAgentOptions(resume=first[-1].session_id, fork_session=True))
    base = await run("in the original", ClaudeAgentOptions(resume=first[-1].session_id))

    assert forked[-1].session_id != first[-1].session_id
    assert base[-1].session_id == first[-1].session_id
    seen = history(scripted_model)
    assert "fork marker" in seen and "in the fork" not in seen


async def test_session_id_option_names_a_new_session(scripted_model: ScriptedModel) -> None:
    import uuid

    chosen = str(uuid.uuid4())
    messages = await run("hi", ClaudeAgentOptions(session_id=chosen))

    assert messages[0].data["session_id"] == chosen and messages[-1].session_id == chosen


async def test_claude_md_from_setting_sources_reaches_the_model(
    scripted_model: ScriptedModel, tmp_path: Any
) -> None:
    (tmp_path / "CLAUDE.md").write_text("Always answer in French.\n")

    await run("hello", ClaudeAgentOptions(cwd=tmp_path, setting_sources=["project"]))

    assert "Always answer in French." in scripted_model.completions[-1].messages[0]["content"]


async def test_client_set_model_and_permission_mode(scripted_model: ScriptedModel) -> None:
    from claude_compat import ClaudeSDKClient

    handle = f"openai-proxy/{scripted_model.model_id}"
    async with ClaudeSDKClient() as client:
        await client.set_permission_mode("acceptEdits")
        await client.set_model(handle)
        await client.query("hi")
        messages = [m async for m in client.receive_response()]

    # as the CLI: the mode change's status, the model change's echo, then the turn's init
    assert [type(m).__name__ for m in messages[:3]] == ["SystemMessage", "UserMessage", "SystemMessage"]
    assert messages[0].subtype == "status" and messages[0].data["permissionMode"] == "acceptEdits"
    assert messages[2].data["permissionMode"] == "acceptEdits"
    assert messages[2].data["model"] == handle and isinstance(messages[-1], ResultMessage)


async def test_session_store_receives_each_turn_and_a_failing_store_is_only_a_notice(
    scripted_model: ScriptedModel, tmp_path: Any
) -> None:
    from claude_compat import InMemorySessionStore, MirrorErrorMessage, project_key_for_directory

    store = InMemorySessionStore()
    scripted_model.push("stored reply")
    messages = await run("store me", ClaudeAgentOptions(cwd=tmp_path, session_store=store))
    key = {"project_key": project_key_for_directory(tmp_path), "session_id": messages[-1].session_id}
    entries = store.get_entries(key)  # type: ignore[arg-type]
    assert [e["type"] for e in entries][:2] == ["user", "assistant"]
    assert entries[0]["message"]["content"] == "store me"
    assert "stored reply" in str(entries[1]["message"])

    class Broken(InMemorySessionStore):
        async def append(self, key: Any, entries: Any) -> None:
            raise OSError("disk full")

    broken = await run("again", ClaudeAgentOptions(cwd=tmp_path, session_store=Broken()))
    notices = [m for m in broken if isinstance(m, MirrorErrorMessage)]
    assert len(notices) == 1 and "disk full" in notices[0].error
    assert any(isinstance(m, ResultMessage) and not m.is_error for m in broken)
