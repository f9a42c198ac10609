"""claude-compat against the real Claude Agent SDK, offline, one program on both, the same scripted replies.

The same code runs on ``claude_agent_sdk`` (its bundled CLI talking to a scripted Anthropic
Messages API, the oracle recipe) and on ``claude_compat`` (the local Letta server calling the
scripted OpenAI-compatible model); only the module differs. Both models answer
``echo: <prompt>`` at once. Interleaved, in one run:

  query    a one-turn ``query()``: time to the first message (the init SystemMessage), to the
           first AssistantMessage, and until the iterator ends (the CLI has exited / the session
           is closed)
  client   five turns in one ``ClaudeSDKClient``, connect to disconnect
  tools    five turns in one ``ClaudeSDKClient``, each a client-side tool call (the model calls
           ``Read`` on a file in the working directory, then answers), connect to disconnect;
           both models follow the same JSON rules (skipped with ``--model-port``: a reused model
           has not got them)
  memory   the real SDK's CLI process peak RSS per session (VmHWM of each child, sampled from
           /proc) versus claude-compat's client RSS growth per open session (N sessions held
           open in this process); the Letta server's own growth is reported apart (shared)

Both fakes run in subprocesses, so their CPU is nobody's. Prints ratios against the targets
(time to first message at most 1/5 of the real SDK's; RSS per session at most 1/10).

    python benchmarks/vs_claude.py [--rounds 10] [--sessions 30] [--quick] [--letta-url URL --model-port P]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import _harness
import anyio
import claude_agent_sdk
from scale import listening_pid, self_kib, status_kib

import claude_compat
from claude_compat._internal import engine as _engine
from claude_compat._tooling.ab import offline_claude_env
from letta_backend import conversations

SYSTEM_PROMPT = "You are a benchmark agent. Answer briefly."
TTFM_TARGET = 0.2
RSS_TARGET = 0.1
CLIENT_TURNS = 5
TOOL_TURNS = 5
KIB = 1024

#: Printed under the figures: what each side's numbers contain.
INCLUDES = (
    "  real SDK: its Python side in this process + one CLI subprocess per session (started at",
    "    query()/connect, ended with the iterator/disconnect) + the scripted Anthropic API (a",
    "    subprocess, answers at once); the RSS figure is the CLI's own peak, without the SDK's Python side",
    "  claude-compat: this process + the local Letta server (shared; runs the agent loop on SQLite) +",
    "    the scripted OpenAI-compatible model (a subprocess, answers at once); its first message",
    "    comes after the session open (the conversation create on the server)",
)


# --- the scripted Anthropic API, in a subprocess ------------------------------------------------


def _serve_anthropic(script: str | None) -> int:
    """Child mode: serve the scripted Anthropic API (echo of the prompt, and the rules of
    ``script`` first) until stdin closes."""
    from claude_compat.testing import AnthropicScriptedServer, ScriptedModel, Turn

    model = ScriptedModel("claude-sonnet-4-5")
    if script:
        model.load(script)
    model.default = lambda request: Turn(text=f"echo: {_prompt_of(request)}")
    server = AnthropicScriptedServer(model).start()
    print(server.base_url, flush=True)
    sys.stdin.read()  # the parent closes our stdin (or dies) when it is done
    server.stop()
    return 0


def _prompt_of(request: Any) -> str:
    """The user's own text in a CLI request: the last text block that is not a system reminder.

    The CLI puts ~8 ``<system-reminder>`` blocks before the prompt in the first user message;
    echoing them would make the real SDK's replies differ from claude-compat's.
    """
    for message in reversed(request.messages):
        if not isinstance(message, Mapping) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if not isinstance(content, list):
            continue
        if any(isinstance(p, Mapping) and p.get("type") == "tool_result" for p in content):
            continue
        texts = [
            str(p.get("text", ""))
            for p in content
            if isinstance(p, Mapping)
            and p.get("type") == "text"
            and not str(p.get("text", "")).lstrip().startswith("<system-reminder>")
        ]
        if texts:
            return texts[-1]
    return ""


@contextlib.contextmanager
def anthropic_fake(script: Path | None) -> Iterator[str]:
    """Start the scripted Anthropic API in a subprocess; yields its base URL."""
    extra = [str(script)] if script is not None else []
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve-anthropic", *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http"):
            raise SystemExit(f"the scripted Anthropic API did not start: {line!r}")
        yield line
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the tool session's script (both models) --------------------------------------------------


def _tool_key(round_name: str, turn: int) -> str:
    return f"r{round_name} t{turn}"


def tool_prompt(work: Path, round_name: str, turn: int) -> str:
    """The prompt of one tool turn: it names the file the model will Read."""
    return f"tool {_tool_key(round_name, turn)}: read {_tool_file(work, round_name, turn)}"


def _tool_file(work: Path, round_name: str, turn: int) -> Path:
    return work / "cwd" / "files" / f"{_tool_key(round_name, turn).replace(' ', '-')}.txt"


def tool_script(work: Path, rounds: int) -> Path:
    """Write the files and the JSON rules: per turn, Read the turn's file, then answer ``done <key>``.

    The answer's rule wants the turn's prompt and its file's content in the last tool result, so
    the first request of a turn (whose last tool result is the previous turn's) gets the call.
    """
    from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn

    model = ScriptedModel()
    for round_name in ["w", *(str(r) for r in range(rounds))]:
        for turn in range(TOOL_TURNS):
            key = _tool_key(round_name, turn)
            path = _tool_file(work, round_name, turn)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"content {key}.\n", encoding="utf-8")
            asked = f"tool {key}:"
            model.add_rule(Rule(Turn(text=f"done {key}"), last_user=asked, last_tool=f"content {key}\\."))
            model.add_rule(
                Rule(Turn(tool_calls=(ToolCall("Read", {"file_path": str(path)}),)), last_user=asked)
            )
    script = work / "tool-script.json"
    script.write_text(json.dumps(model.to_json()), encoding="utf-8")
    return script


# --- /proc ------------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (every thread's /proc children list)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                found.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            continue
    return found


def _cmd0(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return ""


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, in seconds; None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class CliPeaks:
    """Samples /proc every 10 ms for the CLI processes this process starts and keeps their peaks.

    Per CLI: its VmHWM (the kernel's own high-water mark, read until it exits) and the peak of
    the summed VmRSS of the CLI and all its descendants (anything it spawns counts as its cost).
    """

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.hwm: dict[int, int] = {}
        self.tree: dict[int, int] = {}
        self.spawned: dict[int, int] = {}  # CLI pid → most descendants seen at once
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cli-rss-sampler", daemon=True)

    def __enter__(self) -> CliPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            for pid in _children(me):
                if os.path.basename(_cmd0(pid)) != "claude":
                    continue
                hwm = status_kib(pid, "VmHWM")
                if hwm is None:
                    continue
                self.hwm[pid] = max(self.hwm.get(pid, 0), hwm)
                total, todo, seen = 0, [pid], 0
                while todo:
                    p = todo.pop()
                    total += status_kib(p, "VmRSS") or 0
                    kids = _children(p)
                    seen += len(kids)
                    todo.extend(kids)
                self.tree[pid] = max(self.tree.get(pid, 0), total)
                self.spawned[pid] = max(self.spawned.get(pid, 0), seen)


# --- one program, two SDKs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One SDK module and the options every session of the benchmark uses on it."""

    label: str
    sdk: ModuleType
    env: dict[str, str]
    cwd: str

    def options(self) -> Any:
        """The same ClaudeAgentOptions on both sides (``env`` is what the real CLI needs)."""
        return self.sdk.ClaudeAgentOptions(system_prompt=SYSTEM_PROMPT, cwd=self.cwd, env=dict(self.env))


@dataclass
class QueryRun:
    """Seconds of one one-turn query(): to the first message, the first AssistantMessage, the end."""

    first_message: float
    first_assistant: float
    total: float
    cpu_self: float
    cpu_other: float | None


@dataclass
class ClientRun:
    """Seconds of one five-turn ClaudeSDKClient session."""

    connect: float
    first_message: float  # connect + the first turn's first message
    turns: list[float]
    total: float  # connect … disconnect
    cpu_self: float
    cpu_other: float | None


@dataclass
class Samples:
    """Everything measured on one side."""

    query: list[QueryRun] = field(default_factory=list)
    client: list[ClientRun] = field(default_factory=list)
    tools: list[ClientRun] = field(default_factory=list)


def _reply_text(message: Any) -> str:
    return "".join(getattr(b, "text", "") for b in getattr(message, "content", []) or [])


def _check(side: Side, replies: Sequence[str], prompts: Sequence[str]) -> None:
    expected = [f"echo: {p}" for p in prompts]
    # a session's first prompt reaches the model after the environment note: the echo ends with it
    ok = len(replies) == len(prompts) and all(
        r.startswith("echo: ") and r.endswith(p) for r, p in zip(replies, prompts, strict=True)
    )
    if not ok:
        raise SystemExit(f"{side.label} replied {list(replies)!r}, expected {expected!r}")


class OtherCpu:
    """CPU spent outside this process for one side: the reaped CLIs, or the Letta server."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid

    def read(self, side: Side) -> float | None:
        """A counter whose difference around a session is the CPU that session cost elsewhere."""
        if side.sdk is claude_agent_sdk:
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            return usage.ru_utime + usage.ru_stime
        return _cpu_seconds(self.server_pid) if self.server_pid is not None else None


def _diff(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


async def one_query(side: Side, prompt: str, cpu: OtherCpu) -> QueryRun:
    """A one-turn query(): the first message, the first AssistantMessage, the iterator's end."""
    other0, self0 = cpu.read(side), time.process_time()
    t0 = time.perf_counter()
    first = first_assistant = None
    replies: list[str] = []
    async for message in side.sdk.query(prompt=prompt, options=side.options()):
        now = time.perf_counter() - t0
        first = now if first is None else first
        if isinstance(message, side.sdk.AssistantMessage):
            first_assistant = now if first_assistant is None else first_assistant
            replies.append(_reply_text(message))
        elif isinstance(message, side.sdk.ResultMessage) and message.is_error:
            raise SystemExit(f"{side.label}: the turn failed: {message.subtype} {message.result}")
    total = time.perf_counter() - t0
    _check(side, replies, [prompt])
    assert first is not None and first_assistant is not None
    return QueryRun(first, first_assistant, total, time.process_time() - self0, _diff(cpu.read(side), other0))


async def client_turns(
    side: Side, prompts: Sequence[str], cpu: OtherCpu, answers: Sequence[str] | None = None
) -> ClientRun:
    """Connect a ClaudeSDKClient, run the prompts one turn each, disconnect.

    The replies are checked: the echo of each prompt, or ``answers`` (the texts of the turns).
    """
    other0, self0 = cpu.read(side), time.process_time()
    t0 = time.perf_counter()
    client = side.sdk.ClaudeSDKClient(side.options())
    await client.connect()
    connect = time.perf_counter() - t0
    first: float | None = None
    turns: list[float] = []
    replies: list[str] = []
    try:
        for prompt in prompts:
            t1 = time.perf_counter()
            await client.query(prompt)
            async for message in client.receive_response():
                first = time.perf_counter() - t0 if first is None else first
                if isinstance(message, side.sdk.AssistantMessage) and _reply_text(message):
                    replies.append(_reply_text(message))
                elif isinstance(message, side.sdk.ResultMessage) and message.is_error:
                    raise SystemExit(f"{side.label}: a turn failed: {message.subtype} {message.result}")
            turns.append(time.perf_counter() - t1)
    finally:
        await client.disconnect()
    total = time.perf_counter() - t0
    if answers is None:
        _check(side, replies, prompts)
    elif list(replies) != list(answers):
        raise SystemExit(f"{side.label} replied {list(replies)!r}, expected {list(answers)!r}")
    assert first is not None
    return ClientRun(connect, first, turns, total, time.process_time() - self0, _diff(cpu.read(side), other0))


# --- claude-compat's memory per session -----------------------------------------------------------


@dataclass
class CompatMemory:
    """RSS of this process and of the Letta server around N open claude-compat sessions."""

    sessions: int
    rss_before: int
    rss_after: int
    hwm_before: int
    hwm_after: int
    rss_closed: int
    server_before: int | None
    server_after: int | None
    heap_per_session: float = 0.0  # KiB of Python heap (tracemalloc) an open session holds

    @property
    def per_session(self) -> float:
        """KiB of client RSS per open session."""
        return (self.rss_after - self.rss_before) / self.sessions

    @property
    def peak_per_session(self) -> float:
        """KiB of client peak RSS (VmHWM) growth per open session."""
        return max(self.hwm_after - self.hwm_before, 0) / self.sessions

    @property
    def server_per_session(self) -> float | None:
        """KiB of Letta server RSS growth per session (shared infrastructure)."""
        if self.server_before is None or self.server_after is None:
            return None
        return (self.server_after - self.server_before) / self.sessions


@contextlib.asynccontextmanager
async def _open_sessions(side: Side, count: int, tag: str) -> AsyncIterator[None]:
    """Hold ``count`` ClaudeSDKClient sessions open, each after one turn; disconnect them after."""
    clients: list[Any] = []
    try:
        for i in range(count):
            client = side.sdk.ClaudeSDKClient(side.options())
            await client.connect()
            clients.append(client)
            await client.query(f"{tag} {i}")
            async for _ in client.receive_response():
                pass
        gc.collect()
        yield
    finally:
        for client in clients:
            await client.disconnect()
        clients.clear()
        gc.collect()


async def compat_memory(side: Side, sessions: int, server_pid: int | None) -> CompatMemory:
    """Open N claude-compat sessions (one turn each) and hold them: RSS before and after, then
    the same again under tracemalloc for the Python heap they hold (apart: tracing costs RSS)."""
    gc.collect()
    rss0, hwm0 = self_kib(), self_kib("VmHWM")
    server0 = status_kib(server_pid, "VmRSS") if server_pid else None
    async with _open_sessions(side, sessions, "memory"):
        rss1, hwm1 = self_kib(), self_kib("VmHWM")
        server1 = status_kib(server_pid, "VmRSS") if server_pid else None
    rss_closed = self_kib()
    tracemalloc.start()
    try:
        heap0 = tracemalloc.get_traced_memory()[0]
        async with _open_sessions(side, sessions, "traced"):
            heap1 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    memory = CompatMemory(sessions, rss0, rss1, hwm0, hwm1, rss_closed, server0, server1)
    memory.heap_per_session = (heap1 - heap0) / KIB / sessions
    return memory


def import_rss(module: str) -> int | None:
    """VmRSS (KiB) of a fresh Python that has imported ``module``: a process's fixed cost."""
    code = (
        f"import {module}\n"
        "for line in open('/proc/self/status'):\n"
        "    if line.startswith('VmRSS:'): print(line.split()[1])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    try:
        return int(proc.stdout.strip())
    except ValueError:
        return None


# --- where claude-compat's time to first message goes --------------------------------------------


class OpenTimer:
    """Wall time of Engine.open and of the conversation create inside it, per compat session."""

    def __init__(self) -> None:
        self.open: list[float] = []
        self.create: list[float] = []
        self._undo: list[Callable[[], None]] = []

    def install(self) -> None:
        """Wrap the two coroutines (restored by `restore`)."""
        self._wrap(_engine.Engine, "open", self.open)
        self._wrap(conversations, "create", self.create)

    def _wrap(self, owner: Any, attr: str, into: list[float]) -> None:
        original = getattr(owner, attr)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                into.append(time.perf_counter() - t0)

        setattr(owner, attr, timed)
        self._undo.append(lambda: setattr(owner, attr, original))

    def restore(self) -> None:
        """Put the originals back."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


# --- the run --------------------------------------------------------------------------------------


async def tool_session(side: Side, work: Path, round_name: str, cpu: OtherCpu) -> ClientRun:
    """A ClaudeSDKClient of TOOL_TURNS turns, each one Read of a file and an answer."""
    prompts = [tool_prompt(work, round_name, t) for t in range(TOOL_TURNS)]
    answers = [f"done {_tool_key(round_name, t)}" for t in range(TOOL_TURNS)]
    return await client_turns(side, prompts, cpu, answers)


async def run(args: argparse.Namespace, pair: _harness.Pair, anthropic_url: str, work: Path) -> int:
    """Warm both sides, run the interleaved rounds, measure memory, print the report."""
    home = work / "home"
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    cwd = work / "cwd"
    cwd.mkdir(exist_ok=True)
    tools = not args.model_port
    env = offline_claude_env(anthropic_url, home)
    real = Side("claude_agent_sdk", claude_agent_sdk, env, str(cwd))
    compat = Side("claude-compat", claude_compat, env, str(cwd))
    port = urlsplit(pair.letta_url).port
    server_pid = listening_pid(port) if port is not None else None
    cpu = OtherCpu(server_pid)
    samples = {real.label: Samples(), compat.label: Samples()}
    timer = OpenTimer()
    with CliPeaks() as peaks:
        for side in (real, compat):  # warm-up: page cache for the CLI, the shared agent, imports
            await one_query(side, "warm-up", cpu)
            await client_turns(side, [f"warm-up {i}" for i in range(CLIENT_TURNS)], cpu)
            if tools:
                await tool_session(side, work, "w", cpu)
        timer.install()
        try:
            for r in range(args.rounds):
                order = (real, compat) if r % 2 == 0 else (compat, real)
                for side in order:
                    samples[side.label].query.append(await one_query(side, f"round {r}: hello", cpu))
                for side in reversed(order):
                    prompts = [f"round {r} turn {t}: hello" for t in range(CLIENT_TURNS)]
                    samples[side.label].client.append(await client_turns(side, prompts, cpu))
                if tools:
                    for side in order:
                        samples[side.label].tools.append(await tool_session(side, work, str(r), cpu))
        finally:
            timer.restore()
    memory = await compat_memory(compat, args.sessions, server_pid)
    fixed = {name: import_rss(name) for name in ("claude_agent_sdk", "claude_compat")}
    server_rss = status_kib(server_pid, "VmRSS") if server_pid else None
    report(args, pair, samples, peaks, memory, fixed, server_rss, server_pid, timer, real, compat)
    return 0


# --- the report -----------------------------------------------------------------------------------


def _p50(values: Sequence[float]) -> float:
    return _harness.percentile(values, 50)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f}"


def _mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / KIB:.1f} MiB"


def _cpu(values: Sequence[float | None]) -> str:
    known = [v for v in values if v is not None]
    return "  n/a" if not known else _ms(_harness.median(known))


def _small(ratio: float) -> str:
    """A ratio far below 1, readable: ``0.00008 (1/12 500)``."""
    return f"{ratio:.5f} (1/{1 / ratio:,.0f})".replace(",", " ") if ratio > 0 else f"{ratio:.5f}"


def _verdict(ratio: float, target: float) -> str:
    return f"{'meets' if ratio <= target else 'MISSES'} the {target:.2f} target"


def _lone_session_ratio(fixed: dict[str, int | None], server_rss: int | None, cli_hwm: float) -> float | None:
    """A program with one session, all its memory counted: the server is not shared with anyone."""
    compat, real = fixed["claude_compat"], fixed["claude_agent_sdk"]
    if compat is None or real is None or server_rss is None:
        return None
    return (compat + server_rss) / (real + cli_hwm)


def report(
    args: argparse.Namespace,
    pair: _harness.Pair,
    samples: dict[str, Samples],
    peaks: CliPeaks,
    memory: CompatMemory,
    fixed: dict[str, int | None],
    server_rss: int | None,
    server_pid: int | None,
    timer: OpenTimer,
    real: Side,
    compat: Side,
) -> None:
    """Ratios first, then each side's figures and what they include."""
    r, c = samples[real.label], samples[compat.label]
    print(
        f"vs_claude: {args.rounds} interleaved rounds (each: a one-turn query() and a {CLIENT_TURNS}-turn "
        f"ClaudeSDKClient per side, sides alternating first); {memory.sessions} open claude-compat "
        "sessions for memory"
    )
    print(_harness.machine_line(pair))
    print(
        f"claude_agent_sdk {claude_agent_sdk.__version__} (bundled CLI), "
        f"claude-compat {claude_compat.__version__}"
    )
    print()
    ttfm = _p50([q.first_message for q in c.query]) / _p50([q.first_message for q in r.query])
    first_a = _p50([q.first_assistant for q in c.query]) / _p50([q.first_assistant for q in r.query])
    total_q = _p50([q.total for q in c.query]) / _p50([q.total for q in r.query])
    total_c = _p50([x.total for x in c.client]) / _p50([x.total for x in r.client])
    ttfm_c = _p50([x.first_message for x in c.client]) / _p50([x.first_message for x in r.client])
    cli_hwm = _harness.median([float(v) for v in peaks.hwm.values()])
    cli_tree = max(peaks.tree.values(), default=0)
    print(f"ratio time to first message, one-turn query(): p50 {ttfm:.3f}  ({_verdict(ttfm, TTFM_TARGET)})")
    print(f"ratio time to first AssistantMessage, one-turn query(): p50 {first_a:.3f}")
    print(f"ratio total time, one-turn query(): p50 {total_q:.3f}")
    print(
        f"ratio time to first message, {CLIENT_TURNS}-turn ClaudeSDKClient (connect + turn 1): "
        f"p50 {ttfm_c:.3f}"
    )
    print(f"ratio total time, {CLIENT_TURNS}-turn ClaudeSDKClient (connect … disconnect): p50 {total_c:.3f}")
    if c.tools and r.tools:
        total_t = _p50([x.total for x in c.tools]) / _p50([x.total for x in r.tools])
        print(
            f"ratio total time, a ClaudeSDKClient session of {TOOL_TURNS} tool calls (connect … disconnect): "
            f"p50 {total_t:.3f}  (real {_ms(_p50([x.total for x in r.tools]))}, "
            f"claude-compat {_ms(_p50([x.total for x in c.tools]))}; CPU of the CLI / Letta server "
            f"{_cpu([x.cpu_other for x in r.tools])} / {_cpu([x.cpu_other for x in c.tools])})"
        )
    else:
        print(f"(no session of {TOOL_TURNS} tool calls with --model-port: a reused model lacks its rules)")
    rss_ratio = max(memory.per_session, 0.0) / cli_hwm
    print(
        f"ratio RSS per session, claude-compat client growth / real CLI peak: {_small(rss_ratio)}  "
        f"({_verdict(rss_ratio, RSS_TARGET)})"
    )
    server_share = memory.server_per_session
    if server_share is not None:
        both = (max(memory.per_session, 0.0) + max(server_share, 0.0)) / cli_hwm
        print(f"ratio RSS per session, with the Letta server's growth per session added: {_small(both)}")
    print(
        "ratio Python heap an open claude-compat session holds (tracemalloc) / real CLI peak: "
        f"{_small(memory.heap_per_session / cli_hwm)}"
    )
    lone = _lone_session_ratio(fixed, server_rss, cli_hwm)
    if lone is not None:
        print(
            "ratio one lone session, everything counted ((claude_compat process + whole Letta server) / "
            f"(claude_agent_sdk process + CLI)): {lone:.3f}"
        )
    print()
    print(f"{'':<44}{'claude_agent_sdk':>18}{'claude-compat':>16}")
    rows: list[tuple[str, Callable[[Samples], str]]] = [
        ("query(): first message, p50 ms", lambda s: _ms(_p50([q.first_message for q in s.query]))),
        (
            "query(): first AssistantMessage, p50 ms",
            lambda s: _ms(_p50([q.first_assistant for q in s.query])),
        ),
        ("query(): total, p50 ms", lambda s: _ms(_p50([q.total for q in s.query]))),
        ("query(): total, p90 ms", lambda s: _ms(_harness.percentile([q.total for q in s.query], 90))),
        ("query(): CPU in this process, p50 ms", lambda s: _ms(_p50([q.cpu_self for q in s.query]))),
        ("query(): CPU in the CLI / Letta server, p50 ms", lambda s: _cpu([q.cpu_other for q in s.query])),
        ("client: connect, p50 ms", lambda s: _ms(_p50([x.connect for x in s.client]))),
        ("client: turn 1, p50 ms", lambda s: _ms(_p50([x.turns[0] for x in s.client]))),
        (
            f"client: turns 2-{CLIENT_TURNS}, p50 ms",
            lambda s: _ms(_p50([t for x in s.client for t in x.turns[1:]])),
        ),
        ("client: connect … disconnect, p50 ms", lambda s: _ms(_p50([x.total for x in s.client]))),
        ("client: CPU in this process, p50 ms", lambda s: _ms(_p50([x.cpu_self for x in s.client]))),
        ("client: CPU in the CLI / Letta server, p50 ms", lambda s: _cpu([x.cpu_other for x in s.client])),
    ]
    for label, cell in rows:
        print(f"{label:<44}{cell(r):>18}{cell(c):>16}")
    if timer.open:
        print(
            "claude-compat's first message waits for the session open: Engine.open p50 "
            f"{_p50(timer.open) * 1000:.0f} ms, of which conversation create p50 "
            f"{_p50(timer.create) * 1000:.0f} ms"
        )
    print()
    print("memory (KiB = 1024 bytes):")
    print(
        f"  real SDK, CLI process per session: VmHWM p50 {_mib(cli_hwm)} over {len(peaks.hwm)} CLI processes "
        f"(max {_mib(max(peaks.hwm.values(), default=0))}); CLI + descendants summed, peak {_mib(cli_tree)}; "
        f"children max ru_maxrss {_mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)}"
    )
    print(
        f"  claude-compat, this process, {memory.sessions} sessions open after one turn each: "
        f"VmRSS +{(memory.rss_after - memory.rss_before) / KIB:.1f} MiB = "
        f"{memory.per_session:.1f} KiB per session; VmHWM +{memory.peak_per_session:.1f} KiB per session; "
        f"after closing them {(memory.rss_closed - memory.rss_before) / KIB:+.1f} MiB"
    )
    print(
        f"  claude-compat, Python heap an open session holds (tracemalloc, {memory.sessions} sessions): "
        f"{memory.heap_per_session:.1f} KiB per session"
    )
    if server_pid is not None:
        print(
            f"  Letta server (pid {server_pid}, shared by every session and process; not the client's cost): "
            f"VmRSS {_mib(memory.server_before)} → {_mib(memory.server_after)} over those sessions = "
            f"{server_share:.1f} KiB per session; {_mib(server_rss)} at the end"
        )
    else:
        print("  Letta server: its process was not found through /proc (another user's?); not measured")
    print(
        "  fixed cost of a Python process that imported the SDK: "
        f"claude_agent_sdk {_mib(fixed['claude_agent_sdk'])}, claude_compat {_mib(fixed['claude_compat'])}"
    )
    print()
    print("what the numbers include:")
    for line in INCLUDES:
        print(line)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, bring up the fakes and the server, run."""
    if argv is None and sys.argv[1:2] == ["--serve-anthropic"]:
        return _serve_anthropic(sys.argv[2] if len(sys.argv) > 2 else None)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _harness.add_server_args(parser)
    parser.add_argument("--rounds", type=int, default=10, help="interleaved timed rounds (default 10)")
    parser.add_argument(
        "--sessions", type=int, default=30, help="claude-compat sessions held open for memory"
    )
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio", help="event loop")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.sessions = 2, 5
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cc-vs-claude-")))
        script = None if args.model_port else tool_script(work, args.rounds)
        anthropic_url = stack.enter_context(anthropic_fake(script))
        pair = stack.enter_context(_harness.server_pair(args, script))
        return anyio.run(run, args, pair, anthropic_url, work, backend=args.backend)


if __name__ == "__main__":
    sys.exit(main())
