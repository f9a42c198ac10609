"""The session-store mirror is resumable both ways: the rollback path of a gradual migration.

A session started on claude-compat with ``session_store=`` is resumed by the real Claude SDK
(its bundled CLI, offline against the scripted Anthropic API) from the same store, and a session
the real SDK started is resumed on claude-compat: each side's model sees the other's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import claude_agent_sdk as real
import pytest

import claude_compat as compat
from claude_compat._tooling.ab import offline_claude_env
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from claude_compat.testing._anthropic import AnthropicScriptedServer

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


@pytest.fixture
def anthropic() -> Iterator[AnthropicScriptedServer]:
    """A scripted Anthropic Messages API for the real SDK's CLI."""
    server = AnthropicScriptedServer(ScriptedModel("claude-sonnet-4-5")).start()
    try:
        yield server
    finally:
        server.stop()


def _assert_in_order(sent: object, texts: list[str]) -> None:
    """Each text occurs in what the model was sent, in this order."""
    seen = str(sent)
    places = [seen.find(text) for text in texts]
    assert -1 not in places and places == sorted(places), dict(zip(texts, places, strict=True))


async def test_a_session_started_on_claude_compat_is_resumed_by_the_real_sdk_from_the_store(
    scripted_model: ScriptedModel, anthropic: AnthropicScriptedServer, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("the answer is 42\n")
    store = real.InMemorySessionStore()
    scripted_model.push(
        Turn(tool_calls=[ToolCall("Read", {"file_path": str(work / "notes.txt")})]),
        "The notes say the answer is 42.",
    )
    first = [
        m
        async for m in compat.query(
            prompt="What do my notes say?",
            options=compat.ClaudeAgentOptions(cwd=work, session_store=store, allowed_tools=["Read"]),
        )
    ]
    session_id = first[-1].session_id
    assert isinstance(first[-1], compat.ResultMessage) and not first[-1].is_error

    anthropic.model.push("You asked about your notes; they say 42.")
    second = [
        m
        async for m in real.query(
            prompt="What did I ask you before?",
            options=real.ClaudeAgentOptions(
                cwd=work,
                session_store=store,
                resume=session_id,
                env=offline_claude_env(anthropic.base_url, tmp_path / "home"),
            ),
        )
    ]
    result = second[-1]
    assert isinstance(result, real.ResultMessage) and not result.is_error, second
    assert result.session_id == session_id
    seen = str(anthropic.model.completions[-1].body["messages"])
    # the old turn, in order (prompt, Read call, its result, answer), then the new prompt
    order = [
        "What do my notes say?",
        "'name': 'Read'",
        "the answer is 42",
        "The notes say the answer",
        "What did I ask",
    ]
    _assert_in_order(seen, order)


async def test_one_live_session_moves_from_the_real_sdk_to_claude_compat_and_back(
    scripted_model: ScriptedModel, anthropic: AnthropicScriptedServer, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    store = real.InMemorySessionStore()
    env = offline_claude_env(anthropic.base_url, tmp_path / "home")

    anthropic.model.push("Noted: pelican.")
    started = [
        m
        async for m in real.query(
            prompt="Remember the word pelican.",
            options=real.ClaudeAgentOptions(cwd=work, session_store=store, env=env),
        )
    ]
    session_id = started[-1].session_id

    scripted_model.push("The word was pelican.")
    moved = [
        m
        async for m in compat.query(
            prompt="Which word did I give you?",
            options=compat.ClaudeAgentOptions(cwd=work, session_store=store, resume=session_id),
        )
    ]
    assert isinstance(moved[-1], compat.ResultMessage) and not moved[-1].is_error
    assert moved[-1].session_id == session_id
    assert "Remember the word pelican." in str(scripted_model.completions[-1].messages)

    anthropic.model.push("Both of you said pelican.")
    back = [
        m
        async for m in real.query(
            prompt="Did the other agent agree?",
            options=real.ClaudeAgentOptions(cwd=work, session_store=store, resume=session_id, env=env),
        )
    ]
    assert isinstance(back[-1], real.ResultMessage) and not back[-1].is_error, back
    seen = str(anthropic.model.completions[-1].body["messages"])
    order = [
        "Remember the word pelican.",
        "Noted: pelican.",
        "Which word did I give you?",
        "The word was pelican.",
        "Did the other agent agree?",
    ]
    _assert_in_order(seen, order)


class _Recording(real.InMemorySessionStore):
    """The SDK's in-memory store, noting how many records each append brought."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    async def append(self, key: real.SessionKey, entries: list[real.SessionStoreEntry]) -> None:
        self.batches.append(len(entries))
        await super().append(key, entries)


@pytest.mark.parametrize(("flush", "batches"), [("batched", 1), ("eager", 4)])
async def test_session_store_flush_batches_a_turn_or_appends_each_message(
    scripted_model: ScriptedModel, tmp_path: Path, flush: str, batches: int
) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    scripted_model.push(Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "a.txt")})]), "alpha.")
    store = _Recording()
    options = compat.ClaudeAgentOptions(
        cwd=tmp_path,
        session_store=store,
        session_store_flush=flush,
        allowed_tools=["Read"],  # type: ignore[arg-type]
    )
    messages = [m async for m in compat.query(prompt="Read a.txt", options=options)]
    assert not any(isinstance(m, compat.MirrorErrorMessage) for m in messages)
    # prompt, tool call, tool result, answer, and the closing last-prompt record
    assert len(store.batches) == batches and sum(store.batches) == 5, store.batches
    entries = await store.load(
        {"project_key": compat.project_key_for_directory(tmp_path), "session_id": messages[-1].session_id}
    )
    chained = [e for e in entries if e["type"] in ("user", "assistant")]
    assert [e["parentUuid"] for e in chained] == [None, *[e["uuid"] for e in chained[:-1]]]
    assert entries[-1] == {
        "type": "last-prompt",
        "lastPrompt": "Read a.txt",
        "leafUuid": chained[-1]["uuid"],
        "sessionId": messages[-1].session_id,
    }
