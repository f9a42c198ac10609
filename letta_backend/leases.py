"""Turn leases: one turn at a time on a conversation, across tasks, processes and machines.

Letta without Redis runs two requests on one conversation at once and interleaves their
histories, so a turn holds a lease on its conversation from its first request to its result: an
in-process gate first, then a claim in a store every process shares (the local SQLite registry,
or lease blocks on the Letta server for the team registry). A heartbeat thread renews the claim
while the turn runs; a holder that died loses it when its TTL runs out, or at once when it ran on
this host and its process is gone. A second turn waits at most ``CLAUDE_COMPAT_TURN_WAIT``
seconds, then fails with :class:`~claude_compat.errors.SessionBusyError`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import anyio

from claude_compat.errors import InvalidOptionError, SessionBusyError

#: Seconds a claim lives without renewal (a dead holder's lease is free after this long).
LEASE_TTL_ENV = "CLAUDE_COMPAT_LEASE_TTL"
#: Seconds a turn waits for another turn on the same session before SessionBusyError.
TURN_WAIT_ENV = "CLAUDE_COMPAT_TURN_WAIT"
_DEFAULT_TTL = 30.0
_DEFAULT_WAIT = 600.0
_MIN_TTL = 0.2


def _env_seconds(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidOptionError(f"{name} must be a number of seconds, not {raw!r}") from None
    return max(value, minimum)


def lease_ttl() -> float:
    """How long a claim lives without renewal (``CLAUDE_COMPAT_LEASE_TTL``, default 30 s)."""
    return _env_seconds(LEASE_TTL_ENV, _DEFAULT_TTL, _MIN_TTL)


def turn_wait() -> float:
    """How long a turn waits for a busy session (``CLAUDE_COMPAT_TURN_WAIT``, default 600 s; 0: no wait)."""
    return _env_seconds(TURN_WAIT_ENV, _DEFAULT_WAIT, 0.0)


def this_host() -> str:
    """This machine as lease holders name it: the host name, plus the pid namespace on Linux
    (containers sharing a host name and a state directory do not share pids)."""
    name = socket.gethostname()
    with contextlib.suppress(OSError):
        name += f"/pidns:{os.stat('/proc/self/ns/pid').st_ino}"
    return name


_HOST = this_host()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


@dataclass(frozen=True)
class Holder:
    """Who holds (or wants) a lease: one turn of one process."""

    id: str
    host: str
    pid: int

    @classmethod
    def new(cls) -> Holder:
        """A fresh holder for a turn of this process."""
        return cls(uuid.uuid4().hex, _HOST, os.getpid())

    def is_dead(self) -> bool:
        """True when the holder ran on this host and its process has exited."""
        return self.host == _HOST and not _pid_alive(self.pid)

    def describe(self) -> str:
        """``pid 123 on this host`` / ``pid 123 on host h`` for messages."""
        where = "this host" if self.host == _HOST else f"host {self.host.split('/')[0]}"
        return f"pid {self.pid} on {where}"


@dataclass(frozen=True)
class Claim:
    """A lease as a store found it."""

    holder: Holder
    expires_at: float

    def is_stale(self, now: float) -> bool:
        """Expired, or its holder's process is gone."""
        return self.expires_at <= now or self.holder.is_dead()


@dataclass(frozen=True)
class Acquired:
    """The answer to a claim: taken (``replaced`` names a stale claim it took over) or refused."""

    ok: bool
    other: Claim | None = None  # the live claim that refused us, or the stale one we replaced


class LeaseStore(Protocol):
    """Where claims live; every process that may run a turn on a conversation shares it."""

    @property
    def where(self) -> str:
        """The store, for messages (a path or a server URL)."""
        ...

    async def acquire_lease(self, key: str, holder: Holder, ttl: float) -> Acquired:
        """Take the lease on ``key`` if it is free or stale; else name who holds it."""
        ...

    def renew_lease(self, key: str, holder: Holder, ttl: float) -> bool:
        """Extend ``holder``'s claim by ``ttl`` (called from a thread); False when it was lost."""
        ...

    async def release_lease(self, key: str, holder: Holder) -> None:
        """Drop ``holder``'s claim (nothing if it no longer holds it)."""
        ...


class TurnGate:
    """Serialises turns on one key in this process.

    Unlike ``anyio.Lock`` it has no owner task: a turn generator abandoned mid-way may be closed
    from another task (or by the garbage collector), and must still release the conversation.
    """

    def __init__(self) -> None:
        self._busy = False
        self._released: anyio.Event | None = None

    async def __aenter__(self) -> None:
        while self._busy:
            if self._released is None:
                self._released = anyio.Event()
            await self._released.wait()
        self._busy = True

    async def __aexit__(self, *exc: object) -> None:
        self._busy = False
        released, self._released = self._released, None
        if released is not None:
            released.set()


_gates: weakref.WeakValueDictionary[str, TurnGate] = weakref.WeakValueDictionary()  # no growth


def local_gate(key: str) -> TurnGate:
    """The in-process gate of ``key`` (a conversation, or any other one-at-a-time job)."""
    gate = _gates.get(key)
    if gate is None:
        gate = _gates[key] = TurnGate()
    return gate


class _Heartbeat:
    """A daemon thread renewing one claim every third of its TTL until stopped."""

    def __init__(self, store: LeaseStore, key: str, holder: Holder, ttl: float) -> None:
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(
            target=self._beat, args=(store, key, holder, ttl), name=f"lease-{key}", daemon=True
        )

    def _beat(self, store: LeaseStore, key: str, holder: Holder, ttl: float) -> None:
        while not self._stop.wait(ttl / 3):
            try:
                if not store.renew_lease(key, holder, ttl):
                    self.lost = True
                    return
            except Exception:  # a failed renewal is retried at the next beat, before the TTL ends
                continue

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


@contextlib.asynccontextmanager
async def hold(
    store: LeaseStore,
    key: str,
    *,
    session_id: str,
    on_takeover: Callable[[Claim, float], Awaitable[None]] | None = None,
) -> AsyncIterator[None]:
    """Hold the lease on ``key`` for the body: wait (bounded) for any other turn, keep it renewed.

    ``on_takeover(claim, deadline)`` runs when the lease was taken from a dead or expired holder,
    to let work that holder left behind finish first.
    """
    wait, ttl = turn_wait(), lease_ttl()
    deadline = anyio.current_time() + wait
    gate = local_gate(key)
    with anyio.move_on_after(wait) as gate_wait:
        await gate.__aenter__()
    if gate_wait.cancelled_caught:
        raise SessionBusyError(
            f"session {session_id} is busy with another turn of this process; waited {wait:.0f} s. "
            f"Wait for that turn's result before sending the next message, or raise {TURN_WAIT_ENV}"
        )
    try:
        holder = Holder.new()
        delay = 0.02
        while True:
            got = await store.acquire_lease(key, holder, ttl)
            if got.ok:
                break
            if anyio.current_time() + delay > deadline:
                who = got.other.holder.describe() if got.other is not None else "another process"
                raise SessionBusyError(
                    f"session {session_id} is busy: a turn by {who} holds it (lease in {store.where}); "
                    f"waited {wait:.0f} s. Retry once that turn has ended, or raise {TURN_WAIT_ENV}; "
                    f"a holder that died frees it within {ttl:.0f} s ({LEASE_TTL_ENV})"
                )
            await anyio.sleep(delay)
            delay = min(delay * 2, 0.5)
        beat = _Heartbeat(store, key, holder, ttl)
        beat.start()
        try:
            if got.other is not None and on_takeover is not None:
                await on_takeover(got.other, deadline)
            yield
        finally:
            beat.stop()
            with anyio.CancelScope(shield=True):
                await store.release_lease(key, holder)
    finally:
        await gate.__aexit__()
