"""The Agent tool's ``isolation: "worktree"``: a git worktree of its own for a subagent, as the CLI makes it.

The CLI (measured) adds ``<repository>/.claude/worktrees/agent-<id>`` on a new branch
``worktree-agent-<id>`` from HEAD, locks it while the subagent runs there, and afterwards removes
worktree and branch when the subagent changed nothing (no new commit, a clean status); a changed
worktree is unlocked and kept, and the Agent result names its path and branch. Outside a git
repository the call is an error result (:data:`cli_facts.WORKTREE_NOT_GIT`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import anyio

from . import cli_facts

__all__ = ["Worktree", "WorktreeError", "changed", "create", "release"]


class WorktreeError(Exception):
    """The worktree could not be made; the message is the Agent tool's error result."""


@dataclass(frozen=True)
class Worktree:
    """A subagent's worktree: where it is, its branch, the commit it started from, and the folder
    the subagent works in (the session's cwd at the same place inside the worktree)."""

    path: Path
    branch: str
    base: str
    cwd: Path
    root: Path  # the repository's top folder


async def _git(cwd: Path, *args: str) -> tuple[int, str]:
    """Run git in ``cwd``: its exit code and output (stdout, stripped)."""
    try:
        done = await anyio.run_process(["git", *args], cwd=str(cwd), check=False, env=_quiet_env())
    except OSError as exc:  # no git at all
        return 127, str(exc)
    return done.returncode, done.stdout.decode("utf-8", "replace").strip()


def _quiet_env() -> dict[str, str]:
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


async def create(cwd: Path, agent_id: str) -> Worktree:
    """Make the subagent's worktree for a session working in ``cwd``; WorktreeError when impossible."""
    code, top = await _git(cwd, "rev-parse", "--show-toplevel")
    if code != 0 or not top:
        raise WorktreeError(cli_facts.WORKTREE_NOT_GIT)
    root = Path(top)
    code, base = await _git(root, "rev-parse", "HEAD")
    if code != 0:
        raise WorktreeError(f"Cannot create agent worktree: the repository has no commit yet ({base})")
    path = root / cli_facts.WORKTREE_FOLDER / cli_facts.WORKTREE_NAME.format(agent_id=agent_id)
    branch = cli_facts.WORKTREE_BRANCH.format(agent_id=agent_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    code, said = await _git(root, "worktree", "add", "-q", "-b", branch, str(path), base)
    if code != 0:
        raise WorktreeError(f"Cannot create agent worktree: {said or 'git worktree add failed'}")
    await _git(root, "worktree", "lock", str(path))
    try:
        inside = Path(cwd).resolve().relative_to(root.resolve())
    except ValueError:
        inside = Path()
    where = path / inside
    return Worktree(path=path, branch=branch, base=base, cwd=where if where.is_dir() else path, root=root)


async def changed(worktree: Worktree) -> bool:
    """Whether the subagent left anything in its worktree: a commit, or a change in its status."""
    code, head = await _git(worktree.path, "rev-parse", "HEAD")
    if code != 0 or head != worktree.base:
        return True
    code, status = await _git(worktree.path, "status", "--porcelain")
    return code != 0 or bool(status)


async def release(worktree: Worktree) -> bool:
    """After the subagent: keep a changed worktree (unlocked; True), remove an unchanged one and its
    branch (False)."""
    root = worktree.root
    await _git(root, "worktree", "unlock", str(worktree.path))
    if await changed(worktree):
        return True
    code, _ = await _git(root, "worktree", "remove", "--force", str(worktree.path))
    if code == 0:
        await _git(root, "branch", "-D", worktree.branch)
        return False
    return True
