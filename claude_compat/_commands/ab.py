"""``claude-compat ab SCRIPT``: run one Claude Agent SDK program on both SDKs and compare them."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from claude_compat.errors import InvalidOptionError


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``ab`` subcommand."""
    parser = commands.add_parser(
        "ab",
        help="run a Claude SDK program on claude_agent_sdk and on claude-compat, side by side",
        description="Runs SCRIPT (a program that imports claude_agent_sdk, unchanged) once on the real "
        "Claude Agent SDK and once on claude-compat, records both message streams as JSON lines and "
        "prints a side-by-side report. With --scripted both sides run offline from one model script.",
    )
    parser.add_argument("script", metavar="SCRIPT", help="the Python program to run")
    parser.add_argument("script_args", metavar="ARG", nargs="*", help="arguments passed to SCRIPT")
    parser.add_argument("--runs", type=int, default=1, help="runs per side (default 1)")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="where traces and the report go (default ab-runs/<script>-<time>)",
    )
    parser.add_argument(
        "--scripted",
        metavar="FILE",
        help="JSON model script (turns, rules, default) driving both sides offline",
    )
    parser.add_argument("--format", choices=("md", "html"), default="md", help="report file format")
    parser.add_argument(
        "--letta-url",
        metavar="URL",
        help="with --scripted: reuse this Letta server instead of starting one",
    )
    parser.add_argument(
        "--model-port",
        type=int,
        metavar="P",
        help="with --letta-url: the port its model endpoint calls (the scripted model listens there)",
    )
    parser.add_argument(
        "--parallel",
        action="store_true",
        help="run the two sides of a run at once (faster; timings compare less well)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per side run (default 300)")
    parser.add_argument("--keep-temp", action="store_true", help="keep each scripted run's work dir and home")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run both sides, print the report; exit 0 when the message kinds match, 1 when they differ."""
    from claude_compat._tooling import ab

    if args.letta_url and not args.scripted:
        raise InvalidOptionError("--letta-url is for --scripted runs; drop it, or add --scripted FILE")
    if args.letta_url and args.model_port is None:
        raise InvalidOptionError(
            "--letta-url needs --model-port: the port of the model endpoint that Letta server calls"
        )
    out = (
        Path(args.out)
        if args.out
        else Path("ab-runs") / f"{Path(args.script).stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    bar = _ProgressBar(sys.stderr)
    report = ab.run_ab(
        args.script,
        args.script_args,
        runs=args.runs,
        out_dir=out,
        scripted=args.scripted,
        letta_url=args.letta_url,
        model_port=args.model_port,
        timeout=args.timeout,
        keep_temp=args.keep_temp,
        parallel=args.parallel,
        progress=bar.update,
        status=bar.note,
    )
    bar.finish()
    path = ab.write_report(report, args.format)
    print(ab.render_text(report))
    print(f"report: {path}")
    return 0 if report.kinds_match else 1


class _ProgressBar:
    """A text progress bar on stderr: redrawn in place on a terminal, one line per step otherwise."""

    width = 24

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._drawn = False

    def update(self, done: int, total: int, label: str) -> None:
        filled = self.width * done // max(total, 1)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {label}"
        if self._tty:
            self._stream.write("\r\x1b[2K" + line)
            self._drawn = True
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def note(self, text: str) -> None:
        self.finish()
        self._stream.write(text + "\n")
        self._stream.flush()

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False
