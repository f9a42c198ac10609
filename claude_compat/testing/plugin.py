"""pytest plugin of claude-compat: a scripted model server and a local Letta server wired to it.

Fixtures: ``scripted_model_server`` and ``letta_server`` (session), ``scripted_model`` (per test,
points claude-compat at that Letta server and that model) and ``scripted_model_offline`` (no
Letta). Loaded for everyone who installs claude-compat, so it imports nothing heavy: the Letta
server code is imported only when a test asks for it.

Fast local iteration: start a Letta server once whose ``OPENAI_BASE_URL`` is
``http://127.0.0.1:<P>/v1``, then run pytest with ``CLAUDE_COMPAT_TEST_LETTA_URL=<its URL>`` and
``CLAUDE_COMPAT_TEST_MODEL_PORT=<P>`` so the session's scripted model listens where it calls
(and ``CLAUDE_COMPAT_TEST_LETTA_KEY=<its token>`` when the server wants one, as local ones do).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from claude_compat.testing._openai import ScriptedModelServer
from claude_compat.testing._script import ScriptedModel

LETTA_URL_ENV = "CLAUDE_COMPAT_TEST_LETTA_URL"
LETTA_KEY_ENV = "CLAUDE_COMPAT_TEST_LETTA_KEY"
MODEL_PORT_ENV = "CLAUDE_COMPAT_TEST_MODEL_PORT"


class _LettaServer(Protocol):
    """What the fixtures need of a running Letta server."""

    @property
    def base_url(self) -> str: ...

    @property
    def api_key(self) -> str | None: ...


@dataclass(frozen=True)
class _ExternalLettaServer:
    """A Letta server someone else started (named by ``CLAUDE_COMPAT_TEST_LETTA_URL``)."""

    base_url: str
    api_key: str | None = None
    log_path: Path | None = None

    def start(self) -> None:
        """Nothing to start: the server is already running."""

    def stop(self) -> None:
        """Leave the server running: it is not ours."""


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``letta`` marker."""
    config.addinivalue_line("markers", "letta: needs the local Letta server")


def _model_port() -> int:
    raw = os.environ.get(MODEL_PORT_ENV, "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"{MODEL_PORT_ENV} must be a port number, got {raw!r}") from None


@pytest.fixture(scope="session")
def scripted_model_server() -> Iterator[ScriptedModelServer]:
    """A scripted OpenAI-compatible model server for the whole test session."""
    with ScriptedModelServer(port=_model_port()) as server:
        yield server


@pytest.fixture(scope="session")
def letta_server(
    scripted_model_server: ScriptedModelServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_LettaServer]:
    """A local Letta server whose model is the session's scripted model (started once)."""
    external = os.environ.get(LETTA_URL_ENV, "").strip()
    if external:
        yield _ExternalLettaServer(external.rstrip("/"), os.environ.get(LETTA_KEY_ENV) or None)
        return
    module: Any = importlib.import_module("letta_backend.server")
    server = module.LocalLettaServer(
        model_base_url=scripted_model_server.base_url,
        data_dir=tmp_path_factory.mktemp("letta"),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def scripted_model(
    letta_server: _LettaServer,
    scripted_model_server: ScriptedModelServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> ScriptedModel:
    """The session's scripted model, reset, with claude-compat pointed at the local Letta server."""
    model = scripted_model_server.model
    model.reset()
    monkeypatch.setenv("LETTA_BASE_URL", letta_server.base_url)
    if letta_server.api_key:  # the local server answers its owner only
        monkeypatch.setenv("LETTA_API_KEY", letta_server.api_key)
    else:
        monkeypatch.delenv("LETTA_API_KEY", raising=False)
    monkeypatch.setenv("CLAUDE_COMPAT_MODEL", f"openai-proxy/{model.model_id}")
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path / "claude-compat-home"))
    # the CLI's config folder (subagents' transcripts go there), not the user's
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    return model


@pytest.fixture
def scripted_model_offline(scripted_model_server: ScriptedModelServer) -> ScriptedModel:
    """The session's scripted model, reset, without any Letta server."""
    model = scripted_model_server.model
    model.reset()
    return model
