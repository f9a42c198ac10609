"""What the command line shows of the ``claude_compat.server`` logger: bars, waits and lines on stderr.

The library only logs (the build of the server's environment with :class:`BuildProgress`, the start
of the server as a wait); this handler turns that into tqdm progress bars and an elapsed-time line
on a terminal, and into one plain line per record anywhere else (a log file, CI).
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, TextIO

from tqdm import tqdm

from letta_backend._build import PROGRESS_ATTR, WAIT_ATTR, BuildProgress

__all__ = ["SERVER_LOGGER", "ServerProgressHandler", "show_server_progress"]

SERVER_LOGGER = "claude_compat.server"

# Bar layouts: with a known amount to fetch, and without one (a step that only reports phases).
_WITH_TOTAL = "{desc} {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} MiB [{elapsed}<{remaining}]"
_NO_TOTAL = "{desc} [{elapsed}]"
_WAIT = "{desc} [{elapsed}]"
_REFRESH = 0.5


class ServerProgressHandler(logging.Handler):
    """Shows server records on ``stream``: progress as bars when it is a terminal, else as lines."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(logging.INFO)
        self._stream = stream if stream is not None else sys.stderr
        self._live = self._stream.isatty()
        self._bar: tqdm[Any] | None = None
        self._bar_step: int | None = None
        self._wait: tqdm[Any] | None = None
        self._wait_done = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            progress = getattr(record, PROGRESS_ATTR, None)
            if self._live and isinstance(progress, BuildProgress):
                self._show(progress)
                return
            self._end_wait()
            self._line(self.format(record))
            if self._live and getattr(record, WAIT_ATTR, False):
                self._begin_wait(record.getMessage())
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self._end_wait()
        self._end_bar()
        super().close()

    # -- internals --

    def _line(self, text: str) -> None:
        tqdm.write(text, file=self._stream)

    def _show(self, progress: BuildProgress) -> None:
        """Draw one step's bar (a new step closes the previous bar)."""
        if self._bar_step != progress.step:
            self._end_bar()
            self._bar = tqdm(
                desc=f"[{progress.step}/{progress.steps}] {progress.title}",
                file=self._stream,
                leave=True,
                bar_format=_NO_TOTAL,
            )
            self._bar_step = progress.step
        bar = self._bar
        assert bar is not None
        if progress.total:
            bar.bar_format = _WITH_TOTAL
            bar.total = progress.total
            bar.n = progress.done
        bar.set_description_str(
            f"[{progress.step}/{progress.steps}] {progress.title}: {progress.phase}", False
        )
        bar.refresh()
        if progress.finished:
            self._end_bar()

    def _end_bar(self) -> None:
        bar, self._bar, self._bar_step = self._bar, None, None
        if bar is not None:
            bar.close()

    def _begin_wait(self, message: str) -> None:
        """Show the time spent waiting, refreshed until the logger's next record."""
        wait = tqdm(desc="waiting", file=self._stream, bar_format=_WAIT, leave=False)
        done = threading.Event()
        self._wait, self._wait_done = wait, done

        def tick() -> None:
            while not done.wait(_REFRESH):
                wait.refresh()

        threading.Thread(target=tick, name="claude-compat-wait", daemon=True).start()

    def _end_wait(self) -> None:
        wait, self._wait = self._wait, None
        if wait is not None:
            self._wait_done.set()
            wait.close()


def show_server_progress(stream: TextIO | None = None) -> ServerProgressHandler:
    """Route the server logger's INFO records to a :class:`ServerProgressHandler` (the CLI owns them)."""
    handler = ServerProgressHandler(stream)
    handler.setFormatter(logging.Formatter("claude-compat: %(message)s"))
    logger = logging.getLogger(SERVER_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return handler
