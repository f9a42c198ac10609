"""The CLI's setting sources: CLAUDE.md instructions and ``.claude/agents`` subagents, found where it looks.

``setting_sources`` names which sources load: ``user`` (the Claude config folder), ``project``
(``cwd`` and its parents up to the git root) and ``local`` (``CLAUDE.local.md`` there). None loads
all three, as the Claude SDK does; ``[]`` loads nothing. Of the settings files, the permission
rules, default mode, extra directories and output style are honoured.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InvalidOptionError
from ..types import AgentDefinition, ClaudeAgentOptions, PermissionMode
from . import cli_facts

logger = logging.getLogger("claude_compat")

#: Every setting source, in the order the CLI reads them (later ones win).
SOURCES = ("user", "project", "local")

#: Letta's default block size limit (characters).
_BLOCK_LIMIT = 100_000

#: What the CLI calls each kind of instruction file when it shows them to the model.
_USER_KIND = "user's private global instructions for all projects"
_PROJECT_KIND = "project instructions, checked into the codebase"
_LOCAL_KIND = "user's private project instructions, not checked in"

#: Frontmatter keys of an agent file → AgentDefinition fields (lists may be "A, B" strings).
_AGENT_FIELDS = {
    "description": "description",
    "tools": "tools",
    "disallowedTools": "disallowedTools",
    "model": "model",
    "maxTurns": "maxTurns",
    "permissionMode": "permissionMode",
    "effort": "effort",
    "background": "background",
    "skills": "skills",
}
_LIST_FIELDS = frozenset({"tools", "disallowedTools", "skills"})


def effective(setting_sources: Sequence[str] | None) -> tuple[str, ...]:
    """The sources that load: None means all of them (the Claude SDK's default); unknown names fail."""
    if setting_sources is None:
        return SOURCES
    unknown = sorted(set(setting_sources) - set(SOURCES))
    if unknown:
        raise InvalidOptionError(f"setting_sources may hold {list(SOURCES)}, not {unknown}")
    return tuple(s for s in SOURCES if s in setting_sources)


def config_home() -> Path:
    """The Claude config folder: ``$CLAUDE_CONFIG_DIR``, else ``~/.claude``."""
    override = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(override) if override else Path.home() / ".claude"


def project_dirs(cwd: Path) -> list[Path]:
    """``cwd`` and its parents up to the git root (all but ``/`` outside git), outermost first."""
    dirs: list[Path] = []
    for directory in (cwd, *cwd.parents):
        if directory == Path(directory.anchor) and not (directory / ".git").exists():
            break
        dirs.append(directory)
        if (directory / ".git").exists():
            break
    return dirs[::-1]


def _render_files(files: Sequence[tuple[Path, str]]) -> str:
    parts: list[str] = []
    for path, kind in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if text.strip():
            parts.append(f"Contents of {path} ({kind}):\n\n{text.strip()}")
    joined = "\n\n".join(parts)
    if len(joined) > _BLOCK_LIMIT:
        note = "\n[truncated: the instructions are longer than a Letta memory block holds]"
        joined = joined[: _BLOCK_LIMIT - len(note)] + note
    return joined


def instruction_blocks(
    cwd: str | os.PathLike[str] | None, setting_sources: Sequence[str] | None
) -> tuple[tuple[str, str], ...]:
    """CLAUDE.md files of the loaded sources, as (label, value) memory blocks.

    ``user``: ``CLAUDE.md`` in the config folder → block ``user_instructions``. ``project``:
    ``CLAUDE.md`` and ``.claude/CLAUDE.md`` in ``cwd`` and its parents up to the git root; ``local``:
    ``CLAUDE.local.md`` there → block ``project_instructions`` (outermost first, as the CLI reads them).
    """
    sources = effective(setting_sources)
    base = Path(cwd if cwd is not None else os.getcwd()).resolve()
    blocks: list[tuple[str, str]] = []
    if "user" in sources:
        text = _render_files([(config_home() / "CLAUDE.md", _USER_KIND)])
        if text:
            blocks.append(("user_instructions", text))
    files: list[tuple[Path, str]] = []
    for directory in project_dirs(base):
        if "project" in sources:
            files += [
                (directory / "CLAUDE.md", _PROJECT_KIND),
                (directory / ".claude" / "CLAUDE.md", _PROJECT_KIND),
            ]
        if "local" in sources:
            files.append((directory / "CLAUDE.local.md", _LOCAL_KIND))
    text = _render_files(files)
    if text:
        blocks.append(("project_instructions", text))
    return tuple(blocks)


def _agent_of(path: Path) -> tuple[str, AgentDefinition] | None:
    """One ``.claude/agents/*.md`` file: YAML frontmatter (name, description, tools…), then the prompt."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("agent file %s cannot be read (%s); it is skipped", path, exc)
        return None
    head, sep, body = text.removeprefix("\ufeff").partition("\n---")
    if not head.startswith("---") or not sep:
        logger.warning("agent file %s has no '---' frontmatter; it is skipped", path)
        return None
    try:
        meta: Any = yaml.safe_load(head.removeprefix("---"))
    except yaml.YAMLError as exc:
        logger.warning("agent file %s has unreadable frontmatter (%s); it is skipped", path, exc)
        return None
    if not isinstance(meta, Mapping) or not meta.get("name") or not meta.get("description"):
        logger.warning("agent file %s needs a name and a description in its frontmatter; it is skipped", path)
        return None
    fields: dict[str, Any] = {}
    for key, field in _AGENT_FIELDS.items():
        value = meta.get(key)
        if value is None:
            continue
        if field in _LIST_FIELDS and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        fields[field] = value
    fields["description"] = str(fields["description"])
    return str(meta["name"]), AgentDefinition(prompt=body.partition("\n")[2].strip(), **fields)


def file_agents(
    cwd: str | os.PathLike[str] | None, setting_sources: Sequence[str] | None
) -> dict[str, AgentDefinition]:
    """Subagents defined in ``agents/*.md`` of the config folder (``user``) and ``.claude/agents/*.md``
    of the project (``project``); a nearer definition of a name wins, as in the CLI."""
    sources = effective(setting_sources)
    folders: list[Path] = []
    if "user" in sources:
        folders.append(config_home() / "agents")
    if "project" in sources:
        base = Path(cwd if cwd is not None else os.getcwd()).resolve()
        folders += [d / ".claude" / "agents" for d in project_dirs(base)]
    found: dict[str, AgentDefinition] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            agent = _agent_of(path)
            if agent is not None:
                found[agent[0]] = agent[1]
    return found


# ---------------------------------------------------------------------------
# Settings files: permission rules, default mode, directories, output style
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What claude-compat takes from the CLI's settings files, merged (later sources win)."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    ask: tuple[str, ...] = ()
    default_mode: str | None = None
    additional_directories: tuple[str, ...] = ()
    output_style: str | None = None


def _settings_files(cwd: Path) -> dict[str, Path]:
    """Each source's settings file, as the CLI names them."""
    return {
        "user": config_home() / "settings.json",
        "project": cwd / ".claude" / "settings.json",
        "local": cwd / ".claude" / "settings.local.json",
    }


def _global_config() -> Path:
    """The CLI's global config file, where it records which workspaces the user trusted."""
    override = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(override) / ".claude.json" if override else Path.home() / ".claude.json"


def _trusted(cwd: Path) -> bool:
    """Whether the user accepted the CLI's trust dialog for this workspace."""
    try:
        projects = json.loads(_global_config().read_text(encoding="utf-8")).get("projects", {})
        return bool(projects.get(str(cwd), {}).get("hasTrustDialogAccepted"))
    except (OSError, ValueError, AttributeError):
        return False


def _read_json(path: Path) -> Mapping[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("settings file %s cannot be read (%s); it is skipped, as the CLI skips it", path, exc)
        return None
    if not isinstance(data, Mapping):
        logger.warning("settings file %s does not hold a JSON object; it is skipped", path)
        return None
    return data


def _flag_settings(value: str, cwd: Path) -> Mapping[str, Any] | None:
    """``ClaudeAgentOptions.settings``: a JSON object, or the path of a settings file."""
    text = value.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidOptionError(
                f"settings is not valid JSON ({exc}); pass a JSON object or a file path"
            ) from None
        return data if isinstance(data, Mapping) else None
    path = (cwd / os.path.expanduser(text)).resolve()
    if not path.is_file():
        raise InvalidOptionError(
            f"settings names {path}, which is not a file; pass a JSON object or a file path"
        )
    return _read_json(path)


def read_settings(
    cwd: str | os.PathLike[str] | None, setting_sources: Sequence[str] | None, flag: str | None = None
) -> Settings:
    """The settings of the loaded sources (user < project < local < the ``settings`` option).

    Rule lists add up; ``defaultMode`` and ``outputStyle`` come from the last source that sets them.
    As in the CLI, ``permissions.allow`` rules of an untrusted workspace's own files are ignored
    (with the CLI's warning), while their deny and ask rules apply.
    """
    base = Path(cwd if cwd is not None else os.getcwd()).resolve()
    files = _settings_files(base)
    layers: list[tuple[str, Mapping[str, Any]]] = []
    for source in effective(setting_sources):
        data = _read_json(files[source])
        if data is not None:
            layers.append((source, data))
    if flag:
        data = _flag_settings(flag, base)
        if data is not None:
            layers.append(("flag", data))
    rules: dict[str, list[str]] = {"allow": [], "deny": [], "ask": []}
    scalars: dict[str, str] = {}
    dirs: list[str] = []
    for source, data in layers:
        found_permissions = data.get("permissions")
        permissions: Mapping[str, Any] = found_permissions if isinstance(found_permissions, Mapping) else {}
        for behavior, found in rules.items():
            entries = [str(e) for e in permissions.get(behavior) or [] if isinstance(e, str)]
            if behavior == "allow" and entries and source in ("project", "local") and not _trusted(base):
                logger.warning(
                    cli_facts.UNTRUSTED_ALLOW.format(
                        count=len(entries),
                        entries="entry" if len(entries) == 1 else "entries",
                        file=files[source].relative_to(base),
                        cwd=base,
                        config=_global_config(),
                    )
                )
                continue
            found += [e for e in entries if e not in found]
        mode = permissions.get("defaultMode")
        if mode in typing.get_args(PermissionMode):
            scalars["defaultMode"] = str(mode)
        elif mode is not None:
            logger.warning(
                "%s: permissions.defaultMode %r is not a permission mode; it is ignored", source, mode
            )
        style = data.get("outputStyle")
        if isinstance(style, str):
            scalars["outputStyle"] = style
        for entry in permissions.get("additionalDirectories") or []:
            if isinstance(entry, str):
                resolved = str((base / os.path.expanduser(entry)).resolve())
                if resolved not in dirs:
                    dirs.append(resolved)
    return Settings(
        allow=tuple(rules["allow"]),
        deny=tuple(rules["deny"]),
        ask=tuple(rules["ask"]),
        default_mode=scalars.get("defaultMode"),
        additional_directories=tuple(dirs),
        output_style=scalars.get("outputStyle"),
    )


def with_settings(options: ClaudeAgentOptions, settings: Settings) -> ClaudeAgentOptions:
    """The options with the settings' rules, mode and directories folded in (the program's come first;
    folding twice changes nothing; with nothing to fold, the very same options)."""

    def joined(mine: Sequence[Any], theirs: Sequence[Any]) -> list[Any]:
        return [*mine, *(x for x in theirs if x not in mine)]

    adds = (
        set(settings.allow) - set(options.allowed_tools)
        or set(settings.deny) - set(options.disallowed_tools)
        or (settings.default_mode and not options.permission_mode)
        or set(settings.additional_directories) - {str(d) for d in options.add_dirs}
    )
    if not adds:  # the program's own object, so what it changes later still reaches the session
        return options
    return dataclasses.replace(
        options,
        allowed_tools=joined(options.allowed_tools, settings.allow),
        disallowed_tools=joined(options.disallowed_tools, settings.deny),
        permission_mode=options.permission_mode or settings.default_mode,  # type: ignore[arg-type]
        add_dirs=joined([str(d) for d in options.add_dirs], settings.additional_directories),
    )
