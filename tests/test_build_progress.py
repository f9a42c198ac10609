"""Building the server's environment says what it is doing: logged steps with progress, bars in the CLI.

The build command here is a stand-in that prints what uv prints (taken from a real build log), so the
test sees exactly what a user with ``logging`` configured, or at the command line, sees.
"""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest

from claude_compat._cli_progress import ServerProgressHandler
from letta_backend._build import PROGRESS_ATTR, BuildProgress, run_build_step

# What `uv pip install -r <lock>` printed on a cold cache (trimmed), one line each.
UV_OUTPUT = """\
Using Python 3.11.7 environment at: /cache/letta-server
Resolved 254 packages in 3.88s
Downloading pillow (6.8MiB)
Downloading onnxruntime (17.3MiB)
Downloading nltk (1.5MiB)
 Downloaded nltk
   Building demjson3==3.0.6
 Downloaded pillow
      Built demjson3==3.0.6
 Downloaded onnxruntime
Prepared 245 packages in 6.43s
Installed 254 packages in 392ms
 + aiofile==3.10.0
 + letta==0.16.8
"""


def _fake_uv(tmp_path: Path, output: str, exit_code: int = 0) -> list[str]:
    script = tmp_path / "fake_uv.py"
    script.write_text(f"import sys\nsys.stderr.write({output!r})\nsys.exit({exit_code})\n")
    return [sys.executable, str(script)]


def _run(tmp_path: Path, cmd: list[str]) -> int | None:
    with (tmp_path / "build.log").open("wb") as log:
        return run_build_step(
            cmd, step=2, steps=2, title="install letta", log=log, env={"PATH": ""}, timeout=60.0
        )


def test_each_step_of_the_build_is_logged_with_its_download_progress_and_nothing_is_printed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="claude_compat.server")

    assert _run(tmp_path, _fake_uv(tmp_path, UV_OUTPUT)) == 0

    records = [r for r in caplog.records if r.name == "claude_compat.server"]
    messages = [r.getMessage() for r in records]
    assert messages == [
        f"server environment 2/2 (install letta): {what}"
        for what in (
            "started",
            "using Python 3.11.7",
            "resolved 254 packages",
            "downloading pillow (6.8 MiB)",
            "downloading onnxruntime (17.3 MiB)",
            "downloading nltk (1.5 MiB)",
            "downloaded nltk",
            "building demjson3==3.0.6 from source",
            "downloaded pillow",
            "downloaded onnxruntime",
            "fetched 245 packages; installing",
            "installed 254 packages",
            "done",
        )
    ]
    progress = [getattr(r, PROGRESS_ATTR) for r in records]
    assert all(isinstance(p, BuildProgress) and p.step == 2 and p.steps == 2 for p in progress)
    # MiB fetched of MiB announced: grows with each download, never past the total, whole at the end.
    assert [round(p.done, 1) for p in progress[6:10]] == [1.5, 1.5, 8.3, 25.6]
    assert progress[9].total == pytest.approx(25.6)
    assert progress[-1].finished and progress[-1].done == pytest.approx(25.6)
    assert capsys.readouterr().out == ""  # a library never prints on stdout
    assert "+ letta==0.16.8" in (tmp_path / "build.log").read_text()  # the full output is kept


def test_a_failed_step_is_logged_as_a_warning_and_its_exit_code_returned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="claude_compat.server")

    assert _run(tmp_path, _fake_uv(tmp_path, "error: no route to the package index\n", 2)) == 2

    last = caplog.records[-1]
    assert last.levelno == logging.WARNING
    assert last.getMessage() == "server environment 2/2 (install letta): failed (exit code 2)"
    assert "no route to the package index" in (tmp_path / "build.log").read_text()


def test_the_cli_shows_the_build_and_the_start_as_lines_when_stderr_is_not_a_terminal(
    tmp_path: Path,
) -> None:
    stream = io.StringIO()
    handler = ServerProgressHandler(stream)
    handler.setFormatter(logging.Formatter("claude-compat: %(message)s"))
    logger = logging.getLogger("claude_compat.server")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        _run(tmp_path, _fake_uv(tmp_path, UV_OUTPUT))
        logger.info("starting the embedded Letta server", extra={"claude_compat_wait": True})
        logger.info("the embedded Letta server is ready")
    finally:
        logger.removeHandler(handler)
        handler.close()

    lines = stream.getvalue().splitlines()
    assert lines[0] == "claude-compat: server environment 2/2 (install letta): started"
    assert "claude-compat: server environment 2/2 (install letta): downloaded onnxruntime" in lines
    assert lines[-3:] == [
        "claude-compat: server environment 2/2 (install letta): done",
        "claude-compat: starting the embedded Letta server",
        "claude-compat: the embedded Letta server is ready",
    ]
    assert "\r" not in stream.getvalue()  # no bar redraws in a log file


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_cli_draws_one_bar_per_step_that_ends_full(tmp_path: Path) -> None:
    stream = _Terminal()
    handler = ServerProgressHandler(stream)
    logger = logging.getLogger("claude_compat.server")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        _run(tmp_path, _fake_uv(tmp_path, UV_OUTPUT))
    finally:
        logger.removeHandler(handler)
        handler.close()

    final = stream.getvalue().split("\r")[-1]
    assert final.startswith("[2/2] install letta: done 100%|")
    assert "25.6/25.6 MiB" in final
    assert "server environment" not in stream.getvalue()  # the bar replaces the lines
