# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/02_options/03_permission_mode/03_plan_mode.py
"""plan_mode_simple: permission_mode="plan" with allowed_tools including Write and Bash; the
model reads, then tries to write; the program prints the planned tool calls and the turns.

Source: mtmtnao-handson/claude-agent-sdk-handon, src/02_options/03_permission_mode/03_plan_mode.py
(simple_plan). Adapted: only the default path runs, with its default prompt; the cost is not
printed; the program writes the file the model reads.
"""

import asyncio
from pathlib import Path

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolUseBlock,
    query,
)

PLAN_OPTIONS = ClaudeAgentOptions(
    permission_mode="plan", allowed_tools=["Read", "Write", "Edit", "Bash", "Glob", "Grep"]
)


async def simple_plan(prompt: str):
    print("=" * 60)
    print("plan モード（ドライラン）")  # noqa: RUF001
    print("=" * 60)
    print(f"プロンプト: {prompt}")
    print("-" * 60)

    async for message in query(prompt=prompt, options=PLAN_OPTIONS):
        if isinstance(message, AssistantMessage):
            print("\n=== 実行計画 ===")
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(block.text)
                elif isinstance(block, ToolUseBlock):
                    print("\n[計画されたツール呼び出し]")
                    print(f"  ツール: {block.name}")
                    print(f"  入力: {block.input}")

        elif isinstance(message, ResultMessage):
            print("\n" + "=" * 60)
            print("プランニング完了")
            print(f"計画されたターン: {message.num_turns}")
            print(f"permission_denials: {[d['tool_name'] for d in message.permission_denials or []]}")


Path("main.py").write_text("print('hello')\n")
asyncio.run(simple_plan("このプロジェクトを分析して改善点を提案してください"))
print("NOTES.md exists:", Path("NOTES.md").exists())
