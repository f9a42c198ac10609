"""Session functions on transcripts the real Claude SDK wrote: the same answers as the real SDK's functions.

Differential: the real ``claude_agent_sdk`` functions and claude-compat's read the same folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import claude_agent_sdk
import pytest
from test_claude_sessions import GREETING, SECOND, install_claude_sessions

from claude_compat import sessions as ours
from claude_compat.errors import TranscriptError
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
