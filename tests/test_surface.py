"""A program written for claude_agent_sdk finds every public name in claude_compat, same shape.

The real ``claude_agent_sdk`` (installed with the test extra) is the oracle: each name of its
``__all__`` and each public name of its ``types`` module is compared with claude_compat's —
kind, dataclass fields and defaults, TypedDict keys, Literal values, signatures, error tree.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import sys
import types as pytypes
import typing
from collections.abc import Callable
from typing import Any, ForwardRef, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import claude_agent_sdk as real
import claude_agent_sdk.types as real_types
import pytest

import claude_compat as ours
import claude_compat.types as our_types
from claude_compat import sessions as our_sessions
from claude_compat._internal import surface
from claude_compat.errors import (
    ClaudeSDKError,
    CLIConnectionError,
    InsecureStorageError,
    InvalidOptionError,
    LettaAPIError,
    LettaAuthenticationError,
    LettaConnectionError,
    LettaServerStartError,
    LettaTimeoutError,
    NotSupportedOnLettaError,
    SessionBusyError,
    SessionNotFoundError,
    SessionRegistryError,
    UnknownModelError,
)

if sys.version_info >= (3, 11):
    from typing import is_typeddict
else:
    from typing_extensions import is_typeddict


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


REAL_ALL: list[str] = list(real.__all__)


def _own_public_names(module: pytypes.ModuleType) -> list[str]:
    """Names a module defines at top level (classes, functions, assignments), not imports."""
    tree = ast.parse(inspect.getsource(module))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


REAL_TYPES_NAMES = _own_public_names(real_types)
TYPES_NOT_IN_ALL = [n for n in REAL_TYPES_NAMES if n not in REAL_ALL]


# ---------------------------------------------------------------------------
# Structural comparison helpers
# ---------------------------------------------------------------------------


def _shape(tp: Any) -> Any:
    """A module-independent description of a type annotation, comparable across packages."""
    if tp is Any:
        return "Any"
    if tp is None or tp is type(None):
        return "None"
    if isinstance(tp, (list, tuple)):
        return tuple(_shape(a) for a in tp)
    origin = get_origin(tp)
    if origin is Literal:
        return ("Literal", get_args(tp))
    if origin is Union or isinstance(tp, pytypes.UnionType):
        return ("Union", frozenset(_shape(a) for a in get_args(tp)))
    if origin is not None:
        name = getattr(origin, "__qualname__", None) or repr(origin)
        return (name, tuple(_shape(a) for a in get_args(tp)))
    if isinstance(tp, TypeVar):
        return ("TypeVar", tp.__name__)
    if isinstance(tp, type):
        return ("class", tp.__qualname__)
    if isinstance(tp, (str, ForwardRef)):
        return ("ref", str(tp))
    return repr(tp)


def _hints(obj: Any) -> dict[str, Any] | None:
    """Resolved annotations of a class or function, or None when they cannot be resolved."""
    try:
        return get_type_hints(obj)
    except (NameError, TypeError):
        return None


def _kind(obj: Any) -> str:
    if dataclasses.is_dataclass(obj) and isinstance(obj, type):
        return "dataclass"
    if is_typeddict(obj):
        return "typeddict"
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return "exception"
    if isinstance(obj, type):
        return "class"
    if inspect.isasyncgenfunction(obj):
        return "async generator function"
    if inspect.iscoroutinefunction(obj):
        return "coroutine function"
    if inspect.isfunction(obj):
        return "function"
    if get_origin(obj) is not None or isinstance(obj, pytypes.UnionType):
        return "alias"
    return "value"


def _params(func: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    """(name, kind, default) of each parameter (a stream default, i.e. sys.stderr, by its role)."""
    return [
        (p.name, p.kind, "<stream>" if hasattr(p.default, "write") else p.default)
        for p in inspect.signature(func).parameters.values()
    ]


def _assert_same_signature(
    real_func: Callable[..., Any], our_func: Callable[..., Any], extra_params_ok: bool = False
) -> None:
    real_params, our_params = _params(real_func), _params(our_func)
    if extra_params_ok:  # claude_compat's extensions come after every Claude parameter
        our_params = our_params[: len(real_params)]
    assert our_params == real_params
    assert inspect.iscoroutinefunction(our_func) == inspect.iscoroutinefunction(real_func)
    assert inspect.isasyncgenfunction(our_func) == inspect.isasyncgenfunction(real_func)
    real_hints, our_hints = _hints(real_func), _hints(our_func)
    if real_hints is not None and our_hints is not None:
        assert {k: _shape(our_hints[k]) for k in real_hints} == {k: _shape(v) for k, v in real_hints.items()}


def _field_default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return ("factory", f.default_factory())
    if f.default is dataclasses.MISSING:
        return "required"
    return ("default", f.default)


def _assert_same_dataclass(real_cls: type, our_cls: type, extra_fields_ok: bool = False) -> None:
    real_fields = dataclasses.fields(real_cls)
    our_fields = dataclasses.fields(our_cls)
    if extra_fields_ok:
        our_fields = our_fields[: len(real_fields)]
    assert [f.name for f in our_fields] == [f.name for f in real_fields]
    for r, o in zip(real_fields, our_fields, strict=True):
        if r.name == "debug_stderr":
            # both default to the sys.stderr of their import time, which pytest's capture may swap
            assert hasattr(o.default, "write") and hasattr(r.default, "write")
            continue
        assert _field_default(o) == _field_default(r), r.name
        assert (o.init, o.kw_only, o.compare) == (r.init, r.kw_only, r.compare), r.name
    real_hints, our_hints = get_type_hints(real_cls), get_type_hints(our_cls)
    for f in real_fields:
        assert _shape(our_hints[f.name]) == _shape(real_hints[f.name]), f.name
    params = real_cls.__dataclass_params__  # type: ignore[attr-defined]
    assert our_cls.__dataclass_params__.frozen == params.frozen  # type: ignore[attr-defined]
    assert [b.__name__ for b in our_cls.__mro__[1:]] == [b.__name__ for b in real_cls.__mro__[1:]]


def _assert_same_typeddict(real_td: Any, our_td: Any) -> None:
    assert list(our_td.__annotations__) == list(real_td.__annotations__)
    assert our_td.__required_keys__ == real_td.__required_keys__
    assert our_td.__optional_keys__ == real_td.__optional_keys__
    assert our_td.__total__ == real_td.__total__
    real_hints, our_hints = get_type_hints(real_td), get_type_hints(our_td)
    assert {k: _shape(v) for k, v in our_hints.items()} == {k: _shape(v) for k, v in real_hints.items()}


def _public_methods(cls: type) -> dict[str, Any]:
    return {
        name: value
        for klass in reversed(cls.__mro__)
        if klass.__module__.split(".")[0] in ("claude_agent_sdk", "claude_compat")
        for name, value in vars(klass).items()
        if (not name.startswith("_") or name in ("__init__", "__aenter__", "__aexit__"))
        and (inspect.isfunction(value) or isinstance(value, (property, classmethod, staticmethod)))
    }


def _assert_same_methods(real_cls: type, our_cls: type, extra_params_ok: bool = False) -> None:
    real_methods, our_methods = _public_methods(real_cls), _public_methods(our_cls)
    assert sorted(our_methods) == sorted(real_methods)
    for name, real_member in real_methods.items():
        our_member = our_methods[name]
        if isinstance(real_member, property):
            assert isinstance(our_member, property), name
        elif isinstance(real_member, classmethod):
            assert isinstance(our_member, classmethod), name
            _assert_same_signature(real_member.__func__, our_member.__func__)
        elif callable(real_member):
            _assert_same_signature(real_member, our_member, extra_params_ok)


def _assert_same_object(real_obj: Any, our_obj: Any) -> None:
    kind = _kind(real_obj)
    assert _kind(our_obj) == kind
    if kind == "dataclass":
        extended = real_obj is real.ClaudeAgentOptions
        _assert_same_dataclass(real_obj, our_obj, extra_fields_ok=extended)
        _assert_same_methods(real_obj, our_obj, extra_params_ok=extended)
    elif kind == "typeddict":
        _assert_same_typeddict(real_obj, our_obj)
    elif kind == "exception":
        assert [c.__name__ for c in our_obj.__mro__] == [c.__name__ for c in real_obj.__mro__]
        _assert_same_signature(real_obj.__init__, our_obj.__init__)
    elif kind == "class":
        _assert_same_methods(real_obj, our_obj)
        assert getattr(our_obj, "__abstractmethods__", frozenset()) == getattr(
            real_obj, "__abstractmethods__", frozenset()
        )
        assert typing.get_type_hints(our_obj).keys() >= typing.get_type_hints(real_obj).keys()
    elif kind in ("function", "coroutine function", "async generator function"):
        _assert_same_signature(real_obj, our_obj)
    elif kind == "alias":
        assert _shape(our_obj) == _shape(real_obj)


# ---------------------------------------------------------------------------
# Every public name
# ---------------------------------------------------------------------------


def test_all_mirrors_the_claude_sdk_then_adds_the_letta_errors() -> None:
    assert ours.__all__[: len(REAL_ALL)] == REAL_ALL
    assert ours.__all__[len(REAL_ALL) :] == [
        "LettaConnectionError",
        "LettaServerStartError",
        "LettaTimeoutError",
        "LettaAPIError",
        "LettaAuthenticationError",
        "UnknownModelError",
        "NotSupportedOnLettaError",
        "SessionNotFoundError",
        "SessionBusyError",
        "SessionRegistryError",
        "SessionNotReadyError",
        "InvalidOptionError",
        "InsecureStorageError",
        "TranscriptError",
        "unstable_v2_createSession",
        "unstable_v2_resumeSession",
        "unstable_v2_prompt",
        "unstable_v2_create_session",
        "unstable_v2_resume_session",
        "Session",
    ]


_CLIENT_PLACEHOLDER = pytest.mark.xfail(
    not hasattr(ours.ClaudeSDKClient, "receive_response"),
    reason="claude_compat/client.py is a placeholder until the engine lands",
    strict=True,
)


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=_CLIENT_PLACEHOLDER) if n == "ClaudeSDKClient" else n for n in REAL_ALL],
)
def test_claude_sdk_public_name_has_the_same_shape_in_claude_compat(name: str) -> None:
    assert hasattr(ours, name), f"claude_compat lacks {name}"
    if name == "__version__":
        assert isinstance(ours.__version__, str) and ours.__version__
        return
    _assert_same_object(getattr(real, name), getattr(ours, name))


@pytest.mark.parametrize("name", REAL_TYPES_NAMES)
def test_claude_sdk_types_module_name_is_importable_from_claude_compat_types(name: str) -> None:
    assert hasattr(our_types, name), f"claude_compat.types lacks {name}"
    _assert_same_object(getattr(real_types, name), getattr(our_types, name))
    if name in REAL_ALL:
        assert getattr(ours, name) is getattr(our_types, name)


def test_the_types_module_names_outside_all_include_those_used_in_signatures() -> None:
    used = {
        "HookEvent",
        "PermissionRuleValue",
        "PermissionUpdateDestination",
        "PermissionBehavior",
        "SystemPromptPreset",
        "SystemPromptCustom",
        "SystemPromptFile",
        "ToolsPreset",
        "McpStdioServerConfig",
        "McpSSEServerConfig",
        "McpHttpServerConfig",
        "McpSdkServerConfigStatus",
        "McpClaudeAIProxyServerConfig",
        "AsyncHookJSONOutput",
        "SyncHookJSONOutput",
        "HookSpecificOutput",
        "AssistantMessageError",
        "ThinkingDisplay",
        "SDKControlRequest",
    }
    assert used <= set(TYPES_NOT_IN_ALL)


def test_transport_is_abstract_with_the_claude_methods() -> None:
    assert ours.Transport.__abstractmethods__ == frozenset(
        {"connect", "write", "read_messages", "close", "is_ready", "end_input"}
    )
    with pytest.raises(TypeError):
        ours.Transport()  # type: ignore[abstract]


def test_message_parse_error_lives_in_claude_compat_errors_only() -> None:
    from claude_agent_sdk._errors import MessageParseError as RealMessageParseError

    from claude_compat.errors import MessageParseError

    assert [c.__name__ for c in MessageParseError.__mro__] == [
        c.__name__ for c in RealMessageParseError.__mro__
    ]
    assert "MessageParseError" not in ours.__all__
    with pytest.raises(ImportError):
        __import__("claude_compat._errors")


@pytest.mark.parametrize(
    ("letta_error", "claude_base"),
    [
        (LettaConnectionError, CLIConnectionError),
        (LettaServerStartError, LettaConnectionError),
        (LettaTimeoutError, LettaConnectionError),
        (LettaAPIError, ClaudeSDKError),
        (LettaAuthenticationError, LettaAPIError),
        (UnknownModelError, LettaAPIError),
        (NotSupportedOnLettaError, ClaudeSDKError),
        (SessionNotFoundError, ClaudeSDKError),
        (SessionBusyError, ClaudeSDKError),
        (SessionRegistryError, ClaudeSDKError),
        (InvalidOptionError, ClaudeSDKError),
        (InsecureStorageError, ClaudeSDKError),
    ],
    ids=lambda c: c.__name__,
)
def test_letta_errors_are_caught_by_the_claude_error_users_already_catch(
    letta_error: type, claude_base: type
) -> None:
    assert issubclass(letta_error, claude_base)
    assert getattr(ours, letta_error.__name__) is letta_error


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------

LETTA_FIELDS: dict[str, Any] = {
    "letta_agent_id": "agent-123",
    "letta_agent_name": "helper",
    "letta_memory_blocks": {"human": "Ada", "persona": "a careful coder"},
    "letta_model_handle": "openai/gpt-4o-mini",
    "letta_embedding_handle": "openai/text-embedding-3-small",
    "letta_model_settings": {"parallel_tool_calls": True},
    "letta_base_url": "http://127.0.0.1:8283",
    "letta_api_key": "secret",
    "letta_registry": "local",
    "letta_request_timeout": 30.0,
    "letta_idle_timeout": 120.0,
    "letta_turn_timeout": 900.0,
}


def test_claude_agent_options_accepts_the_letta_fields_after_the_claude_ones() -> None:
    names = [f.name for f in dataclasses.fields(ours.ClaudeAgentOptions)]
    claude_count = len(dataclasses.fields(real.ClaudeAgentOptions))
    assert names[claude_count:] == list(LETTA_FIELDS)
    options = ours.ClaudeAgentOptions(model="sonnet", **LETTA_FIELDS)
    for name, value in LETTA_FIELDS.items():
        assert getattr(options, name) == value
    defaults = ours.ClaudeAgentOptions()
    assert all(getattr(defaults, name) is None for name in LETTA_FIELDS)


def test_claude_agent_options_defaults_match_including_debug_stderr() -> None:
    # sys.stderr as it was when claude_compat was imported (pytest's capture may have swapped it since)
    assert getattr(ours.ClaudeAgentOptions().debug_stderr, "name", None) in ("<stderr>", sys.stderr.name)
    a, b = ours.ClaudeAgentOptions(), ours.ClaudeAgentOptions()
    assert a.allowed_tools is not b.allowed_tools  # mutable defaults are per instance
    assert a.load_timeout_ms == 60_000 and a.session_store_flush == "batched"


# ---------------------------------------------------------------------------
# PermissionUpdate.to_dict / from_dict behave as the Claude SDK's
# ---------------------------------------------------------------------------

PERMISSION_UPDATES: list[dict[str, Any]] = [
    {"type": "addRules", "rules": [("Bash", "npm test"), ("Read", None)], "behavior": "allow"},
    {"type": "replaceRules", "rules": [], "behavior": "deny", "destination": "projectSettings"},
    {"type": "removeRules", "rules": [("Edit", "")], "behavior": "ask"},
    {"type": "setMode", "mode": "acceptEdits", "destination": "session"},
    {"type": "addDirectories", "directories": ["/tmp/a"]},
    {"type": "removeDirectories", "directories": [], "destination": "userSettings"},
    {"type": "addRules", "behavior": "allow"},
    {"type": "addRules", "rules": [("Bash", None)]},
    {"type": "setMode"},
    {"type": "addDirectories"},
    {"type": "somethingNew"},
]


def _build_update(module: Any, spec: dict[str, Any]) -> Any:
    kwargs = dict(spec)
    if "rules" in kwargs:
        kwargs["rules"] = [
            module.PermissionRuleValue(tool_name=t, rule_content=c) for t, c in kwargs["rules"]
        ]
    return module.PermissionUpdate(**kwargs)


def _outcome(update: Any) -> Any:
    try:
        return update.to_dict()
    except ValueError:
        return ValueError


@pytest.mark.parametrize("spec", PERMISSION_UPDATES, ids=lambda s: "-".join(map(str, s)))
def test_permission_update_to_dict_matches_the_claude_sdk(spec: dict[str, Any]) -> None:
    expected = _outcome(_build_update(real_types, spec))
    assert _outcome(_build_update(our_types, spec)) == expected
    if expected is not ValueError:
        back = our_types.PermissionUpdate.from_dict(expected)
        assert dataclasses.asdict(back) == dataclasses.asdict(real_types.PermissionUpdate.from_dict(expected))


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------

SID = "2b4c9a1e-7f3d-4e5a-9b8c-0d1e2f3a4b5c"

SYNC_SESSION_CALLS: dict[str, tuple[Any, ...]] = {
    "list_sessions": (),
    "get_session_info": (SID,),
    "get_session_messages": (SID,),
    "list_subagents": (SID,),
    "get_subagent_messages": (SID, "agent-1"),
    "rename_session": (SID, "title"),
    "tag_session": (SID, "tag"),
    "delete_session": (SID,),
    "fork_session": (SID,),
}


@pytest.mark.parametrize("name", SYNC_SESSION_CALLS)
def test_session_functions_are_built_and_listed_as_mapped(name: str) -> None:
    # their behaviour is tested through a real server in tests/test_session_functions.py
    assert surface.status_of(name).status == "mapped" and surface.status_of(name).on_use == "works"


@pytest.mark.parametrize(
    "name",
    [
        "import_session_to_store",
        "list_sessions_from_store",
        "get_session_info_from_store",
        "get_session_messages_from_store",
        "list_subagents_from_store",
        "get_subagent_messages_from_store",
        "rename_session_via_store",
        "tag_session_via_store",
        "delete_session_via_store",
        "fork_session_via_store",
    ],
)
def test_built_store_functions_are_listed_as_mapped(name: str) -> None:
    # their behaviour is tested against the Claude SDK's in tests/test_store_functions.py
    assert surface.status_of(name).status == "mapped" and surface.status_of(name).on_use == "works"


TRANSCRIPT: list[Any] = [
    {
        "type": "user",
        "uuid": "u1",
        "timestamp": "2025-01-02T03:04:05.678Z",
        "cwd": "/work/project",
        "message": {"role": "user", "content": "<command-name>/review</command-name>"},
    },
    {"type": "user", "uuid": "u2", "message": {"content": [{"type": "tool_result"}]}},
    {"type": "user", "uuid": "u3", "isMeta": True, "message": {"content": "meta"}},
    {"type": "user", "uuid": "u4", "message": {"content": "<tick>"}},
    {
        "type": "user",
        "uuid": "u5",
        "gitBranch": "main",
        "message": {"content": [{"type": "text", "text": "Fix the failing test\n" * 30}]},
    },
    {"type": "assistant", "uuid": "a1", "message": {"content": [{"type": "text", "text": "ok"}]}},
    {"type": "tag", "tag": "urgent"},
    {"type": "custom-title", "customTitle": "Test fixing"},
    {"type": "summary", "summary": "Fixed a test", "aiTitle": "AI title"},
    {"type": "tag", "tag": ""},
    {"type": "last-prompt", "lastPrompt": "thanks", "isSidechain": True},
]


@pytest.mark.parametrize("split", [0, 1, 5, len(TRANSCRIPT)])
def test_fold_session_summary_matches_the_claude_sdk(split: int) -> None:
    key: Any = {"project_key": "p", "session_id": SID}
    first, rest = TRANSCRIPT[:split], TRANSCRIPT[split:]
    real_summary = real.fold_session_summary(None, key, first)
    our_summary = ours.fold_session_summary(None, key, first)
    assert our_summary == real_summary
    real_next = real.fold_session_summary(real_summary, key, rest)
    assert ours.fold_session_summary(our_summary, key, rest) == real_next


@pytest.mark.parametrize(
    "directory",
    [None, "/tmp", "relative/dir", "/tmp/ünïcödé dir", "/" + "very-long/" * 40],
    ids=["cwd", "tmp", "relative", "unicode", "long"],
)
def test_project_key_for_directory_matches_the_claude_sdk(directory: str | None) -> None:
    assert ours.project_key_for_directory(directory) == real.project_key_for_directory(directory)


async def _store_scenario(store: Any) -> list[Any]:
    main: Any = {"project_key": "proj", "session_id": "s1"}
    sub: Any = {**main, "subpath": "subagents/agent-1"}
    other: Any = {"project_key": "proj", "session_id": "s2"}
    seen: list[Any] = [await store.load(main)]
    await store.append(main, TRANSCRIPT[:5])
    await store.append(main, TRANSCRIPT[5:])
    await store.append(sub, TRANSCRIPT[:1])
    await store.append(other, TRANSCRIPT[:2])
    await store.append({"project_key": "elsewhere", "session_id": "s3"}, TRANSCRIPT[:1])
    seen.append(await store.load(main) == TRANSCRIPT)
    seen.append(sorted(e["session_id"] for e in await store.list_sessions("proj")))
    summaries = await store.list_session_summaries("proj")
    seen.append(sorted((s["session_id"], sorted(s["data"].items())) for s in summaries))
    seen.append(all(isinstance(s["mtime"], int) and s["mtime"] > 0 for s in summaries))
    seen.append(await store.list_subkeys({"project_key": "proj", "session_id": "s1"}))
    seen.append((store.size, store.get_entries(sub)))
    await store.delete(sub)
    seen.append((await store.list_subkeys(main), await store.load(main) is not None))
    await store.append(sub, TRANSCRIPT[:1])
    await store.delete(main)
    seen.append((await store.load(main), await store.load(sub), store.size))
    store.clear()
    seen.append((store.size, await store.list_sessions("proj")))
    return seen


@pytest.mark.anyio
async def test_in_memory_session_store_behaves_as_the_claude_sdk_one() -> None:
    assert await _store_scenario(ours.InMemorySessionStore()) == await _store_scenario(
        real.InMemorySessionStore()
    )


@pytest.mark.anyio
async def test_in_memory_session_store_mtimes_strictly_increase() -> None:
    store = ours.InMemorySessionStore()
    key: Any = {"project_key": "p", "session_id": "s"}
    mtimes = []
    for _ in range(5):
        await store.append(key, TRANSCRIPT[:1])
        mtimes += [e["mtime"] for e in await store.list_sessions("p")]
    assert mtimes == sorted(set(mtimes))


# ---------------------------------------------------------------------------
# The status table behind MIGRATING.md
# ---------------------------------------------------------------------------

OPTION_FIELDS = [f.name for f in dataclasses.fields(real.ClaudeAgentOptions)]


@pytest.mark.parametrize("name", REAL_ALL)
def test_every_public_name_has_a_migration_status(name: str) -> None:
    row = surface.status_of(name)
    assert row.status in ("mapped", "emulated", "refused", "not-yet")
    assert row.note


@pytest.mark.parametrize("field_name", OPTION_FIELDS)
def test_every_option_field_has_a_migration_status(field_name: str) -> None:
    row = surface.status_of(surface.OPTION_PREFIX + field_name)
    assert row.status in ("mapped", "emulated", "refused", "not-yet")
    assert row.on_use in ("works", "ignored", "warns", "raises")


def test_the_status_table_has_one_row_per_name_and_nothing_else() -> None:
    expected = set(REAL_ALL) | {surface.OPTION_PREFIX + f for f in OPTION_FIELDS}
    assert len(surface.ROWS) == len(surface.TABLE)
    assert set(surface.TABLE) == expected


def test_refused_rows_say_whether_they_warn_or_raise() -> None:
    for row in surface.ROWS:
        if row.status == "refused" and row.name.startswith(surface.OPTION_PREFIX):
            assert row.on_use in ("warns", "raises", "ignored"), row.name
        if row.status in ("mapped", "emulated"):
            assert row.on_use in ("works", "ignored"), row.name


def test_status_of_an_unknown_name_says_how_options_are_spelled() -> None:
    with pytest.raises(KeyError, match=r"ClaudeAgentOptions\.<field>"):
        surface.status_of("model")


def test_migration_table_lists_every_name_once() -> None:
    markdown = surface.render_markdown()
    for row in surface.ROWS:
        shown = row.name.removeprefix(surface.OPTION_PREFIX)
        assert f"| `{shown}` | {row.status} |" in markdown
    assert markdown.count("\n| `") == len(surface.ROWS)
    assert "### ClaudeAgentOptions fields" in markdown


def test_session_module_exports_are_the_package_exports() -> None:
    for name in our_sessions.__all__:
        assert getattr(ours, name) is getattr(our_sessions, name)
