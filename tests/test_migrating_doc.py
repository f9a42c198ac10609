"""MIGRATING.md cannot go stale: every Claude SDK name and option is in its tables, as generated now."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import claude_agent_sdk
import pytest

import claude_compat
from claude_compat import types as cc_types
from claude_compat.testing import ScriptedModel
from letta_backend.registry import Registry, home_dir

ROOT = Path(__file__).resolve().parent.parent
DOC_PATH = ROOT / "MIGRATING.md"
GENERATOR_PATH = ROOT / "scripts" / "gen_migrating_tables.py"
FIELDS_GROUP = "ClaudeAgentOptions fields"


def load_generator() -> ModuleType:
    """scripts/gen_migrating_tables.py as a module."""
    spec = importlib.util.spec_from_file_location("gen_migrating_tables", GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = load_generator()
DOC = DOC_PATH.read_text(encoding="utf-8")
GUIDE = DOC[: DOC.find(GEN.BEGIN)]  # the hand-written part


def table_names(markdown: str) -> dict[str, set[str]]:
    """First-column names (between backticks) of every table row, per ``###`` heading."""
    groups: dict[str, set[str]] = {}
    heading = ""
    for line in markdown.splitlines():
        if line.startswith("### "):
            heading = line[4:].strip()
        match = re.match(r"^\| `([^`]+)` \|", line)
        if match:
            groups.setdefault(heading, set()).add(match.group(1))
    return groups


TABLES = table_names(GEN.generated_section(DOC))
NAMES = set().union(*(names for group, names in TABLES.items() if group != FIELDS_GROUP))


def test_the_generated_tables_are_what_the_generator_renders_now() -> None:
    assert GEN.generated_section(DOC) == GEN.render(), (
        f"MIGRATING.md's generated tables are stale: run `{GEN.COMMAND}` and commit MIGRATING.md"
    )


@pytest.mark.parametrize("name", claude_agent_sdk.__all__)
def test_every_claude_sdk_public_name_is_in_the_migrating_tables(name: str) -> None:
    assert name in NAMES, (
        f"{name} is missing from MIGRATING.md's tables: add a row to surface.py, then run `{GEN.COMMAND}`"
    )


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(claude_agent_sdk.ClaudeAgentOptions)])
def test_every_claude_agent_options_field_is_in_the_options_table(field: str) -> None:
    assert field in TABLES.get(FIELDS_GROUP, set()), (
        f"ClaudeAgentOptions.{field} is missing from MIGRATING.md's field table: add a row to "
        f"surface.py, then run `{GEN.COMMAND}`"
    )


def test_every_letta_option_is_in_the_extension_table() -> None:
    letta_fields = {
        f.name for f in dataclasses.fields(cc_types.ClaudeAgentOptions) if f.name.startswith("letta_")
    }
    listed = set().union(*(names for group, names in TABLES.items() if "letta_" in group))

    assert letta_fields and letta_fields <= listed


def test_every_claude_compat_addition_is_in_the_tables() -> None:
    additions = set(claude_compat.__all__) - set(claude_agent_sdk.__all__)

    assert additions <= NAMES


def test_every_claude_permission_mode_has_a_row() -> None:
    import typing

    modes = set(typing.get_args(claude_agent_sdk.PermissionMode))

    assert modes <= TABLES["Permission modes"]


def test_not_yet_names_are_listed_as_not_supported_on_letta_yet() -> None:
    section = GEN.generated_section(DOC)
    not_yet = [line for line in section.splitlines() if line.startswith("| `") and "| not-yet |" in line]

    assert not_yet, "the tables list no planned features; is the status column still rendered?"
    assert "**not-yet**: **not supported on Letta yet**" in section


def test_every_letta_error_class_is_explained_in_the_guide() -> None:
    errors = [
        name
        for name in claude_compat.__all__
        if name not in claude_agent_sdk.__all__
        and isinstance(getattr(claude_compat, name), type)
        and issubclass(getattr(claude_compat, name), Exception)
    ]

    missing = [name for name in errors if f"| `{name}` |" not in GUIDE]
    assert errors and not missing, f"MIGRATING.md's error table does not explain {missing}"


def test_the_guides_python_examples_parse() -> None:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE, re.S)

    assert blocks
    for block in blocks:
        ast.parse(block)


def test_the_guides_local_links_point_at_files_that_exist() -> None:
    links = [target for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", GUIDE) if "://" not in target]

    assert links
    for target in links:
        assert (ROOT / target).exists(), f"MIGRATING.md links to {target}, which does not exist"


def test_the_guide_names_every_model_variable_and_command_it_relies_on() -> None:
    for needed in (
        "LETTA_BASE_URL",
        "LETTA_API_KEY",
        "CLAUDE_COMPAT_MODEL",
        "CLAUDE_COMPAT_HOME",
        "letta_model_handle",
        "claude-compat server start",
        "claude-compat server status",
        "claude-compat server stop",
        "scripted_model",
        "letta_agent_id",
        "letta_memory_blocks",
    ):
        assert needed in GUIDE, f"MIGRATING.md's guide does not mention {needed}"


# --- the guide's code runs --------------------------------------------------------------------


def guide_block(containing: str) -> str:
    """The guide's Python example that contains ``containing``."""
    blocks = [b for b in re.findall(r"```python\n(.*?)```", GUIDE, re.S) if containing in b]
    assert len(blocks) == 1, f"expected one Python example containing {containing!r}"
    return blocks[0]


@pytest.mark.anyio
@pytest.mark.letta
async def test_the_guides_offline_test_example_passes(scripted_model: ScriptedModel) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(guide_block("def test_my_agent_answers_briefly"), "MIGRATING.md", "exec"), namespace)
    test = next(v for k, v in namespace.items() if k.startswith("test_"))

    await test(scripted_model)


@pytest.mark.anyio
async def test_the_guides_fake_backend_example_passes_without_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", "http://127.0.0.1:9")  # nothing answers there
    namespace: dict[str, Any] = {}
    exec(compile(guide_block("FakeBackend("), "MIGRATING.md", "exec"), namespace)
    test = next(v for k, v in namespace.items() if k.startswith("test_"))

    await test(tmp_path)


@pytest.mark.anyio
@pytest.mark.letta
async def test_the_guides_persistent_agent_example_reuses_its_agent_and_memory(
    scripted_model: ScriptedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    body = textwrap.indent(guide_block("letta_agent_name"), "    ")
    namespace: dict[str, Any] = {}
    exec(compile(f"async def example():\n{body}", "MIGRATING.md", "exec"), namespace)

    await namespace["example"]()
    await namespace["example"]()

    printed = capsys.readouterr().out
    session_ids = re.findall(r"ResultMessage\(.*?session_id='([^']+)'", printed)
    assert len(set(session_ids)) == 2  # two sessions...
    registry = Registry(home_dir() / "sessions.db")
    records = [registry.get(s) for s in session_ids]
    assert all(r is not None for r in records)
    assert len({r.agent_id for r in records if r is not None}) == 1  # ...of one persistent agent
    assert "The user is Ada" in str(scripted_model.completions[-1].messages[0])
