"""Conversations: create, read whole, send a turn as a stream, answer tool calls, clear stuck approvals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import anyio
from letta_client import AsyncLetta

from claude_compat._backend import RequestItem, ToolAnswers, ToolDenial, ToolReturn

from .client import STREAM_TIMEOUT
from .text import well_formed
from .timeouts import DEFAULT_TIMEOUTS, Stalled, next_wait


async def create(client: AsyncLetta, agent_id: str, *, isolated_block_labels: Sequence[str] = ()) -> str:
    """A new conversation on ``agent_id`` (memory blocks with these labels copied, not shared)."""
    extra: dict[str, Any] = {}
    if isolated_block_labels:
        extra["isolated_block_labels"] = list(isolated_block_labels)
    conv = await client.conversations.create(agent_id=agent_id, extra_body=extra or None)
    return conv.id


#: Messages per page when reading a whole conversation.
_PAGE = 1000


async def conversation_history(
    client: AsyncLetta, conversation_id: str, *, agent_id: str | None
) -> list[dict[str, Any]]:
    """Every Letta message of a conversation, oldest first, as plain dicts.

    One stored message can list as several (reasoning, text, tool call) sharing an id, so each
    page after the first restarts at the last id it could have split, and repeats are dropped.
    """
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    after: str | None = None
    while True:
        kwargs: dict[str, Any] = {"order": "asc", "limit": _PAGE}
        if conversation_id == "default":
            kwargs["agent_id"] = agent_id
        if after is not None:
            kwargs["after"] = after
        page = await client.conversations.messages.list(conversation_id, **kwargs)
        items = [m.model_dump(mode="json", exclude_none=True) for m in page.items]
        fresh = 0
        for item in items:
            key = (str(item.get("id")), str(item.get("message_type")), str(item.get("otid")))
            if key not in seen:
                seen.add(key)
                out.append(item)
                fresh += 1
        if len(items) < _PAGE or fresh == 0:
            return out
        ids = [str(i.get("id")) for i in items]
        earlier = next((i for i in reversed(ids) if i != ids[-1]), None)
        after = earlier if earlier is not None and earlier != after else ids[-1]


async def ignore_missing(call: Awaitable[Any]) -> None:
    """Await a Letta call, treating 404 (already gone) as done."""
    try:
        await call
    except Exception as exc:
        if getattr(exc, "status_code", None) != 404:
            raise


def tool_return_content(text: str) -> str | list[dict[str, Any]]:
    """A tool result as Letta should store it, so the model reads it as the CLI sends it: plain text.

    Letta 0.16.8 wraps a string result in ``{"status": .., "message": .., "time": ..}`` before the
    model sees it, but passes a list of text parts through as their plain text. An empty text stays
    a string (no parts reach the model as no content at all).
    """
    return [{"type": "text", "text": text}] if text else text


def tool_return(result: ToolReturn | ToolDenial) -> dict[str, Any]:
    """One answer to a pending tool call (a denial is an error result carrying its reason).

    A list result reads back from Letta as a success whatever its status, so an error also names its
    text as the call's ``stderr``: Letta keeps that field with the result and never shows it to the
    model, and the session's history reads the error flag from it (:func:`is_error_return`).
    """
    text = result.content if isinstance(result, ToolReturn) else result.reason
    failed = isinstance(result, ToolDenial) or result.is_error
    answer: dict[str, Any] = {
        "type": "tool",
        "tool_call_id": result.tool_call_id,
        "tool_return": tool_return_content(text),
        "status": "error" if failed else "success",
    }
    if failed:
        answer["stderr"] = [text]
    return answer


def is_error_return(answer: dict[str, Any]) -> bool:
    """Whether a stored tool return (or approval answer) is an error: its status, or an error's ``stderr``."""
    return answer.get("status") == "error" or bool(answer.get("stderr"))


def tool_results_message(results: Sequence[ToolReturn | ToolDenial]) -> dict[str, Any]:
    """One Letta message answering every pending tool call.

    A denial goes back as an error tool return carrying its reason, not as Letta's ``approve:
    false`` (which the server rewrites into its own "request to call tool denied" text).
    """
    return {"type": "tool_return", "tool_returns": [tool_return(r) for r in results]}


def letta_messages(request: Sequence[RequestItem]) -> list[dict[str, Any]]:
    """A neutral request as Letta messages: user messages as they are, tool answers as one message each."""
    return [tool_results_message(item.results) if isinstance(item, ToolAnswers) else item for item in request]


async def send(
    client: AsyncLetta,
    conversation_id: str,
    *,
    agent_id: str | None,
    messages: list[dict[str, Any]],
    client_tools: list[dict[str, Any]],
    stream_tokens: bool = False,
    max_steps: int | None = None,
    on_open: Callable[[Callable[[], Awaitable[None]] | None], None] | None = None,
    idle_timeout: float = DEFAULT_TIMEOUTS.idle,
    deadline: float | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Send one request and yield the run's events as plain dicts (errors raise letta-client's).

    ``on_open`` receives a closer for the open HTTP stream (and None when it ends), so another task
    can stop reading at once (an interrupt) instead of waiting for the model call in flight.
    Waiting for the response and for each event is bounded by ``idle_timeout`` and ``deadline``
    (event-loop time); the first to run out raises :class:`Stalled`.
    """
    kwargs: dict[str, Any] = {}
    if client_tools:
        kwargs["client_tools"] = well_formed(client_tools)
    if max_steps is not None:
        kwargs["max_steps"] = max_steps
    if conversation_id == "default":
        kwargs["agent_id"] = agent_id
    limit, wait = next_wait(idle_timeout, deadline)
    with anyio.move_on_after(limit) as scope:
        stream = await client.conversations.messages.create(
            conversation_id,
            messages=well_formed(messages),  # type: ignore[arg-type]
            stream_tokens=stream_tokens,
            include_pings=True,  # keepalives while the model works: silence then means a stall
            timeout=STREAM_TIMEOUT,
            **kwargs,
        )
    if scope.cancelled_caught:
        raise Stalled(wait, "waiting for the server to start the turn's stream")
    if on_open is not None:
        on_open(stream.close)
    try:
        events = stream.__aiter__()
        while True:
            limit, wait = next_wait(idle_timeout, deadline)
            with anyio.move_on_after(limit) as scope:
                try:
                    event = await events.__anext__()
                except StopAsyncIteration:
                    return
            if scope.cancelled_caught:
                raise Stalled(wait, "waiting for the next event of the turn's stream")
            yield event.model_dump(exclude_none=True)
    finally:
        if on_open is not None:
            on_open(None)
        await stream.close()


async def pending_tool_calls(client: AsyncLetta, conversation_id: str, *, agent_id: str | None) -> list[str]:
    """Tool call ids the conversation still waits on (left by a crash or an abandoned turn)."""
    kwargs: dict[str, Any] = {"order": "desc", "limit": 8}
    if conversation_id == "default":
        kwargs["agent_id"] = agent_id
    page = await client.conversations.messages.list(conversation_id, **kwargs)
    for message in page.items:
        kind = getattr(message, "message_type", "")
        if kind == "approval_request_message":
            data = message.model_dump(exclude_none=True)
            calls = data.get("tool_calls") or [data.get("tool_call") or {}]
            return [str(c["tool_call_id"]) for c in calls if isinstance(c, dict) and c.get("tool_call_id")]
        if kind in (
            "approval_response_message",
            "tool_return_message",
            "user_message",
            "assistant_message",
        ):
            return []
    return []


async def cancel(client: AsyncLetta, conversation_id: str, *, agent_id: str | None) -> None:
    """Ask the server to cancel the conversation's active runs (409 = nothing running: fine)."""
    kwargs: dict[str, Any] = {}
    if conversation_id == "default":
        kwargs["agent_id"] = agent_id
    try:
        await client.conversations.cancel(conversation_id, **kwargs)
    except Exception as exc:  # nothing to cancel / no run tracking: the local stream is closed anyway
        if getattr(exc, "status_code", None) not in (400, 404, 409):
            raise
