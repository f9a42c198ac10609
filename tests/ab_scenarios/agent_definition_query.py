# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_agents_and_settings.py
"""agent_definition_query: a custom agent given to query() with a string prompt; the loop stops
at the init message once the agent is found there.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_agents_and_settings.py
(test_agent_definition_with_query_function). Adapted: a program instead of a test; the agents
list is printed.
"""

import anyio
from claude_agent_sdk import AgentDefinition, ClaudeAgentOptions, SystemMessage, query


async def main() -> None:
    options = ClaudeAgentOptions(
        agents={
            "test-agent-query": AgentDefinition(
                description="A test agent for query function verification",
                prompt="You are a test agent.",
            )
        },
        max_turns=1,
    )

    found_agent = False
    async for message in query(prompt="What is 2 + 2?", options=options):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            agents = message.data.get("agents", [])
            print("agents:", agents)
            found_agent = "test-agent-query" in agents
            break

    print("found agent:", found_agent)


anyio.run(main)
