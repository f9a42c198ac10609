"""A/B runs: one Claude Agent SDK program on the real SDK and on claude-compat, traced, compared, reported.

The program is not edited. Each side runs it in a child Python started through a small
bootstrap that (on the claude-compat side) installs the import hook of ``claude-compat run``,
so ``claude_agent_sdk`` is ``claude_compat``, and wraps ``query`` and
``ClaudeSDKClient.receive_messages/receive_response`` to write every message as a JSON line.
The parent normalises both traces (the `NORMALISATIONS` table), compares them and renders a
report.

This module imports only the standard library at the top: the child loads it from its file
without importing the ``claude_compat`` package, so the Claude side runs nothing of ours but
the recorder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import html
import importlib
import importlib.util
import json
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from claude_compat._internal.model_view import RequestDifference
    from claude_compat.testing._anthropic import AnthropicScriptedServer
    from claude_compat.testing._openai import ScriptedModelServer
    from claude_compat.testing._script import ScriptedModel

__all__ = [
    "TRACE_ENV",
    "SIDES",
    "SIDE_NAMES",
    "SCRIPTED_MODEL_ID",
    "Normalisation",
    "NORMALISATIONS",
    "SideRun",
    "RunPair",
    "SideSummary",
    "Difference",
    "ABReport",
    "ScriptedBackends",
    "ScriptedLane",
    "lane_model_ids",
    "run_ab",
    "load_trace",
    "normalise",
    "kind",
    "kinds",
    "compare",
    "summarise",
    "render_text",
    "render_markdown",
    "render_html",
    "write_report",
    "tools_called",
]

Side = Literal["claude", "compat"]

#: The two sides, in report order.
SIDES: tuple[Side, Side] = ("claude", "compat")
#: What each side is called in reports.
SIDE_NAMES: dict[Side, str] = {"claude": "claude_agent_sdk", "compat": "claude-compat"}
#: The child writes its JSON-lines trace to the path in this variable.
TRACE_ENV = "CLAUDE_COMPAT_AB_TRACE"
#: Model id both scripted fakes announce: a Claude name, so both sides price the run.
SCRIPTED_MODEL_ID = "claude-sonnet-4-5"

_CHILD_MODULE = "_claude_compat_ab_child"


# =============================================================================================
# The child: alias, recorder, program (standard library only)
# =============================================================================================


def _bootstrap_code() -> str:
    """The ``python -c`` code that loads this file standalone and runs `_child_main`."""
    return (
        "import importlib.util as u, sys, time; t0 = time.perf_counter(); "
        f"s = u.spec_from_file_location({_CHILD_MODULE!r}, {str(Path(__file__).resolve())!r}); "
        "m = u.module_from_spec(s); sys.modules[s.name] = m; s.loader.exec_module(m); "
        "m._child_main(t0)"
    )


def _encode(value: Any) -> Any:
    """A JSON-ready copy: dataclasses become {"type": class name, fields…}, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            out["type_" if f.name == "type" else f.name] = _encode(getattr(value, f.name))
        return out
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


class _TraceWriter:
    """Appends one JSON object a line, each stamped with ``t`` (seconds since the child started)."""

    def __init__(self, path: str, t0: float) -> None:
        self._file: IO[str] = open(path, "a", encoding="utf-8")
        self._t0 = t0
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        record["t"] = round(time.perf_counter() - self._t0, 6)
        line = json.dumps(record, default=repr)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def message(self, message: Any) -> None:
        encoded = _encode(message)
        self.write(
            encoded if isinstance(encoded, dict) else {"type": type(message).__name__, "value": encoded}
        )

    def error(self, exc: BaseException) -> None:
        self.write({"type": "ab.raise", "class": type(exc).__name__, "message": str(exc)})


async def _recorded(writer: _TraceWriter, api: str, messages: Any) -> AsyncIterator[Any]:
    """Yield from `messages`, writing each one (and an exception, then re-raised) to the trace."""
    writer.write({"type": "ab.call", "api": api})
    try:
        async for message in messages:
            writer.message(message)
            yield message
    except Exception as exc:
        writer.error(exc)
        raise
    finally:
        close = getattr(messages, "aclose", None)
        if close is not None:
            await close()


def _install_recorder(sdk: ModuleType, writer: _TraceWriter) -> None:
    """Wrap ``query`` and the client's receive methods of whichever SDK module is in use."""
    original_query = getattr(sdk, "query")  # noqa: B009 - a module of either SDK

    @functools.wraps(original_query)
    def query(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return _recorded(writer, "query", original_query(*args, **kwargs))

    setattr(sdk, "query", query)  # noqa: B010
    submodule = sys.modules.get(sdk.__name__ + ".query")
    if isinstance(submodule, ModuleType) and getattr(submodule, "query", None) is original_query:
        setattr(submodule, "query", query)  # noqa: B010

    client = getattr(sdk, "ClaudeSDKClient", None)
    if client is None:
        return
    recording: set[int] = set()  # clients whose outer receive call is being recorded

    def wrap(name: str) -> None:
        original = getattr(client, name)

        @functools.wraps(original)
        async def receive(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            inner = original(self, *args, **kwargs)
            if id(self) in recording:  # receive_response → receive_messages: record once
                async with contextlib.aclosing(inner):
                    async for message in inner:
                        yield message
                return
            recording.add(id(self))
            try:
                async for message in _recorded(writer, name, inner):
                    yield message
            finally:
                recording.discard(id(self))

        setattr(client, name, receive)

    wrap("receive_messages")
    wrap("receive_response")


def _child_main(t0: float) -> None:
    """Run the program in ``sys.argv`` (side, script, args…) with the recorder; exits the child."""
    import runpy

    side, script, *args = sys.argv[1:]
    writer = _TraceWriter(os.environ[TRACE_ENV], t0)
    try:
        if side == "compat":  # claude-compat run's import hook: claude_agent_sdk is claude_compat
            importlib.import_module("claude_compat._tooling.importhook").install()
        sdk = importlib.import_module("claude_agent_sdk")
    except Exception as exc:
        writer.error(exc)
        traceback.print_exc()
        sys.exit(1)
    writer.write(
        {
            "type": "ab.start",
            "side": side,
            "sdk": sdk.__name__,
            "version": str(getattr(sdk, "__version__", "?")),
            "python": sys.version.split()[0],
        }
    )
    _install_recorder(sdk, writer)
    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    writer.write({"type": "ab.end", "exit_code": code})
    sys.stdout.flush()
    sys.exit(code)


# =============================================================================================
# Running both sides
# =============================================================================================


@dataclass
class SideRun:
    """One run of the program on one side: exit status, timing and its recorded trace."""

    side: Side
    run: int
    exit_code: int | None
    wall_s: float
    trace_path: Path
    stdout_path: Path
    stderr_path: Path
    records: list[dict[str, Any]]
    #: Literal strings of this run (its temp work dir, home…) → the placeholder they become.
    placeholders: dict[str, str] = field(default_factory=dict)
    timed_out: bool = False
    #: The model-turn request bodies the side's scripted model received (scripted runs only).
    model_requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stderr_tail(self) -> str:
        """The last lines the program wrote to stderr (where its traceback would be)."""
        try:
            lines = self.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-15:])


@dataclass
class RunPair:
    """The two sides of one run."""

    index: int
    claude: SideRun
    compat: SideRun

    def side(self, side: Side) -> SideRun:
        """The run of one side."""
        return self.claude if side == "claude" else self.compat


def lane_model_ids(lanes: int, model_id: str = SCRIPTED_MODEL_ID) -> list[str]:
    """The model ids of `lanes` lanes: `model_id` for the first, ``<model_id>-lane<N>`` after it.

    A Letta server must have seen all of them when it started (serve them then with
    ``ScriptedModelServer(more_models=...)``). The suffix keeps the name a Claude model's, so
    both sides still price their runs.
    """
    return [model_id] + [f"{model_id}-lane{n}" for n in range(2, lanes + 1)]


def offline_claude_env(base_url: str, home: Path) -> dict[str, str]:
    """The variables that run the real SDK's CLI offline against a scripted Anthropic API at
    `base_url`, with `home` as its home and config folder (see the oracle recipe)."""
    # imported here: the child's bootstrap loads this file on its own, outside the package
    from claude_compat._internal.cli_request import offline_env

    # bypassPermissions is refused to root without IS_SANDBOX
    return {**offline_env(base_url, home), "IS_SANDBOX": "1"}


class ScriptedLane:
    """One run's own pair of scripted models: its Anthropic fake, and its model id on the shared
    OpenAI-compatible server (Letta stores that server's port, so lanes share it and are told
    apart by the model a request names). Runs in different lanes never see each other's script.
    """

    def __init__(self, anthropic: AnthropicScriptedServer, openai: ScriptedModel, backends: ScriptedBackends):
        self._anthropic = anthropic
        self._openai = openai
        self._backends = backends
        self._script: dict[str, Any] | None = None

    @property
    def model_id(self) -> str:
        """The id claude-compat's model requests name (``openai-proxy/<model_id>`` in Letta)."""
        return self._openai.model_id

    def load(self, script: Mapping[str, Any]) -> None:
        """Use this (already checked) model script for the next runs in this lane."""
        self._script = dict(script)

    def _model(self, side: Side) -> ScriptedModel:
        return self._anthropic.model if side == "claude" else self._openai

    def prepare(self, side: Side) -> None:
        """Reload the script into the side's model, forgetting what an earlier run left."""
        if self._script is None:
            raise RuntimeError("no model script loaded: call load() first")
        model = self._model(side)
        model.reset()
        model.load(self._script)

    def requests(self, side: Side) -> list[Any]:
        """The requests the side's scripted model received since `prepare`."""
        return self._model(side).requests

    def model_requests(self, side: Side) -> list[Any]:
        """The model-turn requests of the last run: every chat completion Letta sent, and the CLI's
        Messages requests that name their tools (an empty list too); its side calls name none."""
        completions = self._model(side).completions
        return completions if side == "compat" else [r for r in completions if "tools" in r.body]

    def env(self, side: Side, home: Path) -> dict[str, str]:
        """Variables that point one side at its fake (merged over the child's environment)."""
        if side == "claude":
            # the CLI's default model is the lane's model id, the one claude-compat's handle names,
            # so both sides run (and tell the model, and price) one model where the program names none
            return {**offline_claude_env(self._anthropic.base_url, home), "ANTHROPIC_MODEL": self.model_id}
        env = {
            "LETTA_BASE_URL": self._backends.letta_url,
            "CLAUDE_COMPAT_MODEL": f"openai-proxy/{self.model_id}",
            "CLAUDE_COMPAT_HOME": str(home / ".claude-compat"),
            "HOME": str(home),
        }
        if self._backends.letta_api_key is not None:
            env["LETTA_API_KEY"] = self._backends.letta_api_key
        return env


class ScriptedBackends:
    """The offline pair behind ``--scripted``: a scripted Anthropic API for the Claude side, and a
    scripted OpenAI-compatible model behind a Letta server for claude-compat, both from one script.

    Pass `letta_url` (with `model_port`, the port that Letta's model endpoint points at, or a
    running `model_server`, and `letta_api_key` when it wants one) to reuse a Letta server;
    otherwise one is started (about 30 s).
    The Letta server must have seen the model ids of all `lanes` (`lane_model_ids`) when it
    started. `lanes` runs may go on at once, each in a `lane` of its own; one pair serves many
    programs: `load` a script, or give one to `lane`.
    """

    def __init__(
        self,
        script: Mapping[str, Any] | str | Path | None = None,
        *,
        letta_url: str | None = None,
        letta_api_key: str | None = None,
        model_port: int | None = None,
        model_server: ScriptedModelServer | None = None,
        model_id: str = SCRIPTED_MODEL_ID,
        lanes: int = 1,
        status: Callable[[str], None] | None = None,
    ) -> None:
        from claude_compat.errors import InvalidOptionError

        if lanes < 1:
            raise InvalidOptionError(f"lanes must be at least 1, got {lanes}")
        self._script: dict[str, Any] | None = None
        if script is not None:
            self.load(script)
        self._letta_url = letta_url.rstrip("/") if letta_url else None
        self._letta_api_key = letta_api_key
        self._model_port = model_port
        self._given_model_server = model_server
        self._model_ids = lane_model_ids(lanes, model_id)
        self._status = status or (lambda text: None)
        self._free: queue.Queue[ScriptedLane] = queue.Queue()
        self._letta: Any = None
        self._started = False
        self._stack = contextlib.ExitStack()

    @property
    def letta_url(self) -> str:
        """The Letta server claude-compat talks to."""
        if self._letta_url is not None:
            return self._letta_url
        if self._letta is None:
            raise RuntimeError("the scripted backends are not started")
        return str(self._letta.base_url)

    @property
    def letta_api_key(self) -> str | None:
        """The token of that Letta server (a local one answers its owner only), if it wants one."""
        if self._letta_url is not None:
            return self._letta_api_key
        if self._letta is None:
            raise RuntimeError("the scripted backends are not started")
        return str(self._letta.api_key)

    def start(self) -> ScriptedBackends:
        """Start the fakes (and a Letta server unless one was given); returns self."""
        from claude_compat.testing._anthropic import AnthropicScriptedServer
        from claude_compat.testing._openai import ScriptedModelServer
        from claude_compat.testing._script import ScriptedModel

        try:
            models = [ScriptedModel(model_id) for model_id in self._model_ids]
            if self._given_model_server is not None:
                openai = self._given_model_server
                openai.more_models.update((m.model_id, m) for m in models[1:])
                models[0] = openai.model
            else:
                openai = ScriptedModelServer(models[0], port=self._model_port or 0, more_models=models[1:])
                try:
                    openai.start()
                except OSError as exc:
                    from claude_compat.errors import InvalidOptionError

                    raise InvalidOptionError(
                        f"cannot serve the scripted model on port {self._model_port}: {exc}; "
                        "choose a free --model-port (the one your Letta server's model endpoint uses)"
                    ) from exc
                self._stack.callback(openai.stop)
            for model in models:
                anthropic = AnthropicScriptedServer(ScriptedModel(SCRIPTED_MODEL_ID)).start()
                self._stack.callback(anthropic.stop)
                self._free.put(ScriptedLane(anthropic, model, self))
            if self._letta_url is None:
                from letta_backend.server import LocalLettaServer

                self._status("starting a local Letta server for the claude-compat side (about 30 s)")
                letta = LocalLettaServer(model_base_url=openai.base_url)
                letta.start()
                self._stack.callback(letta.stop)
                self._letta = letta
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        """Stop what `start` started (a given Letta server or model server is left running)."""
        self._stack.close()
        self._free = queue.Queue()
        self._letta = None
        self._started = False

    def __enter__(self) -> ScriptedBackends:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def load(self, script: Mapping[str, Any] | str | Path) -> None:
        """Use this model script (a mapping, JSON text or a file) for runs given no other."""
        self._script = _checked_script(script)

    @contextlib.contextmanager
    def lane(self, script: Mapping[str, Any] | str | Path | None = None) -> Iterator[ScriptedLane]:
        """A free lane (waiting for one) with `script` (else the loaded one), for one program's runs."""
        data = _checked_script(script) if script is not None else self._script
        if data is None:
            raise RuntimeError("no model script loaded: call load() first")
        if not self._started:
            raise RuntimeError("the scripted backends are not started")
        lane = self._free.get()
        try:
            lane.load(data)
            yield lane
        finally:
            self._free.put(lane)


def _checked_script(script: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """The model script as a dict, refused now, with its own error message, when it is invalid."""
    from claude_compat.errors import InvalidOptionError
    from claude_compat.testing._script import ScriptedModel

    data = _read_script(script)
    try:
        ScriptedModel().load(data)
    except (TypeError, ValueError) as exc:
        raise InvalidOptionError(f"the model script {_script_name(script)} is not valid: {exc}") from exc
    return data


#: Variables removed from a scripted child's environment: they would point it elsewhere.
_SCRIPTED_UNSET: dict[Side, tuple[str, ...]] = {
    "claude": (
        "ANTHROPIC_AUTH_TOKEN",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "CLAUDE_CODE_USE_BEDROCK",
        "CLAUDE_CODE_USE_VERTEX",
    ),
    "compat": ("LETTA_API_KEY",),
}


def _script_name(script: Mapping[str, Any] | str | Path) -> str:
    if isinstance(script, Mapping) or str(script).lstrip().startswith("{"):
        return "(inline)"
    return str(script)


def _read_script(script: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """The model script as a dict (a mapping, JSON text or a file), with a clear error."""
    from claude_compat.errors import InvalidOptionError

    if isinstance(script, Mapping):
        return dict(script)
    text = str(script)
    if not text.lstrip().startswith("{"):
        try:
            text = Path(script).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidOptionError(f"cannot read the model script {script}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidOptionError(f"the model script {script} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidOptionError(
            f"the model script {script} must hold a JSON object with turns, rules, default"
        )
    return data


def _check_claude_sdk() -> None:
    """Refuse early, with the fix, when the real SDK is missing from this Python."""
    from claude_compat.errors import CLINotFoundError

    if importlib.util.find_spec("claude_agent_sdk") is None:
        raise CLINotFoundError(
            "the real claude_agent_sdk is not installed in this Python "
            f"({sys.executable}); install it (pip install claude-agent-sdk) to run the Claude side"
        )


def run_ab(
    script: str | Path,
    args: Sequence[str] = (),
    *,
    runs: int = 1,
    out_dir: str | Path,
    scripted: Mapping[str, Any] | str | Path | None = None,
    backends: ScriptedBackends | None = None,
    letta_url: str | None = None,
    model_port: int | None = None,
    cwd: str | Path | None = None,
    timeout: float = 300.0,
    keep_temp: bool = False,
    parallel: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    status: Callable[[str], None] | None = None,
) -> ABReport:
    """Run `script` `runs` times on each side and return the report (traces are in `out_dir`).

    With `scripted` (or started `backends`) both sides run offline from one model script (in a
    lane of `backends` of their own, so other programs may run on them at the same time), each
    in a fresh temporary work dir and home; otherwise both run live in `cwd` (default: here).
    `parallel` runs the two sides of a run at the same time: faster, but each slows the other,
    so timings compare less well. `progress(done, total, label)` is called around each side run.
    """
    from claude_compat.errors import InvalidOptionError

    program = Path(script).resolve()
    if not program.is_file():
        raise InvalidOptionError(f"no program at {script}: give the path of a Python file to run")
    if runs < 1:
        raise InvalidOptionError(f"--runs must be at least 1, got {runs}")
    _check_claude_sdk()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if backends is None and scripted is not None:
            backends = stack.enter_context(
                ScriptedBackends(
                    scripted,
                    letta_url=letta_url,
                    # a given server's token: the user's LETTA_API_KEY (a local server wants one)
                    letta_api_key=os.environ.get("LETTA_API_KEY") if letta_url else None,
                    model_port=model_port,
                    status=status,
                )
            )
        lane = stack.enter_context(backends.lane(scripted)) if backends is not None else None
        pairs: list[RunPair] = []
        total = runs * len(SIDES)
        done = 0
        lock = threading.Lock()

        def one(index: int, side: Side) -> SideRun:
            nonlocal done
            label = f"{SIDE_NAMES[side]} (run {index + 1}/{runs})"
            if progress is not None:
                with lock:
                    progress(done, total, f"running {label}")
            result = _run_side(
                side,
                program,
                args,
                run=index,
                run_dir=out / f"run-{index + 1}",
                lane=lane,
                cwd=Path(cwd) if cwd is not None else None,
                timeout=timeout,
                keep_temp=keep_temp,
            )
            with lock:
                done += 1
                if progress is not None:
                    progress(done, total, f"finished {label}")
            return result

        for index in range(runs):
            if parallel:
                with ThreadPoolExecutor(max_workers=len(SIDES)) as pool:
                    futures = {side: pool.submit(one, index, side) for side in SIDES}
                sides = {side: future.result() for side, future in futures.items()}
            else:
                sides = {side: one(index, side) for side in SIDES}
            pairs.append(RunPair(index, sides["claude"], sides["compat"]))
    return ABReport(
        script=program,
        args=list(args),
        scripted=lane is not None,
        runs=pairs,
        out_dir=out,
    )


def _run_side(
    side: Side,
    program: Path,
    args: Sequence[str],
    *,
    run: int,
    run_dir: Path,
    lane: ScriptedLane | None,
    cwd: Path | None,
    timeout: float,
    keep_temp: bool,
) -> SideRun:
    """Run the program once on one side in a child process and read back its trace."""
    from letta_backend._process import kill_child, spawn_group  # not at the top: the child loads this file

    run_dir.mkdir(parents=True, exist_ok=True)
    trace = run_dir / f"{side}.jsonl"
    stdout_path = run_dir / f"{side}.stdout.txt"
    stderr_path = run_dir / f"{side}.stderr.txt"
    trace.unlink(missing_ok=True)
    env = dict(os.environ)
    placeholders: dict[str, str] = {}
    temp: Path | None = None
    if lane is not None:
        temp = Path(tempfile.mkdtemp(prefix=f"claude-compat-ab-{side}-"))
        work, home = temp / "work", temp / "home"
        work.mkdir()
        (home / ".claude").mkdir(parents=True)
        for name in _SCRIPTED_UNSET[side]:
            env.pop(name, None)
        env.update(lane.env(side, home))
        lane.prepare(side)
        child_cwd = cwd if cwd is not None else work
        # imported here: the child's bootstrap loads this file on its own, outside the package
        from claude_compat._internal.store_keys import project_key_for_directory

        placeholders = {
            str(work): "<cwd>",
            str(home): "<home>",
            str(temp): "<tmp>",
            project_key_for_directory(work): "<cwd-key>",  # the CLI's project folder name for it
        }
    else:
        child_cwd = cwd if cwd is not None else Path.cwd()
        placeholders = {str(child_cwd.resolve()): "<cwd>"}
    env[TRACE_ENV] = str(trace)
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-c", _bootstrap_code(), side, str(program), *args]
    started = time.perf_counter()
    timed_out = False
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        # in a process group of its own: the Claude CLI is a grandchild, and a timeout kills the group
        proc = spawn_group(command, stdout=out, stderr=err, env=env, cwd=child_cwd)
        try:
            exit_code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            exit_code = None
        kill_child(proc)  # and whatever the program left running
    wall = time.perf_counter() - started
    records = load_trace(trace)
    requests: list[dict[str, Any]] = []
    if lane is not None:  # what the model was sent, for the request comparison
        text = _replace_paths(
            json.dumps([r.body for r in lane.model_requests(side)], default=str),
            {**placeholders, **_session_placeholders(records)},
        )
        requests = json.loads(_run_neutral(text))
        (run_dir / f"{side}.requests.json").write_text(json.dumps(requests, indent=1), encoding="utf-8")
    if temp is not None and not keep_temp:
        shutil.rmtree(temp, ignore_errors=True)
    return SideRun(
        side=side,
        run=run,
        exit_code=exit_code,
        wall_s=wall,
        trace_path=trace,
        stdout_path=stdout_path,
        stderr_path=stderr_path,
        records=records,
        placeholders=placeholders,
        timed_out=timed_out,
        model_requests=requests,
    )


#: A subagent's agentId, drawn at random per run, which the model reads (in a result, in a path).
_AGENT_ID = re.compile(r"\ba[0-9a-f]{16}\b")


def _session_placeholders(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The session ids a side's messages name, numbered in order (``<session-1>``), to read its model
    requests with (a Letta request names other UUIDs too: its own ids, in its framing)."""
    ids = dict.fromkeys(str(r["session_id"]) for r in records if r.get("session_id"))
    return {sid: f"<session-{n}>" for n, sid in enumerate(ids, 1)}


#: A subagent's wall-clock time in its hand-back (``<usage>… duration_ms: 392</usage>``).
_WALL_CLOCK = re.compile(r"(?<=duration_ms: )\d+")


def _run_neutral(text: str) -> str:
    """A side's model requests with each subagent id numbered in order of appearance (``<agent-1>``)
    and wall-clock durations as ``<ms>``: what differs from run to run reads alike."""
    text = _AGENT_ID.sub(functools.partial(_agent_number, {}), text)
    return _WALL_CLOCK.sub("<ms>", text)


def _agent_number(seen: dict[str, str], match: re.Match[str]) -> str:
    return seen.setdefault(match.group(0), f"<agent-{len(seen) + 1}>")


def load_trace(path: str | Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines trace (a torn last line, from a killed child, is skipped)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        with contextlib.suppress(json.JSONDecodeError):
            record = json.loads(line)
            if isinstance(record, dict):
                records.append(record)
    return records


# =============================================================================================
# Normalisation: what is compared, and how
# =============================================================================================


@dataclass(frozen=True)
class Normalisation:
    """One row of the normaliser table: a field, what happens to it before comparing, and why.

    `field` is a key name matched at any depth, or ``Type.key`` to match it only inside records
    or blocks of that type (the ``type`` the recorder gave them); for ``collapse`` it is a
    message kind (see `kind`) whose runs of equal messages count as one; for ``thread-order`` the
    field naming the thread a message belongs to (it compares as is; the records are reordered).
    """

    field: str
    action: Literal[
        "drop",
        "number",
        "keys",
        "model-keys",
        "presence",
        "init-subset",
        "event-type",
        "collapse",
        "handback-text",
        "thread-order",
    ]
    reason: str


#: The normaliser, as a table (rendered at the end of every report). Strings anywhere also have
#: the run's own temporary paths (work dir, home) replaced by ``<cwd>``, ``<home>``, ``<tmp>``.
NORMALISATIONS: tuple[Normalisation, ...] = (
    Normalisation("t", "drop", "seconds since the program started: reported as timing, never compared"),
    Normalisation("uuid", "drop", "random per message"),
    Normalisation("user_message_uuid", "drop", "random per prompt"),
    Normalisation("user_message_uuids", "drop", "random per prompt"),
    Normalisation("duration_ms", "drop", "wall clock: reported as timing"),
    Normalisation("duration_api_ms", "drop", "wall clock: reported as timing"),
    Normalisation("durationMs", "presence", "a tool's own run time: compare that it is reported"),
    Normalisation(
        "session_id",
        "number",
        "random per session: numbered by first appearance (<session-1>), so 'same session' still compares",
    ),
    Normalisation(
        "message_id",
        "number",
        "random per model reply: numbered (<message-1>), so blocks of one reply still share one",
    ),
    Normalisation(
        "ToolUseBlock.id", "number", "tool-use ids: numbered (<tool-1>) like the results naming them"
    ),
    Normalisation(
        "tool_use_id", "number", "numbered with the ToolUseBlock ids, so each result names its call"
    ),
    Normalisation(
        "AssistantMessage.model", "drop", "each side names its own model (a Claude id, a Letta handle)"
    ),
    Normalisation(
        "usage",
        "keys",
        "token counts follow each backend's accounting: compare which counters exist "
        "(an AssistantMessage's usage is what the model API sent; offline, what the scripted API sent)",
    ),
    Normalisation(
        "ResultMessage.model_usage",
        "model-keys",
        "keyed by model name: compare the counters reported per model",
    ),
    Normalisation(
        "ResultMessage.total_cost_usd", "presence", "prices differ by model: compare that a cost is there"
    ),
    Normalisation(
        "SystemMessage.data",
        "init-subset",
        "init: only subtype, mcp_servers and which of the tools the program called are listed "
        "(the rest describes each backend); other subtypes: ids numbered, estimates dropped",
    ),
    Normalisation(
        "ThinkingBlock.signature",
        "presence",
        "an opaque token the model provider signs: compare that there is one",
    ),
    Normalisation(
        "task_id", "number", "random per subagent task: numbered (<task-1>), so a task's messages still match"
    ),
    Normalisation("run_id", "number", "random per subagent run: numbered (<run-1>)"),
    Normalisation(
        "runId", "number", "a notification turn's origin names its task's run: numbered with run_id"
    ),
    Normalisation("new_conversation_id", "number", "random per /clear: numbered (<conversation-1>)"),
    Normalisation(
        "agentId",
        "number",
        "a subagent's id is its task's (random): numbered with the task ids, so it must name its task",
    ),
    Normalisation("totalDurationMs", "presence", "a subagent's wall clock: compare that it is reported"),
    Normalisation(
        "resolvedModel",
        "presence",
        "the model a subagent ran: each side names its own (a Claude id, a Letta handle)",
    ),
    Normalisation(
        "text.text",
        "handback-text",
        "in a tool result's text, a subagent's id (after 'agentId: ' and 'to: ') is numbered with the "
        "task ids, the wall clock in its '<usage>' trailer is dropped and a background launch's "
        "'output_file: ' path (under the temporary directory) is a placeholder; the rest compares as is",
    ),
    Normalisation(
        "outputFile", "presence", "a background subagent's file under the temporary directory, by task id"
    ),
    Normalisation("end_time", "drop", "wall clock (a subagent task's end)"),
    Normalisation("output_file", "presence", "a file under the temporary directory, named by the task id"),
    Normalisation("retry_delay_ms", "drop", "api_retry backoff carries random jitter"),
    Normalisation("estimated_tokens", "drop", "thinking-token estimates follow how the wire chunks thinking"),
    Normalisation(
        "estimated_tokens_delta", "drop", "thinking-token estimates follow how the wire chunks thinking"
    ),
    Normalisation(
        "StreamEvent.event", "event-type", "raw stream events: compare the event and delta types only"
    ),
    Normalisation(
        "Sys:thinking_tokens",
        "collapse",
        "a run of these becomes one: there is one per thinking chunk, and chunking is the wire's",
    ),
    Normalisation(
        "SE:content_block_delta",
        "collapse",
        "a run of these (same delta type) becomes one: chunking is the wire's",
    ),
    Normalisation(
        "parent_tool_use_id",
        "thread-order",
        "a background subagent (its messages follow its launch's tool result) runs beside the main "
        "agent, so the two threads interleave by timing: its messages (parent_tool_use_id, and the "
        "task messages of its task_id, with the background_tasks_changed that closes it) move, in their "
        "own order, to right after its launch result; each thread's order and every message still compare",
    ),
    Normalisation(
        "stdout",
        "thread-order",
        "when a background subagent ran (on either side), what the program printed compares as its "
        "lines sorted: it prints as the threads interleave, and the messages compare each thread's order",
    ),
)

_NUMBER_SPACES = {
    "session_id": "session",
    "message_id": "message",
    "id": "tool",
    "tool_use_id": "tool",
    "task_id": "task",
    "run_id": "run",
    "runId": "run",
    "new_conversation_id": "conversation",
    "agentId": "task",
}
#: A subagent's id where the CLI's hand-back and launch texts name it, and the hand-back's wall clock.
_AGENT_ID_IN_TEXT = re.compile(r"(?<=agentId: )a[0-9a-f]{16}\b|(?<=to: ')a[0-9a-f]{16}\b")
_HANDBACK_DURATION = re.compile(r"(?<=\nduration_ms: )\d+(?=</usage>)")
_LAUNCH_OUTPUT_FILE = re.compile(r"(?<=\noutput_file: )[^\n]+")
_HIDDEN = ("ab.start", "ab.call", "ab.end")  # recorder bookkeeping, not messages


def _rules() -> dict[str, Normalisation]:
    return {row.field: row for row in NORMALISATIONS}


class _Normaliser:
    """Applies `NORMALISATIONS` to the records of one side of one run."""

    def __init__(self, placeholders: Mapping[str, str], used_tools: set[str]) -> None:
        # Longest paths first, so /tmp/x/work is replaced before /tmp/x.
        self._paths = sorted(placeholders.items(), key=lambda item: -len(item[0]))
        self._used = used_tools
        self._rules = _rules()
        self._numbers: dict[str, dict[str, str]] = {}

    def record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out = self._dict(record, owner=str(record.get("type", "")), top=record)
        return out

    def _number(self, space: str, raw: Any) -> Any:
        if not isinstance(raw, str) or not raw:
            return raw
        table = self._numbers.setdefault(space, {})
        if raw not in table:
            table[raw] = f"<{space}-{len(table) + 1}>"
        return table[raw]

    def _rule(self, owner: str, key: str) -> Normalisation | None:
        return self._rules.get(f"{owner}.{key}") or self._rules.get(key)

    def _dict(self, data: Mapping[str, Any], *, owner: str, top: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            rule = self._rule(owner, key)
            if rule is None or rule.action == "thread-order":  # that one orders records, see normalise
                out[key] = self._value(value, top=top)
            elif rule.action == "number":
                out[key] = self._number(_NUMBER_SPACES[key], value)
            elif rule.action == "keys":
                out[key] = sorted(value) if isinstance(value, Mapping) else value
            elif rule.action == "model-keys":
                out[key] = _model_keys(value)
            elif rule.action == "presence":
                out[key] = "<present>" if value not in (None, "") else None
            elif rule.action == "init-subset":
                out[key] = self._system_data(value, subtype=top.get("subtype"))
            elif rule.action == "event-type":
                out[key] = _event_shape(value)
            elif rule.action == "handback-text":
                out[key] = self._handback_text(self._value(value, top=top))
            # "drop": leave it out
        return out

    def _value(self, value: Any, *, top: Mapping[str, Any]) -> Any:
        if isinstance(value, Mapping):
            owner = value.get("type")
            return self._dict(value, owner=owner if isinstance(owner, str) else "", top=top)
        if isinstance(value, list):
            return [self._value(v, top=top) for v in value]
        if isinstance(value, str):
            for raw, placeholder in self._paths:
                value = value.replace(raw, placeholder)
        return value

    def _handback_text(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = _AGENT_ID_IN_TEXT.sub(lambda m: self._number("task", m.group(0)), value)
        value = _LAUNCH_OUTPUT_FILE.sub("<output-file>", value)
        return _HANDBACK_DURATION.sub("<duration>", value)

    def _system_data(self, data: Any, *, subtype: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        if subtype != "init":
            return self._dict(data, owner="", top={})
        tools = data.get("tools")
        servers = data.get("mcp_servers")
        tools = tools if isinstance(tools, list) else []
        servers = servers if isinstance(servers, list) else []
        return {
            "subtype": data.get("subtype"),
            "tools (of those called)": sorted(
                self._used.intersection(t for t in tools if isinstance(t, str))
            ),
            "mcp_servers": sorted(
                (f"{s.get('name')}: {s.get('status')}" for s in servers if isinstance(s, Mapping)), key=str
            ),
        }


def _model_keys(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    keys: set[str] = set()
    for per_model in value.values():
        if isinstance(per_model, Mapping):
            keys.update(str(k) for k in per_model)
    return sorted(keys)


def _event_shape(event: Any) -> Any:
    if not isinstance(event, Mapping):
        return event
    shape: dict[str, Any] = {"type": event.get("type")}
    for key in ("delta", "content_block"):
        inner = event.get(key)
        if isinstance(inner, Mapping) and "type" in inner:
            shape[key] = inner["type"]
    return shape


def tools_called(records: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """(name, input) of every ToolUseBlock in a trace, in order."""
    calls = []
    for record in records:
        if record.get("type") != "AssistantMessage":
            continue
        for block in record.get("content") or []:
            if isinstance(block, Mapping) and block.get("type") == "ToolUseBlock":
                calls.append((str(block.get("name")), block.get("input")))
    return calls


def normalise(
    records: Sequence[Mapping[str, Any]],
    *,
    placeholders: Mapping[str, str] | None = None,
    used_tools: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The comparable form of a trace: messages (and raised errors) after `NORMALISATIONS`.

    `used_tools` are the tools whose presence in the init message is compared (default: the
    tools this trace called; `compare` passes those called on either side).
    """
    used = used_tools if used_tools is not None else {name for name, _ in tools_called(records)}
    normaliser = _Normaliser(placeholders or {}, used)
    collapse = {row.field for row in NORMALISATIONS if row.action == "collapse"}
    out: list[dict[str, Any]] = []
    for record in _threads_in_order(records)[0]:
        if record.get("type") in _HIDDEN:
            continue
        normalised = normaliser.record(record)
        if out and kind(record) in collapse and normalised == out[-1]:
            continue
        out.append(normalised)
    return out


def _task_id(record: Mapping[str, Any]) -> Any:
    data = record.get("data")
    return record.get("task_id") or (data.get("task_id") if isinstance(data, Mapping) else None)


def _result_ids(record: Mapping[str, Any]) -> list[Any]:
    """The tool_use_ids a UserMessage's tool results answer."""
    content = record.get("content") if record.get("type") == "UserMessage" else None
    if not isinstance(content, list):
        return []
    return [
        b.get("tool_use_id") for b in content if isinstance(b, Mapping) and b.get("type") == "ToolResultBlock"
    ]


def _threads_in_order(records: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], bool]:
    """The records with each background subagent's thread moved to right after its launch result,
    and whether a subagent ran in the background.

    A subagent runs in the background when its messages (``parent_tool_use_id`` naming its Agent
    call) come after the tool result of that call: it then runs beside the main agent, and where
    its messages fall among the main agent's depends on timing. Its messages, its task's messages
    after the launch (by ``task_id``) and the ``background_tasks_changed`` right after its task's
    notification move, in their own order, to follow the launch result. A foreground subagent's
    messages (before its result) and every other message stay where they are.
    """
    launched: dict[Any, int] = {}  # Agent call id -> index of its tool result
    for index, record in enumerate(records):
        for call_id in _result_ids(record):
            launched.setdefault(call_id, index)
    task_call: dict[Any, Any] = {}  # task id -> the Agent call it runs
    for record in records:
        data = record.get("data")
        call = record.get("tool_use_id") or (data.get("tool_use_id") if isinstance(data, Mapping) else None)
        if record.get("type") == "TaskStartedMessage" and _task_id(record) and call:
            task_call[_task_id(record)] = call
    threads: dict[Any, list[Mapping[str, Any]]] = {}
    rest: list[Mapping[str, Any]] = []
    owner_of_last: Any = None
    for index, record in enumerate(records):
        owner = record.get("parent_tool_use_id") or task_call.get(_task_id(record))
        if (
            owner is None
            and record.get("subtype") == "background_tasks_changed"
            and owner_of_last is not None
        ):
            data = record.get("data")
            if isinstance(data, Mapping) and not data.get("tasks"):
                owner = owner_of_last  # the task list emptied as that task ended
        background = owner is not None and owner in launched and launched[owner] < index
        owner_of_last = owner if background and record.get("type") == "TaskNotificationMessage" else None
        if background:
            threads.setdefault(owner, []).append(record)
        else:
            rest.append(record)
    if not threads:
        return list(records), False
    out: list[Mapping[str, Any]] = []
    for record in rest:
        out.append(record)
        for call_id in _result_ids(record):
            if launched.get(call_id) is not None and records[launched[call_id]] is record:
                out.extend(threads.pop(call_id, []))
    return out, True


def kind(record: Mapping[str, Any]) -> str:
    """A short label of a message: ``Sys:init``, ``A[Text]``, ``U[ToolResult!]``, ``Result:success``…

    ``!`` marks an error tool result; ``Result:…/error`` an is_error result; an exception the
    SDK raised to the program is ``raise:<class>``.
    """
    kind_name = record.get("type")
    if kind_name == "SystemMessage":
        return f"Sys:{record.get('subtype')}"
    if kind_name in ("AssistantMessage", "UserMessage"):
        content = record.get("content")
        letter = "A" if kind_name == "AssistantMessage" else "U"
        if not isinstance(content, list):
            return f"{letter}[str]"
        parts = []
        for block in content:
            name = str(block.get("type", "?")) if isinstance(block, Mapping) else "?"
            name = name.removesuffix("Block")
            if isinstance(block, Mapping) and block.get("is_error"):
                name += "!"
            parts.append(name)
        return f"{letter}[{','.join(parts)}]"
    if kind_name == "ResultMessage":
        return f"Result:{record.get('subtype')}" + ("/error" if record.get("is_error") else "")
    if kind_name == "StreamEvent":
        event = record.get("event")
        return f"SE:{event.get('type') if isinstance(event, Mapping) else '?'}"
    if kind_name == "ab.raise":
        return f"raise:{record.get('class')}"
    return str(kind_name)


def kinds(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The kind of every message (and raised error) of a trace, in order."""
    return [kind(r) for r in records if r.get("type") not in _HIDDEN]


@dataclass(frozen=True)
class Difference:
    """One way the two sides differ after normalisation.

    `category` groups them: ``kinds`` (the message sequence), ``fields`` (a field of aligned
    messages), ``usage`` (the counters inside usage / model_usage), ``exit code``, ``stdout``.
    """

    category: Literal["kinds", "fields", "usage", "exit code", "stdout"]
    where: str  # "kinds", "message 3 (A[Text])", "stdout", "exit code"
    path: str  # the field, dotted ("content[0].text"), or "" for the whole item
    claude: Any
    compat: Any

    @property
    def key(self) -> str:
        """Where and which field, without the values: stable across runs."""
        return f"{self.where}: {self.path}" if self.path else self.where

    def __str__(self) -> str:
        return f"{self.key}: claude_agent_sdk={_short(self.claude)} claude-compat={_short(self.compat)}"


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_diffs(a: Any, b: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in a:
                yield sub, "<absent>", b[key]
            elif key not in b:
                yield sub, a[key], "<absent>"
            else:
                yield from _field_diffs(a[key], b[key], sub)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _field_diffs(x, y, f"{path}[{index}]")
    elif a != b:
        yield path, a, b


_USAGE_FIELDS = frozenset({"usage", "model_usage"})


def _only(mine: Any, theirs: Any) -> Any:
    """For key lists, the keys only `mine` has (``only: [...]``); otherwise `mine` itself."""
    if isinstance(mine, list) and isinstance(theirs, list):
        return {"only": [k for k in mine if k not in theirs]}
    return mine


def compare(pair: RunPair) -> list[Difference]:
    """Every difference between the two sides of a run, after normalisation.

    The message kinds as one difference; then field by field for the messages the two kind
    sequences align (so one extra message does not hide the rest); then exit codes and what
    the program printed.
    """
    claude, compat = pair.claude, pair.compat
    used = {name for name, _ in tools_called(claude.records)} | {
        name for name, _ in tools_called(compat.records)
    }
    a = normalise(claude.records, placeholders=claude.placeholders, used_tools=used)
    b = normalise(compat.records, placeholders=compat.placeholders, used_tools=used)
    diffs: list[Difference] = []
    kinds_a, kinds_b = [kind(r) for r in a], [kind(r) for r in b]
    if kinds_a != kinds_b:
        diffs.append(Difference("kinds", "kinds", "", kinds_a, kinds_b))
    matcher = difflib.SequenceMatcher(a=kinds_a, b=kinds_b, autojunk=False)
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag != "equal":
            continue
        for offset in range(i2 - i1):
            i, j = i1 + offset, j1 + offset
            where = f"message {i + 1}" if i == j else f"message {i + 1}/{j + 1}"
            where += f" ({kinds_a[i]})"
            for name in _USAGE_FIELDS:  # key lists: report what each side has that the other lacks
                left, right = a[i].get(name), b[j].get(name)
                if left != right:
                    only_a, only_b = _only(left, right), _only(right, left)
                    diffs.append(Difference("usage", where, name, only_a, only_b))
            x = {k: v for k, v in a[i].items() if k not in _USAGE_FIELDS}
            y = {k: v for k, v in b[j].items() if k not in _USAGE_FIELDS}
            for path, left, right in _field_diffs(x, y):
                diffs.append(Difference("fields", where, path, left, right))
    if claude.exit_code != compat.exit_code:
        diffs.append(Difference("exit code", "exit code", "", claude.exit_code, compat.exit_code))
    out_a, out_b = _program_output(claude), _program_output(compat)
    if _threads_in_order(claude.records)[1] or _threads_in_order(compat.records)[1]:
        out_a, out_b = _sorted_lines(out_a), _sorted_lines(out_b)  # printed as the threads interleaved
    if out_a != out_b:
        diffs.append(Difference("stdout", "stdout", "", out_a, out_b))
    return diffs


def _sorted_lines(text: str) -> str:
    return "".join(sorted(text.splitlines(keepends=True)))


def _program_output(run: SideRun) -> str:
    """What the program printed, with the run's temporary paths replaced."""
    try:
        text = run.stdout_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    for raw, placeholder in sorted(run.placeholders.items(), key=lambda item: -len(item[0])):
        text = text.replace(raw, placeholder)
    return text


# =============================================================================================
# Summaries and the report
# =============================================================================================


@dataclass
class SideSummary:
    """What the report shows of one side of one run."""

    kinds: list[str]
    tools: list[str]
    permissions: list[str]
    results: list[str | None]
    turns: list[int]
    tokens_in: int
    tokens_out: int
    cost_usd: float | None
    raised: list[str]
    #: Seconds from the program's first SDK call to the first message.
    first_message_s: float | None
    #: Seconds from the child's start to its first message (interpreter and imports included).
    first_message_since_start_s: float | None
    #: Seconds from the child's start to the program's end.
    program_s: float | None
    wall_s: float
    exit_code: int | None
    sdk: str
    timed_out: bool = False


def _call_line(name: str, tool_input: Any) -> str:
    return f"{name} {json.dumps(tool_input, ensure_ascii=False, sort_keys=True)}"


def _replace_paths(text: str, placeholders: Mapping[str, str]) -> str:
    for raw, placeholder in sorted(placeholders.items(), key=lambda item: -len(item[0])):
        text = text.replace(raw, placeholder)
    return text


def summarise(run: SideRun) -> SideSummary:
    """The report's facts of one side: kinds, tools, permission outcomes, results, tokens, time."""
    records = run.records
    messages = [r for r in records if r.get("type") not in _HIDDEN]
    calls: dict[str, str] = {}
    outcome: dict[str, str] = {}
    notices: set[str] = set()
    denied: set[str] = set()
    results: list[str | None] = []
    turns: list[int] = []
    tokens_in = tokens_out = 0
    cost: float | None = None
    for record in messages:
        kind_name = record.get("type")
        if kind_name == "AssistantMessage":
            for block in record.get("content") or []:
                if isinstance(block, Mapping) and block.get("type") == "ToolUseBlock":
                    call = _call_line(str(block.get("name")), block.get("input"))
                    calls[str(block.get("id"))] = _replace_paths(call, run.placeholders)
        elif kind_name == "UserMessage" and isinstance(record.get("content"), list):
            for block in record["content"]:
                if isinstance(block, Mapping) and block.get("type") == "ToolResultBlock":
                    outcome[str(block.get("tool_use_id"))] = (
                        "error result" if block.get("is_error") else "ran"
                    )
        elif kind_name == "SystemMessage" and record.get("subtype") == "permission_denied":
            data = record.get("data") or {}
            notices.add(str(data.get("tool_use_id")))
        elif kind_name == "ResultMessage":
            results.append(record.get("result"))
            turns.append(int(record.get("num_turns") or 0))
            usage = record.get("usage") or {}
            tokens_in += int(usage.get("input_tokens") or 0)
            tokens_out += int(usage.get("output_tokens") or 0)
            if record.get("total_cost_usd") is not None:
                cost = float(record["total_cost_usd"])
            for denial in record.get("permission_denials") or []:
                if isinstance(denial, Mapping):
                    denied.add(str(denial.get("tool_use_id")))
    permissions = []
    for tool_id, call in calls.items():
        name = call.split(" ", 1)[0]
        if tool_id in denied:
            state = "denied" + (" (Sys:permission_denied)" if tool_id in notices else "")
        else:
            state = {"ran": "allowed", "error result": "allowed, error result"}.get(
                outcome.get(tool_id, ""), "no result"
            )
        permissions.append(f"{name} {tool_id}: {state}")
    times = [float(r["t"]) for r in messages if isinstance(r.get("t"), (int, float))]
    call_times = [
        float(r["t"]) for r in records if r.get("type") == "ab.call" and isinstance(r.get("t"), (int, float))
    ]
    ends = [
        float(r["t"]) for r in records if r.get("type") == "ab.end" and isinstance(r.get("t"), (int, float))
    ]
    starts = [r for r in records if r.get("type") == "ab.start"]
    first = times[0] if times else None
    return SideSummary(
        kinds=kinds(records),
        tools=list(calls.values()),
        permissions=permissions,
        results=[_replace_paths(r, run.placeholders) if isinstance(r, str) else r for r in results],
        turns=turns,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=cost,
        raised=[f"{r.get('class')}: {r.get('message')}" for r in messages if r.get("type") == "ab.raise"],
        first_message_s=(first - call_times[0]) if first is not None and call_times else None,
        first_message_since_start_s=first,
        program_s=ends[-1] if ends else None,
        wall_s=run.wall_s,
        exit_code=run.exit_code,
        sdk=f"{starts[0].get('sdk')} {starts[0].get('version')}" if starts else SIDE_NAMES[run.side],
        timed_out=run.timed_out,
    )


@dataclass
class ABReport:
    """Both sides of every run of one program, with the comparison and the report renderers."""

    script: Path
    args: list[str]
    scripted: bool
    runs: list[RunPair]
    out_dir: Path
    _diffs: dict[int, list[Difference]] = field(default_factory=dict, repr=False)

    def differences(self, run: int = 0) -> list[Difference]:
        """What differs between the sides of one run (see `compare`)."""
        if run not in self._diffs:
            self._diffs[run] = compare(self.runs[run])
        return self._diffs[run]

    def request_differences(self, run: int = 0) -> list[RequestDifference] | None:
        """How the model requests of both sides differ (None: a side sent none, or live).

        The first requests are compared (context, tools, sampling), and the tool results the
        last ones carry, which by then hold every result of the run.
        """
        # imported here: the child's bootstrap loads this file on its own, outside the package
        from claude_compat._internal.model_view import compare_views, from_anthropic, from_openai

        pair = self.runs[run]
        claude, compat = pair.claude.model_requests, pair.compat.model_requests
        if not claude or not compat:
            return None
        claude_results = from_anthropic(claude[-1]).tool_results
        compat_results = from_openai(compat[-1]).tool_results
        return compare_views(
            dataclasses.replace(from_anthropic(claude[0]), tool_results=claude_results),
            dataclasses.replace(from_openai(compat[0]), tool_results=compat_results),
        )

    def later_session_differences(self, run: int = 0) -> list[list[RequestDifference]] | None:
        """How both sides' first requests of each later session differ (a subagent, or a later
        ``query()`` of the program on other options: a request whose system text is new), session by
        session in the order they started; None when the sides started different numbers of them."""
        from claude_compat._internal.model_view import compare_views, from_anthropic, from_openai

        pair = self.runs[run]
        claude = [from_anthropic(r) for r in pair.claude.model_requests]
        compat = [from_openai(r) for r in pair.compat.model_requests]

        def firsts(views: list[Any]) -> list[Any]:
            found: list[Any] = []
            for view in views[1:]:
                if view.system != views[0].system and all(view.system != f.system for f in found):
                    found.append(dataclasses.replace(view, tool_results={}))
            return found

        ours, theirs = firsts(compat), firsts(claude)
        if len(ours) != len(theirs):
            return None
        return [compare_views(a, b) for a, b in zip(theirs, ours, strict=True)]

    def kinds(self, side: Side, run: int = 0) -> list[str]:
        """The message kinds of one side of one run."""
        return kinds(self.runs[run].side(side).records)

    @property
    def kinds_match(self) -> bool:
        """Whether both sides yielded the same message kinds in every run, after normalisation (a run
        of thinking-token notices counts as one, as the differences count it)."""
        return not any(d.category == "kinds" for i in range(len(self.runs)) for d in self.differences(i))

    def summary(self, side: Side, run: int = 0) -> SideSummary:
        """The report's facts of one side of one run."""
        return summarise(self.runs[run].side(side))

    def verdict(self) -> str:
        """One line: do the kinds match, and how many other differences are there."""
        counts: dict[str, int] = {}
        for run in range(len(self.runs)):
            for diff in self.differences(run):
                counts[diff.category] = counts.get(diff.category, 0) + 1
        kinds_text = "message kinds match" if self.kinds_match else "message kinds DIFFER"
        others = ", ".join(f"{n} {cat}" for cat, n in sorted(counts.items()) if cat != "kinds")
        runs = f" over {len(self.runs)} runs" if len(self.runs) > 1 else ""
        return f"{kinds_text}{runs}" + (
            f"; other differences: {others}" if others else "; no other differences"
        )


# --- rendering -------------------------------------------------------------------------------
# One document model (headings, paragraphs, tables, lists, code) rendered to Markdown or HTML.

_Block = tuple[str, Any]


def _aligned_kinds(left: list[str], right: list[str]) -> list[tuple[str, str, str]]:
    """(mark, left, right) rows aligning two kind sequences.

    Marks: ``=`` same, ``≠`` differ, ``-`` only on the Claude side, ``+`` only on claude-compat.
    """
    rows: list[tuple[str, str, str]] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(("=", x, x) for x in left[i1:i2])
        elif tag == "delete":
            rows.extend(("-", x, "") for x in left[i1:i2])
        elif tag == "insert":
            rows.extend(("+", "", y) for y in right[j1:j2])
        else:
            a, b = left[i1:i2], right[j1:j2]
            for index in range(max(len(a), len(b))):
                rows.append(("≠", a[index] if index < len(a) else "", b[index] if index < len(b) else ""))
    return rows


def _fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _fmt_cost(value: float | None) -> str:
    return "—" if value is None else f"{value:.6f}"


def _fmt_exit(summary: SideSummary) -> str:
    return "timed out (killed)" if summary.timed_out else str(summary.exit_code)


def _summary_rows(a: SideSummary, b: SideSummary) -> list[tuple[str, str, str]]:
    def lines(items: Sequence[Any]) -> str:
        return "\n".join(str(i) for i in items) if items else "—"

    return [
        ("SDK", a.sdk, b.sdk),
        ("tools called", lines(a.tools), lines(b.tools)),
        ("permission decisions", lines(a.permissions), lines(b.permissions)),
        ("result text", lines([repr(r) for r in a.results]), lines([repr(r) for r in b.results])),
        ("turns", lines(a.turns), lines(b.turns)),
        ("tokens in / out", f"{a.tokens_in} / {a.tokens_out}", f"{b.tokens_in} / {b.tokens_out}"),
        ("cost (USD)", _fmt_cost(a.cost_usd), _fmt_cost(b.cost_usd)),
        ("raised", lines(a.raised), lines(b.raised)),
        ("first message (s)", _fmt_s(a.first_message_s), _fmt_s(b.first_message_s)),
        (
            "first message, from start (s)",
            _fmt_s(a.first_message_since_start_s),
            _fmt_s(b.first_message_since_start_s),
        ),
        ("total time (s)", _fmt_s(a.program_s), _fmt_s(b.program_s)),
        ("process wall time (s)", _fmt_s(a.wall_s), _fmt_s(b.wall_s)),
        ("exit code", _fmt_exit(a), _fmt_exit(b)),
    ]


def _stats(values: Sequence[float | None]) -> str:
    real = [v for v in values if v is not None]
    if not real:
        return "—"
    if len(real) == 1:
        return f"{real[0]:.2f}"
    return f"{statistics.median(real):.2f} ({min(real):.2f} to {max(real):.2f})"


def _document(report: ABReport) -> list[_Block]:
    a, b = report.summary("claude"), report.summary("compat")
    names = (SIDE_NAMES["claude"], SIDE_NAMES["compat"])
    mode = "scripted model (offline)" if report.scripted else "live"
    runs = len(report.runs)
    doc: list[_Block] = [
        ("h1", f"A/B report: {report.script.name}"),
        (
            "list",
            [
                f"program: {report.script}" + (f" {' '.join(report.args)}" if report.args else ""),
                f"mode: {mode}; runs: {runs}",
                f"traces: {report.out_dir}/run-N/<side>.jsonl "
                "(one JSON object per message, t = seconds since start)",
                f"verdict: {report.verdict()}",
            ],
        ),
        ("h2", "Messages" + (" (run 1)" if runs > 1 else "")),
        ("table", (["", *names], [list(row) for row in _aligned_kinds(a.kinds, b.kinds)])),
        ("h2", "Side by side" + (" (run 1)" if runs > 1 else "")),
        ("table", (["", *names], [list(row) for row in _summary_rows(a, b)])),
    ]
    diffs = report.differences(0)
    doc.append(("h2", "Differences after normalisation" + (" (run 1)" if runs > 1 else "")))
    doc.append(("list", [str(d) for d in diffs]) if diffs else ("p", "None."))
    if runs > 1:
        rows = []
        for side in SIDES:
            summaries = [report.summary(side, i) for i in range(runs)]
            distinct = {tuple(s.kinds) for s in summaries}
            rows.append(
                [
                    SIDE_NAMES[side],
                    _stats([s.first_message_s for s in summaries]),
                    _stats([s.program_s for s in summaries]),
                    _stats([s.wall_s for s in summaries]),
                    "yes" if len(distinct) == 1 else f"no ({len(distinct)} variants)",
                    ", ".join(str(s.exit_code) for s in summaries),
                ]
            )
        doc.append(("h2", f"All {runs} runs (median, min to max)"))
        header = [
            "side",
            "first message (s)",
            "program (s)",
            "wall (s)",
            "same kinds every run",
            "exit codes",
        ]
        doc.append(("table", (header, rows)))
        later: dict[str, int] = {}
        first_keys = {d.key for d in diffs}
        for index in range(1, runs):
            for diff in report.differences(index):
                if diff.key not in first_keys:
                    later[str(diff)] = later.get(str(diff), 0) + 1
        if later:
            doc.append(("h2", "Differences seen only in later runs"))
            doc.append(("list", [f"{text} ({n} runs)" for text, n in later.items()]))
    requests = report.request_differences(0)
    if requests is not None:
        from claude_compat._internal.model_view import LETTA_FRAMING, NORMALISED

        doc.append(("h2", "What the model was sent (first model request" + (", run 1)" if runs > 1 else ")")))
        doc.append(
            (
                "p",
                f"traces: {report.out_dir}/run-1/<side>.requests.json. Letta's own framing is left out: "
                + "; ".join(LETTA_FRAMING.values())
                + ". Read alike: "
                + "; ".join(NORMALISED.values())
                + ".",
            )
        )
        doc.append(("list", [str(d) for d in requests]) if requests else ("p", "No differences."))
    for side in SIDES:
        run = report.runs[0].side(side)
        tail = run.stderr_tail
        if run.exit_code != 0 and tail:
            doc.append(("h2", f"stderr of {SIDE_NAMES[side]} (run 1, last lines)"))
            doc.append(("pre", _replace_paths(tail, run.placeholders)))
    doc.append(("h2", "What the normaliser ignores"))
    doc.append(
        (
            "table",
            (
                ["field", "action", "why"],
                [[row.field, row.action, row.reason] for row in NORMALISATIONS]
                + [
                    [
                        "any string",
                        "paths",
                        "the run's temporary work dir and home become <cwd>, <home>, <tmp>",
                    ]
                ],
            ),
        )
    )
    return doc


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>") or " "


def render_markdown(report: ABReport) -> str:
    """The report as Markdown."""
    out: list[str] = []
    for tag, body in _document(report):
        if tag == "h1":
            out.append(f"# {body}\n")
        elif tag == "h2":
            out.append(f"## {body}\n")
        elif tag == "p":
            out.append(f"{body}\n")
        elif tag == "list":
            out.append("\n".join(f"- {_md_cell(str(item))}" for item in body) + "\n")
        elif tag == "pre":
            out.append(f"```\n{body}\n```\n")
        elif tag == "table":
            header, rows = body
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "---|" * len(header))
            out.extend("| " + " | ".join(_md_cell(str(c)) for c in row) + " |" for row in rows)
            out.append("")
    return "\n".join(out)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;vertical-align:top;text-align:left;"
    "font-family:ui-monospace,monospace;font-size:.9em;white-space:pre-wrap}"
    "th{background:#f3f3f3}tr.diff td{background:#fff1e6}"
)


def render_html(report: ABReport) -> str:
    """The report as one self-contained HTML page."""
    esc = html.escape
    out = [
        "<!doctype html><meta charset=utf-8>"
        f"<title>{esc(report.script.name)} A/B</title><style>{_CSS}</style>"
    ]
    for tag, body in _document(report):
        if tag in ("h1", "h2", "p"):
            out.append(f"<{tag}>{esc(str(body))}</{tag}>")
        elif tag == "list":
            out.append("<ul>" + "".join(f"<li>{esc(str(item))}</li>" for item in body) + "</ul>")
        elif tag == "pre":
            out.append(f"<pre>{esc(str(body))}</pre>")
        elif tag == "table":
            header, rows = body
            out.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>")
            for row in rows:
                marked = row and row[0] in ("≠", "-", "+")
                cells = "".join(f"<td>{esc(str(c))}</td>" for c in row)
                out.append(f"<tr class=diff>{cells}</tr>" if marked else f"<tr>{cells}</tr>")
            out.append("</table>")
    return "\n".join(out) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


#: Side-by-side rows where unequal values are marked ``≠`` (timings and versions always differ).
_MARKED_ROWS = frozenset(
    {"tools called", "permission decisions", "result text", "turns", "tokens in / out", "raised", "exit code"}
)


def render_text(report: ABReport, *, width: int = 100, max_differences: int = 20) -> str:
    """The side-by-side report for a terminal."""
    a, b = report.summary("claude"), report.summary("compat")
    label_w = 31
    col = max(20, (width - label_w - 4) // 2)
    lines = [
        f"claude-compat ab: {report.script.name} "
        f"({len(report.runs)} run{'s' if len(report.runs) > 1 else ''}, "
        + ("scripted model" if report.scripted else "live")
        + ")",
        f"{'':{label_w}}  {_clip(SIDE_NAMES['claude'], col):{col}}  {_clip(SIDE_NAMES['compat'], col)}",
    ]

    def row(label: str, left: str, right: str, mark: str = " ") -> None:
        lefts, rights = left.split("\n"), right.split("\n")
        for index in range(max(len(lefts), len(rights))):
            l_text = lefts[index] if index < len(lefts) else ""
            r_text = rights[index] if index < len(rights) else ""
            name = label if index == 0 else ""
            lines.append(
                f"{_clip(name, label_w - 2):{label_w - 2}}{mark} "
                f"{_clip(l_text, col):{col}}  {_clip(r_text, col)}"
            )

    aligned = _aligned_kinds(a.kinds, b.kinds) or [("=", "—", "—")]
    for index, (mark, left, right) in enumerate(aligned):
        row("messages" if index == 0 else "", left, right, " " if mark == "=" else mark)
    for label, left, right in _summary_rows(a, b):
        row(label, left, right, "≠" if label in _MARKED_ROWS and left != right else " ")
    if len(report.runs) > 1:
        for side in SIDES:
            summaries = [report.summary(side, i) for i in range(len(report.runs))]
            lines.append(
                f"{SIDE_NAMES[side]} over {len(summaries)} runs, median (min to max): "
                f"first message {_stats([s.first_message_s for s in summaries])} s, "
                f"total {_stats([s.program_s for s in summaries])} s"
            )
    lines.append(f"verdict: {report.verdict()}")
    diffs = report.differences(0)
    for diff in diffs[:max_differences]:
        lines.append(f"  - {_clip(str(diff), width - 4)}")
    if len(diffs) > max_differences:
        lines.append(f"  … and {len(diffs) - max_differences} more in the report file")
    return "\n".join(lines)


def write_report(report: ABReport, fmt: Literal["md", "html"] = "md") -> Path:
    """Write the Markdown or HTML report (and summary.json) into the report's out dir."""
    path = report.out_dir / f"report.{fmt}"
    path.write_text(render_markdown(report) if fmt == "md" else render_html(report), encoding="utf-8")
    summary = {
        "script": str(report.script),
        "runs": len(report.runs),
        "scripted": report.scripted,
        "kinds_match": report.kinds_match,
        "verdict": report.verdict(),
        "differences": [
            [dataclasses.asdict(d) for d in report.differences(i)] for i in range(len(report.runs))
        ],
        "summaries": {
            side: [dataclasses.asdict(report.summary(side, i)) for i in range(len(report.runs))]
            for side in SIDES
        },
    }
    (report.out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return path
