# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_persist_session.py
"""session_listed_after_query: a query() and a ClaudeSDKClient run (tools=[], setting_sources=[],
max_turns=1) each take the session id from their result; list_sessions(directory=cwd) then
lists both sessions.

Adapted from anthropics/claude-agent-sdk-python, e2e-tests/test_persist_session.py
(test_session_is_persisted_by_default with _options, _session_id_via_query,
_session_id_via_client and _listed_session_ids). Adapted: a program instead of a test; the
persist_session option is left out (the pinned SDK does not have it; sessions persist by
default), so the client run is a second control case; what the test asserts is printed.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage, list_sessions, query

PROMPT = "Reply with only the word OK."


def _options(cwd: Path) -> ClaudeAgentOptions:
    return ClaudeAgentOptions(
        cwd=str(cwd),
        model="haiku",
        tools=[],
        setting_sources=[],
        extra_args={"strict-mcp-config": None},
        max_turns=1,
    )


async def _session_id_via_query(options: ClaudeAgentOptions) -> str:
    session_id = ""
    async for message in query(prompt=PROMPT, options=options):
        if isinstance(message, ResultMessage):
            print("query result is_error:", message.is_error)
            session_id = message.session_id
    return session_id


async def _session_id_via_client(options: ClaudeAgentOptions) -> str:
    session_id = ""
    async with ClaudeSDKClient(options=options) as client:
        await client.query(PROMPT)
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print("client result is_error:", message.is_error)
                session_id = message.session_id
    return session_id


def _listed_session_ids(cwd: Path) -> list[str]:
    return [s.session_id for s in list_sessions(directory=str(cwd))]


async def main() -> None:
    tmp_path = Path.cwd()
    from_query = await _session_id_via_query(_options(tmp_path))
    from_client = await _session_id_via_client(_options(tmp_path))
    listed = _listed_session_ids(tmp_path)
    print("sessions listed:", len(listed))
    print("query session listed:", from_query in listed)
    print("client session listed:", from_client in listed)


anyio.run(main)
