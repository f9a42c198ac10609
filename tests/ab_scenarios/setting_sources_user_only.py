# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_agents_and_settings.py
"""setting_sources_user_only: setting_sources=["user"] in a project with a
.claude/commands/testcmd.md slash command, which must not be offered.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_agents_and_settings.py
(test_setting_sources_user_only). Adapted: a program instead of a test; the project is the
program's work dir; whether the command is offered is printed.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, SystemMessage


async def main() -> None:
    project_dir = Path.cwd()
    commands_dir = project_dir / ".claude" / "commands"
    commands_dir.mkdir(parents=True)
    (commands_dir / "testcmd.md").write_text(
        "---\ndescription: Test command\n---\n\nThis is a test command.\n"
    )

    options = ClaudeAgentOptions(setting_sources=["user"], cwd=project_dir, max_turns=1)

    async with ClaudeSDKClient(options=options) as client:
        await client.query("What is 2 + 2?")
        async for message in client.receive_response():
            if isinstance(message, SystemMessage) and message.subtype == "init":
                commands = message.data.get("slash_commands", [])
                print("testcmd offered:", "testcmd" in commands)
                break


anyio.run(main)
