"""The slash commands ``get_server_info()`` reports, as the pinned Claude CLI reports them.

Their descriptions are Anthropic's texts, so they are not copied here: when the real SDK is
installed, its bundled CLI is asked once per process (offline, its ``initialize`` answer, no model
call); otherwise the recorded names in `cli_facts.COMMAND_NAMES` are reported without descriptions.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib.metadata import PackageNotFoundError, distribution
from typing import Any

import anyio

from . import cli_facts

#: How long the real CLI may take to answer (it answers in under a second when idle).
_ANSWER_TIMEOUT_S = 15.0
_cached: list[dict[str, Any]] | None = None


def _fallback() -> list[dict[str, Any]]:
    return [
        {"name": n, "description": "", "argumentHint": "", "builtin": True} for n in cli_facts.COMMAND_NAMES
    ]


def _bundled_cli() -> str | None:
    try:
        path = distribution("claude-agent-sdk").locate_file("claude_agent_sdk/_bundled/claude")
    except PackageNotFoundError:
        return None
    return str(path) if os.access(str(path), os.X_OK) else None


async def _ask(cli: str) -> list[dict[str, Any]] | None:
    """The ``commands`` of the real CLI's initialize answer, run offline in a throwaway home."""
    with tempfile.TemporaryDirectory(prefix="claude-compat-cli-") as home:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": home,
            "CLAUDE_CONFIG_DIR": os.path.join(home, ".claude"),
            "ANTHROPIC_API_KEY": "offline",
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",  # never called: initialize needs no model
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_ERROR_REPORTING": "1",
        }
        request = {"type": "control_request", "request_id": "req_1", "request": {"subtype": "initialize"}}
        args = [cli, "--output-format", "stream-json", "--input-format", "stream-json", "--verbose"]
        async with await anyio.open_process(args, env=env, cwd=home, stderr=None) as process:
            try:
                assert process.stdin is not None and process.stdout is not None
                await process.stdin.send((json.dumps(request) + "\n").encode())
                buffer = b""
                with anyio.move_on_after(_ANSWER_TIMEOUT_S):
                    async for chunk in process.stdout:
                        buffer += chunk
                        *lines, buffer = buffer.split(b"\n")
                        for line in lines:
                            answer = _commands_in(line)
                            if answer is not None:
                                return answer
            finally:
                process.kill()
    return None


def _commands_in(line: bytes) -> list[dict[str, Any]] | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "control_response":
        return None
    commands = data.get("response", {}).get("response", {}).get("commands")
    return [c for c in commands if isinstance(c, dict)] if isinstance(commands, list) else None


async def commands() -> list[dict[str, Any]]:
    """The CLI's slash commands: from the installed real SDK when there is one, else recorded names."""
    global _cached
    if _cached is None:
        cli = _bundled_cli()
        found = None
        if cli is not None:
            try:
                found = await _ask(cli)
            except OSError:
                found = None
        _cached = found or _fallback()
    return list(_cached)
