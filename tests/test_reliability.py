"""Faults and concurrency: killed processes, stuck approvals, parallel turns, garbage from the model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat import (
    ClaudeAgentOptions,
    PermissionResultAllow,
    ResultMessage,
    UserMessage,
    query,
    unstable_v2_resumeSession,
)
from claude_compat.errors import LettaConnectionError
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn
from claude_compat.testing._script import last_user_text, message_text
from letta_backend.backend import NEVER_RAN
from letta_backend.leases import TURN_WAIT_ENV
from letta_backend.registry import Registry
from letta_backend.server import LocalLettaServer

pytestmark = [pytest.mark.anyio, pytest.mark.letta]

CHILD = textwrap.dedent(
    """
    import anyio, pathlib, sys
    from claude_compat import ClaudeAgentOptions, query

    marker = pathlib.Path(sys.argv[1])

    async def hang(name, tool_input, context):
        marker.write_text("waiting")
        await anyio.sleep(3600)

    async def main():
        async for m in query(prompt="write the file", options=ClaudeAgentOptions(can_use_tool=hang)):
            if type(m).__name__ == "SystemMessage" and m.subtype == "init":
                print(m.data["session_id"], flush=True)

    anyio.run(main)
    """
)


async def test_a_process_killed_during_a_tool_approval_leaves_a_resumable_session(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(
        Turn(tool_calls=[ToolCall("Write", {"file_path": str(tmp_path / "x.txt"), "content": "x"}, id="c1")])
    )
    marker = tmp_path / "marker"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        cwd=tmp_path,
    )
    try:
        with anyio.fail_after(60):
            while not marker.exists():
                assert proc.poll() is None, "the child exited before asking for permission"
                await anyio.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stdout is not None
    session_id = proc.stdout.readline().strip()
    assert Registry(Path(os.environ["CLAUDE_COMPAT_HOME"]) / "sessions.db").get(session_id) is not None

    scripted_model.push("back again")
    messages = [
        m async for m in query(prompt="are you there?", options=ClaudeAgentOptions(resume=session_id))
    ]

    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "back again"
    assert not (tmp_path / "x.txt").exists()
    sent = scripted_model.completions[-1].messages
    assert any(m["role"] == "tool" for m in sent)  # the stuck call was answered (as an error) first


async def test_two_turns_sent_to_one_session_at_once_do_not_interleave(scripted_model: ScriptedModel) -> None:
    scripted_model.push("first")
    first = [m async for m in query(prompt="start")]
    session_id = first[-1].session_id
    scripted_model.add_rule(Rule(last_user="alpha", reply=Turn(text="reply alpha", delay=1.0), times=1))
    scripted_model.add_rule(Rule(last_user="beta", reply=Turn(text="reply beta"), times=1))
    results: dict[str, Any] = {}

    async def turn(word: str) -> None:
        session = unstable_v2_resumeSession(session_id)
        async with session:
            await session.send(word)
            results[word] = [m async for m in session.stream()][-1]

    async with anyio.create_task_group() as tg:
        tg.start_soon(turn, "alpha")
        await anyio.sleep(0.2)
        tg.start_soon(turn, "beta")

    assert results["alpha"].result == "reply alpha" and results["beta"].result == "reply beta"
    last = scripted_model.completions[-1].messages
    contents = [message_text(m) for m in last]
    # beta's request saw alpha's whole exchange before it: no interleaving
    assert contents.index("alpha") < contents.index("reply alpha") < contents.index("beta")


async def test_malformed_tool_arguments_become_an_error_result_and_the_turn_goes_on(
    scripted_model: ScriptedModel,
) -> None:
    body = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": scripted_model.model_id,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "bad1",
                            "type": "function",
                            "function": {"name": "Read", "arguments": "{not json"},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    scripted_model.push(Turn(raw_body=json.dumps(body)))
    scripted_model.add_rule(Rule(last_tool=".", reply=Turn(text="recovered"), times=1))
    seen: list[Any] = []

    async for m in query(prompt="read something"):
        seen.append(m)

    assert isinstance(seen[-1], ResultMessage)
    results = [m.content[0] for m in seen if isinstance(m, UserMessage)]
    assert results and results[0].is_error and "malformed" in str(results[0].content)
    assert seen[-1].result == "recovered"


async def test_a_slow_model_is_not_cut_short_by_a_client_timeout(scripted_model: ScriptedModel) -> None:
    scripted_model.push(Turn(text="worth the wait", delay=4.0))

    messages = [m async for m in query(prompt="slow please")]

    assert messages[-1].result == "worth the wait"


async def test_a_path_escaping_cwd_is_refused_headless_and_never_read(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "secret.txt").write_text("top secret\n")
    (work / "link").symlink_to(tmp_path / "secret.txt")
    scripted_model.push(
        Turn(
            tool_calls=[
                ToolCall("Read", {"file_path": "../secret.txt"}, id="c1"),
                ToolCall("Read", {"file_path": "link"}, id="c2"),
            ]
        )
    )
    scripted_model.add_rule(Rule(last_tool=".", reply=Turn(text="could not read"), times=1))

    messages = [m async for m in query(prompt="read the secret", options=ClaudeAgentOptions(cwd=work))]

    results = [m.content[0] for m in messages if isinstance(m, UserMessage)]
    assert [r.is_error for r in results] == [True, True]
    assert "top secret" not in str(scripted_model.completions[-1].messages)


async def test_a_huge_prompt_is_delivered_or_refused_with_a_typed_error(
    scripted_model: ScriptedModel,
) -> None:
    from claude_compat.errors import ClaudeSDKError

    prompt = "x" * 1_000_000
    try:
        messages = [m async for m in query(prompt=prompt)]
    except ClaudeSDKError:
        return  # a typed refusal is fine; a traceback from inside the package is not
    assert isinstance(messages[-1], ResultMessage)


TURN_CHILD = textwrap.dedent(
    """
    import anyio, json, sys
    from claude_compat import ClaudeAgentOptions, ClaudeSDKError, query

    async def main():
        try:
            options = ClaudeAgentOptions(resume=sys.argv[1])
            messages = [m async for m in query(prompt=sys.argv[2], options=options)]
            print(json.dumps({"result": messages[-1].result}), flush=True)
        except ClaudeSDKError as exc:
            print(json.dumps({"error": type(exc).__name__, "message": str(exc)}), flush=True)

    anyio.run(main)
    """
)


def _turn_in_child(session_id: str, prompt: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Another process sending one prompt to the session (prints its result or error as JSON)."""
    return subprocess.Popen(
        [sys.executable, "-c", TURN_CHILD, session_id, prompt],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _outcome(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return dict(json.loads(out.strip().splitlines()[-1]))


async def _until_the_model_is_asked(model: ScriptedModel, prompt: str) -> None:
    with anyio.fail_after(60):
        while not any(last_user_text([m]) == prompt for c in model.completions for m in c.messages):
            await anyio.sleep(0.05)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the turns run in child processes
async def test_two_processes_on_one_session_take_turns_and_the_history_stays_in_order(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push("first")
    session_id = [m async for m in query(prompt="start")][-1].session_id
    scripted_model.add_rule(Rule(last_user="alpha", reply=Turn(text="reply alpha", delay=2.0), times=1))
    scripted_model.add_rule(Rule(last_user="beta", reply=Turn(text="reply beta"), times=1))

    alpha = _turn_in_child(session_id, "alpha")
    await _until_the_model_is_asked(scripted_model, "alpha")
    beta = _turn_in_child(session_id, "beta")  # sent while alpha's model call is in flight

    assert _outcome(alpha) == {"result": "reply alpha"}
    assert _outcome(beta) == {"result": "reply beta"}
    contents = [message_text(m) for m in scripted_model.completions[-1].messages]
    # beta's model call saw alpha's whole exchange first: nothing interleaved
    assert contents.index("alpha") < contents.index("reply alpha") < contents.index("beta")


HOLDING_CHILD = textwrap.dedent(
    """
    import anyio, pathlib, sys
    from claude_compat import ClaudeAgentOptions, PermissionResultDeny, query

    held, release = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])

    async def wait_for_release(name, tool_input, context):
        held.write_text("holding the session")
        with anyio.fail_after(60):
            while not release.exists():
                await anyio.sleep(0.05)
        return PermissionResultDeny(message="not now")

    async def main():
        options = ClaudeAgentOptions(resume=sys.argv[1], can_use_tool=wait_for_release)
        messages = [m async for m in query(prompt="alpha", options=options)]
        print(messages[-1].result, flush=True)

    anyio.run(main)
    """
)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the turns run in child processes
async def test_a_turn_from_another_process_that_cannot_wait_gets_session_busy_error_and_sends_nothing(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push("first")
    session_id = [m async for m in query(prompt="start")][-1].session_id
    scripted_model.add_rule(
        Rule(
            last_user="alpha",
            reply=Turn(tool_calls=[ToolCall("Write", {"file_path": str(tmp_path / "y"), "content": "y"})]),
            times=1,
        )
    )
    scripted_model.add_rule(Rule(last_tool=".", reply=Turn(text="reply alpha"), times=1))
    held, release = tmp_path / "held", tmp_path / "release"
    alpha = subprocess.Popen(
        [sys.executable, "-c", HOLDING_CHILD, session_id, str(held), str(release)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        with anyio.fail_after(60):
            while not held.exists():
                assert alpha.poll() is None, "the holding turn ended early"
                await anyio.sleep(0.05)

        refused = _outcome(_turn_in_child(session_id, "beta", {TURN_WAIT_ENV: "0.5"}))
    finally:
        release.write_text("go on")
    out, _ = alpha.communicate(timeout=60)

    assert out.strip() == "reply alpha"
    assert refused["error"] == "SessionBusyError"
    assert f"pid {alpha.pid} on this host" in refused["message"] and TURN_WAIT_ENV in refused["message"]
    assert not any(
        last_user_text([m]) == "beta" for c in scripted_model.completions for m in c.messages
    )  # the refused turn sent nothing


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # each run costs two server starts
async def test_a_write_allowed_while_the_server_was_killed_is_stored_as_done_after_the_restart(
    scripted_model: ScriptedModel,
    own_letta_server: LocalLettaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", own_letta_server.base_url)
    monkeypatch.setenv("LETTA_API_KEY", own_letta_server.api_key)
    target = tmp_path / "x.txt"
    write = ToolCall("Write", {"file_path": str(target), "content": "x"}, id="w1")
    scripted_model.push(Turn(tool_calls=[write]))

    async def kill_server_then_allow(name: str, tool_input: dict[str, Any], context: Any) -> Any:
        assert own_letta_server.pid is not None
        os.killpg(own_letta_server.pid, signal.SIGKILL)
        return PermissionResultAllow()

    seen: list[Any] = []
    with pytest.raises(LettaConnectionError):
        options = ClaudeAgentOptions(cwd=tmp_path, can_use_tool=kill_server_then_allow)
        async for m in query(prompt="write x", options=options):
            seen.append(m)
    session_id = seen[0].data["session_id"]
    assert target.read_text() == "x"  # the tool ran: the server died before hearing of it
    own_letta_server._kill()
    own_letta_server.start()
    monkeypatch.setenv("LETTA_BASE_URL", own_letta_server.base_url)
    monkeypatch.setenv("LETTA_API_KEY", own_letta_server.api_key)

    scripted_model.push("noted")
    resumed = [m async for m in query(prompt="did it work?", options=ClaudeAgentOptions(resume=session_id))]

    assert isinstance(resumed[-1], ResultMessage) and resumed[-1].result == "noted"
    tool_results = [m for m in scripted_model.completions[-1].messages if m["role"] == "tool"]
    stored = str(tool_results[-1]["content"])
    assert NEVER_RAN not in stored and "x.txt" in stored  # the Write's own success text
