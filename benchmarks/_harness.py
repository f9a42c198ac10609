"""Shared set-up of the benchmarks: one scripted model + one local Letta server, and the statistics.

Either starts a scripted model server (a subprocess, so its CPU is not counted as the client's)
and a LocalLettaServer once, or reuses a running pair named by ``--letta-url URL --model-port P``
(a scripted model already listening on P is reused; otherwise one is started on P).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# the checkout these scripts belong to, not whichever copy the environment installed
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import claude_compat  # noqa: F401  (first: importing letta_backend.agents alone is a circular import)


@dataclass(frozen=True)
class Pair:
    """A running Letta server, the scripted model it calls, and the Letta handle of that model."""

    letta_url: str
    model_base_url: str
    model_handle: str
    started_here: bool


def add_server_args(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark takes to reuse a running server pair."""
    parser.add_argument("--letta-url", help="a running Letta server to use (default: start one)")
    parser.add_argument(
        "--model-port",
        type=int,
        help="port of the scripted model that server calls (reused if it answers, else started there)",
    )
    parser.add_argument("--quick", action="store_true", help="a short run (for the smoke test)")


def _get_json(url: str, timeout: float = 2.0, token: str | None = None) -> object | None:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # loopback only
            data: object = json.loads(response.read())
            return data
    except (OSError, ValueError):
        return None


def _model_ids(model_base_url: str) -> list[str]:
    data = _get_json(model_base_url + "/models")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return []
    return [str(m["id"]) for m in data["data"] if isinstance(m, dict) and "id" in m]


@contextlib.contextmanager
def _scripted_model_process(port: int, script: Path | None = None) -> Iterator[str]:
    """``python -m claude_compat.testing serve`` (with ``--script``) in a subprocess; yields its base URL."""
    extra = ["--script", str(script)] if script is not None else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "claude_compat.testing", "serve", "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http"):
            err = proc.stderr.read() if proc.stderr is not None else ""
            raise SystemExit(f"the scripted model server did not start: {line or err}")
        yield line
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _letta_handles(letta_url: str, token: str | None) -> list[str]:
    data = _get_json(letta_url + "/v1/models/", timeout=10.0, token=token)
    if not isinstance(data, list):
        raise SystemExit(f"no Letta server answers at {letta_url} (GET /v1/models/ failed)")
    return [str(m["handle"]) for m in data if isinstance(m, dict) and m.get("handle")]


def _handle_for(letta_url: str, model_base_url: str, token: str | None) -> str:
    handles = _letta_handles(letta_url, token)
    ids = _model_ids(model_base_url)
    for model_id in ids:
        for handle in handles:
            if handle.endswith("/" + model_id):
                return handle
    raise SystemExit(
        f"the Letta server at {letta_url} offers {handles}, none of them the scripted model {ids} at "
        f"{model_base_url}: start that server with OPENAI_BASE_URL={model_base_url}"
    )


@contextlib.contextmanager
def server_pair(args: argparse.Namespace, script: Path | None = None) -> Iterator[Pair]:
    """The pair the benchmark runs against, with claude-compat's environment pointed at it.

    ``script`` (a scripted model's JSON rules) is given to a model this starts, not to a reused one.
    """
    with contextlib.ExitStack() as stack:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="cc-bench-"))
        if args.model_port:
            model_base_url = f"http://127.0.0.1:{args.model_port}/v1"
            if not _model_ids(model_base_url):
                model_base_url = stack.enter_context(_scripted_model_process(args.model_port, script))
        else:
            model_base_url = stack.enter_context(_scripted_model_process(0, script))
        started = False
        letta_key = os.environ.get("LETTA_API_KEY")  # a given server's token, if it wants one
        if args.letta_url:
            letta_url = str(args.letta_url).rstrip("/")
        else:
            from letta_backend.server import LocalLettaServer

            server = LocalLettaServer(model_base_url=model_base_url, data_dir=Path(home) / "letta")
            print("starting a local Letta server (about 20 s)…", file=sys.stderr, flush=True)
            server.start()
            stack.callback(server.stop)
            letta_url, letta_key = server.base_url, server.api_key
            started = True
        handle = _handle_for(letta_url, model_base_url, letta_key)
        saved = {k: os.environ.get(k) for k in _ENV_KEYS}
        if letta_key:
            os.environ["LETTA_API_KEY"] = letta_key
        else:
            os.environ.pop("LETTA_API_KEY", None)
        os.environ["LETTA_BASE_URL"] = letta_url
        os.environ["CLAUDE_COMPAT_MODEL"] = handle
        os.environ["CLAUDE_COMPAT_HOME"] = str(Path(home) / "claude-compat-home")
        try:
            yield Pair(letta_url, model_base_url, handle, started)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


_ENV_KEYS = ("LETTA_API_KEY", "LETTA_BASE_URL", "CLAUDE_COMPAT_MODEL", "CLAUDE_COMPAT_HOME")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 to 100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    """The median; NaN for no values."""
    return statistics.median(values) if values else float("nan")


def machine_line(pair: Pair) -> str:
    """Where and when the figures were made (they mean little elsewhere)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    today = datetime.date.today().isoformat()
    return (
        f"machine: {os.cpu_count()} cores, load {load:.2f}, Python {platform.python_version()}, "
        f"{today}; Letta {pair.letta_url} ({'started here' if pair.started_here else 'reused'}), "
        f"model {pair.model_handle}"
    )
