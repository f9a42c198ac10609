"""The Skill tool: loads a skill's instructions into the conversation, as the CLI does headless.

A skill is a folder with a ``SKILL.md`` (YAML frontmatter with a description, then instructions):
the user's under the Claude config folder's ``skills/``, the project's under ``<cwd>/.claude/skills/``.
The CLI's own (bundled) skills are read from the installed real SDK's CLI: their listing from its
recorded first request, their text by recording the CLI's answer to a Skill call (cli_request).
A call answers ``Launching skill: <name>``; the skill's text follows the result, for the program as a
UserMessage of one TextBlock and for the model after the result's text.
"""

from __future__ import annotations

import datetime
import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ...types import TextBlock, UserMessage
from .. import cli_facts, cli_request
from ..cli_request import CliReminders
from ..tool_types import ToolOutcome
from ._base import InputError, ToolContext, make_tool

__all__ = ["SKILL", "Skill", "local_skills", "skills_reminder"]

log = logging.getLogger("claude_compat")


@dataclass(frozen=True)
class Skill:
    """One skill of the user's or the project's: its name (the folder's), description, folder and text."""

    name: str
    description: str
    folder: Path
    body: str


def _config_home(env: Mapping[str, str]) -> Path:
    """The Claude config folder the CLI would use with ``env``."""
    override = env.get("CLAUDE_CONFIG_DIR")
    if override:
        return Path(override)
    return Path(env.get("HOME") or os.path.expanduser("~")) / ".claude"


def _skill_of(folder: Path) -> Skill | None:
    """The skill in ``folder`` (its SKILL.md), or None when there is none or it is unreadable."""
    try:
        text = (folder / cli_facts.SKILL_FILE).read_text(encoding="utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError):
        return None
    meta: Any = {}
    body = text
    if text.startswith("---"):
        head, sep, rest = text[3:].partition("\n---")
        if sep:
            try:
                meta = yaml.safe_load(head) or {}
            except yaml.YAMLError as exc:
                log.warning("skill %s has unreadable frontmatter (%s); it is skipped", folder, exc)
                return None
            body = rest.partition("\n")[2]
    description = str(meta.get("description", "")) if isinstance(meta, Mapping) else ""
    if not description:  # as the CLI: the first line of the instructions stands in
        description = next((line.strip("# ").strip() for line in body.splitlines() if line.strip()), "")
    return Skill(folder.name, description, folder, body.lstrip("\n"))


def local_skills(cwd: Path, env: Mapping[str, str]) -> dict[str, Skill]:
    """The user's skills, then the project's, by name, in the order the CLI lists them."""
    found: dict[str, Skill] = {}
    for root in (_config_home(env) / "skills", cwd / cli_facts.PROJECT_SKILLS_DIR):
        try:
            folders = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError:
            continue
        for folder in folders:
            skill = _skill_of(folder)
            if skill is not None and skill.name not in found:
                found[skill.name] = skill
    return found


def skills_reminder(cwd: Path, env: Mapping[str, str], cli: CliReminders | None) -> str:
    """The reminder listing the skills the Skill tool loads: the user's and the project's, then the
    CLI's own as its reminder lists them; "" when there are none."""
    entries = [f"- {s.name}: {s.description}" for s in local_skills(cwd, env).values()]
    entries += list(cli.skill_entries.values()) if cli is not None else []
    if not entries:
        return ""
    listing = "\n".join(entries)
    return f"<system-reminder>\n{cli_request.SKILLS_HEADER}\n\n{listing}\n</system-reminder>"


def _loaded(skill: Skill, args: str) -> str:
    """A skill's text as the CLI loads it: its folder, then its instructions with the arguments in."""
    body = skill.body
    if args:
        if cli_facts.SKILL_ARGUMENTS_PLACEHOLDER in body:
            body = body.replace(cli_facts.SKILL_ARGUMENTS_PLACEHOLDER, args)
        else:
            body += cli_facts.SKILL_ARGUMENTS_APPENDED.format(args=args)
    return cli_facts.SKILL_LOADED.format(folder=skill.folder, body=body)


async def _run(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    name = str(tool_input["skill"]).strip().removeprefix("/")
    args = str(tool_input.get("args") or "")
    skill = local_skills(ctx.cwd, ctx.env).get(name)
    if skill is not None:
        text: str | None = _loaded(skill, args)
    else:  # one of the CLI's own, as the installed CLI loads it
        text = await cli_request.skill_text(ctx.env, name, args, None)
        if text is not None:
            today = datetime.date.today().isoformat()
            text = text.replace(cli_request.CWD, str(ctx.cwd)).replace(cli_request.DATE, today)
    if not text:
        raise InputError(cli_facts.SKILL_UNKNOWN.format(name=name))
    shown = UserMessage(content=[TextBlock(text=text)], uuid=str(uuid.uuid4()))
    return ToolOutcome(
        content=cli_facts.SKILL_LAUNCHED.format(name=name),
        structured={"success": True, "commandName": name},
        model_note=text,  # as the CLI: the skill's text follows the result in the model's next request
        after=(shown,),
    )


SKILL = make_tool(
    "Skill",
    "Load a skill: a set of instructions the user or project has set up for a kind of task. The "
    "available skills are listed in a system reminder; `skill` is a name from that list, `args` "
    "optional arguments for it. The skill's instructions follow the result: follow them.",
    {
        "type": "object",
        "properties": {
            "skill": {"type": "string", "description": "The name of a skill from the available-skills list"},
            "args": {"type": "string", "description": "Optional arguments for the skill"},
        },
        "required": ["skill"],
    },
    _run,
    read_only=True,
)
