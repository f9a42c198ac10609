"""The lifecycle of every local server the project starts: port, process group, start, stop, ``with``.

One home for what the Letta server (``server.py``, ``_embedded.py``), the private Postgres
(``_pg.py``), the scripted model servers (``claude_compat.testing``) and ``ab``'s child programs
share: a free loopback port; a child started in its own session / process group, so one signal
reaches everything it starts; a start retried on a fresh port when someone took the chosen one
meanwhile; a bounded stop (SIGTERM to the group, SIGKILL after a grace period, bounded waits);
start()/stop() as a context manager. A leaf: it imports nothing but the standard library, so any
module of either package may import it (``ab`` does so in the parent only: its child loads nothing
of ours).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

__all__ = [
    "STOP_GRACE",
    "PortTaken",
    "StartStop",
    "find_free_port",
    "kill_child",
    "pid_alive",
    "reap_in_background",
    "spawn_group",
    "start_with_port_retry",
    "stop_child",
    "terminate_group",
]

#: Seconds a stopping server gets between SIGTERM and SIGKILL.
STOP_GRACE = 15.0
#: Seconds to wait for a group to be gone after SIGKILL, and for the leader to be reaped.
_KILL_WAIT = 5.0

_S = TypeVar("_S", bound="StartStop")


def find_free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def spawn_group(
    cmd: Sequence[str],
    *,
    stdout: IO[bytes] | int,
    stderr: IO[bytes] | int,
    env: Mapping[str, str],
    cwd: Path | str,
    **popen: Any,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with stdin closed, in its own session / process group (a process group on
    Windows), so :func:`terminate_group` and :func:`kill_child` reach whatever it starts.

    ``popen`` adds ``Popen`` arguments (such as ``user`` and ``group`` to drop privileges).
    """
    return subprocess.Popen(
        list(cmd),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env=dict(env),
        cwd=str(cwd),
        close_fds=True,
        start_new_session=sys.platform != "win32",
        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
        **popen,
    )


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError, IndexError):
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    return True


def _signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid`` (or to ``pid`` where groups don't exist)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if sys.platform == "win32":
            os.kill(pid, signal.SIGTERM)
        else:
            os.killpg(pid, sig)


def terminate_group(pid: int, *, grace: float = STOP_GRACE, exited: Callable[[], bool] | None = None) -> None:
    """SIGTERM the group led by ``pid``, SIGKILL it after ``grace`` s; then kill stragglers.

    ``exited`` tells whether the leader is gone (a parent passes ``Popen.poll``-based checks).
    """
    gone = exited if exited is not None else (lambda: not pid_alive(pid))
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.1)
    if sys.platform != "win32":
        _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + _KILL_WAIT
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.05)


def stop_child(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> None:
    """Terminate the process group of a child we started (as :func:`terminate_group`), and reap it."""
    terminate_group(proc.pid, grace=grace, exited=lambda: proc.poll() is not None)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_KILL_WAIT)


def kill_child(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of a child we started at once (no grace: whatever it left
    running), and reap it."""
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def reap_in_background(proc: subprocess.Popen[bytes]) -> None:
    """Wait for ``proc`` in a daemon thread, so a detached child never lingers as a zombie."""
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()


class PortTaken(Exception):
    """The server could not bind the port chosen for it (someone took it meanwhile)."""


def start_with_port_retry(
    start_once: Callable[[], None],
    *,
    stop: Callable[[], None],
    next_port: Callable[[], None] | None,
    busy_error: Callable[[], BaseException],
    attempts: int = 3,
) -> None:
    """Run ``start_once`` until it does not raise :class:`PortTaken`: after each such failure
    ``stop`` cleans up and ``next_port`` picks another port, at most ``attempts`` tries in all.

    ``next_port`` is None when the caller chose the port: one try, since another port would not
    be the one asked for. When no try binds, ``busy_error()`` is raised; any other failure of
    ``start_once`` (including cancellation) stops the server and propagates.
    """
    tries = attempts if next_port is not None else 1
    for attempt in range(1, tries + 1):
        try:
            start_once()
            return
        except PortTaken:
            stop()
            if attempt == tries or next_port is None:
                raise busy_error() from None
            next_port()
        except BaseException:
            stop()
            raise


class StartStop:
    """``with server:`` starts it and stops it on the way out, even when the body fails."""

    def start(self) -> object:
        """Start the server (subclasses)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server (subclasses); safe to call twice."""
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
