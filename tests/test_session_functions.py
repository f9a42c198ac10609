"""Session functions on Letta: list, read, rename, tag, delete and fork sessions, as the Claude SDK does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from letta_client import AsyncLetta

from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat._backend import SessionSpec
from claude_compat._internal.setting_sources import instruction_blocks
from claude_compat.errors import SessionNotFoundError
from claude_compat.sessions import (
    ForkSessionResult,
    delete_session,
    fork_session,
    get_session_info,
    get_session_messages,
    get_subagent_messages,
    list_sessions,
    list_subagents,
    rename_session,
    tag_session,
)
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from letta_backend.backend import LettaBackend
from letta_backend.registry import default_registry

pytestmark = [pytest.mark.letta]


async def run(prompt: str, **options: Any) -> ResultMessage:
    messages = [m async for m in query(prompt=prompt, options=ClaudeAgentOptions(**options))]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    return result


def seen_by_model(model: ScriptedModel) -> str:
    return str(model.completions[-1].messages)


def letta() -> AsyncLetta:
    return AsyncLetta(base_url=os.environ["LETTA_BASE_URL"])


@pytest.mark.anyio
async def test_list_sessions_shows_sessions_of_a_directory_newest_first(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    first = await run("first prompt here", cwd=here)
    second = await run("second prompt here", cwd=here)
    other = await run("a prompt elsewhere", cwd=elsewhere)

    listed = list_sessions(directory=str(here))
    everything = list_sessions()

    assert [s.session_id for s in listed] == [second.session_id, first.session_id]
    assert listed[0].summary == listed[0].first_prompt == "second prompt here"
    assert listed[0].cwd == str(here.resolve()) and listed[0].custom_title is None
    assert listed[0].last_modified >= listed[1].last_modified > 0
    assert listed[0].created_at is not None and listed[0].created_at > 0
    assert {first.session_id, second.session_id, other.session_id} <= {s.session_id for s in everything}
    assert [s.session_id for s in list_sessions(directory=str(here), limit=1, offset=1)] == [first.session_id]


@pytest.mark.anyio
async def test_get_session_info_describes_a_session_and_is_none_for_unknown_ids(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    result = await run("tell me about sessions", cwd=tmp_path)

    info = get_session_info(result.session_id)

    assert info is not None and info.session_id == result.session_id
    assert info.summary == "tell me about sessions" and info.cwd == str(tmp_path.resolve())
    assert get_session_info("00000000-0000-4000-8000-000000000000") is None
    assert get_session_info("not-a-uuid") is None
    assert get_session_info(result.session_id, directory=str(tmp_path / "nowhere")) is None


@pytest.mark.anyio
async def test_get_session_messages_shows_prompts_thinking_tool_calls_and_results(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("the password is swordfish\n")
    scripted_model.push(
        Turn(
            reasoning="I should read it",
            text="Reading.",
            tool_calls=[ToolCall("Read", {"file_path": str(notes)})],
        ),
        Turn(text="It says swordfish."),
    )
    result = await run("What is in notes.txt?", cwd=tmp_path, allowed_tools=["Read"])

    messages = get_session_messages(result.session_id)

    assert [m.type for m in messages] == ["user", "assistant", "user", "assistant"]
    prompt, call, tool_result, answer = messages
    assert prompt.message == {"role": "user", "content": [{"type": "text", "text": "What is in notes.txt?"}]}
    assert [b["type"] for b in call.message["content"]] == ["thinking", "text", "tool_use"]
    use = call.message["content"][2]
    assert use["name"] == "Read" and use["input"] == {"file_path": str(notes)}
    [block] = tool_result.message["content"]
    assert block["type"] == "tool_result" and block["tool_use_id"] == use["id"]
    assert block["content"] == "1\tthe password is swordfish\n2\t" and block["is_error"] is False
    assert answer.message["content"] == [{"type": "text", "text": "It says swordfish."}]
    assert all(m.session_id == result.session_id and m.uuid.startswith("message-") for m in messages)
    assert len({m.uuid for m in messages}) == 4
    assert get_session_messages(result.session_id, limit=2, offset=1) == messages[1:3]
    assert get_session_messages("00000000-0000-4000-8000-000000000000") == []


@pytest.mark.anyio
async def test_rename_session_sets_the_title_shown_by_list_sessions_and_letta(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    result = await run("untitled so far", cwd=tmp_path)

    rename_session(result.session_id, "  Refactoring the parser  ")

    [info] = list_sessions(directory=str(tmp_path))
    assert info.summary == info.custom_title == "Refactoring the parser"
    assert info.first_prompt == "untitled so far"
    record = default_registry().get(result.session_id)
    assert record is not None
    async with letta() as client:
        conversation = await client.conversations.retrieve(record.conversation_id)
    assert conversation.summary == "Refactoring the parser"
    with pytest.raises(ValueError, match="non-empty"):
        rename_session(result.session_id, "   ")


@pytest.mark.anyio
async def test_tag_session_sets_and_clears_the_tag(scripted_model: ScriptedModel, tmp_path: Path) -> None:
    result = await run("tag me", cwd=tmp_path)

    tag_session(result.session_id, "experiment\u200b")
    tagged = get_session_info(result.session_id)
    tag_session(result.session_id, None)
    cleared = get_session_info(result.session_id)

    assert tagged is not None and tagged.tag == "experiment"
    assert cleared is not None and cleared.tag is None


@pytest.mark.anyio
async def test_changing_an_unknown_session_raises_file_not_found_naming_it(
    scripted_model: ScriptedModel,
) -> None:
    missing = "00000000-0000-4000-8000-00000000beef"

    for change in (
        lambda: rename_session(missing, "title"),
        lambda: tag_session(missing, "x"),
        lambda: delete_session(missing),
        lambda: fork_session(missing),
    ):
        with pytest.raises(FileNotFoundError, match=missing) as info:
            change()
        assert isinstance(info.value, SessionNotFoundError) and info.value.looked_up == missing
    with pytest.raises(ValueError, match="Invalid session_id"):
        delete_session("not-a-session")


@pytest.mark.anyio
async def test_delete_session_removes_it_but_its_forks_keep_their_history(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    original = await run("the launch code is 1234", cwd=tmp_path)
    fork = fork_session(original.session_id)
    record = default_registry().get(original.session_id)
    assert record is not None

    delete_session(original.session_id)

    assert get_session_info(original.session_id) is None
    assert [s.session_id for s in list_sessions(directory=str(tmp_path))] == [fork.session_id]
    async with letta() as client:
        conversations = await client.conversations.list(agent_id=record.agent_id)
    assert record.conversation_id not in {c.id for c in conversations}
    with pytest.raises(SessionNotFoundError, match=original.session_id):
        await run("again?", resume=original.session_id)
    await run("what was the code?", resume=fork.session_id)
    assert "the launch code is 1234" in seen_by_model(scripted_model)


@pytest.mark.anyio
async def test_fork_session_makes_a_new_session_with_the_history_and_a_fork_title(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    original = await run("remember the colour teal", cwd=tmp_path)

    fork = fork_session(original.session_id)
    titled = fork_session(original.session_id, title="My branch")

    assert isinstance(fork, ForkSessionResult) and fork.session_id != original.session_id
    info = get_session_info(fork.session_id)
    assert info is not None and info.custom_title == "remember the colour teal (fork)"
    assert info.cwd == str(tmp_path.resolve())
    titled_info = get_session_info(titled.session_id)
    assert titled_info is not None and titled_info.custom_title == "My branch"
    record = default_registry().get(fork.session_id)
    assert record is not None and record.parent_session_id == original.session_id
    assert [m.message for m in get_session_messages(fork.session_id)] == [
        m.message for m in get_session_messages(original.session_id)
    ]
    await run("which colour?", resume=fork.session_id)
    assert "remember the colour teal" in seen_by_model(scripted_model)


@pytest.mark.anyio
async def test_fork_session_up_to_a_message_keeps_only_what_came_before(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push("first answer", "second answer")
    options: dict[str, Any] = {"cwd": tmp_path}
    first = await run("first question", **options)
    await run("second question", resume=first.session_id)
    messages = get_session_messages(first.session_id)
    first_answer = messages[1]
    assert first_answer.message["content"] == [{"type": "text", "text": "first answer"}]

    fork = fork_session(first.session_id, up_to_message_id=first_answer.uuid)
    bare_uuid = fork_session(first.session_id, up_to_message_id=first_answer.uuid.removeprefix("message-"))

    kept = get_session_messages(fork.session_id)
    assert [m.uuid for m in kept] == [m.uuid for m in messages[:2]]
    assert [m.uuid for m in get_session_messages(bare_uuid.session_id)] == [m.uuid for m in messages[:2]]
    assert len(get_session_messages(first.session_id)) == 4  # the original is untouched
    record = default_registry().get(fork.session_id)
    assert record is not None and record.fork_point == first_answer.uuid
    await run("and now?", resume=fork.session_id)
    seen = seen_by_model(scripted_model)
    assert "first question" in seen and "second question" not in seen
    with pytest.raises(SessionNotFoundError, match="00000000-0000-4000-8000-000000000000"):
        fork_session(first.session_id, up_to_message_id="00000000-0000-4000-8000-000000000000")


@pytest.mark.anyio
async def test_resume_session_at_a_message_goes_on_from_there(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push("answer one", "answer two", "after the cut", "forked reply")
    first = await run("question one", cwd=tmp_path)
    await run("question two", resume=first.session_id)
    cut = get_session_messages(first.session_id)[1]

    backend = await LettaBackend.connect()
    try:
        same = await backend.open_session(
            SessionSpec(resume=first.session_id, resume_session_at=cut.uuid, cwd=str(tmp_path))
        )
        [_ async for _ in backend.run(same, [{"role": "user", "content": "question three"}], client_tools=[])]
        branch = await backend.open_session(
            SessionSpec(resume=first.session_id, resume_session_at=cut.uuid, fork_session=True)
        )
    finally:
        await backend.aclose()

    assert same.session_id == first.session_id and same.resumed
    seen = str(scripted_model.completions[-1].messages)
    assert "question one" in seen and "answer one" in seen and "question two" not in seen
    assert branch.session_id != first.session_id
    record = default_registry().get(branch.session_id)
    assert (
        record is not None and record.parent_session_id == first.session_id and record.fork_point == cut.uuid
    )
    assert [m.uuid for m in get_session_messages(branch.session_id)] == [
        m.uuid for m in get_session_messages(first.session_id)[:2]
    ]


@pytest.mark.anyio
async def test_subagent_sessions_are_listed_under_their_parent_not_on_their_own(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    parent = await run("delegate something", cwd=tmp_path)
    backend = await LettaBackend.connect()
    try:
        child = await backend.open_session(
            SessionSpec(
                cwd=str(tmp_path), first_prompt="sub task", subagent_of=(parent.session_id, "subagent-call_7")
            )
        )
        [_ async for _ in backend.run(child, [{"role": "user", "content": "sub task"}], client_tools=[])]
    finally:
        await backend.aclose()

    assert list_subagents(parent.session_id) == ["subagent-call_7"]
    assert [s.session_id for s in list_sessions(directory=str(tmp_path))] == [parent.session_id]
    messages = get_subagent_messages(parent.session_id, "subagent-call_7")
    assert [m.type for m in messages] == ["user", "assistant"]
    assert all(m.parent_tool_use_id == "call_7" for m in messages)
    assert get_subagent_messages(parent.session_id, "subagent-unknown") == []
    delete_session(parent.session_id)
    assert default_registry().get(child.session_id) is None


def test_session_functions_work_from_plain_sync_code(scripted_model: ScriptedModel, tmp_path: Path) -> None:
    result = anyio.run(lambda: run("sync caller", cwd=tmp_path))

    assert [s.session_id for s in list_sessions(directory=str(tmp_path))] == [result.session_id]
    assert get_session_messages(result.session_id)[0].message["content"][0]["text"] == "sync caller"
    rename_session(result.session_id, "from sync code")
    info = get_session_info(result.session_id)
    assert info is not None and info.custom_title == "from sync code"


# --- CLAUDE.md as memory blocks (no server) ---


def test_project_claude_md_files_from_the_git_root_down_become_one_block(tmp_path: Path) -> None:
    outside, repo = tmp_path, tmp_path / "repo"
    work = repo / "pkg" / "sub"
    work.mkdir(parents=True)
    (repo / ".git").mkdir()
    (outside / "CLAUDE.md").write_text("outside the repo: never read")
    (repo / "CLAUDE.md").write_text("root rules")
    (repo / "pkg" / ".claude").mkdir()
    (repo / "pkg" / ".claude" / "CLAUDE.md").write_text("package rules")
    (work / "CLAUDE.md").write_text("leaf rules")
    (work / "CLAUDE.local.md").write_text("my private notes")

    [(label, value)] = instruction_blocks(work, ["project"])

    assert label == "project_instructions"
    assert value.index("root rules") < value.index("package rules") < value.index("leaf rules")
    assert f"Contents of {repo / 'CLAUDE.md'}" in value
    assert "never read" not in value and "private notes" not in value
    [(_, with_local)] = instruction_blocks(work, ["project", "local"])
    assert "my private notes" in with_local


def test_user_claude_md_is_its_own_block_and_every_source_loads_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "CLAUDE.md").write_text("always answer in French")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    project = tmp_path / "project"
    project.mkdir()

    assert instruction_blocks(project, []) == ()
    # as the Claude SDK: None loads every source ([] is its isolation mode)
    every = instruction_blocks(project, ["user", "project", "local"])
    assert instruction_blocks(project, None) == every
    [(label, value)] = instruction_blocks(project, ["user", "project"])
    assert label == "user_instructions" and "always answer in French" in value
    with pytest.raises(ValueError, match="setting_sources"):
        instruction_blocks(project, ["team"])


@pytest.mark.anyio
async def test_project_instructions_reach_the_model_as_a_memory_block(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "CLAUDE.md").write_text("Always run the linter before committing.")
    backend = await LettaBackend.connect()
    try:
        session = await backend.open_session(
            SessionSpec(cwd=str(tmp_path), memory_blocks=instruction_blocks(tmp_path, ["project"]))
        )
        [_ async for _ in backend.run(session, [{"role": "user", "content": "hi"}], client_tools=[])]
    finally:
        await backend.aclose()

    system = str(scripted_model.completions[-1].messages[0]["content"])
    assert "<project_instructions>" in system and "Always run the linter before committing." in system


def test_unknown_sessions_never_reach_a_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LETTA_BASE_URL", "http://127.0.0.1:9")  # nothing listens: a connection would fail
    monkeypatch.delenv("CLAUDE_COMPAT_REGISTRY", raising=False)
    unknown = "00000000-0000-4000-8000-000000000001"

    assert list_sessions() == []
    assert get_session_info(unknown) is None
    assert get_session_messages(unknown) == []
    assert list_subagents(unknown) == []
    with pytest.raises(FileNotFoundError, match=unknown):
        rename_session(unknown, "title")
    with pytest.raises(ValueError, match="title must be non-empty"):
        rename_session(unknown, " ")
    with pytest.raises(ValueError, match="not a message id"):
        fork_session(unknown, up_to_message_id="the third one")


@pytest.mark.anyio
async def test_deleting_a_session_deletes_its_own_agent_once_no_fork_needs_it(
    scripted_model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_COMPAT_AGENT_SCOPE", "session")
    original = await run("an agent of my own", cwd=tmp_path)
    fork = fork_session(original.session_id)
    record = default_registry().get(original.session_id)
    assert record is not None and record.owns_agent

    delete_session(original.session_id)
    async with letta() as client:
        still_there = await client.agents.retrieve(record.agent_id)
    fork_record = default_registry().get(fork.session_id)
    delete_session(fork.session_id)
    async with letta() as client:
        remaining = await client.agents.list(tags=[f"cc-session:{original.session_id}"])

    assert still_there.id == record.agent_id
    assert fork_record is not None and fork_record.owns_agent
    assert remaining.items == []
