# Source: https://github.com/xiaolai/claude-agent-sdk-skill-autoupdated/blob/HEAD/templates/python/session_management.py
"""session_resume_fork: a first query captures the session id from the init message; a second
resumes that session and a third forks it (fork_session=True), all with bypassPermissions.

Adapted from xiaolai/claude-agent-sdk-skill-autoupdated, templates/python/session_management.py.
Adapted: the program writes the README.md it asks about; it prints whether a session id was
captured and how the later sessions relate to it instead of the id itself.
"""

import asyncio
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, SystemMessage, query


async def main():
    Path("README.md").write_text("# Widget\nA widget factory.\n")
    session_id = None
    options = ClaudeAgentOptions(
        max_turns=5,
        permission_mode="bypassPermissions",
    )

    async for msg in query(prompt="Read the README.md file", options=options):
        if isinstance(msg, SystemMessage) and msg.subtype == "init":
            session_id = msg.data.get("session_id")
        if isinstance(msg, ResultMessage) and msg.subtype == "success":
            print(f"First query done. Session captured: {session_id is not None}")

    if not session_id:
        print("No session ID captured")
        return

    resume_options = ClaudeAgentOptions(
        resume=session_id,
        max_turns=5,
        permission_mode="bypassPermissions",
    )

    async for msg in query(prompt="Now summarize what you read", options=resume_options):
        if isinstance(msg, ResultMessage) and msg.subtype == "success":
            print(f"Resume result: {msg.result[:200] if msg.result else ''}")
            print(f"Resumed the same session: {msg.session_id == session_id}")

    fork_options = ClaudeAgentOptions(
        resume=session_id,
        fork_session=True,
        max_turns=5,
        permission_mode="bypassPermissions",
    )

    async for msg in query(prompt="Try a different approach", options=fork_options):
        if isinstance(msg, ResultMessage) and msg.subtype == "success":
            print(f"Fork result: {msg.result[:200] if msg.result else ''}")
            print(f"Fork has a new session: {msg.session_id != session_id}")


asyncio.run(main())
