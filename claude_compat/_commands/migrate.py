"""``claude-compat migrate PATH [--write] [--json]``: report a code base's Claude SDK uses, rewrite imports.

Each use is printed as ``path:line:col: status name — what happens on Letta``, then a summary by
status. ``--write`` rewrites the import statements to claude-compat in place (nothing else
changes). Exit status 2 when the code uses something refused on Letta that raises or is ignored
with a warning, or a name claude-compat does not have; refused names accepted with no effect (an
``except CLINotFoundError``) are reported but do not fail the run.
"""

from __future__ import annotations

import argparse
import json
import sys

from claude_compat._tooling.migrate import STATUSES, Report, analyze, write

__all__ = ["add", "format_report"]

_ON_USE_TEXT = {
    "ignored": " (accepted, no effect)",
    "warns": " (ignored with a warning)",
    "raises": " (raises)",
}


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``migrate`` on the command line."""
    parser = commands.add_parser(
        "migrate",
        help="report every use of the Claude SDK in a code base; --write rewrites the imports",
        description="Find every use of claude_agent_sdk under PATH (imports, module attributes, "
        "ClaudeAgentOptions fields) and say what each does on Letta: mapped, emulated, refused or "
        "not-yet. Exits with status 2 when something refused on Letta that raises or warns (or "
        "a name claude-compat lacks) is used. Skips hidden directories, virtual environments "
        "and site-packages.",
    )
    parser.add_argument("path", metavar="PATH", help="a directory (searched recursively) or a Python file")
    parser.add_argument(
        "--write",
        action="store_true",
        help="rewrite the imports (claude_agent_sdk -> claude_compat) in place; no other line changes",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=_cmd_migrate)


def _cmd_migrate(args: argparse.Namespace) -> int:
    try:
        report = analyze(args.path)
    except FileNotFoundError:
        print(
            f"claude-compat: error: no file or directory at {args.path}: give the path of a Python "
            "file or of the directory holding the code base",
            file=sys.stderr,
        )
        return 1
    if args.write:
        write(report)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_report(report, wrote=args.write), end="")
    return report.exit_status


def format_report(report: Report, *, wrote: bool = False) -> str:
    """The human-readable report: one line per use, the summary, then what needs attention."""
    lines: list[str] = []
    for use in report.uses:
        on_use = _ON_USE_TEXT.get(use.on_use, "")
        lines.append(f"{use.path}:{use.line}:{use.col}: {use.status:<8} {use.name} — {use.note}{on_use}")
    if lines:
        lines.append("")
    files = len(report.files_using_sdk)
    if report.uses:
        counts = ", ".join(f"{n} {status}" for status, n in report.summary().items() if n)
        lines.append(
            f"{len(report.uses)} uses of the Claude SDK in {_plural(files, 'file')} "
            f"(of {report.files_scanned} scanned): {counts}"
        )
    else:
        lines.append(f"no use of the Claude SDK in {_plural(report.files_scanned, 'Python file')}")
    rewritable = [r for r in report.imports if r.rewritable]
    if wrote:
        lines.append(
            f"rewrote {_plural(len(rewritable), 'import statement')} in "
            f"{_plural(len(report.written), 'file')}"
        )
    elif rewritable:
        lines.append(
            f"{_plural(len(rewritable), 'import statement')} to rewrite in "
            f"{_plural(len({r.path for r in rewritable}), 'file')}: run again with --write"
        )
    manual = [r for r in report.imports if not r.rewritable and r.reason]
    if manual:
        lines.append("left for a hand edit:")
        lines += [f"  {r.path}:{r.line}: {r.reason}" for r in manual]
    if report.unparseable:
        lines.append(f"could not parse {_plural(len(report.unparseable), 'file')} (skipped):")
        for item in report.unparseable:
            where = f"{item.path}:{item.line}" if item.line is not None else item.path
            lines.append(f"  {where}: {item.message}")
    blocking = report.blocking
    if blocking:
        lines.append(f"needs changes before it runs on Letta as intended (exit status {report.exit_status}):")
        for status in STATUSES:
            for use in (u for u in blocking if u.status == status):
                lines.append(
                    f"  {use.status} {use.name}{_ON_USE_TEXT.get(use.on_use, '')} at {use.path}:{use.line}"
                )
    return "\n".join(lines) + "\n"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
