"""``claude-compat run SCRIPT [ARGS…]``: run an unmodified Claude SDK program on Letta.

The import hook makes ``claude_agent_sdk`` resolve to ``claude_compat``; then the program runs as
``python SCRIPT ARGS…`` (or ``python -m MODULE ARGS…``) would run it: same ``sys.argv``,
``__name__ == "__main__"``, ``sys.path[0]``, exit status and traceback.
"""

from __future__ import annotations

import argparse
import builtins
import importlib.machinery
import importlib.util
import io
import os
import runpy
import sys
import types
import zipfile
from collections.abc import Sequence

from claude_compat._tooling import importhook

__all__ = ["add", "run_module", "run_script"]

_USAGE = "claude-compat run [-h] (SCRIPT | -m MODULE) [ARGS ...]"


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``run`` on the command line."""
    parser = commands.add_parser(
        "run",
        usage=_USAGE,
        help="run an unmodified Claude SDK program on Letta",
        description="Run a program written for the Claude Agent SDK on Letta, with no file changed: "
        "its claude_agent_sdk imports resolve to claude_compat (the real Claude SDK is never loaded). "
        "The program sees the arguments after SCRIPT (or MODULE) as python would give them.",
    )
    parser.add_argument(
        "-m",
        dest="module",
        nargs=argparse.REMAINDER,
        metavar="MODULE",
        help="run a module as `python -m MODULE ARGS...` does",
    )
    parser.add_argument(
        "target",
        nargs=argparse.REMAINDER,
        metavar="SCRIPT [ARGS ...]",
        help="the program and its arguments, as `python SCRIPT ARGS...` takes them",
    )
    parser.set_defaults(handler=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    if args.module is not None:
        if not args.module:
            return _usage_error("-m needs the name of a module to run")
        return run_module(args.module[0], args.module[1:])
    target: list[str] = list(args.target)
    if target[:1] == ["--"]:
        target = target[1:]
    if not target:
        return _usage_error("give the program to run: SCRIPT or -m MODULE")
    return run_script(target[0], target[1:])


def _usage_error(message: str) -> int:
    print(f"usage: {_USAGE}\nclaude-compat run: error: {message}", file=sys.stderr)
    return 2


def run_script(script: str, args: Sequence[str]) -> int:
    """Run ``script`` with ``args`` as ``python script args`` would, on claude-compat; the exit status.

    A ``SystemExit`` from the program propagates (so the interpreter exits as it would have); an
    uncaught exception is printed as python prints it and gives status 1 (130 for Ctrl-C).
    """
    if not os.path.exists(script):
        where = os.path.abspath(script)
        message = f"can't open file {where!r}: [Errno 2] No such file or directory"
        print(f"claude-compat run: {message}", file=sys.stderr)
        return 2
    importhook.install()
    runs_main_of_path = os.path.isdir(script) or zipfile.is_zipfile(script) or script.endswith(".pyc")
    if runs_main_of_path:
        # A directory or zip archive with a __main__.py: runpy puts it on sys.path itself.
        _set_path0(None)
    else:
        _set_path0(os.path.dirname(os.path.realpath(script)))
    sys.argv = [script, *args]
    try:
        if runs_main_of_path:
            runpy.run_path(script, run_name="__main__")
        else:
            _exec_source_file(script)
    except SystemExit:
        raise
    except BaseException as exc:
        return _uncaught(exc)
    return 0


def run_module(module: str, args: Sequence[str]) -> int:
    """Run ``module`` with ``args`` as ``python -m module args`` would, on claude-compat; the exit status."""
    importhook.install()
    _set_path0(os.getcwd())
    sys.argv = ["-m", *args]  # runpy puts the module's file in argv[0] while it runs, as python -m does
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        found = None
        reason = str(exc)
    else:
        reason = f"No module named {module}"
    if found is None:
        print(f"claude-compat run: error: {reason}", file=sys.stderr)
        return 1
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit:
        raise
    except BaseException as exc:
        return _uncaught(exc)
    return 0


def _exec_source_file(script: str) -> None:
    """Execute a Python source file as the ``__main__`` module, as the interpreter does for a script."""
    path = os.path.abspath(script)
    with io.open_code(path) as file:
        source = file.read()
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__cached__ = None  # type: ignore[attr-defined]
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", path)
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    # Replaced for good (not only while it runs): pickle, dataclasses and atexit callbacks look
    # classes and functions up in sys.modules["__main__"].
    sys.modules["__main__"] = main
    # dont_inherit: this module's `from __future__` imports must not leak into the program.
    code = compile(source, path, "exec", dont_inherit=True)
    exec(code, main.__dict__)


def _set_path0(entry: str | None) -> None:
    """Make ``sys.path[0]`` what python would have put there for the program (``None``: nothing).

    The entry python added for claude-compat itself (the console script's directory, or the
    working directory under ``python -m``) is replaced; with ``-P`` / PYTHONSAFEPATH none is added.
    """
    if getattr(sys.flags, "safe_path", False):
        return
    launcher = {"", os.getcwd(), os.path.dirname(os.path.realpath(sys.argv[0])) if sys.argv else ""}
    if sys.path and sys.path[0] in launcher:
        if entry is None:
            del sys.path[0]
        else:
            sys.path[0] = entry
    elif entry is not None:
        sys.path.insert(0, entry)


_OUR_FILES = frozenset(
    os.path.normcase(os.path.abspath(f)) for f in (__file__, runpy.__file__) if f is not None
)


def _uncaught(exc: BaseException) -> int:
    """Print an exception the program did not catch as python would (without our frames)."""
    tb = exc.__traceback__
    while tb is not None and os.path.normcase(tb.tb_frame.f_code.co_filename) in _OUR_FILES:
        tb = tb.tb_next
    # The default hook prints the exception's own __traceback__, whatever tb it is given.
    sys.excepthook(type(exc), exc.with_traceback(tb), tb)
    return 130 if isinstance(exc, KeyboardInterrupt) else 1
