"""What a model call costs: the price of a Letta model handle, from the genai-prices library.

The Claude SDK always reports ``ResultMessage.total_cost_usd`` as a float and programs format it,
so every handle gets a price: the user's (``CLAUDE_COMPAT_PRICES``), else the library's list price,
else 0.0 for models that run on the user's own machine, else 0.0 with one warning per handle that
says how to set it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import genai_prices
import pydantic

from .._backend import Usage
from ..errors import InvalidOptionError

#: The environment variable (process or ``ClaudeAgentOptions.env``) with the user's prices.
PRICES_ENV = "CLAUDE_COMPAT_PRICES"

#: Letta handle provider (the part before the first ``/``) → the library's provider id. A provider
#: not listed is matched by the model name alone (e.g. ``openai-proxy``, any OpenAI-compatible server).
LIBRARY_PROVIDERS: dict[str, str] = {
    "anthropic": "anthropic",
    "openai": "openai",
    "azure": "azure",
    "bedrock": "aws",
    "google_ai": "google",
    "google_vertex": "google",
    "baseten": "baseten",
    "cerebras": "cerebras",
    "deepseek": "deepseek",
    "fireworks": "fireworks",
    "groq": "groq",
    "minimax": "minimax",
    "mistral": "mistral",
    "openrouter": "openrouter",
    "together": "together",
    "xai": "x-ai",
    "zai": "zai",
    "zai_coding": "zai",
}

#: Letta providers whose models run on the user's own machine (or Letta's free tier): they cost 0.0.
FREE_PROVIDERS: frozenset[str] = frozenset({"ollama", "lmstudio_openai", "vllm", "sglang", "letta"})

#: Which price a cost was counted at, in the CLI's ``modelUsage[...].costBasis`` words: the built-in
#: list price, the user's own (the CLI's organisation-managed rates), or none known.
CostBasis = Literal["list", "managed", "unknown"]


class Price(pydantic.BaseModel):
    """A user-set price of one handle, USD per million tokens (cache prices default to ``input``)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    input: pydantic.NonNegativeFloat
    output: pydantic.NonNegativeFloat
    cache_read: pydantic.NonNegativeFloat | None = None
    cache_write: pydantic.NonNegativeFloat | None = None

    def cost(self, usage: Usage) -> float:
        """USD of `usage` at this price."""
        cache_read = self.input if self.cache_read is None else self.cache_read
        cache_write = self.input if self.cache_write is None else self.cache_write
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_read_input_tokens * cache_read
            + usage.cache_creation_input_tokens * cache_write
        ) / 1_000_000


_USER_PRICES: pydantic.TypeAdapter[dict[str, Price]] = pydantic.TypeAdapter(dict[str, Price])

#: What the model is told, with the next prompt, of tool calls left unrun when the budget ran out.
BUDGET_SKIPPED_TOOL = "Not run: the session reached its max_budget_usd before this tool call ran."

#: A value of ``CLAUDE_COMPAT_PRICES``, shown in messages and docs.
PRICES_EXAMPLE = '{"openai/my-model": {"input": 0.5, "output": 1.5}}'


@dataclass(frozen=True)
class Cost:
    """The USD of one model call and which price it was counted at."""

    usd: float
    basis: CostBasis


def user_prices(env: Mapping[str, str]) -> dict[str, Price]:
    """The prices set in ``CLAUDE_COMPAT_PRICES`` (a JSON object: handle → price), checked.

    Raises InvalidOptionError naming the variable and the expected shape when the value is not one.
    """
    raw = env.get(PRICES_ENV, "").strip()
    if not raw:
        return {}
    try:
        return _USER_PRICES.validate_python(json.loads(raw))
    except pydantic.ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise _bad_prices(detail) from None
    except ValueError as exc:  # not JSON
        raise _bad_prices(str(exc)) from None


def _bad_prices(detail: str) -> InvalidOptionError:
    """The error for a bad ``CLAUDE_COMPAT_PRICES``: what is wrong and the shape it wants."""
    return InvalidOptionError(
        f"{PRICES_ENV} must be a JSON object of Letta model handles to prices in USD per million "
        f"tokens, e.g. {PRICES_ENV}='{PRICES_EXAMPLE}' (optional: cache_read, cache_write): {detail}"
    )


def _library_cost(handle: str, usage: Usage) -> float | None:
    """The library's list price of `usage` on `handle`, or None when it knows no such model."""
    provider, _, model = handle.partition("/")
    if not model:
        provider, model = "", handle
    genai_usage = genai_prices.Usage(
        # the library's input_tokens count every input token; Letta's (Anthropic's) leave out the cache
        input_tokens=usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_input_tokens,
        cache_write_tokens=usage.cache_creation_input_tokens,
    )
    try:
        price = genai_prices.calc_price(genai_usage, model, provider_id=LIBRARY_PROVIDERS.get(provider))
    except LookupError:
        return None
    return float(price.total_price)


_warned: set[str] = set()


def _warn_unpriced(handle: str) -> None:
    """One warning per handle per process: its cost counts as 0.0, and how to set its price."""
    if handle in _warned:
        return
    _warned.add(handle)
    example = json.dumps({handle: {"input": 1.0, "output": 2.0}})
    warnings.warn(
        f"claude-compat knows no price for the model {handle}: its calls count as $0.0 in "
        f"total_cost_usd, so max_budget_usd cannot stop it. Set its price in USD per million tokens "
        f"with the environment variable (or ClaudeAgentOptions(env=...)) {PRICES_ENV}='{example}'",
        UserWarning,
        stacklevel=3,
    )


@dataclass(frozen=True)
class PriceBook:
    """The prices one session counts its model calls at: the user's first, then the library's."""

    user: Mapping[str, Price]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PriceBook:
        """The price book for a session's environment (raises InvalidOptionError for a bad value)."""
        return cls(user_prices(env))

    def cost(self, handle: str, usage: Usage) -> Cost:
        """What `usage` on `handle` costs; an unknown model costs 0.0 and warns once."""
        own = self.user.get(handle)
        if own is not None:
            return Cost(own.cost(usage), "managed")
        if handle.partition("/")[0] in FREE_PROVIDERS:
            return Cost(0.0, "list")
        listed = _library_cost(handle, usage)
        if listed is not None:
            return Cost(listed, "list")
        _warn_unpriced(handle)
        return Cost(0.0, "unknown")
