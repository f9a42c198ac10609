"""Turn leases and the registry file: one turn at a time per session, dead holders freed, damage named.

Pure SQLite and process logic, no Letta server: the end-to-end cases (two processes on one
session, a killed client resumed) are in test_reliability.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import anyio
import pytest

from claude_compat import SessionBusyError, SessionRegistryError
from letta_backend import leases
from letta_backend.registry import LocalSessionRegistry, Registry, SessionRecord


def _record(i: int) -> SessionRecord:
    return SessionRecord(f"s-{i}", "http://x", "agent-1", f"conv-{i}", cwd="/p", first_prompt="p" * 200)


def test_a_claim_of_a_process_on_another_host_blocks_others_until_its_ttl_runs_out(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "sessions.db")
    remote = leases.Holder("remote-turn", "some-other-host", 4242)
    assert reg.acquire_lease("conv-1", remote, ttl=0.3).ok

    refused = reg.acquire_lease("conv-1", leases.Holder.new(), ttl=30)
    time.sleep(0.4)  # the remote holder never renews: it died
    taken = reg.acquire_lease("conv-1", leases.Holder.new(), ttl=30)

    assert not refused.ok and refused.other is not None and refused.other.holder == remote
    assert taken.ok and taken.other is not None and taken.other.holder == remote  # a stale claim replaced


HOLD_AND_SLEEP = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from letta_backend.leases import Holder
    from letta_backend.registry import Registry

    reg = Registry(Path(sys.argv[1]))
    assert reg.acquire_lease("conv-1", Holder.new(), ttl=3600).ok
    print("held", flush=True)
    time.sleep(3600)
    """
)


def test_a_lease_held_by_a_sigkilled_process_of_this_host_is_free_at_once(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    Registry(path)
    command = [sys.executable, "-c", HOLD_AND_SLEEP, str(path)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        reg = Registry(path)
        while_alive = reg.acquire_lease("conv-1", leases.Holder.new(), ttl=30)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()

    after_kill = reg.acquire_lease("conv-1", leases.Holder.new(), ttl=30)

    assert not while_alive.ok and while_alive.other is not None
    assert while_alive.other.holder.pid == proc.pid
    assert after_kill.ok  # its hour-long TTL did not matter: its process is gone


@pytest.mark.anyio
async def test_a_turn_longer_than_the_ttl_keeps_its_lease_by_heartbeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(leases.LEASE_TTL_ENV, "0.3")
    reg = Registry(tmp_path / "sessions.db")
    store = LocalSessionRegistry(reg)
    remote_claims: list[leases.Acquired] = []

    async with leases.hold(store, "conv-1", session_id="s-1"):
        for _ in range(4):  # 1.2 s in all: four TTLs
            await anyio.sleep(0.3)
            other = leases.Holder("remote-turn", "some-other-host", 4242)
            remote_claims.append(reg.acquire_lease("conv-1", other, ttl=30))
    after = reg.acquire_lease("conv-1", leases.Holder("remote-turn", "some-other-host", 4242), ttl=30)

    assert [c.ok for c in remote_claims] == [False] * 4
    assert after.ok and after.other is None  # released on exit, not left to expire


@pytest.mark.anyio
async def test_a_second_turn_waits_at_most_the_turn_wait_then_gets_session_busy_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(leases.TURN_WAIT_ENV, "0.2")
    reg = Registry(tmp_path / "sessions.db")
    remote = leases.Holder("remote-turn", "some-other-host", 4242)
    assert reg.acquire_lease("conv-1", remote, ttl=30).ok

    with pytest.raises(SessionBusyError) as caught:
        async with leases.hold(LocalSessionRegistry(reg), "conv-1", session_id="s-1"):
            pytest.fail("the body ran while another process held the session")

    message = str(caught.value)
    assert "pid 4242 on host some-other-host" in message and leases.TURN_WAIT_ENV in message
    assert "s-1" in message


@pytest.mark.anyio
async def test_two_turns_of_one_process_run_one_after_the_other(tmp_path: Path) -> None:
    store = LocalSessionRegistry(Registry(tmp_path / "sessions.db"))
    order: list[str] = []

    async def turn(name: str) -> None:
        async with leases.hold(store, "conv-1", session_id="s-1"):
            order.append(f"{name} start")
            await anyio.sleep(0.1)
            order.append(f"{name} end")

    async with anyio.create_task_group() as tg:
        tg.start_soon(turn, "a")
        await anyio.sleep(0.02)
        tg.start_soon(turn, "b")

    assert order == ["a start", "a end", "b start", "b end"]


def test_a_registry_overwritten_with_garbage_raises_a_typed_error_naming_the_file_and_backup(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sessions.db"
    registry = Registry(path)
    registry.put(_record(1))
    os.utime(registry.backup_path, (0, 0))  # the backup is due: the next open refreshes it
    Registry(path)
    path.write_bytes(b"this is not a database" * 200)

    with pytest.raises(SessionRegistryError) as caught:
        Registry(path)

    err = caught.value
    assert err.path == str(path) and err.backup == str(path) + ".bak"
    assert f"cp {path}.bak {path}" in str(err)
    assert path.read_bytes().startswith(b"this is not a database")  # never reset
    shutil.copy(f"{path}.bak", path)  # the fix the message gives
    assert Registry(path).get("s-1") is not None


def test_a_zero_byte_registry_is_refused_instead_of_silently_starting_empty(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    Registry(path).put(_record(1))
    path.write_bytes(b"")

    with pytest.raises(SessionRegistryError, match="empty"):
        Registry(path)

    assert path.stat().st_size == 0


def test_a_registry_damaged_inside_raises_a_typed_error_on_the_first_query_that_meets_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sessions.db"
    reg = Registry(path)
    for i in range(300):
        reg.put(_record(i))
    reg._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page :] = b"\xff" * (len(data) - 2 * page)  # smash every page after the schema
    path.write_bytes(bytes(data))

    with pytest.raises(SessionRegistryError, match=str(path)):
        Registry(path).list()


def test_a_new_registry_is_never_visible_as_a_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"

    Registry(path)

    assert path.stat().st_size > 0
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
