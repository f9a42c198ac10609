"""``claude-compat sessions import``: every Claude session of a folder or a SessionStore, brought to Letta.

The transcripts are the ones the real Claude CLI wrote (tests/fixtures/claude_config: a greeting
with thinking, Read and Bash calls, a subagent, a fork, a second session), each test under fresh
session ids so tests sharing the Letta server do not see each other's imports.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest
from letta_client import AsyncLetta

from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat._cli import main
from claude_compat.sessions import get_session_messages, import_session_to_store, project_key_for_directory
from claude_compat.testing import ScriptedModel
from letta_backend.registry import LocalSessionRegistry, SessionRecord, default_registry

pytestmark = [pytest.mark.letta]

FIXTURE = Path(__file__).parent / "fixtures" / "claude_config" / "projects" / "-tmp-rec1-work"
RECORDED_CWD = "/tmp/rec1/work"
GREETING = "46e0388c-61ce-45e8-b11d-bc8423ad1a63"
FORK = "b6dd2921-b502-448f-97cd-0ab46634a1ca"
SECOND = "72af52de-9e37-431c-8b23-2bce61cc691f"


class Sessions:
    """The recorded sessions installed under a Claude config folder with fresh ids."""

    def __init__(self, config: Path, work: Path) -> None:
        self.config, self.work = config, work
        self.ids = {old: str(uuid.uuid4()) for old in (GREETING, FORK, SECOND)}
        self.folder = config / "projects" / project_key_for_directory(work)
        for source in FIXTURE.rglob("*"):
            if source.is_file():
                target = self.folder / self._renamed(str(source.relative_to(FIXTURE)))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(
                    self._renamed(source.read_text().replace(RECORDED_CWD, str(work.resolve())))
                )

    def _renamed(self, text: str) -> str:
        for old, new in self.ids.items():
            text = text.replace(old, new)
        return text

    def path(self, recorded_id: str) -> Path:
        return self.folder / f"{self.ids[recorded_id]}.jsonl"


@pytest.fixture
def claude_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sessions:
    config, work = tmp_path / "claude-config", tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    return Sessions(config, work)


def sessions_import(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the command in this process; (exit status, stdout)."""
    capsys.readouterr()
    status = main(["sessions", "import", *args])
    return status, capsys.readouterr().out


def registered(session_id: str) -> SessionRecord | None:
    return default_registry().get(session_id)


async def imported_agents(session_id: str) -> list[str]:
    client = AsyncLetta(base_url=os.environ["LETTA_BASE_URL"], api_key=os.environ.get("LETTA_API_KEY"))
    try:
        page = await client.agents.list(tags=[f"cc-import:{session_id}"], limit=100)
        return [a.id for a in page.items]
    finally:
        await client.close()


def agents_of(session_id: str) -> list[str]:
    return anyio.run(imported_agents, session_id)


@pytest.mark.anyio
async def test_a_folder_imported_at_once_resumes_with_its_history_without_importing_again(
    scripted_model: ScriptedModel, claude_sessions: Sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = await anyio.to_thread.run_sync(sessions_import, capsys)  # DIR: $CLAUDE_CONFIG_DIR/projects

    assert status == 0, out
    assert "3 imported" in out and "0 failed" in out
    greeting = claude_sessions.ids[GREETING]
    for session_id in claude_sessions.ids.values():
        record = registered(session_id)
        assert record is not None and record.cwd == str(claude_sessions.work.resolve())
    agents = await imported_agents(greeting)
    assert len(agents) == 1

    scripted_model.push("I remember: alpha and beta.")
    messages = [
        m
        async for m in query(
            prompt="What did the file say?",
            options=ClaudeAgentOptions(resume=greeting, cwd=claude_sessions.work),
        )
    ]

    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.session_id == greeting and not result.is_error
    seen = str(scripted_model.completions[-1].messages)
    for earlier in ("Say hello please", "toolu_read_1", "echo hi there", "The file says alpha and beta."):
        assert earlier in seen, earlier
    assert await imported_agents(greeting) == agents  # resume= found it imported


def test_a_second_run_skips_every_session_already_imported(
    scripted_model: ScriptedModel, claude_sessions: Sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = sessions_import(capsys, str(claude_sessions.config / "projects"))
    agents = {sid: agents_of(sid) for sid in claude_sessions.ids.values()}

    status, out = sessions_import(capsys, str(claude_sessions.config / "projects"))

    assert first == 0 and status == 0
    assert "0 imported (0 messages), 3 skipped (already imported), 0 failed" in out
    assert {sid: agents_of(sid) for sid in claude_sessions.ids.values()} == agents
    assert all(len(found) == 1 for found in agents.values())


def test_a_damaged_transcript_fails_naming_file_and_line_while_the_others_import(
    scripted_model: ScriptedModel, claude_sessions: Sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = claude_sessions.path(SECOND)
    lines = damaged.read_text().splitlines()
    damaged.write_text("\n".join([lines[0], '{"type": "user", "uuid": ', *lines[1:]]) + "\n")

    status, out = sessions_import(capsys, str(claude_sessions.folder))  # one project's folder

    assert status == 1
    assert f"failed: {damaged}:2: not a JSON line" in out
    assert "2 imported" in out and "1 failed" in out
    second = claude_sessions.ids[SECOND]
    assert registered(second) is None and agents_of(second) == []
    assert registered(claude_sessions.ids[GREETING]) is not None


def test_a_session_whose_import_fails_midway_leaves_no_agent_behind(
    scripted_model: ScriptedModel,
    claude_sessions: Sessions,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fork = claude_sessions.ids[FORK]
    real_put = LocalSessionRegistry.put

    async def put(self: LocalSessionRegistry, record: SessionRecord) -> SessionRecord:
        if record.session_id == fork:  # the agent holding its history exists by now
            raise OSError("disk full")
        return await real_put(self, record)

    monkeypatch.setattr(LocalSessionRegistry, "put", put)

    status, out = sessions_import(capsys)

    assert status == 1
    assert f"failed: {claude_sessions.path(FORK)}: " in out and "disk full" in out
    assert "2 imported" in out
    assert registered(fork) is None and agents_of(fork) == []


def test_a_dry_run_reports_what_it_would_import_and_writes_nothing(
    scripted_model: ScriptedModel, claude_sessions: Sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    claude_sessions.path(SECOND).write_text('{"type": "user"}\n')

    status, out = sessions_import(capsys, "--dry-run")

    assert status == 1
    assert "dry run: 2 to import" in out and "1 would fail" in out and "nothing was written" in out
    assert f"failed: {claude_sessions.path(SECOND)}:1: the user entry has no 'uuid'" in out
    for session_id in claude_sessions.ids.values():
        assert registered(session_id) is None and agents_of(session_id) == []


def test_the_sessions_of_a_session_store_import_from_a_factory(
    scripted_model: ScriptedModel,
    claude_sessions: Sessions,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    module = tmp_path / "mods" / "import_test_stores.py"
    module.parent.mkdir()
    module.write_text(
        "from claude_compat import InMemorySessionStore\n\n"
        "STORE = InMemorySessionStore()\n\n\n"
        "def make_store():\n    return STORE\n"
    )
    monkeypatch.syspath_prepend(str(module.parent))
    stores = importlib.import_module("import_test_stores")
    request.addfinalizer(lambda: sys.modules.pop("import_test_stores", None))

    async def fill() -> None:
        for session_id in claude_sessions.ids.values():
            await import_session_to_store(session_id, stores.STORE, directory=str(claude_sessions.work))

    anyio.run(fill)
    for path in claude_sessions.folder.glob("*.jsonl"):
        path.unlink()  # only the store has them now

    status, out = sessions_import(
        capsys, "--store", "import_test_stores:make_store", "--project", str(claude_sessions.work)
    )

    assert status == 0, out
    assert "3 imported" in out
    second = claude_sessions.ids[SECOND]
    texts: list[Any] = [m.message["content"] for m in get_session_messages(second)]
    assert "A separate second session" in str(texts)
    assert len(agents_of(second)) == 1

    again, out = sessions_import(
        capsys, "--store", "import_test_stores:make_store", "--project", str(claude_sessions.work)
    )
    assert again == 0 and "3 skipped" in out


def test_ctrl_c_leaves_no_half_imported_session_and_the_next_run_imports_the_rest(
    scripted_model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    ids: list[str] = []
    for n in range(8):  # enough sessions, imported one at a time, that the interrupt lands mid-run
        work = tmp_path / f"work{n}"
        work.mkdir()
        ids += Sessions(config, work).ids.values()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "claude_compat", "sessions", "import", "--jobs", "1"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(registered(i) for i in ids) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # a few sessions imported, others in the middle
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err
    done = [i for i in ids if registered(i) is not None]
    assert 0 < len(done) < len(ids), "the interrupt should land mid-run"
    for session_id in done:  # each one recorded is whole: its agent holds the history
        record = registered(session_id)
        assert record is not None and agents_of(session_id) == [record.agent_id]

    status = main(["sessions", "import"])

    assert status == 0
    for session_id in ids:
        record = registered(session_id)
        assert record is not None and agents_of(session_id) == [record.agent_id]
