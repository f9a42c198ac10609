"""The README's first command, `./scripts/demo`, on a fresh embedded home: what a new user sees.

No Letta settings and no provider key: the embedded server starts (its start logged on stderr) with
the scripted demo model, which plays the demo's part and says that it is scripted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_compat.testing._demo import SCRIPTED_NOTICE
from letta_backend import _embedded

pytestmark = [pytest.mark.letta, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_user(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a user with no Letta settings and no provider key, and an empty home."""
    drop = {*_embedded.PROVIDER_KEY_VARS, "LETTA_BASE_URL", "LETTA_API_KEY", "CLAUDE_COMPAT_MODEL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["CLAUDE_COMPAT_HOME"] = str(tmp_path / "home")
    env["CLAUDE_COMPAT_VENV"] = sys.prefix  # the project is installed here already
    try:
        yield env
    finally:
        subprocess.run(
            [sys.executable, "-m", "claude_compat", "server", "stop"],
            env=env,
            capture_output=True,
            timeout=60,
        )


def test_the_demo_shows_can_use_tool_a_hook_a_resumed_session_and_says_the_model_is_scripted(
    fresh_user: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    proc = subprocess.run(
        [str(ROOT / "scripts" / "demo"), str(work)],
        env=fresh_user,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"{out}\n--- stderr\n{proc.stderr}"

    assert "claude-compat: starting the embedded Letta server (scripted demo model)" in proc.stderr
    assert "claude-compat: the embedded Letta server is ready" in proc.stderr
    assert f"model: scripted demo model\nnote: {SCRIPTED_NOTICE}\n" in out
    assert "[PreToolUse hook] Bash rm -rf build\n" in out
    assert "[can_use_tool] deny Bash 'rm -rf build': dangerous pattern 'rm -rf'\n" in out
    assert "it printed: Hello, world!" in out
    assert (work / "build").is_dir()  # the refused call never ran
    session = re.search(r"^Session: (\S+)$", out, re.M)
    assert session is not None, out
    assert f"Resumed session: {session.group(1)}\n" in out
    assert "- Bash rm -rf build: " in out  # the second process sees the first one's calls
