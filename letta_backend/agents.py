"""Agent provisioning: the Letta agent behind a session (shared per configuration, or persistent).

Sessions never share memory by default: a session either gets its own agent, or a conversation
of a shared agent whose memory blocks are isolated per conversation. Which is used is a measured
choice (see benchmarks/provisioning.py): ``AGENT_SCOPE`` below.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal

from letta_client import AsyncLetta

from claude_compat.errors import InvalidOptionError, UnknownModelError

from . import mapping

AgentScope = Literal["session", "shared"]

#: Default scope, chosen by measurement (benchmarks/provisioning.py); CLAUDE_COMPAT_AGENT_SCOPE overrides.
AGENT_SCOPE: AgentScope = "shared"


def agent_scope() -> AgentScope:
    """The provisioning scope in force (env ``CLAUDE_COMPAT_AGENT_SCOPE`` = session|shared)."""
    value = os.environ.get("CLAUDE_COMPAT_AGENT_SCOPE", AGENT_SCOPE)
    if value not in ("session", "shared"):
        raise InvalidOptionError(f"CLAUDE_COMPAT_AGENT_SCOPE must be 'session' or 'shared', not {value!r}")
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class AgentSpec:
    """What a new session's agent must look like."""

    system: str
    model_handle: str
    embedding_handle: str | None = None
    memory_blocks: tuple[tuple[str, str], ...] = ()
    model_settings: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    routed_tools: tuple[str, ...] = ()  # calls to these (not offered) go to the client
    enable_reasoner: bool | None = None  # Letta's switch for Anthropic thinking (mapping.LettaSampling)

    def config_key(self) -> str:
        """A stable digest of everything that makes two agents interchangeable."""
        routed = [sorted(self.routed_tools)] if self.routed_tools else []  # older keys stay valid
        reasoner = [] if self.enable_reasoner is None else [{"enable_reasoner": self.enable_reasoner}]
        payload = json.dumps(
            [
                self.system,
                self.model_handle,
                self.embedding_handle,
                self.memory_blocks,
                self.model_settings,
                *routed,
                *reasoner,
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def block_labels(self) -> list[str]:
        """Labels of the memory blocks (isolated per conversation on a shared agent)."""
        return [label for label, _ in self.memory_blocks]


def normalise_blocks(
    blocks: list[dict[str, Any]] | dict[str, str] | None,
) -> tuple[tuple[str, str], ...]:
    """``letta_memory_blocks`` in either accepted form → ((label, value), …)."""
    if blocks is None:
        return ()
    if isinstance(blocks, dict):
        items = list(blocks.items())
    else:
        items = []
        for block in blocks:
            if not isinstance(block, dict) or "label" not in block:
                raise InvalidOptionError(
                    f"letta_memory_blocks entries must be dicts with 'label' and 'value', got {block!r}"
                )
            items.append((str(block["label"]), str(block.get("value", ""))))
    return tuple((str(k), str(v)) for k, v in items)


async def create_agent(client: AsyncLetta, spec: AgentSpec, *, tags: list[str]) -> str:
    """Create a Letta agent for claude-compat (client tools only, no Letta base tools)."""
    settings = {**mapping.base_model_settings(spec.model_handle), **spec.model_settings}
    kwargs: dict[str, Any] = {}
    if spec.embedding_handle:
        kwargs["embedding"] = spec.embedding_handle
    if spec.enable_reasoner is not None:
        kwargs["enable_reasoner"] = spec.enable_reasoner
    agent = await client.agents.create(
        name=spec.name or "claude-compat-session",
        agent_type=mapping.AGENT_TYPE,
        model=spec.model_handle,
        system=spec.system,
        memory_blocks=[{"label": label, "value": value} for label, value in spec.memory_blocks],
        include_base_tools=False,
        tools=[],
        model_settings=settings,  # type: ignore[arg-type]
        tags=[mapping.AGENT_TAG, *tags],
        tool_rules=[{"type": "requires_approval", "tool_name": name} for name in spec.routed_tools],
        **kwargs,
    )
    return agent.id


async def list_model_handles(client: AsyncLetta) -> list[str]:
    """Handles of the LLMs the server serves."""
    models = await client.models.list()
    return [m.handle for m in models if getattr(m, "handle", None)]  # type: ignore[misc]


#: Tried, in order, when the program names no model.
DEFAULT_PREFERENCE: tuple[str, ...] = (
    "anthropic/claude-sonnet-4-5",
    "anthropic/claude-sonnet-4-5-20250929",
    "openai/gpt-4.1-mini",
    "openai/gpt-4o-mini",
    "google_ai/gemini-2.5-flash",
)


def choose_model(available: list[str], *, model: str | None, handle: str | None, env: str | None) -> str:
    """Pick the Letta handle: env > letta_model_handle > model alias > a sensible default."""
    for explicit in (env, handle):
        if explicit:
            if explicit in available:
                return explicit
            raise UnknownModelError(explicit, available)
    usable = [h for h in available if h not in mapping.NEVER_DEFAULT_HANDLES]
    if model:
        for candidate in mapping.model_candidates(model):
            if candidate in available:
                return candidate
            prefixed = [h for h in usable if h.startswith(candidate + "-")]
            if prefixed:
                return sorted(prefixed)[-1]
        raise UnknownModelError(mapping.model_candidates(model)[0], available)
    for candidate in DEFAULT_PREFERENCE:
        if candidate in available:
            return candidate
    if len(usable) == 1:
        return usable[0]
    raise UnknownModelError(None, available)
