"""The Claude CLI's first request, recorded at run time from the installed SDK, or a clean fallback."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from claude_compat._internal import cli_request

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_without_the_real_sdk_the_project_texts_apply_and_it_is_said_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cli_request.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(cli_request, "_said_missing", False)
    with caplog.at_level(logging.INFO, logger="claude_compat"):
        assert await cli_request.recorded_request() is None
        assert await cli_request.recorded_request("claude-sonnet-4-5") is None
    said = [r for r in caplog.records if "claude-agent-sdk is not installed" in r.getMessage()]
    assert len(said) == 1


async def test_the_cli_request_is_recorded_once_per_version_with_volatile_parts_replaced(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("claude_agent_sdk")
    monkeypatch.setenv("CLAUDE_COMPAT_CACHE", str(tmp_path))
    body = await cli_request.recorded_request()
    assert body is not None
    names = [t["name"] for t in body["tools"]]
    assert {"Bash", "Read", "Edit", "Write"} <= set(names)
    assert all("input_schema" in t for t in body["tools"] if not t.get("defer_loading"))
    assert "max_tokens" in body and "system" in body
    text = str(body)
    assert cli_request.CWD in text and "/claude-compat-record-" not in text
    assert "metadata" not in body
    version = cli_request.cli_version()
    assert version is not None
    path = cli_request.cache_path(version, None)
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text('{"tools": [], "marker": true}')  # the second call reads the cache, no new run
    assert await cli_request.recorded_request() == {"tools": [], "marker": True}
