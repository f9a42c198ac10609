"""``claude-compat run``: an unmodified Claude SDK program runs on Letta, as ``python SCRIPT`` runs it.

Programs run as subprocesses, as a user runs them: ``python -m claude_compat run …`` or the
``claude-compat`` console script. The Letta tests use the session's local server and scripted model
(the ``scripted_model`` fixture puts LETTA_BASE_URL, CLAUDE_COMPAT_MODEL and CLAUDE_COMPAT_HOME in
``os.environ``, which the subprocess inherits).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from claude_compat.errors import ClaudeSDKError
from claude_compat.testing import Rule, ScriptedModel, Turn
from claude_compat.testing._script import last_user_text

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "claude_project"
CONSOLE_SCRIPT = Path(sys.executable).with_name("claude-compat")


def run(*args: str, cwd: Path, console_script: bool = False) -> subprocess.CompletedProcess[str]:
    """``python -m claude_compat run ARGS`` (or ``claude-compat run ARGS``) in ``cwd``."""
    command = [str(CONSOLE_SCRIPT)] if console_script else [sys.executable, "-m", "claude_compat"]
    return subprocess.run(
        [*command, "run", *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def write(path: Path, source: str) -> Path:
    """Write a program's (dedented) source."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


# --- the import hook --------------------------------------------------------------------------


def test_claude_agent_sdk_imports_are_claude_compat_and_the_real_sdk_is_never_loaded(tmp_path: Path) -> None:
    spec = importlib.util.find_spec("claude_agent_sdk")
    assert spec is not None and spec.origin is not None, "the real Claude SDK is installed for this test"
    real_sdk_dir = str(Path(spec.origin).parent)
    write(
        tmp_path / "which_sdk.py",
        """
        import json, sys

        import claude_agent_sdk
        import claude_agent_sdk.query
        import claude_agent_sdk.types as sdk_types
        from claude_agent_sdk import ClaudeAgentOptions, client, query
        from claude_agent_sdk._errors import MessageParseError
        from claude_agent_sdk.types import AssistantMessage

        import claude_compat

        real_dir = sys.argv[1]
        print(json.dumps({
            "package": sys.modules["claude_agent_sdk"] is claude_compat,
            "query": claude_agent_sdk.query is claude_compat.query is query,
            "types": sdk_types is claude_compat.types,
            "client": client is sys.modules["claude_compat.client"],
            "names": ClaudeAgentOptions is claude_compat.ClaudeAgentOptions
            and AssistantMessage is claude_compat.AssistantMessage,
            "errors": MessageParseError is claude_compat.errors.MessageParseError,
            "real_modules": sorted(
                name for name, module in sys.modules.items()
                if (getattr(module, "__file__", None) or "").startswith(real_dir)
            ),
        }))
        """,
    )

    proc = run("which_sdk.py", real_sdk_dir, cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "package": True,
        "query": True,
        "types": True,
        "client": True,
        "names": True,
        "errors": True,
        "real_modules": [],
    }


def test_a_private_claude_sdk_module_fails_to_import_saying_why(tmp_path: Path) -> None:
    write(
        tmp_path / "private.py",
        """
        try:
            from claude_agent_sdk._internal.transport import Transport
        except ImportError as exc:
            print(type(exc).__name__, exc.name)
            print(exc)
        """,
    )

    proc = run("private.py", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    kind, message = proc.stdout.splitlines()
    assert kind == "ModuleNotFoundError claude_agent_sdk._internal"
    assert "has no claude-compat counterpart; import the public names from claude_agent_sdk" in message


def test_installing_the_hook_after_the_real_sdk_was_imported_is_refused() -> None:
    import claude_agent_sdk  # the real one, in this test process

    from claude_compat._tooling import importhook

    assert not claude_agent_sdk.__name__.startswith("claude_compat")
    with pytest.raises(ClaudeSDKError, match="was imported before claude-compat's import hook"):
        importhook.install()
    assert not importhook.is_installed()


# --- python's behaviour: argv, __main__, sys.path, exit status, tracebacks --------------------


ARGV_PROGRAM = """
import json, os, sys

import claude_agent_sdk

print(json.dumps({
    "argv": sys.argv,
    "name": __name__,
    "file": __file__,
    "path0": sys.path[0],
    "main": sys.modules["__main__"].__dict__ is globals(),
}))
"""


def test_the_program_gets_its_arguments_and_runs_as_main(tmp_path: Path) -> None:
    script = write(tmp_path / "bin" / "show_argv.py", ARGV_PROGRAM)
    args = ["first", "two words", "-m", "--help", "--", "-x"]

    proc = run("bin/show_argv.py", *args, cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "argv": ["bin/show_argv.py", *args],
        "name": "__main__",
        "file": str(script),
        "path0": str(script.parent.resolve()),
        "main": True,
    }


def test_the_console_script_runs_the_program_the_same_way(tmp_path: Path) -> None:
    write(tmp_path / "show_argv.py", ARGV_PROGRAM)

    proc = run("show_argv.py", "a", "--b", cwd=tmp_path, console_script=True)

    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert (shown["argv"], shown["name"]) == (["show_argv.py", "a", "--b"], "__main__")


def test_dash_m_runs_a_module_as_python_dash_m_does(tmp_path: Path) -> None:
    module = write(tmp_path / "agents" / "show.py", ARGV_PROGRAM)
    (tmp_path / "agents" / "__init__.py").write_text("")

    proc = run("-m", "agents.show", "x", "-v", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["argv"] == [str(module), "x", "-v"]
    assert (shown["name"], shown["path0"]) == ("__main__", str(tmp_path))


@pytest.mark.parametrize(
    ("ending", "status", "stderr"),
    [
        ("pass", 0, ""),
        ("sys.exit(7)", 7, ""),
        ("sys.exit('stopped: no prompt given')", 1, "stopped: no prompt given\n"),
        ("raise SystemExit(0)", 0, ""),
    ],
)
def test_the_exit_status_is_the_programs(tmp_path: Path, ending: str, status: int, stderr: str) -> None:
    write(tmp_path / "ends.py", f"import sys\nimport claude_agent_sdk\nprint('ran')\n{ending}\n")

    proc = run("ends.py", cwd=tmp_path)

    assert (proc.returncode, proc.stdout, proc.stderr) == (status, "ran\n", stderr)


def test_an_uncaught_exception_prints_pythons_traceback_of_the_program_only_and_exits_1(
    tmp_path: Path,
) -> None:
    script = write(
        tmp_path / "fails.py",
        """
        from claude_agent_sdk import ProcessError


        def start():
            raise ProcessError("the agent failed", exit_code=3)


        start()
        """,
    )

    proc = run("fails.py", cwd=tmp_path)

    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        "Traceback (most recent call last):\n"
        f'  File "{script}", line 9, in <module>\n'
        "    start()\n"
        f'  File "{script}", line 6, in start\n'
        '    raise ProcessError("the agent failed", exit_code=3)\n'
        "claude_compat.errors.ProcessError: the agent failed (exit code: 3)\n"
    )


def test_the_program_catches_claude_errors_by_their_claude_names(tmp_path: Path) -> None:
    write(
        tmp_path / "catches.py",
        """
        import claude_agent_sdk

        try:
            raise claude_agent_sdk.ResultError("max turns", {"subtype": "error_max_turns"})
        except claude_agent_sdk.ProcessError as exc:
            print("caught", type(exc).__name__)
        """,
    )

    proc = run("catches.py", cwd=tmp_path)

    assert (proc.returncode, proc.stdout) == (0, "caught ResultError\n"), proc.stderr


def test_a_syntax_error_is_reported_as_python_reports_it(tmp_path: Path) -> None:
    script = write(tmp_path / "broken.py", "from claude_agent_sdk import query\ndef (:\n")

    proc = run("broken.py", cwd=tmp_path)

    assert proc.returncode == 1
    assert proc.stderr.startswith(f'  File "{script}", line 2\n')
    assert proc.stderr.endswith("SyntaxError: invalid syntax\n")


def test_a_missing_script_exits_2_and_names_it(tmp_path: Path) -> None:
    proc = run("nowhere.py", cwd=tmp_path)

    assert proc.returncode == 2
    where = tmp_path / "nowhere.py"
    assert (
        proc.stderr == f"claude-compat run: can't open file '{where}': [Errno 2] No such file or directory\n"
    )


def test_without_a_program_it_prints_the_usage_and_exits_2(tmp_path: Path) -> None:
    proc = run(cwd=tmp_path)

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "usage: claude-compat run [-h] (SCRIPT | -m MODULE) [ARGS ...]",
        "claude-compat run: error: give the program to run: SCRIPT or -m MODULE",
    ]


def test_a_missing_module_exits_1_and_names_it(tmp_path: Path) -> None:
    proc = run("-m", "no_such_agent_module", cwd=tmp_path)

    assert proc.returncode == 1
    assert proc.stderr == "claude-compat run: error: No module named no_such_agent_module\n"


# --- on Letta -------------------------------------------------------------------------------------


def reply(pattern: str, text: str) -> Rule:
    """The model answers ``text`` whenever the last user message matches ``pattern``."""
    return Rule(reply=Turn(text=text), last_user=pattern)


@pytest.mark.letta
def test_an_unmodified_claude_program_answers_through_letta(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.add_rule(reply("capital of France", "Paris."))
    before = (FIXTURE / "ask.py").read_bytes()

    proc = run(str(FIXTURE / "ask.py"), "What is the capital of France?", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "Question: What is the capital of France?\nClaude: Paris.\nResult: success after 1 turn(s)\n"
    )
    request = next(r for r in scripted_model.completions if "France" in (last_user_text(r.messages) or ""))
    system = " ".join(str(m.get("content")) for m in request.messages if m.get("role") == "system")
    assert "You answer in one short sentence." in system  # the program's ClaudeAgentOptions reached Letta
    assert (FIXTURE / "ask.py").read_bytes() == before  # no file changed


@pytest.mark.letta
def test_the_console_script_passes_each_argument_to_the_program_on_letta(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.add_rule(reply(r"What is 2 \+ 2\?", "4."))

    proc = run(str(FIXTURE / "ask.py"), "What", "is", "2", "+", "2?", cwd=tmp_path, console_script=True)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Question: What is 2 + 2?\nClaude: 4.\nResult: success after 1 turn(s)\n"
