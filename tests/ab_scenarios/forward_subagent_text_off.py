# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_forward_subagent_text.py
"""forward_subagent_text_off: the default forward_subagent_text with a foreground "greeter" agent;
the subagent's text stays out of the stream; only its tool blocks would be attributed.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_forward_subagent_text.py
(test_subagent_text_not_forwarded_by_default). Adapted: a program instead of a test;
the attributed messages' block kinds are printed.
"""

import anyio
from claude_agent_sdk import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolUseBlock,
    query,
)

_AGENT_TOOL_NAMES = {"Agent", "Task"}

_PROMPT = (
    "Use the Agent tool exactly once with subagent_type 'greeter', prompt "
    "'say hi', and run_in_background set to false. Then reply with the single "
    "word DONE."
)


def _options(forward_subagent_text: bool) -> ClaudeAgentOptions:
    return ClaudeAgentOptions(
        forward_subagent_text=forward_subagent_text,
        agents={
            "greeter": AgentDefinition(
                description="Replies with a short greeting. Use for greeting tasks.",
                prompt="Reply with one short friendly sentence. Do not use any tools.",
                model="haiku",
                background=False,
            )
        },
        allowed_tools=list(_AGENT_TOOL_NAMES),
        max_turns=4,
    )


async def _collect(forward_subagent_text: bool):
    agent_tool_use_ids: set[str] = set()
    attributed: list[AssistantMessage] = []
    result: ResultMessage | None = None
    async for message in query(prompt=_PROMPT, options=_options(forward_subagent_text)):
        if isinstance(message, AssistantMessage):
            if message.parent_tool_use_id is None:
                for block in message.content:
                    if isinstance(block, ToolUseBlock) and block.name in _AGENT_TOOL_NAMES:
                        agent_tool_use_ids.add(block.id)
            else:
                attributed.append(message)
        elif isinstance(message, ResultMessage):
            result = message
    assert result is not None and not result.is_error, f"run failed: {result}"
    return agent_tool_use_ids, attributed


async def main() -> None:
    agent_tool_use_ids, attributed = await _collect(forward_subagent_text=False)
    print("agent tool uses:", sorted(agent_tool_use_ids))
    for m in attributed:
        print([type(b).__name__ for b in m.content], m.parent_tool_use_id in agent_tool_use_ids)
    texts = [b.text for m in attributed for b in m.content if isinstance(b, TextBlock)]
    print("subagent text:", texts)


anyio.run(main)
