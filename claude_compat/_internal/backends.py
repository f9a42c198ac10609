"""Which backend a session runs on: a Letta server, unless a test installed another backend.

The engine obtains its backend here and nowhere else. ``claude_compat.testing.FakeBackend``
installs itself for the current context (and the tasks it starts) with ``installed()``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from letta_backend.backend import LettaBackend

from .._backend import Backend
from ..types import ClaudeAgentOptions
from . import options as _options

#: Makes the backend of a session from its options; None: connect to Letta.
Factory = Callable[[ClaudeAgentOptions], Awaitable[Backend[Any]]]

_installed: ContextVar[Factory | None] = ContextVar("claude_compat_backend", default=None)


async def connect(options: ClaudeAgentOptions) -> Backend[Any]:
    """The backend a session with these options runs on (the engine closes it with the session)."""
    factory = _installed.get()
    if factory is not None:
        return await factory(options)
    return await LettaBackend.connect(
        base_url=options.letta_base_url,
        api_key=options.letta_api_key,
        registry=options.letta_registry,
        timeouts=_options.timeouts_of(options),
    )


@contextmanager
def installed(factory: Factory) -> Iterator[None]:
    """Sessions opened in this context (and tasks started from it) get their backend from ``factory``."""
    token = _installed.set(factory)
    try:
        yield
    finally:
        _installed.reset(token)
