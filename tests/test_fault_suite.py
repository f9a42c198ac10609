"""The fault suite: kill -9 of the client and of the server at each phase of a turn, then resume;
many processes taking turns and writing the registry at once. Nothing may be lost or stuck.

Every injected fault is followed by a resume that must succeed with the history in order and each
tool call's stored result saying what really happened. Figures are in RELIABILITY.md.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat.errors import ClaudeSDKError
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn
from claude_compat.testing._script import message_text
from letta_backend import leases
from letta_backend.backend import NEVER_RAN, OUTCOME_UNKNOWN
from letta_backend.registry import LocalSessionRegistry, Registry, SessionRecord
from letta_backend.server import LocalLettaServer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CLIENT = textwrap.dedent(
    """
    import anyio, json, pathlib, sys
    from claude_compat import ClaudeAgentOptions, query

    cfg = json.loads(sys.argv[1])

    async def hang(name, tool_input, context):
        pathlib.Path(cfg["marker"]).write_text("approval pending")
        await anyio.sleep(3600)

    async def main():
        options = ClaudeAgentOptions(
            resume=cfg["resume"],
            cwd=cfg["cwd"],
            permission_mode=cfg["mode"],
            can_use_tool=hang if cfg["mode"] == "default" else None,
        )
        async for message in query(prompt=cfg["prompt"], options=options):
            pass

    anyio.run(main)
    """
)


def _contents(model: ScriptedModel) -> list[str]:
    return [message_text(m) for m in model.completions[-1].messages]


def _asked(model: ScriptedModel, text: str) -> bool:
    return any(message_text(m) == text for c in model.completions for m in c.messages)


def _asked_with_tool_result(model: ScriptedModel, prompt: str) -> bool:
    return any(
        c.messages and c.messages[-1].get("role") == "tool" and _asked_in(c.messages, prompt)
        for c in model.completions
    )


def _asked_in(messages: list[Any], text: str) -> bool:
    return any(message_text(m) == text for m in messages)


async def _session(model: ScriptedModel, cwd: Path) -> str:
    model.push("ready")
    first = [m async for m in query(prompt="start", options=ClaudeAgentOptions(cwd=cwd))]
    return str(first[-1].session_id)


async def _resume(model: ScriptedModel, session_id: str, prompt: str, cwd: Path) -> ResultMessage:
    options = ClaudeAgentOptions(resume=session_id, cwd=cwd)
    messages = [m async for m in query(prompt=prompt, options=options)]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and not result.is_error, result
    return result


# (phase, mode, the reply rules to add, the moment to kill, what the resume must find)
Phase = tuple[str, str, Callable[[Path], list[Rule]], Callable[[ScriptedModel, Path], bool], str | None]

CLIENT_PHASES: list[Phase] = [
    (
        "model-call",
        "bypassPermissions",
        lambda tmp: [Rule(last_user="^fault$", reply=Turn(text="late reply", delay=2.0), times=1)],
        lambda model, tmp: _asked(model, "fault"),
        None,
    ),
    (
        "approval-pending",
        "default",
        lambda tmp: [
            Rule(
                last_user="^fault$",
                reply=Turn(tool_calls=[ToolCall("Write", {"file_path": str(tmp / "w"), "content": "w"})]),
                times=1,
            )
        ],
        lambda model, tmp: (tmp / "marker").exists(),
        NEVER_RAN,
    ),
    (
        "tool-running",
        "bypassPermissions",
        lambda tmp: [
            Rule(
                last_user="^fault$",
                reply=Turn(tool_calls=[ToolCall("Bash", {"command": f"touch {tmp / 'started'} && sleep 5"})]),
                times=1,
            )
        ],
        lambda model, tmp: (tmp / "started").exists(),
        OUTCOME_UNKNOWN,
    ),
    (
        "result-being-sent",
        "bypassPermissions",
        lambda tmp: [
            Rule(
                last_user="^fault$",
                reply=Turn(tool_calls=[ToolCall("Bash", {"command": "echo tool-output"})]),
                times=1,
            ),
            Rule(last_tool="tool-output", reply=Turn(text="late reply", delay=2.0), times=1),
        ],
        lambda model, tmp: _asked_with_tool_result(model, "fault"),
        "tool-output",
    ),
]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the faulty client is a child process
@pytest.mark.parametrize("phase", CLIENT_PHASES, ids=lambda p: p[0])
async def test_a_client_killed_at_any_phase_of_a_turn_leaves_a_session_that_resumes_in_order(
    scripted_model: ScriptedModel, tmp_path: Path, phase: Phase
) -> None:
    name, mode, rules, kill_when, stored = phase
    session_id = await _session(scripted_model, tmp_path)
    scripted_model.add_rule(Rule(last_user="^resume$", reply=Turn(text="resumed"), times=1))
    for rule in rules(tmp_path):
        scripted_model.add_rule(rule)
    cfg = {"resume": session_id, "cwd": str(tmp_path), "mode": mode, "prompt": "fault"}
    cfg["marker"] = str(tmp_path / "marker")
    child = subprocess.Popen([sys.executable, "-c", CLIENT, json.dumps(cfg)], cwd=tmp_path)
    try:
        with anyio.fail_after(60):
            while not kill_when(scripted_model, tmp_path):
                assert child.poll() is None, f"the client ended before the {name} phase"
                await anyio.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()

    result = await _resume(scripted_model, session_id, "resume", tmp_path)

    assert result.result == "resumed"
    contents = _contents(scripted_model)
    assert contents.index("fault") < contents.index("resume")
    if name in ("model-call", "result-being-sent"):
        # the dead client's run finished on the server before the resumed turn was sent
        assert contents.index("fault") < contents.index("late reply") < contents.index("resume")
    if stored is not None:
        tool_results = [
            str(m["content"]) for m in scripted_model.completions[-1].messages if m["role"] == "tool"
        ]
        assert stored in tool_results[-1]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # each run costs a server restart
async def test_a_server_killed_while_a_tool_runs_stores_the_tool_s_real_result_after_the_restart(
    scripted_model: ScriptedModel,
    own_letta_server: LocalLettaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", own_letta_server.base_url)
    monkeypatch.setenv("LETTA_API_KEY", own_letta_server.api_key)
    session_id = await _session(scripted_model, tmp_path)
    assert own_letta_server.pid is not None
    # the tool itself kills the server: it dies while the tool runs, before hearing the result
    command = f"kill -KILL -{own_letta_server.pid}; echo tool-finished"
    scripted_model.add_rule(Rule(last_user="^resume$", reply=Turn(text="resumed"), times=1))
    scripted_model.add_rule(
        Rule(last_user="^fault$", reply=Turn(tool_calls=[ToolCall("Bash", {"command": command})]), times=1)
    )

    with pytest.raises(ClaudeSDKError):
        options = ClaudeAgentOptions(resume=session_id, cwd=tmp_path, permission_mode="bypassPermissions")
        [m async for m in query(prompt="fault", options=options)]
    own_letta_server._kill()  # reap it
    own_letta_server.start()
    monkeypatch.setenv("LETTA_BASE_URL", own_letta_server.base_url)
    monkeypatch.setenv("LETTA_API_KEY", own_letta_server.api_key)

    result = await _resume(scripted_model, session_id, "resume", tmp_path)

    assert result.result == "resumed"
    tool_results = [str(m["content"]) for m in scripted_model.completions[-1].messages if m["role"] == "tool"]
    assert "tool-finished" in tool_results[-1]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # each run costs a server restart
async def test_a_server_killed_during_the_model_call_fails_the_turn_and_the_session_resumes(
    scripted_model: ScriptedModel,
    own_letta_server: LocalLettaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", own_letta_server.base_url)
    monkeypatch.setenv("LETTA_API_KEY", own_letta_server.api_key)
    session_id = await _session(scripted_model, tmp_path)
    scripted_model.add_rule(Rule(last_user="^resume$", reply=Turn(text="resumed"), times=1))
    scripted_model.add_rule(Rule(last_user="^fault$", reply=Turn(text="never heard", delay=3.0), times=1))

    async def kill_when_asked() -> None:
        while not _asked(scripted_model, "fault"):
            await anyio.sleep(0.02)
        assert own_letta_server.pid is not None
        os.killpg(own_letta_server.pid, signal.SIGKILL)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            tg.start_soon(kill_when_asked)
            with pytest.raises(ClaudeSDKError):  # the turn fails loudly, never half-reported
                [m async for m in query(prompt="fault", options=ClaudeAgentOptions(resume=session_id))]
    own_letta_server._kill()
    own_letta_server.start()
    monkeypatch.setenv("LETTA_BASE_URL", own_letta_server.base_url)
    monkeypatch.setenv("LETTA_API_KEY", own_letta_server.api_key)

    result = await _resume(scripted_model, session_id, "resume", tmp_path)

    assert result.result == "resumed"
    assert "never heard" not in _contents(scripted_model)


SHARED_TURNS = textwrap.dedent(
    """
    import anyio, sys
    from claude_compat import ClaudeAgentOptions, query

    async def main():
        for i in range(int(sys.argv[3])):
            prompt = f"p{sys.argv[2]}-{i}"
            messages = [m async for m in query(prompt=prompt, options=ClaudeAgentOptions(resume=sys.argv[1]))]
            assert messages[-1].result == "r" + prompt, messages[-1]
        print("ok", flush=True)

    anyio.run(main)
    """
)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the turns run in child processes
async def test_eight_processes_taking_turns_on_one_session_lose_nothing_and_never_interleave(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    session_id = await _session(scripted_model, tmp_path)
    processes, turns = 8, 2
    for p in range(processes):
        for i in range(turns):
            scripted_model.add_rule(Rule(last_user=f"^p{p}-{i}$", reply=Turn(text=f"rp{p}-{i}"), times=1))
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SHARED_TURNS, session_id, str(p), str(turns)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]
    outs = [c.communicate(timeout=300)[0].strip() for c in children]

    assert outs == ["ok"] * processes
    scripted_model.add_rule(Rule(last_user="^check$", reply=Turn(text="checked"), times=1))
    await _resume(scripted_model, session_id, "check", tmp_path)
    history = [c for c in _contents(scripted_model) if c.startswith(("p", "rp"))]
    assert len(history) == 2 * processes * turns  # every prompt and reply is stored
    prompts, replies = history[0::2], history[1::2]
    assert replies == ["r" + p for p in prompts]  # each reply right after its own prompt


#: Lease rounds per process (8 x 1000 took 53 s on 2 shared cores; 250 keeps the suite short).
ROUNDS = 250


def _lease_and_count(path: str, worker: int, rounds: int) -> None:
    """Take the lease on one of four shared sessions, then read-modify-write its counter."""

    async def main() -> None:
        reg = Registry(Path(path))
        store = LocalSessionRegistry(reg)
        for i in range(rounds):
            key = f"conv-{(worker + i) % 4}"
            async with leases.hold(store, key, session_id=key):
                record = reg.get(key)
                assert record is not None
                reg.touch(key, title=str(int(record.title or "0") + 1))  # lost without the lease

    anyio.run(main)


def test_eight_processes_taking_hundreds_of_leases_each_lose_no_registry_write(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    reg = Registry(path)
    for k in range(4):
        reg.put(SessionRecord(f"conv-{k}", "http://x", "agent-1", f"conv-{k}"))
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_lease_and_count, args=(str(path), w, ROUNDS)) for w in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(300)
        assert w.exitcode == 0

    counts = [int(reg.get(f"conv-{k}").title or "0") for k in range(4)]  # type: ignore[union-attr]
    assert sum(counts) == 8 * ROUNDS
    assert reg._one("SELECT count(*) FROM turn_leases") == (0,)  # every lease was released
