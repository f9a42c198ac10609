"""What a session's turns spend and when they must stop: usage and cost per model, budget, limits, retries.

The engine keeps one :class:`Ledger` per session (``total_cost_usd`` and ``model_usage`` as the
ResultMessage reports them) and one :class:`TurnState` per turn (its counters and its time limit);
the functions here answer the loop's questions about them: is the budget spent, is a limit
reached, is a failed model call one the CLI tries again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from letta_backend import mapping

from .._backend import StreamFailure, Usage
from . import cli_facts, prices, structured


@dataclass
class TurnState:
    """Counters of one turn, and when it must end (event-loop time; None: no turn limit)."""

    deadline: float | None = None
    started: float = field(default_factory=time.monotonic)
    api_seconds: float = 0.0
    num_turns: int = 0
    parallel_calls: int = 0  # tool calls beyond the first of one model reply: the CLI counts each a turn
    usage: Usage = field(default_factory=Usage)
    last_text: str | None = None
    permission_denials: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0  # failed model calls tried again in a row (api_retry)
    structured: structured.StructuredTurn | None = None  # with output_format: the StructuredOutput calls

    def time_left(self) -> float:
        """Seconds left before the turn's time limit (infinite without one, never negative)."""
        return math.inf if self.deadline is None else max(self.deadline - anyio.current_time(), 0.0)


def deadline(turn_timeout: float | None) -> float | None:
    """When a turn starting now must end, in the event loop's clock (None: never)."""
    return None if turn_timeout is None else anyio.current_time() + turn_timeout


def _usage_entry(model: str) -> dict[str, Any]:
    """A model's first ``model_usage`` entry, with the CLI's keys and the counters at zero."""
    return {
        "inputTokens": 0,
        "outputTokens": 0,
        "cacheReadInputTokens": 0,
        "cacheCreationInputTokens": 0,
        "webSearchRequests": 0,
        "costUSD": 0.0,
        "contextWindow": mapping.context_window_for(model),
        "maxOutputTokens": 0,
        "thinkingTokens": 0,
        "cacheCreationEphemeral5mInputTokens": 0,
        "cacheCreationEphemeral1hInputTokens": 0,
        "canonicalModel": model.rsplit("/", 1)[-1],
        "provider": mapping.provider_type(model),
    }


class Ledger:
    """A session's spend so far: the total cost and the usage per model, priced by a PriceBook."""

    def __init__(self, book: prices.PriceBook) -> None:
        self.prices = book
        self.total_cost_usd = 0.0
        self.model_usage: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        """Start again at zero (``/clear`` begins a new session)."""
        self.total_cost_usd, self.model_usage = 0.0, {}

    def add(self, model: str, usage: Usage) -> None:
        """Count one model request's usage and its cost."""
        if usage == Usage() and model not in self.model_usage:
            return  # no model answered (an API error): Claude lists no model then
        cost = self.prices.cost(model, usage)
        entry = self.model_usage.setdefault(model, _usage_entry(model))
        entry["thinkingTokens"] += usage.reasoning_tokens
        entry["inputTokens"] += usage.input_tokens
        entry["outputTokens"] += usage.output_tokens
        entry["cacheReadInputTokens"] += usage.cache_read_input_tokens
        entry["cacheCreationInputTokens"] += usage.cache_creation_input_tokens
        entry["costUSD"] += cost.usd
        entry["costBasis"] = cost.basis  # the CLI's: the latest request's
        self.total_cost_usd += cost.usd

    def budget_spent(self, budget: float | None) -> bool:
        """Whether the session's cost has reached ``max_budget_usd`` (None: no budget)."""
        return budget is not None and self.total_cost_usd >= budget


def limit_reached(state: TurnState, max_turns: int | None, budget_spent: bool) -> str:
    """The stop reason when max_turns or max_budget_usd forbid another model call, else ""."""
    if max_turns is not None and state.num_turns >= max_turns:
        return "max_steps"
    return "max_budget" if budget_spent else ""


@dataclass(frozen=True)
class Retry:
    """A failed model call the CLI tries again: which attempt, of how many, after how long."""

    attempt: int
    limit: int
    delay_ms: int


def retry(
    failure: StreamFailure | None, *, gave_up: bool, state: TurnState, env: Callable[[], dict[str, str]]
) -> Retry | None:
    """The retry of a failed model call when the CLI makes one, else None (and the count starts again).

    ``gave_up``: the call produced blocks or the program interrupted it, so it is not tried again.
    ``env`` gives the session's environment (its retry limit), read only for a failed call.
    """
    if failure is None or gave_up:
        state.retries = 0
        return None
    status = failure.http_status
    limit = cli_facts.max_retries(env())
    if status is None or not cli_facts.api_error_fact(status).retry or state.retries >= limit:
        return None
    state.retries += 1
    state.num_turns = max(0, state.num_turns - 1)  # the CLI counts the call once, however tried
    return Retry(state.retries, limit, cli_facts.retry_delay_ms(state.retries))
