# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/stderr_callback_example.py
"""stderr_callback: a query with a stderr callback that reports lines containing [ERROR].

Source: anthropics/claude-agent-sdk-python, examples/stderr_callback_example.py. Adapted: the
number of captured lines and the first line (what each backend logs) are not printed.
"""

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, query


async def main():
    stderr_messages = []

    def stderr_callback(message: str):
        stderr_messages.append(message)
        if "[ERROR]" in message:
            print(f"Error detected: {message}")

    options = ClaudeAgentOptions(stderr=stderr_callback)

    print("Running query with stderr capture...")
    async for message in query(prompt="What is 2+2?", options=options):
        if hasattr(message, "content"):
            if isinstance(message.content, str):
                print(f"Response: {message.content}")


if __name__ == "__main__":
    asyncio.run(main())
