"""How a finished subagent is handed back to the parent, as the CLI hands it back (no server needed)."""

from __future__ import annotations

import hashlib

from claude_compat import AssistantMessage, TextBlock, ToolUseBlock
from claude_compat._internal import subagents

FRAME_START = "[Subagent hand-back] The text below is the final report of a subagent"


def _reply(*blocks: object, message_id: str = "m1", usage: dict[str, int] | None = None) -> AssistantMessage:
    return AssistantMessage(
        content=list(blocks),  # type: ignore[arg-type]
        model="provider/model-x",
        message_id=message_id,
        usage=usage or {"input_tokens": 10, "output_tokens": 5},
    )


def _handback(
    *messages: AssistantMessage, agent_type: str = "helper", can_continue: bool = False
) -> subagents.Handback:
    return subagents.handback(
        list(messages),
        prompt="do it",
        agent_id="a0123456789abcdef",
        agent_type=agent_type,
        duration_ms=12,
        can_continue=can_continue,
    )


def test_the_report_is_the_last_reply_with_text_every_line_indented_under_the_frame() -> None:
    first = _reply(TextBlock(text="thinking aloud"), message_id="m1")
    last = [
        _reply(TextBlock(text="line one\nline two"), message_id="m2"),
        _reply(TextBlock(text="more"), message_id="m2"),
    ]

    back = _handback(first, *last)

    frame, *report = back.text.split("\nagentId: ")[0].split("\n")
    assert frame.startswith(FRAME_START) and frame.endswith("The report follows:")
    assert report == ["  line one", "  line two", "  more"]
    assert back.structured["content"] == [
        {"type": "text", "text": "line one\nline two"},
        {"type": "text", "text": "more"},
    ]
    assert back.text.endswith(
        "\nagentId: a0123456789abcdef\n<usage>subagent_tokens: 15\ntool_uses: 0\nduration_ms: 12</usage>"
    )
    assert "toolStats" not in back.structured and "toolsUsed" not in back.structured


def test_the_continue_hint_is_there_only_when_the_session_can_continue_the_subagent() -> None:
    back = _handback(_reply(TextBlock(text="hi")), can_continue=True)

    assert (
        "agentId: a0123456789abcdef (use SendMessage with to: 'a0123456789abcdef', summary: "
        "'<5-10 word recap>' to continue this agent)\n<usage>"
    ) in back.text
    assert back.structured["canContinueAgent"] is True
    assert list(back.structured)[-1] == "canContinueAgent"


def test_explore_and_plan_hand_back_the_framed_report_alone() -> None:
    for agent_type in ("Explore", "Plan"):
        back = _handback(_reply(TextBlock(text="found it")), agent_type=agent_type)
        assert back.text.startswith(FRAME_START) and back.text.endswith("\n  found it")
        assert back.structured["agentType"] == agent_type


def test_tools_only_shows_the_notes_without_a_frame_and_no_output_gets_the_clis_placeholder() -> None:
    tools_only = _handback(_reply(ToolUseBlock(id="t1", name="Read", input={"file_path": "/a"})))
    nothing = _handback(_reply())

    assert (
        tools_only.text.split("\nagentId: ")[0]
        == "  <tools-used-before-summary>Read</tools-used-before-summary>\n  "
    )
    assert tools_only.structured["harnessNoteCount"] == 1
    assert nothing.text.split("\nagentId: ")[0] == (
        nothing.text.split("\n")[0] + "\n  (Subagent completed but returned no output.)"
    )
    assert nothing.text.startswith(FRAME_START) and nothing.structured["content"] == []


def test_tool_stats_count_calls_by_kind_and_the_lines_an_edit_changes() -> None:
    calls = [
        ToolUseBlock(id="1", name="Read", input={"file_path": "/a"}),
        ToolUseBlock(id="2", name="Grep", input={"pattern": "x"}),
        ToolUseBlock(id="3", name="Edit", input={"file_path": "/a", "old_string": "a\nb", "new_string": "c"}),
        ToolUseBlock(id="4", name="Write", input={"file_path": "/b", "content": "1\n2\n3"}),
        ToolUseBlock(id="5", name="WebFetch", input={"url": "u"}),
    ]

    assert subagents.tool_stats(calls) == {
        "readCount": 1, "searchCount": 1, "bashCount": 0, "editFileCount": 2, "linesAdded": 4,
        "linesRemoved": 2, "otherToolCount": 1,
    }  # fmt: skip
    back = _handback(_reply(*calls), _reply(TextBlock(text="ok"), message_id="m2"))
    assert back.structured["toolsUsed"] == ["Read", "Grep", "Edit", "Write", "WebFetch"]
    assert back.structured["totalToolUseCount"] == 5


def test_the_section_hash_is_the_clis_fingerprint_counting_lengths_as_javascript_does() -> None:
    blocks = [{"type": "text", "text": "note\n"}, {"type": "text", "text": "smile \U0001f600"}]

    expected = hashlib.sha256("2:5:note\n:8:smile \U0001f600".encode()).hexdigest()[:16]
    assert subagents.section_hash(blocks) == expected
    # recorded from the pinned CLI for a one-block report
    assert (
        subagents.section_hash([{"type": "text", "text": "Hi there, nice to meet you!"}])
        == "95b6907f8518410c"
    )


def test_usage_has_the_clis_counters_with_the_last_replys_values_and_tokens_add_up() -> None:
    back = _handback(
        _reply(TextBlock(text="a"), message_id="m1", usage={"input_tokens": 30, "output_tokens": 7}),
        _reply(
            TextBlock(text="b"),
            message_id="m2",
            usage={"input_tokens": 70, "output_tokens": 11, "cache_read_input_tokens": 4},
        ),
    )

    usage = back.structured["usage"]
    assert (usage["input_tokens"], usage["output_tokens"], usage["cache_read_input_tokens"]) == (70, 11, 4)
    assert usage["server_tool_use"] == {"web_search_requests": 0, "web_fetch_requests": 0}
    assert back.structured["totalTokens"] == 85
    assert back.structured["resolvedModel"] == "provider/model-x"
