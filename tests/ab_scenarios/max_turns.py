# Source: https://github.com/xiaolai/claude-agent-sdk-skill-autoupdated/blob/HEAD/templates/python/error_handling.py
"""max_turns: max_turns=5 with a budget and bypassPermissions; the model keeps calling tools, so
the run ends in error_max_turns; the program matches on the result's subtype.

Adapted from xiaolai/claude-agent-sdk-skill-autoupdated, templates/python/error_handling.py.
Adapted: the program prints whether the init message carried a session id, not the id itself
(it differs per run); the loop is wrapped in try/except ResultError, which the SDK raises after
an error result.
"""

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, ResultError, ResultMessage, SystemMessage, query


async def main():
    options = ClaudeAgentOptions(
        max_turns=5,
        max_budget_usd=1.00,
        permission_mode="bypassPermissions",
    )

    session_id = None
    try:
        async for msg in query(prompt="Analyze this codebase", options=options):
            if isinstance(msg, SystemMessage):
                if msg.subtype == "init":
                    session_id = msg.data.get("session_id")
                    print(f"Session: {'captured' if session_id else 'missing'}")
            elif isinstance(msg, ResultMessage):
                match msg.subtype:
                    case "success":
                        print(f"Done: {msg.result[:200] if msg.result else ''}")
                        print(f"Cost: ${msg.total_cost_usd or 0:.4f}")
                    case "error_max_turns":
                        print("Hit max turns limit")
                    case "error_max_budget_usd":
                        print("Hit budget limit")
                    case "error_during_execution":
                        print("Execution error occurred")
    except ResultError as exc:
        print("raised ResultError:", exc.subtype)


asyncio.run(main())
