"""Letta-native API in Python, the migration guide's "after" side: agents you keep, sessions on them.

``create_agent`` makes a persistent agent; ``create_session(agent_id)`` opens a new conversation
on it, ``resume_session(agent_id | conversation_id)`` continues one (an agent id means the agent's
default conversation), ``prompt`` is one turn on a new session. Sessions speak claude_compat
messages and run turns with the same engine as ``query()`` and the V2 sessions.

Programs import it as ``letta_backend.native`` (the migration guide's path), which re-exports it:
it is Claude-shaped (a V2 Session underneath), so it lives on the Claude side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from letta_backend import agents
from letta_backend.backend import LettaBackend
from letta_backend.client import map_error

from ..errors import InvalidOptionError
from ..types import ClaudeAgentOptions, ResultMessage
from ..v2 import Session
from .camel import to_options

__all__ = ["NativeSession", "create_agent", "create_session", "prompt", "resume_session"]

OptionsArg = ClaudeAgentOptions | Mapping[str, Any] | None

#: Tag on agents made through this API (besides claude-compat's own tag).
NATIVE_TAG = "cc-native"


class NativeSession(Session):
    """A session on a Letta agent: ``send()`` then ``stream()``, ``async with``, ``close()``.

    Besides the Claude ``session_id`` it tells which Letta agent and conversation it runs on.
    """

    def __init__(
        self,
        options: ClaudeAgentOptions,
        *,
        resume: str | None = None,
        agent_id: str | None = None,
    ) -> None:
        super().__init__(options, resume=resume)
        self._agent_id = agent_id

    @property
    def agent_id(self) -> str | None:
        """The Letta agent (known at once when given; else after the first ``send()``)."""
        if self._engine is not None and self._engine.session is not None:
            agent_id: str | None = getattr(self._engine.session, "agent_id", None)  # a Letta session's
            return agent_id or self._agent_id
        if self._resume is not None and self._resume.startswith("agent-"):
            return self._resume
        return self._agent_id

    @property
    def conversation_id(self) -> str | None:
        """The Letta conversation (``"default"`` for an agent's default one); known after ``send()``."""
        if self._engine is not None and self._engine.session is not None:
            conversation_id: str | None = getattr(self._engine.session, "conversation_id", None)
            return conversation_id
        if self._resume is not None and self._resume.startswith("conv-"):
            return self._resume
        return None

    async def __aenter__(self) -> NativeSession:
        return self


async def create_agent(
    system_prompt: str = "",
    model: str | None = None,
    memory_blocks: list[dict[str, Any]] | dict[str, str] | None = None,
    *,
    name: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
) -> str:
    """Create a persistent Letta agent and return its id (``agent-…``).

    ``model`` is a Claude alias or a Letta handle (default: as ``query()`` chooses);
    ``memory_blocks`` are ``{label: value}`` or Letta block dicts. Its sessions share its memory.
    """
    backend = await LettaBackend.connect(base_url=base_url, api_key=api_key)
    try:
        handle = await backend.resolve_model(model, None)
        spec = agents.AgentSpec(
            system=system_prompt,
            model_handle=handle,
            memory_blocks=agents.normalise_blocks(memory_blocks),
            name=name or "claude-compat-agent",
        )
        return await agents.create_agent(backend.client, spec, tags=[NATIVE_TAG])
    except Exception as exc:
        raise map_error(exc, backend.conn) from None
    finally:
        await backend.aclose()


def create_session(
    agent_id: str | None = None, options: OptionsArg = None, /, **kwargs: Any
) -> NativeSession:
    """A new session (conversation) on ``agent_id``; without one, on a fresh agent as ``query()`` makes.

    Options are ClaudeAgentOptions, a camelCase/snake_case dict or keywords (cwd, allowed_tools, …).
    """
    extra = {**kwargs, "letta_agent_id": agent_id} if agent_id else kwargs
    return NativeSession(to_options(options, extra), agent_id=agent_id)


def resume_session(id: str, options: OptionsArg = None, /, **kwargs: Any) -> NativeSession:
    """Continue a session: ``agent-…`` (the agent's default conversation), ``conv-…``, or a session id."""
    if not isinstance(id, str) or not id:
        raise InvalidOptionError(
            "resume_session needs an agent id (agent-…), conversation id (conv-…) or session id"
        )
    return NativeSession(to_options(options, {**kwargs, "resume": id}), resume=id)


async def prompt(
    message: str, agent_id: str | None = None, options: OptionsArg = None, /, **kwargs: Any
) -> ResultMessage:
    """One turn on a new session (of ``agent_id`` when given); returns its ResultMessage."""
    async with create_session(agent_id, options, **kwargs) as session:
        await session.send(message)
        result: ResultMessage | None = None
        async for item in session.stream():
            if isinstance(item, ResultMessage):
                result = item
    assert result is not None, "a turn always ends with a ResultMessage"
    return result
