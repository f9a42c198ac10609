"""The Claude CLI's first model request, read at run time from the user's installed claude-agent-sdk.

The CLI's long texts (system prompt, tool descriptions and schemas) belong to Anthropic and are not
in this repository. When the real SDK is installed, its bundled CLI is run once, offline, against a
local scripted Messages API; its first request is kept per CLI version and model (and, for the tools
only some sessions have, a "full" one: see :func:`cli_tool_texts`) in a private cache directory, with
the volatile parts (working directory, date, session ids) replaced by placeholders.
Without the real SDK this returns None, and says so once in the log: the project's own texts apply.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import tempfile
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import platformdirs

from .._private_files import private_dir, write_private_text
from .cli_facts import SEARCH_TOOLS
from .task_output import project_dir

__all__ = [
    "CWD",
    "CliReminders",
    "ForkTexts",
    "DATE",
    "MEMORY_DIR",
    "PLAN_FILE",
    "PlanTexts",
    "TEXTS_ENV",
    "cache_path",
    "claude_model_of",
    "cli_default_model",
    "cli_model",
    "cli_reminders",
    "cli_tool_texts",
    "cli_version",
    "fork_texts",
    "memory_dir",
    "plan_texts",
    "preset_prompt",
    "recorded_request",
    "reminders_of",
    "skill_entries",
    "skill_text",
]

log = logging.getLogger("claude_compat")

#: The first line of the CLI's reminder that lists the agent types (a short frame, kept as data).
AGENT_TYPES_HEADER = "Available agent types for the Agent tool:"
#: The first line of the CLI's reminder that lists the skills the Skill tool loads (a short frame).
SKILLS_HEADER = "The following skills are available for use with the Skill tool:"
#: The CLI's countdown of a task's token budget, in its reminders (see :func:`reminders_of`).
TOKENS_LEFT = re.compile(r"<total_tokens>(\d+) tokens left</total_tokens>")
#: Where the tokens left go in a recorded text.
TOKENS_NOTE = "{tokens_left}"

#: Placeholders the volatile parts of a recorded request are replaced with.
CWD = "<cwd>"
DATE = "<date>"
#: The session's memory folder the ``claude_code`` preset names (``<config>/projects/<project>/memory``).
MEMORY_DIR = "<memory-dir>"
#: What a recording keeps (its placeholders): a change records again, in a folder of its own.
RECORDING_FORMAT = 2
#: Where the plan file's path goes in the CLI's plan-mode reminders (see :func:`plan_texts`).
PLAN_FILE = "{plan_file}"


#: The CLI's environment for an offline recording (see the oracle recipe): no traffic but the scripted API.
def offline_env(base_url: str, home: Path) -> dict[str, str]:
    """The variables that run the real SDK's CLI offline against a scripted Anthropic API at
    ``base_url``, with ``home`` as its home and config folder (the oracle recipe)."""
    return {
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-ant-scripted-offline",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_AGENT_SDK_SKIP_VERSION_CHECK": "1",
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
    }


#: The longest a recording may take (the CLI answers one scripted turn in about a second).
_RECORD_TIMEOUT_S = 60.0

#: Set to 0 / false to give the model claude-compat's own tool texts even when the real SDK is installed.
TEXTS_ENV = "CLAUDE_COMPAT_CLI_TOOL_TEXTS"

_said_missing = False
_said_failed = False
_texts: dict[tuple[str, str | None, bool], dict[str, dict[str, Any]]] = {}  # by version, model, full


def cli_version() -> str | None:
    """The installed claude-agent-sdk's version, or None when it is not installed."""
    if importlib.util.find_spec("claude_agent_sdk") is None:
        return None
    try:
        return importlib.metadata.version("claude-agent-sdk")
    except importlib.metadata.PackageNotFoundError:
        return None


def cache_path(version: str, model: str | None, *, preset: bool = False, full: bool = False) -> Path:
    """Where the request recorded for ``version`` and ``model`` is kept (owner-only)."""
    root = os.environ.get("CLAUDE_COMPAT_CACHE") or platformdirs.user_cache_dir("claude-compat")
    name = (
        re.sub(r"[^A-Za-z0-9._-]", "_", model or "default")
        + (".preset" if preset else "")
        + (".full" if full else "")
    )
    return Path(root) / "cli-requests" / f"{version}.{RECORDING_FORMAT}" / f"{name}.json"


async def recorded_request(
    model: str | None = None, *, preset: bool = False, full: bool = False
) -> dict[str, Any] | None:
    """The CLI's first request for ``model`` with placeholders for volatile parts; None without the SDK.

    ``preset``: the request of an agent with the ``claude_code`` system prompt preset, else of one
    with no system prompt. ``full``: of an agent whose options bring every tool they can: its search
    tools named (Glob and Grep are offered, and Bash's text points to them) and a ``can_use_tool``
    callback (the tools that ask the user are offered).
    """
    global _said_missing
    version = cli_version()
    if version is None:
        if not _said_missing:
            _said_missing = True
            log.info(
                "claude-agent-sdk is not installed: the model gets claude-compat's own system prompt "
                "and tool texts (install claude-agent-sdk to give it the Claude CLI's)"
            )
        return None
    path = cache_path(version, model, preset=preset, full=full)
    if path.exists():
        cached: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cached
    with anyio.fail_after(_RECORD_TIMEOUT_S):
        body = await _record(model, preset, full=full)
    private_dir(path.parent)
    write_private_text(path, json.dumps(body, indent=1))
    return body


async def _record(
    model: str | None,
    preset: bool = False,
    call: tuple[str, dict[str, Any]] | None = None,
    *,
    full: bool = False,
    plan: bool = False,
    subagent: bool = False,
) -> dict[str, Any]:
    """The CLI's first main-loop request, normalised, recorded in a child interpreter.

    With ``call`` (a tool's name and input), the CLI's second request, made after the model's first
    answer called that tool (a Skill call: what the skill loaded; an Agent fork: the fork's first).
    With ``plan``, the CLI's plan-mode reminders instead (see :func:`_record_plan_here`); with
    ``subagent``, the first request of a subagent of the program's own (see :data:`_SUBAGENT_MARK`). A child,
    because the process asking may have ``claude_agent_sdk`` mapped to claude-compat (``claude-compat
    run``, the ab lane) and then cannot load the real SDK; the child has no such hook.
    """
    import sys

    asked = {"model": model, "preset": preset, "call": call, "full": full, "plan": plan, "subagent": subagent}
    command = [sys.executable, "-m", __name__, json.dumps(asked)]
    # the recording is kept per model, "default" for none: the CLI must not take one from the environment
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_MODEL"}
    done = await anyio.run_process(command, check=False, env=env)
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"recording the Claude CLI's request failed (exit {done.returncode}): {tail[0]}")
    lines = done.stdout.decode().strip().splitlines()
    body: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    if not body:
        raise RuntimeError("recording the Claude CLI's request printed nothing")
    return body


async def _record_here(
    model: str | None,
    preset: bool = False,
    call: tuple[str, dict[str, Any]] | None = None,
    full: bool = False,
    subagent: bool = False,
) -> dict[str, Any]:
    """Run the real CLI once against a scripted API and return its first main-loop request, normalised
    (with ``call``: its second, after the model called that tool; with ``subagent``: the first of
    the subagent its first answer starts; see :func:`_record`)."""
    import claude_agent_sdk as sdk

    if sdk.__name__ != "claude_agent_sdk":  # an import hook maps the name to claude-compat here
        raise RuntimeError(
            "claude_agent_sdk is mapped to claude-compat in this process; the real CLI cannot run"
        )
    from ..testing._anthropic import AnthropicScriptedServer
    from ..testing._script import ScriptedModel, ToolCall, Turn

    server = AnthropicScriptedServer(ScriptedModel("recording")).start()
    if subagent:
        call = ("Agent", {"description": "recording", "prompt": "hi", "subagent_type": _SUBAGENT_TYPE})
    try:
        if call is not None:
            server.model.push(Turn(tool_calls=[ToolCall(call[0], call[1], id="toolu_recording")]), "ok")
        server.model.push("ok")
        with tempfile.TemporaryDirectory(prefix="claude-compat-record-") as tmp:
            home, work = Path(tmp) / "home", Path(tmp) / "work"
            home.mkdir()
            work.mkdir()
            options = sdk.ClaudeAgentOptions(
                cwd=str(work),
                env=offline_env(server.base_url, home),
                model=model,
                system_prompt={"type": "preset", "preset": "claude_code"} if preset else None,
                # full: naming the search tools opts in to them; a callback offers the tools that ask
                allowed_tools=sorted(SEARCH_TOOLS) if full else [],
                can_use_tool=_allow if full else None,
                agents={_SUBAGENT_TYPE: sdk.AgentDefinition(description="recording", prompt=_SUBAGENT_MARK)}
                if subagent
                else None,
            )
            async for _ in sdk.query(prompt="hi", options=options):
                pass
            main = [r.body for r in server.model.requests if r.body.get("tools")]
            if subagent:
                main = [b for b in main if _SUBAGENT_MARK in json.dumps(b.get("system"))]
            elif call is not None:  # the request that carries text after the call's result, else the next
                main = [b for b in main[1:] if _loaded_after_result(b)] or main[1:]
            if not main:
                raise RuntimeError("the Claude CLI sent no model request while being recorded")
            return _normalised(main[0], str(work), memory_dir(offline_env("", home), str(work)))
    finally:
        server.stop()


async def _allow(name: str, tool_input: dict[str, Any], context: Any) -> Any:
    """The recording's permission callback (its one scripted turn calls no tool that asks)."""
    import claude_agent_sdk as sdk

    return sdk.PermissionResultAllow()


def memory_dir(env: dict[str, str], cwd: str) -> Path:
    """The persistent memory folder the CLI gives a session in ``cwd`` (the preset names it)."""
    return project_dir(env, cwd) / "memory"


def _normalised(body: dict[str, Any], cwd: str, memory: Path) -> dict[str, Any]:
    """The request without what changes between runs: cwd, date and memory folder as placeholders,
    no metadata."""
    kept = {k: v for k, v in body.items() if k not in ("metadata", "stream")}
    text = json.dumps(kept)
    text = text.replace(json.dumps(f"{memory}/")[1:-1], f"{MEMORY_DIR}/")
    text = text.replace(json.dumps(cwd)[1:-1], CWD)
    text = text.replace(datetime.date.today().isoformat(), DATE)
    out: dict[str, Any] = json.loads(text)
    return out


def claude_model_of(handle: str | None) -> str | None:
    """The Claude model a Letta handle names (``provider/claude-…``), else None: the CLI's default.

    The CLI's tool texts differ by model (older models get longer ones), so they are recorded per model.
    """
    name = (handle or "").rsplit("/", 1)[-1]
    return name if name.startswith("claude-") else None


async def cli_default_model(env: dict[str, str]) -> str | None:
    """The Claude model the CLI runs when none is named (its recorded request's), else None (see
    :func:`cli_model`)."""
    return await cli_model(env, None)


async def cli_model(env: dict[str, str], model: str | None) -> str | None:
    """The Claude model the CLI runs for a program's ``model=`` (an alias such as ``haiku`` resolved
    as the CLI resolves it, an id, or None: its default), read from its recorded request.

    None when the real SDK is not installed, when ``env`` turns the CLI's texts off with
    :data:`TEXTS_ENV`, or when recording fails (said once).
    """
    if env.get(TEXTS_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        body = await recorded_request(model)
    except Exception as exc:
        _say_failed(exc)
        return None
    ran = body.get("model") if body is not None else None
    return ran if isinstance(ran, str) and ran else None


async def preset_prompt(
    env: dict[str, str], model: str | None = None, *, cwd: str, search: bool = False
) -> str | None:
    """The CLI's ``claude_code`` preset prompt for ``model`` and a session in ``cwd``, or None.

    The prompt names the session's persistent memory folder and says it exists: it is made (owner-only),
    as the CLI makes it. ``search``: the session's options name the CLI's search tools, which its
    prompt then counts among the tools to prefer over Bash (the full request's: see
    :func:`recorded_request`).

    None when the real SDK is not installed, when ``env`` turns the CLI's texts off with
    :data:`TEXTS_ENV`, or when recording fails (said once): the project's own stand-in serves.
    """
    if env.get(TEXTS_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        body = await recorded_request(model, preset=True, full=search)
    except Exception as exc:
        _say_failed(exc)
        return None
    system = body.get("system") if body is not None else None
    if not isinstance(system, list) or len(system) < 3:  # billing header, identity, then the preset
        return None
    text = system[2].get("text") if isinstance(system[2], dict) else None
    if not isinstance(text, str) or not text.strip():
        return None
    if MEMORY_DIR in text:
        memory = await anyio.to_thread.run_sync(private_dir, memory_dir(env, cwd))
        text = text.replace(MEMORY_DIR, str(memory))
    return text.rstrip("\n")  # as sent: the CLI's preset block starts with a newline


@dataclass(frozen=True)
class CliReminders:
    """What the CLI adds to the environment it tells a Claude model, read from its recorded request.

    ``environment_lines``: the guidance lines after the environment's facts; ``model_line``: how it
    names the model; ``attribution``: its git attribution reminder (both name the model).
    """

    environment_lines: tuple[str, ...] = ()
    model_line: str | None = None
    attribution: str | None = None
    #: the CLI's line for each of its built-in agents in its agent-types reminder, and the text after the list
    agent_lines: dict[str, str] = field(default_factory=dict)
    agents_footer: str | None = None
    #: the token budget the CLI counts down from in its ``<total_tokens>`` reminders (None: it sends none)
    tokens_budget: int | None = None
    #: the CLI's own (bundled) skills as its skills reminder lists them: each entry's text, by name
    skill_entries: dict[str, str] = field(default_factory=dict)
    #: the CLI sends its reminders but the attribution as a system-role message after the prompt, and
    #: its tokens left as one after each tool result (the models that take one), not as
    #: ``<system-reminder>`` blocks in the user turn
    in_system_message: bool = False


async def cli_reminders(env: dict[str, str], model: str | None) -> CliReminders | None:
    """The CLI's reminders for the Claude ``model`` (None for any other model, or without the CLI's texts)."""
    if model is None or env.get(TEXTS_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        body = await recorded_request(model)
    except Exception as exc:
        _say_failed(exc)
        return None
    return reminders_of(body) if body is not None else None


def reminders_of(body: dict[str, Any]) -> CliReminders:
    """The CLI's reminders in a recorded request (texts of its first user message and system)."""
    texts: list[str] = []
    for part in [*body.get("system", []), *body.get("messages", [])]:
        content = part.get("content", part.get("text", "")) if isinstance(part, dict) else ""
        blocks = content if isinstance(content, list) else [{"text": content}]
        texts += [b["text"] for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str)]
    text = "\n\n".join(texts)
    environment = re.search(r"# Environment\n(.*?)(?:\n\n|\n</system-reminder>|$)", text, re.DOTALL)
    lines = environment.group(1).splitlines() if environment else []
    after = next((i + 1 for i, line in enumerate(lines) if line.startswith(" - OS Version:")), len(lines))
    model_line = re.search(r"You are powered by the model named [^\n]*", text)
    attribution = re.search(
        r"<system-reminder>\n(Attribution for git commits.*?)\n</system-reminder>", text, re.DOTALL
    )
    agents = re.search(
        re.escape(AGENT_TYPES_HEADER) + r"\n(.*?)(?:\n</system-reminder>|\n\n(?=# )|$)", text, re.DOTALL
    )
    listing, _, footer = (agents.group(1) if agents else "").partition("\n\n")
    # a reminder's end, or in a system-role message the next paragraph's: the tokens left or the date
    skills = re.search(
        re.escape(SKILLS_HEADER)
        + r"\n\n(.*?)(?:\n</system-reminder>|\n\n(?=<total_tokens>|Today's date is ))",
        text,
        re.DOTALL,
    )
    budget = TOKENS_LEFT.search(text)
    return CliReminders(
        environment_lines=tuple(line for line in lines[after:] if line.startswith(" - ")),
        model_line=model_line.group(0) if model_line else None,
        attribution=attribution.group(1) if attribution else None,
        agent_lines={
            line[2:].split(":", 1)[0]: line for line in listing.splitlines() if line.startswith("- ")
        },
        agents_footer=footer.split("\n\n", 1)[0].strip() or None,  # one paragraph after the list
        tokens_budget=int(budget.group(1)) if budget else None,
        skill_entries=skill_entries(skills.group(1)) if skills else {},
        in_system_message=any(
            isinstance(m, dict) and m.get("role") == "system" for m in body.get("messages", [])
        ),
    )


def skill_entries(listing: str) -> dict[str, str]:
    """A skills listing's entries by name: each ``- name: description`` line with its continuation lines."""
    entries: dict[str, str] = {}
    name = ""
    for line in listing.splitlines():
        head = re.match(r"- ([^\s:]+(?::[^\s:]+)?): ", line)
        if head:
            name = head.group(1)
            entries[name] = line
        elif name:
            entries[name] += "\n" + line
    return entries


async def skill_text(env: dict[str, str], name: str, args: str, model: str | None) -> str | None:
    """What the CLI loads into the conversation when the model calls its own skill ``name`` with
    ``args`` (``<cwd>`` for the working directory), recorded once per CLI version; None without the
    real SDK, with the CLI's texts turned off, or when recording fails (said once)."""
    version = cli_version()
    if version is None or env.get(TEXTS_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    key = re.sub(r"[^A-Za-z0-9._-]", "_", f"{name}.{args}")[:80] + f".{zlib.crc32(args.encode()):08x}"
    path = cache_path(version, model).with_name(f"skill.{key}.json")
    if path.exists():
        cached = json.loads(path.read_text(encoding="utf-8"))
    else:
        try:
            with anyio.fail_after(_RECORD_TIMEOUT_S):
                body = await _record(
                    model, call=("Skill", {"skill": name, **({"args": args} if args else {})})
                )
        except Exception as exc:
            _say_failed(exc)
            return None
        cached = {"text": _loaded_after_result(body)}
        private_dir(path.parent)
        write_private_text(path, json.dumps(cached, indent=1))
    text = cached.get("text")
    return text if isinstance(text, str) and text else None


#: What a fork's recorded directive is, to be found again in its prompt.
_FORK_DIRECTIVE = "<directive>"


@dataclass(frozen=True)
class ForkTexts:
    """What the CLI's fork reads first: its Agent call's result, then its prompt around the directive."""

    answer: str
    prompt: str  # with ``{directive}`` where the call's prompt goes

    def prompt_for(self, directive: str) -> str:
        return self.prompt.replace("{directive}", directive)


async def fork_texts(env: dict[str, str], model: str | None) -> ForkTexts | None:
    """The texts the CLI's fork subagent starts from (see :class:`ForkTexts`), recorded once per CLI
    version; None without the real SDK, with the CLI's texts turned off, or when recording fails."""
    version = cli_version()
    if version is None or env.get(TEXTS_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    path = cache_path(version, model).with_name("fork.json")
    if path.exists():
        cached = json.loads(path.read_text(encoding="utf-8"))
    else:
        call = {"description": "recording", "prompt": _FORK_DIRECTIVE, "subagent_type": "fork"}
        try:
            with anyio.fail_after(_RECORD_TIMEOUT_S):
                body = await _record(model, call=("Agent", call))
        except Exception as exc:
            _say_failed(exc)
            return None
        last = (body.get("messages") or [{}])[-1].get("content")
        parts = last if isinstance(last, list) else []
        answer = _text_of(parts[0].get("content")) if parts and parts[0].get("type") == "tool_result" else ""
        prompt = _loaded_after_result(body)
        cached = {"answer": answer, "prompt": prompt.replace(_FORK_DIRECTIVE, "{directive}")}
        if "{directive}" in cached["prompt"]:  # kept only when the fork's request was recorded
            private_dir(path.parent)
            write_private_text(path, json.dumps(cached, indent=1))
    answer, prompt = cached.get("answer"), cached.get("prompt")
    if (
        not isinstance(answer, str)
        or not isinstance(prompt, str)
        or "{directive}" not in prompt
        or not answer
    ):
        return None
    return ForkTexts(answer, prompt)


#: The prompt of the subagent the recording defines: what precedes the CLI's notes in its system text.
_SUBAGENT_MARK = "<subagent-prompt>"
_SUBAGENT_TYPE = "recording-agent"


async def subagent_notes(env: dict[str, str], model: str | None) -> str | None:
    """What the CLI puts after a subagent's prompt in its system text for the Claude ``model``: its
    notes to subagents, then :data:`TOKENS_NOTE` where the tokens left go; recorded once per CLI
    version and model from a subagent of the real CLI. None for any other model (as
    :func:`cli_reminders`), without the real SDK, with the CLI's texts turned off, or when recording
    fails (said once)."""

    async def record(model: str) -> dict[str, Any]:
        body = await _record(model, subagent=True)
        texts = [b.get("text", "") for b in body.get("system") or [] if isinstance(b, dict)]
        text = next((t for t in texts if t.startswith(_SUBAGENT_MARK)), "")
        return {"notes": TOKENS_LEFT.sub(TOKENS_NOTE, text[len(_SUBAGENT_MARK) :])}

    def found(kept: dict[str, Any]) -> bool:
        return isinstance(kept.get("notes"), str) and bool(kept["notes"].strip())

    kept = await _kept_recording(env, model, ".subagent.json", record, found)
    return kept["notes"] if kept is not None and found(kept) else None


async def _kept_recording(
    env: dict[str, str],
    model: str | None,
    suffix: str,
    record: Callable[[str], Awaitable[dict[str, Any]]],
    found: Callable[[dict[str, Any]], bool],
) -> dict[str, Any] | None:
    """What ``record`` finds for the Claude ``model``, kept in the cache (as ``<model><suffix>``, per
    CLI version) once ``found`` says it is whole; None for no model, without the real SDK, with the
    CLI's texts turned off, or when recording fails (said once)."""
    version = cli_version()
    if (
        model is None
        or version is None
        or env.get(TEXTS_ENV, "").strip().lower() in ("0", "false", "no", "off")
    ):
        return None
    path = cache_path(version, model).with_suffix(suffix)
    if path.exists():
        kept: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return kept
    try:
        with anyio.fail_after(_RECORD_TIMEOUT_S):
            recorded = await record(model)
    except Exception as exc:
        _say_failed(exc)
        return None
    if found(recorded):
        private_dir(path.parent)
        write_private_text(path, json.dumps(recorded, indent=1))
    return recorded


@dataclass(frozen=True)
class PlanTexts:
    """The CLI's plan-mode reminders, with :data:`PLAN_FILE` where the plan file's path goes: the
    full one (on entering plan mode, then every fifth time), the short one between them, and the
    one on leaving plan mode."""

    full: str
    sparse: str
    exit: str

    def with_plan_file(self, path: str) -> PlanTexts:
        return PlanTexts(*(t.replace(PLAN_FILE, path) for t in (self.full, self.sparse, self.exit)))


#: The prompts of the plan-mode recording: in plan mode until the prompt after the one that brings
#: the short reminder, then out of it (see cli_facts.PLAN_REMINDER_PROMPTS_BETWEEN).
_PLAN_PROMPTS_IN_PLAN = 2 + 5


async def plan_texts(env: dict[str, str], model: str | None) -> PlanTexts | None:
    """The CLI's plan-mode reminders for the Claude ``model`` (see :class:`PlanTexts`), recorded once
    per CLI version and model from a session of the real CLI in plan mode; None for any other model
    (as :func:`cli_reminders`), without the real SDK, with the CLI's texts turned off, or when
    recording fails (said once)."""

    def found(kept: dict[str, Any]) -> bool:
        return all(isinstance(kept.get(k), str) and kept[k] for k in ("full", "sparse", "exit"))

    kept = await _kept_recording(env, model, ".plan.json", lambda m: _record(m, plan=True), found)
    if kept is None or not found(kept):
        return None
    return PlanTexts(str(kept["full"]), str(kept["sparse"]), str(kept["exit"]))


async def _record_plan_here(model: str | None) -> dict[str, Any]:
    """Run the real CLI through a session in plan mode and out of it; its plan-mode reminders (see
    :class:`PlanTexts`), each the reminder that starts with its kind's words."""
    import claude_agent_sdk as sdk

    from ..testing._anthropic import AnthropicScriptedServer
    from ..testing._script import ScriptedModel

    server = AnthropicScriptedServer(ScriptedModel("recording")).start()
    try:
        with tempfile.TemporaryDirectory(prefix="claude-compat-record-") as tmp:
            home, work = Path(tmp) / "home", Path(tmp) / "work"
            home.mkdir()
            work.mkdir()
            options = sdk.ClaudeAgentOptions(
                cwd=str(work), env=offline_env(server.base_url, home), model=model, permission_mode="plan"
            )
            async with sdk.ClaudeSDKClient(options) as client:
                for n in range(_PLAN_PROMPTS_IN_PLAN + 1):
                    if n == _PLAN_PROMPTS_IN_PLAN:
                        await client.set_permission_mode("default")
                    server.model.push("ok")
                    await client.query(f"prompt {n + 1}")
                    async for _ in client.receive_response():
                        pass
            main = [r.body for r in server.model.requests if r.body.get("tools")]
            notes = [n for b in main for m in b.get("messages", []) for n in _notes(m.get("content"))]
            plans = re.escape(str(home / ".claude" / "plans")) + r"/[^\s()]+\.md"
            found: dict[str, Any] = {}
            for kind, start in (
                ("full", "Plan mode is active."),
                ("sparse", "Plan mode still active"),
                ("exit", "## Exited Plan Mode"),
            ):
                hit = _note(notes, start)
                found[kind] = re.sub(plans, lambda _: PLAN_FILE, hit) if hit else None
            return found
    finally:
        server.stop()


#: What follows the plan-mode reminder in the CLI's first request (its tokens left, its date): where
#: it ends when the reminders are joined into one system-role message.
_AFTER_PLAN_NOTE = re.compile(r"\n\n(?=<total_tokens>|Today's date is )")


def _note(notes: list[str], start: str) -> str | None:
    """The reminder that starts with ``start``: a note of its own, or one paragraph run of a
    system-role message that joins the first request's reminders (up to the tokens left or the date)."""
    hit = next((n for n in notes if n.startswith(start)), None)
    if hit is not None:
        return hit
    joined = next((n for n in notes if f"\n\n{start}" in n), None)
    if joined is None:
        return None
    return start + _AFTER_PLAN_NOTE.split(joined.split(f"\n\n{start}", 1)[1], maxsplit=1)[0]


def _notes(content: Any) -> list[str]:
    """The texts of a message's parts, each reminder alone: a model that takes system-role messages
    gets a reminder as such a message's text, any other as a ``<system-reminder>`` block."""
    parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
    texts = [str(p.get("text", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text"]
    framed = r"<system-reminder>\n(.*?)\n</system-reminder>"
    return [n for t in texts for n in (re.findall(framed, t, re.S) or [t])]


def _text_of(content: Any) -> str:
    """A tool result's text (a string, or its text parts joined)."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return "\n".join(str(p.get("text", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text")


def _loaded_after_result(body: dict[str, Any]) -> str:
    """The text parts that follow the last tool result of a request's last user message."""
    messages = body.get("messages") or [{}]
    content = messages[-1].get("content")
    parts = content if isinstance(content, list) else []
    after = next((i + 1 for i in range(len(parts) - 1, -1, -1) if parts[i].get("type") == "tool_result"), 0)
    return "\n\n".join(str(p.get("text", "")) for p in parts[after:] if p.get("type") == "text")


def _say_failed(exc: Exception) -> None:
    """Log once that the CLI's texts could not be recorded, so the project's own apply."""
    global _said_failed
    if not _said_failed:
        _said_failed = True
        log.warning(
            "could not record the Claude CLI's tool texts (%s: %s): the model gets claude-compat's "
            "own; set %s=0 to stop trying",
            type(exc).__name__,
            exc,
            TEXTS_ENV,
        )


async def cli_tool_texts(
    env: dict[str, str], model: str | None = None, *, search: bool = False, asking: bool = False
) -> dict[str, dict[str, Any]]:
    """The CLI's own description and input schema of each tool its request carries whole, by name.

    ``model`` is the Claude model the CLI would run (None: its default), see :func:`claude_model_of`.
    ``search``: the session offers (or its options name) the CLI's search tools, and ``asking``: the
    tools that ask the user; their texts, and Bash's for ``search``, come from the CLI's full request
    (see :func:`recorded_request`), the others' from its plain one. Two recordings at most per model:
    only Bash's text changes with the search tools, and no text with the asking ones.

    Empty when the real SDK is not installed (said once by :func:`recorded_request`), when ``env``
    turns it off with :data:`TEXTS_ENV`, or when recording fails (said once): the project's texts serve.
    """
    if env.get(TEXTS_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return {}
    texts = await _tool_texts(model, full=search)
    if asking and not search and texts:  # the asking tools' texts, beside the plain request's
        texts = {**await _tool_texts(model, full=True), **texts}
    return texts


async def _tool_texts(model: str | None, *, full: bool) -> dict[str, dict[str, Any]]:
    """The tool texts of the CLI's (``full``) request for ``model``, kept per process; {} without."""
    version = cli_version()
    if version is not None and (version, model, full) in _texts:
        return _texts[version, model, full]
    try:
        body = await recorded_request(model, full=full)
    except Exception as exc:  # the project's own texts serve; say why once
        _say_failed(exc)
        return {}
    if body is None or version is None:
        return {}
    texts: dict[str, dict[str, Any]] = {}
    for tool in body.get("tools", []):
        if tool.get("defer_loading") or not isinstance(tool.get("input_schema"), dict):
            continue
        schema = {k: v for k, v in tool["input_schema"].items() if k != "$schema"}
        texts[str(tool.get("name"))] = {"description": str(tool.get("description", "")), "parameters": schema}
    _texts[version, model, full] = texts
    return texts


if __name__ == "__main__":  # the child of _record: print the recorded request as one JSON line
    import sys

    asked = json.loads(sys.argv[1])
    called = (asked["call"][0], asked["call"][1]) if asked["call"] else None
    if asked.get("plan"):
        print(json.dumps(anyio.run(_record_plan_here, asked["model"])))
    else:
        recorded = anyio.run(
            _record_here, asked["model"], asked["preset"], called, asked["full"], asked.get("subagent", False)
        )
        print(json.dumps(recorded))
