"""Tools that involve the user: AskUserQuestion, EnterPlanMode and ExitPlanMode.

Plan mode lives in ``ctx.state["permission_mode"]`` (read by the permission gate); the mode before
EnterPlanMode is kept in ``ctx.state["mode_before_plan"]`` and restored by ExitPlanMode.
"""

from __future__ import annotations

from typing import Any

from ..tool_types import ToolOutcome
from ._base import InputError, ToolContext, ToolFailure, denied_outcome, make_tool, outcome

ASK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "questions": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "description": "Questions to ask the user (1-4 questions)",
            "items": {
                "type": "object",
                "properties": {
                    "question": {"type": "string", "description": "The complete question, ending with ?"},
                    "header": {
                        "type": "string",
                        "description": "A very short label for the question (max 12 chars)",
                    },
                    "options": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 4,
                        "items": {
                            "type": "object",
                            "properties": {
                                "label": {"type": "string"},
                                "description": {"type": "string"},
                            },
                            "required": ["label", "description"],
                        },
                    },
                    "multiSelect": {"type": "boolean", "default": False},
                },
                "required": ["question", "header", "options", "multiSelect"],
            },
        },
        "answers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "User answers collected by the permission component",
        },
    },
    "required": ["questions"],
}
ASK_DESCRIPTION = (
    "Asks the user 1-4 multiple-choice questions during the task, to clarify requirements or choose "
    "between approaches. Each question has a short header and 2-4 options (label and description); "
    "the user may also answer in their own words. Set multiSelect to allow several answers."
)
NOT_AVAILABLE_HEADLESS = (
    "AskUserQuestion is not available in this headless run: nobody can answer. Continue with your best "
    "judgement and say which assumptions you made. (To answer questions, pass can_use_tool to the session "
    'and allow AskUserQuestion with updated_input={..., "answers": {question: answer}}.)'
)

ENTER_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
ENTER_DESCRIPTION = (
    "Switches the session to plan mode before a non-trivial implementation: explore the code and design "
    "an approach without changing files, then present the plan with ExitPlanMode for approval."
)
ENTERED_TEXT = (
    "Entered plan mode. You should now focus on exploring the codebase and designing an implementation "
    "approach.\n\nIn plan mode, you should:\n1. Thoroughly explore the codebase to understand existing "
    "patterns\n2. Identify similar features and architectural approaches\n3. Consider multiple approaches "
    "and their trade-offs\n4. Use AskUserQuestion if you need to clarify the approach\n5. Design a concrete "
    "implementation strategy\n6. When ready, use ExitPlanMode to present your plan for approval\n\n"
    "Remember: DO NOT write or edit any files yet. This is a read-only exploration and planning phase."
)

EXIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "plan": {"type": "string", "description": "The plan to present for approval, in markdown"},
        "allowedPrompts": {
            "type": "array",
            "description": 'Kinds of Bash commands the plan needs, as {tool: "Bash", prompt: ...}',
            "items": {
                "type": "object",
                "properties": {"tool": {"type": "string", "enum": ["Bash"]}, "prompt": {"type": "string"}},
                "required": ["tool", "prompt"],
            },
        },
    },
}
EXIT_DESCRIPTION = (
    "In plan mode, presents your finished implementation plan to the user for approval and leaves plan "
    "mode. Only use it for planning the implementation of a task that needs code changes, not for research."
)
APPROVED_TEXT = (
    "User has approved your plan. You can now start coding. Start with updating your todo list if applicable"
)


def _check_questions(questions: Any) -> list[dict[str, Any]]:
    if not isinstance(questions, list) or not 1 <= len(questions) <= 4:
        raise InputError(
            "InputValidationError: AskUserQuestion failed: questions must be a list of 1-4 questions"
        )
    for index, q in enumerate(questions):
        where = f"questions[{index}]"
        if not isinstance(q, dict):
            raise InputError(f"InputValidationError: AskUserQuestion failed: {where} must be an object")
        for key in ("question", "header"):
            if not isinstance(q.get(key), str) or not q[key].strip():
                raise InputError(
                    f"InputValidationError: AskUserQuestion failed: {where}.{key} must be a string"
                )
        options = q.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= 4:
            raise InputError(
                f"InputValidationError: AskUserQuestion failed: {where}.options must have 2-4 options"
            )
        for o_index, option in enumerate(options):
            if not isinstance(option, dict) or not isinstance(option.get("label"), str):
                raise InputError(
                    f"InputValidationError: AskUserQuestion failed: {where}.options[{o_index}] needs a label"
                )
    texts = [q["question"] for q in questions]
    if len(set(texts)) != len(texts):
        raise InputError("InputValidationError: AskUserQuestion failed: question texts must be unique")
    return questions


async def _ask(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    questions = _check_questions(tool_input["questions"])
    answers = tool_input.get("answers")
    if not (isinstance(answers, dict) and answers):
        if ctx.ask_user is None:
            return denied_outcome(NOT_AVAILABLE_HEADLESS)
        answers = await ctx.ask_user(tool_input)
        if not answers:
            raise ToolFailure("The user did not answer the questions. Continue with your best judgement.")
    answered = {str(k): str(v) for k, v in answers.items()}
    pairs = ", ".join(f'"{q}"="{a}"' for q, a in answered.items())
    text = f"User has answered your questions: {pairs}. You can now continue with the user's answers in mind."
    return outcome(text, {"questions": questions, "answers": answered})


async def _enter_plan(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    current = ctx.state.get("permission_mode", "default")
    if current != "plan":
        ctx.state["mode_before_plan"] = current
        ctx.state["permission_mode"] = "plan"
    return outcome(ENTERED_TEXT, {"message": ENTERED_TEXT})


async def _exit_plan(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    if ctx.state.get("permission_mode", "plan") != "plan":
        raise InputError(
            "You are not in plan mode. This tool is only for exiting plan mode after writing a plan. "
            "If your plan was already approved, continue with implementation."
        )
    previous = ctx.state.pop("mode_before_plan", "default")
    ctx.state["permission_mode"] = previous if previous != "plan" else "default"
    plan = tool_input.get("plan")
    text = APPROVED_TEXT + (
        f"\n\n## Approved Plan:\n{plan}" if isinstance(plan, str) and plan.strip() else ""
    )
    return outcome(text, {"plan": plan if isinstance(plan, str) else None, "isAgent": False})


ASK_USER_QUESTION = make_tool("AskUserQuestion", ASK_DESCRIPTION, ASK_SCHEMA, _ask, read_only=True)
ENTER_PLAN_MODE = make_tool("EnterPlanMode", ENTER_DESCRIPTION, ENTER_SCHEMA, _enter_plan, read_only=True)
EXIT_PLAN_MODE = make_tool("ExitPlanMode", EXIT_DESCRIPTION, EXIT_SCHEMA, _exit_plan, read_only=True)
