"""A subagent task's output file: its transcript, written where the CLI's task messages say it is.

The pinned CLI names ``<tmp>/claude-<uid>/<cwd slug>/<session>/tasks/<agent id>.output`` in
task_notification and the ``async_launched`` result; that path is a symbolic link to the
subagent's transcript in the user's config folder,
``<config>/projects/<project key>/<session>/subagents/agent-<agent id>.jsonl``, written record by
record while the subagent runs (its prompt first), beside ``agent-<agent id>.meta.json`` (written
when the task starts, again with ``"finished": true`` when it ends). Measured for foreground and
background tasks alike. Files and folders are the user's only; a failure to write is a warning,
never the task's failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any

from .._private_files import private_dir, private_file, write_private_text
from ..errors import InsecureStorageError
from ..types import AssistantMessage, Message, UserMessage
from .mirror import message_record, record
from .store_keys import project_key_for_directory

__all__ = ["TaskOutput", "config_dir", "task_output_dir"]


def config_dir(env: dict[str, str]) -> Path:
    """The CLI's config folder with this environment: ``CLAUDE_CONFIG_DIR``, else ``~/.claude``."""
    override = env.get("CLAUDE_CONFIG_DIR")
    if override:
        return Path(override)
    return Path(env.get("HOME") or Path.home()) / ".claude"


def project_dir(env: dict[str, str], cwd: str | Path) -> Path:
    """The CLI's folder for the project in ``cwd`` (its sessions' files, its memory folder)."""
    return config_dir(env) / "projects" / project_key_for_directory(cwd)


def task_output_dir(cwd: Path, session_id: str) -> Path:
    """Where the CLI says a task's output goes: ``<tmp>/claude-<uid>/<cwd slug>/<session>/tasks``."""
    slug = re.sub(r"[^A-Za-z0-9]", "-", str(cwd))
    return Path(tempfile.gettempdir()) / f"claude-{os.getuid()}" / slug / session_id / "tasks"


class TaskOutput:
    """The transcript, metadata and output link of one subagent task."""

    def __init__(self, *, env: dict[str, str], cwd: Path, session_id: str, agent_id: str) -> None:
        folder = project_dir(env, cwd) / session_id / "subagents"
        self.transcript = folder / f"agent-{agent_id}.jsonl"
        self.meta_file = folder / f"agent-{agent_id}.meta.json"
        self.link = task_output_dir(cwd, session_id) / f"{agent_id}.output"
        self.session_id = session_id
        self.agent_id = agent_id
        self.cwd = str(cwd)
        self.meta: dict[str, Any] = {}
        self._tail: str | None = None
        self._broken = False

    @property
    def output_file(self) -> str:
        """The path the task messages name."""
        return str(self.link)

    def start(self, prompt: str, meta: dict[str, Any]) -> None:
        """The task starts: its metadata, the output link, and the prompt as the first record."""
        self.meta = dict(meta)
        self._guarded(self._open)
        self.write_meta()
        first = record(
            "user",
            self._tail,
            {"role": "user", "content": prompt},
            session_id=self.session_id,
            cwd=self.cwd,
            sidechain=True,
            promptId=str(uuid.uuid4()),
            agentId=self.agent_id,
        )
        self._append(first)

    def add(self, message: Message, tool_use_id: str) -> None:
        """One of the subagent's own messages, as the next record of its transcript."""
        if not isinstance(message, (AssistantMessage, UserMessage)):
            return
        if message.parent_tool_use_id is None:  # the subagent's side of the parent's transcript
            message = dataclasses.replace(message, parent_tool_use_id=tool_use_id)
        entry = message_record(message, self._tail, session_id=self.session_id, cwd=self.cwd)
        entry["agentId"] = self.agent_id
        self._append(entry)

    def finish(self, **changes: Any) -> None:
        """The task ended: its metadata again, ``finished`` and any ``changes`` (None drops a key)."""
        if not self.meta:  # never started (the subagent could not open)
            return
        for key, value in changes.items():
            if value is None:
                self.meta.pop(key, None)
            else:
                self.meta[key] = value
        self.meta["finished"] = True
        self.write_meta()

    def write_meta(self) -> None:
        text = json.dumps(self.meta, separators=(",", ":"), ensure_ascii=False)
        self._guarded(lambda: write_private_text(self.meta_file, text))

    def _open(self) -> None:
        private_file(self.transcript)
        private_dir(self.link.parent)
        with contextlib.suppress(FileNotFoundError):
            if self.link.is_symlink():
                self.link.unlink()
        self.link.symlink_to(self.transcript)

    def _append(self, entry: dict[str, Any]) -> None:
        def write() -> None:
            flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(self.transcript, flags)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

        self._guarded(write)
        uid = entry.get("uuid")
        self._tail = uid if isinstance(uid, str) else self._tail

    def _guarded(self, action: Any) -> None:
        """Run one write; the first failure is a warning and stops the later writes."""
        if self._broken:
            return
        try:
            action()
        except (OSError, InsecureStorageError) as exc:
            self._broken = True
            warnings.warn(f"claude-compat could not write the subagent's output file: {exc}", stacklevel=3)
