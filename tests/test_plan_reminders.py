"""The rule of the CLI's plan-mode reminders: which request carries which of its texts."""

from __future__ import annotations

from claude_compat._internal import cli_facts
from claude_compat._internal.cli_request import PLAN_FILE, PlanTexts
from claude_compat._internal.environment import system_reminder
from claude_compat._internal.plan_reminders import PlanReminders, plan_file

TEXTS = PlanTexts(f"full, see {PLAN_FILE}", f"sparse, see {PLAN_FILE}", "exit").with_plan_file("/p.md")
FULL, SPARSE, EXIT = (system_reminder(t) for t in ("full, see /p.md", "sparse, see /p.md", "exit"))


def _prompts(reminders: PlanReminders, modes: list[bool]) -> list[str]:
    return [reminders.next(in_plan, TEXTS, prompt=True) for in_plan in modes]


def test_plan_mode_is_told_in_full_first_then_briefly_every_sixth_prompt() -> None:
    between = cli_facts.PLAN_REMINDER_PROMPTS_BETWEEN
    sent = _prompts(PlanReminders(), [True] * (2 * (between + 1) + 1))
    assert sent == [FULL, *[""] * between, SPARSE, *[""] * between, SPARSE]


def test_every_fifth_reminder_is_the_full_one_again() -> None:
    reminders = PlanReminders()
    told = [t for t in _prompts(reminders, [True] * 40) if t]
    every = cli_facts.PLAN_FULL_REMINDER_EVERY
    assert told[: every + 1] == [FULL, *[SPARSE] * (every - 1), FULL]


def test_leaving_plan_mode_is_said_once_and_entering_it_again_starts_over() -> None:
    reminders = PlanReminders()
    assert _prompts(reminders, [True, True, False, False, True, True]) == [FULL, "", EXIT, "", FULL, ""]
    assert _prompts(PlanReminders(), [False, False]) == ["", ""]  # never in plan mode: nothing to say


def test_tool_results_do_not_count_as_prompts_but_carry_a_change_of_mode() -> None:
    reminders = PlanReminders()
    assert reminders.next(True, TEXTS, prompt=True) == FULL
    steps = [reminders.next(True, TEXTS, prompt=False) for _ in range(10)]
    assert steps == [""] * 10  # no prompt went by: no reminder yet
    assert reminders.next(False, TEXTS, prompt=False) == EXIT  # ExitPlanMode in the step
    assert reminders.next(True, TEXTS, prompt=False) == FULL  # EnterPlanMode in the step


def test_without_the_clis_texts_nothing_is_said() -> None:
    reminders = PlanReminders()
    assert [reminders.next(m, None, prompt=True) for m in (True, False)] == ["", ""]


def test_the_plan_file_is_in_the_claude_config_folder_named_after_the_session() -> None:
    assert plan_file({"HOME": "/h"}, "s1") == "/h/.claude/plans/s1.md"
    assert plan_file({"HOME": "/h", "CLAUDE_CONFIG_DIR": "/c"}, "s1") == "/c/plans/s1.md"
