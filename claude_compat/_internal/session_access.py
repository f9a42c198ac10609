"""How the synchronous session functions reach a session: the event-loop bridge, the registry, Letta.

The Claude SDK's session functions are synchronous; called from inside an event loop they do
their network work on a worker thread (:func:`run_sync`). Reads of the registry need no server
with the local registry (:func:`with_registry`); :func:`read_on_letta` and :func:`change_on_letta`
say, before any server is reached, what an unknown id gets (``empty`` for a read,
SessionMissingError for a change). :func:`claude_only` tells an id only a Claude transcript can hold.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from letta_backend import session_records as _records
from letta_backend.backend import LettaBackend
from letta_backend.client import map_error
from letta_backend.letta_registry import registry_kind
from letta_backend.registry import LocalSessionRegistry, SessionRegistry, default_registry

T = TypeVar("T")


def _in_event_loop() -> bool:
    """Is an asyncio or trio event loop running in this thread?"""
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        pass
    trio: Any = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_trio_token()
            return True
        except RuntimeError:
            pass
    return False


def run_sync(work: Callable[[], Awaitable[T]]) -> T:
    """Run async work to completion: here, or on a worker thread when a loop already runs here."""

    async def main() -> T:
        return await work()

    if not _in_event_loop():
        return anyio.run(main)
    outcome: list[T] = []
    failure: list[BaseException] = []

    def worker() -> None:
        try:
            outcome.append(anyio.run(main))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=worker, name="claude-compat-sessions", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


async def using_backend(work: Callable[[LettaBackend], Awaitable[T]]) -> T:
    """Connect to Letta (as query() would), do ``work``, close; Letta failures become typed errors."""
    backend = await LettaBackend.connect()
    try:
        return await work(backend)
    except Exception as exc:
        raise map_error(exc, backend.conn) from None
    finally:
        await backend.aclose()


def with_backend(work: Callable[[LettaBackend], Awaitable[T]]) -> T:
    """``using_backend`` from synchronous code."""
    return run_sync(lambda: using_backend(work))


def with_registry(work: Callable[[SessionRegistry], Awaitable[T]]) -> T:
    """Read the registry: the local file needs no server; the Letta-side one connects."""
    if registry_kind() == "local":
        local = LocalSessionRegistry(default_registry())
        return run_sync(lambda: work(local))
    return with_backend(lambda backend: work(backend.sessions))


def known_locally(session_id: str, directory: str | None) -> bool:
    """With the local registry, is there such a session? (Avoids reaching a server for nothing.)"""
    if registry_kind() != "local":
        return True
    local = LocalSessionRegistry(default_registry())
    return run_sync(lambda: _records.readable_session(local, session_id, directory)) is not None


def claude_only(session_id: str, directory: str | None) -> bool:
    """A session id claude-compat does not know (so a Claude transcript may hold it)."""
    return registry_kind() == "local" and not known_locally(session_id, directory)


def read_on_letta(
    session_id: str, directory: str | None, work: Callable[[LettaBackend], Awaitable[T]], empty: T
) -> T:
    """A read that needs the server: ``empty`` for unknown sessions, as the Claude SDK returns."""
    if not _records.is_session_key(session_id) or not known_locally(session_id, directory):
        return empty
    return with_backend(work)


def change_on_letta(
    session_id: str, directory: str | None, work: Callable[[LettaBackend], Awaitable[T]]
) -> T:
    """A change: ValueError for a malformed id, FileNotFoundError for an unknown one, before any server."""
    _records.check_session_id(session_id)
    if registry_kind() == "local":
        local = LocalSessionRegistry(default_registry())
        run_sync(lambda: _records.existing_session(local, session_id, directory))
    return with_backend(work)
