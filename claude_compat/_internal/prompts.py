"""User input in the Claude SDK's forms (str, or an async iterable of user-message dicts) → turns."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from letta_backend.text import well_formed

from ..errors import InvalidOptionError
from . import cli_facts

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


@dataclass(frozen=True)
class UserPrompt:
    """One user message of the program: its content, and the ``uuid`` and ``origin`` it was stamped with."""

    content: UserContent
    uuid: str | None = None
    origin: dict[str, Any] | None = None

    @property
    def origin_kind(self) -> str | None:
        """What started the message (``origin["kind"]``), None when unstamped."""
        kind = self.origin.get("kind") if self.origin is not None else None
        return kind if isinstance(kind, str) else None


@dataclass(frozen=True)
class TurnPrompt:
    """What one turn answers: the merged content of its user messages, their uuids, the result's origin."""

    content: UserContent
    uuids: tuple[str, ...] = ()
    origin: dict[str, Any] | None = None


def user_prompt(item: object) -> UserPrompt:
    """One streamed user message dict as a UserPrompt; anything else is a typed error."""
    origin = item.get("origin") if isinstance(item, dict) else None
    return UserPrompt(user_content(item), _uuid_of(item), origin if isinstance(origin, dict) else None)


async def user_prompts(prompt: object) -> AsyncIterator[UserPrompt]:
    """Each user message of ``prompt`` (a str, or an async iterable of user-message dicts)."""
    if isinstance(prompt, str):
        yield UserPrompt(prompt)
        return
    if not isinstance(prompt, AsyncIterable):
        raise InvalidOptionError(
            f"prompt must be a str or an AsyncIterable of user-message dicts, not {type(prompt).__name__}"
        )
    async for item in prompt:
        yield user_prompt(item)


def can_join(head: UserPrompt, queued: UserPrompt) -> bool:
    """Whether a queued message joins ``head``'s turn: the CLI merges queued messages of one origin kind."""
    return head.origin_kind == queued.origin_kind


def turn_prompt(prompts: Sequence[UserPrompt]) -> TurnPrompt:
    """The one turn the CLI makes of user messages queued together (see cli_facts.QUEUED_PROMPT_JOIN):
    empty ones dropped, str contents joined, block contents concatenated with the join at each
    message's end; the given uuids listed; the origin echoed as the CLI echoes it."""
    kept = [p.content for p in prompts if p.content not in ("", [])]
    content: UserContent
    if not kept:
        content = prompts[0].content if prompts else ""
    elif len(kept) == 1:
        content = kept[0]
    elif all(isinstance(c, str) for c in kept):
        content = cli_facts.QUEUED_PROMPT_JOIN.join(str(c) for c in kept)
    else:
        blocks: list[dict[str, Any]] = []
        for index, one in enumerate(kept):
            part = [{"type": "text", "text": one}] if isinstance(one, str) else [dict(b) for b in one]
            if index < len(kept) - 1 and part and part[-1].get("type") == "text":
                part[-1]["text"] = str(part[-1].get("text", "")) + cli_facts.QUEUED_PROMPT_JOIN
            blocks += part
        content = blocks
    kind = prompts[0].origin_kind if prompts else None
    echoed = cli_facts.RESULT_ORIGIN_ECHOED.get(kind) if kind is not None else None
    uuids = tuple(p.uuid for p in prompts if p.uuid is not None)
    return TurnPrompt(content, uuids, dict(echoed) if echoed is not None else None)


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
