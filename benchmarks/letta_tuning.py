"""Letta server CPU per plain turn and per client-tool round trip, tuned vs stock, in one run.

Starts one scripted model (in this process; it answers at once) and two LocalLettaServers on it,
one with ``CLAUDE_COMPAT_LETTA_TUNING=all`` (the default) and one with ``none`` (stock Letta
0.16.8), then drives both in turn (ABBA, so load drifts hit both alike) through letta-client, the
way claude-compat does: one agent, one conversation, 13 client tools, ``stream_tokens`` off.
Server CPU is utime + stime of the server process (all threads) from /proc, per request.

    python benchmarks/letta_tuning.py [--rounds 20] [--quick] [--tuned all] [--stock none]

Prints ms of server CPU per plain turn and per tool round trip (two requests), and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import claude_compat  # noqa: F401  (first: importing letta_backend alone is a circular import)
from claude_compat.testing import ScriptedModel, ScriptedModelServer, ToolCall, Turn
from letta_backend import _tuning
from letta_backend.server import LocalLettaServer

TOOLS = [
    {
        "name": f"tool_{i}",
        "description": f"scripted client tool {i}",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    }
    for i in range(13)
]
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _reply(request: Any) -> Turn:
    last = request.messages[-1] if request.messages else {}
    if last.get("role") == "tool":
        return Turn(text="done")
    content = str(last.get("content", ""))
    if "use a tool" in content:
        return Turn(tool_calls=[ToolCall("tool_0", {"q": "x"})])
    return Turn(text="ok")


class Side:
    """One server under test: its client, agent and conversation."""

    def __init__(self, name: str, server: LocalLettaServer) -> None:
        from letta_client import Letta

        self.name = name
        self.server = server
        self.client = Letta(base_url=server.base_url, api_key=server.api_key, timeout=120)
        handles = [m.handle for m in self.client.models.list() if m.handle and "scripted" in m.handle]
        agent = self.client.agents.create(
            name=f"bench-{name}",
            agent_type="letta_v1_agent",
            model=handles[0],
            system="You are a scripted benchmark agent.",
            memory_blocks=[{"label": "persona", "value": "bench"}],
            include_base_tools=False,
            tools=[],
            model_settings={"provider_type": "openai", "parallel_tool_calls": True},
        )
        self.conversation = self.client.conversations.create(agent_id=agent.id).id
        self.plain: list[float] = []
        self.tool: list[float] = []

    def _send(self, messages: list[dict[str, Any]]) -> list[Any]:
        stream = self.client.conversations.messages.create(
            self.conversation, messages=messages, client_tools=TOOLS
        )
        return list(stream)

    def plain_turn(self) -> None:
        before = cpu_seconds(self.pid)
        events = self._send([{"role": "user", "content": "hello"}])
        self.plain.append(cpu_seconds(self.pid) - before)
        assert any(getattr(e, "message_type", "") == "assistant_message" for e in events), events

    def tool_round_trip(self) -> None:
        before = cpu_seconds(self.pid)
        events = self._send([{"role": "user", "content": "use a tool"}])
        calls = [e for e in events if getattr(e, "message_type", "") == "approval_request_message"]
        assert calls, events
        returns = [
            {"tool_call_id": c.tool_call_id, "tool_return": "42", "status": "success"}
            for c in calls[0].tool_calls
        ]
        self._send([{"type": "tool_return", "tool_returns": returns}])
        self.tool.append(cpu_seconds(self.pid) - before)

    @property
    def pid(self) -> int:
        assert self.server.pid is not None
        return self.server.pid


def _order(rounds: int) -> Iterator[tuple[int, int]]:
    """ABBA: (first, second) side indexes per round."""
    for r in range(rounds):
        yield (0, 1) if r % 2 == 0 else (1, 0)


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:6.0f} ms (mean {statistics.fmean(values) * 1000:.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20, help="plain turns and tool round trips per side")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument("--tuned", default="all", help=f"{_tuning.SETTING} of the tuned side (default all)")
    parser.add_argument("--stock", default="none", help=f"{_tuning.SETTING} of the other side (default none)")
    parser.add_argument("--quick", action="store_true", help="a short run (for the smoke test)")
    args = parser.parse_args(argv)
    rounds, warmup = (3, 1) if args.quick else (args.rounds, args.warmup)
    model = ScriptedModel()
    model.default = _reply
    # the servers stop (ExitStack) before their data directory is removed
    with (
        tempfile.TemporaryDirectory(prefix="cc-tuning-", ignore_cleanup_errors=True) as home,
        ExitStack() as stack,
    ):
        model_server = ScriptedModelServer(model).start()
        stack.callback(model_server.stop)
        sides = []
        for name, setting in (("tuned", args.tuned), ("stock", args.stock)):
            server = LocalLettaServer(
                model_base_url=model_server.base_url,
                data_dir=Path(home) / name,
                env={_tuning.SETTING: setting},
            )
            print(f"starting the {name} server ({_tuning.SETTING}={setting})…", file=sys.stderr, flush=True)
            server.start()
            stack.callback(server.stop)
            sides.append(Side(name, server))
        for _ in range(warmup):
            for side in sides:
                side.plain_turn()
                side.tool_round_trip()
        for side in sides:
            side.plain.clear()
            side.tool.clear()
        for first, second in _order(rounds):
            for index in (first, second):
                sides[index].plain_turn()
            for index in (second, first):
                sides[index].tool_round_trip()
    tuned, stock = sides
    print(f"server CPU, median of {rounds} (ABBA interleaved), tuned={args.tuned} vs stock={args.stock}")
    for label, a, b in (
        ("plain turn", tuned.plain, stock.plain),
        ("tool round trip", tuned.tool, stock.tool),
    ):
        ratio = statistics.median(a) / statistics.median(b)
        print(f"  {label:16} tuned {_ms(a)}   stock {_ms(b)}   ratio {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
