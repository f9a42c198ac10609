"""THE mapping table between Claude Agent SDK concepts and Letta, kept as data.

Every translation rule the backend applies lives here as a dict or a frozen dataclass row, so it
can be read, documented (MIGRATING.md) and tested row by row instead of hiding in ``if`` chains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# --- Models ---------------------------------------------------------------------------------

#: Claude model aliases and ids → Letta handle candidates, best first. The first candidate the
#: server lists wins; a ``claude-*`` id not listed here maps to ``anthropic/<id>``.
MODEL_ALIASES: dict[str, tuple[str, ...]] = {
    "sonnet": ("anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5-20250929"),
    "opus": (
        "anthropic/claude-opus-4-5",
        "anthropic/claude-opus-4-1",
        "anthropic/claude-opus-4-1-20250805",
    ),
    "haiku": ("anthropic/claude-haiku-4-5", "anthropic/claude-haiku-4-5-20251001"),
    "claude-sonnet-4-5": ("anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5-20250929"),
    "claude-opus-4-5": ("anthropic/claude-opus-4-5", "anthropic/claude-opus-4-5-20251101"),
    "claude-haiku-4-5": ("anthropic/claude-haiku-4-5", "anthropic/claude-haiku-4-5-20251001"),
}

#: Where the model choice comes from, strongest first (documented in MIGRATING.md).
MODEL_PRECEDENCE: tuple[str, ...] = (
    "env CLAUDE_COMPAT_MODEL",
    "option letta_model_handle",
    "option model (through MODEL_ALIASES)",
    "a preferred default (agents.DEFAULT_PREFERENCE), else the server's only non-Letta model",
)

#: Handles never chosen automatically (Letta's own free tier needs its cloud).
NEVER_DEFAULT_HANDLES: frozenset[str] = frozenset({"letta/letta-free"})


def model_candidates(model: str) -> tuple[str, ...]:
    """Letta handles a Claude ``model=`` value may mean, best first."""
    if "/" in model:
        return (model,)
    if model in MODEL_ALIASES:
        return MODEL_ALIASES[model]
    if model.startswith("claude-"):
        return (f"anthropic/{model}",)
    return (model,)


# --- Context windows -----------------------------------------------------------------------
# (prices: claude_compat/_internal/prices.py, from the genai-prices library)


def context_window_for(handle: str) -> int:
    """Context window reported in ``model_usage`` (Letta decides the real one)."""
    name = handle.rsplit("/", 1)[-1]
    return 200_000 if name.startswith("claude") else 128_000


# --- Stop reasons ---------------------------------------------------------------------------

ResultSubtype = Literal[
    "success",
    "error_during_execution",
    "error_max_turns",
    "error_max_budget_usd",
    "error_max_structured_output_retries",
]


@dataclass(frozen=True)
class StopMapping:
    """How one Letta stop reason ends a Claude turn."""

    subtype: ResultSubtype
    is_error: bool
    terminal_reason: str | None
    stop_reason: str | None
    api_error: bool = False  # the Claude SDK reports it as an API error (synthetic AssistantMessage)


#: Letta ``stop_reason`` → the Claude result it becomes (requires_approval is handled by the engine).
STOP_REASONS: dict[str, StopMapping] = {
    "end_turn": StopMapping("success", False, "completed", "end_turn"),
    "no_tool_call": StopMapping("success", False, "completed", "end_turn"),
    "tool_rule": StopMapping("success", False, "completed", "end_turn"),
    "max_steps": StopMapping("error_max_turns", True, "max_turns", "tool_use"),
    # not Letta reasons: the session's cost reached max_budget_usd; a UserPromptSubmit hook blocked;
    # the prompt was blank
    "max_budget": StopMapping("error_max_budget_usd", True, "budget_exhausted", None),
    "hook_stopped": StopMapping("success", False, "hook_stopped", None),
    "tool_hook_stopped": StopMapping("success", False, "hook_stopped", "tool_use"),  # by PostToolUse
    "hook_failed": StopMapping("error_during_execution", True, None, None),  # invalid hook output
    "blank_prompt": StopMapping("success", False, None, None),  # a whitespace-only prompt, never sent
    "conversation_cleared": StopMapping("success", False, None, None),  # /clear: a new session, no model call
    # with output_format: StructuredOutput accepted an input, or refused as many as the CLI allows
    "structured_output": StopMapping("success", False, "completed", "tool_use"),
    "structured_retries": StopMapping(
        "error_max_structured_output_retries", True, "structured_output_retry_exhausted", "tool_use"
    ),
    "max_tokens_exceeded": StopMapping("success", False, "completed", "max_tokens"),
    "cancelled": StopMapping("error_during_execution", True, "aborted_streaming", None),
    "llm_api_error": StopMapping("success", True, "api_error", "stop_sequence", api_error=True),
    "invalid_llm_response": StopMapping("success", True, "api_error", "stop_sequence", api_error=True),
    "invalid_tool_call": StopMapping("error_during_execution", True, "model_error", None),
    "insufficient_credits": StopMapping("success", True, "api_error", "stop_sequence", api_error=True),
    "context_window_overflow_in_system_prompt": StopMapping(
        "error_during_execution", True, "prompt_too_long", None
    ),
    "error": StopMapping("error_during_execution", True, "model_error", None),
}


#: Fallback for a stop reason this table does not know (a newer server).
UNKNOWN_STOP = StopMapping("error_during_execution", True, "model_error", None)


def stop_mapping(reason: str) -> StopMapping:
    """The Claude ending of a Letta stop reason (unknown reasons end as execution errors)."""
    return STOP_REASONS.get(reason, UNKNOWN_STOP)


#: The model provider's HTTP status → Claude ``AssistantMessage.error`` (as the Claude CLI sets it).
ASSISTANT_ERRORS_BY_STATUS: dict[int, str] = {
    401: "authentication_failed",
    402: "billing_error",
    403: "authentication_failed",
    404: "model_not_found",
    429: "rate_limit",
    500: "server_error",
    502: "server_error",
    503: "server_error",
    504: "server_error",
    529: "server_error",
}


def assistant_error(error_type: str, status: int | None) -> str:
    """The ``AssistantMessage.error`` of an API failure: by HTTP status, else by Letta error type."""
    if status is not None:
        return ASSISTANT_ERRORS_BY_STATUS.get(status, "unknown")
    return ASSISTANT_ERRORS.get(error_type, "unknown")


#: Letta in-stream ``error_type`` → Claude ``AssistantMessage.error`` value (when no status is known).
ASSISTANT_ERRORS: dict[str, str] = {
    "llm_error": "server_error",
    "llm_authentication_error": "authentication_failed",
    "llm_rate_limit": "rate_limit",
    "llm_bad_request": "invalid_request",
    "insufficient_credits": "billing_error",
    "internal_error": "unknown",
}

# --- Options --------------------------------------------------------------------------------

OptionFate = Literal["agent", "local"]


@dataclass(frozen=True)
class OptionRow:
    """Where one ``letta_*`` field of ``ClaudeAgentOptions`` goes on Letta: the agent, or local settings."""

    fate: OptionFate
    letta: str  # the Letta parameter (or local mechanism) it becomes
    note: str = ""


#: What each ``letta_*`` extension field of ClaudeAgentOptions becomes on Letta (MIGRATING's table of
#: them). The Claude SDK's own fields, sessions' ``resume`` / ``continue_conversation`` /
#: ``fork_session`` / ``session_id`` among them, have their one row each in the surface table
#: (``claude_compat._internal.surface``), which says what they do on Letta and how they are checked.
OPTIONS: dict[str, OptionRow] = {
    "letta_agent_id": OptionRow("agent", "use this agent; sessions are its conversations"),
    "letta_agent_name": OptionRow("agent", "find or create an agent by name"),
    "letta_memory_blocks": OptionRow("agent", "agents.create(memory_blocks=...)"),
    "letta_model_handle": OptionRow("agent", "agents.create(model=...)"),
    "letta_embedding_handle": OptionRow("agent", "agents.create(embedding=...)"),
    "letta_model_settings": OptionRow("agent", "agents.create(model_settings=...)"),
    "letta_base_url": OptionRow("local", "Letta server URL (else LETTA_BASE_URL)"),
    "letta_api_key": OptionRow("local", "Letta API key (else LETTA_API_KEY)"),
    "letta_request_timeout": OptionRow("local", "read timeout of each non-streaming request"),
    "letta_idle_timeout": OptionRow("local", "longest silence on a turn's stream (keepalive pings count)"),
    "letta_turn_timeout": OptionRow("local", "deadline of a whole turn"),
}

#: Handle provider prefix → Letta ``model_settings.provider_type`` (anything else: "openai").
PROVIDER_TYPES: dict[str, str] = {
    "anthropic": "anthropic",
    "openai": "openai",
    "openai-proxy": "openai",
    "google_ai": "google_ai",
    "google_vertex": "google_vertex",
    "azure": "azure",
    "bedrock": "bedrock",
    "deepseek": "deepseek",
    "groq": "groq",
    "together": "together",
    "xai": "xai",
    "openrouter": "openrouter",
}


def provider_type(handle: str) -> str:
    """Letta's ``provider_type`` for a handle."""
    return PROVIDER_TYPES.get(handle.split("/", 1)[0], "openai")


def base_model_settings(handle: str) -> dict[str, object]:
    """Model settings every provisioned agent gets: several tool calls in one reply must survive."""
    return {"provider_type": provider_type(handle), "parallel_tool_calls": True}


# --- Sampling and reasoning -----------------------------------------------------------------
# What the model is asked for: the request the pinned CLI (2.1.331) sends a Claude model, measured
# against a scripted Messages API, then put into Letta model settings for the handle's provider.


@dataclass(frozen=True)
class CliSampling:
    """What the CLI asks one family of Claude models for, and which options change it."""

    max_tokens: int
    thinking: Literal["adaptive", "enabled", "off"]  # "enabled": a budget of max_tokens - 1
    effort: str | None = None  # the output_config.effort it sends unasked
    takes_effort: bool = False  # effort= changes the request
    takes_thinking: bool = True  # thinking= / max_thinking_tokens= change the request
    off_temperature: float | None = 1.0  # the temperature it sends when thinking is turned off


#: Claude model-name prefix → what the CLI asks for (first matching prefix wins; measured).
CLI_SAMPLING: dict[str, CliSampling] = {
    "claude-opus-5": CliSampling(128_000, "adaptive", "medium", takes_effort=True, takes_thinking=False),
    "claude-sonnet-5": CliSampling(128_000, "adaptive", "medium", takes_effort=True, takes_thinking=False),
    "claude-haiku-5": CliSampling(128_000, "adaptive", "medium", takes_effort=True, takes_thinking=False),
    "claude-opus-4-6": CliSampling(64_000, "adaptive", "high", takes_effort=True, takes_thinking=False),
    "claude-sonnet-4-6": CliSampling(32_000, "adaptive", "high", takes_effort=True, takes_thinking=False),
    "claude-opus-4-5": CliSampling(32_000, "enabled", "high", takes_effort=True),
    "claude-sonnet-4": CliSampling(32_000, "enabled"),
    "claude-haiku-4": CliSampling(32_000, "enabled"),
    "claude-opus-4": CliSampling(32_000, "enabled"),
    "claude-3-7-sonnet": CliSampling(32_000, "off", takes_thinking=False),
    "claude-3-5-haiku": CliSampling(8_192, "off", takes_thinking=False),
}

#: A ``claude-*`` model the CLI does not know (it warns ``unrecognized_model``).
CLI_SAMPLING_UNKNOWN = CliSampling(32_000, "adaptive", "high", takes_effort=True, off_temperature=None)

#: The CLI's environment variable for the output token limit (thinking budgets shrink under it).
MAX_OUTPUT_TOKENS_ENV = "CLAUDE_CODE_MAX_OUTPUT_TOKENS"


@dataclass(frozen=True)
class Sampling:
    """What one model request asks for, provider-neutral (``None``: not asked, the provider's own)."""

    max_output_tokens: int | None = None
    thinking: Literal["adaptive", "enabled", "disabled"] | None = None
    budget_tokens: int | None = None
    effort: str | None = None
    temperature: float | None = None


def cli_sampling(
    handle: str,
    *,
    thinking: dict[str, Any] | None = None,
    effort: str | None = None,
    max_thinking_tokens: int | None = None,
    max_output_tokens: int | None = None,
    cli_model: str | None = None,
) -> Sampling:
    """What the CLI would ask the handle's model for, given the program's options.

    For a Claude model: the CLI's request (CLI_SAMPLING) for that model, or for ``cli_model`` when
    given (the model the program named, where the user configured a handle apart from it). Any
    other model gets only what the program set itself, since the CLI's token limits are Claude's.
    """
    name = handle.rsplit("/", 1)[-1]
    if not name.startswith("claude-"):
        return _explicit_sampling(thinking, effort, max_thinking_tokens, max_output_tokens)
    name = cli_model or name
    row = next((r for p, r in CLI_SAMPLING.items() if name.startswith(p)), CLI_SAMPLING_UNKNOWN)
    limit = max_output_tokens or row.max_tokens
    # "off": the CLI sends no thinking; said as "disabled", since Letta's default is to think
    kind: Literal["adaptive", "enabled", "disabled"] = "disabled" if row.thinking == "off" else row.thinking
    budget = limit - 1 if row.thinking == "enabled" else None
    temperature: float | None = None
    wanted, wanted_budget = _thinking_option(thinking, max_thinking_tokens)
    if row.takes_thinking and wanted == "disabled":
        kind, budget, temperature = "disabled", None, row.off_temperature
    elif row.takes_thinking and wanted is not None and row.thinking == "enabled" and wanted_budget:
        budget = min(wanted_budget, limit - 1)
    return Sampling(
        max_output_tokens=limit,
        thinking=kind,
        budget_tokens=budget,
        effort=(effort if row.takes_effort and effort else row.effort),
        temperature=temperature,
    )


def _thinking_option(
    thinking: dict[str, Any] | None, max_thinking_tokens: int | None
) -> tuple[str | None, int | None]:
    """The program's thinking choice and budget (``thinking`` wins over ``max_thinking_tokens``)."""
    if thinking and thinking.get("type"):
        budget = thinking.get("budget_tokens")
        return str(thinking["type"]), int(budget) if isinstance(budget, int) else None
    if max_thinking_tokens is not None:
        return ("disabled", None) if max_thinking_tokens == 0 else ("enabled", max_thinking_tokens)
    return None, None


def _explicit_sampling(
    thinking: dict[str, Any] | None,
    effort: str | None,
    max_thinking_tokens: int | None,
    max_output_tokens: int | None,
) -> Sampling:
    """What a model that is not Claude is asked for: only what the program set itself."""
    kind, budget = _thinking_option(thinking, max_thinking_tokens)
    return Sampling(
        max_output_tokens=max_output_tokens,
        thinking=kind if kind in ("adaptive", "enabled", "disabled") else None,  # type: ignore[arg-type]
        budget_tokens=budget if kind == "enabled" else None,
        effort=effort,
    )


#: The temperature a provider's API uses when a request names none (Letta always sends one, 0.7
#: unless told: sending this instead asks for what the CLI's request, which names none, gets).
API_DEFAULT_TEMPERATURE: dict[str, float] = {
    "anthropic": 1.0,
    "openai": 1.0,
    "azure": 1.0,
    "google_ai": 1.0,
    "google_vertex": 1.0,
}

#: Claude ``effort`` → OpenAI ``reasoning_effort``.
OPENAI_EFFORT: dict[str, str] = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "xhigh",
    "max": "xhigh",
}

#: Claude ``effort`` → Letta's Anthropic ``effort`` (Letta has no ``xhigh``).
ANTHROPIC_EFFORT: dict[str, str] = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "max",
    "max": "max",
}

#: Letta's Anthropic thinking needs at least this budget (it raises smaller ones to it).
MIN_THINKING_BUDGET = 1024


@dataclass(frozen=True)
class LettaSampling:
    """A Sampling as Letta takes it: agent ``model_settings`` plus ``enable_reasoner``.

    Letta 0.16.8 reads an Anthropic ``thinking.type`` into a field its config lacks, so thinking is
    switched on and off by the (deprecated, still accepted) agent-level ``enable_reasoner``.
    """

    model_settings: dict[str, Any]
    enable_reasoner: bool | None = None


def letta_sampling(handle: str, sampling: Sampling) -> LettaSampling:
    """A Sampling → Letta model settings for the handle's provider (what Letta cannot send is dropped)."""
    provider = provider_type(handle)
    out: dict[str, Any] = {}
    if sampling.max_output_tokens is not None:
        out["max_output_tokens"] = sampling.max_output_tokens
    temperature = sampling.temperature
    if temperature is None:
        temperature = API_DEFAULT_TEMPERATURE.get(provider)
    if temperature is not None:
        out["temperature"] = temperature
    reasoner: bool | None = None
    thinking_on = sampling.thinking in ("adaptive", "enabled")
    budget = sampling.budget_tokens
    if budget is None and thinking_on and sampling.max_output_tokens:
        budget = sampling.max_output_tokens - 1
    if provider == "anthropic":
        if thinking_on:
            out["thinking"] = {"type": "enabled", "budget_tokens": max(budget or 0, MIN_THINKING_BUDGET)}
            reasoner = True
        elif sampling.thinking == "disabled":
            out["thinking"] = {"type": "disabled", "budget_tokens": MIN_THINKING_BUDGET}
            reasoner = False
        if sampling.effort:
            out["effort"] = ANTHROPIC_EFFORT.get(sampling.effort, "high")
    elif provider in ("google_ai", "google_vertex"):
        if thinking_on:
            out["thinking_config"] = {
                "include_thoughts": True,
                "thinking_budget": budget or MIN_THINKING_BUDGET,
            }
        elif sampling.thinking == "disabled":
            out["thinking_config"] = {"include_thoughts": False, "thinking_budget": 0}
    elif sampling.effort:
        out["reasoning"] = {"reasoning_effort": OPENAI_EFFORT.get(sampling.effort, "medium")}
    return LettaSampling(out, reasoner)


#: What the CLI asks for that Letta 0.16.8 cannot send, per setting (MIGRATING.md lists these).
SAMPLING_LIMITS: dict[str, str] = {
    "temperature": "Letta always sends a temperature; where the CLI sends none, claude-compat sends "
    "the provider API's own default (1.0) instead of Letta's 0.7",
    "thinking (adaptive)": "Letta's Anthropic settings know only enabled/disabled: adaptive thinking "
    "becomes enabled with a budget of the output limit less one (Letta itself sends adaptive to "
    "claude-opus-4-6 and claude-sonnet-4-6)",
    "thinking (models)": "Letta sends thinking only to the Claude models it knows as reasoners "
    "(3-7 Sonnet, Sonnet 4.x, Opus 4.x, Haiku 4.5), and effort only to Opus 4.5/4.6 and Sonnet 4.6",
    "thinking (OpenAI-compatible)": "through an OpenAI-compatible provider Letta sends reasoning_effort "
    "only to o-series and gpt-5 models (over the Responses API); a thinking budget has no OpenAI form",
    "display / context_management": "the CLI's thinking display and its clear_thinking context edit are "
    "not Letta settings (Letta adds the same edit for Opus 4.5 itself)",
    "system-role reminders": "to the models it tells them in a system-role message after the prompt "
    "(its newest), the CLI's reminders go that way through an OpenAI-compatible provider; Letta turns "
    "such a message into a user message for Anthropic and Google models, which get them as "
    "<system-reminder> blocks in the prompt instead",
}

#: Providers Letta 0.16.8 sends a system-role message within the conversation to as a user message
#: (Anthropic: ``<event>SYSTEM ALERT: …</event>``; Google: the bare text).
SYSTEM_MESSAGE_AS_USER: frozenset[str] = frozenset({"anthropic", "google_ai", "google_vertex"})


def keeps_system_messages(handle: str) -> bool:
    """Whether a system-role message within the conversation reaches the handle's model as one."""
    return provider_type(handle) not in SYSTEM_MESSAGE_AS_USER


#: The Letta agent type that matches Claude's loop (native assistant text, client tools).
AGENT_TYPE: Literal["letta_v1_agent"] = "letta_v1_agent"

#: Tag put on every agent claude-compat creates (to find and clean them up).
AGENT_TAG = "claude-compat"
