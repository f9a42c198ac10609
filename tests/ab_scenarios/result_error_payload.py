# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_error_results.py
"""result_error_payload: a model id the API rejects; query() yields the error result, then
raises ResultError (a ProcessError) carrying that result's payload.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_error_results.py
(test_query_api_error_raises_result_error_with_payload). Adapted: a program instead of a test;
the payload fields it compares are printed; the scripted API answers 404 for the model.
"""

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ProcessError, ResultError, ResultMessage, query

_BAD_MODEL = "claude-nonexistent-model-for-sdk-e2e"


async def main() -> None:
    options = ClaudeAgentOptions(model=_BAD_MODEL, max_turns=1)

    result: ResultMessage | None = None
    try:
        async for message in query(prompt="Reply with: pong", options=options):
            if isinstance(message, ResultMessage):
                result = message
    except Exception as exc:
        print("raised:", type(exc).__name__)
        print(
            "is a ResultError:",
            isinstance(exc, ResultError),
            "is a ProcessError:",
            isinstance(exc, ProcessError),
        )
        print("has an exit code:", exc.exit_code is not None)
        assert result is not None
        print("result:", result.is_error, result.subtype, repr(result.result))
        print("text names the cause:", result.result.strip() in str(exc))
        print("payload matches:", exc.subtype == result.subtype, exc.result == result.result)
        print("terminal_reason:", exc.terminal_reason, "api_error_status:", exc.api_error_status)
        print("same session:", exc.session_id == result.session_id)


anyio.run(main)
