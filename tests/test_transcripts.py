"""Reading the transcripts the real Claude CLI writes: the conversation, its metadata, and bad input.

The fixtures under tests/fixtures/claude_config were written by the real Claude CLI offline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claude_compat._internal import transcripts
from claude_compat.errors import TranscriptError
from letta_backend.claude_import import agent_file_with_history, letta_messages

FIXTURE = Path(__file__).parent / "fixtures" / "claude_config" / "projects" / "-tmp-rec1-work"
GREETING = FIXTURE / "46e0388c-61ce-45e8-b11d-bc8423ad1a63.jsonl"
FORK = FIXTURE / "b6dd2921-b502-448f-97cd-0ab46634a1ca.jsonl"


def test_the_conversation_of_a_cli_transcript_comes_back_in_order_with_every_kind_of_block() -> None:
    history = transcripts.history(transcripts.read_transcript(GREETING))

    assert [m["role"] for m in history[:8]] == ["user", "assistant"] * 4
    assert history[0]["content"] == [{"type": "text", "text": "Say hello please"}]
    assert [b["type"] for b in history[1]["content"]] == ["thinking", "text"]
    assert [b["type"] for b in history[3]["content"]] == ["text", "tool_use"]
    assert history[3]["content"][1]["id"] == "toolu_read_1"
    assert history[4]["content"][0]["type"] == "tool_result"
    assert history[4]["content"][0]["tool_use_id"] == "toolu_read_1"
    assert history[7]["content"] == [{"type": "text", "text": "The file says alpha and beta."}]


def test_the_session_metadata_is_the_last_title_and_tag_and_the_first_prompt() -> None:
    transcript = transcripts.read_transcript(GREETING)

    assert transcript.last("custom-title") == "My greeting session"
    assert transcript.last("tag") == "migrate-me"
    assert transcript.first_prompt == "Say hello please"
    assert transcript.cwd == "/tmp/rec1/work"
    assert transcripts.read_transcript(FORK).last("custom-title") == "My greeting session (fork)"


def test_subagent_transcripts_are_found_beside_their_session() -> None:
    assert list(transcripts.subagent_files(GREETING)) == ["a0389d6c900c1bfb2"]


def test_the_history_becomes_letta_messages_with_tool_calls_and_tool_returns() -> None:
    converted = letta_messages(transcripts.history(transcripts.read_transcript(GREETING)))

    call = next(m for m in converted if m.get("tool_calls"))
    result = next(m for m in converted if m["role"] == "tool")
    assert call["tool_calls"][0]["id"] == "toolu_read_1"
    assert json.loads(call["tool_calls"][0]["function"]["arguments"]) == {
        "file_path": "/tmp/rec1/work/notes.txt"
    }
    assert (
        result["tool_call_id"] == "toolu_read_1"
        and "alpha" in json.loads(result["content"][0]["text"])["message"]
    )
    assert converted[1]["content"][0] == {
        "type": "reasoning",
        "is_native": True,
        "reasoning": "The user greets me.",
        "signature": converted[1]["content"][0]["signature"],
    }


@pytest.mark.parametrize(
    ("tail", "line_offset", "words"),
    [
        ('{"type":"user","uuid":"x"', 1, "cut off"),
        ('{"type":"user" oops}\n', 1, "not a JSON line"),
        ('{"uuid":"a"}\n', 1, "no 'type'"),
        ('{"type":"brand-new-turn","uuid":"a","parentUuid":"b"}\n', 1, "unknown entry type 'brand-new-turn'"),
        ('{"type":"assistant","uuid":"a","parentUuid":null}\n', 1, "no 'message'"),
        ("[1, 2]\n", 1, "JSON object"),
    ],
)
def test_bad_lines_are_refused_naming_the_file_and_line(
    tmp_path: Path, tail: str, line_offset: int, words: str
) -> None:
    good = GREETING.read_text()
    path = tmp_path / "s.jsonl"
    path.write_text(good + tail)

    with pytest.raises(TranscriptError) as caught:
        transcripts.read_transcript(path)

    assert caught.value.source == str(path)
    assert caught.value.line == good.count("\n") + line_offset
    assert words in str(caught.value)


def test_unknown_metadata_entries_are_read_past_and_lenient_reading_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(
        GREETING.read_text() + '{"type":"some-future-metadata","x":1}\n{broken\n{"type":"tag","tag":""}\n'
    )

    with pytest.raises(TranscriptError):
        transcripts.read_transcript(path)
    lenient = transcripts.read_transcript(path, strict=False)
    assert lenient.last("tag") is None and len(transcripts.history(lenient)) > 8


def test_a_transcript_of_another_directory_says_where_it_ran() -> None:
    transcript = transcripts.read_transcript(GREETING)

    with pytest.raises(TranscriptError, match="ran in /tmp/rec1/work"):
        transcript.check_cwd("/somewhere/else")


def test_imported_messages_never_reuse_an_id_of_the_exported_agent_file() -> None:
    # an export numbers ids per kind but not always from 0 (Letta's serializer is shared)
    exported = {
        "agents": [{"id": "agent-2", "messages": [{"id": "message-3", "role": "system"}]}],
        "blocks": [{"id": "block-5"}],
    }
    history = transcripts.history(transcripts.read_transcript(GREETING))

    data = agent_file_with_history(exported, history)

    ids = [m["id"] for m in data["agents"][0]["messages"]]
    assert len(ids) == len(set(ids)) > 1
    assert not {"agent-2", "block-5"} & set(ids)
    assert data["agents"][0]["in_context_message_ids"] == ids
