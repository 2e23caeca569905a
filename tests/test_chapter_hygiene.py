"""The committed chapters are executed, clean, and their prose only cites values a cell glues."""

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
GLUE_ROLE = re.compile(r"\{glue(?::[a-z]*)?\}`([A-Za-z_][A-Za-z0-9_]*)")
GLUE_DIRECTIVE = re.compile(r"```\{glue:[a-z]+\}\s+([A-Za-z_][A-Za-z0-9_]*)")


def cells(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        source = cell["source"]
        yield cell, "".join(source) if isinstance(source, list) else source


def glued_names(path):
    names = set()
    for cell, _ in cells(path):
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook", {})
            if "name" in record:
                names.add(record["name"])
    return names


def test_there_are_chapters():
    assert len(CHAPTERS) >= 5


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_code_cell_is_committed_executed_without_errors_or_stderr(path):
    for cell, source in cells(path):
        if cell["cell_type"] != "code" or not source.strip():
            continue
        assert cell.get("execution_count") is not None, f"not executed: {source[:60]!r}"
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"error output in {source[:60]!r}"
            assert output.get("name") != "stderr", f"stderr in {source[:60]!r}: {output.get('text')}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_glued_value_the_prose_cites_is_glued_by_a_cell(path):
    defined = glued_names(path)
    for cell, source in cells(path):
        if cell["cell_type"] == "markdown":
            cited = set(GLUE_ROLE.findall(source)) | set(GLUE_DIRECTIVE.findall(source))
            assert cited <= defined, f"{path.name} cites unglued {sorted(cited - defined)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_prose_is_removed_from_the_page(path):
    for cell, source in cells(path):
        if cell["cell_type"] == "markdown":
            assert "remove-cell" not in cell.get("metadata", {}).get("tags", []), source[:60]
