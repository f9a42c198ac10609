"""A subagent's output file and the Agent tool's worktree isolation, as the pinned CLI does them.

Recorded from the real CLI against the scripted Anthropic API: the ``output_file`` the task
messages name is a link to the subagent's transcript in the config folder, written as it runs;
``isolation: "worktree"`` runs the subagent in a git worktree of its own, removed afterwards when
nothing changed, else kept and named in the hand-back; outside git the call is an error result.
Through the real local Letta server, and (where the real SDK is installed) against the CLI.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from claude_compat import (
    ClaudeAgentOptions,
    ResultMessage,
    TaskNotificationMessage,
    TaskStartedMessage,
    ToolResultBlock,
    UserMessage,
    query,
)
from claude_compat._internal import cli_facts
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn

if TYPE_CHECKING:
    from conftest import RealCli

PROMPT = "Count the files"


def _agent_call(**extra: Any) -> ToolCall:
    fields = {"description": "Count files", "prompt": PROMPT, "subagent_type": "general-purpose"}
    return ToolCall("Agent", {**fields, "run_in_background": False, **extra}, id="toolu_a1")


def _child(model: ScriptedModel, *turns: Turn) -> None:
    for turn in turns:
        model.add_rule(Rule(last_user=PROMPT, reply=turn, times=1))


def _bash(command: str, call_id: str) -> Turn:
    return Turn(tool_calls=[ToolCall("Bash", {"command": command, "description": "look"}, id=call_id)])


def _results(messages: list[Any]) -> dict[str, tuple[ToolResultBlock, Any]]:
    """Tool results by call id (either side's message classes: matched by name)."""
    return {
        b.tool_use_id: (b, m.tool_use_result)
        for m in messages
        if type(m).__name__ == UserMessage.__name__ and isinstance(m.content, list)
        for b in m.content
        if type(b).__name__ == ToolResultBlock.__name__
    }


def _text(block: ToolResultBlock) -> str:
    content = block.content
    return content if isinstance(content, str) else "".join(str(p.get("text", "")) for p in content or [])


def _git_repo(path: Path) -> None:
    path.mkdir(exist_ok=True)
    (path / "a.txt").write_text("hello\n")
    subprocess.run(
        "git init -q && git add -A && git -c user.email=t@t -c user.name=t commit -qm init",
        shell=True,
        cwd=path,
        check=True,
    )


def _git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=True).stdout


def _options(cwd: Path, **extra: Any) -> ClaudeAgentOptions:
    return ClaudeAgentOptions(cwd=str(cwd), allowed_tools=["Agent", "Bash"], **extra)


@pytest.mark.anyio
@pytest.mark.letta
async def test_the_output_file_links_to_the_subagents_transcript_written_as_it_runs(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    config = Path(os.environ["CLAUDE_CONFIG_DIR"])
    scripted_model.push(Turn(tool_calls=[_agent_call()]), "done")
    tasks = f"/tmp/claude-{os.getuid()}/{re.sub('[^A-Za-z0-9]', '-', str(work))}/*/tasks/*.output"
    _child(scripted_model, _bash(f"cat {tasks} | wc -l", "toolu_b1"), Turn(text="One file."))

    messages = [m async for m in query(prompt="go", options=_options(work))]

    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages[-1]
    started = next(m for m in messages if isinstance(m, TaskStartedMessage))
    note = next(m for m in messages if isinstance(m, TaskNotificationMessage))
    link = Path(note.output_file)
    assert link.name == f"{started.task_id}.output" and link.is_symlink()
    session = messages[0].data["session_id"]  # type: ignore[union-attr]
    transcript = link.resolve()
    assert transcript == (
        config.resolve() / "projects" / re.sub("[^A-Za-z0-9]", "-", str(work.resolve())) / session
        / "subagents" / f"agent-{started.task_id}.jsonl"
    )  # fmt: skip
    assert stat.S_IMODE(transcript.stat().st_mode) == 0o600
    during = int(_text(_results(messages)["toolu_b1"][0]).strip())
    assert during >= 2  # the prompt and the call were written before the call ran
    records = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert records[0]["type"] == "user" and records[0]["message"] == {"role": "user", "content": PROMPT}
    assert all(r["isSidechain"] is True and r["agentId"] == started.task_id for r in records)
    assert [r["parentUuid"] for r in records[1:]] == [r["uuid"] for r in records[:-1]]
    assert [r["type"] for r in records] == ["user", "assistant", "user", "assistant"]
    assert records[-1]["message"]["content"] == [{"type": "text", "text": "One file."}]
    meta = json.loads(transcript.with_name(f"agent-{started.task_id}.meta.json").read_text())
    assert meta["toolUseId"] == "toolu_a1" and meta["requestShape"] == "foreground"
    assert meta["agentType"] == "general-purpose" and meta["isBuiltIn"] is True and meta["finished"] is True


@pytest.mark.anyio
@pytest.mark.letta
@pytest.mark.parametrize("changes", [True, False])
async def test_isolation_worktree_runs_the_subagent_in_its_own_worktree_kept_only_when_changed(
    scripted_model: ScriptedModel, tmp_path: Path, changes: bool
) -> None:
    work = tmp_path / "repo"
    _git_repo(work)
    scripted_model.push(Turn(tool_calls=[_agent_call(isolation="worktree")]), "done")
    turns = [_bash("pwd; git branch --show-current; git worktree list", "toolu_b1")]
    if changes:
        turns.append(_bash("echo new > b.txt", "toolu_b2"))
    _child(scripted_model, *turns, Turn(text="Child done."))

    messages = [m async for m in query(prompt="go", options=_options(work))]

    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages[-1]
    agent_id = next(m for m in messages if isinstance(m, TaskStartedMessage)).task_id
    path = work.resolve() / ".claude" / "worktrees" / f"agent-{agent_id}"
    branch = f"worktree-agent-{agent_id}"
    looked = _text(_results(messages)["toolu_b1"][0]).splitlines()
    assert looked[:2] == [str(path), branch]
    child_first = json.dumps(
        next(r.messages for r in scripted_model.completions if PROMPT in json.dumps(r.messages))
    )
    assert f"Primary working directory: {path}" in child_first
    assert f" - Additional working directories:\\n  - {path}" in child_first  # as the CLI lists it
    assert any(line.startswith(str(path)) and line.endswith("locked") for line in looked)
    block, shown = _results(messages)["toolu_a1"]
    kept = cli_facts.HANDBACK_WORKTREE.format(path=path, branch=branch)
    assert (kept in _text(block)) is changes
    assert ("worktreePath" in shown) is changes
    if changes:
        assert list(shown)[-3:] == ["worktreePath", "worktreeBranch", "canContinueAgent"]
        assert (shown["worktreePath"], shown["worktreeBranch"]) == (str(path), branch)
        assert (path / "b.txt").read_text() == "new\n" and not (work / "b.txt").exists()
    assert path.exists() is changes
    assert (branch in _git(work, "branch", "--list", branch)) is changes
    assert "locked" not in _git(work, "worktree", "list")
    assert _git(work, "branch", "--show-current").strip() in ("master", "main")


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_background_subagents_kept_worktree_is_named_in_its_task_notification(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    work = tmp_path / "repo"
    _git_repo(work)
    # The main agent ends its turn first ("Launched."); the report is then the prompt of a turn of
    # its own, whose answer is the result query() yields.
    scripted_model.push(
        Turn(tool_calls=[_agent_call(isolation="worktree", run_in_background=True)]), "Launched.", "DONE"
    )
    _child(scripted_model, _bash("echo new > b.txt", "toolu_b1"), Turn(text="Child done."))

    messages = [m async for m in query(prompt="go", options=_options(work))]

    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "DONE", messages[-1]
    agent_id = next(m for m in messages if isinstance(m, TaskStartedMessage)).task_id
    path = work.resolve() / ".claude" / "worktrees" / f"agent-{agent_id}"
    told = json.dumps([r.messages for r in scripted_model.completions])
    line = cli_facts.TASK_NOTIFICATION_WORKTREE.format(path=path, branch=f"worktree-agent-{agent_id}")
    assert json.dumps(line)[1:-1] + "</task-notification>" in told
    assert (path / "b.txt").exists()


@pytest.mark.anyio
@pytest.mark.letta
async def test_isolation_worktree_outside_git_is_the_clis_error_result_and_no_task(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(tool_calls=[_agent_call(isolation="worktree")]), "done")

    messages = [m async for m in query(prompt="go", options=_options(tmp_path))]

    block, shown = _results(messages)["toolu_a1"]
    assert (block.content, block.is_error) == (cli_facts.WORKTREE_NOT_GIT, True)
    assert shown == f"Error: {cli_facts.WORKTREE_NOT_GIT}"
    assert not any(isinstance(m, (TaskStartedMessage, TaskNotificationMessage)) for m in messages)
    assert not (tmp_path / ".claude").exists()


@pytest.mark.anyio
@pytest.mark.letta
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the real SDK's side: one loop is enough
async def test_a_changed_worktree_and_the_output_file_match_the_real_cli(
    scripted_model: ScriptedModel, real_cli: RealCli, tmp_path: Path
) -> None:
    """Differential: the same scripted subagent in a worktree on both sides; the hand-back's worktree
    lines and fields, what is left in git, and where the output file points, relative to each side's
    repository and config folder."""

    def script(model: ScriptedModel) -> ScriptedModel:
        model.push(Turn(tool_calls=[_agent_call(isolation="worktree")]), "done")
        _child(model, _bash("echo new > b.txt", "toolu_b1"), Turn(text="Child done."))
        return model

    def observed(messages: list[Any], work: Path, config: Path) -> dict[str, Any]:
        block, shown = _results(messages)["toolu_a1"]
        note = next(m for m in messages if type(m).__name__ == TaskNotificationMessage.__name__)
        agent_id = note.task_id
        root, generic = str(work.resolve()), "<id>"
        lines = [
            line.replace(root, "<repo>").replace(agent_id, generic)
            for line in _text(block).splitlines()
            if line.startswith("worktree")
        ]
        link = Path(note.output_file)
        meta_file = link.resolve().with_name(f"agent-{agent_id}.meta.json")
        return {
            "lines": lines,
            "fields": [k for k in shown if k.startswith("worktree")],
            "branches": _git(work, "branch", "--list").replace(agent_id, generic).split(),
            "worktrees": len(_git(work, "worktree", "list").splitlines()),
            "target": str(link.resolve().relative_to(config.resolve() / "projects")).replace(
                agent_id, generic
            ),
            "transcript_mode": stat.S_IMODE(link.resolve().stat().st_mode),
            "meta": [k for k in json.loads(meta_file.read_text()) if k.startswith(("worktree", "spawned"))],
        }

    real_work, home = tmp_path / "real", tmp_path / "home"
    _git_repo(real_work)
    home.mkdir()
    real = await real_cli.query(
        "go",
        script(ScriptedModel("claude-sonnet-4-5")),
        home=home,
        cwd=str(real_work),
        model="claude-sonnet-4-5",
        permission_mode="bypassPermissions",
    )
    ours_work = tmp_path / "ours"
    _git_repo(ours_work)
    script(scripted_model)
    ours = [m async for m in query(prompt="go", options=_options(ours_work))]
    assert isinstance(ours[-1], ResultMessage) and not ours[-1].is_error, ours[-1]

    want = observed(real, real_work, home / ".claude")
    got = observed(ours, ours_work, Path(os.environ["CLAUDE_CONFIG_DIR"]))
    want["target"] = want["target"].split("/", 1)[1]  # the project folder names differ (other cwd)
    got["target"] = got["target"].split("/", 1)[1]
    session_of = {id(real): real[0].data["session_id"], id(ours): ours[0].data["session_id"]}
    want["target"] = want["target"].replace(session_of[id(real)], "<session>")
    got["target"] = got["target"].replace(session_of[id(ours)], "<session>")
    assert want["lines"] == [
        "worktreePath: <repo>/.claude/worktrees/agent-<id>",
        "worktreeBranch: worktree-agent-<id>",
    ]
    assert got == want


def test_an_output_file_that_cannot_be_written_is_a_warning_and_never_follows_a_planted_link(
    tmp_path: Path,
) -> None:
    from claude_compat._internal.task_output import TaskOutput

    config = tmp_path / "config"
    work = tmp_path / "work"
    work.mkdir()
    output = TaskOutput(env={"CLAUDE_CONFIG_DIR": str(config)}, cwd=work, session_id="s1", agent_id="a1")
    output.transcript.parent.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_text("")
    output.transcript.symlink_to(elsewhere)  # planted by someone else

    with pytest.warns(UserWarning, match="could not write the subagent's output file"):
        output.start("do it", {"agentType": "general-purpose"})
    output.finish()  # later writes are skipped, not raised

    assert elsewhere.read_text() == ""
    fresh = TaskOutput(env={"CLAUDE_CONFIG_DIR": str(config)}, cwd=work, session_id="s2", agent_id="a2")
    fresh.start("do it", {"agentType": "general-purpose"})
    fresh.finish()
    assert stat.S_IMODE(fresh.transcript.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.meta_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.transcript.parent.stat().st_mode) == 0o700
    assert json.loads(fresh.meta_file.read_text()) == {"agentType": "general-purpose", "finished": True}
    assert Path(fresh.output_file).resolve() == fresh.transcript.resolve()
