"""When the model is reminded of plan mode, and with which of the CLI's texts: the rule of its requests.

The CLI puts a reminder in the next request after a prompt or a step's tool results while its
permission mode is ``plan``: the full instructions when plan mode starts, then, every few prompts, a
short reminder (every few of those the full one again); and once, after plan mode ends, that it
ended. The texts are the CLI's own, read at run time (:func:`cli_request.plan_texts`); the counts
are in :mod:`cli_facts`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import cli_facts
from .cli_request import PlanTexts
from .environment import system_reminder

__all__ = ["PlanReminders", "plan_file"]


def plan_file(env: Mapping[str, str], session_id: str) -> str:
    """Where the CLI's reminders tell the model to write the session's plan: a file of the Claude
    config folder's ``plans`` (the CLI names it with words of its own; here the session id)."""
    config = env.get("CLAUDE_CONFIG_DIR") or str(Path(env.get("HOME") or os.path.expanduser("~")) / ".claude")
    return str(Path(config) / "plans" / f"{session_id}.md")


@dataclass
class PlanReminders:
    """One conversation's plan-mode reminders so far (the CLI counts them in its transcript)."""

    told: int = 0  # plan-mode reminders since plan mode last ended
    prompts: int = 0  # prompts sent since the last of them

    def next(self, in_plan: bool, texts: PlanTexts | None, *, prompt: bool) -> str:
        """The reminder for the next request ("" for none): ``in_plan`` says whether the mode is plan
        now, ``prompt`` whether the request carries a prompt (else a step's tool results); ``texts``
        are the CLI's (None: it is counted, but there is nothing to say)."""
        if in_plan and (self.told == 0 or self.prompts >= cli_facts.PLAN_REMINDER_PROMPTS_BETWEEN):
            full = self.told % cli_facts.PLAN_FULL_REMINDER_EVERY == 0
            self.told, self.prompts = self.told + 1, 0  # the reminder follows the prompt: not counted
            return "" if texts is None else system_reminder(texts.full if full else texts.sparse)
        self.prompts += 1 if prompt else 0
        if not in_plan and self.told:
            self.told = 0
            return "" if texts is None else system_reminder(texts.exit)
        return ""
