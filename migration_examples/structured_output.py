#!/usr/bin/env python3
"""Structured output: a JSON schema from a Pydantic model, and the validated result it produces.

Usage: structured_output.py [WORKDIR]  (default: the current directory; saves WORKDIR/plan.json)
"""

import os
import sys

import anyio
from pydantic import BaseModel

from claude_compat import ClaudeAgentOptions, ResultMessage, query

WORKDIR = sys.argv[1] if len(sys.argv) > 1 else "."


class Step(BaseModel):
    step_number: int
    description: str
    estimated_complexity: str  # "low", "medium" or "high"


class FeaturePlan(BaseModel):
    feature_name: str
    summary: str
    steps: list[Step]
    risks: list[str]


def save_plan(plan, path):
    """Write the plan as JSON."""
    with open(path, "w") as f:
        f.write(plan.model_dump_json(indent=2))


async def main():
    options = ClaudeAgentOptions(
        cwd=WORKDIR,
        output_format={"type": "json_schema", "schema": FeaturePlan.model_json_schema()},
    )

    async for message in query(
        prompt="Plan how to add dark mode support to a React app. Break it into implementation steps.",
        options=options,
    ):
        if isinstance(message, ResultMessage) and message.structured_output:
            # Validate and get a fully typed result.
            plan = FeaturePlan.model_validate(message.structured_output)
            print(f"Feature: {plan.feature_name}")
            print(f"Summary: {plan.summary}")
            print("Steps:")
            for step in plan.steps:
                print(f"  {step.step_number}. [{step.estimated_complexity}] {step.description}")
            if plan.risks:
                print("Risks:")
                for risk in plan.risks:
                    print(f"  - {risk}")

            save_plan(plan, os.path.join(WORKDIR, "plan.json"))
            print("Saved to plan.json")


if __name__ == "__main__":
    anyio.run(main)
