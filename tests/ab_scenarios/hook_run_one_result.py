# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_run_end.py
"""hook_run_one_result: query() with a plain string prompt, tools=[] and a PreToolUse hook for
every tool, collected with a list comprehension; the run ends with exactly one result and no
session_state_changed system message reaches the program.

Adapted from anthropics/claude-agent-sdk-python, e2e-tests/test_run_end.py
(test_hook_run_ends_with_one_result with its _options and _record_hook). Adapted: a program
instead of a test; what the test asserts is printed, with the kinds of the messages.
"""

from pathlib import Path
from typing import Any

import anyio
from claude_agent_sdk import ClaudeAgentOptions, HookMatcher, ResultMessage, SystemMessage, query


def _options(cwd: Path, **overrides: Any) -> ClaudeAgentOptions:
    settings: dict[str, Any] = {
        "cwd": str(cwd),
        "model": "haiku",
        "setting_sources": [],
        "extra_args": {"strict-mcp-config": None},
        "system_prompt": "Be terse. Follow the user's steps exactly.",
    }
    settings.update(overrides)
    return ClaudeAgentOptions(**settings)


def _record_hook(asked: list[str]) -> Any:
    async def hook(input_data, tool_use_id, context):
        asked.append(input_data["tool_name"])
        return {}

    return hook


async def main() -> None:
    asked: list[str] = []
    options = _options(
        Path.cwd(),
        tools=[],
        hooks={"PreToolUse": [HookMatcher(hooks=[_record_hook(asked)])]},
    )

    messages = [m async for m in query(prompt="Reply with OK.", options=options)]

    print("kinds:", [type(m).__name__ for m in messages])
    results = [m for m in messages if isinstance(m, ResultMessage)]
    print("results:", len(results), "is_error:", [r.is_error for r in results])
    print(
        "session_state_changed seen:",
        any(isinstance(m, SystemMessage) and m.subtype == "session_state_changed" for m in messages),
    )
    print("hook asked about:", asked)


anyio.run(main)
