"""``/clear`` on a client replaces the conversation as the CLI does: a new session, no model call."""

from __future__ import annotations

import pytest

from claude_compat import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ConversationResetMessage,
    ResultMessage,
    SystemMessage,
)
from claude_compat.testing import ScriptedModel

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


async def test_clear_starts_a_new_session_that_forgets_the_old_one(scripted_model: ScriptedModel) -> None:
    scripted_model.push("one", "two")
    async with ClaudeSDKClient(ClaudeAgentOptions()) as client:
        await client.query("remember the word heron")
        first = [m async for m in client.receive_response()]
        calls = len(scripted_model.completions)
        await client.query("/clear")
        cleared = [m async for m in client.receive_response()]
        assert len(scripted_model.completions) == calls  # /clear makes no model call
        await client.query("what word?")
        after = [m async for m in client.receive_response()]

    old = first[-1].session_id
    reset, tasks, init, result = cleared
    assert isinstance(reset, ConversationResetMessage) and reset.session_id == old
    assert reset.new_conversation_id == reset.uuid
    assert isinstance(tasks, SystemMessage) and tasks.subtype == "background_tasks_changed"
    assert tasks.data["tasks"] == []
    assert isinstance(init, SystemMessage) and init.subtype == "init" and init.data["session_id"] != old
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error, result.num_turns, result.result) == ("success", False, 0, "")
    assert (result.stop_reason, result.terminal_reason, result.model_usage) == (None, None, {})
    assert result.total_cost_usd == 0 and result.session_id == init.data["session_id"]
    assert after[-1].session_id == result.session_id and after[-1].result == "two"
    assert "heron" not in str(scripted_model.completions[-1].messages)  # the old conversation is gone
