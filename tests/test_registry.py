"""The local session registry: SQLite WAL shared by many processes without losing a write."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from letta_backend.registry import Registry, SessionRecord


def _writer(path: str, worker: int, count: int) -> None:
    reg = Registry(Path(path))
    for i in range(count):
        reg.put(
            SessionRecord(
                session_id=f"s-{worker}-{i}",
                server_url="http://x",
                agent_id=f"agent-{worker}",
                conversation_id=f"conv-{worker}-{i}",
                cwd=f"/w{worker}",
            )
        )


@pytest.mark.slow
def test_eight_processes_writing_a_thousand_sessions_each_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    Registry(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 1000)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0

    reg = Registry(path)
    assert len(reg.list()) == 8 * 1000
    assert reg.get("s-3-999") is not None


def test_lookup_by_conversation_latest_by_cwd_touch_and_delete(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.db")
    reg.put(SessionRecord("a", "u", "agent-1", "conv-1", cwd="/p"))
    reg.put(SessionRecord("b", "u", "agent-1", "conv-2", cwd="/p"))
    reg.put(SessionRecord("c", "u", "agent-1", "conv-3", cwd="/q"))
    reg.touch("a", title="renamed")

    assert reg.latest("/p") is not None and reg.latest("/p").session_id == "a"  # type: ignore[union-attr]
    assert reg.by_conversation("conv-2") is not None
    assert reg.get("a").title == "renamed"  # type: ignore[union-attr]
    assert reg.delete("b") and not reg.delete("b")
    assert reg.get("b") is None
