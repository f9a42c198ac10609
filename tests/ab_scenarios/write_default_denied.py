# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_permission_prompts.py
"""write_default_denied: query() in permission_mode="default" with tools=["Write"] and no
can_use_tool: the Write the model tries would prompt, nobody can be asked, so it is denied and
the session finishes; the file is never created.

Adapted from anthropics/claude-agent-sdk-python, e2e-tests/test_permission_prompts.py
(test_query_none_denies_and_finishes with its _options). Adapted: a program instead of a test;
the permission_prompts="none" option is left out (the pinned SDK does not have it: without a
callback a prompt is already denied); the result and its denials are printed.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query

PROMPT = (
    "Use the Write tool to create out.txt containing the word hi. "
    "If the tool is denied, reply DENIED and stop."
)


def _options(cwd: Path) -> ClaudeAgentOptions:
    return ClaudeAgentOptions(
        cwd=str(cwd),
        model="haiku",
        tools=["Write"],
        permission_mode="default",
        setting_sources=[],
        extra_args={"strict-mcp-config": None},
        max_turns=3,
    )


async def main() -> None:
    tmp_path = Path.cwd()
    async for message in query(prompt=PROMPT, options=_options(tmp_path)):
        if isinstance(message, ResultMessage):
            print("is_error:", message.is_error, "result:", message.result)
            print("denials:", [d["tool_name"] for d in message.permission_denials or []])
    print("out.txt exists:", (tmp_path / "out.txt").exists())


anyio.run(main)
