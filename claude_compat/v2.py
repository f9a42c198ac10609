"""The V2 session API of the migration guide: create/resume a session, ``send()`` then ``stream()``.

``unstable_v2_createSession`` returns at once; the Letta conversation is created on the first
``send()``. Each ``stream()`` yields one turn's messages and ends after its ResultMessage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from ._internal.camel import to_options
from ._internal.engine import Engine
from ._internal.prompts import UserContent, user_content
from .errors import InvalidOptionError, SessionNotReadyError
from .types import ClaudeAgentOptions, Message, ResultMessage

OptionsArg = ClaudeAgentOptions | Mapping[str, Any] | None


class Session:
    """A V2 session: ``await send(msg)``, then ``async for m in stream()``, as often as needed."""

    def __init__(self, options: ClaudeAgentOptions, *, resume: str | None = None) -> None:
        self._options = options
        self._resume = resume
        self._engine: Engine | None = None
        self._pending: list[UserContent] = []
        self._closed = False

    @property
    def session_id(self) -> str:
        """The Claude session id; known after the first message (at once for resumed sessions)."""
        if self._engine is not None and self._engine.session is not None:
            return self._engine.session_id
        if self._resume is not None:
            return self._resume
        raise SessionNotReadyError(
            "session_id is available once the first message arrives: await send(...) and read stream() first"
        )

    @property
    def sessionId(self) -> str:
        """Alias of :attr:`session_id`."""
        return self.session_id

    async def send(self, message: str | Mapping[str, Any]) -> None:
        """Queue a user message (a str or a user-message dict); ``stream()`` runs it."""
        if self._closed:
            raise InvalidOptionError("this session is closed; resume it with unstable_v2_resumeSession")
        content = message if isinstance(message, str) else user_content(dict(message))
        if self._engine is None:
            engine = Engine(self._options)
            await engine.open(first_prompt=content if isinstance(content, str) else None)
            self._engine = engine
        self._pending.append(content)

    async def stream(self) -> AsyncIterator[Message]:
        """Yield the messages of the queued turn(s); ends after the last ResultMessage."""
        while self._pending and self._engine is not None:
            told = self._engine.notification_prompt()  # as the CLI: a background task that ended goes first
            if told is not None:
                async for message in self._engine.turn(told[0], origin=told[1]):
                    yield message
                continue
            content = self._pending.pop(0)
            async for message in self._engine.turn(content):
                yield message
                if isinstance(message, ResultMessage) and not self._pending:
                    return

    def close(self) -> None:
        """Close the session (its registry entry stays, so it can be resumed)."""
        self._closed = True
        self._pending.clear()

    async def aclose(self) -> None:
        """Close the session and release its connections."""
        self.close()
        if self._engine is not None:
            await self._engine.aclose()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def unstable_v2_createSession(options: OptionsArg = None, /, **kwargs: Any) -> Session:
    """A new session (options as ClaudeAgentOptions, a camelCase/snake_case dict, or keywords)."""
    return Session(to_options(options, kwargs))


def unstable_v2_resumeSession(session_id: str, options: OptionsArg = None, /, **kwargs: Any) -> Session:
    """Resume a session by Claude session id, Letta conversation id (conv-…) or agent id (agent-…)."""
    if not isinstance(session_id, str) or not session_id:
        raise InvalidOptionError("unstable_v2_resumeSession needs a session id string")
    opts = to_options(options, {**kwargs, "resume": session_id})
    return Session(opts, resume=session_id)


async def unstable_v2_prompt(message: str, options: OptionsArg = None, /, **kwargs: Any) -> ResultMessage:
    """One-shot: send ``message`` on a new session and return its ResultMessage."""
    async with unstable_v2_createSession(options, **kwargs) as session:
        await session.send(message)
        result: ResultMessage | None = None
        async for msg in session.stream():
            if isinstance(msg, ResultMessage):
                result = msg
    assert result is not None, "a turn always ends with a ResultMessage"
    return result


unstable_v2_create_session = unstable_v2_createSession
unstable_v2_resume_session = unstable_v2_resumeSession

__all__ = [
    "Session",
    "unstable_v2_createSession",
    "unstable_v2_create_session",
    "unstable_v2_prompt",
    "unstable_v2_resumeSession",
    "unstable_v2_resume_session",
]
