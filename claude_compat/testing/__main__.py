"""``python -m claude_compat.testing serve``: run the scripted model server in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from claude_compat.testing._demo import demo_reply
from claude_compat.testing._openai import ScriptedModelServer
from claude_compat.testing._script import ScriptedModel, demo_rules


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m claude_compat.testing",
        description="Offline test kit of claude-compat.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a scripted OpenAI-compatible model until SIGTERM or Ctrl-C",
        description="Prints the base URL (for OPENAI_BASE_URL) on one line, then serves.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    serve.add_argument("--script", help="JSON script file: {turns, rules, default}")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="play the demo model: the demo's tool calls, a recap of the session, a note on greetings",
    )
    serve.add_argument("--model-id", default="scripted-model", help="model id to announce")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chosen command; returns the exit status."""
    args = _parser().parse_args(argv)
    model = ScriptedModel(args.model_id)
    if args.script:
        try:
            model.load(args.script)
        except (ValueError, TypeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.demo:
        for rule in demo_rules():
            model.add_rule(rule)
        model.default = demo_reply
    try:
        server = ScriptedModelServer(model, host=args.host, port=args.port).start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        print(server.base_url, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
