"""The one lifecycle every local server shares: a taken port is retried, a stop ends the whole group.

``letta_backend/_process.py`` starts the Letta server, the private Postgres and ``ab``'s child
programs; these tests drive it with real child processes (a tiny TCP server that exits 3 when its
port is taken, as the Letta launcher does), so no Letta server is needed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from letta_backend._process import (
    PortTaken,
    StartStop,
    find_free_port,
    kill_child,
    pid_alive,
    spawn_group,
    start_with_port_retry,
    stop_child,
)

#: A child that ignores SIGTERM, starts a grandchild that ignores it too, then writes the
#: grandchild's pid to argv[1]: only a SIGKILL of the whole group ends both.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
open(sys.argv[1], "w").write(str(grandchild.pid))
time.sleep(600)
"""

#: A server in the Letta launcher's manner: exit 3 when the port (argv[1]) is taken, else say
#: so in the file argv[2] and accept forever.
LISTENER = """
import socket, sys
sock = socket.socket()
try:
    sock.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(3)
sock.listen()
open(sys.argv[2], "w").write("listening")
while True:
    sock.accept()[0].close()
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")


def _stubborn_child(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The child (its own group's leader) and its grandchild's pid, once both ignore SIGTERM."""
    pid_file = tmp_path / "grandchild.pid"
    command = [sys.executable, "-c", STUBBORN, str(pid_file)]
    proc = spawn_group(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ, cwd=tmp_path
    )
    deadline = time.monotonic() + 60
    while not (pid_file.is_file() and pid_file.read_text()) and proc.poll() is None:
        assert time.monotonic() < deadline, "the child did not start its grandchild"
        time.sleep(0.05)
    assert proc.poll() is None
    return proc, int(pid_file.read_text())


def test_stopping_a_child_ends_its_whole_group_even_processes_that_ignore_sigterm(tmp_path: Path) -> None:
    """SIGTERM, then SIGKILL after the grace: nothing the server started outlives the stop."""
    proc, grandchild = _stubborn_child(tmp_path)
    stop_child(proc, grace=0.5)
    assert proc.returncode == -9  # it ignored SIGTERM: the kill -9 fallback ended it, and it was reaped
    deadline = time.monotonic() + 10
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)  # the grandchild is reaped by whoever adopted it
    assert not pid_alive(grandchild)


def test_killing_a_child_ends_its_whole_group_without_a_grace(tmp_path: Path) -> None:
    """ab's timeout: the program and whatever it left running (the Claude CLI, a grandchild) are gone."""
    proc, grandchild = _stubborn_child(tmp_path)
    kill_child(proc)
    assert proc.returncode == -9
    deadline = time.monotonic() + 10
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(grandchild)


class _Listener(StartStop):
    """A local server built the way LocalLettaServer is: spawn, wait, retry a taken port we chose."""

    def __init__(self, tmp_path: Path, port: int | None = None) -> None:
        self.tmp_path = tmp_path
        self.chosen_by_us = port is None
        self.port = find_free_port() if port is None else port
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports_tried: list[int] = []

    def start(self) -> None:
        start_with_port_retry(
            self._start_once,
            stop=self.stop,
            next_port=self._next_port if self.chosen_by_us else None,
            busy_error=lambda: RuntimeError(f"port {self.port} is already in use"),
        )

    def _next_port(self) -> None:
        self.port = find_free_port()

    def _start_once(self) -> None:
        self.ports_tried.append(self.port)
        ready = self.tmp_path / f"listening-{self.port}"
        command = [sys.executable, "-c", LISTENER, str(self.port), str(ready)]
        self.proc = spawn_group(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ, cwd=self.tmp_path
        )
        deadline = time.monotonic() + 60
        while self.proc.poll() is None:
            if ready.is_file():
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the listener did not start")
            time.sleep(0.05)
        if self.proc.returncode == 3:
            raise PortTaken
        raise RuntimeError(f"the listener exited with {self.proc.returncode}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_child(proc, grace=5.0)


def _taken_port() -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


def test_a_port_taken_before_the_server_binds_it_is_retried_on_a_fresh_one(tmp_path: Path) -> None:
    """The port we chose went to someone else meanwhile: the server comes up on another one."""
    with _taken_port() as holder:
        server = _Listener(tmp_path)
        taken = holder.getsockname()[1]
        server.port = taken  # someone took it between choosing and binding
        with server:
            assert server.proc is not None and server.proc.poll() is None
            assert server.ports_tried[0] == taken and server.port != taken
        assert server.proc is None


def test_a_taken_port_the_user_chose_is_reported_after_one_try(tmp_path: Path) -> None:
    """Another port would not be the one asked for: one try, then an error naming the port."""
    with _taken_port() as holder:
        taken = holder.getsockname()[1]
        server = _Listener(tmp_path, port=taken)
        with pytest.raises(RuntimeError, match=f"port {taken} is already in use"):
            server.start()
        assert server.ports_tried == [taken] and server.proc is None


def test_after_every_try_finds_its_port_taken_the_busy_error_is_raised() -> None:
    """Three tries, each cleaned up, then the caller's error (not PortTaken)."""
    calls: list[str] = []

    def start_once() -> None:
        calls.append("start")
        raise PortTaken

    with pytest.raises(LookupError, match="busy"):
        start_with_port_retry(
            start_once,
            stop=lambda: calls.append("stop"),
            next_port=lambda: calls.append("next port"),
            busy_error=lambda: LookupError("busy"),
        )
    assert calls == ["start", "stop", "next port", "start", "stop", "next port", "start", "stop"]


def test_any_other_start_failure_stops_the_server_and_propagates() -> None:
    """A crash or a cancellation while starting leaves no server behind, and is not retried."""
    calls: list[str] = []

    def start_once() -> None:
        calls.append("start")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        start_with_port_retry(
            start_once,
            stop=lambda: calls.append("stop"),
            next_port=lambda: calls.append("next port"),
            busy_error=lambda: LookupError("busy"),
        )
    assert calls == ["start", "stop"]


def test_a_with_block_stops_the_server_even_when_its_body_fails() -> None:
    """``with server:`` is start() then stop(), whatever happens inside."""

    class Recorder(StartStop):
        def __init__(self) -> None:
            self.events: list[str] = []

        def start(self) -> None:
            self.events.append("start")

        def stop(self) -> None:
            self.events.append("stop")

    recorder = Recorder()
    with pytest.raises(ValueError), recorder as entered:
        assert entered is recorder
        raise ValueError("the body failed")
    assert recorder.events == ["start", "stop"]
