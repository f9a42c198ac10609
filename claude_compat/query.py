"""query(): one-shot or streaming-input runs of an agent on Letta, yielding Claude SDK messages."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from ._internal.engine import Engine, result_error
from ._internal.prompts import turn_prompt, user_prompts
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
    prompts = user_prompts(prompt)
    engine = Engine(options)
    last: ResultMessage | None = None
    try:
        opened = False
        async for one in prompts:
            if not opened:
                await engine.open(first_prompt=one.content if isinstance(one.content, str) else None)
                opened = True
            turn = turn_prompt([one])
            one_shot = isinstance(prompt, str)  # as the CLI: its input ends with the prompt
            turns = engine.turn(turn.content, user_uuids=turn.uuids, origin=turn.origin, last=one_shot)
            async for message in turns:
                if isinstance(message, ResultMessage):
                    last = message
                yield message
            while (pending := engine.notification_prompt()) is not None:  # background tasks that ended
                async for message in engine.turn(pending[0], origin=pending[1]):
                    if isinstance(message, ResultMessage):
                        last = message
                    yield message
    finally:
        await engine.aclose()
    if last is not None and last.is_error:
        raise result_error(last)
