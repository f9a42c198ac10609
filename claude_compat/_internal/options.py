"""Option checks and normalisation: what a ClaudeAgentOptions asks of the backend.

Fields the table in ``surface.py`` marks "raises" fail at once with NotSupportedOnLettaError;
"warns" fields warn once per process; the rest become a :class:`SessionSpec`.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path
from typing import Any

from letta_backend.agents import normalise_blocks
from letta_backend.mapping import MAX_OUTPUT_TOKENS_ENV
from letta_backend.timeouts import Timeouts

from .._backend import SessionSpec
from ..errors import CLIConnectionError, InvalidOptionError, NotSupportedOnLettaError
from ..types import ClaudeAgentOptions
from . import cli_facts, setting_sources, surface
from .permission_modes import PERMISSION_MODES
from .rules import parse_rule
from .unoffered import cli_names, routed_names

#: Rendered for ``system_prompt={"type": "preset", "preset": "claude_code"}``.
CLAUDE_CODE_PRESET = (
    "You are an interactive agent that helps users with software engineering tasks. "
    "Use the tools available to you to read, search and change files and to run commands "
    "in the user's working directory. Be concise and accurate; explain what you changed."
)

_warned: set[str] = set()
_DEFAULTS = ClaudeAgentOptions()


def check_options(options: ClaudeAgentOptions) -> None:
    """Raise for options that are wrong or Letta cannot honour; warn once for options it ignores.

    Runs before anything connects, so a bad value never surfaces mid-turn after a tool ran.
    """
    if not isinstance(options, ClaudeAgentOptions):
        raise InvalidOptionError(f"options must be a ClaudeAgentOptions, not {type(options).__name__}")
    _check_cwd(options.cwd)
    turns = options.max_turns
    if turns is not None and (isinstance(turns, bool) or not isinstance(turns, int) or turns < 1):
        raise InvalidOptionError(f"max_turns must be a whole number of turns, at least 1, not {turns!r}")
    _check_output_format(options.output_format)
    timeouts_of(options)
    if options.continue_conversation and options.resume:
        raise InvalidOptionError("continue_conversation and resume cannot be used together")
    if options.permission_mode is not None and options.permission_mode not in PERMISSION_MODES:
        raise InvalidOptionError(
            f"unknown permission_mode {options.permission_mode!r}; use one of {sorted(PERMISSION_MODES)}"
        )
    for rule in [*options.allowed_tools, *options.disallowed_tools]:
        if not isinstance(rule, str):
            raise InvalidOptionError(f"allowed_tools/disallowed_tools entries must be strings, not {rule!r}")
        parse_rule(rule)
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        if _is_default(f.name, value):
            continue
        try:
            row = surface.status_of(surface.OPTION_PREFIX + f.name)
        except KeyError:
            continue
        if row.on_use == "raises":
            raise NotSupportedOnLettaError(f"ClaudeAgentOptions.{f.name}", row.note)
        if row.on_use == "warns" and f.name not in _warned:
            _warned.add(f.name)
            warnings.warn(
                f"ClaudeAgentOptions.{f.name} is ignored on Letta: {row.note}",
                UserWarning,
                stacklevel=4,
            )


def _check_cwd(cwd: object) -> None:
    """A missing working directory fails as the Claude SDK fails: CLIConnectionError, same words."""
    if cwd is None:
        return
    if not isinstance(cwd, (str, os.PathLike)):
        raise InvalidOptionError(f"cwd must be a str or a Path, not {type(cwd).__name__}")
    path = Path(cwd)
    if not path.exists():
        raise CLIConnectionError(f"Working directory does not exist: {cwd}")
    if not path.is_dir():
        raise CLIConnectionError(f"Working directory is not a directory: {cwd}")


def _check_output_format(output_format: object) -> None:
    """``{"type": "json_schema", "schema": <a valid JSON schema>}``, or a typed error saying what is wrong."""
    if output_format is None:
        return
    if (
        not isinstance(output_format, dict)
        or output_format.get("type") != "json_schema"
        or not isinstance(output_format.get("schema"), dict)
    ):
        raise InvalidOptionError('output_format must be {"type": "json_schema", "schema": {...}}')
    import jsonschema

    schema = output_format["schema"]
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        raise InvalidOptionError(
            f"output_format's schema is not a valid JSON schema: {exc.message} (at {where})"
        ) from None


def timeouts_of(options: ClaudeAgentOptions) -> Timeouts:
    """How long this session waits for Letta: ``letta_*_timeout`` options, else environment, else defaults."""
    return Timeouts.resolve(
        request=options.letta_request_timeout,
        idle=options.letta_idle_timeout,
        turn=options.letta_turn_timeout,
    )


def _is_default(name: str, value: Any) -> bool:
    default = getattr(_DEFAULTS, name)
    try:
        return bool(value == default)
    except Exception:
        return value is default


def render_system_prompt(value: Any, preset_text: str | None = None) -> str:
    """The Letta agent's system prompt for a Claude ``system_prompt`` value, framed as the CLI frames it:
    the agent identity line first, then the program's own prompt or the ``claude_code`` preset
    (``preset_text``, the CLI's own read at run time, else the project's stand-in) and its append.
    """
    if value is None:
        return cli_facts.AGENT_IDENTITY
    if isinstance(value, str):
        return _after_identity(value)
    if isinstance(value, dict):
        kind = value.get("type")
        if kind == "preset":
            append = value.get("append")
            identity = cli_facts.PRESET_APPEND_IDENTITY if append else cli_facts.AGENT_IDENTITY
            preset = preset_text or CLAUDE_CODE_PRESET
            return f"{identity}\n\n{preset}" + (f"\n\n{append}" if append else "")
        if kind == "custom":
            return _after_identity(str(value.get("prompt", "")))
        if kind == "file":
            path = Path(str(value.get("path", "")))
            try:
                return _after_identity(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise InvalidOptionError(f"system_prompt file {path} cannot be read: {exc}") from None
    raise InvalidOptionError(
        f"system_prompt must be a str, None or a preset/custom/file dict, not {type(value).__name__}"
    )


def _after_identity(prompt: str) -> str:
    return f"{cli_facts.AGENT_IDENTITY}\n\n{prompt}" if prompt.strip() else cli_facts.AGENT_IDENTITY


def cwd_of(options: ClaudeAgentOptions) -> str:
    """The session's working directory as an absolute path."""
    return str(Path(options.cwd).resolve()) if options.cwd is not None else os.getcwd()


def session_spec(
    options: ClaudeAgentOptions,
    *,
    first_prompt: str | None,
    subagent_of: tuple[str, str] | None = None,
    preset_text: str | None = None,
) -> SessionSpec:
    """The backend request for a new (or resumed) session (``preset_text``: see render_system_prompt)."""
    return SessionSpec(
        system_prompt=render_system_prompt(options.system_prompt, preset_text),
        model=options.model,
        model_handle=options.letta_model_handle,
        embedding_handle=options.letta_embedding_handle or os.environ.get("CLAUDE_COMPAT_EMBEDDING") or None,
        memory_blocks=normalise_blocks(options.letta_memory_blocks)
        + setting_sources.instruction_blocks(cwd_of(options), options.setting_sources),
        model_settings=dict(options.letta_model_settings or {}),
        routed_tools=tuple(
            dict.fromkeys([*routed_names(options.disallowed_tools), *deferred_tools(options), *cli_names()])
        ),
        thinking=dict(options.thinking) if options.thinking else None,
        effort=options.effort,
        max_thinking_tokens=options.max_thinking_tokens,
        max_output_tokens=max_output_tokens(options),
        agent_id=options.letta_agent_id,
        agent_name=options.letta_agent_name,
        cwd=cwd_of(options),
        session_id=options.session_id,
        resume=options.resume,
        resume_session_at=options.resume_session_at,
        subagent_of=subagent_of,
        continue_conversation=options.continue_conversation,
        fork_session=options.fork_session,
        first_prompt=first_prompt[:200] if first_prompt else None,
        claude_sessions=_claude_sessions(options) if subagent_of is None else None,
    )


def deferred_tools(options: ClaudeAgentOptions) -> list[str]:
    """The session's tools kept behind ToolSearch: the server hands a call to one to the client even
    before ToolSearch loaded it (the CLI runs such a call)."""
    from .builtins import RUN_HERE, cli_tool_set
    from .tool_search import deferred_of

    with warnings.catch_warnings():  # the tool host warns about unknown tools= names
        warnings.simplefilter("ignore")
        tool_set = cli_tool_set(
            options.tools,  # type: ignore[arg-type]
            allowed=list(options.allowed_tools),
            disallowed=list(options.disallowed_tools),
            interactive=options.can_use_tool is not None,
            env={**os.environ, **options.env},
        )
    return deferred_of(tool_set, runnable=RUN_HERE)


def max_output_tokens(options: ClaudeAgentOptions) -> int | None:
    """The output token limit the program set for the CLI (its env, else this process's), if any.

    A value that is not a positive whole number leaves the model's default, as no limit set.
    """
    raw = (options.env or {}).get(MAX_OUTPUT_TOKENS_ENV) or os.environ.get(MAX_OUTPUT_TOKENS_ENV)
    value = str(raw or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _claude_sessions(options: ClaudeAgentOptions) -> Any:
    """Sessions the real Claude SDK wrote, found on resume/continue (see claude_sessions)."""
    if not (options.resume or options.continue_conversation):
        return None
    from .claude_sessions import finder

    return finder(options, cwd_of(options))
