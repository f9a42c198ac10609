"""``claude-compat sessions import [DIR | --store MODULE:FACTORY] [--dry-run]``: Claude sessions to Letta.

Imports every session the real Claude SDK wrote — the transcripts under DIR (default
``$CLAUDE_CONFIG_DIR/projects``, else ``~/.claude/projects``) or the sessions a SessionStore keeps
— so that ``resume=<id>`` later finds them imported. Shows a progress bar, then one line per
failure and a summary; exit status 1 when any session failed. Runs again safely: imported
sessions are skipped, and a session is either imported whole or not at all.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from tqdm import tqdm

from claude_compat._internal import transcripts
from claude_compat._tooling import bulk_import
from claude_compat._tooling.bulk_import import Outcome, Summary

if TYPE_CHECKING:
    from letta_backend.backend import LettaBackend

__all__ = ["add", "format_summary"]


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``sessions import`` on the command line."""
    parser = commands.add_parser(
        "sessions",
        help="work with sessions the real Claude SDK wrote (import them into Letta)",
        description="Sessions the real Claude SDK wrote, as transcript files or in a SessionStore.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="import every Claude session of a folder or a SessionStore into Letta",
        description="Import every Claude session transcript under DIR (default: "
        "$CLAUDE_CONFIG_DIR/projects, else ~/.claude/projects; a single project's folder works too) "
        "or every session of a SessionStore into Letta, under the same session ids, so that "
        "resume=<id> finds them already imported. Sessions already imported are skipped; a "
        "session that fails (a damaged transcript, a server error) is reported with its file and "
        "line or store key and leaves nothing behind. Exit status 1 when any session failed. "
        "Uses the Letta server claude-compat programs use (LETTA_BASE_URL, LETTA_API_KEY, else "
        "the embedded server) and the registry CLAUDE_COMPAT_REGISTRY names.",
    )
    imp.add_argument("dir", metavar="DIR", nargs="?", help="the folder of transcripts to import")
    imp.add_argument(
        "--store",
        metavar="MODULE:FACTORY",
        help="import from the SessionStore that calling MODULE:FACTORY() returns, instead of files",
    )
    imp.add_argument(
        "--project",
        metavar="DIR",
        action="append",
        default=None,
        help="with --store: a project directory whose sessions to import (repeatable; default: "
        "the current directory), as a SessionStore lists one project at a time",
    )
    imp.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")
    imp.add_argument(
        "--model",
        metavar="MODEL",
        help="the model of the imported sessions (a Claude name or a Letta handle; default: as a new "
        "session's, CLAUDE_COMPAT_MODEL or the server's choice)",
    )
    imp.add_argument(
        "--system-prompt",
        metavar="TEXT",
        help="the system prompt of the imported sessions' agents (default: none, as a program "
        "without system_prompt= gets)",
    )
    imp.add_argument(
        "--jobs",
        type=int,
        default=bulk_import.DEFAULT_JOBS,
        metavar="N",
        help=f"sessions imported at once (default {bulk_import.DEFAULT_JOBS})",
    )
    imp.add_argument("--json", action="store_true", help="print the outcome of every session as JSON")
    imp.set_defaults(handler=_cmd_import)


def _cmd_import(args: argparse.Namespace) -> int:
    if args.store and args.dir:
        print("claude-compat: error: give DIR or --store, not both", file=sys.stderr)
        return 2
    if args.project and not args.store:
        print("claude-compat: error: --project goes with --store (DIR names the folder)", file=sys.stderr)
        return 2
    if not args.store:
        root = Path(args.dir) if args.dir else transcripts.projects_dir()
        if not root.is_dir():
            print(
                f"claude-compat: error: no folder at {root}: give the Claude projects folder "
                "(e.g. ~/.claude/projects) or set CLAUDE_CONFIG_DIR",
                file=sys.stderr,
            )
            return 2
    seen: list[Outcome] = []
    try:
        summary = anyio.run(_import, args, seen)
    except KeyboardInterrupt:
        # the sessions in flight were rolled back; the finished ones stay (a new run skips them)
        print(format_summary(Summary(seen), dry_run=args.dry_run), end="")
        print(
            "claude-compat: interrupted; sessions not listed above were not imported (run again to go on)",
            file=sys.stderr,
        )
        return 130
    if args.json:
        print(json.dumps(_to_json(summary, dry_run=args.dry_run), indent=2))
    else:
        print(format_summary(summary, dry_run=args.dry_run), end="")
    return 1 if summary.failed else 0


async def _import(args: argparse.Namespace, seen: list[Outcome]) -> Summary:
    from claude_compat.types import ClaudeAgentOptions

    options = ClaudeAgentOptions(model=args.model, system_prompt=args.system_prompt)
    if args.store:
        store = bulk_import.load_store(args.store)
        projects = args.project or [os.getcwd()]
        sources = await bulk_import.store_sources(store, projects, options.load_timeout_ms)
    else:
        sources = bulk_import.transcript_sources(Path(args.dir) if args.dir else transcripts.projects_dir())
    backend, sessions = await _connect(args.dry_run)
    bar: Any = tqdm(
        total=len(sources),
        desc="checking" if args.dry_run else "importing",
        unit="session",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
    )
    counts = {"imported": 0, "skipped": 0, "failed": 0, "would-import": 0}

    def done(outcome: Outcome) -> None:
        seen.append(outcome)
        counts[outcome.status] += 1
        bar.set_postfix_str(", ".join(f"{n} {s}" for s, n in counts.items() if n), refresh=False)
        bar.update(1)

    try:
        return await _until_ctrl_c(
            lambda: bulk_import.import_sessions(
                sources,
                backend=backend,
                sessions=sessions,
                dry_run=args.dry_run,
                jobs=args.jobs,
                options=options,
                on_done=done,
            )
        )
    finally:
        bar.close()
        if backend is not None:
            with anyio.CancelScope(shield=True):
                await backend.aclose()


async def _connect(dry_run: bool) -> tuple[LettaBackend | None, Any]:
    """The backend and the registry an import writes to; a dry run on the local registry needs no server."""
    from letta_backend.backend import LettaBackend
    from letta_backend.letta_registry import registry_kind
    from letta_backend.registry import LocalSessionRegistry, default_registry

    if dry_run and registry_kind() == "local":  # nothing to write: no server needed
        return None, LocalSessionRegistry(default_registry())
    backend = await LettaBackend.connect()
    return backend, backend.sessions


async def _until_ctrl_c(work: Callable[[], Awaitable[Summary]]) -> Summary:
    """``work()``'s summary; KeyboardInterrupt when Ctrl-C stopped it (the sessions in flight roll back)."""
    interrupted = False
    result: Summary | None = None
    async with anyio.create_task_group() as group:

        async def on_ctrl_c() -> None:
            # our own handler: a cancel scope's cancellation waits out a session being
            # written and then stops the rest, where the event loop's own one could be lost
            nonlocal interrupted
            with anyio.open_signal_receiver(signal.SIGINT) as signals:
                async for _ in signals:
                    interrupted = True
                    group.cancel_scope.cancel()
                    return

        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            group.start_soon(on_ctrl_c)
        result = await work()
        group.cancel_scope.cancel()
    if interrupted or result is None:
        raise KeyboardInterrupt
    return result


def format_summary(summary: Summary, *, dry_run: bool = False) -> str:
    """One line per failed session, then the counts."""
    lines = [f"failed: {o.reason}" for o in summary.failed]
    if dry_run:
        lines.append(
            f"dry run: {summary.count('would-import')} to import ({summary.messages} messages), "
            f"{summary.count('skipped')} already imported, {summary.count('failed')} would fail; "
            "nothing was written"
        )
    else:
        lines.append(
            f"{summary.count('imported')} imported ({summary.messages} messages), "
            f"{summary.count('skipped')} skipped (already imported), {summary.count('failed')} failed"
        )
    if not summary.outcomes:
        lines.append("no Claude sessions found")
    return "\n".join(lines) + "\n"


def _to_json(summary: Summary, *, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "counts": {s: summary.count(s) for s in ("imported", "skipped", "failed", "would-import")},
        "messages": summary.messages,
        "sessions": [
            {
                "session_id": o.session_id,
                "source": o.where,
                "status": o.status,
                "messages": o.messages,
                **({"reason": o.reason} if o.reason else {}),
            }
            for o in summary.outcomes
        ],
    }
