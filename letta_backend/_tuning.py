"""Tuning for the Letta 0.16.8 server the launcher runs: named patches that cut a turn's (or a start's) CPU.

Each patch in :data:`PATCHES` (the one table: name, what, why, measured effect) replaces one
piece of upstream code, checks first that this code is what it was written for (a hash of its
source; the text is quoted in tests/fixtures/letta_upstream/), and fails loudly, naming itself
and the setting that switches it off, when Letta changed. One setting picks them:
``CLAUDE_COMPAT_LETTA_TUNING`` = ``all`` (the default) | ``none`` | a comma list of names, where
``-name`` drops one (``all,-sqlite_wal``). The behaviour a client sees is the same either way.

Imported by ``_launcher.py`` inside the server venv (standard library and the server venv's
packages only; never claude-compat) and, for :func:`parse_selection` only, by the parent.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import importlib
import importlib.util
import inspect
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SETTING = "CLAUDE_COMPAT_LETTA_TUNING"
DEFAULT = "all"
SQLITE = "sqlite"
POSTGRES = "postgres"

# The stages a patch runs at: before Letta's settings load (environment), right after the
# database is chosen and before ``letta.server.db`` builds its engine, or on the imported app.
ENV, ENGINE, APP = "env", "engine", "app"

#: The pooled SQLite engine's sizes: a turn opens ~35 sessions; 500 sessions at once queue.
POOL_SIZE = 8
POOL_OVERFLOW = 56
POOL_TIMEOUT = 300.0

#: Marks a function this module installed (so a probe can tell it from the upstream one).
MARK = "__claude_compat_tuning__"


class TuningError(RuntimeError):
    """A tuning patch cannot be applied (bad setting, or Letta's code is not what it expects)."""


@dataclass(frozen=True)
class Target:
    """A piece of upstream code a patch relies on: ``module`` or ``module:Qual.name``, and the
    first 16 hex digits of the sha256 of its source text (file text for a whole module)."""

    where: str
    sha256: str


@dataclass(frozen=True)
class Patch:
    """One named change to the server: what it does, why, what it measured, where it applies."""

    name: str
    what: str
    why: str
    effect: str
    stage: str
    databases: frozenset[str]
    targets: tuple[Target, ...]
    apply: Callable[[Context], str]
    #: a check run once Letta is imported, for a patch whose upstream code is settings, not source
    verify: Callable[[], None] | None = None


@dataclass
class Context:
    """What the patches share: the database kind and the module ``letta.server.db`` once loaded."""

    database: str
    db_module: Any = None


# --- checking upstream code ---------------------------------------------------------------------


def source_of(where: str) -> str:
    """The source text of ``module`` (its file) or ``module:Qual.name`` (the function or class)."""
    module_name, _, qualname = where.partition(":")
    if not qualname:
        spec = importlib.util.find_spec(module_name)
        if spec is None or spec.origin is None:
            raise TuningError(f"module {module_name} not found")
        return Path(spec.origin).read_text(encoding="utf-8")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return inspect.getsource(obj)


def digest(text: str) -> str:
    """The short hash a :class:`Target` pins."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _switch_off_hint(name: str) -> str:
    return f"set {SETTING}=all,-{name} to serve without this patch (or {SETTING}=none for stock Letta)"


def check(patch: Patch) -> None:
    """Raise :class:`TuningError` unless every piece of code ``patch`` replaces is as pinned."""
    for target in patch.targets:
        try:
            found = digest(source_of(target.where))
        except (ImportError, AttributeError, OSError, TypeError, TuningError) as exc:
            raise TuningError(
                f"tuning patch {patch.name!r} cannot find {target.where} ({type(exc).__name__}: {exc}): "
                f"Letta is not the 0.16.8 it was written for; {_switch_off_hint(patch.name)}"
            ) from None
        if found != target.sha256:
            raise TuningError(
                f"tuning patch {patch.name!r} does not apply: {target.where} changed (source sha256 "
                f"{found}, expected {target.sha256}), so Letta is not the 0.16.8 it was written for; "
                f"{_switch_off_hint(patch.name)}"
            )


def _swap(owner: Any, name: str, new: Any) -> Any:
    """Replace ``owner.name`` with ``new`` marked as ours; returns the old value."""
    old = getattr(owner, name)
    setattr(new, MARK, True)
    setattr(owner, name, new)
    return old


# --- the patches ----------------------------------------------------------------------------------


def _settings_off(ctx: Context, fields: dict[str, str]) -> str:
    """Set Letta settings (env ``LETTA_<FIELD>``) unless the caller chose them."""
    del ctx
    if "letta.settings" in sys.modules:
        raise TuningError("letta.settings was imported before the tuning environment was set")
    chosen = []
    for field, value in fields.items():
        variable = f"LETTA_{field.upper()}"
        os.environ.setdefault(variable, value)
        chosen.append(f"{variable}={os.environ[variable]}")
    return ", ".join(chosen)


_BOOKKEEPING = {"track_provider_trace": "false", "enable_db_pool_monitoring": "false"}


def _apply_bookkeeping_off(ctx: Context) -> str:
    return _settings_off(ctx, _BOOKKEEPING)


def _verify_bookkeeping_off() -> None:
    """Letta's settings still have the two fields (pydantic ignores an unknown variable)."""
    settings: Any = importlib.import_module("letta.settings")
    fields = settings.Settings.model_fields
    missing = [name for name in _BOOKKEEPING if name not in fields]
    if missing:
        raise TuningError(
            f"tuning patch 'bookkeeping_off': Letta's settings have no {', '.join(missing)}; "
            + _switch_off_hint("bookkeeping_off")
        )


def _apply_sqlite_pool(ctx: Context) -> str:
    """Build ``letta.server.db``'s engine with a connection pool instead of ``NullPool``."""
    if "letta.server.db" in sys.modules:
        raise TuningError("letta.server.db was imported before the sqlite_pool patch")
    engines: Any = importlib.import_module("sqlalchemy.ext.asyncio")
    pool: Any = importlib.import_module("sqlalchemy.pool")
    original = engines.create_async_engine

    def pooled(url: Any, **kwargs: Any) -> Any:
        if kwargs.get("poolclass") is not pool.NullPool or not str(url).startswith("sqlite"):
            raise TuningError(
                "tuning patch 'sqlite_pool': letta.server.db did not ask for a NullPool SQLite "
                f"engine; {_switch_off_hint('sqlite_pool')}"
            )
        kwargs.update(
            poolclass=pool.AsyncAdaptedQueuePool,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=POOL_TIMEOUT,
            pool_pre_ping=False,  # a local file: a pooled connection does not go stale
        )
        return original(url, **kwargs)

    engines.create_async_engine = pooled
    try:
        ctx.db_module = importlib.import_module("letta.server.db")
    finally:
        engines.create_async_engine = original
    engine_pool = ctx.db_module.engine.pool
    if not isinstance(engine_pool, pool.AsyncAdaptedQueuePool):
        raise TuningError(f"tuning patch 'sqlite_pool' left a {type(engine_pool).__name__}")
    return f"engine pool {type(engine_pool).__name__}(size {POOL_SIZE}, overflow {POOL_OVERFLOW})"


def _db_module(ctx: Context) -> Any:
    if ctx.db_module is None:
        ctx.db_module = importlib.import_module("letta.server.db")
    return ctx.db_module


def _apply_sqlite_wal(ctx: Context) -> str:
    """Every new SQLite connection switches to WAL and ``synchronous=NORMAL``."""
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    engine = _db_module(ctx).engine

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    setattr(on_connect, MARK, True)
    sqlalchemy.event.listen(engine.sync_engine, "connect", on_connect)
    return "each connection: journal_mode=WAL, synchronous=NORMAL"


#: The attribute on an aiosqlite connection holding its busy timeout (ms) while calls run inline.
_BUSY_WAIT = "_claude_compat_busy_ms"
#: SQLite's result code for "another connection holds the lock" (extended codes keep it in the low byte).
_SQLITE_BUSY = 5


def _busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (SQLITE_BUSY or one of its extended codes)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF == _SQLITE_BUSY
    return "database is locked" in str(exc)


def _apply_sqlite_inline(ctx: Context) -> str:
    """Each aiosqlite call runs on the event loop's thread; one that finds the database locked
    runs again on the connection's own thread, with the connection's busy timeout."""
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    core: Any = importlib.import_module("aiosqlite.core")
    engine = _db_module(ctx).engine
    threaded = core.Connection._execute

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        aio = dbapi_connection._connection  # SQLAlchemy's adapter -> aiosqlite -> sqlite3
        raw = aio._conn
        wait_ms = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute("PRAGMA busy_timeout = 0")  # a locked database answers at once, on this thread
        setattr(aio, _BUSY_WAIT, wait_ms)

    def waiting(raw: Any, wait_ms: int, function: Callable[[], Any]) -> Callable[[], Any]:
        """``function`` as the worker thread runs it: with the connection's busy timeout."""

        def run() -> Any:
            raw.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
            try:
                return function()
            finally:
                raw.execute("PRAGMA busy_timeout = 0")

        return run

    @functools.wraps(threaded)
    async def inline(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        wait_ms = getattr(self, _BUSY_WAIT, None)
        if wait_ms is None or not self._running or not self._connection:
            return await threaded(self, fn, *args, **kwargs)  # not set up by on_connect, or closed
        function = functools.partial(fn, *args, **kwargs)
        try:
            return function()
        except Exception as exc:  # sqlite3.OperationalError; a locked statement did nothing
            if not _busy(exc):
                raise
        return await threaded(self, waiting(self._connection, wait_ms, function))

    setattr(on_connect, MARK, True)
    sqlalchemy.event.listen(engine.sync_engine, "connect", on_connect)
    _swap(core.Connection, "_execute", inline)
    return "aiosqlite calls on the event loop's thread; a locked database waits on the connection's thread"


def _apply_ssl_context_cache(ctx: Context) -> str:
    """httpx builds one ``SSLContext`` per (verify, trust_env, CA variables), not one per client."""
    del ctx
    config: Any = importlib.import_module("httpx._config")
    transports: Any = importlib.import_module("httpx._transports.default")
    httpx: Any = importlib.import_module("httpx")
    original = config.create_ssl_context
    if transports.create_ssl_context is not original or httpx.create_ssl_context is not original:
        raise TuningError(
            "tuning patch 'ssl_context_cache': httpx no longer calls httpx._config.create_ssl_context; "
            + _switch_off_hint("ssl_context_cache")
        )
    made: dict[tuple[object, ...], Any] = {}

    @functools.wraps(original)
    def cached(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if not isinstance(verify, bool) or cert is not None:
            return original(verify=verify, cert=cert, trust_env=trust_env)
        env = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")) if trust_env else ()
        key = (verify, trust_env, *env)
        if key not in made:
            made[key] = original(verify=verify, cert=cert, trust_env=trust_env)
        return made[key]

    for owner in (config, transports, httpx):
        _swap(owner, "create_ssl_context", cached)
    same = cached() is cached()
    return f"one SSLContext per CA setting (two clients share it: {same})"


def _apply_quiet_logs(ctx: Context) -> str:
    """Letta's loggers log warnings and errors only (``letta/log.py`` hard-wires INFO)."""
    del ctx
    letta_log: Any = importlib.import_module("letta.log")
    for logger in (logging.getLogger(), letta_log.get_logger()):
        logger.setLevel(logging.WARNING)
    level = logging.getLevelName(letta_log.get_logger("letta.server").getEffectiveLevel())
    return f"Letta loggers at {level}"


def _apply_step_metrics_lock(ctx: Context) -> str:
    """Calls of ``record_step_metrics_async`` for one step run one after the other."""
    del ctx
    step_manager: Any = importlib.import_module("letta.services.step_manager")
    cls = step_manager.StepManager
    original = cls.record_step_metrics_async
    waiting: dict[object, tuple[asyncio.Lock, list[int]]] = {}

    @functools.wraps(original)
    async def serialized(self: Any, *args: Any, **kwargs: Any) -> Any:
        key = kwargs["step_id"] if "step_id" in kwargs else args[1] if len(args) > 1 else None
        lock, users = waiting.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                return await original(self, *args, **kwargs)
        finally:
            users[0] -= 1
            if not users[0]:
                waiting.pop(key, None)

    _swap(cls, "record_step_metrics_async", serialized)
    return "record_step_metrics_async serialized per step id"


_NO_GENERATION = "--no-generation"


def _apply_openapi_file_off(ctx: Context) -> str:
    """Letta's own ``--no-generation`` switch: its app module reads it from ``sys.argv``."""
    del ctx
    if "letta.server.rest_api.app" in sys.modules:
        raise TuningError("letta.server.rest_api.app was imported before --no-generation was set")
    if _NO_GENERATION not in sys.argv:
        sys.argv.append(_NO_GENERATION)
    return "no OpenAPI schema built or openapi_letta.json written at start"


def _verify_openapi_file_off() -> None:
    """Letta's app still reads the switch (an unread switch would cost the start silently)."""
    app: Any = importlib.import_module("letta.server.rest_api.app")
    if f'"{_NO_GENERATION}" in sys.argv' not in inspect.getsource(app.create_application):
        raise TuningError(
            f"tuning patch 'openapi_file_off': Letta's create_application no longer reads "
            f"{_NO_GENERATION}; " + _switch_off_hint("openapi_file_off")
        )


def _apply_uvloop(ctx: Context) -> str:
    """uvicorn serves on uvloop (the server lock installs it); see :func:`event_loop`."""
    del ctx
    found = importlib.util.find_spec("uvloop") is not None
    return "uvloop installed: uvicorn runs it" if found else "uvloop not installed: asyncio loop"


def event_loop(selection: str | None) -> str:
    """uvicorn's ``loop`` for a tuning setting: uvloop where the patch is on and installed, else
    asyncio, so stock Letta (``none``) runs on the loop it runs on without uvloop installed."""
    wanted = "uvloop" in parse_selection(selection)
    return "uvloop" if wanted and importlib.util.find_spec("uvloop") is not None else "asyncio"


_SEQUENCE_TABLE = (
    "CREATE TABLE IF NOT EXISTS message_sequence "
    "(id INTEGER PRIMARY KEY, next_val INTEGER NOT NULL DEFAULT 1)"
)
_SEQUENCE_START = (
    "INSERT OR IGNORE INTO message_sequence (id, next_val) "
    "SELECT 1, COALESCE(MAX(sequence_id), 0) + 1 FROM messages"
)
_SEQUENCE_TAKE = (
    "UPDATE message_sequence SET next_val = next_val + :count WHERE id = 1 RETURNING next_val - :count"
)
_SEQUENCE_BUMP = "UPDATE message_sequence SET next_val = next_val + :count WHERE id = 1"
_SEQUENCE_READ = "SELECT next_val - :count FROM message_sequence WHERE id = 1"

#: The listeners sequence_once installed, by role (``bulk``, ``one``), for sequence_bulk_off to find.
_SEQUENCE_LISTENERS: dict[str, list[Any]] = {"bulk": [], "one": []}


def _apply_sequence_once(ctx: Context) -> str:
    """The message sequence table and its first row are made at start; the listeners only take ids."""
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    orm: Any = importlib.import_module("sqlalchemy.orm")
    message: Any = importlib.import_module("letta.orm.message")
    url = _db_module(ctx).engine.url.set(drivername="sqlite")
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as conn:  # what each upstream listener ran before taking an id, once
            conn.execute(sqlalchemy.text(_SEQUENCE_TABLE))
            conn.execute(sqlalchemy.text(_SEQUENCE_START))
    finally:
        engine.dispose()
    take, bump, read = (sqlalchemy.text(q) for q in (_SEQUENCE_TAKE, _SEQUENCE_BUMP, _SEQUENCE_READ))

    def reserve(executor: Any, count: int) -> Any:
        """Upstream's reservation: ``count`` ids from the sequence row; the first one."""
        first = executor.execute(take, {"count": count}).scalar()
        if first is None:  # upstream's fallback for an SQLite without RETURNING
            executor.execute(bump, {"count": count})
            first = executor.execute(read, {"count": count}).scalar()
        return first

    def bulk(session: Any, _flush_context: Any, _instances: Any) -> None:
        if message.settings.database_engine is not message.DatabaseChoice.SQLITE:
            return
        new = [obj for obj in session.new if isinstance(obj, message.Message) and obj.sequence_id is None]
        if new:
            first = reserve(session, len(new))
            for i, obj in enumerate(new):
                obj.sequence_id = first + i

    def one(_mapper: Any, connection: Any, target: Any) -> None:
        if message.settings.database_engine is message.DatabaseChoice.SQLITE:
            target.sequence_id = reserve(connection, 1)

    for owner, event, old, new_listener in (
        (orm.Session, "before_flush", message.set_sequence_id_for_sqlite_bulk, bulk),
        (message.Message, "before_insert", message.set_sequence_id_for_sqlite, one),
    ):
        if not sqlalchemy.event.contains(owner, event, old):
            raise TuningError(
                f"tuning patch 'sequence_once': letta.orm.message no longer listens to {event} with "
                f"{old.__name__}; {_switch_off_hint('sequence_once')}"
            )
        sqlalchemy.event.remove(owner, event, old)
        _SEQUENCE_LISTENERS["bulk" if new_listener is bulk else "one"].append(new_listener)
        setattr(new_listener, MARK, True)
        sqlalchemy.event.listen(owner, event, new_listener)
    return "message_sequence made at start; a message insert runs one UPDATE … RETURNING (was 3 statements)"


_JSON_LEAVES = (str, int, float, bool, type(None))


def _plain_json(value: object) -> bool:
    """Whether ``value`` is only dicts with str keys, lists, str, int, float, bool and None."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in _JSON_LEAVES:
            continue
        if kind is dict:
            mapping: dict[Any, Any] = item  # type: ignore[assignment]
            if not all(type(key) is str for key in mapping):
                return False
            stack.extend(mapping.values())
        elif kind is list:
            stack.extend(item)  # type: ignore[arg-type]
        else:
            return False
    return True


def _renaming_annotations(root: Any, property_info: Any) -> list[str]:
    """Every field under the TypedDict ``root`` whose openai ``PropertyInfo`` renames or formats it."""
    typing: Any = importlib.import_module("typing")
    found: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [(getattr(root, "__name__", "params"), root)]
    while stack:
        where, tp = stack.pop()
        if id(tp) in seen:
            continue
        seen.add(id(tp))
        metadata: tuple[Any, ...] = getattr(tp, "__metadata__", ())
        for meta in metadata:
            if isinstance(meta, property_info) and (meta.alias or meta.format or meta.format_template):
                found.append(where)
        if typing.is_typeddict(tp):
            hints = typing.get_type_hints(tp, include_extras=True)
            stack.extend((f"{where}.{key}", hint) for key, hint in hints.items())
        stack.extend((where, arg) for arg in typing.get_args(tp))
        origin = typing.get_origin(tp)
        if origin is not None:
            stack.append((where, origin))
    return found


def _apply_openai_plain_body(ctx: Context) -> str:
    """A chat completion request of plain JSON data skips openai's type-driven transform."""
    del ctx
    completions: Any = importlib.import_module("openai.resources.chat.completions.completions")
    transform: Any = importlib.import_module("openai._utils._transform")
    params: Any = importlib.import_module("openai.types.chat.completion_create_params")
    original = completions.async_maybe_transform
    if original is not transform.async_maybe_transform:
        raise TuningError(
            "tuning patch 'openai_plain_body': openai's chat completions no longer call "
            f"openai._utils._transform.async_maybe_transform; {_switch_off_hint('openai_plain_body')}"
        )
    plain_types = (params.CompletionCreateParamsNonStreaming, params.CompletionCreateParamsStreaming)
    renamed = [w for t in plain_types for w in _renaming_annotations(t, transform.PropertyInfo)]
    if renamed:
        raise TuningError(
            f"tuning patch 'openai_plain_body': openai now renames or formats {', '.join(renamed)}, "
            f"so its transform is needed; {_switch_off_hint('openai_plain_body')}"
        )
    is_given = transform.is_given
    taken = [0, 0]

    @functools.wraps(original)
    async def plain_body(data: Any, expected_type: Any) -> Any:
        # the transform drops omitted top-level values and otherwise, with no alias or format
        # anywhere in these types, returns plain JSON data as it is (a copy)
        if expected_type in plain_types and type(data) is dict:
            body = {key: value for key, value in data.items() if is_given(value)}
            if _plain_json(body):
                taken[0] += 1
                return body
        taken[1] += 1
        return await original(data, expected_type)

    plain_body.__dict__["taken"] = taken  # [plain bodies, transformed]: for the differential test
    _swap(completions, "async_maybe_transform", plain_body)
    return (
        "chat completion bodies of plain JSON data skip openai's transform (no alias or format in its types)"
    )


#: True while ``RunManager.update_run_by_id_async`` runs (the run bookkeeping patches key on it).
_IN_RUN_UPDATE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "claude_compat_in_run_update", default=False
)


def _mark_run_updates(run_manager_cls: Any) -> None:
    """Wrap ``RunManager.update_run_by_id_async`` once so that code under it sees ``_IN_RUN_UPDATE``."""
    original = run_manager_cls.update_run_by_id_async
    if getattr(original, MARK, False):
        return

    @functools.wraps(original)
    async def update_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = _IN_RUN_UPDATE.set(True)
        try:
            return await original(self, *args, **kwargs)
        finally:
            _IN_RUN_UPDATE.reset(token)

    _swap(run_manager_cls, "update_run_by_id_async", update_run)


def _apply_stop_reason_update(ctx: Context) -> str:
    """The run's stop reason is written to its agent by one UPDATE, not a full agent update."""
    db = _db_module(ctx)
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    agent_orm: Any = importlib.import_module("letta.orm.agent").Agent
    run_manager: Any = importlib.import_module("letta.services.run_manager")
    agent_manager: Any = importlib.import_module("letta.services.agent_manager")
    no_result: Any = importlib.import_module("letta.orm.errors").NoResultFound
    original = agent_manager.AgentManager.update_agent_async

    @functools.wraps(original)
    async def update_agent(self: Any, *args: Any, **kwargs: Any) -> Any:
        update: Any = kwargs.get("agent_update")
        if (
            args
            or not _IN_RUN_UPDATE.get()
            or set(kwargs) != {"agent_id", "agent_update", "actor"}
            or update.model_fields_set != {"last_stop_reason"}
            or update.last_stop_reason is None
        ):
            return await original(self, *args, **kwargs)
        actor = kwargs["actor"]
        # what upstream's flush writes for this update: the field, updated_at, last_updated_by_id,
        # on the row AgentModel.read_async finds (the id within the actor's organization)
        statement = (
            sqlalchemy.update(agent_orm)
            .where(agent_orm.id == kwargs["agent_id"], agent_orm.organization_id == actor.organization_id)
            .values(
                last_stop_reason=update.last_stop_reason,
                updated_at=datetime.now(timezone.utc),
                _last_updated_by_id=actor.id,
            )
            .execution_options(synchronize_session=False)
        )
        async with db.db_registry.async_session() as session, session.begin():
            result = await session.execute(statement)
        if result.rowcount != 1:
            # as AgentModel.read_async would; the caller logs it
            raise no_result(f"Agent with id {kwargs['agent_id']} not found")
        return None  # the caller (update_run_by_id_async) does not use the agent state

    _mark_run_updates(run_manager.RunManager)
    _swap(agent_manager.AgentManager, "update_agent_async", update_agent)
    return "a run's terminal stop reason: one UPDATE of the agent row (was a full agent load, update, reload)"


#: What ``update_run_by_id_async`` passes when it lists a run's steps only to count them, and its
#: messages only to collect the names of the tools they called (the upstream defaults apply).
_COUNT_STEPS_CALL = frozenset({"run_id", "actor"})
_TOOL_NAMES_CALL = frozenset({"actor", "run_id"})
#: The upstream default ``limit`` of both listings (``list_steps_async``, ``list_messages``).
_LIST_LIMIT = 50


@dataclass(frozen=True)
class _ToolCallsOnly:
    """A run message as ``update_run_by_id_async`` reads it: only its ``tool_calls``."""

    tool_calls: Any


def _apply_run_metrics_columns(ctx: Context) -> str:
    """``update_run_by_id_async`` counts the run's steps and reads its messages' tool calls with
    column queries instead of loading whole steps and messages (with their steps and runs)."""
    db = _db_module(ctx)
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    step_orm: Any = importlib.import_module("letta.orm.step").Step
    message_orm: Any = importlib.import_module("letta.orm.message").Message
    run_manager: Any = importlib.import_module("letta.services.run_manager")
    step_manager: Any = importlib.import_module("letta.services.step_manager")
    message_manager: Any = importlib.import_module("letta.services.message_manager")
    list_steps = step_manager.StepManager.list_steps_async
    list_messages = message_manager.MessageManager.list_messages

    @functools.wraps(list_steps)
    async def counted_steps(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args or not _IN_RUN_UPDATE.get() or set(kwargs) != _COUNT_STEPS_CALL or not kwargs["run_id"]:
            return await list_steps(self, *args, **kwargs)
        # upstream: StepModel.list_async(organization_id=…, run_id=…, limit=50), no deleted filter
        rows = (
            sqlalchemy.select(step_orm.id)
            .where(
                step_orm.organization_id == kwargs["actor"].organization_id,
                step_orm.run_id == kwargs["run_id"],
            )
            .limit(_LIST_LIMIT)
            .subquery()
        )
        async with db.db_registry.async_session() as session:
            counted = sqlalchemy.select(sqlalchemy.func.count()).select_from(rows)
            count = (await session.execute(counted)).scalar_one()
        return [None] * int(count)  # the caller only takes len()

    @functools.wraps(list_messages)
    async def tool_calls_only(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args or not _IN_RUN_UPDATE.get() or set(kwargs) != _TOOL_NAMES_CALL or not kwargs["run_id"]:
            return await list_messages(self, *args, **kwargs)
        # upstream: select(Message) where not deleted and of the run, by sequence_id, limit 50
        statement = (
            sqlalchemy.select(message_orm.tool_calls)
            .where(message_orm.is_deleted == False, message_orm.run_id == kwargs["run_id"])  # noqa: E712
            .order_by(message_orm.sequence_id.asc())
            .limit(_LIST_LIMIT)
        )
        async with db.db_registry.async_session() as session:
            found = (await session.execute(statement)).scalars().all()
        return [_ToolCallsOnly(calls or None) for calls in found]  # to_pydantic's [] -> None

    _mark_run_updates(run_manager.RunManager)
    _swap(step_manager.StepManager, "list_steps_async", counted_steps)
    _swap(message_manager.MessageManager, "list_messages", tool_calls_only)
    return (
        "a run update counts its steps and reads its messages' tool calls "
        "(was: whole steps, messages, their steps and runs)"
    )


def _apply_run_project_id(ctx: Context) -> str:
    """``RunManager.create_run`` reads the agent's ``project_id`` column, not the whole agent."""
    del ctx
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    m: Any = importlib.import_module("letta.services.run_manager")
    original = m.RunManager.create_run

    # upstream's create_run (letta/services/run_manager.py), with ``session.get(AgentModel,
    # agent_id)`` (the agent and its ~9 eager relationships) replaced by a query of the one column,
    # and the new run_metrics row not re-read after the commit (the method returns the run only)
    @functools.wraps(original)
    async def create_run(self: Any, pydantic_run: Any, actor: Any) -> Any:
        async with m.db_registry.async_session() as session:
            agent_id = pydantic_run.agent_id
            await m.validate_agent_exists_async(session, agent_id, actor)
            organization_id = actor.organization_id
            run_data = pydantic_run.model_dump(exclude_none=True)
            if "metadata" in run_data:
                run_data["metadata_"] = run_data.pop("metadata")
            run = m.RunModel(**run_data)
            run.organization_id = organization_id
            project = sqlalchemy.select(m.AgentModel.project_id).where(m.AgentModel.id == agent_id)
            project_id = (await session.execute(project)).scalar_one_or_none()
            run.project_id = project_id
            run = await run.create_async(session, actor=actor, no_commit=True, no_refresh=True)
            m.update_log_context(run_id=run.id)
            metrics = m.RunMetricsModel(
                id=run.id,
                organization_id=organization_id,
                agent_id=agent_id,
                project_id=project_id,
                run_start_ns=int(time.time() * 1e9),
                num_steps=0,
            )
            await metrics.create_async(session, no_refresh=True)  # never read back
        return run.to_pydantic()

    _swap(m.RunManager, "create_run", create_run)
    return (
        "a new run reads its agent's project_id (was: the whole agent with its relationships) "
        "and does not re-read its metrics row"
    )


def _apply_conversation_touch(ctx: Context) -> str:
    """Marking a conversation's activity commits without reloading the row it just wrote."""
    del ctx
    m: Any = importlib.import_module("letta.services.conversation_manager")
    original = m.ConversationManager.update_conversation

    # upstream's update_conversation (letta/services/conversation_manager.py) for an update of
    # last_message_at alone (what every message request sends), with ``update_async(...,
    # no_refresh=True)``: the session does not expire on commit, so the row read before the
    # update (with its isolated blocks) is what the refresh read back, less 2 SELECTs
    @functools.wraps(original)
    async def update_conversation(
        self: Any, conversation_id: str, conversation_update: Any, actor: Any
    ) -> Any:
        update_data = conversation_update.model_dump(exclude_none=True)
        if set(update_data) != {"last_message_at"}:
            return await original(self, conversation_id, conversation_update, actor)
        async with m.db_registry.async_session() as session:
            conversation = await m.ConversationModel.read_async(
                db_session=session,
                identifier=conversation_id,
                actor=actor,
                check_is_deleted=True,
            )
            for key, value in update_data.items():
                setattr(conversation, key, value)
            updated_conversation = await conversation.update_async(
                db_session=session, actor=actor, no_refresh=True
            )
            return updated_conversation.to_pydantic()

    if not _expires_on_commit_off(m.db_registry):
        raise TuningError(
            "tuning patch 'conversation_touch': Letta's sessions now expire on commit; "
            + _switch_off_hint("conversation_touch")
        )
    _swap(m.ConversationManager, "update_conversation", update_conversation)
    return "a conversation's last_message_at: read, UPDATE, no reload (was 2 more SELECTs)"


#: The conversation ``update_conversation`` returned in this request: [id, actor id, conversation].
_TOUCHED: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "claude_compat_touched_conversation", default=None
)
#: True while ``StreamingService.create_agent_stream`` runs.
_IN_STREAM_START: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "claude_compat_in_stream_start", default=False
)


def _apply_conversation_once(ctx: Context) -> str:
    """A message request's stream start reuses the conversation its route just updated."""
    del ctx
    m: Any = importlib.import_module("letta.services.conversation_manager")
    streaming: Any = importlib.import_module("letta.services.streaming_service")
    update, get = m.ConversationManager.update_conversation, m.ConversationManager.get_conversation_by_id
    start = streaming.StreamingService.create_agent_stream

    @functools.wraps(update)
    async def update_conversation(
        self: Any, conversation_id: str, conversation_update: Any, actor: Any
    ) -> Any:
        conversation = await update(self, conversation_id, conversation_update, actor)
        # awaited by the route, so this is set in the request's own context (a task's copy)
        _TOUCHED.set([conversation_id, actor.id, conversation])
        return conversation

    @functools.wraps(start)
    async def create_agent_stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = _IN_STREAM_START.set(True)
        try:
            return await start(self, *args, **kwargs)
        finally:
            _IN_STREAM_START.reset(token)
            touched = _TOUCHED.get()
            if touched:
                touched.clear()  # used once at most: later reads go to the database

    @functools.wraps(get)
    async def get_conversation_by_id(self: Any, conversation_id: str, actor: Any) -> Any:
        touched = _TOUCHED.get()
        if _IN_STREAM_START.get() and touched and touched[:2] == [conversation_id, actor.id]:
            conversation = touched[2]
            touched.clear()
            return conversation  # create_agent_stream reads its model and model_settings only
        return await get(self, conversation_id, actor)

    _swap(m.ConversationManager, "update_conversation", update_conversation)
    _swap(m.ConversationManager, "get_conversation_by_id", get_conversation_by_id)
    _swap(streaming.StreamingService, "create_agent_stream", create_agent_stream)
    return "the stream start takes the conversation the route just updated (was 3 SELECTs per request)"


def _expires_on_commit_off(registry: Any) -> bool:
    """Whether the session factory behind ``db_registry.async_session()`` keeps objects on commit."""
    db: Any = importlib.import_module("letta.server.db")
    factory = getattr(db, "async_session_factory", None)
    return factory is not None and factory.kw.get("expire_on_commit") is False and registry is db.db_registry


def _apply_messages_without_step_run(ctx: Context) -> str:
    """In-context messages are read without their step and run (nothing reads them)."""
    del ctx
    orm: Any = importlib.import_module("sqlalchemy.orm")
    m: Any = importlib.import_module("letta.services.message_manager")
    base: Any = importlib.import_module("letta.orm.sqlalchemy_base")
    model = m.MessageModel
    original = m.MessageManager.get_messages_by_ids_async
    fields = set(m.PydanticMessage.model_fields) | {
        f.alias for f in m.PydanticMessage.model_fields.values() if f.alias
    }
    if {"step", "run"} & fields:
        raise TuningError(
            "tuning patch 'messages_without_step_run': Letta's Message schema now has a step or "
            f"run field, so to_pydantic reads them; {_switch_off_hint('messages_without_step_run')}"
        )

    # upstream's get_messages_by_ids_async with MessageModel.read_multiple_async inlined
    # (letta/orm/sqlalchemy_base.py) and the two selectin relationships not loaded; raiseload,
    # so code that did read them would fail loudly instead of seeing None
    async def read_multiple(session: Any, message_ids: Any, actor: Any) -> Any:
        query, query_conditions = model._read_multiple_preprocess(
            message_ids, actor, ["read"], base.AccessType.ORGANIZATION, True
        )
        if query is None:
            return []
        query = query.options(orm.raiseload(model.step), orm.raiseload(model.run))
        results = await session.execute(query)
        return model._read_multiple_postprocess(results.scalars().all(), message_ids, query_conditions)

    read_multiple = base.handle_db_timeout(read_multiple)  # as upstream's read_multiple_async is

    @functools.wraps(original)
    async def get_messages_by_ids_async(self: Any, message_ids: Any, actor: Any) -> Any:
        async with m.db_registry.async_session() as session:
            results = await read_multiple(session, message_ids, actor)
            return self._get_messages_by_id_postprocess(results, message_ids)

    _swap(m.MessageManager, "get_messages_by_ids_async", get_messages_by_ids_async)
    return "messages read by id without their step and run (was 2 more SELECTs per read)"


def _apply_sequence_bulk_off(ctx: Context) -> str:
    """The before_flush reservation of message sequence ids is dropped (before_insert overwrites it)."""
    del ctx
    sqlalchemy: Any = importlib.import_module("sqlalchemy")
    orm: Any = importlib.import_module("sqlalchemy.orm")
    message: Any = importlib.import_module("letta.orm.message")
    listeners = [
        fn
        for fn in (message.set_sequence_id_for_sqlite_bulk, *_SEQUENCE_LISTENERS["bulk"])
        if sqlalchemy.event.contains(orm.Session, "before_flush", fn)
    ]
    inserts = [
        fn
        for fn in (message.set_sequence_id_for_sqlite, *_SEQUENCE_LISTENERS["one"])
        if sqlalchemy.event.contains(message.Message, "before_insert", fn)
    ]
    if len(listeners) != 1 or len(inserts) != 1:
        raise TuningError(
            "tuning patch 'sequence_bulk_off': letta.orm.message no longer numbers messages with "
            f"one before_flush and one before_insert listener; {_switch_off_hint('sequence_bulk_off')}"
        )
    sqlalchemy.event.remove(orm.Session, "before_flush", listeners[0])
    return "message sequence ids reserved once per insert (was: one more UPDATE per flush, overwritten)"


#: What ``LettaAgentV2._record_step_metrics`` passes to ``record_step_metrics_async`` (all keywords).
_STEP_METRICS_CALL = frozenset(
    {
        "actor",
        "step_id",
        "llm_request_ns",
        "tool_execution_ns",
        "step_ns",
        "agent_id",
        "run_id",
        "project_id",
        "template_id",
        "base_template_id",
    }
)
#: The timings a step's first (start) call leaves None and its second (finish) call fills in.
_STEP_TIMINGS = ("llm_request_ns", "tool_execution_ns", "step_ns")
#: How long a step's deferred first write waits for its second before it is written alone.
STEP_METRICS_WAIT = 60.0


def _apply_step_metrics_merge(ctx: Context) -> str:
    """A step's two ``record_step_metrics_async`` calls become one: the start call (no timings
    yet) waits for the finish call and the two are written as the one row they would leave."""
    del ctx
    step_manager: Any = importlib.import_module("letta.services.step_manager")
    cls = step_manager.StepManager
    record, read = cls.record_step_metrics_async, cls.get_step_metrics_async
    # step id -> [manager, the start call's keywords, its fallback timer]
    pending: dict[str, list[Any]] = {}
    running: set[asyncio.Task[Any]] = set()

    def write_alone(step_id: str) -> Any:
        """Upstream's start call, as it would have run (the finish call then updates the row)."""
        manager, first, _timer = pending.pop(step_id)
        return record(manager, **first)

    def on_timeout(step_id: str) -> None:
        if step_id in pending:  # no finish call came: write the start call's row as upstream did
            task = asyncio.ensure_future(write_alone(step_id))
            running.add(task)
            task.add_done_callback(running.discard)

    @functools.wraps(record)
    async def merged(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args or set(kwargs) != _STEP_METRICS_CALL:
            return await record(self, *args, **kwargs)
        step_id = kwargs["step_id"]
        if step_id not in pending:
            if any(kwargs[name] is not None for name in _STEP_TIMINGS):
                return await record(self, **kwargs)  # a finish without a deferred start: upstream
            timer = asyncio.get_running_loop().call_later(STEP_METRICS_WAIT, on_timeout, step_id)
            pending[step_id] = [self, kwargs, timer]
            return None  # the callers (fire-and-forget tasks) do not use the result
        first, timer = pending[step_id][1], pending[step_id][2]
        timer.cancel()
        if kwargs["run_id"] not in (None, first["run_id"]):
            # upstream's update would set another run id unchecked: both calls, as upstream
            await write_alone(step_id)
            return await record(self, **kwargs)
        del pending[step_id]
        # upstream creates the row from the start call, then sets each value of the finish call
        # that is not None: the same row, written once
        return await record(self, **{**first, **{k: v for k, v in kwargs.items() if v is not None}})

    @functools.wraps(read)
    async def get_step_metrics_async(self: Any, *args: Any, **kwargs: Any) -> Any:
        step_id = kwargs.get("step_id", args[0] if args else None)
        if step_id in pending:  # a reader of a step still running: the row upstream had by now
            pending[step_id][2].cancel()
            await write_alone(step_id)
        return await read(self, *args, **kwargs)

    _swap(cls, "record_step_metrics_async", merged)
    _swap(cls, "get_step_metrics_async", get_step_metrics_async)
    return "a step's metrics written once, at its end (was: a row at its start, updated at its end)"


#: Inside ``StreamingService.create_agent_stream`` of a request that does not run in the
#: background (so nothing iterates its stream yet: the run it creates has no step or message):
#: [the run create_run returned there, whether the stream start's re-read was answered with it].
_FOREGROUND_STREAM_START: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "claude_compat_foreground_stream_start", default=None
)
#: What ``create_agent_stream``'s ``finally`` passes to ``update_run_by_id_async``.
_RUN_START_CALL = frozenset({"run_id", "conversation_id", "update", "actor"})


def _apply_run_start_update(ctx: Context) -> str:
    """A new run is marked running by one read and UPDATE of its row: the stream start's re-read
    of the run it just created is answered by create_run's result, and the update leaves out the
    metrics part (it would recount steps and messages the run cannot have yet)."""
    del ctx
    m: Any = importlib.import_module("letta.services.run_manager")
    streaming: Any = importlib.import_module("letta.services.streaming_service")
    start = streaming.StreamingService.create_agent_stream
    signature = inspect.signature(start)
    create, get, update_run = (
        m.RunManager.create_run,
        m.RunManager.get_run_by_id,
        m.RunManager.update_run_by_id_async,
    )
    if "background" not in streaming.LettaStreamingRequest.model_fields:
        raise TuningError(
            "tuning patch 'run_start_update': Letta's streaming request has no background field; "
            + _switch_off_hint("run_start_update")
        )

    @functools.wraps(start)
    async def create_agent_stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        request = signature.bind(self, *args, **kwargs).arguments.get("request")
        # in the background the agent loop may run before the stream start's "running" update
        foreground = request is not None and request.background is False
        token = _FOREGROUND_STREAM_START.set([None, False] if foreground else None)
        try:
            return await start(self, *args, **kwargs)
        finally:
            _FOREGROUND_STREAM_START.reset(token)

    @functools.wraps(create)
    async def create_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        run = await create(self, *args, **kwargs)
        state = _FOREGROUND_STREAM_START.get()
        if state is not None and state[0] is None:
            state[0] = run
        return run

    @functools.wraps(get)
    async def get_run_by_id(self: Any, *args: Any, **kwargs: Any) -> Any:
        state = _FOREGROUND_STREAM_START.get()
        run_id = kwargs.get("run_id", args[0] if args else None)
        if state is not None and state[0] is not None and not state[1] and state[0].id == run_id:
            # the stream start's "refetch run since it may have been updated by another service":
            # nothing can have (no background task, its id not yet returned); the update below
            # reads the row and updates it only if it is still "created", as this check would
            state[1] = True
            m.update_log_context(run_id=run_id)
            return state[0]
        return await get(self, *args, **kwargs)

    @functools.wraps(update_run)
    async def update_run_by_id_async(self: Any, *args: Any, **kwargs: Any) -> Any:
        update: Any = kwargs.get("update")
        state = _FOREGROUND_STREAM_START.get()
        if (
            args
            or state is None
            or not state[1]
            or set(kwargs) != _RUN_START_CALL
            or kwargs["run_id"] != state[0].id
            or update.model_dump(exclude_unset=True, exclude_none=True) != {"status": m.RunStatus.running}
        ):
            return await update_run(self, *args, **kwargs)
        run_id, actor = kwargs["run_id"], kwargs["actor"]
        # upstream's first block for this update (letta/services/run_manager.py): the run takes
        # status=running; nothing else runs for a status that is not terminal (no callback, lock
        # release or agent update); the metrics part is left out: it would write num_steps 0 and
        # no tools_used over the same values create_run wrote
        async with m.db_registry.async_session() as session:
            run = await m.RunModel.read_async(db_session=session, identifier=run_id, actor=actor)
            if run.status != m.RunStatus.created:
                return run.to_pydantic()  # upstream's re-read would have seen it: no update
            update_data = update.model_dump(to_orm=True, exclude_unset=True, exclude_none=True)
            for key, value in update_data.items():
                setattr(run, key, value)
            await run.update_async(db_session=session, actor=actor, no_commit=True, no_refresh=True)
            return run.to_pydantic()

    _swap(streaming.StreamingService, "create_agent_stream", create_agent_stream)
    _swap(m.RunManager, "create_run", create_run)
    _swap(m.RunManager, "get_run_by_id", get_run_by_id)
    _swap(m.RunManager, "update_run_by_id_async", update_run_by_id_async)
    return (
        "a new run is marked running by one read and UPDATE "
        "(was: a re-read, then + a step count, a message read, its metrics read and UPDATE)"
    )


def _awaited_by(code: Any) -> bool:
    """Whether the coroutine that calls this was awaited by a function of ``code``, through any
    other patch's ``get_conversation_by_id`` wrapper in between."""
    frame: Any = sys._getframe(2)  # above this check and its caller
    while frame is not None and (frame.f_code.co_filename, frame.f_code.co_name) == (
        __file__,
        "get_conversation_by_id",
    ):
        frame = frame.f_back
    return frame is not None and frame.f_code is code


def _check_awaited_by() -> None:
    """:func:`_awaited_by` sees the awaiting coroutine on this Python (else the patch would do nothing)."""

    async def probe() -> bool:
        return _awaited_by(route.__code__)

    async def get_conversation_by_id() -> bool:  # stands for another patch's wrapper
        return await probe()

    async def route() -> bool:
        return await get_conversation_by_id()

    seen = []
    for coroutine in (route(), probe()):
        try:
            coroutine.send(None)
        except StopIteration as done:
            seen.append(done.value)
    if seen != [True, False]:
        raise TuningError(
            f"tuning patch 'route_conversation_get': cannot tell the route's call by its frame here "
            f"({seen}); " + _switch_off_hint("route_conversation_get")
        )


def _apply_route_conversation_get(ctx: Context) -> str:
    """The message route's first read of its conversation, whose result it overwrites unused with
    ``update_conversation``'s (which reads the same row the same way), is not made."""
    del ctx
    m: Any = importlib.import_module("letta.services.conversation_manager")
    routes: Any = importlib.import_module("letta.server.rest_api.routers.v1.conversations")
    route = inspect.unwrap(routes.send_conversation_message).__code__
    get = m.ConversationManager.get_conversation_by_id
    _check_awaited_by()

    @functools.wraps(get)
    async def get_conversation_by_id(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _awaited_by(route):
            # the route assigns this to ``conversation`` and, before any use, assigns it again the
            # result of update_conversation, whose ConversationModel.read_async (same id, actor,
            # check_is_deleted=True) raises the NoResultFound this read would have raised
            return None
        return await get(self, *args, **kwargs)

    _swap(m.ConversationManager, "get_conversation_by_id", get_conversation_by_id)
    return "the message route's unused first read of its conversation is not made (was 3 SELECTs per request)"


_CONVERSATION_UPDATE = "letta.services.conversation_manager:ConversationManager.update_conversation"
_CONVERSATION_ROUTE = "letta.server.rest_api.routers.v1.conversations:send_conversation_message"
_STREAM_START = "letta.services.streaming_service:StreamingService.create_agent_stream"
_CONVERSATION_GET = "letta.services.conversation_manager:ConversationManager.get_conversation_by_id"
_STEP_METRICS_READ = "letta.services.step_manager:StepManager.get_step_metrics_async"
_STEP_START = "letta.agents.letta_agent_v2:LettaAgentV2._step_checkpoint_start"
_STEP_FINISH = "letta.agents.letta_agent_v2:LettaAgentV2._step_checkpoint_finish"
_STEP_RECORD = "letta.agents.letta_agent_v2:LettaAgentV2._record_step_metrics"
_ALL = frozenset({SQLITE, POSTGRES})

#: The tuning, in the order it is applied. Effects: server CPU per plain turn, interleaved A/B on
#: a 2-core machine (benchmarks/letta_tuning.py; benchmarks/README.md has the runs); for
#: openapi_file_off, the start.
PATCHES: tuple[Patch, ...] = (
    Patch(
        name="bookkeeping_off",
        what="LETTA_TRACK_PROVIDER_TRACE=false and LETTA_ENABLE_DB_POOL_MONITORING=false "
        "(unless set by the caller)",
        why="every step stores the raw LLM request and response (a provider_traces row) and pool "
        "events are counted; claude-compat reads neither",
        effect="0.96-1.0x (2-5 ms)",
        stage=ENV,
        databases=_ALL,
        targets=(),
        apply=_apply_bookkeeping_off,
        verify=_verify_bookkeeping_off,
    ),
    Patch(
        name="sqlite_pool",
        what=f"the SQLite engine pools connections (AsyncAdaptedQueuePool, {POOL_SIZE} + "
        f"{POOL_OVERFLOW} overflow, no pre-ping) instead of NullPool",
        why="NullPool opens a new SQLite connection and aiosqlite thread for each of a turn's ~35 "
        "database sessions",
        effect="0.70x (-66 ms)",
        stage=ENGINE,
        databases=frozenset({SQLITE}),
        targets=(Target("letta.server.db", "dcbf009b1f526e02"),),
        apply=_apply_sqlite_pool,
    ),
    Patch(
        name="sqlite_wal",
        what="each SQLite connection runs PRAGMA journal_mode=WAL and synchronous=NORMAL",
        why="rollback-journal mode fsyncs twice per commit (a turn commits ~35 times) and blocks "
        "readers while writing; WAL commits are safe against a crashed process (only a power "
        "loss may lose the last commits)",
        effect="0.93x (-9 ms)",
        stage=ENGINE,
        databases=frozenset({SQLITE}),
        targets=(Target("letta.server.db", "dcbf009b1f526e02"),),
        apply=_apply_sqlite_wal,
    ),
    Patch(
        name="sqlite_inline",
        what="aiosqlite runs each call (cursor, execute, fetch, commit) on the event loop's thread "
        "with SQLite's busy timeout at 0; a call that finds the database locked by another "
        "connection runs again on the connection's own thread with its busy timeout (60 s), as "
        "upstream ran every call",
        why="aiosqlite hands every call to a worker thread and back (~4 thread switches per SQL "
        "statement, ~200 per request, each waking the event loop); a call on a local SQLite file "
        "takes microseconds. A locked database must not wait on the loop's thread: the connection "
        "holding the lock needs the loop to commit",
        effect="0.73x per tool round trip (mean 203 -> 149 ms, one ABBA run of 12 rounds), "
        "plain turn 80 -> 70 ms",
        stage=ENGINE,
        databases=frozenset({SQLITE}),
        targets=(
            Target("aiosqlite.core:Connection._execute", "11f83d6bbbe803e3"),
            Target("aiosqlite.cursor:Cursor._execute", "c2b07decd1068928"),
        ),
        apply=_apply_sqlite_inline,
    ),
    Patch(
        name="ssl_context_cache",
        what="httpx's create_ssl_context is memoised per (verify, trust_env, SSL_CERT_FILE/DIR)",
        why="Letta builds a new OpenAI client, so a new SSLContext loading the CA bundle "
        "(~35 ms), for every LLM request",
        effect="0.85x (-33 ms)",
        stage=APP,
        databases=_ALL,
        targets=(Target("httpx._config:create_ssl_context", "72025cd79112712b"),),
        apply=_apply_ssl_context_cache,
    ),
    Patch(
        name="quiet_logs",
        what="Letta's loggers log WARNING and above",
        why="letta/log.py hard-wires INFO (ignoring LETTA_LOGGING_LOG_LEVEL): several formatted "
        "lines per request go to the console and a rotating log file",
        effect="with step_metrics_lock: -15 ms",
        stage=APP,
        databases=_ALL,
        targets=(Target("letta.log:get_logger", "a47c083ce013b52f"),),
        apply=_apply_quiet_logs,
    ),
    Patch(
        name="step_metrics_lock",
        what="StepManager.record_step_metrics_async runs one call at a time per step id",
        why="two fire-and-forget tasks record one step's metrics at once; the second INSERT fails "
        "on UNIQUE step_metrics.id, is rolled back and its traceback logged twice, every turn",
        effect="with quiet_logs: -15 ms",
        stage=APP,
        databases=_ALL,
        targets=(
            Target("letta.services.step_manager:StepManager.record_step_metrics_async", "a202d8e1399e2002"),
        ),
        apply=_apply_step_metrics_lock,
    ),
    Patch(
        name="openapi_file_off",
        what="Letta's app starts as with its --no-generation switch: no OpenAPI schema is built "
        "and no openapi_letta.json written into the data dir (GET /openapi.json still answers, "
        "built by FastAPI on first request, without Letta's documentation edits)",
        why="every start renders the schema of ~250 operations and writes 1.7 MB of JSON that nothing reads",
        effect="server start: 0.77x server CPU (-4 s of 17.5 s; 2 ABAB rounds, busy 2-core machine)",
        stage=ENV,
        databases=_ALL,
        targets=(),
        apply=_apply_openapi_file_off,
        verify=_verify_openapi_file_off,
    ),
    Patch(
        name="sequence_once",
        what="the SQLite message_sequence table and its first row are created once at start; "
        "letta.orm.message's two listeners are replaced by ones that only reserve ids "
        "(the same UPDATE ... RETURNING, with upstream's fallback)",
        why="before every flush with new messages, and before every message insert, upstream runs "
        "CREATE TABLE IF NOT EXISTS and INSERT OR IGNORE ... SELECT MAX(sequence_id) again "
        "(6 of a plain turn's statements); nothing ever drops that table or its row",
        effect="SQL per plain turn 83 -> 77, per tool round trip 179 -> 165; CPU: see stop_reason_update",
        stage=APP,
        databases=frozenset({SQLITE}),
        targets=(
            Target("letta.orm.message:set_sequence_id_for_sqlite_bulk", "ec0bbd445c69171d"),
            Target("letta.orm.message:set_sequence_id_for_sqlite", "2680b9158a185208"),
        ),
        apply=_apply_sequence_once,
    ),
    Patch(
        name="stop_reason_update",
        what="when a run ends, its stop reason is written to the agent row by one UPDATE (the same "
        "columns: last_stop_reason, updated_at, last_updated_by_id) instead of "
        "AgentManager.update_agent_async",
        why="RunManager.update_run_by_id_async records the stop reason through a full agent update: "
        "it loads the agent, flushes, refreshes it and builds the whole AgentState with its "
        "relationships (~18 SELECTs), then throws that state away; every request ends a run",
        effect="SQL per plain turn 101 -> 83, per tool round trip 215 -> 179; with sequence_once "
        "1.00x plain (inside the noise), 0.95x tool round trip",
        stage=APP,
        databases=_ALL,
        targets=(
            Target("letta.services.run_manager:RunManager.update_run_by_id_async", "660378bdd069f741"),
            Target("letta.services.agent_manager:AgentManager.update_agent_async", "903dc90625094417"),
        ),
        apply=_apply_stop_reason_update,
    ),
    Patch(
        name="run_project_id",
        what="RunManager.create_run reads the agent's project_id with a one-column query instead "
        "of session.get(AgentModel, agent_id), and creates the run_metrics row with "
        "no_refresh=True; the rest of the method is upstream's",
        why="session.get loads the whole agent with its eager relationships (10 SELECTs: tools, "
        "blocks, sources, tags, identities, groups, ...) to copy one column onto the new run; "
        "every request creates a run, so the agent state was loaded twice per request; the "
        "metrics row was then re-read after the commit (1 SELECT, 1 transaction) and dropped",
        effect="with run_metrics_columns: SQL per plain turn 77 -> 67, per tool round trip 163 -> 143; "
        "0.90x per plain turn, 0.98x per tool round trip against all but the two (one run)",
        stage=APP,
        databases=_ALL,
        targets=(Target("letta.services.run_manager:RunManager.create_run", "9d07d1cca186c03b"),),
        apply=_apply_run_project_id,
    ),
    Patch(
        name="run_metrics_columns",
        what="inside RunManager.update_run_by_id_async, the run's steps are counted (COUNT over "
        "upstream's filter and limit) and its messages' tool calls read as one column, instead "
        "of StepManager.list_steps_async and MessageManager.list_messages loading them whole",
        why="each run update (two per request) lists the run's steps and messages as full ORM "
        "objects with their steps and runs (4 SELECTs, pydantic conversion) only to take "
        "len(steps) and the tool names of the messages' tool_calls",
        effect="see run_project_id (the two were measured together)",
        stage=APP,
        databases=_ALL,
        targets=(
            Target("letta.services.run_manager:RunManager.update_run_by_id_async", "660378bdd069f741"),
            Target("letta.services.step_manager:StepManager.list_steps_async", "1c02d7630afd3057"),
            Target("letta.services.message_manager:MessageManager.list_messages", "5119b5fe63b3a838"),
        ),
        apply=_apply_run_metrics_columns,
    ),
    Patch(
        name="conversation_touch",
        what="ConversationManager.update_conversation of last_message_at alone (what every message "
        "request sends) is upstream's method with update_async(..., no_refresh=True); any other "
        "update goes to upstream",
        why="the update re-read the conversation and its isolated blocks after its commit (2 "
        "SELECTs) although Letta's sessions keep the objects on commit; the route uses only "
        "agent_id (and model, model_settings) of what it returns",
        effect="SQL per request -2; with conversation_once, messages_without_step_run and "
        "sequence_bulk_off: SQL per plain turn 67 -> 59, per tool round trip 143 -> 126, 0.83x per "
        "plain turn and 0.82x per tool round trip against all but the four (one run)",
        stage=APP,
        databases=_ALL,
        targets=(
            Target(_CONVERSATION_UPDATE, "d14cd1312a7d4469"),
            Target("letta.orm.sqlalchemy_base:SqlalchemyBase.update_async", "ff89909d0206989d"),
            Target("letta.server.db", "dcbf009b1f526e02"),
        ),
        apply=_apply_conversation_touch,
    ),
    Patch(
        name="conversation_once",
        what="within one message request, StreamingService.create_agent_stream's "
        "get_conversation_by_id is answered by the conversation the route's update_conversation "
        "returned a moment before (same id and actor; used once, then forgotten)",
        why="send_conversation_message reads the conversation, updates it (which returns it) and "
        "starts the stream, which reads it again (conversation, isolated blocks, message ids: 3 "
        "SELECTs) for its model and model_settings only; nothing writes it in between",
        effect="SQL per request -3; CPU: see conversation_touch (the four were measured together)",
        stage=APP,
        databases=_ALL,
        targets=(
            Target(_CONVERSATION_ROUTE, "79e52f1648b7452f"),
            Target(_STREAM_START, "3eb2508cd97ff85a"),
            Target(_CONVERSATION_UPDATE, "d14cd1312a7d4469"),
        ),
        apply=_apply_conversation_once,
    ),
    Patch(
        name="messages_without_step_run",
        what="MessageManager.get_messages_by_ids_async (the in-context messages, every request) reads "
        "the messages without their step and run relationships (raiseload instead of selectin); "
        "the rest is upstream's read_multiple_async and post-processing",
        why="Message.step and Message.run are lazy='selectin', so each read also loaded the step and "
        "the run of every message in context (2 SELECTs, ORM objects growing with the history) "
        "that to_pydantic never reads (the schema has step_id and run_id only: checked at start)",
        effect="SQL per request -2; CPU: see conversation_touch",
        stage=APP,
        databases=_ALL,
        targets=(
            Target(
                "letta.services.message_manager:MessageManager.get_messages_by_ids_async", "1d622ddb8e1f3e93"
            ),
            Target("letta.orm.sqlalchemy_base:SqlalchemyBase.read_multiple_async", "7d80ec7e9a35c88a"),
            Target("letta.orm.message:Message.to_pydantic", "8cfa29b9d96ba743"),
        ),
        apply=_apply_messages_without_step_run,
    ),
    Patch(
        name="sequence_bulk_off",
        what="the before_flush listener that reserves a range of message sequence ids is removed "
        "(upstream's or sequence_once's); the before_insert listener numbers each message as before",
        why="the before_insert listener reserves an id for every message insert and overwrites "
        "whatever the before_flush one assigned, so that reservation (one UPDATE per flush with "
        "new messages) only left gaps in the sequence",
        effect="SQL per flush with new messages -1 (per plain turn -1, per tool round trip -3); CPU: "
        "see conversation_touch",
        stage=APP,
        databases=frozenset({SQLITE}),
        targets=(
            Target("letta.orm.message:set_sequence_id_for_sqlite_bulk", "ec0bbd445c69171d"),
            Target("letta.orm.message:set_sequence_id_for_sqlite", "2680b9158a185208"),
        ),
        apply=_apply_sequence_bulk_off,
    ),
    Patch(
        name="openai_plain_body",
        what="a chat completion request whose arguments are plain JSON data (dicts, lists, str, "
        "numbers, bool, None) is sent without openai's async_maybe_transform: the omitted "
        "arguments are dropped, the rest passed as is; anything else goes through the transform",
        why="the transform walks the whole request (messages, 13 tool schemas) against openai's "
        "TypedDicts on every LLM call (~10 ms) and, as no field of these types has an alias or a "
        "format (checked at start), returns the same data",
        effect="all vs stock went 0.75x -> 0.54x per plain turn, 0.64x -> 0.48x per tool round trip "
        "(two runs)",
        stage=APP,
        databases=_ALL,
        targets=(
            Target("openai._utils._transform:_async_transform_typeddict", "57e55e72789d5e01"),
            Target("openai._utils._transform:_async_transform_recursive", "5c66275ac0ba23fa"),
        ),
        apply=_apply_openai_plain_body,
    ),
    Patch(
        name="step_metrics_merge",
        what="a step's first record_step_metrics_async call (made at its start, no timings yet) "
        "waits for its second (at its end, or on failure) and the two are written as one call "
        "with the start call's values overlaid by the end call's non-None ones; a reader of the "
        "step's metrics (get_step_metrics_async) or 60 s without an end call writes the start "
        "call alone first, as upstream did",
        why="every step creates its step_metrics row at its start (step, metrics, run read, "
        "INSERT, re-read: 5 statements in 2 transactions) and updates it at its end (step and "
        "metrics read, UPDATE: 3 more and a transaction), only to hold the end call's timings",
        effect="SQL per step -3 (and -1 transaction); with run_start_update and "
        "route_conversation_get: SQL per plain turn 58 -> 47, per tool round trip 124 -> 102, "
        "0.75x per plain turn and 0.73x per tool round trip against all but the three (one run)",
        stage=APP,
        databases=_ALL,
        targets=(
            Target("letta.services.step_manager:StepManager.record_step_metrics_async", "a202d8e1399e2002"),
            Target(_STEP_METRICS_READ, "c5e87c7f2114e6ae"),
            Target(_STEP_START, "34915bc05ac53dc8"),
            Target(_STEP_FINISH, "c007b88bf1a7c318"),
            Target(_STEP_RECORD, "a9961d67808bb99c"),
        ),
        apply=_apply_step_metrics_merge,
    ),
    Patch(
        name="run_start_update",
        what="in create_agent_stream of a request not in the background (its stream not yet "
        "read), the re-read of the run it just created is answered by create_run's result, and "
        "the update marking it running is upstream's first block alone: read the run, set "
        "status, UPDATE (no update if it is no longer 'created', as the re-read would decide)",
        why="the re-read guards against other writers a foreground start cannot have (1 "
        "statement); update_run_by_id_async then recounts the run's steps, reads its messages' tool calls "
        "and reads and rewrites its metrics row (4 statements, 3 transactions), but no step or "
        "message of the run exists before its stream starts: it wrote the num_steps 0 and empty "
        "tools_used create_run had just written (and the metrics' updated_at, not in the API)",
        effect="SQL per request -5 (and -4 transactions); CPU: see step_metrics_merge",
        stage=APP,
        databases=_ALL,
        targets=(
            Target("letta.services.run_manager:RunManager.update_run_by_id_async", "660378bdd069f741"),
            Target(_STREAM_START, "3eb2508cd97ff85a"),
            Target("letta.services.run_manager:RunManager.create_run", "9d07d1cca186c03b"),
            Target("letta.services.run_manager:RunManager.get_run_by_id", "3776c41abb4c49da"),
        ),
        apply=_apply_run_start_update,
    ),
    Patch(
        name="route_conversation_get",
        what="in send_conversation_message (POST /v1/conversations/{id}/messages), the route's "
        "get_conversation_by_id returns None without reading: the route overwrites that value, "
        "unused, with update_conversation's result a line later; any other caller reads as before",
        why="the route reads the conversation, its isolated blocks and its message ids (3 "
        "SELECTs, 2 transactions) only to fail on a missing conversation, which the update's own "
        "read (same id, actor, check_is_deleted=True) does with the same error",
        effect="SQL per request -3 (and -2 transactions); CPU: see step_metrics_merge",
        stage=APP,
        databases=_ALL,
        targets=(
            Target(_CONVERSATION_ROUTE, "79e52f1648b7452f"),
            Target(_CONVERSATION_UPDATE, "d14cd1312a7d4469"),
            Target(_CONVERSATION_GET, "9b0c519ddeb643a3"),
        ),
        apply=_apply_route_conversation_get,
    ),
    Patch(
        name="uvloop",
        what="uvicorn runs uvloop (in the server lock) instead of the asyncio loop",
        why="the asyncio loop's own overhead is ~13 ms a turn",
        effect="0.86-0.88x (-10..19 ms)",
        stage=APP,
        databases=_ALL,
        targets=(),
        apply=_apply_uvloop,
    ),
)

NAMES = tuple(patch.name for patch in PATCHES)


def parse_selection(text: str | None) -> frozenset[str]:
    """The patch names a setting picks; :class:`TuningError` names the valid ones if it is bad."""
    chosen: set[str] = set()
    tokens = [t.strip() for t in (DEFAULT if text is None or not text.strip() else text).split(",")]
    for token in tokens:
        name = token.removeprefix("-")
        if token == "all":
            chosen.update(NAMES)
        elif token == "none":
            chosen.clear()
        elif name in NAMES:
            (chosen.discard if token.startswith("-") else chosen.add)(name)
        else:
            raise TuningError(
                f"{SETTING}={text!r}: unknown tuning {token!r}; use all, none, or a comma list of "
                f"{', '.join(NAMES)} (-name drops one)"
            )
    return frozenset(chosen)


class Tuning:
    """The patches chosen for one server start, applied stage by stage by the launcher."""

    def __init__(self, selection: str | None, database: str) -> None:
        chosen = parse_selection(selection)
        self.patches = [p for p in PATCHES if p.name in chosen and database in p.databases]
        self.skipped = [p.name for p in PATCHES if p.name in chosen and database not in p.databases]
        self.context = Context(database)
        self.applied: list[tuple[str, str]] = []

    def run(self, stage: str) -> None:
        """Check, then apply, each chosen patch of ``stage``; TuningError if one does not apply."""
        for patch in self.patches:
            if patch.stage != stage:
                continue
            if stage != ENV:  # the environment is set before any Letta module may be imported
                check(patch)
            self.applied.append((patch.name, patch.apply(self.context)))

    def verify(self) -> None:
        """Run the settings checks of the chosen patches, once Letta is imported."""
        for patch in self.patches:
            if patch.verify is not None:
                patch.verify()

    def summary(self) -> list[str]:
        """Log lines saying what is on (and what each patch did) and what is off."""
        lines = [f"tuned {name}: {fact}" for name, fact in self.applied]
        off = [name for name in NAMES if name not in {n for n, _ in self.applied}]
        if off:
            lines.append(f"tuning off: {', '.join(off)} ({SETTING}=all turns everything on)")
        if self.skipped:
            lines.append(f"tuning not for {self.context.database}: {', '.join(self.skipped)}")
        return lines


def _hashes() -> int:
    """Print the current hash of every target (run in the server venv to re-pin after a bump)."""
    for patch in PATCHES:
        for target in patch.targets:
            found = digest(source_of(target.where))
            print(f"{patch.name}\t{target.where}\t{found}\t(pinned {target.sha256})")
    return 0


if __name__ == "__main__":
    sys.exit(_hashes())
