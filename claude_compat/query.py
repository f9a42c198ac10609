"""query(): one-shot or streaming-input runs of an agent on Letta, yielding Claude SDK messages."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from ._internal.engine import Engine, result_error
from ._internal.prompts import user_turns
from .errors import NotSupportedOnLettaError
from .types import ClaudeAgentOptions, Message, ResultMessage, Transport


async def query(
    *,
    prompt: str | AsyncIterable[dict[str, Any]],
    options: ClaudeAgentOptions | None = None,
    transport: Transport | None = None,
) -> AsyncIterator[Message]:
    """Run one prompt (or a stream of user messages) and yield the Claude-shaped messages.

    Like the Claude SDK, an error result is yielded first and then raised as ResultError.
    """
    if transport is not None:
        raise NotSupportedOnLettaError(
            "query(transport=...)", "claude-compat talks to Letta directly; drop the transport"
        )
    options = options if options is not None else ClaudeAgentOptions()
    turns = user_turns(prompt)
    engine = Engine(options)
    last: ResultMessage | None = None
    try:
        opened = False
        async for content, user_uuid in turns:
            if not opened:
                await engine.open(first_prompt=content if isinstance(content, str) else None)
                opened = True
            async for message in engine.turn(content, user_uuid=user_uuid):
                if isinstance(message, ResultMessage):
                    last = message
                yield message
    finally:
        await engine.aclose()
    if last is not None and last.is_error:
        raise result_error(last)
