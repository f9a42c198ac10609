"""query(): one-shot or streaming-input runs of an agent on Letta (placeholder until the engine lands)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING, Any

from .errors import NotSupportedOnLettaError

if TYPE_CHECKING:
    from .types import ClaudeAgentOptions, Message, Transport


async def query(
    *,
    prompt: str | AsyncIterable[dict[str, Any]],
    options: ClaudeAgentOptions | None = None,
    transport: Transport | None = None,
) -> AsyncIterator[Message]:
    """Run one prompt (or a stream of user messages) and yield the Claude-shaped messages."""
    raise NotSupportedOnLettaError("query")
    yield  # pragma: no cover
