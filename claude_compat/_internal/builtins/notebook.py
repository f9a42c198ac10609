"""Jupyter notebooks: how Read shows one to the model, and the NotebookEdit tool."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import anyio.to_thread

from ..tool_types import ToolOutcome
from ._base import InputError, ToolContext, make_tool, outcome, path_field, resolve_path

NOTEBOOK_EDIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "notebook_path": {
            "type": "string",
            "description": "The absolute path to the Jupyter notebook file to edit "
            "(must be absolute, not relative)",
        },
        "cell_id": {
            "type": "string",
            "description": "The ID of the cell to edit. When inserting, the new cell goes after this cell, "
            "or at the beginning if not given.",
        },
        "new_source": {"type": "string", "description": "The new source for the cell"},
        "cell_type": {
            "type": "string",
            "enum": ["code", "markdown"],
            "description": "The type of the cell (code or markdown). Defaults to the current cell type; "
            "required with edit_mode=insert.",
        },
        "edit_mode": {
            "type": "string",
            "enum": ["replace", "insert", "delete"],
            "description": "The type of edit to make (replace, insert, delete). Defaults to replace.",
        },
    },
    "required": ["notebook_path", "new_source"],
}

NOTEBOOK_EDIT_DESCRIPTION = (
    "Replaces, inserts or deletes one cell of a Jupyter notebook (.ipynb file). notebook_path must be "
    "absolute. Name the cell with cell_id (the id Read shows, or cell-N for the N-th cell counting from 0). "
    "Use edit_mode=insert to add a cell after cell_id (cell_type is then required) and edit_mode=delete "
    "to remove one."
)


def _source_text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def _output_text(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return _source_text(output.get("text"))
    if kind in ("execute_result", "display_data"):
        data = output.get("data") or {}
        return _source_text(data.get("text/plain", ""))
    if kind == "error":
        head = f"{output.get('ename', '')}: {output.get('evalue', '')}"
        return "\n".join([head, *[str(t) for t in output.get("traceback") or []]])
    return ""


def notebook_language(nb: dict[str, Any]) -> str:
    """The kernel language of a notebook (``python`` when it does not say)."""
    meta = nb.get("metadata") or {}
    return str((meta.get("language_info") or {}).get("name") or "python")


def cell_id_of(cell: dict[str, Any], index: int) -> str:
    """A cell's id, or ``cell-N`` for cells without one (as the CLI names them)."""
    cid = cell.get("id")
    return str(cid) if cid else f"cell-{index}"


def render_notebook(path: Path, nb: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The text the model sees for a notebook and the structured ``{"type": "notebook", ...}`` result."""
    language = notebook_language(nb)
    parts: list[str] = []
    cells: list[dict[str, Any]] = []
    for index, cell in enumerate(nb.get("cells") or []):
        cid = cell_id_of(cell, index)
        kind = cell.get("cell_type", "code")
        source = _source_text(cell.get("source"))
        tag = "" if kind == "code" else f"<cell_type>{kind}</cell_type>"
        parts.append(f'<cell id="{cid}">{tag}{source}</cell id="{cid}">')
        entry: dict[str, Any] = {"cellType": kind, "source": source}
        if cell.get("execution_count") is not None:
            entry["execution_count"] = cell["execution_count"]
        entry["cell_id"] = cid
        if kind == "code":
            entry["language"] = language
        outputs = [o for o in cell.get("outputs") or [] if isinstance(o, dict)]
        if outputs:
            entry["outputs"] = [
                {"output_type": o.get("output_type"), "text": _output_text(o)} for o in outputs
            ]
            parts.extend("\n" + _output_text(o) for o in outputs)
        cells.append(entry)
    return "\n".join(parts), {"type": "notebook", "file": {"filePath": str(path), "cells": cells}}


def load_notebook(path: Path) -> tuple[str, dict[str, Any]]:
    """The raw text and parsed JSON of a notebook; an InputError when it is not one."""
    raw = path.read_text(encoding="utf-8")
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"Notebook is not valid JSON: {exc}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InputError("Notebook is not valid: it has no list of cells.")
    return raw, nb


def _find_cell(cells: list[dict[str, Any]], cell_id: str) -> int:
    for index, cell in enumerate(cells):
        if cell.get("id") == cell_id:
            return index
    if cell_id.startswith("cell-") and cell_id[5:].isdigit() and int(cell_id[5:]) < len(cells):
        return int(cell_id[5:])
    raise InputError(f'Cell with ID "{cell_id}" not found in notebook.')


def _edit(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    path = resolve_path(tool_input["notebook_path"], ctx)
    if path.suffix.lower() != ".ipynb":
        raise InputError(
            "File must be a Jupyter notebook (.ipynb file). For editing other file types, use the Edit tool."
        )
    if not path.is_file():
        raise InputError("Notebook file does not exist.")
    mode = tool_input.get("edit_mode", "replace")
    new_source: str = tool_input["new_source"]
    cell_type = tool_input.get("cell_type")
    cell_id = tool_input.get("cell_id")
    if mode == "insert" and cell_type is None:
        raise InputError("Cell type is required when using edit_mode=insert.")
    if mode != "insert" and not cell_id:
        raise InputError("Cell ID must be specified when not inserting a new cell.")
    original, nb = load_notebook(path)
    cells: list[dict[str, Any]] = nb["cells"]
    language = notebook_language(nb)
    result: dict[str, Any] = {"new_source": new_source}
    if mode == "insert":
        at = _find_cell(cells, cell_id) + 1 if cell_id else 0
        new_id = secrets.token_hex(4)
        cell: dict[str, Any] = {"cell_type": cell_type}
        if (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5):
            cell["id"] = new_id
        else:
            new_id = f"cell-{at}"
        cell.update({"source": new_source, "metadata": {}})
        if cell_type == "code":
            cell.update({"execution_count": None, "outputs": []})
        cells.insert(at, cell)
        text = f"Inserted cell {new_id} with {new_source}"
        result_id = new_id
    else:
        index = _find_cell(cells, str(cell_id))
        cell = cells[index]
        result_id = str(cell_id)
        result["old_source"] = _source_text(cell.get("source"))
        if mode == "delete":
            cell_type = cell.get("cell_type", "code")
            del cells[index]
            text = f"Deleted cell {cell_id}"
        else:
            cell["source"] = new_source
            if cell_type is not None and cell_type != cell.get("cell_type"):
                cell["cell_type"] = cell_type
                if cell_type == "markdown":
                    cell.pop("outputs", None)
                    cell.pop("execution_count", None)
            cell_type = cell.get("cell_type", "code")
            if cell_type == "code":
                cell["execution_count"] = None
                cell["outputs"] = []
            text = f"Updated cell {cell_id} with {new_source}"
    updated = json.dumps(nb, indent=1, ensure_ascii=False)
    path.write_text(updated, encoding="utf-8")
    result.update(
        {
            "cell_type": cell_type,
            "language": language,
            "edit_mode": mode,
            "cell_id": result_id,
            "error": "",
            "notebook_path": str(path),
            "original_file": original,
            "updated_file": updated,
        }
    )
    return outcome(text, result)


async def _run_edit(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return await anyio.to_thread.run_sync(_edit, tool_input, ctx)


NOTEBOOK_EDIT = make_tool(
    "NotebookEdit",
    NOTEBOOK_EDIT_DESCRIPTION,
    NOTEBOOK_EDIT_SCHEMA,
    _run_edit,
    read_only=False,
    edits_files=True,
    paths=path_field("notebook_path"),
)
