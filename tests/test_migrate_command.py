"""``claude-compat migrate``: what a user sees when they point it at a Claude SDK code base.

The code base is tests/fixtures/claude_project (copied to a temporary directory for every test,
so ``--write`` never touches the fixture). Expected notes and statuses are read from the surface
table, so the tests follow the table as it evolves; what they pin is where each use is found and
how the report, the JSON and the rewrites are shaped.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from claude_compat._cli import main
from claude_compat._internal.surface import status_of
from claude_compat._tooling.migrate import STATUSES, analyze, rewrite_source

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "claude_project"

ON_USE_TEXT = {
    "ignored": " (accepted, no effect)",
    "warns": " (ignored with a warning)",
    "raises": " (raises)",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the fixture code base, and the working directory set to it."""
    copy = tmp_path / "claude_project"
    shutil.copytree(FIXTURE, copy)
    monkeypatch.chdir(copy)
    return copy


def migrate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``claude-compat migrate ARGS`` in this process: exit status, stdout, stderr."""
    status = main(["migrate", *args])
    out, err = capsys.readouterr()
    return status, out, err


def migrate_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``claude-compat migrate --json ARGS``: exit status and the parsed report."""
    status, out, _ = migrate(capsys, "--json", *args)
    return status, json.loads(out)


def expected_line(path: str, line: int, col: int, name: str) -> str:
    """The report line for a use of a name the surface table knows."""
    row = status_of(name)
    return f"{path}:{line}:{col}: {row.status:<8} {name} — {row.note}{ON_USE_TEXT.get(row.on_use, '')}"


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, as bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- the report ---------------------------------------------------------------------------------


def test_each_use_is_reported_with_file_line_column_status_and_note(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = migrate(capsys, ".")

    lines = out.splitlines()
    for expected in [
        # from-imports, one line per imported name, at the name
        expected_line("ask.py", 7, 65, "query"),
        expected_line("ask.py", 8, 36, "AssistantMessage"),  # from claude_agent_sdk.types
        # a parenthesised import with comments: each name on its own line
        expected_line("app/assistant.py", 8, 5, "ClaudeSDKClient"),
        expected_line("app/assistant.py", 13, 5, "TextBlock"),
        # `import claude_agent_sdk as sdk; sdk.X` and `claude_agent_sdk.types.X`
        expected_line("app/one_shot.py", 10, 26, "query"),
        expected_line("app/one_shot.py", 11, 32, "StreamEvent"),
        expected_line("app/sandboxed.py", 14, 32, "ResultMessage"),
        # ClaudeAgentOptions keywords, through a plain name, an alias and a module attribute
        expected_line("ask.py", 13, 85, "ClaudeAgentOptions.max_turns"),
        expected_line("app/tools.py", 17, 19, "ClaudeAgentOptions.mcp_servers"),
        expected_line("app/one_shot.py", 8, 38, "ClaudeAgentOptions.model"),
        expected_line("app/sandboxed.py", 10, 9, "ClaudeAgentOptions.sandbox"),
        expected_line("app/assistant.py", 41, 9, "ClaudeAgentOptions.can_use_tool"),
        # modules: `import claude_agent_sdk.types as t`, `from claude_agent_sdk import types`
        "scripts/dump_messages.py:4:8: mapped   claude_agent_sdk.types — becomes claude_compat.types",
        "scripts/dump_messages.py:5:37: mapped   claude_agent_sdk.types — becomes claude_compat.types",
        "app/one_shot.py:3:8: mapped   claude_agent_sdk — becomes claude_compat",
        # MessageParseError lives in claude_agent_sdk._errors and is outside the public table
        "app/errors.py:4:38: unlisted MessageParseError — not in the Claude SDK's public table; "
        "claude_compat.errors provides it",
    ]:
        assert expected in lines
    assert not any(line.startswith("app/unrelated.py") for line in lines)  # a string is not a use


def test_the_summary_counts_uses_by_status_over_the_files_that_use_the_sdk(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = migrate_json(capsys, ".")
    _, out, _ = migrate(capsys, ".")

    counts = {status: sum(use["status"] == status for use in report["uses"]) for status in STATUSES}
    by_status = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    assert f"53 uses of the Claude SDK in 7 files (of 9 scanned): {by_status}" in out.splitlines()
    assert report["summary"] == counts
    assert "12 import statements to rewrite in 7 files: run again with --write" in out


def test_the_json_report_has_every_use_the_summary_and_the_planned_rewrites(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = migrate_json(capsys, ".")

    assert status == report["exit_status"] == 2
    assert set(report) == {
        "root",
        "files_scanned",
        "files_using_sdk",
        "summary",
        "uses",
        "blocking",
        "imports",
        "unparseable",
        "written",
        "exit_status",
    }
    assert report["root"] == "."
    assert report["files_scanned"] == 9
    assert report["files_using_sdk"] == [
        "ask.py",
        "app/assistant.py",
        "app/errors.py",
        "app/one_shot.py",
        "app/sandboxed.py",
        "app/tools.py",
        "scripts/dump_messages.py",
    ]
    assert list(report["summary"]) == list(STATUSES)
    sandbox = status_of("ClaudeAgentOptions.sandbox")
    assert report["uses"][0] == {
        "path": "ask.py",
        "line": 7,
        "col": 30,
        "kind": "import",
        "name": "ClaudeAgentOptions",
        "status": status_of("ClaudeAgentOptions").status,
        "note": status_of("ClaudeAgentOptions").note,
        "on_use": status_of("ClaudeAgentOptions").on_use,
        "blocking": False,
    }
    assert {"kind": "option", "name": "ClaudeAgentOptions.sandbox", "status": sandbox.status}.items() <= next(
        use for use in report["uses"] if use["name"] == "ClaudeAgentOptions.sandbox"
    ).items()
    assert {use["kind"] for use in report["uses"]} == {"import", "module", "attribute", "option"}
    assert report["imports"][0] == {
        "path": "ask.py",
        "line": 7,
        "old": "from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query",
        "new": "from claude_compat import ClaudeAgentOptions, ResultMessage, query",
        "reason": "",
        "rewritable": True,
    }
    assert report["unparseable"] == []
    assert report["written"] == []


# --- exit status --------------------------------------------------------------------------------


def test_a_refused_option_that_raises_exits_2_and_is_named(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = status_of("ClaudeAgentOptions.sandbox")
    assert (row.status, row.on_use) == ("refused", "raises"), "the fixture relies on sandbox being refused"

    status, out, _ = migrate(capsys, ".")

    assert status == 2
    tail = out[out.index("needs changes before it runs on Letta") :].splitlines()
    assert tail == [
        "needs changes before it runs on Letta as intended (exit status 2):",
        "  refused ClaudeAgentOptions.sandbox (raises) at app/sandboxed.py:10",
    ]


def test_a_code_base_using_only_supported_names_exits_0(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = migrate(capsys, "app/assistant.py")

    assert status == 0
    assert "needs changes" not in out
    assert out.splitlines()[0].startswith("app/assistant.py:6:5: ")


def test_a_refused_name_accepted_with_no_effect_is_listed_but_does_not_fail(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = status_of("CLINotFoundError")
    assert (row.status, row.on_use) == ("refused", "ignored")

    status, out, _ = migrate(capsys, "app/errors.py")

    assert status == 0
    assert expected_line("app/errors.py", 3, 66, "CLINotFoundError") in out.splitlines()


def test_a_name_claude_compat_does_not_have_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "old.py"
    program.write_text(
        "from claude_agent_sdk import query, no_such_name\n"
        "from claude_agent_sdk import ClaudeAgentOptions\n"
        "ClaudeAgentOptions(max_turn=3)\n"
    )

    status, report = migrate_json(capsys, str(program))

    assert status == 2
    assert [(u["name"], u["status"]) for u in report["blocking"]] == [
        ("no_such_name", "missing"),
        ("ClaudeAgentOptions.max_turn", "missing"),
    ]
    assert "has no field 'max_turn'" in report["blocking"][1]["note"]


def test_a_path_that_does_not_exist_exits_1_and_says_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = migrate(capsys, str(tmp_path / "nowhere"))

    assert status == 1
    assert out == ""
    assert "no file or directory at" in err
    assert "give the path of a Python file or of the directory" in err


# --- what is scanned ----------------------------------------------------------------------------


def test_virtual_environments_site_packages_and_hidden_directories_are_skipped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sdk_use = "from claude_agent_sdk import ClaudeAgentOptions\nClaudeAgentOptions(sandbox={})\n"
    for skipped in [
        ".venv/lib/python3.11/site-packages/claude_agent_sdk/__init__.py",
        ".git/hooks/pre-commit.py",
        "env/lib/python3.11/site-packages/x.py",
        "vendor/site-packages/y.py",
        "app/__pycache__/z.py",
    ]:
        (project / skipped).parent.mkdir(parents=True, exist_ok=True)
        (project / skipped).write_text(sdk_use)
    (project / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (project / "env" / "tool.py").write_text(sdk_use)

    _, report = migrate_json(capsys, ".")

    assert report["files_scanned"] == 9
    assert report["files_using_sdk"][-1] == "scripts/dump_messages.py"
    assert len(report["blocking"]) == 1  # only the fixture's own sandbox use


def test_an_unparseable_file_is_reported_and_the_rest_still_analysed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app" / "legacy.py").write_text("from claude_agent_sdk import query\nprint 'hello'\n")
    (project / "app" / "latin.py").write_bytes(b"# no coding cookie\nname = '\xe9'\n")

    status, out, _ = migrate(capsys, ".")
    _, report = migrate_json(capsys, ".")

    assert status == 2  # from the sandbox use, as without the broken files
    assert [(u["path"], u["line"]) for u in report["unparseable"]] == [
        ("app/latin.py", None),
        ("app/legacy.py", 2),
    ]
    assert "could not parse 2 files (skipped):" in out
    assert "  app/legacy.py:2: Missing parentheses in call to 'print'. Did you mean print(...)?" in out
    assert report["files_scanned"] == 11
    assert len(report["files_using_sdk"]) == 7


# --- --write --------------------------------------------------------------------------------------


def import_lines(report: dict[str, Any]) -> dict[str, set[int]]:
    """Line numbers spanned by each file's rewritable import statements."""
    lines: dict[str, set[int]] = {}
    for rewrite in report["imports"]:
        if rewrite["rewritable"]:
            span = range(rewrite["line"], rewrite["line"] + rewrite["old"].count("\n") + 1)
            lines.setdefault(rewrite["path"], set()).update(span)
    return lines


def test_write_changes_only_the_import_lines_and_the_code_still_compiles(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files_of(project)
    _, planned = migrate_json(capsys, ".")

    status, out, _ = migrate(capsys, ".", "--write")

    assert status == 2  # the sandbox is still refused: rewriting imports does not fix that
    assert "rewrote 12 import statements in 7 files" in out
    after = files_of(project)
    allowed = import_lines(planned)
    for path, old in before.items():
        old_lines = old.decode().splitlines()
        new_lines = after[path].decode().splitlines()
        assert len(new_lines) == len(old_lines), path
        changed = {n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), start=1) if a != b}
        assert changed <= allowed.get(path, set()), path
        if path.endswith(".py"):
            compile(after[path], path, "exec", dont_inherit=True)
    assert after["app/unrelated.py"] == before["app/unrelated.py"]
    assert b"claude_agent_sdk" not in after["ask.py"]


def test_the_rewritten_imports_resolve_in_claude_compat(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate(capsys, ".", "--write")

    for path in sorted(project.rglob("*.py")):
        tree = ast.parse(path.read_text())
        imports: list[ast.stmt] = [
            node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
        ]
        namespace: dict[str, Any] = {}
        exec(compile(ast.Module(body=imports, type_ignores=[]), str(path), "exec"), namespace)
        modules = [value for value in namespace.values() if hasattr(value, "__spec__")]
        assert all(not m.__name__.startswith("claude_agent_sdk") for m in modules), path


def test_write_keeps_comments_spacing_and_the_names_the_code_uses(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate(capsys, ".", "--write")

    assert (project / "app" / "assistant.py").read_text().splitlines()[4:15] == [
        "from claude_compat import (  # the whole session API",
        "    AssistantMessage,",
        "    ClaudeAgentOptions,",
        "    ClaudeSDKClient,",
        "    HookContext,",
        "    HookMatcher,",
        "    PermissionResultAllow,",
        "    PermissionResultDeny,",
        "    TextBlock,  # printed as it arrives",
        ")",
        "from claude_compat.types import ToolPermissionContext",
    ]
    # `import claude_agent_sdk` keeps binding the name the module's code goes on using
    assert "import claude_compat as claude_agent_sdk\n" in (project / "app" / "sandboxed.py").read_text()
    assert "import claude_compat as sdk\n" in (project / "app" / "one_shot.py").read_text()
    assert (
        "from claude_compat.errors import MessageParseError\n" in (project / "app" / "errors.py").read_text()
    )


def test_after_write_nothing_is_left_to_migrate_and_a_second_write_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate(capsys, ".", "--write")
    written = files_of(project)

    status, out, _ = migrate(capsys, ".", "--write")

    assert status == 0
    assert out.splitlines()[0] == "no use of the Claude SDK in 9 Python files"
    assert files_of(project) == written


def test_rewrites_are_made_in_place_whatever_the_layout_encoding_or_line_endings() -> None:
    source = (
        "# -*- coding: utf-8 -*-\r\n"
        "import os, claude_agent_sdk\r\n"
        "x = 'café'; from  claude_agent_sdk  import (query,\r\n"
        "    ClaudeAgentOptions as Opts)  # keep me\r\n"
        "from claude_agent_sdk \\\r\n"
        "    import types\r\n"
        "from claude_agent_sdk import _errors, TextBlock\r\n"
        "import claude_agent_sdk._errors as errs, claude_agent_sdk.types\r\n"
        "def f():\r\n"
        "    import claude_agent_sdk.client as c; return c\r\n"
    )

    assert rewrite_source(source) == (
        "# -*- coding: utf-8 -*-\r\n"
        "import os, claude_compat as claude_agent_sdk\r\n"
        "x = 'café'; from  claude_compat  import (query,\r\n"
        "    ClaudeAgentOptions as Opts)  # keep me\r\n"
        "from claude_compat \\\r\n"
        "    import types\r\n"
        "from claude_compat import errors as _errors, TextBlock\r\n"
        "import claude_compat.errors as errs, claude_compat as claude_agent_sdk\r\n"
        "def f():\r\n"
        "    import claude_compat.client as c; return c\r\n"
    )


def test_an_import_with_no_claude_compat_counterpart_is_left_for_a_hand_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "private.py"
    original = (
        "from claude_agent_sdk._internal.transport import Transport\n"
        "import claude_agent_sdk._errors\n"
        "from claude_agent_sdk import query\n"
    )
    program.write_text(original)

    status, out, _ = migrate(capsys, str(program), "--write")

    assert status == 2  # the private module is refused: its import fails on claude-compat
    assert program.read_text() == original.replace(
        "from claude_agent_sdk import query", "from claude_compat import query"
    )
    hand_edits = out[out.index("left for a hand edit:") :].splitlines()[1:3]
    assert hand_edits[0].startswith(
        f"  {program}:1: claude_agent_sdk._internal.transport: the Claude SDK's private"
    )
    assert hand_edits[1].startswith(f"  {program}:2: claude_agent_sdk._errors: the code reaches it as")


def test_the_library_reports_the_same_as_the_command(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = analyze(".")
    _, from_command = migrate_json(capsys, ".")

    assert report.to_json() == from_command


# --- the installed command ------------------------------------------------------------------------


def test_the_console_script_prints_json_and_exits_2_for_the_fixture(project: Path) -> None:
    command = Path(sys.executable).with_name("claude-compat")
    proc = subprocess.run(
        [str(command), "migrate", str(FIXTURE), "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )

    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    assert report["root"] == str(FIXTURE)
    assert report["files_using_sdk"][0] == str(FIXTURE / "ask.py")
    assert files_of(FIXTURE) == files_of(project)  # without --write the fixture is untouched
