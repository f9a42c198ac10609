# Source: https://github.com/relyky/ClaudeAgentSDKLab/blob/HEAD/basic_query.py
"""system_prompt_chinese: a string system prompt in Chinese, max_turns=None and a dated model id
("claude-sonnet-4-5-20250929"); the model shows its working for 9 * 7 and the text is printed.

Adapted from relyky/ClaudeAgentSDKLab, basic_query.py (basic_query). Adapted: a main block runs
it (the module only defines the function).
"""

import asyncio

from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, TextBlock, query


async def basic_query():
    # You are a helpful assistant. You speak Chinese and show your working.
    options = ClaudeAgentOptions(
        system_prompt="你是一個樂於助人的助手。你會說中文並展示你的工作步驟。",
        max_turns=None,
        model="claude-sonnet-4-5-20250929",
    )

    async for message in query(prompt="計算 9 * 7", options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(block.text)


if __name__ == "__main__":
    asyncio.run(basic_query())
