"""Per-turn cost of claude-compat over raw letta-client: the same turns on one session each, interleaved.

Three ways to run N turns against the same Letta server and scripted model, alternating per
block of turns through all six orders so machine noise and order effects fall on all three alike:

  client  ClaudeSDKClient, N turns on one session
  query   query() with a streaming input of N user messages (one session)
  raw     letta-client AsyncLetta: conversations.messages.create(..., streaming) consumed fully,
          on a conversation of an agent created the way the backend creates one

Prints p50/p90 per turn, the ratios claude-compat / raw (target: at most 1.03 at p50), and where
the extra time goes (perf_counter accumulators always; a cProfile pass with ``--profile``).
Only ratios and shares mean anything on a shared machine.

    python benchmarks/overhead.py [--turns 200] [--quick] [--profile] [--letta-url URL --model-port P]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import itertools
import pstats
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import _harness
import anyio
import letta_client
from anyio.streams.memory import MemoryObjectSendStream
from letta_client import AsyncLetta

from claude_compat import ClaudeAgentOptions, ClaudeSDKClient, Message, ResultMessage, query
from claude_compat._internal import accounting as _accounting
from claude_compat._internal import messages as _messages
from claude_compat._internal import prompts as _prompts
from claude_compat._internal.options import render_system_prompt
from letta_backend import agents, conversations, registry, translate
from letta_backend.client import CALL_TIMEOUT, STREAM_TIMEOUT

SYSTEM_PROMPT = "You are a benchmark agent. Answer briefly."
VARIANTS = ("client", "query", "raw")
LABELS = {"client": "ClaudeSDKClient", "query": "query() streaming", "raw": "raw letta-client"}
TARGET = 1.03


class Runner(Protocol):
    """One way of running turns on one session."""

    async def start(self) -> None: ...

    async def turn(self, text: str) -> str: ...

    async def close(self) -> None: ...

    def agent_ids(self) -> list[str]: ...


def _options() -> ClaudeAgentOptions:
    return ClaudeAgentOptions(system_prompt=SYSTEM_PROMPT)


def _result_text(message: ResultMessage) -> str:
    if message.is_error:
        raise SystemExit(f"a turn failed: {message.subtype} {message.errors or message.result}")
    return message.result or ""


class ClientRunner:
    """ClaudeSDKClient: query() then receive_response() per turn, one connected session."""

    def __init__(self) -> None:
        self.client = ClaudeSDKClient(_options())
        self.session_id = ""

    async def start(self) -> None:
        await self.client.connect()

    async def turn(self, text: str) -> str:
        await self.client.query(text)
        reply = ""
        async for message in self.client.receive_response():
            if isinstance(message, ResultMessage):
                reply = _result_text(message)
                self.session_id = message.session_id
        return reply

    async def close(self) -> None:
        await self.client.disconnect()

    def agent_ids(self) -> list[str]:
        record = registry.default_registry().get(self.session_id)
        return [record.agent_id] if record is not None else []

    def client_tools(self) -> list[dict[str, Any]]:
        """The client tools the engine sends with each request (raw sends the same)."""
        engine = getattr(self.client, "_engine", None)
        tools = getattr(engine, "tools", None)
        return list(tools.client_tools()) if tools is not None else []


class QueryRunner:
    """query() fed one user message per turn through an async iterable (streaming input)."""

    def __init__(self) -> None:
        self._send: MemoryObjectSendStream[dict[str, Any]] | None = None
        self._messages: AsyncIterator[Message] | None = None
        self.session_id = ""

    async def start(self) -> None:
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](max_buffer_size=1)
        self._send = send

        async def prompts() -> AsyncIterator[dict[str, Any]]:
            async with receive:
                async for item in receive:
                    yield item

        self._messages = query(prompt=prompts(), options=_options())

    async def turn(self, text: str) -> str:
        assert self._send is not None and self._messages is not None
        await self._send.send({"type": "user", "message": {"role": "user", "content": text}})
        while True:
            message = await self._messages.__anext__()
            if isinstance(message, ResultMessage):
                self.session_id = message.session_id
                return _result_text(message)

    async def close(self) -> None:
        if self._send is not None:
            await self._send.aclose()
        if self._messages is not None:
            async for _ in self._messages:  # query() ends when its input does
                pass

    def agent_ids(self) -> list[str]:
        record = registry.default_registry().get(self.session_id)
        return [record.agent_id] if record is not None else []


class RawRunner:
    """The same Letta calls with letta-client alone: one streaming request per turn."""

    def __init__(self, pair: _harness.Pair, client_tools: list[dict[str, Any]]) -> None:
        self.client = AsyncLetta(base_url=pair.letta_url, max_retries=0, timeout=CALL_TIMEOUT)
        self.handle = pair.model_handle
        self.client_tools = client_tools
        self.agent_id = ""
        self.conversation_id = ""

    async def start(self) -> None:
        spec = agents.AgentSpec(system=render_system_prompt(SYSTEM_PROMPT), model_handle=self.handle)
        self.agent_id = await agents.create_agent(self.client, spec, tags=["cc-benchmark"])
        self.conversation_id = await conversations.create(self.client, self.agent_id)

    async def turn(self, text: str) -> str:
        extra: dict[str, Any] = {"client_tools": self.client_tools} if self.client_tools else {}
        stream = await self.client.conversations.messages.create(
            self.conversation_id,
            messages=[{"role": "user", "content": text}],
            stream_tokens=False,
            timeout=STREAM_TIMEOUT,
            **extra,
        )
        reply = ""
        async for event in stream:
            if event.message_type == "assistant_message":
                content = event.content
                reply += content if isinstance(content, str) else ""
        return reply

    async def close(self) -> None:
        await self.client.close()

    def agent_ids(self) -> list[str]:
        return [self.agent_id] if self.agent_id else []


# --- accumulators ------------------------------------------------------------------------------


@dataclass
class Accumulators:
    """perf_counter totals of named client-side stages, per variant."""

    current: str = ""
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    calls: dict[tuple[str, str], int] = field(default_factory=dict)
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def wrap(self, owner: Any, attr: str, stage: str) -> bool:
        """Time every call of ``owner.attr`` under ``stage`` (sync callables only); False if absent."""
        if not hasattr(owner, attr):
            return False
        had_own = attr in vars(owner)
        original = vars(owner)[attr] if had_own else getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                key = (self.current, stage)
                self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - t0
                self.calls[key] = self.calls.get(key, 0) + 1

        setattr(owner, attr, timed)
        if had_own:
            self._undo.append(lambda: setattr(owner, attr, original))
        else:
            self._undo.append(lambda: delattr(owner, attr))
        return True

    def restore(self) -> None:
        """Put every wrapped callable back."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


STAGES = (
    "event.model_dump (conversations.send)",
    "translator (RunTranslator.feed)",
    "engine messages (init, assistant, result, cost)",
    "registry (SQLite)",
    "prompt parsing (user_content)",
)


def install_accumulators() -> Accumulators:
    """Wrap the sync stages a claude-compat turn adds to the raw Letta call."""
    acc = Accumulators()
    acc.wrap(letta_client._models.BaseModel, "model_dump", STAGES[0])
    acc.wrap(translate.RunTranslator, "feed", STAGES[1])
    for name in ("init_message", "result_message", "assistant_message"):
        acc.wrap(_messages, name, STAGES[2])
    acc.wrap(_accounting.Ledger, "add", STAGES[2])
    for name in ("get", "put", "touch", "by_conversation", "latest"):
        acc.wrap(registry.Registry, name, STAGES[3])
    acc.wrap(_prompts, "user_content", STAGES[4])
    return acc


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Samples:
    """Wall and client-CPU seconds of each timed turn of one variant."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


async def _timed_turn(runner: Runner, text: str, samples: Samples | None) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    reply = await runner.turn(text)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if not (
        reply.startswith("echo: ") and reply.endswith(text)
    ):  # a session's first prompt carries the environment
        raise SystemExit(f"unexpected reply {reply!r} to {text!r}: is the scripted model programmed?")
    if samples is not None:
        samples.wall.append(wall)
        samples.cpu.append(cpu)


#: Every order of the three, cycled: each variant runs first, second and third equally often and
#: follows each other variant equally often (a plain rotation would always put one after the same one).
ORDERS = tuple(itertools.permutations(VARIANTS))


def _order(block: int) -> list[str]:
    return list(ORDERS[block % len(ORDERS)])


@contextmanager
def _profiling(profiler: cProfile.Profile | None) -> Iterator[None]:
    if profiler is None:
        yield
        return
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


async def run(args: argparse.Namespace, pair: _harness.Pair) -> int:
    """Open the three sessions, run the interleaved turns, print the report."""
    client = ClientRunner()
    await client.start()
    tools = client.client_tools()
    runners: dict[str, Runner] = {"client": client, "query": QueryRunner(), "raw": RawRunner(pair, tools)}
    samples = {name: Samples() for name in VARIANTS}
    acc = install_accumulators()
    profiles: dict[str, cProfile.Profile] = {}
    try:
        for name in ("query", "raw"):
            await runners[name].start()
        for i in range(args.warmup):  # opens query()'s session and warms every code path
            for name in VARIANTS:
                acc.current = "warmup"
                await _timed_turn(runners[name], f"warm-up {i}", None)
        blocks = max(1, args.turns // args.block)
        for block in range(blocks):
            for name in _order(block):
                acc.current = name
                for j in range(args.block):
                    await _timed_turn(runners[name], f"turn {block * args.block + j}: hello", samples[name])
        if args.profile:
            for block in range(args.profile_turns):
                for name in _order(block):
                    acc.current = "profile"
                    profiler = profiles.setdefault(name, cProfile.Profile())
                    with _profiling(profiler):
                        await _timed_turn(runners[name], f"profiled {block}: hello", None)
    finally:
        acc.restore()
        leftovers = [a for r in runners.values() for a in r.agent_ids()]
        for runner in runners.values():
            await runner.close()
        await _delete_agents(pair, leftovers)
    report(args, pair, samples, acc, len(tools))
    if profiles:
        report_profiles(profiles, args.profile_turns)
    return 0


async def _delete_agents(pair: _harness.Pair, agent_ids: list[str]) -> None:
    client = AsyncLetta(base_url=pair.letta_url, max_retries=0, timeout=CALL_TIMEOUT)
    try:
        for agent_id in dict.fromkeys(agent_ids):
            try:
                await client.agents.delete(agent_id)
            except letta_client.APIError:
                pass
    finally:
        await client.close()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def report(
    args: argparse.Namespace, pair: _harness.Pair, samples: dict[str, Samples], acc: Accumulators, tools: int
) -> None:
    """Ratios first (the headline), then the per-variant figures and the breakdown."""
    raw = samples["raw"]
    raw_p50 = _harness.percentile(raw.wall, 50)
    n = len(raw.wall)
    print(
        f"overhead: {n} turns per variant on one session each, interleaved in blocks of {args.block} "
        f"(all six orders in turn); "
        f"{tools} client tools sent with every request (raw sends the same)"
    )
    print(_harness.machine_line(pair))
    print()
    for name in ("client", "query"):
        mine = samples[name]
        p50 = _harness.percentile(mine.wall, 50) / raw_p50
        p90 = _harness.percentile(mine.wall, 90) / _harness.percentile(raw.wall, 90)
        paired = _harness.median([a / b for a, b in zip(mine.wall, raw.wall, strict=True)])
        verdict = "meets" if p50 <= TARGET else "MISSES"
        print(
            f"ratio {LABELS[name]} / raw letta-client: p50 {p50:.3f}  p90 {p90:.3f}  "
            f"paired median {paired:.3f}  ({verdict} the {TARGET:.2f} target at p50)"
        )
    print()
    print(f"{'variant':<22}{'p50 ms':>9}{'p90 ms':>9}{'mean ms':>9}{'client CPU ms/turn':>20}")
    for name in ("raw", "client", "query"):
        s = samples[name]
        print(
            f"{LABELS[name]:<22}{_ms(_harness.percentile(s.wall, 50))} {_ms(_harness.percentile(s.wall, 90))}"
            f" {_ms(sum(s.wall) / len(s.wall))}{_ms(_harness.median(s.cpu)):>20}"
        )
    print()
    raw_cpu = _harness.median(raw.cpu)
    for name in ("client", "query"):
        mine = samples[name]
        extra_cpu = _harness.median(mine.cpu) - raw_cpu
        extra_wall = _harness.median([a - b for a, b in zip(mine.wall, raw.wall, strict=True)])
        print(
            f"where {LABELS[name]}'s extra goes (median per turn; shares of the raw p50 turn, "
            f"{raw_p50 * 1000:.1f} ms):"
        )
        print(f"  extra wall time (paired)        {extra_wall * 1e6:9.0f} µs  {extra_wall / raw_p50:7.2%}")
        print(f"  extra client CPU                {extra_cpu * 1e6:9.0f} µs  {extra_cpu / raw_p50:7.2%}")
        staged = 0.0
        for stage in STAGES:
            seconds = acc.seconds.get((name, stage), 0.0) / n
            calls = acc.calls.get((name, stage), 0) / n
            staged += seconds
            print(
                f"    {stage:<46}{seconds * 1e6:7.0f} µs  {seconds / raw_p50:7.2%}  ({calls:.1f} calls/turn)"
            )
        rest = extra_cpu - staged
        print(
            f"    {'rest: async generator layers, anyio, message objects':<46}{rest * 1e6:7.0f} µs  "
            f"{rest / raw_p50:7.2%}"
        )
    print()
    print("note: the server's own turn (Letta's agent loop, CPU bound) is the rest of every turn;")
    print("      raw and claude-compat share it, so only the ratios and shares above compare.")


_GROUPS = (
    ("claude_compat/", "claude_compat"),
    ("letta_backend/", "letta_backend"),
    ("letta_client/", "letta_client"),
    ("pydantic", "pydantic"),
    ("httpx/", "httpx"),
    ("httpcore/", "httpcore"),
    ("anyio/", "anyio"),
    ("asyncio/", "asyncio"),
    ("trio/", "trio"),
    ("sqlite3", "sqlite3"),
)


def _group(filename: str, function: str) -> str:
    if filename == "~":
        if "poll" in function and ("epoll" in function or "select" in function):
            return "idle (waiting for the server)"
        for needle, name in _GROUPS:
            if needle.rstrip("/") in function:
                return name
        return "builtins"
    for needle, name in _GROUPS:
        if needle in filename:
            return name
    return "other"


def _short(filename: str) -> str:
    for root in ("claude_compat/", "letta_backend/"):
        if root in filename:
            return filename[filename.rfind(root) :]
    return filename


def report_profiles(profiles: dict[str, cProfile.Profile], turns: int) -> None:
    """Client-side CPU per turn by package for each variant, and the top claude-compat entries."""
    print()
    print(f"profile (cProfile, {turns} turns per variant; µs of client CPU per turn by package):")
    stats = {name: pstats.Stats(p).stats for name, p in profiles.items()}  # type: ignore[attr-defined]
    by_variant: dict[str, dict[str, float]] = {}
    for name, entries in stats.items():
        groups: dict[str, float] = {}
        for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in entries.items():
            key = _group(filename, function)
            groups[key] = groups.get(key, 0.0) + tottime
        by_variant[name] = groups
    keys = sorted({k for g in by_variant.values() for k in g}, key=lambda k: -by_variant["client"].get(k, 0))
    print(f"  {'package':<32}" + "".join(f"{LABELS[v]:>20}" for v in VARIANTS))
    for key in keys:
        cells = "".join(f"{by_variant[v].get(key, 0.0) / turns * 1e6:20.0f}" for v in VARIANTS)
        print(f"  {key:<32}{cells}")
    for name in ("client", "query"):
        rows = [
            (tottime, cumtime, calls, f"{_short(filename)}:{line}({function})")
            for (filename, line, function), (_cc, calls, tottime, cumtime, _c) in stats[name].items()
            if "claude_compat/" in filename or "letta_backend/" in filename
        ]
        rows.sort(reverse=True)
        print()
        print(f"  top claude-compat entries under {LABELS[name]} (µs/turn self, cumulative; calls/turn):")
        for tottime, cumtime, calls, where in rows[:12]:
            per = 1e6 / turns
            print(f"    {tottime * per:8.0f} {cumtime * per:9.0f} {calls / turns:6.1f}  {where}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, bring up (or reuse) the server pair and run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _harness.add_server_args(parser)
    parser.add_argument("--turns", type=int, default=200, help="timed turns per variant (default 200)")
    parser.add_argument("--block", type=int, default=1, help="turns per variant before switching (default 1)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed turns per variant first (default 3)")
    parser.add_argument("--profile", action="store_true", help="add a cProfile pass and print its breakdown")
    parser.add_argument("--profile-turns", type=int, default=30, help="turns per variant in that pass")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio", help="event loop")
    args = parser.parse_args(argv)
    if args.quick:
        args.turns, args.warmup, args.profile_turns = 20, 1, 2
    with _harness.server_pair(args) as pair:
        return anyio.run(run, args, pair, backend=args.backend)


if __name__ == "__main__":
    sys.exit(main())
