# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/01_basics/03_error_handling/docs_samples/03_02_basic_error_handling.py
"""api_error: a safe_query helper wraps query() in the SDK's exception classes; the model API
answers 400 every time, so the stream ends in an error result and the SDK raises (a ProcessError).

Adapted from mtmtnao-handson/claude-agent-sdk-handon,
src/01_basics/03_error_handling/docs_samples/03_02_basic_error_handling.py (safe_query).
Adapted: messages are printed by type and error text instead of whole (they hold ids and
timings); the ProcessError branch prints the exit code but not stderr (each backend logs its own).
"""

import asyncio

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeSDKError,
    CLIConnectionError,
    CLIJSONDecodeError,
    CLINotFoundError,
    ProcessError,
    ResultMessage,
    TextBlock,
    query,
)


async def safe_query(prompt: str):
    try:
        async for message in query(prompt=prompt):
            print(type(message).__name__)
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print("  text:", block.text)
            elif isinstance(message, ResultMessage):
                print("  is_error:", message.is_error, "status:", message.api_error_status)

    except CLINotFoundError:
        print("Error: the Claude Code CLI is not installed")

    except CLIConnectionError as e:
        print("Error: could not connect to the CLI")
        print(f"Detail: {e}")

    except ProcessError as e:
        print("Error: the process ended abnormally")
        print(f"Exit code: {e.exit_code}")

    except CLIJSONDecodeError as e:
        print("Error: could not parse the response")
        print(f"Detail: {e}")

    except ClaudeSDKError as e:
        print(f"SDK error: {e}")


asyncio.run(safe_query("Hello!"))
