"""Runs the steps that build the Letta server's environment and reports them through logging.

Each step (``uv venv``, ``uv pip install -r <lock>``) runs with its output copied to the build log;
the lines uv prints (resolved, each large download, prepared, installed) become records of the
``claude_compat.server`` logger carrying a :class:`BuildProgress`, which the CLI shows as a progress
bar and a library user sees with ``logging.basicConfig(level=logging.INFO)``. Nothing is printed.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import IO

__all__ = ["PROGRESS_ATTR", "WAIT_ATTR", "BuildProgress", "run_build_step"]

_log = logging.getLogger("claude_compat.server")

#: Attribute of a log record that carries a :class:`BuildProgress` (``extra={PROGRESS_ATTR: …}``).
PROGRESS_ATTR = "claude_compat_progress"
#: Attribute of a log record that begins a wait of unknown length, which the logger's next record ends.
WAIT_ATTR = "claude_compat_wait"


@dataclass(frozen=True)
class BuildProgress:
    """Where the build is: step ``step`` of ``steps`` (``title``), in ``phase``.

    ``done`` and ``total`` count ``unit`` (MiB of the downloads uv names; ``total`` grows as uv
    announces them and is None while nothing is announced); ``finished`` marks a step's last record.
    """

    step: int
    steps: int
    title: str
    phase: str = "starting"
    done: float = 0.0
    total: float | None = None
    unit: str = "MiB"
    finished: bool = False


_SIZE_UNITS = {"B": 1 / 2**20, "KiB": 1 / 2**10, "MiB": 1.0, "GiB": 2**10}


def _mib(amount: str, unit: str) -> float:
    return float(amount) * _SIZE_UNITS.get(unit, 1.0)


@dataclass
class _Tracker:
    """The progress of one step, updated line by line from uv's output."""

    progress: BuildProgress
    sizes: dict[str, float]

    def announce(self, name: str, size: float) -> BuildProgress:
        self.sizes[name] = size
        total = (self.progress.total or 0.0) + size
        return self.set("downloading", total=total)

    def downloaded(self, name: str) -> BuildProgress:
        done = self.progress.done + self.sizes.get(name, 0.0)
        return self.set("downloading", done=min(done, self.progress.total or done))

    def all_fetched(self) -> BuildProgress:
        return self.set("installing", done=self.progress.total or 0.0)

    def set(self, phase: str, *, done: float | None = None, total: float | None = None) -> BuildProgress:
        self.progress = replace(
            self.progress,
            phase=phase,
            done=self.progress.done if done is None else done,
            total=self.progress.total if total is None else total,
        )
        return self.progress


# What uv prints (one line each, no colours when not on a terminal), and what it means: the
# message logged at INFO with the progress, or None to keep the line at DEBUG only.
_Event = Callable[[_Tracker, "re.Match[str]"], "tuple[str, BuildProgress] | None"]
_UV_LINES: Sequence[tuple[re.Pattern[str], _Event]] = (
    (
        re.compile(r"^Downloading (?P<name>\S+) \((?P<amount>[\d.]+) ?(?P<unit>[KMG]i?B|B)\)"),
        lambda t, m: (
            f"downloading {m['name']} ({m['amount']} {m['unit']})",
            t.announce(m["name"], _mib(m["amount"], m["unit"])),
        ),
    ),
    (
        re.compile(r"^Downloaded (?P<name>\S+)"),
        lambda t, m: (f"downloaded {m['name']}", t.downloaded(m["name"])),
    ),
    (
        re.compile(r"^Resolved (?P<count>\d+) packages?"),
        lambda t, m: (f"resolved {m['count']} packages", t.set("resolved")),
    ),
    (
        re.compile(r"^Building (?P<name>\S+)"),
        lambda t, m: (f"building {m['name']} from source", t.set("building")),
    ),
    (
        re.compile(r"^Prepared (?P<count>\d+) packages?"),
        lambda t, m: (f"fetched {m['count']} packages; installing", t.all_fetched()),
    ),
    (
        re.compile(r"^Installed (?P<count>\d+) packages?"),
        lambda t, m: (f"installed {m['count']} packages", t.set("installed")),
    ),
    (
        re.compile(r"^Using (?P<python>C?Python [\d.]+)"),
        lambda t, m: (f"using {m['python']}", t.set("python found")),
    ),
    (
        re.compile(r"^Creating virtual environment"),
        lambda t, m: ("creating the virtual environment", t.set("creating")),
    ),
)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _interpret(tracker: _Tracker, line: str) -> tuple[str, BuildProgress] | None:
    """The logged message and progress for one line of uv's output, or None for other lines."""
    text = _ANSI.sub("", line).strip()
    for pattern, event in _UV_LINES:
        match = pattern.match(text)
        if match is not None:
            return event(tracker, match)
    return None


def _report(progress: BuildProgress, message: str, level: int = logging.INFO) -> None:
    _log.log(
        level,
        "server environment %d/%d (%s): %s",
        progress.step,
        progress.steps,
        progress.title,
        message,
        extra={PROGRESS_ATTR: progress},
    )


def run_build_step(
    cmd: Sequence[str],
    *,
    step: int,
    steps: int,
    title: str,
    log: IO[bytes],
    env: Mapping[str, str],
    timeout: float,
) -> int | None:
    """Run one build command, its output appended to ``log`` and reported as progress.

    Returns its exit code, or None when it ran longer than ``timeout`` seconds (it is then killed).
    """
    tracker = _Tracker(BuildProgress(step=step, steps=steps, title=title), sizes={})
    _report(tracker.progress, "started")
    log.write(f"$ {' '.join(cmd)}\n".encode())
    log.flush()
    proc = subprocess.Popen(
        list(cmd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(env),
    )
    assert proc.stdout is not None
    output = proc.stdout

    def pump() -> None:
        for raw in output:
            log.write(raw)
            log.flush()
            line = raw.decode("utf-8", "replace")
            _log.debug("uv: %s", line.rstrip())
            found = _interpret(tracker, line)
            if found is not None:
                _report(found[1], found[0])

    reader = threading.Thread(target=pump, name="uv-output", daemon=True)
    reader.start()
    try:
        code: int | None = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = None
    reader.join(timeout=10.0)
    output.close()
    if code == 0:
        _report(replace(tracker.progress, phase="done", finished=True), "done")
    else:
        what = "timed out" if code is None else f"failed (exit code {code})"
        _report(replace(tracker.progress, phase="failed", finished=True), what, logging.WARNING)
    return code
