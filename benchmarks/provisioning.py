"""Time to open a new session: a fresh agent per session versus one shared agent per configuration.

CLAUDE_COMPAT_AGENT_SCOPE=session gives every session its own agent and conversation;
=shared gives every session a conversation of one agent per configuration, with the memory
blocks isolated per conversation. Both are timed with and without ``letta_memory_blocks``,
interleaved in a shuffled order each round, K sessions each: the open alone
(ClaudeSDKClient.connect) and the open plus its first turn. The run also checks, through the
Letta API, that two "shared" sessions do not see each other's memory block edits.

    python benchmarks/provisioning.py [--sessions 30] [--quick] [--letta-url URL --model-port P]
"""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import _harness
import anyio
import letta_client
from letta_client import AsyncLetta

from claude_compat import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage
from letta_backend import agents, backend, conversations, registry
from letta_backend.client import CALL_TIMEOUT

SCOPES = ("session", "shared")
BLOCKS: list[dict[str, Any]] = [
    {"label": "human", "value": "The user benchmarks claude-compat."},
    {"label": "notes", "value": "initial notes"},
]
CONFIGS = tuple((scope, with_blocks) for with_blocks in (False, True) for scope in SCOPES)
PHASES = ("client construction", "models.list", "agent create", "conversation create", "registry")


def _label(scope: str, with_blocks: bool) -> str:
    return f"{scope:<7} {'with blocks' if with_blocks else 'no blocks':<11}"


def _options(with_blocks: bool) -> ClaudeAgentOptions:
    return ClaudeAgentOptions(
        system_prompt="You are a benchmark agent.",
        letta_memory_blocks=[dict(b) for b in BLOCKS] if with_blocks else None,
    )


@dataclass
class Samples:
    """Seconds per new session of one configuration, and where the open spent them."""

    open: list[float] = field(default_factory=list)
    with_turn: list[float] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)


class PhaseTimer:
    """Wall time of the backend calls a session open makes, credited to the configuration running."""

    def __init__(self) -> None:
        self.current: Samples | None = None
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, attr: str, phase: str) -> None:
        """Time ``owner.attr`` (sync or async) under ``phase``."""
        original = getattr(owner, attr)

        def credit(t0: float) -> None:
            if self.current is not None:
                phases = self.current.phases
                phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - t0

        if _is_async(original):

            @functools.wraps(original)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    credit(t0)

            setattr(owner, attr, timed_async)
        else:

            @functools.wraps(original)
            def timed(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    credit(t0)

            setattr(owner, attr, timed)
        self._undo.append(lambda: setattr(owner, attr, original))

    def restore(self) -> None:
        """Put every wrapped callable back."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func)


def install_phase_timer() -> PhaseTimer:
    """Wrap the Letta calls and registry writes of a session open."""
    timer = PhaseTimer()
    timer.wrap(backend, "make_client", PHASES[0])
    timer.wrap(agents, "list_model_handles", PHASES[1])
    timer.wrap(agents, "create_agent", PHASES[2])
    timer.wrap(conversations, "create", PHASES[3])
    for name in ("put", "shared_agent", "set_shared_agent"):
        timer.wrap(registry.Registry, name, PHASES[4])
    return timer


async def open_session(scope: str, with_blocks: bool, samples: Samples | None, timer: PhaseTimer) -> str:
    """Open one new session and run its first turn; returns its session id."""
    os.environ["CLAUDE_COMPAT_AGENT_SCOPE"] = scope
    timer.current = samples
    client = ClaudeSDKClient(_options(with_blocks))
    session_id = ""
    try:
        t0 = time.perf_counter()
        await client.connect()
        t1 = time.perf_counter()
        timer.current = None
        await client.query("hello")
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                if message.is_error:
                    raise SystemExit(f"a first turn failed: {message.subtype} {message.errors}")
                session_id = message.session_id
        t2 = time.perf_counter()
    finally:
        timer.current = None
        await client.disconnect()
    if samples is not None:
        samples.open.append(t1 - t0)
        samples.with_turn.append(t2 - t0)
    return session_id


async def check_isolation(letta: AsyncLetta) -> tuple[bool, str]:
    """Two shared sessions with blocks: an edit to one conversation's block must not reach the other."""
    ids = [await open_session("shared", True, None, PhaseTimer()) for _ in range(2)]
    reg = registry.default_registry()
    convs = []
    for session_id in ids:
        record = reg.get(session_id)
        if record is None:
            return False, f"session {session_id} is missing from the registry"
        convs.append(await letta.conversations.retrieve(record.conversation_id))
    conv_a, conv_b = convs
    if conv_a.agent_id != conv_b.agent_id:
        return False, f"the two sessions have different agents ({conv_a.agent_id}, {conv_b.agent_id})"
    blocks_a = await _isolated_blocks(letta, conv_a)
    blocks_b = await _isolated_blocks(letta, conv_b)
    if "notes" not in blocks_a or "notes" not in blocks_b:
        return False, f"no isolated 'notes' block: {sorted(blocks_a)} / {sorted(blocks_b)}"
    if blocks_a["notes"][0] == blocks_b["notes"][0]:
        return False, "both conversations use the same block"
    await letta.blocks.update(blocks_a["notes"][0], value="edited in session A")
    seen_a = (await letta.blocks.retrieve(blocks_a["notes"][0])).value
    seen_b = (await letta.blocks.retrieve(blocks_b["notes"][0])).value
    agent = await letta.agents.retrieve(conv_a.agent_id, include=["agent.blocks"])
    template = {b.label: b.value for b in agent.blocks}
    ok = (
        seen_a == "edited in session A"
        and seen_b == "initial notes"
        and template.get("notes") == "initial notes"
    )
    detail = (
        f"one agent ({conv_a.agent_id}), two conversations; A's 'notes' block set to {seen_a!r}, "
        f"B's reads {seen_b!r}, the agent's own reads {template.get('notes')!r}"
    )
    return ok, detail


async def _isolated_blocks(letta: AsyncLetta, conv: Any) -> dict[str, tuple[str, str]]:
    """label → (block id, value) of a conversation's isolated blocks (0.16.8 returns their ids)."""
    block_ids = (conv.model_extra or {}).get("isolated_block_ids") or []
    out: dict[str, tuple[str, str]] = {}
    for block_id in block_ids:
        block = await letta.blocks.retrieve(block_id)
        out[str(block.label)] = (block_id, str(block.value))
    return out


async def time_model_list(letta: AsyncLetta, times: int) -> float:
    """Median seconds of one GET /v1/models/ (every new session makes one today)."""
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        await letta.models.list()
        samples.append(time.perf_counter() - t0)
    return _harness.median(samples)


async def run(args: argparse.Namespace, pair: _harness.Pair) -> int:
    """Warm every configuration, time K interleaved sessions each, check isolation, report."""
    letta = AsyncLetta(base_url=pair.letta_url, max_retries=0, timeout=CALL_TIMEOUT)
    saved_scope = os.environ.get("CLAUDE_COMPAT_AGENT_SCOPE")
    samples = {config: Samples() for config in CONFIGS}
    first_shared: dict[bool, float] = {}
    timer = install_phase_timer()
    try:
        for scope, with_blocks in CONFIGS:  # warm-up; a shared config's first session makes its agent
            t0 = time.perf_counter()
            await open_session(scope, with_blocks, None, timer)
            if scope == "shared":
                first_shared[with_blocks] = time.perf_counter() - t0
        shuffle = random.Random(20261125).shuffle  # a fresh order each round, the same every run
        for _ in range(args.sessions):
            order = list(CONFIGS)
            shuffle(order)
            for config in order:
                await open_session(*config, samples[config], timer)
        timer.restore()
        isolated, detail = await check_isolation(letta)
        models_list = await time_model_list(letta, 10 if args.quick else 30)
    finally:
        timer.restore()
        if saved_scope is None:
            os.environ.pop("CLAUDE_COMPAT_AGENT_SCOPE", None)
        else:
            os.environ["CLAUDE_COMPAT_AGENT_SCOPE"] = saved_scope
        await _delete_our_agents(letta)
        await letta.close()
    report(args, pair, samples, first_shared, models_list)
    print()
    verdict = "OK" if isolated else "FAILED"
    print(f"isolation: shared sessions do not see each other's memory block edits: {verdict}")
    print(f"  {detail}")
    return 0 if isolated else 1


async def _delete_our_agents(letta: AsyncLetta) -> None:
    """Delete every agent this run made (its registry is a temporary one)."""
    reg = registry.default_registry()
    agent_ids = {r.agent_id for r in reg.list()}
    for agent_id in agent_ids:
        try:
            await letta.agents.delete(agent_id)
        except letta_client.APIError:
            pass


def _ms(values: list[float], q: float) -> float:
    return _harness.percentile(values, q) * 1000


def report(
    args: argparse.Namespace,
    pair: _harness.Pair,
    samples: dict[tuple[str, bool], Samples],
    first_shared: dict[bool, float],
    models_list: float,
) -> None:
    """Ratios first (the headline), then the per-configuration figures and phases."""
    k = args.sessions
    print(f"provisioning: {k} new sessions per configuration, interleaved (shuffled each round)")
    print(_harness.machine_line(pair))
    print()
    for with_blocks in (False, True):
        shared = samples[("shared", with_blocks)]
        own = samples[("session", with_blocks)]
        blocks = "with memory blocks" if with_blocks else "without memory blocks"
        for what, a, b in (
            ("open only", shared.open, own.open),
            ("open + first turn", shared.with_turn, own.with_turn),
        ):
            ratio = _harness.percentile(a, 50) / _harness.percentile(b, 50)
            print(f"ratio shared / session, {blocks}, {what}: p50 {ratio:.3f}")
    print()
    print(
        f"{'configuration':<21}{'open p50':>10}{'p90':>8}{'+turn p50':>11}{'p90':>8}   open phases (mean ms)"
    )
    for config in CONFIGS:
        s = samples[config]
        phases = "  ".join(f"{p} {s.phases.get(p, 0.0) / k * 1000:.0f}" for p in PHASES)
        rest = sum(s.open) - sum(s.phases.values())
        phases += f"  other {rest / k * 1000:.0f}"
        figures = f"{_ms(s.open, 50):10.0f}{_ms(s.open, 90):8.0f}"
        figures += f"{_ms(s.with_turn, 50):11.0f}{_ms(s.with_turn, 90):8.0f}"
        print(f"{_label(*config):<21}{figures}   {phases}")
    print("(ms; 'open' is ClaudeSDKClient.connect(), '+turn' adds the first query and its reply)")
    for with_blocks, seconds in sorted(first_shared.items()):
        blocks = "with blocks" if with_blocks else "no blocks"
        print(
            f"shared, {blocks}: the configuration's first session (creates the agent) took "
            f"{seconds * 1000:.0f} ms"
        )
    print(f"GET /v1/models/ alone: median {models_list * 1000:.0f} ms (made once per new session)")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, bring up (or reuse) the server pair and run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _harness.add_server_args(parser)
    parser.add_argument(
        "--sessions", type=int, default=30, help="new sessions per configuration (default 30)"
    )
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio", help="event loop")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions = 2
    with _harness.server_pair(args) as pair:
        return anyio.run(run, args, pair, backend=args.backend)


if __name__ == "__main__":
    sys.exit(main())
