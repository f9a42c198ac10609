"""The ClaudeSDKError tree, same names and constructors as claude_agent_sdk, plus Letta-backend failures.

Every backend failure is a subclass of a Claude error, so ``except CLIConnectionError`` and
``except ClaudeSDKError`` written for the Claude SDK keep catching what goes wrong on Letta.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ClaudeSDKError",
    "CLIConnectionError",
    "CLINotFoundError",
    "ProcessError",
    "ResultError",
    "CLIJSONDecodeError",
    "MessageParseError",
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
    "InvalidOptionError",
    "SessionNotReadyError",
    "TranscriptError",
]


class ClaudeSDKError(Exception):
    """Base exception for all Claude SDK errors."""


class CLIConnectionError(ClaudeSDKError):
    """Raised when unable to connect to the agent backend."""


class CLINotFoundError(CLIConnectionError):
    """Raised when the backend program is not found or not installed."""

    def __init__(self, message: str = "Claude Code not found", cli_path: str | None = None):
        if cli_path:
            message = f"{message}: {cli_path}"
        super().__init__(message)


class ProcessError(ClaudeSDKError):
    """Raised when the backend process fails."""

    def __init__(self, message: str, exit_code: int | None = None, stderr: str | None = None):
        self.exit_code = exit_code
        self.stderr = stderr
        if exit_code is not None:
            message = f"{message} (exit code: {exit_code})"
        if stderr:
            message = f"{message}\nError output: {stderr}"
        super().__init__(message)


def _clean_errors(raw: Any) -> list[str]:
    """Normalise a result's ``errors`` field to non-blank strings."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    return [e.strip() for e in raw if isinstance(e, str) and e.strip()]


class ResultError(ProcessError):
    """Raised after a run reported an error result (the ResultMessage is yielded first)."""

    def __init__(
        self,
        message: str,
        data: dict[str, Any] | None = None,
        exit_code: int | None = None,
    ):
        data = data if isinstance(data, dict) else {}
        self.data = data
        self.subtype: str | None = _str_or_none(data.get("subtype"))
        self.errors: list[str] = _clean_errors(data.get("errors"))
        self.result: str | None = _str_or_none(data.get("result"))
        status = data.get("api_error_status")
        self.api_error_status: int | None = status if isinstance(status, int) else None
        self.terminal_reason: str | None = _str_or_none(data.get("terminal_reason"))
        self.session_id: str | None = _str_or_none(data.get("session_id"))
        super().__init__(message, exit_code=exit_code)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class CLIJSONDecodeError(ClaudeSDKError):
    """Raised when a backend frame is not valid JSON."""

    def __init__(self, line: str, original_error: Exception):
        self.line = line
        self.original_error = original_error
        super().__init__(f"Failed to decode JSON: {line[:100]}...")


class MessageParseError(ClaudeSDKError):
    """Raised when a backend message cannot be parsed."""

    def __init__(self, message: str, data: dict[str, Any] | None = None):
        self.data = data
        super().__init__(message)


# --- Letta backend failures, each under the Claude error a Claude SDK user already catches ---


class LettaConnectionError(CLIConnectionError):
    """The Letta server cannot be reached (not running, wrong URL, network down)."""

    def __init__(self, message: str, *, base_url: str | None = None):
        self.base_url = base_url
        super().__init__(message)


class LettaServerStartError(LettaConnectionError):
    """A local Letta server could not be started; ``log_tail`` quotes its log."""

    def __init__(
        self,
        message: str,
        *,
        base_url: str | None = None,
        log_path: str | None = None,
        log_tail: str = "",
    ):
        self.log_path = log_path
        self.log_tail = log_tail
        if log_tail:
            message = f"{message}\n--- last lines of {log_path} ---\n{log_tail}"
        super().__init__(message, base_url=base_url)


class LettaTimeoutError(LettaConnectionError):
    """The Letta server stopped answering within a bound; ``wait`` is ``request``, ``idle`` or ``turn``.

    ``setting`` names the ``ClaudeAgentOptions`` field that raises the bound, ``seconds`` its value.
    """

    def __init__(
        self,
        message: str,
        *,
        base_url: str | None = None,
        wait: str = "",
        seconds: float | None = None,
        conversation_id: str | None = None,
        setting: str = "",
    ):
        self.wait = wait
        self.seconds = seconds
        self.conversation_id = conversation_id
        self.setting = setting
        super().__init__(message, base_url=base_url)


class LettaAPIError(ClaudeSDKError):
    """The Letta server answered with an error; ``status_code`` is its HTTP status."""

    def __init__(self, message: str, *, status_code: int | None = None, body: Any = None):
        self.status_code = status_code
        self.body = body
        super().__init__(message)


class LettaAuthenticationError(LettaAPIError):
    """The Letta server refused the API key (HTTP 401/403)."""


class UnknownModelError(LettaAPIError):
    """The chosen model handle is not served by the Letta server; ``available`` lists those that are.

    ``handle`` is None when nothing chose a model and the server offers none, or several.
    """

    def __init__(self, handle: str | None, available: list[str]):
        self.handle = handle
        self.available = available
        listed = ", ".join(available)
        choose = "Set CLAUDE_COMPAT_MODEL or ClaudeAgentOptions(letta_model_handle=...) to one of them."
        if not available:
            wanted = f"model handle {handle!r} is not available: " if handle else ""
            message = (
                f"{wanted}the Letta server offers no models — give it a model provider (for example "
                "OPENAI_API_KEY or ANTHROPIC_API_KEY in the server's environment), then set "
                "CLAUDE_COMPAT_MODEL or ClaudeAgentOptions(letta_model_handle=...) to one of its handles."
            )
        elif handle is None:
            message = f"no model was chosen and the Letta server offers several: {listed}. {choose}"
        else:
            message = (
                f"model handle {handle!r} is not available on the Letta server. "
                f"Available handles: {listed}. {choose}"
            )
        super().__init__(message, status_code=404)


class NotSupportedOnLettaError(ClaudeSDKError, NotImplementedError):
    """The Claude SDK feature has no Letta equivalent yet (see MIGRATING.md)."""

    def __init__(self, feature: str, hint: str = ""):
        self.feature = feature
        message = f"{feature} is not supported on Letta yet"
        message += f": {hint}" if hint else " (see MIGRATING.md for alternatives)"
        super().__init__(message)


class SessionNotFoundError(ClaudeSDKError, ValueError):
    """A session id, conversation id or agent id given to resume could not be found."""

    def __init__(self, message: str, *, looked_up: str | None = None):
        self.looked_up = looked_up
        super().__init__(message)


class SessionBusyError(ClaudeSDKError):
    """Another turn is already running on this session."""


class SessionRegistryError(ClaudeSDKError):
    """The local session registry file cannot be used (damaged, emptied); ``path`` names it and
    ``backup`` the last good copy, if any. It is never reset silently."""

    def __init__(self, message: str, *, path: str | None = None, backup: str | None = None):
        self.path = path
        self.backup = backup
        super().__init__(message)


class InvalidOptionError(ClaudeSDKError, ValueError):
    """An option value (or an unknown option name) cannot be used."""


class InsecureStorageError(ClaudeSDKError, PermissionError):
    """A directory or file claude-compat keeps private is owned by someone else (or is a symlink)."""

    def __init__(self, message: str, *, path: str | None = None):
        self.path = path
        super().__init__(message)


class SessionNotReadyError(ClaudeSDKError, RuntimeError):
    """A V2 session's id was read before its first message arrived."""


class TranscriptError(ClaudeSDKError, ValueError):
    """A Claude session transcript (a JSONL file or a SessionStore key) cannot be read as a session.

    ``source`` is the file path or store key, ``line`` the 1-based line or entry number (None when
    the whole source is at fault). Nothing was imported or written when this is raised.
    """

    def __init__(self, message: str, *, source: str, line: int | None = None):
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
