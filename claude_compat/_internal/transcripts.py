"""Read the session transcripts the Claude CLI writes: JSONL files under the config folder, or store entries.

A transcript is a list of entries. Conversation entries (``user``, ``assistant``, ``attachment``,
``system``, ``progress``) carry ``uuid`` and ``parentUuid`` and form a chain; the conversation is
the walk from the most recent main-chain leaf back to the root (as the Claude SDK reads it).
Every other entry is metadata (titles, tags, prompts, costs, queue operations, …); the CLI adds
new kinds often, so unknown metadata is kept but not interpreted. Strict reading (for imports)
refuses what would lose conversation: a malformed or truncated line, an entry without a type, an
unknown type that has a place in the chain (a ``parentUuid``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..errors import TranscriptError
from .session_summary import fold_session_summary, iso_ms
from .store_keys import MAX_SANITIZED_LENGTH, canonical_cwd, project_key_for_directory

T = TypeVar("T")

#: Entry types that are part of the conversation chain (the Claude SDK's transcript message types).
CHAIN_TYPES = frozenset({"user", "assistant", "progress", "system", "attachment"})

#: Metadata entry types whose last value describes the session: entry type -> (field, meaning).
METADATA_FIELDS: dict[str, tuple[str, str]] = {
    "custom-title": ("customTitle", "custom_title"),
    "ai-title": ("aiTitle", "ai_title"),
    "last-prompt": ("lastPrompt", "last_prompt"),
    "tag": ("tag", "tag"),
    "summary": ("summary", "summary"),
    "agent-name": ("agentName", "agent_name"),
}

#: Longest first prompt kept in a summary (as the Claude SDK cuts it).
FIRST_PROMPT_MAX = 200


def config_home() -> Path:
    """The Claude config folder: ``$CLAUDE_CONFIG_DIR``, else ``~/.claude``."""
    override = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(override) if override else Path.home() / ".claude"


def projects_dir() -> Path:
    """Where the CLI keeps one folder of transcripts per project directory."""
    return config_home() / "projects"


def find_transcript(session_id: str, directory: str | None = None) -> Path | None:
    """The transcript file of a session: in ``directory``'s project folder, else in any project."""
    name = f"{session_id}.jsonl"
    root = projects_dir()
    if directory is not None:
        candidate = root / project_key_for_directory(directory) / name
        if candidate.is_file():
            return candidate
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return None
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def transcript_files(root: Path | None = None, *, ordered: bool = True) -> list[Path]:
    """Every main transcript under a projects folder (subagent transcripts excluded).

    Sorted by path, or with ``ordered=False`` in directory order: the order the Claude SDK lists
    sessions in, which decides where sessions of the same ``last_modified`` fall.
    """
    base = root if root is not None else projects_dir()
    arrange: Callable[[Iterable[Path]], list[Path]] = sorted if ordered else list
    try:
        folders = arrange(p for p in base.iterdir() if p.is_dir())
    except OSError:
        return []
    files = [f for folder in folders for f in arrange(folder_transcripts(folder)) if f.is_file()]
    if not files and any(folder_transcripts(base)):  # a single project folder was given
        files = arrange(f for f in folder_transcripts(base) if f.is_file())
    return files


def folder_transcripts(folder: Path) -> Iterator[Path]:
    """The ``.jsonl`` files of one project folder, in directory order (none if it is missing)."""
    try:
        children = list(folder.iterdir())
    except OSError:
        return iter(())
    return (child for child in children if child.name.endswith(".jsonl"))


def _project_folder(project_path: str) -> Path | None:
    """A project's transcript folder as the Claude SDK finds it: the exact key, else, for a path
    long enough for its key to carry a hash (writers hash differently), a folder of the same prefix."""
    key = project_key_for_directory(project_path)
    exact = projects_dir() / key
    if exact.is_dir():
        return exact
    if len(key) <= MAX_SANITIZED_LENGTH:
        return None
    prefix = key[:MAX_SANITIZED_LENGTH] + "-"
    try:
        return next((p for p in projects_dir().iterdir() if p.is_dir() and p.name.startswith(prefix)), None)
    except OSError:
        return None


def session_file(session_id: str, directory: str | None) -> Path | None:
    """A session's non-empty transcript file, found as the Claude SDK's session functions find it:
    in ``directory``'s project folder, else in those of its git worktrees (never another
    project's); with no directory, in any project folder."""
    from letta_backend.session_records import worktree_paths

    name = f"{session_id}.jsonl"

    def usable(folder: Path | None) -> Path | None:
        try:
            return folder / name if folder is not None and (folder / name).stat().st_size > 0 else None
        except OSError:
            return None

    if directory:
        canonical = canonical_cwd(directory)
        found = usable(_project_folder(canonical))
        for other in [] if found else [w for w in worktree_paths(canonical) if w != canonical]:
            found = usable(_project_folder(other))
            if found:
                break
        return found
    try:
        folders = sorted(p for p in projects_dir().iterdir() if p.is_dir())
    except OSError:
        return None
    return next((f for f in map(usable, folders) if f is not None), None)


def agent_files(folder: Path) -> list[tuple[str, Path]]:
    """``(agent id, path)`` of every ``agent-<id>.jsonl`` under a session's ``subagents`` folder,
    nested ones included (e.g. ``workflows/<run>/``), in the Claude SDK's order (by name, depth first)."""
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    found: list[tuple[str, Path]] = []
    for child in children:
        if child.is_file() and child.name.startswith("agent-") and child.name.endswith(".jsonl"):
            found.append((child.name[len("agent-") : -len(".jsonl")], child))
        elif child.is_dir():
            found.extend(agent_files(child))
    return found


def subagent_files(transcript: Path) -> dict[str, Path]:
    """The subagent transcripts of a session file: agent id -> path."""
    return dict(agent_files(transcript.with_suffix("") / "subagents"))


def agent_metadata(transcript: Path) -> dict[str, Any] | None:
    """The ``agent-<id>.meta.json`` sidecar of a subagent transcript (the Agent call that started
    it); None when missing, not JSON or not an object, as the Claude SDK treats it."""
    try:
        meta = json.loads(
            transcript.with_name(transcript.name[: -len(".jsonl")] + ".meta.json").read_text(encoding="utf-8")
        )
    except (FileNotFoundError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def parse_lines(
    text: str, source: str, *, strict: bool = True, spans: list[tuple[int, int]] | None = None
) -> list[dict[str, Any]]:
    """JSONL text as entries. Strict: any unreadable line is a TranscriptError naming it; else skipped.

    ``spans``, when given, receives each kept entry's line as (start, end) byte offsets.
    """
    entries: list[dict[str, Any]] = []
    lines = text.split("\n")
    position = 0
    for number, raw in enumerate(lines, start=1):
        start = position
        position += len(raw.encode("utf-8")) + 1
        line = raw.strip()
        if not line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            if not strict:
                continue
            if number == len(lines):
                raise TranscriptError(
                    "the last line is cut off (the writer stopped mid-line); remove that line or "
                    "restore the file from a copy, then import again",
                    source=source,
                    line=number,
                ) from None
            raise TranscriptError(f"not a JSON line ({exc.msg})", source=source, line=number) from None
        if strict:
            check_entry(entry, source, number)
        elif not isinstance(entry, dict):
            continue
        entries.append(entry)
        if spans is not None:
            spans.append((start, position - 1))
    return entries


def check_entry(entry: Any, source: str, number: int) -> None:
    """TranscriptError unless ``entry`` is one the reader understands without losing conversation."""
    if not isinstance(entry, dict):
        raise TranscriptError("an entry must be a JSON object", source=source, line=number)
    kind = entry.get("type")
    if not isinstance(kind, str) or not kind:
        raise TranscriptError("the entry has no 'type'", source=source, line=number)
    if kind in CHAIN_TYPES:
        if not isinstance(entry.get("uuid"), str):
            raise TranscriptError(f"the {kind} entry has no 'uuid'", source=source, line=number)
        if kind in ("user", "assistant") and not isinstance(entry.get("message"), dict):
            raise TranscriptError(f"the {kind} entry has no 'message' object", source=source, line=number)
        return
    if "parentUuid" in entry:
        raise TranscriptError(
            f"unknown entry type {kind!r} in the conversation chain (it has a parentUuid); "
            "this transcript comes from a newer Claude CLI than claude-compat reads — please report it",
            source=source,
            line=number,
        )


def read_transcript(path: Path, *, strict: bool = True) -> Transcript:
    """Read one transcript file (strict: TranscriptError for anything that would lose conversation;
    lenient: undecodable bytes replaced and bad lines skipped, as the Claude SDK reads)."""
    try:
        text = path.read_bytes().decode("utf-8", errors="strict" if strict else "replace")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"not UTF-8 text ({exc.reason})", source=str(path)) from None
    except OSError as exc:
        raise TranscriptError(f"cannot read the file ({exc.strerror})", source=str(path)) from None
    spans: list[tuple[int, int]] = []
    entries = parse_lines(text, str(path), strict=strict, spans=spans)
    return Transcript(path.stem, str(path), entries, spans=spans)


def transcript_of_entries(
    session_id: str, source: str, entries: Sequence[Any], *, strict: bool = True
) -> Transcript:
    """A transcript from SessionStore entries (``source`` names the store key in errors)."""
    kept: list[dict[str, Any]] = []
    for number, entry in enumerate(entries, start=1):
        if strict:
            check_entry(entry, source, number)
        elif not isinstance(entry, dict):
            continue
        kept.append(entry)
    return Transcript(session_id, source, kept)


# ---------------------------------------------------------------------------
# The conversation
# ---------------------------------------------------------------------------


@dataclass
class Transcript:
    """One session's entries, file order, with the conversation chain derived from them."""

    session_id: str
    source: str
    entries: list[dict[str, Any]]
    _chain: list[dict[str, Any]] | None = field(default=None, repr=False)
    #: Where each entry's line lies in the JSONL text, (start, end) in bytes; None when unknown.
    spans: list[tuple[int, int]] | None = field(default=None, repr=False)

    def chain(self) -> list[dict[str, Any]]:
        """Conversation entries from the root to the most recent main-chain leaf."""
        if self._chain is None:
            self._chain = build_chain(self.entries)
        return self._chain

    def visible(self) -> list[dict[str, Any]]:
        """User and assistant entries of the main conversation (what get_session_messages returns)."""
        return [e for e in self.chain() if is_visible(e)]

    def last(self, entry_type: str) -> str | None:
        """The last value of a metadata entry type (``custom-title``, ``tag``, …), None when unset."""
        key = METADATA_FIELDS[entry_type][0]
        value: str | None = None
        for entry in self.entries:
            if entry.get("type") == entry_type:
                raw = entry.get(key)
                value = raw if isinstance(raw, str) and raw else None
        return value

    @property
    def cwd(self) -> str | None:
        """The working directory the session ran in (first entry that records one)."""
        return next((e["cwd"] for e in self.entries if isinstance(e.get("cwd"), str) and e["cwd"]), None)

    @property
    def created_at(self) -> int | None:
        """Epoch ms of the first timestamped entry."""
        return next((t for t in (iso_ms(e.get("timestamp")) for e in self.entries) if t is not None), None)

    @property
    def first_prompt(self) -> str | None:
        """The first real user prompt, as the Claude SDK's summaries show it."""
        folded = fold_session_summary(None, {"project_key": "", "session_id": self.session_id}, self.entries)  # type: ignore[arg-type]
        data = folded["data"]
        prompt = data.get("first_prompt") or data.get("command_fallback")
        return prompt if isinstance(prompt, str) and prompt else None

    def check_cwd(self, cwd: str) -> None:
        """TranscriptError when the session ran in another directory than ``cwd``."""
        recorded = self.cwd
        if recorded is not None and canonical_cwd(recorded) != canonical_cwd(cwd):
            raise TranscriptError(
                f"session {self.session_id} ran in {recorded}, not in {canonical_cwd(cwd)}; "
                f"resume it with cwd={recorded!r} (as the Claude CLI requires)",
                source=self.source,
            )


def is_visible(entry: dict[str, Any]) -> bool:
    """A main-conversation user/assistant entry (not meta, not a sidechain, not a team message)."""
    return (
        entry.get("type") in ("user", "assistant")
        and not entry.get("isMeta")
        and not entry.get("isSidechain")
        and not entry.get("teamName")
    )


def build_chain(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Walk ``parentUuid`` from the newest main-chain user/assistant leaf back to the root.

    As the Claude SDK: the leaf is the last (in file order) user/assistant entry reached from an
    entry nobody points to, preferring main-chain leaves; cycles stop the walk. Tool results a
    parallel tool turn left off the walked branch are put back after their tool call.
    """
    chain_entries = [e for e in entries if e.get("type") in CHAIN_TYPES and isinstance(e.get("uuid"), str)]
    if not chain_entries:
        return []
    by_uuid = {e["uuid"]: e for e in chain_entries}
    position = {e["uuid"]: i for i, e in enumerate(chain_entries)}
    parents = {e.get("parentUuid") for e in chain_entries if e.get("parentUuid")}
    leaves: list[dict[str, Any]] = []
    for terminal in (e for e in chain_entries if e["uuid"] not in parents):
        current: dict[str, Any] | None = terminal
        seen: set[str] = set()
        while current is not None and current["uuid"] not in seen:
            seen.add(current["uuid"])
            if current.get("type") in ("user", "assistant"):
                leaves.append(current)
                break
            parent = current.get("parentUuid")
            current = by_uuid.get(parent) if parent else None
    if not leaves:
        return []
    main = [e for e in leaves if not e.get("isSidechain") and not e.get("teamName") and not e.get("isMeta")]
    leaf = max(main or leaves, key=lambda e: position[e["uuid"]])
    chain: list[dict[str, Any]] = []
    walked: set[str] = set()
    node: dict[str, Any] | None = leaf
    while node is not None and node["uuid"] not in walked:
        walked.add(node["uuid"])
        chain.append(node)
        parent = node.get("parentUuid")
        node = by_uuid.get(parent) if parent else None
    chain.reverse()
    return _recover_parallel_results(chain_entries, chain, walked)


def subagent_chain(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A subagent transcript's conversation: from its last user/assistant entry back to the root.

    Subagent transcripts are linear (no compaction, no branches), so the Claude SDK takes the
    last user/assistant entry in file order as the leaf; cycles stop the walk.
    """
    chain_entries = [e for e in entries if e.get("type") in CHAIN_TYPES and isinstance(e.get("uuid"), str)]
    by_uuid = {e["uuid"]: e for e in chain_entries}
    leaf = next((e for e in reversed(chain_entries) if e.get("type") in ("user", "assistant")), None)
    chain: list[dict[str, Any]] = []
    seen: set[str] = set()
    while leaf is not None and leaf["uuid"] not in seen:
        seen.add(leaf["uuid"])
        chain.append(leaf)
        parent = leaf.get("parentUuid")
        leaf = by_uuid.get(parent) if parent else None
    chain.reverse()
    return chain


def page(items: list[T], limit: int | None, offset: int) -> list[T]:
    """``limit`` items from ``offset``, with the Claude SDK's guards (non-positive values ignored)."""
    if limit is not None and limit > 0:
        return items[offset : offset + limit]
    return items[offset:] if offset > 0 else items


def _blocks(entry: dict[str, Any], kind: str, key: str) -> list[str]:
    content = entry.get("message", {}).get("content") if isinstance(entry.get("message"), dict) else None
    if not isinstance(content, list):
        return []
    return [
        b[key]
        for b in content
        if isinstance(b, dict) and b.get("type") == kind and isinstance(b.get(key), str)
    ]


def _recover_parallel_results(
    entries: list[dict[str, Any]], chain: list[dict[str, Any]], walked: set[str]
) -> list[dict[str, Any]]:
    """Put back tool_use/tool_result entries of a parallel tool turn that the walk skipped."""
    wanted = {tool_id for e in chain for tool_id in _blocks(e, "tool_use", "id")}
    answered = {tool_id for e in chain for tool_id in _blocks(e, "tool_result", "tool_use_id")}
    inserts: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["uuid"] in walked or entry.get("isSidechain"):
            continue
        results = _blocks(entry, "tool_result", "tool_use_id")
        if entry.get("type") == "user" and results and set(results) <= wanted - answered:
            anchor = next(
                (c["uuid"] for c in reversed(chain) if set(results) & set(_blocks(c, "tool_use", "id"))), None
            )
            if anchor is not None:
                inserts.setdefault(anchor, []).append(entry)
                answered.update(results)
    if not inserts:
        return chain
    out: list[dict[str, Any]] = []
    for entry in chain:
        out.append(entry)
        out.extend(inserts.get(entry["uuid"], ()))
    return out


# ---------------------------------------------------------------------------
# History for an import
# ---------------------------------------------------------------------------

#: Content block types a history keeps (others, e.g. server tool blocks, are folded into text).
_KEPT_BLOCKS = frozenset({"text", "thinking", "redacted_thinking", "tool_use", "tool_result", "image"})


def _content(entry: dict[str, Any]) -> list[dict[str, Any]]:
    content = entry["message"].get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        return []
    blocks: list[dict[str, Any]] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") in _KEPT_BLOCKS:
            blocks.append(block)
        else:
            blocks.append({"type": "text", "text": json.dumps(block, ensure_ascii=False)})
    return blocks


def history(transcript: Transcript) -> list[dict[str, Any]]:
    """The conversation as Anthropic messages (``role``, ``content`` blocks), oldest first.

    The CLI writes one entry per content block of an API message; entries of one assistant
    message (same ``message.id``) and consecutive tool-result entries are joined again.
    """
    out: list[dict[str, Any]] = []
    last_id: str | None = None
    for entry in transcript.visible():
        role = entry["type"]
        blocks = _content(entry)
        if not blocks:
            continue
        message_id = entry["message"].get("id") if role == "assistant" else None
        only_results = role == "user" and all(b.get("type") == "tool_result" for b in blocks)
        joins = (
            bool(out)
            and out[-1]["role"] == role
            and (
                (role == "assistant" and message_id is not None and message_id == last_id)
                or (role == "user" and only_results and out[-1].get("_results", False))
            )
        )
        if joins:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": list(blocks), "_results": only_results})
        last_id = message_id
    for message in out:
        message.pop("_results", None)
    return out
