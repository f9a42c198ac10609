"""Store functions on any SessionStore: the same store read or changed by the real Claude SDK's
functions and by claude-compat's gives the same result (differential), and a session that lives
only on Letta, copied into a store, is read back by the real SDK as claude-compat shows it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import claude_agent_sdk
import pytest
from claude_agent_sdk.testing import run_session_store_conformance
from test_claude_sessions import FORK, GREETING, SECOND, install_claude_sessions

import claude_compat
from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat import sessions as ours
from claude_compat._backend import SessionSpec
from claude_compat.errors import InvalidOptionError, SessionNotFoundError, TranscriptError
from claude_compat.sessions import project_key_for_directory
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from claude_compat.types import SessionKey, SessionStoreEntry, SessionStoreListEntry
from letta_backend.backend import LettaBackend

if TYPE_CHECKING:
    from conftest import RealCli

SUBAGENT = "a0389d6c900c1bfb2"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def fields(items: list[Any]) -> list[dict[str, Any]]:
    """Dataclass instances of either SDK as plain dicts (the classes differ, the fields must not)."""
    return [dict(vars(item)) for item in items]


class MinimalStore(claude_agent_sdk.InMemorySessionStore):
    """A store with only append, load and list_sessions (the Claude SDK protocol's defaults for the rest)."""

    list_session_summaries = claude_agent_sdk.SessionStore.list_session_summaries
    list_subkeys = claude_agent_sdk.SessionStore.list_subkeys
    delete = claude_agent_sdk.SessionStore.delete


class StaleSummaryStore(claude_agent_sdk.InMemorySessionStore):
    """Summaries older than the transcripts for one session, so listing must load that one."""

    async def list_session_summaries(self, project_key: str) -> list[Any]:
        summaries = await super().list_session_summaries(project_key)
        return [
            {**s, "mtime": s["mtime"] - 1000, "data": {}} if s["session_id"] == SECOND else s
            for s in summaries
        ]


class FlakyLoadStore(MinimalStore):
    """Loading one session fails: a listing shows it with an empty summary instead of failing."""

    async def load(self, key: SessionKey) -> list[SessionStoreEntry] | None:  # type: ignore[override]
        if key["session_id"] == SECOND:
            raise ConnectionError("store unreachable")
        return await super().load(key)  # type: ignore[arg-type]


class OwnProtocolStore(claude_compat.SessionStore):
    """A store written against claude-compat's protocol: append, load and list_sessions only."""

    def __init__(self) -> None:
        self.inner = claude_compat.InMemorySessionStore()

    async def append(self, key: SessionKey, entries: list[SessionStoreEntry]) -> None:
        await self.inner.append(key, entries)

    async def load(self, key: SessionKey) -> list[SessionStoreEntry] | None:
        return await self.inner.load(key)

    async def list_sessions(self, project_key: str) -> list[SessionStoreListEntry]:
        return await self.inner.list_sessions(project_key)


STORES: dict[str, Callable[[], Any]] = {
    "claude-in-memory": claude_agent_sdk.InMemorySessionStore,
    "compat-in-memory": claude_compat.InMemorySessionStore,
    "minimal": MinimalStore,
    "stale-summaries": StaleSummaryStore,
    "flaky-load": FlakyLoadStore,
}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory whose recorded Claude sessions sit in a fresh config folder; no claude-compat sessions."""
    config, work = tmp_path / "claude-config", tmp_path / "work"
    work.mkdir()
    install_claude_sessions(config, work)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path / "claude-compat-home"))
    monkeypatch.setenv("CLAUDE_COMPAT_REGISTRY", "local")
    return work


async def filled(kind: str, work: Path) -> Any:
    """A store of ``kind`` holding the three recorded sessions (and a subagent), as the real SDK imports."""
    store = STORES[kind]()
    for session_id in (GREETING, SECOND, FORK):
        await claude_agent_sdk.import_session_to_store(session_id, store, directory=str(work))
    return store


@pytest.mark.anyio
@pytest.mark.parametrize("kind", list(STORES))
async def test_list_sessions_from_store_lists_as_the_claude_sdk_does(kind: str, work: Path) -> None:
    store = await filled(kind, work)
    await claude_agent_sdk.rename_session_via_store(store, SECOND, "Second, renamed", str(work))

    for kwargs in (
        {},
        {"limit": 1},
        {"limit": 2, "offset": 1},
        {"offset": 2},
        {"offset": -1, "limit": 2},
        {"limit": 0},
    ):
        mine = await ours.list_sessions_from_store(store, str(work), **kwargs)
        theirs = await claude_agent_sdk.list_sessions_from_store(store, str(work), **kwargs)
        assert fields(mine) == fields(theirs), kwargs

    listed = await ours.list_sessions_from_store(store, str(work))
    assert len(listed) == 3
    assert [i.last_modified for i in listed] == sorted((i.last_modified for i in listed), reverse=True)
    by_id = {i.session_id: i for i in listed}
    if kind == "flaky-load":
        assert by_id[SECOND].summary == ""
    else:
        assert by_id[SECOND].summary == by_id[SECOND].custom_title == "Second, renamed"
        assert by_id[GREETING].tag == "migrate-me" and by_id[GREETING].cwd == str(work.resolve())
    assert await ours.list_sessions_from_store(store, str(work / "elsewhere")) == []


@pytest.mark.anyio
async def test_listing_a_store_that_cannot_list_is_a_value_error_as_in_the_claude_sdk(work: Path) -> None:
    class AppendOnly(claude_agent_sdk.SessionStore):
        async def append(self, key: Any, entries: list[Any]) -> None: ...

        async def load(self, key: Any) -> list[Any] | None:
            return None

    with pytest.raises(ValueError):
        await claude_agent_sdk.list_sessions_from_store(AppendOnly(), str(work))
    with pytest.raises(InvalidOptionError, match="list_sessions"):
        await ours.list_sessions_from_store(AppendOnly(), str(work))


@pytest.mark.anyio
async def test_a_store_on_claude_compats_protocol_is_listed_and_read_as_by_the_claude_sdk(work: Path) -> None:
    store = OwnProtocolStore()
    for session_id in (GREETING, SECOND):
        await ours.import_session_to_store(session_id, store, directory=str(work))

    mine = await ours.list_sessions_from_store(store, str(work))
    # The real SDK calls the protocol's list_session_summaries, which raises NotImplementedError
    # and sends it to its loading path, as ours goes there directly.
    theirs = await claude_agent_sdk.list_sessions_from_store(store, str(work))

    assert fields(mine) == fields(theirs) and {i.session_id for i in mine} == {GREETING, SECOND}
    with pytest.raises(InvalidOptionError, match="list_subkeys"):
        await ours.list_subagents_from_store(store, GREETING, str(work))
    # The real SDK takes this protocol's list_subkeys default for a method and fails on it; ours
    # reads the direct path, which gives what the real SDK reads from the transcript files.
    assert fields(
        await ours.get_subagent_messages_from_store(store, GREETING, SUBAGENT, str(work))
    ) == fields(claude_agent_sdk.get_subagent_messages(GREETING, SUBAGENT, str(work)))


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["claude-in-memory", "compat-in-memory", "minimal"])
async def test_get_session_info_from_store_matches_the_claude_sdk(kind: str, work: Path) -> None:
    store = await filled(kind, work)
    forked = await claude_agent_sdk.fork_session_via_store(store, GREETING, str(work))

    for session_id in (GREETING, SECOND, FORK, forked.session_id, UNKNOWN, "not-a-uuid", "conv-123"):
        mine = await ours.get_session_info_from_store(store, session_id, str(work))
        theirs = await claude_agent_sdk.get_session_info_from_store(store, session_id, str(work))
        assert (mine is None) == (theirs is None), session_id
        if mine is None or theirs is None:
            continue
        # A transcript whose last entry has no timestamp is dated "now" by both: a volatile value.
        assert fields([mine])[0] | {"last_modified": 0} == fields([theirs])[0] | {"last_modified": 0}
        assert abs(mine.last_modified - theirs.last_modified) < 60_000

    info = await ours.get_session_info_from_store(store, forked.session_id, str(work))
    assert info is not None and info.custom_title == "My greeting session (fork)"


@pytest.mark.anyio
async def test_get_session_messages_from_store_pages_as_the_claude_sdk_does(work: Path) -> None:
    store = await filled("claude-in-memory", work)

    for kwargs in ({}, {"limit": 3}, {"limit": 2, "offset": 4}, {"offset": 5}, {"offset": -2, "limit": 1}):
        mine = await ours.get_session_messages_from_store(store, GREETING, str(work), **kwargs)
        theirs = await claude_agent_sdk.get_session_messages_from_store(store, GREETING, str(work), **kwargs)
        assert fields(mine) == fields(theirs), kwargs
        assert mine or kwargs.get("offset", 0) >= 5


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["claude-in-memory", "compat-in-memory", "minimal"])
async def test_subagents_in_a_store_are_listed_and_read_as_by_the_claude_sdk(kind: str, work: Path) -> None:
    store = await filled(kind, work)
    nested: SessionKey = {
        "project_key": project_key_for_directory(work),
        "session_id": GREETING,
        "subpath": "subagents/workflows/run-1/agent-nested1",
    }
    await store.append(
        nested,
        [
            {
                "type": "user",
                "uuid": "u-1",
                "parentUuid": None,
                "isSidechain": True,
                "sessionId": GREETING,
                "message": {"role": "user", "content": "nested task"},
            },
            {
                "type": "assistant",
                "uuid": "a-1",
                "parentUuid": "u-1",
                "isSidechain": True,
                "sessionId": GREETING,
                "message": {"role": "assistant", "content": [{"type": "text", "text": "done"}]},
            },
            {"type": "agent_metadata", "toolUseId": "toolu_nested", "parentAgentId": SUBAGENT},
        ],
    )

    if kind == "minimal":
        with pytest.raises(ValueError):
            await claude_agent_sdk.list_subagents_from_store(store, GREETING, str(work))
        with pytest.raises(InvalidOptionError, match="list_subkeys"):
            await ours.list_subagents_from_store(store, GREETING, str(work))
    else:
        mine = await ours.list_subagents_from_store(store, GREETING, str(work))
        assert mine == await claude_agent_sdk.list_subagents_from_store(store, GREETING, str(work))
        assert sorted(mine) == sorted([SUBAGENT, "nested1"])
    for session_id, agent_id in (
        (GREETING, SUBAGENT),
        (GREETING, "nested1"),
        (GREETING, ""),
        (SECOND, SUBAGENT),
    ):
        for kwargs in ({}, {"limit": 1}, {"offset": 1}):
            mine_messages = await ours.get_subagent_messages_from_store(
                store, session_id, agent_id, str(work), **kwargs
            )
            theirs_messages = await claude_agent_sdk.get_subagent_messages_from_store(
                store, session_id, agent_id, str(work), **kwargs
            )
            assert fields(mine_messages) == fields(theirs_messages), (session_id, agent_id, kwargs)
    direct = await ours.get_subagent_messages_from_store(store, GREETING, SUBAGENT, str(work))
    assert direct and direct[0].parent_tool_use_id == "toolu_agent_1"
    assert [m.type for m in direct] == ["user", "assistant"]
    assert await ours.list_subagents_from_store(store, "not-a-uuid", str(work)) == []


def _normalised(entries: list[dict[str, Any]], fork_id: str) -> list[dict[str, Any]]:
    """A fork's entries with its fresh uuids, session id and fork time (the last message's and the
    added entries' timestamps) replaced by stable names."""
    names = {e["uuid"]: f"uuid-{i}" for i, e in enumerate(entries)}
    last_message = max(
        i for i, e in enumerate(entries) if e["type"] in ("user", "assistant", "system", "attachment")
    )
    out = []
    for index, entry in enumerate(entries):
        copy = {
            k: names.get(v, v) if k in ("uuid", "parentUuid", "logicalParentUuid") else v
            for k, v in entry.items()
        }
        assert copy["sessionId"] == fork_id
        copy["sessionId"] = "FORK"
        if index >= last_message:
            copy["timestamp"] = "FORK-TIME"
        out.append(copy)
    return out


@pytest.mark.anyio
async def test_fork_session_via_store_writes_what_the_claude_sdk_writes(work: Path) -> None:
    store = await filled("claude-in-memory", work)
    project = project_key_for_directory(work)
    messages = await claude_agent_sdk.get_session_messages_from_store(store, GREETING, str(work))
    cases: list[tuple[str, dict[str, Any]]] = [
        (GREETING, {}),
        (SECOND, {}),
        (FORK, {}),
        (GREETING, {"up_to_message_id": messages[3].uuid}),
        (GREETING, {"title": "  Branch B  "}),
        (SECOND, {"title": "   "}),
    ]

    for session_id, kwargs in cases:
        mine = await ours.fork_session_via_store(store, session_id, str(work), **kwargs)
        theirs = await claude_agent_sdk.fork_session_via_store(store, session_id, str(work), **kwargs)

        mine_entries = store.get_entries({"project_key": project, "session_id": mine.session_id})
        theirs_entries = store.get_entries({"project_key": project, "session_id": theirs.session_id})
        assert _normalised(mine_entries, mine.session_id) == _normalised(theirs_entries, theirs.session_id)
        assert mine.session_id != theirs.session_id
        mine_read = await claude_agent_sdk.get_session_messages_from_store(store, mine.session_id, str(work))
        theirs_read = await claude_agent_sdk.get_session_messages_from_store(
            store, theirs.session_id, str(work)
        )
        assert [m.message for m in mine_read] == [m.message for m in theirs_read] != []
        if "up_to_message_id" in kwargs:
            assert [m.message for m in mine_read] == [m.message for m in messages[:4]]

    titles = {i.custom_title for i in await ours.list_sessions_from_store(store, str(work))}
    assert {"My greeting session (fork)", "Branch B", "A separate second session (fork)"} <= titles


@pytest.mark.anyio
async def test_fork_session_via_store_refuses_bad_input_as_the_claude_sdk_does(work: Path) -> None:
    store = await filled("claude-in-memory", work)
    key: SessionKey = {"project_key": project_key_for_directory(work), "session_id": UNKNOWN}
    metadata_only = "11111111-1111-4111-8111-111111111111"
    await store.append(
        {"project_key": key["project_key"], "session_id": metadata_only},
        [{"type": "custom-title", "customTitle": "no messages"}],
    )
    cases: list[tuple[dict[str, Any], type[Exception], type[Exception]]] = [
        ({"session_id": "not-a-uuid"}, ValueError, InvalidOptionError),
        ({"session_id": GREETING, "up_to_message_id": "not-a-uuid"}, ValueError, InvalidOptionError),
        ({"session_id": UNKNOWN}, FileNotFoundError, SessionNotFoundError),
        ({"session_id": GREETING, "up_to_message_id": UNKNOWN}, ValueError, InvalidOptionError),
        ({"session_id": metadata_only}, ValueError, TranscriptError),
    ]
    before = dict(store._store)
    for kwargs, claude_error, ours_error in cases:
        with pytest.raises(claude_error):
            await claude_agent_sdk.fork_session_via_store(store, directory=str(work), **kwargs)
        with pytest.raises(ours_error) as caught:
            await ours.fork_session_via_store(store, directory=str(work), **kwargs)
        assert isinstance(caught.value, claude_error), kwargs
    assert store._store == before


@pytest.mark.anyio
async def test_claude_compats_in_memory_store_passes_the_claude_sdks_conformance_harness() -> None:
    await run_session_store_conformance(claude_compat.InMemorySessionStore)


# ---------------------------------------------------------------------------
# A session that lives only on Letta, copied into a store
# ---------------------------------------------------------------------------


async def run(prompt: str, **options: Any) -> ResultMessage:
    messages = [m async for m in query(prompt=prompt, options=ClaudeAgentOptions(**options))]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    return result


def _joined(messages: list[Any]) -> list[dict[str, Any]]:
    """Messages as Anthropic turns: entries of one assistant reply (same id) and of one batch of
    tool results joined again, as the CLI splits them."""
    out: list[dict[str, Any]] = []
    for m in messages:
        content = m.message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        results = all(b.get("type") == "tool_result" for b in blocks)
        same_reply = out and m.type == "assistant" == out[-1]["role"] and m.message.get("id") == out[-1]["id"]
        same_results = out and results and out[-1]["role"] == "user" and out[-1]["results"]
        if same_reply or same_results:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": m.type, "id": m.message.get("id"), "content": blocks, "results": results})
    return [{"role": t["role"], "content": t["content"]} for t in out]


@pytest.mark.letta
@pytest.mark.anyio
async def test_a_letta_session_imported_to_a_store_reads_back_in_the_claude_sdk(
    scripted_model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    notes = tmp_path / "notes.txt"
    notes.write_text("alpha\n")
    scripted_model.push(
        Turn(reasoning="read it", text="Reading.", tool_calls=[ToolCall("Read", {"file_path": str(notes)})]),
        Turn(text="It says alpha."),
        Turn(text="Bye."),
    )
    first = await run("What is in notes.txt?", cwd=tmp_path, allowed_tools=["Read"])
    await run("Thanks, goodbye", cwd=tmp_path, resume=first.session_id)
    ours.rename_session(first.session_id, "Notes chat")
    ours.tag_session(first.session_id, "letta")
    session_id = first.session_id
    on_letta = ours.get_session_messages(session_id)
    store, again = claude_agent_sdk.InMemorySessionStore(), claude_agent_sdk.InMemorySessionStore()

    await ours.import_session_to_store(session_id, store, batch_size=3)
    await ours.import_session_to_store(session_id, again)

    directory = str(tmp_path)
    read_back = await claude_agent_sdk.get_session_messages_from_store(store, session_id, directory)
    assert _joined(read_back) == _joined(on_letta)
    assert [b["type"] for t in _joined(read_back) for b in t["content"]] == [
        "text",
        "thinking",
        "text",
        "tool_use",
        "tool_result",
        "text",
        "text",
        "text",
    ]
    assert all(m.session_id == session_id for m in read_back)
    [info] = await claude_agent_sdk.list_sessions_from_store(store, directory)
    assert (info.session_id, info.custom_title, info.summary, info.tag) == (
        session_id,
        "Notes chat",
        "Notes chat",
        "letta",
    )
    assert info.first_prompt == "What is in notes.txt?" and info.cwd == str(tmp_path.resolve())
    mine_info = await ours.get_session_info_from_store(store, session_id, directory)
    theirs_info = await claude_agent_sdk.get_session_info_from_store(store, session_id, directory)
    assert mine_info is not None and theirs_info is not None
    assert dict(vars(mine_info), last_modified=0) == dict(vars(theirs_info), last_modified=0)
    key: SessionKey = {"project_key": project_key_for_directory(tmp_path), "session_id": session_id}
    assert store.get_entries(key) == again.get_entries(key)  # the same entries each time: idempotent
    forked = await claude_agent_sdk.fork_session_via_store(store, session_id, directory)
    assert _joined(
        await claude_agent_sdk.get_session_messages_from_store(store, forked.session_id, directory)
    ) == (_joined(on_letta))
    with pytest.raises(FileNotFoundError):
        await ours.import_session_to_store(UNKNOWN, store)


@pytest.mark.letta
@pytest.mark.anyio
async def test_a_letta_sessions_subagents_come_along_into_the_store(
    scripted_model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
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
    store, bare = claude_agent_sdk.InMemorySessionStore(), claude_agent_sdk.InMemorySessionStore()

    await ours.import_session_to_store(parent.session_id, store)
    await ours.import_session_to_store(parent.session_id, bare, include_subagents=False)

    directory = str(tmp_path)
    assert ours.list_subagents(parent.session_id) == ["subagent-call_7"]
    # In a store a subagent is keyed by the Agent call that started it, as the live mirror keys it.
    assert await claude_agent_sdk.list_subagents_from_store(store, parent.session_id, directory) == ["call_7"]
    assert await claude_agent_sdk.list_subagents_from_store(bare, parent.session_id, directory) == []
    read_back = await claude_agent_sdk.get_subagent_messages_from_store(
        store, parent.session_id, "call_7", directory
    )
    on_letta = ours.get_subagent_messages(parent.session_id, "subagent-call_7")
    assert _joined(read_back) == _joined(on_letta) and [m.type for m in read_back] == ["user", "assistant"]
    assert {m.parent_tool_use_id for m in read_back} == {"call_7"}
    [listed] = await claude_agent_sdk.list_sessions_from_store(store, directory)
    assert listed.session_id == parent.session_id  # the subagent is no session of its own


@pytest.mark.letta
@pytest.mark.anyio
async def test_the_real_sdk_resumes_a_letta_session_from_the_store_it_was_imported_to(
    scripted_model: ScriptedModel, real_cli: RealCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "compat-claude-config"))
    work = tmp_path / "work"
    work.mkdir()
    scripted_model.push(Turn(text="The code word is heron."))
    first = await run("Remember the code word heron", cwd=work)
    store = claude_agent_sdk.InMemorySessionStore()
    await ours.import_session_to_store(first.session_id, store)
    anthropic = ScriptedModel("claude-sonnet-4-5").push(Turn(text="It was heron."))
    home = tmp_path / "claude-home"

    results = await real_cli.query(
        "What was the code word?",
        anthropic,
        home=home,
        cwd=str(work),
        model="claude-sonnet-4-5",
        resume=first.session_id,
        session_store=store,
    )

    result = results[-1]
    assert isinstance(result, claude_agent_sdk.ResultMessage) and not result.is_error
    assert result.session_id == first.session_id and result.result == "It was heron."
    [request] = [r for r in anthropic.requests if r.tools]
    sent = json.dumps(request.messages)
    assert "Remember the code word heron" in sent and "The code word is heron." in sent
    assert sent.index("Remember the code word heron") < sent.index("What was the code word?")


def _long_session(session_id: str, cwd: str, title_at: int) -> list[dict[str, Any]]:
    """A transcript of 300 turns (far over the 64 KiB the Claude SDK reads of each end), titled and
    tagged after turn ``title_at``."""
    out: list[dict[str, Any]] = []
    parent = None
    for turn in range(300):
        for kind, content in (
            ("user", f"prompt {turn} " + "x" * 300),
            ("assistant", [{"type": "text", "text": "ok " * 90}]),
        ):
            entry_uuid = f"{turn:08d}-0000-4000-8000-{0 if kind == 'user' else 1:012d}"
            out.append(
                {
                    "type": kind,
                    "uuid": entry_uuid,
                    "parentUuid": parent,
                    "sessionId": session_id,
                    "cwd": cwd,
                    "gitBranch": f"branch-{turn}",
                    "timestamp": f"2026-01-01T{turn // 60:02d}:{turn % 60:02d}:00.000Z",
                    "message": {"role": kind, "content": content},
                }
            )
            parent = entry_uuid
        out.append({"type": "last-prompt", "lastPrompt": f"prompt {turn}", "sessionId": session_id})
        if turn == title_at:
            out.append({"type": "custom-title", "customTitle": f"titled at {turn}", "sessionId": session_id})
            out.append({"type": "tag", "tag": f"tag-{turn}", "sessionId": session_id})
    return out


@pytest.mark.anyio
@pytest.mark.parametrize("title_at", [1, 150, 299])
async def test_a_long_session_is_summarised_from_its_ends_as_the_claude_sdk_does(
    title_at: int, work: Path
) -> None:
    session_id = "22222222-2222-4222-8222-222222222222"
    entries = _long_session(session_id, str(work.resolve()), title_at)
    store = MinimalStore()
    await store.append({"project_key": project_key_for_directory(work), "session_id": session_id}, entries)
    folder = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects" / project_key_for_directory(work)
    (folder / f"{session_id}.jsonl").write_text(
        "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries)
    )

    from_store = await ours.list_sessions_from_store(store, str(work))
    assert fields(from_store) == fields(await claude_agent_sdk.list_sessions_from_store(store, str(work)))
    on_disk = [i for i in ours.list_sessions(str(work)) if i.session_id == session_id]
    assert fields(on_disk) == fields(
        [i for i in claude_agent_sdk.list_sessions(str(work)) if i.session_id == session_id]
    )
    [info] = on_disk
    assert info.first_prompt is not None and info.first_prompt.startswith("prompt 0 ")
    assert info.git_branch == "branch-299"
    # A title set in the middle of a long transcript is out of both windows: the last prompt shows.
    expected = "prompt 299" if title_at == 150 else f"titled at {title_at}"
    assert info.summary == from_store[0].summary == expected
