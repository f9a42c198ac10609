"""Import many Claude sessions into Letta ahead of time (``claude-compat sessions import``).

Each session goes through the one import path ``resume=`` uses (``LettaBackend.import_claude``:
a lock per session id, the registry record written last, a failed or cancelled import rolled
back), so a later ``resume=<id>`` finds it already imported and a second run skips it. Sources
are read strictly; a session that cannot be read whole fails alone, naming its file and line
(or store key), and the others go on.
"""

from __future__ import annotations

import dataclasses
import importlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio

from claude_compat._backend import ClaudeHistory
from claude_compat._internal import transcripts
from claude_compat._internal.claude_sessions import history_of, read_store
from claude_compat._internal.options import session_spec
from claude_compat._internal.store_keys import project_key_for_directory
from claude_compat.errors import ClaudeSDKError, InvalidOptionError, TranscriptError
from claude_compat.types import ClaudeAgentOptions
from letta_backend.backend import LettaBackend
from letta_backend.client import map_error
from letta_backend.registry import SessionRegistry

#: What became of one session. ``would-import`` only in a dry run.
Status = Literal["imported", "skipped", "failed", "would-import"]

#: Sessions imported at once (each is a few requests; the server admits 8 per process by default).
DEFAULT_JOBS = 4


@dataclass(frozen=True)
class Source:
    """One Claude session to import: its id, where it is (file or store key) and how to read it."""

    session_id: str
    where: str
    read: Callable[[], Awaitable[ClaudeHistory]]


@dataclass(frozen=True)
class Outcome:
    """What the import did with one session; ``reason`` says why it failed."""

    session_id: str
    where: str
    status: Status
    messages: int = 0
    reason: str | None = None


@dataclass
class Summary:
    """Every session's outcome, in source order."""

    outcomes: list[Outcome]

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def messages(self) -> int:
        """Messages of the sessions imported (or that a dry run would import)."""
        return sum(o.messages for o in self.outcomes if o.status in ("imported", "would-import"))


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def transcript_sources(root: Path) -> list[Source]:
    """The main transcripts under a Claude projects folder (or one project's folder), sorted."""

    def reader(path: Path) -> Callable[[], Awaitable[ClaudeHistory]]:
        def read() -> ClaudeHistory:
            if not _is_uuid(path.stem):  # the CLI names transcripts <session uuid>.jsonl
                raise TranscriptError(
                    "the file name is not a Claude session id (a UUID), so this is not a session "
                    "transcript the Claude CLI wrote",
                    source=str(path),
                )
            transcript = transcripts.read_transcript(path)
            return history_of(transcript, int(path.stat().st_mtime * 1000))

        return lambda: anyio.to_thread.run_sync(read)

    return [Source(path.stem, str(path), reader(path)) for path in transcripts.transcript_files(root)]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def load_store(spec: str) -> Any:
    """The SessionStore ``MODULE:FACTORY`` builds (FACTORY is called with no arguments)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise InvalidOptionError(f"--store takes MODULE:FACTORY (e.g. mystores:make_store), not {spec!r}")
    try:
        factory: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            factory = getattr(factory, part)
    except (ImportError, AttributeError) as exc:
        raise InvalidOptionError(f"--store {spec}: {exc}") from None
    store = factory() if callable(factory) else factory
    for method in ("load", "list_sessions"):
        if not callable(getattr(store, method, None)):
            raise InvalidOptionError(f"--store {spec} gave a {type(store).__name__}, which has no {method}()")
    return store


async def store_sources(store: Any, directories: Sequence[str], timeout_ms: int) -> list[Source]:
    """The sessions a SessionStore keeps for each project directory (a store lists one project at a time)."""
    found: list[Source] = []
    for directory in directories:
        project_key = project_key_for_directory(directory)
        try:
            with anyio.fail_after(timeout_ms / 1000):
                listed = await store.list_sessions(project_key)
        except NotImplementedError:
            raise InvalidOptionError(
                f"the store {type(store).__name__} cannot list sessions (list_sessions is not "
                "implemented); import its sessions one by one with resume= instead"
            ) from None
        except TimeoutError:
            raise TranscriptError(
                f"the store did not list the project within {timeout_ms} ms",
                source=f"session_store {type(store).__name__} project {project_key}",
            ) from None
        for entry in sorted(listed, key=lambda e: str(e["session_id"])):
            session_id = str(entry["session_id"])
            found.append(
                Source(
                    session_id,
                    f"session_store key {project_key}/{session_id}",
                    _store_reader(store, session_id, directory, timeout_ms, project_key),
                )
            )
    return found


def _store_reader(
    store: Any, session_id: str, directory: str, timeout_ms: int, project_key: str
) -> Callable[[], Awaitable[ClaudeHistory]]:
    async def read() -> ClaudeHistory:
        history = await read_store(store, session_id, directory, timeout_ms)
        if history is None:
            raise TranscriptError(
                "the store no longer has this session", source=f"{project_key}/{session_id}"
            )
        return history

    return read


# ---------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, ClaudeSDKError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _from_the_client(exc: BaseException) -> bool:
    """A failure of the HTTP client (it becomes the typed error a program would get)."""
    return type(exc).__module__.partition(".")[0] in ("letta_client", "httpx", "httpcore")


async def import_sessions(
    sources: Sequence[Source],
    *,
    backend: LettaBackend | None,
    sessions: SessionRegistry,
    dry_run: bool = False,
    jobs: int = DEFAULT_JOBS,
    options: ClaudeAgentOptions | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> Summary:
    """Import every source not yet in ``sessions``; a dry run reads and checks but writes nothing.

    ``backend`` may be None only for a dry run. ``options`` shape the imported agents as a
    program's options would on ``resume=`` (model, system prompt); the session's cwd is its own.
    """
    if backend is None and not dry_run:
        raise ValueError("a backend is needed unless dry_run")
    base = session_spec(options or ClaudeAgentOptions(), first_prompt=None)
    outcomes: list[Outcome | None] = [None] * len(sources)
    limiter = anyio.CapacityLimiter(max(jobs, 1))

    async def one(index: int, source: Source) -> None:
        async with limiter:
            outcome = await _import_one(source, backend, sessions, base, dry_run)
        outcomes[index] = outcome
        if on_done is not None:
            on_done(outcome)

    async with anyio.create_task_group() as tg:
        for index, source in enumerate(sources):
            tg.start_soon(one, index, source)
    return Summary([o for o in outcomes if o is not None])


async def _import_one(
    source: Source,
    backend: LettaBackend | None,
    sessions: SessionRegistry,
    base: Any,
    dry_run: bool,
) -> Outcome:
    def failed(exc: BaseException) -> Outcome:
        reason = _reason(exc)
        if not isinstance(exc, TranscriptError):  # a transcript error names its source already
            reason = f"{source.where}: {reason}"
        return Outcome(source.session_id, source.where, "failed", reason=reason)

    try:
        if await sessions.get(source.session_id) is not None:
            return Outcome(source.session_id, source.where, "skipped")
        history = await source.read()
    except Exception as exc:
        return failed(exc)
    count = len(history.messages)
    if dry_run:
        return Outcome(source.session_id, source.where, "would-import", messages=count)
    assert backend is not None
    spec = dataclasses.replace(base, cwd=history.cwd or base.cwd)
    try:
        if await sessions.get(history.session_id) is not None:  # imported meanwhile (resume=, another run)
            return Outcome(source.session_id, source.where, "skipped")
        await backend.import_claude(spec, history)
    except Exception as exc:
        return failed(map_error(exc, backend.conn) if _from_the_client(exc) else exc)
    return Outcome(source.session_id, source.where, "imported", messages=count)
