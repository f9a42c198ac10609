"""Render MIGRATING.md's reference tables from the status table and the mapping tables.

``python scripts/gen_migrating_tables.py`` rewrites the part of MIGRATING.md between the
``BEGIN/END GENERATED TABLES`` markers; ``--check`` only reports (exit 1) when it is stale.
The sources are ``claude_compat/_internal/surface.py``, ``letta_backend/mapping.py``,
``claude_compat/_internal/permission_modes.py`` and ``letta_backend/timeouts.py``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import sys
import typing
from collections.abc import Iterable
from pathlib import Path

import claude_compat
from claude_compat import types as cc_types
from claude_compat._internal import prices, surface
from claude_compat._internal.permission_modes import PERMISSION_MODES
from letta_backend import mapping, timeouts

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "MIGRATING.md"
BEGIN = "<!-- BEGIN GENERATED TABLES -->"
END = "<!-- END GENERATED TABLES -->"
COMMAND = "python scripts/gen_migrating_tables.py"

_STATUS_LEGEND = {
    "mapped": "a Letta feature does it",
    "emulated": "claude-compat does it on your machine (tools, permissions, hooks run locally)",
    "refused": "Letta has no equivalent; the name exists so programs import and type-check",
    "not-yet": "**not supported on Letta yet**: planned, not built",
}
_ON_USE_LEGEND = {
    "(accepted, no effect)": "the value is accepted and changes nothing",
    "(ignored with a warning)": "the value is ignored and a `UserWarning` says so, once per process",
    "(raises NotSupportedOnLettaError)": "using it raises `NotSupportedOnLettaError` with what to do instead",
}
_MODE_RULES = {
    "allow_all": "every tool runs without asking",
    "allow_edits": "file edits in the allowed directories run without asking",
    "read_only": "only read-only tools run",
    "deny_asks": "whatever would ask is denied",
}


def _cell(value: object) -> str:
    """A Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _code(value: object) -> str:
    return "—" if value is None else f"`{value}`"


def _legend() -> list[str]:
    lines = ["Status of each name and option:", ""]
    lines += [f"- **{status}**: {text}" for status, text in _STATUS_LEGEND.items()]
    lines += ["", "What happens when a program uses it, where it is not simply \u201cit works\u201d:", ""]
    lines += [f"- {marker}: {text}" for marker, text in _ON_USE_LEGEND.items()]
    return lines


def _first_doc_line(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _extensions() -> list[str]:
    """Public names claude-compat adds to the Claude SDK's (Letta errors, V2 sessions)."""
    extra = [n for n in claude_compat.__all__ if n not in surface.TABLE]
    lines = ["### claude-compat additions", ""]
    lines += _table(
        ["name", "what it is"],
        ((f"`{n}`", _first_doc_line(getattr(claude_compat, n))) for n in extra),
    )
    return lines


def _option_docs() -> dict[str, str]:
    """Attribute docstrings of ``ClaudeAgentOptions`` fields, read from its source."""
    tree = ast.parse(inspect.getsource(cc_types))
    docs: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "ClaudeAgentOptions":
            body = node.body
            for stmt, nxt in zip(body, [*body[1:], None], strict=True):
                if (
                    isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Name)
                    and isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)
                ):
                    docs[stmt.target.id] = " ".join(nxt.value.value.split())
    return docs


def _letta_options() -> list[str]:
    """The ``letta_*`` extension fields of ``ClaudeAgentOptions``."""
    docs = _option_docs()
    names = [f.name for f in dataclasses.fields(cc_types.ClaudeAgentOptions) if f.name.startswith("letta_")]
    rows = []
    for name in names:
        row = mapping.OPTIONS.get(name)
        rows.append((f"`{name}`", docs.get(name, ""), row.letta if row is not None else "—"))
    lines = ["### Letta extension options (`ClaudeAgentOptions.letta_*`)", ""]
    lines += _table(["field", "what it does", "on Letta"], rows)
    return lines


def _timeouts() -> list[str]:
    """The bounds on every wait for Letta, from ``letta_backend.timeouts.BOUNDS``."""
    lines = [
        "### Timeouts",
        "",
        "Every wait for the Letta server is bounded: each request, and each silence on a turn's "
        "stream; a whole turn too when you set a limit. A wait that runs out raises "
        "`LettaTimeoutError` (a `CLIConnectionError`) naming the server, the conversation, the wait "
        "and the setting to raise. Each bound is set by its option, else its environment variable, "
        "else its default (seconds).",
        "",
    ]
    lines += _table(
        ["wait", "option", "environment variable", "default", "what it bounds"],
        (
            (
                f"`{b.wait}`",
                f"`{b.option}`",
                f"`{b.env}`",
                "no limit" if b.default is None else f"{b.default:g}",
                b.covers,
            )
            for b in timeouts.BOUNDS.values()
        ),
    )
    return lines


def _models() -> list[str]:
    lines = ["### Model choice", "", "Where the model comes from, strongest first:", ""]
    lines += [f"{i}. {source}" for i, source in enumerate(mapping.MODEL_PRECEDENCE, start=1)]
    lines += [
        "",
        "`model=` values: a value with a `/` is used as a Letta handle as it is; the aliases below "
        "try their handles in order and take the first the server offers (or its newest dated "
        "variant); any other `claude-…` id becomes `anthropic/<id>`.",
        "",
    ]
    lines += _table(
        ["`model=`", "Letta handles tried"],
        (
            (f"`{alias}`", ", ".join(f"`{h}`" for h in handles))
            for alias, handles in mapping.MODEL_ALIASES.items()
        ),
    )
    lines += [
        "",
        "`ResultMessage.total_cost_usd` is always a number. A handle's price is, first, the one set "
        f"in `{prices.PRICES_ENV}` (a JSON object of handles to USD per million tokens, e.g. "
        f"`{prices.PRICES_ENV}='{prices.PRICES_EXAMPLE}'`; "
        "optional `cache_read`, `cache_write`, which default to `input`; in the environment or in "
        "`ClaudeAgentOptions(env=...)`); models of the free (local) providers below cost 0.0; "
        "else the list price of the `genai-prices` library, looked up by the handle's model name "
        "with the provider below (other providers: by the model name alone); any other model "
        "counts 0.0 with one `UserWarning` per handle saying how to set its price. Cached "
        "input tokens are counted at their own prices where Letta reports them.",
        "",
    ]
    lines += _table(
        ["Letta provider", "price library provider"],
        ((f"`{letta}`", f"`{library}`") for letta, library in prices.LIBRARY_PROVIDERS.items()),
    )
    lines += [
        "",
        "Free (local) providers: " + ", ".join(f"`{p}`" for p in sorted(prices.FREE_PROVIDERS)) + ".",
    ]
    return lines


def _sampling() -> list[str]:
    lines = [
        "### Sampling and reasoning",
        "",
        "A Claude model (a handle whose model name starts with `claude-`, through any provider) is "
        "asked for what the CLI asks it for: the rows below, measured on the pinned CLI. The CLI's "
        f"`{mapping.MAX_OUTPUT_TOKENS_ENV}` (in `ClaudeAgentOptions(env=...)` or the environment) "
        "sets the output limit, and an `enabled` budget shrinks under it. `thinking=` and "
        "`max_thinking_tokens=` change the request only where the CLI lets them (`disabled` also "
        "sets temperature 1, as the CLI does), `effort=` likewise. Any other model gets only what the "
        "program set itself: the CLI's limits are Claude's. `letta_model_settings` is applied last "
        "and wins.",
        "",
    ]
    rows = [
        (
            f"`{prefix}…`" if prefix else "any other `claude-…`",
            f"{row.max_tokens:,}".replace(",", " "),
            {"enabled": "enabled, budget = limit - 1", "off": "none"}.get(row.thinking, row.thinking),
            _code(row.effort),
            "yes" if row.takes_thinking else "no",
            "yes" if row.takes_effort else "no",
        )
        for prefix, row in [*mapping.CLI_SAMPLING.items(), ("", mapping.CLI_SAMPLING_UNKNOWN)]
    ]
    lines += _table(
        ["model", "output limit", "thinking", "effort", "`thinking=` applies", "`effort=` applies"], rows
    )
    lines += [
        "",
        "On Letta these become the agent's `model_settings` for the handle's provider: "
        "`max_output_tokens`; on Anthropic `thinking` (with `enable_reasoner` on the agent) and "
        "`effort`; on Google `thinking_config`; elsewhere `reasoning.reasoning_effort` from `effort`. "
        "The temperature is the provider API's own default where the CLI sends none:",
        "",
    ]
    lines += _table(
        ["provider", "temperature sent"],
        ((f"`{p}`", t) for p, t in mapping.API_DEFAULT_TEMPERATURE.items()),
    )
    lines += ["", "(other providers: Letta's own default). What Letta 0.16.8 cannot send:", ""]
    lines += _table(["setting", "on Letta"], ((k, v) for k, v in mapping.SAMPLING_LIMITS.items()))
    return lines


def _stop_reasons() -> list[str]:
    lines = [
        "### Stop reasons",
        "",
        "How each Letta `stop_reason` ends a turn: the `ResultMessage` fields it sets. Rows marked "
        "*API error* also yield an `AssistantMessage` whose text starts with `API Error` and whose "
        "`error` is set (as the Claude SDK does); an error result is followed by `ResultError`.",
        "",
    ]
    rows = [
        (
            f"`{reason}`",
            f"`{m.subtype}`",
            m.is_error,
            _code(m.terminal_reason),
            _code(m.stop_reason),
            "yes" if m.api_error else "",
        )
        for reason, m in [*mapping.STOP_REASONS.items(), ("(any other)", mapping.UNKNOWN_STOP)]
    ]
    rows[-1] = ("any other", *rows[-1][1:])
    lines += _table(
        ["Letta stop_reason", "subtype", "is_error", "terminal_reason", "stop_reason", "API error"], rows
    )
    lines += ["", "Model errors reported inside the stream set `AssistantMessage.error`:", ""]
    lines += _table(
        ["Letta error_type", "AssistantMessage.error"],
        ((f"`{k}`", f"`{v}`") for k, v in mapping.ASSISTANT_ERRORS.items()),
    )
    return lines


def _permission_modes() -> list[str]:
    lines = [
        "### Permission modes",
        "",
        "Claude's and Letta's mode names are both accepted in `permission_mode` and "
        "`set_permission_mode()` (Letta's `acceptEdits` is Claude's); each name applies the rules of "
        "its Claude mode. A tool call is checked in this order: `disallowed_tools`, PreToolUse hooks, "
        "the mode, `allowed_tools`, `can_use_tool`; what is still undecided is denied, as a headless "
        "run cannot ask.",
        "",
    ]
    claude_modes = set(typing.get_args(cc_types.PermissionMode))
    rows = []
    for name, rules in PERMISSION_MODES.items():
        vocabulary = "Claude" if name in claude_modes else f"Letta (= `{rules.claude_name}`)"
        allowed = [text for flag, text in _MODE_RULES.items() if getattr(rules, flag)]
        rows.append((f"`{name}`", vocabulary, "; ".join(allowed) or "no blanket allowance: the rules decide"))
    for name in sorted(claude_modes - set(PERMISSION_MODES)):
        rows.append((f"`{name}`", "Claude", "**not supported on Letta yet** (no rules for this mode)"))
    lines += _table(["mode", "vocabulary", "without asking"], rows)
    return lines


def render() -> str:
    """The generated section of MIGRATING.md (between the markers, markers excluded)."""
    parts = [
        f"<!-- Generated by `{COMMAND}` from claude_compat/_internal/surface.py, "
        "claude_compat/_internal/permission_modes.py and letta_backend/mapping.py. Do not edit by hand. -->",
        "",
        *_legend(),
        "",
        surface.render_markdown().rstrip("\n"),
        "",
        *_extensions(),
        "",
        *_letta_options(),
        "",
        *_timeouts(),
        "",
        *_models(),
        "",
        *_sampling(),
        "",
        *_stop_reasons(),
        "",
        *_permission_modes(),
    ]
    return "\n".join(parts) + "\n"


def generated_section(doc: str) -> str:
    """The text between the markers of a MIGRATING.md; ValueError when they are missing."""
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        raise ValueError(f"MIGRATING.md must contain {BEGIN} ... {END}")
    return doc[start + len(BEGIN) : end].strip("\n") + "\n"


def splice(doc: str, body: str) -> str:
    """MIGRATING.md with its generated section replaced by ``body``."""
    generated_section(doc)  # validates the markers
    start, end = doc.find(BEGIN) + len(BEGIN), doc.find(END)
    return doc[:start] + "\n" + body.rstrip("\n") + "\n" + doc[end:]


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check`` verify) MIGRATING.md's generated tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if MIGRATING.md is stale")
    args = parser.parse_args(argv)
    doc = DOC.read_text(encoding="utf-8")
    body = render()
    if generated_section(doc) == body:
        print("MIGRATING.md tables are up to date")
        return 0
    if args.check:
        print(f"MIGRATING.md tables are stale: run `{COMMAND}`", file=sys.stderr)
        return 1
    DOC.write_text(splice(doc, body), encoding="utf-8")
    print("MIGRATING.md tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
