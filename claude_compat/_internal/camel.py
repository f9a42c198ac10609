"""Option normalisation for the V2 API: ClaudeAgentOptions, a dict (camelCase or snake_case), or kwargs."""

from __future__ import annotations

import dataclasses
import difflib
import re
import warnings
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidOptionError
from ..types import ClaudeAgentOptions

_FIELDS = {f.name for f in dataclasses.fields(ClaudeAgentOptions)}

#: TypeScript-only V2 option names with no Python equivalent: accepted, with what happens.
TS_ONLY: dict[str, str] = {
    "pathToClaudeCodeExecutable": "there is no CLI on Letta",
    "executable": "there is no CLI on Letta",
    "executableArgs": "there is no CLI on Letta",
    "allowDangerouslySkipPermissions": "bypassPermissions needs no extra switch on Letta",
    "planModeInstructions": "plan mode uses the built-in instructions",
}

#: camelCase keys whose snake_case form is not the mechanical one.
RENAMES: dict[str, str] = {"continue": "continue_conversation", "sessionId": "session_id"}


def snake(name: str) -> str:
    """``allowedTools`` → ``allowed_tools``."""
    return RENAMES.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def to_options(
    options: ClaudeAgentOptions | Mapping[str, Any] | None, kwargs: Mapping[str, Any]
) -> ClaudeAgentOptions:
    """One ClaudeAgentOptions from any accepted form; unknown names are a typed error."""
    if isinstance(options, ClaudeAgentOptions):
        base = options
        extra: dict[str, Any] = {}
    elif options is None or isinstance(options, Mapping):
        base = ClaudeAgentOptions()
        extra = dict(options or {})
    else:
        raise InvalidOptionError(
            f"options must be ClaudeAgentOptions, a dict or None, not {type(options).__name__}"
        )
    extra.update(kwargs)
    changes: dict[str, Any] = {}
    for key, value in extra.items():
        if key in TS_ONLY:
            warnings.warn(f"option {key!r} is ignored on Letta: {TS_ONLY[key]}", UserWarning, stacklevel=4)
            continue
        name = key if key in _FIELDS else snake(key)
        if name not in _FIELDS:
            close = difflib.get_close_matches(name, sorted(_FIELDS), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            raise InvalidOptionError(f"unknown option {key!r}{hint}")
        changes[name] = value
    return dataclasses.replace(base, **changes) if changes else base
