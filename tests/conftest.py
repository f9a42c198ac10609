"""Shared test configuration: every async test runs under asyncio and under trio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from claude_compat.testing._openai import ScriptedModelServer
from letta_backend.server import LocalLettaServer


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run each ``@pytest.mark.anyio`` test on both event loops, as the Claude SDK supports both."""
    return str(request.param)


#: Seconds between the keepalive pings of ``own_letta_server`` while its model works (Letta's
#: setting; 20 by default): a test of what the pings keep alive waits a few pings, not a minute.
OWN_LETTA_KEEPALIVE_S = 1.0


@pytest.fixture(scope="session")
def own_letta_server(
    scripted_model_server: ScriptedModelServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalLettaServer]:
    """A second Letta server on the scripted model, which fault tests may kill -9 and start again."""
    server = LocalLettaServer(
        model_base_url=scripted_model_server.base_url,
        data_dir=tmp_path_factory.mktemp("own-letta"),
        env={"LETTA_KEEPALIVE_INTERVAL": str(OWN_LETTA_KEEPALIVE_S)},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def own_letta_keepalive_s() -> float:
    """Seconds between the keepalive pings of ``own_letta_server`` while its model works."""
    return OWN_LETTA_KEEPALIVE_S
