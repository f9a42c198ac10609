"""Cost is a number: prices by Letta handle from the genai-prices library, prices users set, and a
model with no known price counted as 0.0 with one warning (pure logic, on plain data)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from genai_prices.data import providers as library_providers

from claude_compat import ClaudeAgentOptions, ResultError, ResultMessage, ToolUseBlock, query
from claude_compat._internal import prices
from claude_compat.errors import InvalidOptionError
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from letta_backend.translate import Usage


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[warnings.WarningMessage]]:
    """Each test starts as a new process would: no handle warned about yet; every warning recorded."""
    monkeypatch.setattr(prices, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def book(env: dict[str, str] | None = None) -> prices.PriceBook:
    return prices.PriceBook.from_env(env or {})


def test_a_claude_model_costs_its_list_price_as_the_claude_sdk_counts_it() -> None:
    cost = book().cost("anthropic/claude-sonnet-4-5", Usage(input_tokens=10, output_tokens=5))

    assert cost.basis == "list" and cost.usd == pytest.approx(0.000105)
    assert isinstance(cost.usd, float) and f"${cost.usd:.4f}" == "$0.0001"


def test_cache_reads_and_writes_are_counted_at_their_own_prices() -> None:
    sonnet = "anthropic/claude-sonnet-4-5"

    read = book().cost(sonnet, Usage(input_tokens=100_000, cache_read_input_tokens=50_000))
    write = book().cost(sonnet, Usage(cache_creation_input_tokens=100_000))

    assert read.usd == pytest.approx(0.3 + 0.015)  # $3 per million uncached, $0.30 per million read
    assert write.usd == pytest.approx(0.375)  # $3.75 per million written


@pytest.mark.parametrize(
    "handle",
    [
        "openai/gpt-4.1-mini",
        "google_ai/gemini-2.5-flash",
        "anthropic/claude-haiku-4-5-20251001",  # a dated id is the family's
        "openai-proxy/claude-sonnet-4-5",  # an OpenAI-compatible server: matched by the model name
        "openai-proxy/claude-sonnet-4-5-lane2",
    ],
)
def test_models_the_library_knows_have_a_price_under_their_letta_handle(
    handle: str, fresh_warnings: list[warnings.WarningMessage]
) -> None:
    cost = book().cost(handle, Usage(input_tokens=1000, output_tokens=100))

    assert cost.basis == "list" and cost.usd > 0
    assert fresh_warnings == []


def test_every_letta_provider_maps_to_a_provider_the_library_has() -> None:
    known = {provider.id for provider in library_providers}

    assert set(prices.LIBRARY_PROVIDERS.values()) <= known


def test_a_model_on_the_users_own_machine_costs_nothing_and_warns_nothing(
    fresh_warnings: list[warnings.WarningMessage],
) -> None:
    cost = book().cost("ollama/llama3.1:8b", Usage(input_tokens=1000, output_tokens=100))

    assert cost == prices.Cost(0.0, "list")
    assert fresh_warnings == []


def test_a_price_the_user_sets_wins_and_cache_tokens_default_to_the_input_price() -> None:
    env = {
        prices.PRICES_ENV: json.dumps(
            {
                "anthropic/claude-sonnet-4-5": {"input": 1.0, "output": 2.0},
                "openai-proxy/mine": {"input": 1.0, "output": 2.0, "cache_read": 0.5, "cache_write": 0.0},
            }
        )
    }
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_read_input_tokens=1_000_000,
        cache_creation_input_tokens=1_000_000,
    )

    assert book(env).cost("anthropic/claude-sonnet-4-5", usage) == prices.Cost(
        1.0 + 2.0 + 1.0 + 1.0, "managed"
    )
    assert book(env).cost("openai-proxy/mine", usage) == prices.Cost(1.0 + 2.0 + 0.5 + 0.0, "managed")


def test_an_unknown_model_costs_zero_and_warns_once_per_handle_saying_how_to_set_its_price(
    fresh_warnings: list[warnings.WarningMessage],
) -> None:
    prices_of = book()
    usage = Usage(input_tokens=10, output_tokens=5)

    costs = [prices_of.cost("openai-proxy/house-model", usage) for _ in range(3)]
    other = prices_of.cost("openai-proxy/other-model", usage)

    assert costs == [prices.Cost(0.0, "unknown")] * 3 and other == prices.Cost(0.0, "unknown")
    messages = [str(w.message) for w in fresh_warnings]
    assert len(messages) == 2 and all(w.category is UserWarning for w in fresh_warnings)
    assert "openai-proxy/house-model" in messages[0] and "openai-proxy/other-model" in messages[1]
    assert prices.PRICES_ENV in messages[0] and "max_budget_usd" in messages[0]
    # the example in the warning is a value the variable accepts
    example = messages[0].split(f"{prices.PRICES_ENV}=", 1)[1].strip("'")
    assert prices.user_prices({prices.PRICES_ENV: example}).keys() == {"openai-proxy/house-model"}


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("{not json", "Expecting property name"),
        ('{"openai/x": {"input": -1, "output": 1}}', "openai/x.input"),
        ('{"openai/x": {"input": 1}}', "openai/x.output"),
        ('{"openai/x": {"input": 1, "output": 1, "cached": 1}}', "openai/x.cached"),
        ('["openai/x"]', "dictionary"),
    ],
)
def test_a_bad_price_setting_is_an_invalid_option_naming_the_variable_and_its_shape(
    raw: str, words: str
) -> None:
    with pytest.raises(InvalidOptionError) as info:
        prices.user_prices({prices.PRICES_ENV: raw})

    message = str(info.value)
    assert prices.PRICES_ENV in message and '"input": 0.5' in message and words in message


@pytest.mark.anyio
async def test_a_bad_price_setting_fails_the_query_before_anything_connects() -> None:
    options = ClaudeAgentOptions(
        env={prices.PRICES_ENV: "{oops"}, letta_base_url="http://127.0.0.1:9", letta_api_key="x"
    )

    with pytest.raises(InvalidOptionError, match=prices.PRICES_ENV):
        async for _ in query(prompt="hello", options=options):
            pass


# --- Through the real local Letta server and the scripted model --------------------------------


async def messages_of(prompt: str, options: ClaudeAgentOptions) -> list[Any]:
    """The run's messages (an error result is yielded, then raised: keep the messages)."""
    seen: list[Any] = []
    try:
        async for message in query(prompt=prompt, options=options):
            seen.append(message)
    except ResultError:
        pass
    assert isinstance(seen[-1], ResultMessage)
    return seen


async def result_of(prompt: str, options: ClaudeAgentOptions) -> ResultMessage:
    """The run's ResultMessage."""
    result = (await messages_of(prompt, options))[-1]
    assert isinstance(result, ResultMessage)
    return result


@pytest.mark.anyio
@pytest.mark.letta
async def test_an_unpriced_model_reports_cost_0_as_a_number_programs_can_format_and_warns_once(
    scripted_model: ScriptedModel, fresh_warnings: list[warnings.WarningMessage]
) -> None:
    handle = f"openai-proxy/{scripted_model.model_id}"
    scripted_model.push("4", "5")

    first = await result_of("2+2?", ClaudeAgentOptions())
    second = await result_of("2+3?", ClaudeAgentOptions(max_budget_usd=0.0001))

    for result in (first, second):
        assert result.subtype == "success" and isinstance(result.total_cost_usd, float)
        assert f"${result.total_cost_usd:.4f}" == "$0.0000"
        assert result.model_usage is not None
        assert result.model_usage[handle]["costUSD"] == 0.0
        assert result.model_usage[handle]["costBasis"] == "unknown"
    about_prices = [str(w.message) for w in fresh_warnings if prices.PRICES_ENV in str(w.message)]
    assert len(about_prices) == 1 and handle in about_prices[0]


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_price_the_user_sets_is_counted_and_max_budget_usd_ends_the_run(
    scripted_model: ScriptedModel, tmp_path: Path, fresh_warnings: list[warnings.WarningMessage]
) -> None:
    handle = f"openai-proxy/{scripted_model.model_id}"
    # $1000 / $2000 per million tokens: one scripted call (10 in, 5 out) costs $0.02
    env = {prices.PRICES_ENV: json.dumps({handle: {"input": 1000, "output": 2000}})}
    (tmp_path / "notes.txt").write_text("budget notes\n")
    read = Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "notes.txt")})])
    scripted_model.push("4", read, "never asked for")

    priced = await result_of("2+2?", ClaudeAgentOptions(env=env, cwd=str(tmp_path)))
    budget = ClaudeAgentOptions(env=env, cwd=str(tmp_path), max_budget_usd=0.01)
    messages = await messages_of("Read notes.txt", budget)
    stopped = messages[-1]

    assert priced.subtype == "success" and priced.total_cost_usd == pytest.approx(0.02)
    assert f"${priced.total_cost_usd:.4f}" == "$0.0200"
    assert priced.model_usage is not None and priced.model_usage[handle]["costBasis"] == "managed"
    # the first call spent $0.02 of the $0.01 budget: as the CLI, the call it asked for is shown
    # but not run, no second model call is made, and the run ends as exhausted
    assert [type(m).__name__ for m in messages] == ["SystemMessage", "AssistantMessage", "ResultMessage"]
    assert isinstance(messages[1].content[0], ToolUseBlock) and messages[1].content[0].name == "Read"
    assert stopped.subtype == "error_max_budget_usd" and stopped.is_error
    assert stopped.terminal_reason == "budget_exhausted"
    assert stopped.errors == ["Reached maximum budget ($0.01)"]
    assert stopped.total_cost_usd == pytest.approx(0.02)
    assert len(scripted_model.completions) == 2
    assert not [w for w in fresh_warnings if prices.PRICES_ENV in str(w.message)]
