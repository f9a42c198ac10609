"""User input in the Claude SDK's forms (str, or an async iterable of user-message dicts) → turns."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from letta_backend.text import well_formed

from ..errors import InvalidOptionError

UserContent = str | list[dict[str, Any]]

#: What the Claude CLI sends the model for an empty prompt (measured on the pinned CLI).
NO_CONTENT = "(no content)"

#: The CLI's notice (and result text) for a prompt of only whitespace, which it never sends.
BLANK_PROMPT = "Blank prompt — the message was only whitespace, so nothing was sent to the model."


def is_blank(content: UserContent) -> bool:
    """A str prompt of only whitespace: the CLI answers it without a model call."""
    return isinstance(content, str) and content != "" and not content.strip()


def prompt_content(content: UserContent) -> UserContent:
    """The user content as the Claude CLI sends it: valid Unicode, blank text blocks dropped,
    ``(no content)`` for an empty prompt. A whitespace-only str is kept (see :func:`is_blank`)."""
    content = well_formed(content)
    if isinstance(content, str):
        return content or NO_CONTENT
    parts = [p for p in content if p.get("type") != "text" or str(p.get("text") or "").strip()]
    return parts or NO_CONTENT


async def user_turns(prompt: object) -> AsyncIterator[tuple[UserContent, str | None]]:
    """Each user message of ``prompt`` as (content, uuid); anything else is a typed error."""
    if isinstance(prompt, str):
        yield prompt, None
        return
    if not isinstance(prompt, AsyncIterable):
        raise InvalidOptionError(
            f"prompt must be a str or an AsyncIterable of user-message dicts, not {type(prompt).__name__}"
        )
    async for item in prompt:
        yield user_content(item), _uuid_of(item)


def user_content(item: object) -> UserContent:
    """The content of one streamed user message dict (``{"type": "user", "message": {...}}``)."""
    if not isinstance(item, dict):
        raise InvalidOptionError(
            f"each streamed prompt item must be a user-message dict, not {type(item).__name__}"
        )
    message = item.get("message", item)
    if not isinstance(message, dict) or "content" not in message:
        raise InvalidOptionError(
            "a streamed user message needs {'type': 'user', 'message': {'role': 'user', 'content': ...}}"
        )
    content = message["content"]
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[dict[str, Any]] = []
        for part in content:
            if isinstance(part, dict) and part.get("type") in ("text", "image"):
                parts.append(part)
            elif isinstance(part, str):
                parts.append({"type": "text", "text": part})
        return parts
    raise InvalidOptionError(
        f"user message content must be a str or a list of blocks, not {type(content).__name__}"
    )


def _uuid_of(item: object) -> str | None:
    value = item.get("uuid") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None
