# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/01_basics/01_query_basic/docs_samples/01_05_sequential_queries.py
"""sequential_queries_cost: three questions, each its own query() (so no shared context), the
answers printed and the total_cost_usd of the three results added up.

Adapted from mtmtnao-handson/claude-agent-sdk-handon,
src/01_basics/01_query_basic/docs_samples/01_05_sequential_queries.py. Adapted: the questions
and labels are in English.
"""

import asyncio

from claude_agent_sdk import AssistantMessage, ResultMessage, TextBlock, query


async def sequential_queries():
    questions = [
        "What is 1 + 1?",
        "Double that answer.",
        "And the square root of that?",
    ]

    total_cost = 0.0

    for i, question in enumerate(questions, 1):
        print(f"\n--- question {i}: {question} ---")

        async for message in query(prompt=question):
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print(f"answer: {block.text}")
            elif isinstance(message, ResultMessage):
                total_cost += message.total_cost_usd

    print(f"\ntotal cost: ${total_cost:.6f}")


asyncio.run(sequential_queries())
