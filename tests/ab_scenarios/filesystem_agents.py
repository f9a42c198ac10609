# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/filesystem_agents.py
"""filesystem_agents: setting_sources=["project"] with an agent defined in
.claude/agents/test-agent.md; the program lists the agents of the init message and the kinds of
messages it received.

Source: anthropics/claude-agent-sdk-python, examples/filesystem_agents.py. Adapted: the program
writes the agent file into its own work dir (the example reads the SDK repository's); the cost
is not printed.
"""

import asyncio
from pathlib import Path

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    SystemMessage,
    TextBlock,
)


def extract_agents(msg: SystemMessage) -> list[str]:
    """Extract agent names from system message init data."""
    if msg.subtype == "init":
        agents = msg.data.get("agents", [])
        result = []
        for a in agents:
            if isinstance(a, str):
                result.append(a)
            elif isinstance(a, dict):
                result.append(a.get("name", ""))
        return result
    return []


async def main():
    print("=== Filesystem Agents Example ===")
    print("Testing: setting_sources=['project'] with .claude/agents/test-agent.md")
    print()

    sdk_dir = Path.cwd()
    (sdk_dir / ".claude" / "agents").mkdir(parents=True)
    (sdk_dir / ".claude" / "agents" / "test-agent.md").write_text(
        "---\nname: test-agent\ndescription: A simple test agent for SDK testing\ntools: Read\n---\n\n"
        "# Test Agent\n\nYou are a simple test agent. Answer briefly.\n"
    )

    options = ClaudeAgentOptions(
        setting_sources=["project"],
        cwd=sdk_dir,
    )

    message_types: list[str] = []
    agents_found: list[str] = []

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Say hello in exactly 3 words")

        async for msg in client.receive_response():
            message_types.append(type(msg).__name__)

            if isinstance(msg, SystemMessage) and msg.subtype == "init":
                agents_found = extract_agents(msg)
                print(f"Init message received. Agents loaded: {agents_found}")

            elif isinstance(msg, AssistantMessage):
                for block in msg.content:
                    if isinstance(block, TextBlock):
                        print(f"Assistant: {block.text}")

            elif isinstance(msg, ResultMessage):
                print(f"Result: subtype={msg.subtype}")

    print()
    print("=== Summary ===")
    print(f"Message types received: {message_types}")
    print(f"Total messages: {len(message_types)}")
    print("test-agent loaded:", "test-agent" in agents_found)


if __name__ == "__main__":
    asyncio.run(main())
