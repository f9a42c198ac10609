"""The session's environment as the model is told it: working directory, platform, shell, git, date, model.

The Claude CLI puts these facts into a ``<system-reminder>`` at the start of a session's first user
message (for models that take no system-role message), so a model can use absolute paths without
running ``pwd`` first. These are the project's own words for the same facts; the volatile parts
(directory, date, model) are filled in per session, and what changed is told again, as the CLI tells
it: an environment update naming the old value, the model line, a note that the date changed.
"""

from __future__ import annotations

import datetime
import decimal
import os
import platform
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import cli_facts
from .cli_request import CliReminders

__all__ = [
    "Environment",
    "TokensLeft",
    "environment_reminder",
    "environment_blocks",
    "environment_update",
    "attribution_blocks",
    "system_message_text",
    "is_git_repository",
    "js_number",
    "listed_directories",
    "system_reminder",
    "usd_budget_reminder",
]

#: How long the git check may take before the directory counts as "not a repository".
_GIT_TIMEOUT_S = 2.0

#: The CLI's frames around the facts (short, kept as data): the list of additional directories (a
#: nested list), and what it says when the environment changed within a session.
DIRECTORIES = "Additional working directories:"
UPDATE_HEADER = "# Environment update"
#: The tool the CLI's git attribution reminder needs among those offered.
ATTRIBUTION_TOOL = "Bash"
DIRECTORIES_ADDED = "Additional working directories added:"
DIRECTORIES_REMOVED = "Additional working directories removed:"
DATE_CHANGED = (
    "The date has changed. Today's date is now {date}. "
    "No need to announce the new date \u2014 the user's own clock shows it."
)


@dataclass(frozen=True)
class Environment:
    """The facts of one session's environment (what changes between sessions is all here)."""

    cwd: str
    additional_directories: tuple[str, ...]
    is_git_repository: bool
    platform: str
    shell: str
    os_version: str
    date: str
    model: str

    @classmethod
    def current(cls, cwd: str, *, additional_directories: Sequence[str] = (), model: str) -> Environment:
        """The environment of a session working in ``cwd`` with ``model``, as of today
        (``additional_directories`` as listed: see :func:`listed_directories`)."""
        return cls(
            cwd=cwd,
            additional_directories=tuple(str(d) for d in additional_directories),
            is_git_repository=is_git_repository(cwd),
            platform=sys.platform,
            shell=Path(os.environ.get("SHELL") or "bash").name,
            os_version=f"{platform.system()} {platform.release()}".strip(),
            date=datetime.date.today().isoformat(),
            model=model,
        )

    def lines(self) -> list[str]:
        """The facts as ``name: value`` lines, in the CLI's order (the additional directories as a
        list under their own line)."""
        dirs = list(self.additional_directories)
        listing: list[str | list[str]] = [DIRECTORIES, dirs] if dirs else []
        rows: list[str | list[str]] = [
            f"Primary working directory: {self.cwd}",
            f"Is a git repository: {_bool(self.is_git_repository)}",
            *listing,
            f"Platform: {self.platform}",
            f"Shell: {self.shell}",
            f"OS Version: {self.os_version}",
        ]
        return _listed(rows)


def listed_directories(cwd: str, pwd: str | None, add_dirs: Sequence[str]) -> tuple[str, ...]:
    """The additional working directories the CLI lists for a session in ``cwd`` (resolved).

    First the directory's own spelling in ``PWD`` (the SDK sets it to the ``cwd=`` given, such as
    ``"."``) when it differs from ``cwd`` but leads there; then each of ``add_dirs`` (``~`` expanded,
    relative to ``cwd``) that is a directory outside ``cwd``, as an absolute path, once.
    """
    listed: list[str] = []
    if pwd and pwd != cwd and os.path.realpath(os.path.join(cwd, pwd)) == cwd:
        listed.append(pwd)
    for entry in add_dirs:
        path = os.path.abspath(os.path.join(cwd, os.path.expanduser(entry)))
        inside = path == cwd or path.startswith(cwd.rstrip(os.sep) + os.sep)
        if os.path.isdir(path) and not inside and path not in listed:
            listed.append(path)
    return tuple(listed)


def _listed(rows: Sequence[str | Sequence[str]]) -> list[str]:
    """Rows as the CLI lists them: `` - row``, a nested list's items as ``  - item``."""
    return [
        line
        for row in rows
        for line in ([f" - {row}"] if isinstance(row, str) else [f"  - {item}" for item in row])
    ]


def _bool(value: bool) -> str:
    return "true" if value else "false"


def is_git_repository(cwd: str) -> bool:
    """True when ``cwd`` is inside a git work tree (no git, or a slow git, counts as False)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def environment_reminder(
    env: Environment, cli: CliReminders | None = None, tools: Sequence[str] = (), budget_usd: str = ""
) -> str:
    """The ``<system-reminder>`` text blocks that tell the model its environment, model and date.

    ``cli``: what the CLI adds for a Claude model (its guidance lines, its words for the model, its
    git attribution), read from the installed CLI; without it the project's own words serve.
    ``tools``: reminder blocks about the tools (deferred tools, agent types), placed where the CLI
    puts them: after the model line, before the date. ``budget_usd``: the USD budget reminder
    (:func:`usd_budget_reminder`), after the tokens left.
    """
    return "\n\n".join([*environment_blocks(env, cli, tools, budget_usd), *attribution_blocks(cli)])


def attribution_blocks(cli: CliReminders | None, offered: Sequence[str] | None = None) -> list[str]:
    """The CLI's git attribution reminder: it stays before the prompt. None without the CLI's texts,
    and, as the CLI, none when the ``offered`` tools lack its shell tool to commit with."""
    if cli is None or not cli.attribution or (offered is not None and ATTRIBUTION_TOOL not in offered):
        return []
    return [system_reminder(cli.attribution)]


def environment_blocks(
    env: Environment,
    cli: CliReminders | None = None,
    tools: Sequence[str] = (),
    budget_usd: str = "",
    *,
    tokens_left: bool = True,
) -> list[str]:
    """The blocks of :func:`environment_reminder` but the attribution, in the CLI's order
    (``tokens_left=False``: without the tokens left, which a subagent's system text names)."""
    extra = list(cli.environment_lines) if cli is not None else []
    environment = "\n".join(
        ["# Environment", "You have been invoked in the following environment: ", *env.lines(), *extra]
    )
    budget = cli.tokens_budget if cli is not None and tokens_left else None
    return [
        system_reminder(environment),
        system_reminder(_model_line(env, cli)),
        *tools,
        *([system_reminder(TokensLeft.text(budget))] if budget is not None else []),
        *([budget_usd] if budget_usd else []),
        system_reminder(f"Today's date is {env.date}."),
    ]


def system_message_text(blocks: Sequence[str]) -> str:
    """Reminder blocks as the CLI sends them in a system-role message (to the models that take one,
    see ``CliReminders.in_system_message``): their texts without the tags, one paragraph each."""
    return "\n\n".join(_REMINDER_TEXT.sub(r"\1", block) for block in blocks)


def environment_update(
    told: Environment, now: Environment, cli: CliReminders | None = None, before_date: Sequence[str] = ()
) -> list[str]:
    """The ``<system-reminder>`` blocks that tell the model what changed since ``told`` was told:
    the environment's changed facts (with the old value), the model line, ``before_date`` (blocks
    placed as in the first reminder), a note that the date changed."""
    rows: list[str | list[str]] = []
    if now.cwd != told.cwd:
        rows.append(f"Primary working directory: {now.cwd} (was {told.cwd})")
    if now.is_git_repository != told.is_git_repository:
        was = _bool(told.is_git_repository)
        rows.append(f"Is a git repository: {_bool(now.is_git_repository)} (was {was})")
    added = [d for d in now.additional_directories if d not in told.additional_directories]
    removed = [d for d in told.additional_directories if d not in now.additional_directories]
    rows += [DIRECTORIES_ADDED, added] if added else []
    rows += [DIRECTORIES_REMOVED, removed] if removed else []
    blocks = [system_reminder("\n".join([UPDATE_HEADER, *_listed(rows)]))] if rows else []
    if now.model != told.model:
        blocks.append(system_reminder(_model_line(now, cli)))
    blocks += before_date
    if now.date != told.date:
        blocks.append(system_reminder(DATE_CHANGED.format(date=now.date)))
    return blocks


def _model_line(env: Environment, cli: CliReminders | None) -> str:
    if cli is not None and cli.model_line:
        return cli.model_line
    return f"You are powered by the model {env.model}."


@dataclass
class TokensLeft:
    """The CLI's countdown of a task's token budget (for the models it sends one to): the first prompt
    names the whole budget, each tool result after that what is left of it, and each later prompt
    starts the count again. Used tokens are the context of the model's last answer (input, cache
    and output tokens) since the prompt.
    """

    budget: int | None = None
    context: int = 0  # the tokens of the model's last answer, all counted
    anchor: int = 0  # ``context`` when the running prompt was sent

    @staticmethod
    def text(left: int) -> str:
        return f"<total_tokens>{max(0, left)} tokens left</total_tokens>"

    def prompted(self) -> str:
        """A user prompt is sent: the count starts again; the reminder the CLI puts before a later prompt."""
        self.anchor = self.context
        return system_reminder(self.text(self.budget)) if self.budget is not None else ""

    def answered(self, input_tokens: int, output_tokens: int, cache_tokens: int) -> None:
        """The model answered with this usage."""
        self.context = input_tokens + output_tokens + cache_tokens

    def after_result(self) -> str:
        """What the CLI appends to a tool result: the reminder of the tokens left ("" without a budget)."""
        if self.budget is None:
            return ""
        return "\n\n" + system_reminder(self.text(self.budget - max(0, self.context - self.anchor)))


def usd_budget_reminder(used: float, total: float | None) -> str:
    """The CLI's reminder of a session's spend against its ``max_budget_usd`` ("" without a budget)."""
    if total is None:
        return ""
    text = cli_facts.USD_BUDGET_REMINDER.format(
        used=js_number(used), total=js_number(total), remaining=js_number(total - used)
    )
    return system_reminder(text)


def js_number(value: float) -> str:
    """``value`` as JavaScript's ``String(number)`` writes it (the CLI's numbers in its reminders):
    the shortest digits that read back as the same number, an integer without a point, and the
    exponent form only below 1e-6 or from 1e21 on."""
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
    if value == 0:
        return "0"
    sign, value = ("-", -value) if value < 0 else ("", value)
    shortest = decimal.Decimal(repr(value)).normalize().as_tuple()  # repr: the shortest round trip
    digits = "".join(map(str, shortest.digits))
    point = len(digits) + int(shortest.exponent)  # value = 0.digits * 10**point
    if len(digits) <= point <= 21:
        out = digits + "0" * (point - len(digits))
    elif 0 < point <= 21:
        out = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        out = "0." + "0" * -point + digits
    else:
        e = point - 1
        out = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "") + f"e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + out


def system_reminder(text: str) -> str:
    """``text`` as the CLI frames a reminder to the model."""
    return f"<system-reminder>\n{text}\n</system-reminder>"


_REMINDER_TEXT = re.compile(r"\A<system-reminder>\n(.*)\n</system-reminder>\Z", re.S)
