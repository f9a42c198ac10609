"""TodoWrite: the model's task list, kept in the session's state."""

from __future__ import annotations

from typing import Any

from ..tool_types import ToolOutcome
from ._base import InputError, ToolContext, make_tool, outcome

STATUSES = ("pending", "in_progress", "completed")
RESULT_TEXT = (
    "Todos have been modified successfully. Ensure that you continue to use the todo list to track your "
    "progress. Please proceed with the current tasks if applicable"
)

TODO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "todos": {
            "type": "array",
            "description": "The updated todo list",
            "items": {
                "type": "object",
                "properties": {
                    "content": {"type": "string", "minLength": 1},
                    "status": {"type": "string", "enum": list(STATUSES)},
                    "activeForm": {"type": "string", "minLength": 1},
                },
                "required": ["content", "status", "activeForm"],
            },
        }
    },
    "required": ["todos"],
}
TODO_DESCRIPTION = (
    "Creates and updates a structured task list for the current session, to plan multi-step work and "
    'show progress. Send the whole list each time. Each item has content (imperative, e.g. "Run the '
    'tests"), activeForm (present continuous, e.g. "Running the tests") and status: pending, '
    "in_progress (one at a time) or completed (mark items done as soon as they are)."
)


def _check(todos: list[Any]) -> list[dict[str, Any]]:
    checked: list[dict[str, Any]] = []
    for index, item in enumerate(todos):
        if not isinstance(item, dict):
            raise InputError(f"InputValidationError: TodoWrite failed: todos[{index}] must be an object")
        for key in ("content", "activeForm"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise InputError(
                    f"InputValidationError: TodoWrite failed: todos[{index}].{key} must be a non-empty string"
                )
        if item.get("status") not in STATUSES:
            raise InputError(
                f"InputValidationError: TodoWrite failed: todos[{index}].status must be one of "
                f"{', '.join(STATUSES)}, not {item.get('status')!r}"
            )
        checked.append(dict(item))
    return checked


async def _todo_write(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    new = _check(tool_input["todos"])
    old = list(ctx.state.get("todos", []))
    # A list whose items are all done is cleared, as the CLI does.
    ctx.state["todos"] = [] if new and all(t["status"] == "completed" for t in new) else new
    return outcome(RESULT_TEXT, {"oldTodos": old, "newTodos": new})


TODO_WRITE = make_tool("TodoWrite", TODO_DESCRIPTION, TODO_SCHEMA, _todo_write, read_only=True)
