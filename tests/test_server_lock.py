"""Only the owner reaches a local Letta server and its data: another local user gets 401 and no files.

Runs the probe as the ``nobody`` user when the tests run as root (as CI does); otherwise as the
same user without the token, which must be refused just the same. POSIX only (fork, setuid).
"""

from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from claude_compat import query
from claude_compat.errors import InsecureStorageError, LettaAuthenticationError
from claude_compat.testing import ScriptedModel
from letta_backend.server import LocalLettaServer

pytestmark = [pytest.mark.letta]


def _status(base: str, method: str, path: str, body: bytes | None = None, token: str | None = None) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(base + path, method=method, data=body)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with opener.open(request, timeout=30) as response:
            code: int = response.status
            return code
    except urllib.error.HTTPError as exc:
        return exc.code


def _readable(path: Path) -> bool:
    try:
        if path.is_dir():
            os.listdir(path)
        else:
            path.read_bytes()
        return True
    except OSError:
        return False


def _what_a_local_user_gets(base: str, data_dir: Path) -> dict[str, Any]:
    """A hostile local user tries to read every agent, run Python on the server, guess a key, and
    read the server's files."""
    tool = json.dumps({"source_code": "def f():\n    return 1\n", "args": {}}).encode()
    return {
        "uid": os.getuid(),
        "agents": _status(base, "GET", "/v1/agents/"),
        "tools_run": _status(base, "POST", "/v1/tools/run", tool),
        "guessed_key": _status(base, "GET", "/v1/agents/", token="sk-guess"),
        "data_dir": _readable(data_dir),
        "database": _readable(data_dir / ".letta" / "letta.sqlite"),
        "log": _readable(data_dir / "server.log"),
    }


def _probe(base: str, data_dir: Path) -> dict[str, Any]:
    """Run the probe in a child process as another local user (``nobody`` when we are root)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, probe, report, leave without cleanup
        code = 0
        try:
            os.close(read_end)
            if os.getuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            os.write(write_end, json.dumps(_what_a_local_user_gets(base, data_dir)).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        raw = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the probe failed"
    result: dict[str, Any] = json.loads(raw)
    return result


def test_another_local_user_gets_401_and_cannot_read_the_server_data(letta_server: Any) -> None:
    assert isinstance(letta_server, LocalLettaServer), "needs a server these tests started"
    seen = _probe(letta_server.base_url, letta_server.data_dir)

    if os.getuid() == 0:
        assert seen["uid"] != 0
        assert seen["data_dir"] is False and seen["database"] is False and seen["log"] is False
    assert (seen["agents"], seen["tools_run"], seen["guessed_key"]) == (401, 401, 401)
    assert stat.S_IMODE(letta_server.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(letta_server.log_path.stat().st_mode) == 0o600


@pytest.mark.anyio
async def test_a_wrong_key_is_refused_with_a_typed_error_naming_the_fix(
    scripted_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTA_API_KEY", "sk-not-the-token")
    with pytest.raises(LettaAuthenticationError) as info:
        [m async for m in query(prompt="hello")]
    assert info.value.status_code == 401
    assert "LETTA_API_KEY" in str(info.value)
    assert scripted_model.completions == []  # nothing reached the model


def test_a_data_dir_owned_by_someone_else_is_refused_before_anything_starts(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to make a directory another user owns")
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o777)
    os.chown(foreign, 65534, 65534)  # nobody
    server = LocalLettaServer(data_dir=foreign)
    with pytest.raises(InsecureStorageError) as info:
        server.start()
    assert str(foreign) in str(info.value) and "another user" in str(info.value)
    assert server.pid is None
