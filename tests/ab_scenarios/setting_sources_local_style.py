# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_agents_and_settings.py
"""setting_sources_local_style: setting_sources=["user", "project", "local"] in a project whose
.claude/settings.local.json sets outputStyle; the init message reports that style.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_agents_and_settings.py
(test_setting_sources_project_included). Adapted: a program instead of a test; the project is
the program's work dir; the output style is printed.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, SystemMessage


async def main() -> None:
    project_dir = Path.cwd()
    claude_dir = project_dir / ".claude"
    claude_dir.mkdir(parents=True)
    (claude_dir / "settings.local.json").write_text('{"outputStyle": "local-test-style"}')

    options = ClaudeAgentOptions(setting_sources=["user", "project", "local"], cwd=project_dir, max_turns=1)

    async with ClaudeSDKClient(options=options) as client:
        await client.query("What is 2 + 2?")
        async for message in client.receive_response():
            if isinstance(message, SystemMessage) and message.subtype == "init":
                print("output_style:", message.data.get("output_style"))
                break


anyio.run(main)
