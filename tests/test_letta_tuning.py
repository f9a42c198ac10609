"""The tuned Letta server: each patch pinned to the upstream code it replaces, applied, switchable.

The upstream code each patch replaces is quoted in tests/fixtures/letta_upstream/ (the text of
letta 0.16.8 and its httpx); the launcher refuses to start when the installed code differs.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat.errors import LettaServerStartError
from claude_compat.testing import ScriptedModel
from letta_backend import _tuning
from letta_backend.server import LocalLettaServer, _get_json

UPSTREAM = Path(__file__).parent / "fixtures" / "letta_upstream"


def quoted(where: str) -> str:
    """The upstream source a target names, as quoted in the fixtures."""
    return (UPSTREAM / (where.replace(":", "--") + ".txt")).read_text(encoding="utf-8")


TARGETS = sorted({(t.where, t.sha256) for p in _tuning.PATCHES for t in p.targets})


@pytest.mark.parametrize(("where", "sha256"), TARGETS)
def test_each_pinned_hash_is_the_hash_of_the_quoted_upstream_code(where: str, sha256: str) -> None:
    assert _tuning.digest(quoted(where)) == sha256


def test_the_quoted_code_is_what_each_patch_replaces() -> None:
    # what the patches rely on, visible in the quotes
    assert 'engine_args["poolclass"] = NullPool' in quoted("letta.server.db")
    assert "create_async_engine(async_pg_uri, **engine_args)" in quoted("letta.server.db")
    assert "ssl.create_default_context(cafile=certifi.where())" in quoted("httpx._config:create_ssl_context")
    assert 'logging.getLogger("Letta")' in quoted("letta.log:get_logger")
    metrics = quoted("letta.services.step_manager:StepManager.record_step_metrics_async")
    assert "except NoResultFound:" in metrics and '"id": step_id' in metrics


def test_a_patch_whose_upstream_code_changed_fails_loudly_naming_itself_and_the_switch() -> None:
    patch = _tuning.Patch(
        name="demo",
        what="",
        why="",
        effect="",
        stage=_tuning.APP,
        databases=frozenset({_tuning.SQLITE}),
        targets=(_tuning.Target("json:dumps", "0123456789abcdef"),),
        apply=lambda ctx: "",
    )

    with pytest.raises(_tuning.TuningError) as caught:
        _tuning.check(patch)

    message = str(caught.value)
    assert "'demo'" in message and "json:dumps changed" in message
    assert "CLAUDE_COMPAT_LETTA_TUNING=all,-demo" in message and "CLAUDE_COMPAT_LETTA_TUNING=none" in message


def test_a_patch_whose_upstream_code_is_gone_fails_loudly() -> None:
    patch = _tuning.Patch(
        name="gone",
        what="",
        why="",
        effect="",
        stage=_tuning.APP,
        databases=frozenset({_tuning.SQLITE}),
        targets=(_tuning.Target("json:no_such_function", "0123456789abcdef"),),
        apply=lambda ctx: "",
    )

    with pytest.raises(_tuning.TuningError, match="'gone' cannot find json:no_such_function"):
        _tuning.check(patch)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, set(_tuning.NAMES)),
        ("", set(_tuning.NAMES)),
        ("all", set(_tuning.NAMES)),
        ("none", set()),
        ("sqlite_pool, ssl_context_cache", {"sqlite_pool", "ssl_context_cache"}),
        ("all,-sqlite_wal", set(_tuning.NAMES) - {"sqlite_wal"}),
    ],
)
def test_one_setting_picks_the_patches(setting: str | None, expected: set[str]) -> None:
    assert _tuning.parse_selection(setting) == expected


def test_postgres_skips_the_sqlite_only_patches_and_says_so() -> None:
    tuning = _tuning.Tuning("all", _tuning.POSTGRES)

    assert {p.name for p in tuning.patches} == set(_tuning.NAMES) - {"sqlite_pool", "sqlite_wal"}
    assert tuning.summary()[-1] == "tuning not for postgres: sqlite_pool, sqlite_wal"


def test_a_bad_tuning_setting_is_refused_before_a_server_starts(tmp_path: Path) -> None:
    server = LocalLettaServer(data_dir=tmp_path, env={_tuning.SETTING: "all,-turbo"})

    with pytest.raises(LettaServerStartError, match="unknown tuning '-turbo'") as caught:
        server.start()

    assert "sqlite_pool" in str(caught.value) and server.pid is None
    assert not (tmp_path / "server.log").exists()


def test_every_patch_is_documented_with_what_why_and_effect() -> None:
    for patch in _tuning.PATCHES:
        assert patch.what and patch.why and patch.effect, patch.name


# --- on the running test server -----------------------------------------------------------------


def chosen() -> frozenset[str]:
    """The patches this run's test server was started with."""
    return _tuning.parse_selection(os.environ.get(_tuning.SETTING))


@pytest.fixture
def local_server(letta_server: object) -> LocalLettaServer:
    if not isinstance(letta_server, LocalLettaServer):
        pytest.skip("the tests run against an external Letta server")
    return letta_server


@pytest.mark.letta
@pytest.mark.parametrize("name", _tuning.NAMES)
def test_the_test_server_runs_with_each_patch_applied(local_server: LocalLettaServer, name: str) -> None:
    if name not in chosen():
        pytest.skip(f"{_tuning.SETTING} leaves {name} off")
    log = local_server.log_path.read_text(errors="replace")

    assert f"claude-compat launcher: tuned {name}: " in log


@pytest.mark.letta
def test_the_test_server_wrote_no_openapi_file_and_still_serves_the_schema(
    local_server: LocalLettaServer,
) -> None:
    if "openapi_file_off" not in chosen():
        pytest.skip(f"{_tuning.SETTING} leaves openapi_file_off off")
    assert not (local_server.data_dir / "openapi_letta.json").exists()  # the server's cwd
    schema = _get_json(f"{local_server.base_url}/openapi.json", 120, local_server.api_key)
    assert isinstance(schema, dict) and "/v1/agents/" in schema["paths"]


@pytest.mark.letta
@pytest.mark.anyio
async def test_a_turn_on_the_tuned_server_logs_no_info_and_no_failed_insert_and_uses_wal(
    local_server: LocalLettaServer, scripted_model: ScriptedModel
) -> None:
    scripted_model.push("tuned answer")
    before = local_server.log_path.stat().st_size

    messages = [m async for m in query(prompt="hello", options=ClaudeAgentOptions())]

    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.result == "tuned answer"
    with local_server.log_path.open("rb") as handle:
        handle.seek(before)
        during = handle.read().decode("utf-8", "replace")
    if "quiet_logs" in chosen():
        assert " - INFO - " not in during
    if "step_metrics_lock" in chosen():
        assert "UNIQUE constraint failed: step_metrics.id" not in during
    if "sqlite_wal" in chosen():
        with sqlite3.connect(local_server.data_dir / ".letta" / "letta.sqlite") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
