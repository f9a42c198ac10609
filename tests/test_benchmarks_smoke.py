"""The benchmark scripts run end to end in --quick mode and print their ratio lines (no timing checks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import pytest

from claude_compat.testing import ScriptedModel, ScriptedModelServer

pytestmark = pytest.mark.letta

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


class LettaServer(Protocol):
    """What the ``letta_server`` fixture gives: a running server's URL."""

    @property
    def base_url(self) -> str: ...


def run_quick(script: str, letta_url: str, model_server: ScriptedModelServer, *extra: str) -> str:
    """Run ``benchmarks/<script> --quick`` against the session's server pair; returns its stdout."""
    port = urlsplit(model_server.base_url).port
    server_args = ["--letta-url", letta_url, "--model-port", str(port)]
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", *server_args, *extra],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=BENCHMARKS.parent,
    )
    assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_overhead_prints_the_ratio_of_each_surface_to_raw_letta_client(
    letta_server: LettaServer, scripted_model_server: ScriptedModelServer, scripted_model: ScriptedModel
) -> None:
    out = run_quick("overhead.py", letta_server.base_url, scripted_model_server, "--profile")

    assert "ratio ClaudeSDKClient / raw letta-client: p50 " in out
    assert "ratio query() streaming / raw letta-client: p50 " in out
    assert "extra client CPU" in out
    assert "top claude-compat entries under ClaudeSDKClient" in out


def test_provisioning_prints_the_shared_to_session_ratios_and_checks_isolation(
    letta_server: LettaServer, scripted_model_server: ScriptedModelServer, scripted_model: ScriptedModel
) -> None:
    out = run_quick("provisioning.py", letta_server.base_url, scripted_model_server)

    for blocks in ("without memory blocks", "with memory blocks"):
        for what in ("open only", "open + first turn"):
            assert f"ratio shared / session, {blocks}, {what}: p50 " in out
    assert "isolation: shared sessions do not see each other's memory block edits: OK" in out


def test_vs_claude_prints_the_time_and_memory_ratios_against_the_real_sdk(
    letta_server: LettaServer, scripted_model_server: ScriptedModelServer, scripted_model: ScriptedModel
) -> None:
    pytest.importorskip("claude_agent_sdk")
    out = run_quick("vs_claude.py", letta_server.base_url, scripted_model_server)

    assert "ratio time to first message, one-turn query(): p50 " in out
    assert "ratio total time, one-turn query(): p50 " in out
    assert "ratio total time, 5-turn ClaudeSDKClient (connect … disconnect): p50 " in out
    assert "ratio RSS per session, claude-compat client growth / real CLI peak: " in out
    assert "real SDK, CLI process per session: VmHWM p50 " in out


def test_scale_prints_throughput_failures_idle_memory_and_registry_lookups(
    letta_server: LettaServer, scripted_model_server: ScriptedModelServer, scripted_model: ScriptedModel
) -> None:
    out = run_quick("scale.py", letta_server.base_url, scripted_model_server)

    assert "concurrent sessions: " in out and " sessions/s (one turn each); failures: " in out
    assert "cold burst, 5 sessions at once on a new configuration: failures " in out
    assert "idle RSS per session, ClaudeSDKClient, connected, no turn: slope " in out
    assert "idle RSS per session, V2 session, idle after one turn: slope " in out
    assert "registry get() p99 at 10000 sessions: " in out
    assert "Letta-side registry get() p99 at 10 sessions: " in out


def test_import_throughput_prints_sessions_and_messages_per_second(
    letta_server: LettaServer, scripted_model_server: ScriptedModelServer, scripted_model: ScriptedModel
) -> None:
    out = run_quick("import_throughput.py", letta_server.base_url, scripted_model_server)

    assert "import (4 at once): 10 sessions, " in out and " sessions/s, " in out and " messages/s" in out
    assert "second run: 10 skipped, 0 imported" in out
