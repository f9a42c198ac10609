# Source: https://github.com/anshumanbh/securevibes/blob/HEAD/docs/references/claude-agent-sdk-guide.md
"""api_rate_limit_retry: the model API answers 429 once; the SDK shows an api_retry notice and
the retried call answers. With CLAUDE_CODE_MAX_RETRIES=1 as a program sets it to bound its wait.

Adapted from the "Error Handling" section of anshumanbh/securevibes
docs/references/claude-agent-sdk-guide.md (a query() loop that reports system notices and the
result, catching ProcessError), with the retry limit set through ``env``.
"""

import anyio
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ProcessError,
    ResultMessage,
    SystemMessage,
    TextBlock,
    query,
)


async def main() -> None:
    options = ClaudeAgentOptions(env={"CLAUDE_CODE_MAX_RETRIES": "1"})
    try:
        async for message in query(prompt="Say hello", options=options):
            if isinstance(message, SystemMessage) and message.subtype == "api_retry":
                print("retrying after", message.data["error_status"], message.data["error"])
            elif isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print("Claude:", block.text)
            elif isinstance(message, ResultMessage):
                print("result:", message.is_error, message.result)
    except ProcessError as exc:
        print("failed:", exc)


anyio.run(main)
