"""How long claude-compat waits for Letta: the table of bounds, their settings, and the stall error.

Each bound is set by a ``ClaudeAgentOptions.letta_*`` option, else an environment variable, else
its default. A wait that runs out raises :class:`~claude_compat.errors.LettaTimeoutError` naming
the server, the conversation, the wait and the setting to raise.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import anyio

from claude_compat.errors import InvalidOptionError, LettaTimeoutError

Wait = Literal["request", "idle", "turn"]


@dataclass(frozen=True)
class Bound:
    """One wait claude-compat bounds: its settings, default and what it covers."""

    wait: Wait
    option: str  # ClaudeAgentOptions field
    env: str  # environment variable
    default: float | None  # seconds; None = no limit unless set
    covers: str  # what it bounds (docs and errors)


#: Every bound, as MIGRATING.md's "Timeouts" table lists them.
BOUNDS: dict[Wait, Bound] = {
    "request": Bound(
        "request",
        "letta_request_timeout",
        "CLAUDE_COMPAT_REQUEST_TIMEOUT",
        60.0,
        "each request that is not a turn's stream: health check, agent and conversation setup, "
        "listing, cancel (connecting is bounded by 5 s on its own)",
    ),
    "idle": Bound(
        "idle",
        "letta_idle_timeout",
        "CLAUDE_COMPAT_IDLE_TIMEOUT",
        300.0,
        "silence on a turn's stream: from sending the request to its first event, and between "
        "events (a Letta server sends a keepalive ping every 20 s while the model works)",
    ),
    "turn": Bound(
        "turn",
        "letta_turn_timeout",
        "CLAUDE_COMPAT_TURN_TIMEOUT",
        None,
        "a whole turn, from the prompt to its ResultMessage: model calls, local tool runs (a tool "
        "still running is stopped) and the wait for a request slot",
    ),
}


@dataclass(frozen=True)
class Timeouts:
    """The bounds in force for one connection, in seconds (``turn=None``: no turn limit)."""

    request: float
    idle: float
    turn: float | None

    @classmethod
    def resolve(
        cls,
        *,
        request: float | None = None,
        idle: float | None = None,
        turn: float | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Timeouts:
        """Option values (None: not given), else the environment, else the defaults; bad values raise."""
        env = os.environ if environ is None else environ
        given: dict[Wait, float | None] = {"request": request, "idle": idle, "turn": turn}
        values: dict[Wait, float | None] = {}
        for wait, bound in BOUNDS.items():
            value = given[wait]
            if value is not None:
                values[wait] = _seconds(value, bound.option)
                continue
            raw = env.get(bound.env, "").strip()
            values[wait] = _parse_env(raw, bound.env) if raw else bound.default
        request_s, idle_s = values["request"], values["idle"]
        assert request_s is not None and idle_s is not None  # their defaults are numbers
        return cls(request=request_s, idle=idle_s, turn=values["turn"])

    def seconds(self, wait: Wait) -> float | None:
        """The bound of one wait."""
        value: float | None = getattr(self, wait)
        return value

    def deadline(self) -> float | None:
        """When a turn starting now must end, in the event loop's clock (None: never)."""
        return None if self.turn is None else anyio.current_time() + self.turn


#: The bounds with nothing set.
DEFAULT_TIMEOUTS = Timeouts.resolve(environ={})


def _seconds(value: object, setting: str) -> float:
    """A positive number of seconds, or an InvalidOptionError naming the setting."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value <= 0:
        raise InvalidOptionError(f"{setting} must be a positive number of seconds, not {value!r}")
    return float(value)


def _parse_env(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise InvalidOptionError(f"{name} must be a positive number of seconds, not {raw!r}") from None
    return _seconds(value, name)


class Stalled(Exception):
    """A bounded wait ran out; the backend turns it into LettaTimeoutError with the full context."""

    def __init__(self, wait: Wait, doing: str = "") -> None:
        self.wait: Wait = wait
        self.doing = doing
        super().__init__(f"{wait} timeout" + (f" while {doing}" if doing else ""))


def next_wait(idle: float | None, deadline: float | None) -> tuple[float, Wait]:
    """How long the next wait may last, and which bound that is (the nearer of idle and turn end)."""
    if deadline is not None:
        left = max(deadline - anyio.current_time(), 0.0)
        if idle is None or left < idle:
            return left, "turn"
    return (idle if idle is not None else math.inf), "idle"


def _hint(wait: Wait) -> str:
    bound = BOUNDS[wait]
    return f"{bound.option}= (or {bound.env})"


def stall_error(
    wait: Wait,
    seconds: float | None,
    *,
    base_url: str,
    conversation_id: str | None = None,
    doing: str = "",
) -> LettaTimeoutError:
    """The error for a wait that ran out: what stalled, where, and which setting to raise."""
    where = f" on conversation {conversation_id}" if conversation_id else ""
    secs = f"{seconds:g} s" if seconds is not None else "its time limit"
    if wait == "idle":
        message = (
            f"the Letta server at {base_url} sent nothing for {secs} while streaming a turn{where} "
            f"(idle timeout) — check that the server and its model provider answer (for the embedded "
            f"server: `claude-compat server status`), or raise {_hint(wait)}"
        )
    elif wait == "turn":
        still = f": {doing} was still running" if doing else ""
        message = (
            f"the turn{where} at {base_url} did not finish within {secs} (turn timeout){still} — "
            f"raise {_hint(wait)}, or leave it unset for no turn limit"
        )
    else:
        message = (
            f"the Letta server at {base_url} did not answer a request within {secs} (request "
            f"timeout) — it may be overloaded or busy: retry, lower CLAUDE_COMPAT_MAX_CONCURRENCY so "
            f"fewer requests reach it at once, or raise {_hint(wait)}"
        )
    return LettaTimeoutError(
        message,
        base_url=base_url,
        wait=wait,
        seconds=seconds,
        conversation_id=conversation_id,
        setting=BOUNDS[wait].option,
    )
