# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/02_options/04_max_turns/03_budget_control.py
"""budget_manager_queries: a BudgetManager adds up total_cost_usd and num_turns over several
query() runs, gives each the turns left as max_turns, and skips the remaining prompts once the
turn budget is used up; it prints its status and history.

Adapted from mtmtnao-handson/claude-agent-sdk-handon, src/02_options/04_max_turns/03_budget_control.py
(BudgetManager, budget_aware_query, run_multiple_queries with the default prompts). Adapted: the
prompts and messages are in English; the budget is 4 turns (not 50), so two tool-using queries
use it up; the program writes the README.md and src/app.py it asks about.
"""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, ResultMessage, TextBlock, query


@dataclass
class BudgetManager:
    """Keeps a budget of turns and cost."""

    max_cost_usd: float
    max_turns: int
    total_cost: float = 0.0
    total_turns: int = 0
    query_history: list[dict] = field(default_factory=list)

    def check_budget(self, cost: float, turns: int) -> tuple[bool, str]:
        """Whether the run is still within budget, with a message."""
        self.total_cost += cost
        self.total_turns += turns
        self.query_history.append(
            {
                "cost": cost,
                "turns": turns,
                "cumulative_cost": self.total_cost,
                "cumulative_turns": self.total_turns,
            }
        )
        if self.total_cost > self.max_cost_usd:
            return False, f"cost limit (${self.max_cost_usd:.4f}) exceeded: ${self.total_cost:.4f}"
        if self.total_turns > self.max_turns:
            return False, f"turn limit ({self.max_turns}) exceeded: {self.total_turns} turns"
        return True, "within budget"

    def get_remaining(self) -> dict:
        return {
            "remaining_cost": max(0, self.max_cost_usd - self.total_cost),
            "remaining_turns": max(0, self.max_turns - self.total_turns),
            "cost_percentage": (self.total_cost / self.max_cost_usd) * 100 if self.max_cost_usd > 0 else 0,
            "turns_percentage": (self.total_turns / self.max_turns) * 100 if self.max_turns > 0 else 0,
        }

    def can_continue(self, min_turns: int = 1) -> bool:
        remaining = self.get_remaining()
        return remaining["remaining_turns"] >= min_turns and remaining["remaining_cost"] > 0

    def print_status(self):
        remaining = self.get_remaining()
        print("\n" + "-" * 40)
        print("Budget")
        print("-" * 40)
        share = remaining["cost_percentage"]
        print(f"  cost:  ${self.total_cost:.4f} / ${self.max_cost_usd:.4f} ({share:.1f}%)")
        print(f"  turns: {self.total_turns} / {self.max_turns} ({remaining['turns_percentage']:.1f}%)")
        print(f"  left:  ${remaining['remaining_cost']:.4f}, {remaining['remaining_turns']} turns")
        print("-" * 40)

    def print_history(self):
        if not self.query_history:
            print("no history")
            return
        print("\n" + "=" * 50)
        print("Query history")
        print("=" * 50)
        for i, entry in enumerate(self.query_history, 1):
            print(f"\n  [{i}] cost: ${entry['cost']:.4f}, turns: {entry['turns']}")
            print(f"       total: ${entry['cumulative_cost']:.4f}, {entry['cumulative_turns']} turns")


async def budget_aware_query(prompt: str, budget: BudgetManager, turns_per_query: int = 10) -> bool:
    """Run one query within what is left of the budget; False when the budget is exceeded."""
    remaining = budget.get_remaining()
    if remaining["remaining_turns"] < 1:
        print("not enough turns left")
        return False
    turns_to_use = min(turns_per_query, remaining["remaining_turns"])
    options = ClaudeAgentOptions(max_turns=turns_to_use, allowed_tools=["Read", "Glob", "Grep"])
    print(f"\nquery: max_turns={turns_to_use}")

    async for message in query(prompt=prompt, options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    text = block.text[:200] + "..." if len(block.text) > 200 else block.text
                    print(f"  {text}")
        elif isinstance(message, ResultMessage):
            is_ok, msg = budget.check_budget(message.total_cost_usd, message.num_turns)
            if not is_ok:
                print(f"\nover budget: {msg}")
                return False
    return True


async def run_multiple_queries(prompts: list[str], budget: BudgetManager, turns_per_query: int = 10):
    print("=" * 50)
    print(f"queries: {len(prompts)}")
    print(f"budget: ${budget.max_cost_usd:.4f}, {budget.max_turns} turns")
    print("=" * 50)

    completed = 0
    for i, prompt in enumerate(prompts, 1):
        print(f"\n--- query {i}/{len(prompts)} ---")
        print(f"prompt: {prompt[:50]}{'...' if len(prompt) > 50 else ''}")
        if not budget.can_continue():
            print("budget used up: skipping the remaining queries")
            break
        if await budget_aware_query(prompt, budget, turns_per_query):
            completed += 1
            budget.print_status()
        else:
            print("over budget: stopping")
            break

    print("\n" + "=" * 50)
    print("Final report")
    print("=" * 50)
    print(f"completed: {completed}/{len(prompts)}")
    budget.print_status()
    budget.print_history()


async def main():
    Path("README.md").write_text("# Demo\n\nA tiny demo project.\n")
    Path("src").mkdir(exist_ok=True)
    Path("src/app.py").write_text("print('demo')\n")
    budget = BudgetManager(max_cost_usd=0.10, max_turns=4)
    default_prompts = [
        "Read README.md and summarise it",
        "Analyse the structure of the src/ directory",
        "Explain the role of the main files",
    ]
    await run_multiple_queries(default_prompts, budget, 10)


if __name__ == "__main__":
    asyncio.run(main())
