"""The Letta-native API (the migration guide's "after" code): agents you keep, sessions on them."""

from __future__ import annotations

import os

import pytest
from letta_client import AsyncLetta

from claude_compat import AssistantMessage, ResultMessage, SystemMessage, TextBlock
from claude_compat.testing import ScriptedModel
from letta_backend.native import NativeSession, create_agent, create_session, prompt, resume_session

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


def seen_by_model(model: ScriptedModel) -> str:
    return str(model.completions[-1].messages)


async def test_create_agent_keeps_its_prompt_and_memory(scripted_model: ScriptedModel) -> None:
    agent_id = await create_agent(
        system_prompt="You are the team's release assistant.",
        memory_blocks={"human": "The user is Ada."},
    )

    async with AsyncLetta(base_url=os.environ["LETTA_BASE_URL"]) as client:
        agent = await client.agents.retrieve(agent_id, include=["agent.blocks", "agent.tags"])
    assert agent_id.startswith("agent-")
    assert agent.system == "You are the team's release assistant."
    assert {b.label: b.value for b in agent.memory.blocks}["human"] == "The user is Ada."
    assert "cc-native" in agent.tags


async def test_sessions_on_one_agent_are_separate_conversations_sharing_its_memory(
    scripted_model: ScriptedModel,
) -> None:
    agent_id = await create_agent(system_prompt="Be brief.", memory_blocks={"project": "Codename Falcon."})
    scripted_model.push("hello Ada", "hi again")

    async with create_session(agent_id) as first:
        assert isinstance(first, NativeSession) and first.agent_id == agent_id
        await first.send("I am Ada.")
        turn = [m async for m in first.stream()]
    async with create_session(agent_id) as second:
        await second.send("Who am I?")
        [m async for m in second.stream()]

    assert isinstance(turn[0], SystemMessage)
    assert isinstance(turn[1], AssistantMessage) and turn[1].content == [TextBlock(text="hello Ada")]
    assert isinstance(turn[-1], ResultMessage) and turn[-1].session_id == first.session_id
    assert first.conversation_id is not None and first.conversation_id.startswith("conv-")
    assert first.conversation_id != second.conversation_id
    assert second.agent_id == agent_id
    seen = seen_by_model(scripted_model)
    assert "I am Ada." not in seen and "Codename Falcon." in seen


async def test_resume_session_by_conversation_id_continues_its_history(scripted_model: ScriptedModel) -> None:
    agent_id = await create_agent(system_prompt="Remember things.")
    async with create_session(agent_id) as session:
        await session.send("The vault code is 4711.")
        [m async for m in session.stream()]
    conversation_id = session.conversation_id
    assert conversation_id is not None

    resumed = resume_session(conversation_id)
    assert resumed.conversation_id == conversation_id  # known before the first turn
    async with resumed:
        await resumed.send("What is the vault code?")
        [m async for m in resumed.stream()]

    assert resumed.agent_id == agent_id and resumed.session_id == session.session_id
    assert "The vault code is 4711." in seen_by_model(scripted_model)


async def test_resume_session_by_agent_id_uses_the_agents_default_conversation(
    scripted_model: ScriptedModel,
) -> None:
    agent_id = await create_agent(system_prompt="Default thread.")

    async with resume_session(agent_id) as first:
        assert first.agent_id == agent_id
        await first.send("note: the sky is green here")
        [m async for m in first.stream()]
    async with resume_session(agent_id) as again:
        await again.send("what colour is the sky?")
        [m async for m in again.stream()]

    assert first.conversation_id == again.conversation_id == "default"
    assert "note: the sky is green here" in seen_by_model(scripted_model)


async def test_prompt_runs_one_turn_and_returns_the_result(scripted_model: ScriptedModel) -> None:
    agent_id = await create_agent(system_prompt="Answer with a number.")
    scripted_model.push("42", "7")

    on_agent = await prompt("The answer?", agent_id)
    fresh = await prompt("Another?")

    assert isinstance(on_agent, ResultMessage) and on_agent.result == "42"
    assert isinstance(fresh, ResultMessage) and fresh.result == "7"
    assert fresh.session_id != on_agent.session_id
