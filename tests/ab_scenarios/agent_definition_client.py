# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_agents_and_settings.py
"""agent_definition_client: a custom agent (tools=["Read"], model="sonnet") given to a client;
the program reads the init message's agents list and stops reading at the init message.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_agents_and_settings.py
(test_agent_definition). Adapted: a program instead of a test; the agents list is printed.
"""

import anyio
from claude_agent_sdk import AgentDefinition, ClaudeAgentOptions, ClaudeSDKClient, SystemMessage


async def main() -> None:
    options = ClaudeAgentOptions(
        agents={
            "test-agent": AgentDefinition(
                description="A test agent for verification",
                prompt="You are a test agent. Always respond with 'Test agent activated'",
                tools=["Read"],
                model="sonnet",
            )
        },
        max_turns=1,
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("What is 2 + 2?")

        async for message in client.receive_response():
            if isinstance(message, SystemMessage) and message.subtype == "init":
                agents = message.data.get("agents", [])
                print("agents is a list:", isinstance(agents, list))
                print("agents:", agents)
                print("test-agent available:", "test-agent" in agents)
                break


anyio.run(main)
