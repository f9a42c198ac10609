"""Session functions on transcripts the real Claude SDK wrote: the same answers as the real SDK's functions.

Differential: the real ``claude_agent_sdk`` functions and claude-compat's read the same folder.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import claude_agent_sdk
import pytest
from test_claude_sessions import FORK, GREETING, SECOND, install_claude_sessions

from claude_compat import sessions as ours
from claude_compat.errors import ClaudeSDKError, InvalidOptionError, TranscriptError
from claude_compat.sessions import project_key_for_directory
from claude_compat.types import SessionMessage


def fields(items: list[Any]) -> list[dict[str, Any]]:
    """Dataclass instances of either SDK as plain dicts (the classes differ, the fields must not)."""
    return [dict(vars(item)) for item in items]


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


def test_list_sessions_shows_claude_transcripts_as_the_claude_sdk_does(work: Path) -> None:
    for kwargs in ({"directory": str(work)}, {}, {"directory": str(work), "limit": 1, "offset": 1}):
        assert fields(ours.list_sessions(**kwargs)) == fields(claude_agent_sdk.list_sessions(**kwargs)), (
            kwargs
        )
    listed = ours.list_sessions(directory=str(work))
    assert {s.session_id for s in listed} >= {GREETING, SECOND}
    greeting = next(s for s in listed if s.session_id == GREETING)
    assert greeting.summary == greeting.custom_title == "My greeting session" and greeting.tag == "migrate-me"


def test_sessions_modified_at_the_same_moment_are_listed_in_the_claude_sdks_order(work: Path) -> None:
    """Ties on ``last_modified`` keep the Claude SDK's order (the folder's), not one of our own."""
    config = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects"
    for transcript in config.rglob("*.jsonl"):
        os.utime(transcript, (1_800_000_000, 1_800_000_000))
    for kwargs in ({"directory": str(work)}, {}):
        listed = fields(ours.list_sessions(**kwargs))
        assert len({info["last_modified"] for info in listed}) == 1, listed
        assert listed == fields(claude_agent_sdk.list_sessions(**kwargs)), kwargs


def test_get_session_info_and_messages_of_a_claude_transcript_match_the_claude_sdk(work: Path) -> None:
    for session_id in (GREETING, SECOND):
        assert fields([ours.get_session_info(session_id, str(work))]) == fields(
            [claude_agent_sdk.get_session_info(session_id, str(work))]
        )
        assert ours.get_session_messages(session_id, str(work)) == [
            SessionMessage(**vars(m)) for m in claude_agent_sdk.get_session_messages(session_id, str(work))
        ]
    page = ours.get_session_messages(GREETING, str(work), limit=2, offset=1)
    assert [m.uuid for m in page] == [
        m.uuid for m in claude_agent_sdk.get_session_messages(GREETING, str(work), limit=2, offset=1)
    ]


def test_rename_tag_and_delete_change_a_claude_transcript_as_the_claude_sdk_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path / "claude-compat-home"))
    monkeypatch.setenv("CLAUDE_COMPAT_REGISTRY", "local")
    results: dict[str, tuple[bytes, list[dict[str, Any]], list[str]]] = {}
    for side, module in (("claude", claude_agent_sdk), ("compat", ours)):
        config, work = tmp_path / side / "config", tmp_path / side / "work"
        work.mkdir(parents=True)
        folder = install_claude_sessions(config, work)
        monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
        module.rename_session(SECOND, "  Renamed  ", directory=str(work))
        module.tag_session(SECOND, "release", directory=str(work))
        module.tag_session(SECOND, None, directory=str(work))
        module.delete_session(GREETING, directory=str(work))
        with pytest.raises(FileNotFoundError):
            module.rename_session(GREETING, "gone", directory=str(work))
        text = (folder / f"{SECOND}.jsonl").read_bytes()
        infos = [dict(vars(i), cwd=None) for i in module.list_sessions(directory=str(work))]
        results[side] = (
            text.replace(str(work.resolve()).encode(), b"WORK"),
            infos,
            sorted(os.listdir(folder)),
        )

    assert results["compat"][0] == results["claude"][0]
    assert results["compat"][2] == results["claude"][2]
    strip = [
        {k: v for k, v in i.items() if k not in ("last_modified", "file_size")} for i in results["claude"][1]
    ]
    assert [
        {k: v for k, v in i.items() if k not in ("last_modified", "file_size")} for i in results["compat"][1]
    ] == strip
    renamed = next(i for i in results["compat"][1] if i["session_id"] == SECOND)
    assert renamed["custom_title"] == "Renamed" and renamed["tag"] is None


@pytest.mark.anyio
async def test_import_session_to_store_writes_what_the_claude_sdk_writes(work: Path) -> None:
    theirs_store, ours_store = (
        claude_agent_sdk.InMemorySessionStore(),
        claude_agent_sdk.InMemorySessionStore(),
    )

    await claude_agent_sdk.import_session_to_store(GREETING, theirs_store, directory=str(work), batch_size=7)
    await ours.import_session_to_store(GREETING, ours_store, directory=str(work), batch_size=7)

    assert ours_store._store == theirs_store._store
    assert any("/subagents/" in key for key in ours_store._store)
    project = project_key_for_directory(work)
    listed = await claude_agent_sdk.list_sessions_from_store(ours_store, directory=str(work))
    assert [s.session_id for s in listed] == [GREETING] and listed[0].custom_title == "My greeting session"
    assert project in next(iter(ours_store._store))


@pytest.mark.anyio
async def test_import_session_to_store_refuses_a_damaged_transcript_and_writes_nothing(work: Path) -> None:
    path = next((Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects").glob(f"*/{SECOND}.jsonl"))
    path.write_text(path.read_text() + "{not json\n")
    store = claude_agent_sdk.InMemorySessionStore()

    with pytest.raises(TranscriptError) as caught:
        await ours.import_session_to_store(SECOND, store, directory=str(work))

    assert caught.value.source == str(path) and store._store == {}


def _without_volatile(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k not in ("uuid", "timestamp")} for e in entries]


@pytest.mark.anyio
async def test_store_functions_read_and_change_a_store_as_the_claude_sdks_do(work: Path) -> None:
    stores = {
        "claude": claude_agent_sdk.InMemorySessionStore(),
        "compat": claude_agent_sdk.InMemorySessionStore(),
    }
    for store in stores.values():
        await claude_agent_sdk.import_session_to_store(GREETING, store, directory=str(work))
        await claude_agent_sdk.import_session_to_store(SECOND, store, directory=str(work))
    directory = str(work)

    ours_messages = await ours.get_session_messages_from_store(stores["compat"], GREETING, directory, 3, 1)
    theirs_messages = await claude_agent_sdk.get_session_messages_from_store(
        stores["claude"], GREETING, directory, 3, 1
    )
    assert [dict(vars(m)) for m in ours_messages] == [dict(vars(m)) for m in theirs_messages]

    await claude_agent_sdk.rename_session_via_store(stores["claude"], SECOND, " Store title ", directory)
    await ours.rename_session_via_store(stores["compat"], SECOND, " Store title ", directory)
    await claude_agent_sdk.tag_session_via_store(stores["claude"], SECOND, "kept", directory)
    await ours.tag_session_via_store(stores["compat"], SECOND, "kept", directory)
    await claude_agent_sdk.delete_session_via_store(stores["claude"], GREETING, directory)
    await ours.delete_session_via_store(stores["compat"], GREETING, directory)

    key = {"project_key": project_key_for_directory(work), "session_id": SECOND}
    assert _without_volatile(stores["compat"].get_entries(key)) == _without_volatile(
        stores["claude"].get_entries(key)
    )
    assert set(stores["compat"]._store) == set(stores["claude"]._store)
    info = await claude_agent_sdk.get_session_info_from_store(stores["compat"], SECOND, directory)
    assert info is not None and info.custom_title == "Store title" and info.tag == "kept"
    with pytest.raises(ValueError):
        await ours.rename_session_via_store(stores["compat"], "not-a-uuid", "t", directory)


def _add_nested_subagents(folder: Path) -> None:
    """Beside the recorded subagent, a nested one (a workflow run, started by that subagent) and one
    whose sidecar is damaged, both copies of the recorded subagent transcript."""
    subagents = folder / GREETING / "subagents"
    recorded = next(subagents.glob("agent-*.jsonl"))
    nested = subagents / "workflows" / "run-1" / "agent-b1.jsonl"
    nested.parent.mkdir(parents=True)
    nested.write_bytes(recorded.read_bytes())
    parent = recorded.name.removeprefix("agent-").removesuffix(".jsonl")
    nested.with_name("agent-b1.meta.json").write_text(
        f'{{"agentType":"Explore","toolUseId":"toolu_nested","parentAgentId":"{parent}"}}'
    )
    damaged = subagents / "agent-c2.jsonl"
    damaged.write_bytes(recorded.read_bytes())
    damaged.with_name("agent-c2.meta.json").write_text("{not json")


def test_list_subagents_and_their_messages_match_the_claude_sdk(work: Path, tmp_path: Path) -> None:
    folder = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects" / project_key_for_directory(work)
    _add_nested_subagents(folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    for session_id, directory in (
        (GREETING, str(work)),
        (GREETING, None),
        (SECOND, str(work)),
        (GREETING, str(elsewhere)),  # another project: the Claude SDK does not look further
        ("00000000-0000-4000-8000-000000000000", str(work)),
        ("not-a-uuid", str(work)),
    ):
        theirs = claude_agent_sdk.list_subagents(session_id, directory)
        assert ours.list_subagents(session_id, directory) == theirs, (session_id, directory)
        for agent_id in [*theirs, "missing", ""]:
            for page in ({}, {"limit": 2, "offset": 1}, {"offset": 3}, {"limit": 0}):
                assert fields(ours.get_subagent_messages(session_id, agent_id, directory, **page)) == fields(
                    claude_agent_sdk.get_subagent_messages(session_id, agent_id, directory, **page)
                ), (session_id, agent_id, directory, page)

    agents = ours.list_subagents(GREETING, str(work))
    assert len(agents) == 3 and "b1" in agents and "c2" in agents
    nested = ours.get_subagent_messages(GREETING, "b1", str(work))
    assert nested and {(m.parent_tool_use_id, m.parent_agent_id) for m in nested} == {
        ("toolu_nested", agents[0])
    }
    recorded = ours.get_subagent_messages(GREETING, agents[0], str(work))
    assert {m.parent_tool_use_id for m in recorded} == {"toolu_agent_1"}
    assert {m.parent_tool_use_id for m in ours.get_subagent_messages(GREETING, "c2", str(work))} == {None}


def _fork_file(folder: Path, fork_id: str, source: bytes) -> list[str]:
    """A fork's lines with what is fresh in every fork (its id, new uuids, times not in the source) named."""
    text = (folder / f"{fork_id}.jsonl").read_text().replace(fork_id, "FORK")
    lines = text.splitlines()
    for index, entry in enumerate(json.loads(line) for line in lines):
        text = text.replace(entry["uuid"], f"UUID-{index}")
        stamp = entry.get("timestamp")
        if stamp and stamp.encode() not in source:
            text = text.replace(stamp, "NOW")
    return text.splitlines()


def test_fork_session_of_a_claude_transcript_writes_what_the_claude_sdk_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path / "claude-compat-home"))
    monkeypatch.setenv("CLAUDE_COMPAT_REGISTRY", "local")
    results: dict[str, list[Any]] = {}
    for side, module in (("claude", claude_agent_sdk), ("compat", ours)):
        config, work = tmp_path / side / "config", tmp_path / side / "work"
        work.mkdir(parents=True)
        folder = install_claude_sessions(config, work)
        monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
        with (folder / f"{SECOND}.jsonl").open("a") as out:
            # a title between two large request records: past the 64 KiB the Claude SDK reads at each end
            blob = {"type": "api-request-blob", "sessionId": SECOND, "blob": "x" * 70000}
            title = {"type": "custom-title", "customTitle": "Middle title", "sessionId": SECOND}
            out.write("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in (blob, title, blob)))
            # a large tool result the CLI kept aside
            replacement = {"kind": "tool-result", "toolUseId": "toolu_1", "replacement": "[saved to file]"}
            out.write(
                json.dumps(
                    {"type": "content-replacement", "sessionId": SECOND, "replacements": [replacement]}
                )
            )
            out.write("\n")
        cut = [m.uuid for m in claude_agent_sdk.get_session_messages(GREETING, str(work))][3]
        outcome: list[Any] = []
        for session_id, kwargs in (
            (GREETING, {}),
            (SECOND, {}),
            (GREETING, {"up_to_message_id": cut, "title": "  Branch at the Read  "}),
            (FORK, {"directory": None}),
        ):
            source = (folder / f"{session_id}.jsonl").read_bytes()
            forked = module.fork_session(session_id, **{"directory": str(work), **kwargs})
            path = folder / f"{forked.session_id}.jsonl"
            info = module.get_session_info(forked.session_id, str(work))
            outcome.append(
                (
                    [
                        line.replace(str(work.resolve()), "WORK")
                        for line in _fork_file(folder, forked.session_id, source)
                    ],
                    oct(path.stat().st_mode & 0o777),
                    {
                        k: v
                        for k, v in vars(info).items()
                        if k not in ("session_id", "last_modified", "file_size", "cwd", "created_at")
                    },
                    module.get_session_messages(forked.session_id, str(work))[-1].message,
                    module.list_subagents(forked.session_id, str(work)),
                )
            )
        failures = []
        for session_id, kwargs in (
            ("00000000-0000-4000-8000-000000000000", {}),
            (GREETING, {"up_to_message_id": "not-a-uuid"}),
            (GREETING, {"up_to_message_id": "00000000-0000-4000-8000-000000000000"}),
            (GREETING, {"directory": str(tmp_path)}),  # not this project's session
        ):
            with pytest.raises((ValueError, FileNotFoundError)) as caught:
                module.fork_session(session_id, **{"directory": str(work), **kwargs})
            # a missing session is a FileNotFoundError on both sides (on ours also a SessionNotFoundError)
            failures.append("missing" if isinstance(caught.value, FileNotFoundError) else "invalid")
        outcome.append(failures)
        outcome.append(len(list(folder.glob("*.jsonl"))))
        results[side] = outcome

    assert results["compat"] == results["claude"]
    titles = [forked[2]["custom_title"] for forked in results["compat"][:4]]
    assert titles == [
        "My greeting session (fork)",
        f"{results['compat'][1][2]['first_prompt']} (fork)",
        "Branch at the Read",
        "My greeting session (fork) (fork)",
    ]
    assert any('"type":"content-replacement"' in line for line in results["compat"][1][0])
    assert results["compat"][4] == ["missing", "invalid", "invalid", "missing"]
    assert results["compat"][5] == 3 + 4  # the recorded sessions and the four forks


def test_fork_session_errors_of_a_claude_transcript_are_claude_compat_errors(work: Path) -> None:
    with pytest.raises(ClaudeSDKError) as missing:
        ours.fork_session("00000000-0000-4000-8000-000000000000", str(work))
    assert isinstance(missing.value, FileNotFoundError)
    with pytest.raises(InvalidOptionError, match="not found in session"):
        ours.fork_session(GREETING, str(work), up_to_message_id="00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidOptionError, match="Invalid up_to_message_id"):
        ours.fork_session(GREETING, str(work), up_to_message_id="message-1")


def test_a_git_worktrees_sessions_are_found_from_another_worktree_as_the_claude_sdk_finds_them(
    work: Path, tmp_path: Path
) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)

    git("init", "-q")
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "start",
    )
    other = tmp_path / "other-worktree"
    git("worktree", "add", "-q", str(other))

    assert ours.list_subagents(GREETING, str(other)) == claude_agent_sdk.list_subagents(GREETING, str(other))
    assert ours.list_subagents(GREETING, str(other))
    agent = ours.list_subagents(GREETING, str(other))[0]
    assert fields(ours.get_subagent_messages(GREETING, agent, str(other))) == fields(
        claude_agent_sdk.get_subagent_messages(GREETING, agent, str(other))
    )
    assert fields([ours.get_session_info(SECOND, str(other))]) == fields(
        [claude_agent_sdk.get_session_info(SECOND, str(other))]
    )
