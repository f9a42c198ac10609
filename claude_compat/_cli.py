"""The ``claude-compat`` command line (also ``python -m claude_compat``).

Each subcommand registers itself on the parser in a ``_add_<name>_command`` function and
handles its arguments in a ``_cmd_<name>`` function returning the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import signal
import sys
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from claude_compat._cli_progress import SERVER_LOGGER, show_server_progress
from claude_compat.errors import ClaudeSDKError, LettaServerStartError

_Handler = Callable[[argparse.Namespace], int]


def _build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    parser = argparse.ArgumentParser(
        prog="claude-compat",
        description="Run Claude Agent SDK programs on Letta.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_server_command(commands)
    # run SCRIPT, migrate PATH, ab SCRIPT, sessions import: one module each in claude_compat/_commands/,
    # exposing add(commands) that registers the parser and sets ``handler``.
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"claude_compat._commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"claude_compat._commands.{name}":
                raise
            continue
        module.add(commands)
    return parser


_COMMAND_MODULES = ("run", "migrate", "ab", "sessions")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``claude-compat`` console script; returns the exit status."""
    args = _build_parser().parse_args(argv)
    handler: _Handler = args.handler
    progress = show_server_progress()  # building and starting the embedded server, on stderr
    try:
        return handler(args)
    except ClaudeSDKError as exc:
        _error(exc)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        logging.getLogger(SERVER_LOGGER).removeHandler(progress)
        progress.close()


def _error(exc: ClaudeSDKError) -> None:
    """Print a failure as one line (the log tail of a start failure goes to its log file)."""
    line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, LettaServerStartError) and exc.log_path and exc.log_path not in line:
        line = f"{line} (log: {exc.log_path})"
    print(f"claude-compat: error: {line}", file=sys.stderr)


# --- server ---------------------------------------------------------------------------------


def _add_server_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``claude-compat server start|stop|status``: the embedded local Letta server."""
    server = commands.add_parser(
        "server",
        help="start, stop or inspect the embedded local Letta server",
        description="The local Letta server claude-compat uses when neither LETTA_BASE_URL "
        "nor LETTA_API_KEY is set. It runs detached and keeps its data between runs.",
    )
    actions = server.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start the server (if not running) and print its URL")
    start.add_argument("--port", type=int, default=None, help="port to listen on (default: free)")
    start.add_argument(
        "--foreground",
        action="store_true",
        help="stay attached; Ctrl-C (or SIGTERM) stops the server",
    )
    start.set_defaults(handler=_cmd_server_start)
    stop = actions.add_parser("stop", help="stop the server and its demo model")
    stop.set_defaults(handler=_cmd_server_stop)
    status = actions.add_parser("status", help="exit 0 if the server runs, 1 if not")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(handler=_cmd_server_status)


def _cmd_server_start(args: argparse.Namespace) -> int:
    from claude_compat.testing._demo import SCRIPTED_NOTICE
    from letta_backend._embedded import DEMO_MODEL_SOURCE, embedded_status, start_embedded

    running = embedded_status()
    # start_embedded re-checks under the lock; what it does (build, start) it logs, shown on stderr.
    status = start_embedded(port=args.port)
    if running is not None and running.pid == status.pid:
        print(f"the embedded Letta server is already running at {status.base_url}")
        if args.port is not None and not status.base_url.endswith(f":{args.port}"):
            print("(--port ignored: run `claude-compat server stop` first to change the port)")
    else:
        print(f"the embedded Letta server is running at {status.base_url}")
    print(f"model: {status.model_source}")
    if status.model_source == DEMO_MODEL_SOURCE:
        print(f"note: {SCRIPTED_NOTICE}")
    if not args.foreground:
        return 0
    return _stay_in_foreground(status.pid)


def _stay_in_foreground(pid: int) -> int:
    """Block until the server exits or we are told to stop (then stop it)."""
    from letta_backend._embedded import stop_embedded
    from letta_backend._process import pid_alive

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    print("press Ctrl-C to stop it", file=sys.stderr, flush=True)
    try:
        while pid_alive(pid):
            time.sleep(0.5)
    except KeyboardInterrupt:
        stop_embedded()
        print("stopped the embedded Letta server", file=sys.stderr)
        return 0
    print("claude-compat: error: the embedded Letta server exited", file=sys.stderr)
    return 1


def _cmd_server_stop(args: argparse.Namespace) -> int:
    from letta_backend._embedded import embedded_status, stop_embedded

    status = embedded_status()
    if stop_embedded():
        where = f" at {status.base_url}" if status is not None else ""
        print(f"stopped the embedded Letta server{where}")
        return 0
    print("the embedded Letta server is not running")
    return 1


def _cmd_server_status(args: argparse.Namespace) -> int:
    from letta_backend._embedded import embedded_status
    from letta_backend.server import _server_is_healthy

    status = embedded_status()
    if status is None:
        if args.json:
            print(json.dumps({"running": False}))
        else:
            print("the embedded Letta server is not running")
        return 1
    healthy = _server_is_healthy(status.base_url, timeout=5.0)
    if args.json:
        print(json.dumps({"running": True, "healthy": healthy, **status.to_json()}, indent=2))
        return 0
    started = datetime.fromtimestamp(status.started_at).isoformat(sep=" ", timespec="seconds")
    state = "running" if healthy else "running, but not answering its health check"
    model_pid = f" (model pid {status.model_pid})" if status.model_pid is not None else ""
    print(f"the embedded Letta server is {state}")
    print(f"  url:     {status.base_url}")
    print(f"  pid:     {status.pid}{model_pid}")
    print(f"  model:   {status.model_source}")
    print(f"  started: {started}")
    print(f"  data:    {status.data_dir}")
    print(f"  log:     {status.log_path}")
    print(f"  token:   {status.token_path} (send it as `Authorization: Bearer <token>`)")
    return 0
