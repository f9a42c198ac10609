"""Scale: many concurrent sessions in one process, memory per idle session, registry lookups at 100 000.

Against the local Letta server and the scripted model (answering ``echo: <prompt>`` at once):

  concurrent  N sessions at once in one anyio task group (default 500), each opening a
              ClaudeSDKClient session and running one short turn: throughput, latency, and
              failures counted by type (there must be none). The configuration is new to the
              run, so its shared agent is created under the same load.
  idle        N ClaudeSDKClient sessions connected and left idle, then N V2 sessions idle after
              one turn: this process's RSS growth per session (the slope over checkpoints, and
              the plain delta / N; target at most 50 KiB), and the Python heap per session
              (tracemalloc, a separate pass: tracing costs RSS itself)
  registry    a temporary SQLite registry filled with 100 000 sessions: random ``get()`` p99
              (target at most 1 ms), misses and ``by_conversation`` too; then the Letta-side
              registry (one block per session on the server) at a small N, apart

    python benchmarks/scale.py [--sessions 500] [--idle 200] [--records 100000] [--quick]
                               [--letta-url URL --model-port P]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import _harness
import anyio
from letta_client import AsyncLetta

from claude_compat import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    unstable_v2_createSession,
)
from claude_compat.types import AssistantMessage, TextBlock
from letta_backend import registry
from letta_backend.client import CALL_TIMEOUT
from letta_backend.letta_registry import LettaSessionRegistry
from letta_backend.registry import LocalSessionRegistry, Registry, SessionRecord

IDLE_TARGET_KIB = 50.0
LOOKUP_TARGET_MS = 1.0
KIB = 1024
CHECKPOINTS = 5


def status_kib(pid: int | str, key: str = "VmRSS") -> int | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/<pid>/status in KiB; None when unreadable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def self_kib(key: str = "VmRSS") -> int:
    """This process's VmRSS (or VmHWM) in KiB."""
    return status_kib("self", key) or 0


def listening_pid(port: int) -> int | None:
    """The process listening on a local TCP port (the Letta server), found through /proc."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{cols[9]}]")
    if not inodes:
        return None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") in inodes:
                    return int(entry)
            except OSError:
                continue
    return None


def _us(ns: float) -> str:
    return f"{ns / 1000:8.1f}"


def _pcts(values: Sequence[float]) -> tuple[float, float, float, float]:
    """p50, p90, p99 and the maximum."""
    pct = _harness.percentile
    return pct(values, 50), pct(values, 90), pct(values, 99), max(values, default=float("nan"))


# --- concurrent sessions -----------------------------------------------------------------------


@dataclass
class SessionRun:
    """One concurrent session: when it started, opened, finished its turn and closed (seconds)."""

    start: float
    admitted: float = 0.0  # when it got a slot (= start without --limit)
    opened: float = 0.0
    replied: float = 0.0
    closed: float = 0.0
    session_id: str = ""


@dataclass
class Concurrent:
    """What the concurrent phase saw."""

    sessions: int
    wall: float
    runs: list[SessionRun]
    failures: Counter[str]
    examples: dict[str, str]
    agents: int
    hwm_growth: int
    server_rss: tuple[int | None, int | None]
    warm: bool
    limit: int


def _options(system_prompt: str) -> ClaudeAgentOptions:
    return ClaudeAgentOptions(system_prompt=system_prompt)


async def _one_session(
    index: int,
    system_prompt: str,
    t0: float,
    runs: list[SessionRun],
    failures: Counter[str],
    examples: dict[str, str],
    limiter: anyio.CapacityLimiter | None = None,
) -> None:
    """Open a session, run one turn, check the reply, close; a failure is counted by its type.

    With ``limiter`` the whole session waits for a slot first (admission control in the caller).
    """
    start = time.perf_counter() - t0
    if limiter is None:
        await _session(index, system_prompt, t0, start, runs, failures, examples)
        return
    async with limiter:
        await _session(index, system_prompt, t0, start, runs, failures, examples)


async def _session(
    index: int,
    system_prompt: str,
    t0: float,
    start: float,
    runs: list[SessionRun],
    failures: Counter[str],
    examples: dict[str, str],
) -> None:
    run = SessionRun(start=start, admitted=time.perf_counter() - t0)
    prompt = f"session {index}: hello"
    client = ClaudeSDKClient(_options(system_prompt))
    try:
        try:
            await client.connect()
            run.opened = time.perf_counter() - t0
            await client.query(prompt)
            reply = ""
            result: ResultMessage | None = None
            async for message in client.receive_response():
                if isinstance(message, AssistantMessage):
                    reply += "".join(b.text for b in message.content if isinstance(b, TextBlock))
                elif isinstance(message, ResultMessage):
                    run.session_id, result = message.session_id, message
                    if message.is_error:
                        raise _TurnFailed(f"ResultMessage {message.subtype}", _describe(message))
            run.replied = time.perf_counter() - t0
            if not (reply.startswith("echo: ") and reply.endswith(prompt)):  # first prompt: + environment
                raise _TurnFailed("wrong reply", f"{reply!r}; {_describe(result)}")
        finally:
            await client.disconnect()
        run.closed = time.perf_counter() - t0
        runs.append(run)
    except _TurnFailed as exc:
        failures[exc.kind] += 1
        examples.setdefault(exc.kind, exc.detail)
    except Exception as exc:
        kind = f"{type(exc).__name__} in the {'turn' if run.opened else 'open'}"
        status = getattr(exc, "status_code", None)
        kind += f" (HTTP {status})" if status is not None else ""
        failures[kind] += 1
        examples.setdefault(kind, str(exc).splitlines()[0][:240] if str(exc) else repr(exc))


def _describe(result: ResultMessage | None) -> str:
    """What a ResultMessage says about how its turn ended."""
    if result is None:
        return "no ResultMessage"
    return (
        f"result {result.subtype} stop_reason={result.stop_reason} num_turns={result.num_turns} "
        f"errors={result.errors} text={result.result!r}"
    )


class _TurnFailed(Exception):
    """A turn that ended but not as it should (an error result or the wrong reply)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(kind)
        self.kind, self.detail = kind, detail[:300]


async def concurrent(count: int, server_pid: int | None, *, warm: bool, limit: int = 0) -> Concurrent:
    """``count`` sessions at once in one task group, on a configuration new to this run.

    ``warm``: one session runs alone first, so the configuration's shared agent exists (a
    service that has been up a while); otherwise the burst also creates it.
    """
    system_prompt = f"You are scale-run agent {uuid.uuid4().hex[:8]}. Answer briefly."
    runs: list[SessionRun] = []
    failures: Counter[str] = Counter()
    examples: dict[str, str] = {}
    if warm:
        await _one_session(-1, system_prompt, time.perf_counter(), runs, failures, examples)
        if failures:
            raise SystemExit(f"the warm-up session failed: {examples}")
        runs.clear()
    limiter = anyio.CapacityLimiter(limit) if limit else None
    gc.collect()
    hwm0 = self_kib("VmHWM")
    server0 = status_kib(server_pid) if server_pid else None
    t0 = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i in range(count):
            tg.start_soon(_one_session, i, system_prompt, t0, runs, failures, examples, limiter)
    wall = time.perf_counter() - t0
    server1 = status_kib(server_pid) if server_pid else None
    reg = registry.default_registry()
    agents = {r.agent_id for r in (reg.get(run.session_id) for run in runs) if r is not None}
    return Concurrent(
        count,
        wall,
        runs,
        failures,
        examples,
        len(agents),
        self_kib("VmHWM") - hwm0,
        (server0, server1),
        warm,
        limit,
    )


# --- idle sessions -----------------------------------------------------------------------------


@dataclass
class Idle:
    """RSS checkpoints (sessions open, KiB) for one kind of idle session, and its heap per session."""

    label: str
    points: list[tuple[int, int]] = field(default_factory=list)
    heap_per_session: float | None = None
    heap_sessions: int = 0

    @property
    def delta_per_session(self) -> float:
        """(last RSS - first RSS) / sessions, KiB."""
        (n0, r0), (n1, r1) = self.points[0], self.points[-1]
        return (r1 - r0) / max(n1 - n0, 1)

    @property
    def slope(self) -> float:
        """Least-squares slope of RSS over sessions open, KiB per session."""
        xs = [float(n) for n, _ in self.points]
        ys = [float(r) for _, r in self.points]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        den = sum((x - mx) ** 2 for x in xs)
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


Opener = Callable[[int], Awaitable[Callable[[], Awaitable[None]]]]


async def _open_client(i: int) -> Callable[[], Awaitable[None]]:
    """A connected ClaudeSDKClient (its session is open on the server), no turn; returns its closer."""
    client = ClaudeSDKClient(_options("You are an idle benchmark agent."))
    await client.connect()
    return client.disconnect


async def _open_v2(i: int) -> Callable[[], Awaitable[None]]:
    """A V2 session after one send/stream turn, then idle; returns its closer."""
    session = unstable_v2_createSession(_options("You are an idle benchmark agent."))
    await session.send(f"idle {i}: hello")
    async for _ in session.stream():
        pass
    return session.aclose


async def _hold(opener: Opener, count: int, sample: Callable[[int], None]) -> None:
    """Open ``count`` sessions one after another, call ``sample(open)`` at checkpoints, close all."""
    closers: list[Callable[[], Awaitable[None]]] = []
    step = max(1, count // CHECKPOINTS)
    try:
        gc.collect()
        sample(0)
        for i in range(count):
            closers.append(await opener(i))
            if (i + 1) % step == 0 or i + 1 == count:
                gc.collect()
                sample(i + 1)
    finally:
        for close in closers:
            await close()
        closers.clear()
        gc.collect()


#: The kinds of idle session: label and opener.
IDLE_KINDS: dict[str, tuple[str, Opener]] = {
    "client": ("ClaudeSDKClient, connected, no turn", _open_client),
    "v2": ("V2 session, idle after one turn", _open_v2),
}


async def idle(kind: str, count: int, traced: int) -> Idle:
    """RSS growth while ``count`` sessions of one kind sit open, then their heap under tracemalloc."""
    label, opener = IDLE_KINDS[kind]
    result = Idle(label)
    for i in range(3):  # warm-up: imports, caches and connection pools settle first
        await (await opener(-1 - i))()
    await _hold(opener, count, lambda n: result.points.append((n, self_kib())))
    heap: list[int] = []
    tracemalloc.start()
    try:
        await _hold(opener, traced, lambda n: heap.append(tracemalloc.get_traced_memory()[0]))
    finally:
        tracemalloc.stop()
    result.heap_per_session = (heap[-1] - heap[0]) / KIB / traced
    result.heap_sessions = traced
    return result


# --- registry lookups --------------------------------------------------------------------------


@dataclass
class Lookups:
    """Nanoseconds per call of the local registry's reads, at one size."""

    records: int
    fill_seconds: float
    db_bytes: int
    get_hit: list[float]
    get_miss: list[float]
    get_async: list[float]
    by_conversation: list[float]


def _record(i: int) -> SessionRecord:
    return SessionRecord(
        session_id=str(uuid.uuid4()),
        server_url="http://127.0.0.1:8283",
        agent_id=f"agent-{uuid.uuid4()}",
        conversation_id=f"conv-{uuid.uuid4()}",
        cwd=f"/home/user/project-{i % 200}",
        model="openai-proxy/scripted-model",
        first_prompt=f"prompt number {i}",
    )


async def local_lookups(records: int, lookups: int) -> Lookups:
    """Fill a temporary registry through ``put`` and time random reads against it."""
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="cc-scale-registry-") as tmp:
        reg = Registry(Path(tmp) / "sessions.db")
        t0 = time.perf_counter()
        stored = [reg.put(_record(i)) for i in range(records)]
        fill = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())

        def timed(call: Callable[[], object], count: int) -> list[float]:
            out: list[float] = []
            for _ in range(count):
                t = time.perf_counter_ns()
                call()
                out.append(float(time.perf_counter_ns() - t))
            return out

        hit = timed(lambda: reg.get(rng.choice(stored).session_id), lookups)
        miss = timed(lambda: reg.get(str(uuid.uuid4())), lookups // 4)
        conv = timed(lambda: reg.by_conversation(rng.choice(stored).conversation_id), lookups // 4)
        wrapper = LocalSessionRegistry(reg)  # what the backend calls
        on_loop: list[float] = []
        for _ in range(lookups // 4):
            sid = rng.choice(stored).session_id
            t = time.perf_counter_ns()
            await wrapper.get(sid)
            on_loop.append(float(time.perf_counter_ns() - t))
        return Lookups(records, fill, size, hit, miss, on_loop, conv)


@dataclass
class LettaLookups:
    """Seconds per call of the Letta-side registry (blocks on the server), at a small size."""

    records: int
    put: list[float]
    get: list[float]
    delete_seconds: float


async def letta_lookups(letta_url: str, records: int, lookups: int) -> LettaLookups:
    """Store ``records`` sessions as blocks on the server, time random ``get()``, delete them."""
    rng = random.Random(11)
    client = AsyncLetta(base_url=letta_url, max_retries=0, timeout=CALL_TIMEOUT)
    reg = LettaSessionRegistry(client, letta_url)
    stored: list[SessionRecord] = []
    puts: list[float] = []
    gets: list[float] = []
    try:
        for i in range(records):
            t = time.perf_counter()
            stored.append(await reg.put(_record(i)))
            puts.append(time.perf_counter() - t)
        for _ in range(lookups):
            wanted = rng.choice(stored).session_id
            t = time.perf_counter()
            found = await reg.get(wanted)
            gets.append(time.perf_counter() - t)
            if found is None or found.session_id != wanted:
                raise SystemExit(f"the Letta-side registry lost session {wanted}")
    finally:
        t = time.perf_counter()
        for record in stored:
            await reg.delete(record.session_id)
        deleted = time.perf_counter() - t
        await client.close()
    return LettaLookups(records, puts, gets, deleted)


# --- the run -----------------------------------------------------------------------------------


async def run(args: argparse.Namespace, pair: _harness.Pair) -> int:
    """The phases, idle first (later phases leave freed memory that new sessions would reuse)."""
    port = urlsplit(pair.letta_url).port
    server_pid = listening_pid(port) if port is not None else None
    _progress(f"idle sessions: {args.idle} per kind, each kind in a fresh process…")
    idles = [await idle_in_child(kind, args) for kind in IDLE_KINDS]
    _progress(f"a cold burst of {args.cold} sessions on a new configuration…")
    cold = await concurrent(args.cold, server_pid, warm=False)
    _progress(f"{args.sessions} concurrent sessions…")
    conc = await concurrent(args.sessions, server_pid, warm=True, limit=args.limit)
    _progress(f"the local registry: {args.records} records…")
    lookups = await local_lookups(args.records, args.lookups)
    _progress(f"the Letta-side registry: {args.letta_records} records…")
    letta = await letta_lookups(pair.letta_url, args.letta_records, args.letta_records * 2)
    report(args, pair, conc, cold, idles, lookups, letta, server_pid)
    return 0


async def idle_in_child(kind: str, args: argparse.Namespace) -> Idle:
    """Measure one kind of idle session in a fresh Python (memory freed by other phases or kinds
    would be reused by new sessions and hide their growth); it inherits the server environment."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--idle-child",
        kind,
        "--idle",
        str(args.idle),
        "--traced",
        str(min(args.idle, args.traced)),
        "--backend",
        args.backend,
    ]
    proc = await anyio.run_process(cmd, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the idle-session child ({kind}) failed:\n{proc.stderr.decode(errors='replace')}")
    data = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return Idle(
        data["label"],
        [(int(n), int(r)) for n, r in data["points"]],
        float(data["heap_per_session"]),
        int(data["heap_sessions"]),
    )


async def _idle_child(args: argparse.Namespace) -> int:
    """Child mode: one idle measurement in this fresh process, printed as one JSON line."""
    result = await idle(args.idle_child, args.idle, args.traced)
    print(json.dumps(dataclasses.asdict(result)))
    return 0


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _kib(value: float) -> str:
    return f"{value:.1f} KiB"


def _failures(conc: Concurrent) -> str:
    failed = sum(conc.failures.values())
    kinds = ", ".join(f"{k}: {v}" for k, v in conc.failures.most_common())
    return f"{failed}" + (f" ({kinds})" if failed else "")


def _burst_detail(title: str, conc: Concurrent, server_pid: int | None, *, memory: bool = True) -> None:
    print(f"{title} (seconds from the start of the task group):")
    waits = [r.admitted - r.start for r in conc.runs]
    opens = [r.opened - r.admitted for r in conc.runs]
    turns = [r.replied - r.opened for r in conc.runs]
    whole = [r.closed - r.start for r in conc.runs]
    phases = [("open (connect)", opens), ("turn", turns), ("start … close", whole)]
    if conc.limit:
        phases.insert(0, (f"wait for 1 of {conc.limit} slots", waits))
    for label, values in phases:
        if values:
            p50, p90, p99s, top = _pcts(values)
            print(f"  {label:<22} p50 {p50:7.2f}  p90 {p90:7.2f}  p99 {p99s:7.2f}  max {top:7.2f}")
    done = len(conc.runs)
    print(
        f"  {done} of {conc.sessions} completed in {conc.wall:.1f} s; failures {_failures(conc)}; "
        f"shared agents behind the completed sessions: {conc.agents} (1 expected)"
    )
    if memory:  # (the cold burst is the parent's first session work: its memory is start-up)
        print(
            f"  this process's peak RSS (VmHWM) grew {conc.hwm_growth / KIB:.1f} MiB = "
            f"{_kib(conc.hwm_growth / conc.sessions)} per concurrent session"
        )
        s0, s1 = conc.server_rss
        if s0 is not None and s1 is not None:
            print(
                f"  Letta server (pid {server_pid}, shared) VmRSS {s0 / KIB:.1f} → {s1 / KIB:.1f} MiB "
                f"({(s1 - s0) / conc.sessions:.1f} KiB per session)"
            )
    for kind, example in conc.examples.items():
        print(f"  first {kind}: {example}")


def report(
    args: argparse.Namespace,
    pair: _harness.Pair,
    conc: Concurrent,
    cold: Concurrent,
    idles: list[Idle],
    lookups: Lookups,
    letta: LettaLookups,
    server_pid: int | None,
) -> None:
    """Headline lines first, then the detail of each phase."""
    print(
        f"scale: {conc.sessions} concurrent sessions (+ a cold burst of {cold.sessions}); "
        f"{args.idle} idle sessions per kind; {lookups.records} registry records; "
        f"{letta.records} Letta-side records"
    )
    print(_harness.machine_line(pair))
    print()
    done = len(conc.runs)
    verdict = "meets" if not conc.failures else "MISSES"
    print(
        f"concurrent sessions: {done} of {conc.sessions} completed in {conc.wall:.1f} s = "
        f"{done / conc.wall:.2f} sessions/s (one turn each"
        f"{f', at most {conc.limit} at a time' if conc.limit else ''}); failures: {_failures(conc)}  "
        f"({verdict} the 0-failure target)"
    )
    print(
        f"cold burst, {cold.sessions} sessions at once on a new configuration: failures {_failures(cold)}; "
        f"shared agents created: {cold.agents} (1 expected)"
    )
    for idle_run in idles:
        verdict = "meets" if max(idle_run.slope, idle_run.delta_per_session) <= IDLE_TARGET_KIB else "MISSES"
        print(
            f"idle RSS per session, {idle_run.label}: slope {_kib(idle_run.slope)}, "
            f"delta/N {_kib(idle_run.delta_per_session)}  ({verdict} the {IDLE_TARGET_KIB:.0f} KiB target)"
        )
    p99 = _harness.percentile(lookups.get_hit, 99) / 1e6
    verdict = "meets" if p99 <= LOOKUP_TARGET_MS else "MISSES"
    print(
        f"registry get() p99 at {lookups.records} sessions: {p99:.3f} ms  "
        f"({verdict} the {LOOKUP_TARGET_MS:.0f} ms target)"
    )
    print(
        f"Letta-side registry get() p99 at {letta.records} sessions: "
        f"{_harness.percentile(letta.get, 99) * 1000:.1f} ms (one tag query on the server; reported apart)"
    )
    print()
    _burst_detail(
        f"{conc.sessions} concurrent sessions, configuration warmed by one session", conc, server_pid
    )
    _burst_detail(f"cold burst of {cold.sessions}", cold, server_pid, memory=False)
    print()
    print("idle sessions (this process's VmRSS at checkpoints; sessions open → KiB):")
    for idle_run in idles:
        points = ", ".join(f"{n}: {r}" for n, r in idle_run.points)
        print(f"  {idle_run.label}: {points}")
        if idle_run.heap_per_session is not None:
            print(
                f"    Python heap per session (tracemalloc, {idle_run.heap_sessions} sessions): "
                f"{_kib(idle_run.heap_per_session)}"
            )
    print()
    print(
        f"local registry, {lookups.records} records (filled through put() in {lookups.fill_seconds:.1f} s = "
        f"{lookups.records / lookups.fill_seconds:.0f} puts/s; "
        f"database {lookups.db_bytes / KIB / KIB:.1f} MiB), µs:"
    )
    print(f"  {'':<36}{'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}  calls")
    for label, values in (
        ("get(), known id", lookups.get_hit),
        ("get(), unknown id", lookups.get_miss),
        ("LocalSessionRegistry.get() (async)", lookups.get_async),
        ("by_conversation()", lookups.by_conversation),
    ):
        p50, p90, p99s, top = _pcts(values)
        print(f"  {label:<36}{_us(p50)} {_us(p90)} {_us(p99s)} {_us(top)}  {len(values)}")
    p50, p90, p99s, top = _pcts([v * 1000 for v in letta.get])
    pp50, _, pp99, _ = _pcts([v * 1000 for v in letta.put])
    print(
        f"Letta-side registry, {letta.records} sessions as blocks, ms: get() p50 {p50:.1f} p90 {p90:.1f} "
        f"p99 {p99s:.1f} max {top:.1f} ({len(letta.get)} calls); put() p50 {pp50:.1f} p99 {pp99:.1f}; "
        f"delete {letta.delete_seconds / max(letta.records, 1) * 1000:.1f} ms each"
    )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, bring up (or reuse) the server pair and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _harness.add_server_args(parser)
    parser.add_argument("--sessions", type=int, default=500, help="concurrent sessions (default 500)")
    parser.add_argument(
        "--limit",
        type=int,
        default=0,
        help="admit at most this many of the concurrent sessions at a time (default: all at once)",
    )
    parser.add_argument("--cold", type=int, default=10, help="sessions in the cold burst (default 10)")
    parser.add_argument("--idle", type=int, default=200, help="idle sessions per kind (default 200)")
    parser.add_argument("--traced", type=int, default=50, help="idle sessions per kind under tracemalloc")
    parser.add_argument(
        "--records", type=int, default=100_000, help="local registry records (default 100000)"
    )
    parser.add_argument("--lookups", type=int, default=20_000, help="random get() calls (default 20000)")
    parser.add_argument("--letta-records", type=int, default=100, help="Letta-side registry records")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio", help="event loop")
    parser.add_argument("--idle-child", choices=tuple(IDLE_KINDS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.idle_child:  # the server environment comes from the parent
        return anyio.run(_idle_child, args, backend=args.backend)
    if args.quick:
        args.sessions, args.cold, args.idle, args.traced = 20, 5, 8, 4  # every phase, fewer idle opens
        args.records, args.lookups, args.letta_records = 10_000, 4_000, 10
    with _harness.server_pair(args) as pair:
        return anyio.run(run, args, pair, backend=args.backend)


if __name__ == "__main__":
    sys.exit(main())
