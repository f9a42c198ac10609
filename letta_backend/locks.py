"""Lock files among this user's processes: every lock file the backend takes comes from here.

Forking at a message borrows an agent's default thread and an import writes a session whole; each
holds a lock file under ``$CLAUDE_COMPAT_HOME/locks`` (:func:`file_lock`, polled so the event loop
runs on) so two processes never do it at once. Building and starting the local server, which is
synchronous code, holds one with :func:`blocking_file_lock`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import anyio
import filelock

from claude_compat.errors import SessionBusyError

from .registry import home_dir

#: How often a waiting process tries the lock again (seconds).
POLL = 0.05


def lock_path(name: str) -> Path:
    """The lock file ``name`` under ``$CLAUDE_COMPAT_HOME/locks``."""
    return home_dir() / "locks" / f"{name}.lock"


@contextlib.asynccontextmanager
async def file_lock(path: Path, busy: str, *, wait: float) -> AsyncIterator[None]:
    """Hold the lock file ``path`` (polled, never blocking the event loop) for the block.

    After ``wait`` seconds SessionBusyError says who holds it: ``busy`` (e.g. "another
    claude-compat process has been importing Claude session …"), the wait and the file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(path)
    with anyio.move_on_after(wait) as waiting:
        while True:
            try:
                lock.acquire(timeout=0)
                break
            except filelock.Timeout:
                await anyio.sleep(POLL)
    if waiting.cancelled_caught:
        raise SessionBusyError(f"{busy} for over {wait:g} s (lock file {path}) — retry once it has finished")
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def blocking_file_lock(path: Path, *, timeout: float, busy: Callable[[], BaseException]) -> Iterator[None]:
    """Hold the lock file ``path`` for the block, blocking this thread at most ``timeout`` seconds
    (synchronous code only); then the error ``busy()`` makes is raised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(path)
    try:
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise busy() from None
    try:
        yield
    finally:
        lock.release()
