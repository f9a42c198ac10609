"""Sessions the real Claude SDK wrote: resumed, continued and forked on Letta with their history.

The transcripts under tests/fixtures/claude_config were written by the real Claude CLI (offline,
scripted Anthropic API): a greeting with thinking, a Read and a Bash call with their results, a
subagent, a custom title, a tag, a fork, and a second session.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from letta_client import AsyncLetta

from claude_compat import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage, query, unstable_v2_resumeSession
from claude_compat.errors import TranscriptError
from claude_compat.sessions import get_session_messages, project_key_for_directory
from claude_compat.testing import ScriptedModel
from letta_backend.registry import default_registry

pytestmark = [pytest.mark.letta]

FIXTURE = Path(__file__).parent / "fixtures" / "claude_config" / "projects" / "-tmp-rec1-work"
RECORDED_CWD = "/tmp/rec1/work"
GREETING = "46e0388c-61ce-45e8-b11d-bc8423ad1a63"
FORK = "b6dd2921-b502-448f-97cd-0ab46634a1ca"
SECOND = "72af52de-9e37-431c-8b23-2bce61cc691f"


def install_claude_sessions(config: Path, work: Path) -> Path:
    """Copy the recorded transcripts into a Claude config folder, as if they ran in ``work``."""
    folder = config / "projects" / project_key_for_directory(work)
    for source in FIXTURE.rglob("*"):
        if source.is_file():
            target = folder / source.relative_to(FIXTURE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read_text().replace(RECORDED_CWD, str(work.resolve())))
    return folder


@pytest.fixture
def claude_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A Claude config folder holding the recorded sessions, and the directory they ran in."""
    config, work = tmp_path / "claude-config", tmp_path / "work"
    work.mkdir()
    install_claude_sessions(config, work)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    return config, work


async def run(prompt: str, **options: Any) -> ResultMessage:
    messages = [m async for m in query(prompt=prompt, options=ClaudeAgentOptions(**options))]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    return result


def seen_by_model(model: ScriptedModel) -> str:
    return str(model.completions[-1].messages)


def letta() -> AsyncLetta:
    return AsyncLetta(base_url=os.environ["LETTA_BASE_URL"], api_key=os.environ.get("LETTA_API_KEY"))


async def imported_agents(session_id: str) -> list[str]:
    client = letta()
    try:
        page = await client.agents.list(tags=[f"cc-import:{session_id}"], limit=100)
        return [a.id for a in page.items]
    finally:
        await client.close()


@pytest.mark.anyio
async def test_resuming_a_claude_session_shows_the_model_its_history_under_the_same_id(
    scripted_model: ScriptedModel, claude_home: tuple[Path, Path]
) -> None:
    _, work = claude_home
    scripted_model.push("I remember: alpha and beta.")

    result = await run("What did the file say?", resume=GREETING, cwd=work)

    assert result.session_id == GREETING and not result.is_error
    seen = seen_by_model(scripted_model)
    for earlier in (
        "Say hello please",
        "Hello! I am here.",
        "Read notes.txt and tell me",
        "toolu_read_1",
        "echo hi there",
        "hi there",
        "The file says alpha and beta.",
        "What did the file say?",
    ):
        assert earlier in seen, earlier
    assert seen.index("Say hello please") < seen.index("toolu_read_1") < seen.index("What did the file say?")
    sent = scripted_model.completions[-1].messages
    read_result = next(m for m in sent if m.get("role") == "tool" and m.get("tool_call_id") == "toolu_read_1")
    assert "alpha" in str(read_result["content"]) and "beta" in str(read_result["content"])
    kinds = [b["type"] for m in get_session_messages(GREETING) for b in m.message["content"]]
    assert kinds[:3] == ["text", "thinking", "text"] and "tool_use" in kinds and "tool_result" in kinds


@pytest.mark.anyio
async def test_a_claude_session_is_imported_once_even_when_two_resumes_race(
    scripted_model: ScriptedModel, claude_home: tuple[Path, Path]
) -> None:
    _, work = claude_home
    scripted_model.push("one", "two", "three")
    results: list[ResultMessage] = []

    async def resume(prompt: str) -> None:
        results.append(await run(prompt, resume=SECOND, cwd=work))

    async with anyio.create_task_group() as tg:
        tg.start_soon(resume, "first racer")
        tg.start_soon(resume, "second racer")
    results.append(await run("after the race", resume=SECOND, cwd=work))

    assert [r.session_id for r in results] == [SECOND] * 3
    assert len(await imported_agents(SECOND)) == 1
    seen = seen_by_model(scripted_model)
    assert "A separate second session" in seen and "first racer" in seen and "second racer" in seen


@pytest.mark.anyio
async def test_continue_conversation_picks_the_newest_claude_session_of_the_directory(
    scripted_model: ScriptedModel, claude_home: tuple[Path, Path]
) -> None:
    config, work = claude_home
    folder = config / "projects" / project_key_for_directory(work)
    os.utime(folder / f"{SECOND}.jsonl", (2_000_000_000, 2_000_000_000))
    scripted_model.push("continued")

    result = await run("go on", continue_conversation=True, cwd=work)

    assert result.session_id == SECOND
    assert "A separate second session" in seen_by_model(scripted_model)


@pytest.mark.anyio
async def test_fork_session_of_a_claude_session_keeps_the_original_and_gets_a_new_id(
    scripted_model: ScriptedModel, claude_home: tuple[Path, Path]
) -> None:
    _, work = claude_home
    scripted_model.push("forked answer", "original answer")

    forked = await run("on the fork", resume=SECOND, fork_session=True, cwd=work)
    original = await run("on the original", resume=SECOND, cwd=work)

    assert forked.session_id != SECOND and original.session_id == SECOND
    seen = seen_by_model(scripted_model)
    assert "A separate second session" in seen and "on the fork" not in seen


@pytest.mark.anyio
async def test_a_damaged_transcript_is_refused_naming_file_and_line_and_nothing_is_imported(
    scripted_model: ScriptedModel, claude_home: tuple[Path, Path]
) -> None:
    config, work = claude_home
    path = config / "projects" / project_key_for_directory(work) / f"{SECOND}.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines) + "\n" + lines[-1][:20])
    before = await imported_agents(SECOND)  # the server is shared with the other tests

    with pytest.raises(TranscriptError) as caught:
        await run("resume me", resume=SECOND, cwd=work)

    assert caught.value.source == str(path) and caught.value.line == len(lines) + 1
    assert "cut off" in str(caught.value)
    assert await imported_agents(SECOND) == before
    assert default_registry().get(SECOND) is None


@pytest.mark.anyio
async def test_a_claude_session_of_another_directory_is_refused(
    scripted_model: ScriptedModel, claude_home: tuple[Path, Path], tmp_path: Path
) -> None:
    config, work = claude_home
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(
        config / "projects" / project_key_for_directory(work),
        config / "projects" / project_key_for_directory(elsewhere),
    )

    with pytest.raises(TranscriptError, match="ran in"):
        await run("resume me", resume=SECOND, cwd=elsewhere)
    assert default_registry().get(SECOND) is None


@pytest.mark.anyio
async def test_client_and_v2_session_resume_a_claude_session_with_its_history(
    scripted_model: ScriptedModel, claude_home: tuple[Path, Path]
) -> None:
    _, work = claude_home
    scripted_model.push("from the client", "from v2")

    async with ClaudeSDKClient(ClaudeAgentOptions(resume=SECOND, cwd=work)) as client:
        await client.query("client turn")
        client_results = [m async for m in client.receive_response() if isinstance(m, ResultMessage)]
    assert client_results[-1].session_id == SECOND
    assert "A separate second session" in seen_by_model(scripted_model)

    async with unstable_v2_resumeSession(SECOND, ClaudeAgentOptions(cwd=work)) as session:
        await session.send("v2 turn")
        v2_results = [m async for m in session.stream() if isinstance(m, ResultMessage)]
    assert v2_results[-1].session_id == SECOND
    seen = seen_by_model(scripted_model)
    assert "A separate second session" in seen and "client turn" in seen and "v2 turn" in seen
