"""The registry kept on the Letta server: a session made on one machine resumes on another.

Each "machine" is its own CLAUDE_COMPAT_HOME (its own local sessions.db) reaching the same server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat.errors import InvalidOptionError, SessionNotFoundError
from claude_compat.sessions import delete_session, get_session_info, list_sessions, rename_session
from claude_compat.testing import ScriptedModel
from letta_backend.backend import LettaBackend
from letta_backend.letta_registry import LettaSessionRegistry
from letta_backend.registry import Registry, SessionRecord

pytestmark = [pytest.mark.letta]


@pytest.fixture
def machines(scripted_model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Switch between two machines' homes; both keep their registry on the Letta server."""
    monkeypatch.setenv("CLAUDE_COMPAT_REGISTRY", "letta")
    monkeypatch.setenv("CLAUDE_COMPAT_AGENT_SCOPE", "shared")

    def on(name: str) -> Path:
        home = tmp_path / f"machine-{name}"
        monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(home))
        return home

    return on


async def run(prompt: str, **options: Any) -> ResultMessage:
    messages = [m async for m in query(prompt=prompt, options=ClaudeAgentOptions(**options))]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    return result


def seen_by_model(model: ScriptedModel) -> str:
    return str(model.completions[-1].messages)


@pytest.mark.anyio
async def test_a_session_made_on_one_machine_resumes_on_another(
    machines: Any, scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    machines("a")
    first = await run("My name is Ada.", cwd=tmp_path)

    home_b = machines("b")
    again = await run("What is my name?", resume=first.session_id, cwd=tmp_path)

    assert again.session_id == first.session_id
    assert "My name is Ada." in seen_by_model(scripted_model)
    assert Registry(home_b / "sessions.db").get(first.session_id) is None  # nothing kept locally


@pytest.mark.anyio
async def test_continue_conversation_on_another_machine_finds_the_latest_session_of_the_cwd(
    machines: Any, scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    machines("a")
    await run("older session", cwd=tmp_path)
    latest = await run("newest session marker", cwd=tmp_path)

    machines("b")
    again = await run("go on", cwd=tmp_path, continue_conversation=True)

    assert again.session_id == latest.session_id
    assert "newest session marker" in seen_by_model(scripted_model)


@pytest.mark.anyio
async def test_session_functions_on_another_machine_list_rename_and_delete(
    machines: Any, scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    machines("a")
    made = await run("list me elsewhere", cwd=tmp_path)

    machines("b")
    listed = list_sessions(directory=str(tmp_path))
    rename_session(made.session_id, "named on machine b")

    assert [s.session_id for s in listed] == [made.session_id]
    assert listed[0].first_prompt == "list me elsewhere"
    machines("a")
    info = get_session_info(made.session_id)
    assert info is not None and info.custom_title == "named on machine b"
    machines("b")
    delete_session(made.session_id)
    machines("a")
    assert get_session_info(made.session_id) is None
    with pytest.raises(SessionNotFoundError, match="the Letta server at"):
        await run("still there?", resume=made.session_id)


@pytest.mark.anyio
async def test_sessions_of_one_configuration_share_an_agent_across_machines(
    machines: Any, scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    options: dict[str, Any] = {"cwd": tmp_path, "system_prompt": f"shared across machines {tmp_path}"}
    machines("a")
    first = await run("from a", **options)
    machines("b")
    second = await run("from b", **options)

    backend = await LettaBackend.connect(registry="letta")
    try:
        one = await backend.sessions.get(first.session_id)
        two = await backend.sessions.get(second.session_id)
    finally:
        await backend.aclose()
    assert one is not None and two is not None
    assert one.agent_id == two.agent_id and one.conversation_id != two.conversation_id


@pytest.mark.anyio
async def test_concurrent_writers_on_many_machines_lose_no_session(
    machines: Any, scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    cwd = str(tmp_path / "busy")
    backends = [await LettaBackend.connect(registry="letta") for _ in range(8)]

    async def writer(worker: int, backend: LettaBackend) -> None:
        for i in range(5):
            await backend.sessions.put(
                SessionRecord(
                    session_id=f"{worker:08d}-0000-4000-8000-{i:012d}",
                    server_url="ignored",
                    agent_id=f"agent-{worker}",
                    conversation_id=f"conv-{worker}-{i}",
                    cwd=cwd,
                )
            )

    try:
        async with anyio.create_task_group() as group:
            for worker, backend in enumerate(backends):
                group.start_soon(writer, worker, backend)
        registry = backends[0].sessions
        listed = await registry.list(cwd)
        found = await registry.by_conversation("conv-3-4")
    finally:
        for backend in backends:
            await backend.aclose()

    assert len(listed) == 40
    assert found is not None and found.session_id == "00000003-0000-4000-8000-000000000004"
    assert all(r.server_url == backends[0].conn.base_url for r in listed)


@pytest.mark.anyio
async def test_the_registry_option_picks_the_server_registry(scripted_model: ScriptedModel) -> None:
    backend = await LettaBackend.connect(registry="letta")
    local = await LettaBackend.connect(registry="local")
    try:
        assert isinstance(backend.sessions, LettaSessionRegistry)
        assert backend.sessions.where.startswith("the Letta server at ")
        assert local.sessions.where.endswith("sessions.db")
    finally:
        await backend.aclose()
        await local.aclose()


@pytest.mark.anyio
async def test_an_unknown_registry_name_is_a_typed_error(
    scripted_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_COMPAT_REGISTRY", "cloud")

    with pytest.raises(InvalidOptionError, match="CLAUDE_COMPAT_REGISTRY must be 'local'"):
        await run("hi")


@pytest.mark.anyio
async def test_the_turn_lease_on_the_server_admits_one_machine_at_a_time_and_frees_a_dead_one(
    scripted_model: ScriptedModel,
) -> None:
    import os

    from letta_backend import leases

    backend = await LettaBackend.connect(base_url=os.environ["LETTA_BASE_URL"])
    machine_a = LettaSessionRegistry(backend.client, backend.conn.base_url)
    machine_b = LettaSessionRegistry(backend.client, backend.conn.base_url)
    key = f"conv-lease-{os.urandom(4).hex()}"
    a, b = leases.Holder("turn-a", "host-a", 1), leases.Holder("turn-b", "host-b", 2)
    try:
        held = await machine_a.acquire_lease(key, a, ttl=30)
        refused = await machine_b.acquire_lease(key, b, ttl=30)
        renewed = await anyio.to_thread.run_sync(machine_a.renew_lease, key, a, 0.5)
        await anyio.sleep(0.6)  # machine a stops renewing: it died
        taken = await machine_b.acquire_lease(key, b, ttl=30)
        lost = await anyio.to_thread.run_sync(machine_a.renew_lease, key, a, 30)
        await machine_b.release_lease(key, b)
        left = [blk async for blk in backend.client.blocks.list(tags=[f"cc-lease:{key}"], limit=10)]
    finally:
        await backend.aclose()

    assert held.ok and not refused.ok and refused.other is not None and refused.other.holder == a
    assert renewed and taken.ok and taken.other is not None and taken.other.holder == a
    assert not lost  # the dead holder learns it has lost the lease
    assert left == []  # nothing stays behind on the server
