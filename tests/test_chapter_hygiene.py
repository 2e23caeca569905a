"""The committed chapters are executed, clean, and their prose only cites values a cell
glues."""

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
            assert output.get("name") != "stderr", (
                f"stderr in {source[:60]!r}: {output.get('text')}"
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_glued_value_the_prose_cites_is_glued_by_a_cell(path):
    defined = glued_names(path)
    for cell, source in cells(path):
        if cell["cell_type"] == "markdown":
            cited = set(GLUE_ROLE.findall(source)) | set(GLUE_DIRECTIVE.findall(source))
            assert cited <= defined, (
                f"{path.name} cites unglued {sorted(cited - defined)}"
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_prose_is_removed_from_the_page(path):
    for cell, source in cells(path):
        if cell["cell_type"] == "markdown":
            assert "remove-cell" not in cell.get("metadata", {}).get("tags", []), (
                source[:60]
            )


# `{glue}`, `{glue:}` and `{glue:any}` paste a value's text/plain, which for a string is
# its repr: the page would show it in quote marks. Strings are pasted with
# `{glue:text}`, which unquotes them (tests/test_built_glue.py checks the built pages
# themselves).
REPR_GLUE = re.compile(r"\{glue(?::any|:)?\}`([A-Za-z_][A-Za-z0-9_]*)`")


def glued_records(path):
    """Yields `(name, text)` for every value a chapter glues: its name and its
    plain-text form."""
    for cell, _ in cells(path):
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                yield name, text


def glued_strings(path):
    return {
        name for name, text in glued_records(path) if text[:1] and text[:1] in "'\""
    }


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_glued_strings_are_pasted_as_plain_text(path):
    strings = glued_strings(path)
    for cell, source in cells(path):
        if cell["cell_type"] == "markdown":
            quoted = set(REPR_GLUE.findall(source)) & strings
            assert not quoted, (
                f"{path.name} pastes strings {sorted(quoted)} in quote marks: use "
                f"{{glue:text}}"
            )


def test_a_string_pasted_with_the_repr_role_is_caught():
    assert REPR_GLUE.findall(
        "about {glue:}`ratio` and {glue}`b`, not {glue:text}`c`"
    ) == ["ratio", "b"]


# Counts of a thousand and more read with thousands separators ("1,797", never "1797"):
# a glued number cited in the prose carries the `,` format (`{glue:text}`n_images:,``).
GLUE_WITH_FORMAT = re.compile(
    r"\{glue(?::text)?\}`([A-Za-z_][A-Za-z0-9_]*)(?::([^`]*))?`"
)


def glued_numbers(path):
    numbers = {}
    for name, text in glued_records(path):
        try:
            numbers[name] = float(text)
        except ValueError:
            pass
    return numbers


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_glued_numbers_of_a_thousand_and_more_are_cited_with_thousands_separators(path):
    numbers = glued_numbers(path)
    for cell, source in cells(path):
        if cell["cell_type"] == "markdown":
            for name, spec in GLUE_WITH_FORMAT.findall(source):
                if abs(numbers.get(name, 0)) >= 1000:
                    assert "," in spec, (
                        f"{path.name} cites {name} = {numbers[name]:.0f} without ',' "
                        "in its format"
                    )


def test_a_number_cited_without_separators_is_caught():
    cited = GLUE_WITH_FORMAT.findall(
        "{glue:text}`n_images` and {glue:text}`paths:,` and {glue}`x:.1f`"
    )
    assert cited == [("n_images", ""), ("paths", ","), ("x", ".1f")]


# A code cell a reader must read shows one idea in at most 30 lines; longer code
# (library code exported with `# @save`, checkers, validation) is collapsed
# (`hide-input`) or hidden (`remove-cell`).
READER_CELL_LINES = 30


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_code_cells_a_reader_reads_are_at_most_30_lines(path):
    for cell, source in cells(path):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or {"hide-input", "remove-cell"} & set(tags):
            continue
        lines = len(source.splitlines())
        assert lines <= READER_CELL_LINES, (
            f"{path.name}: a reader cell of {lines} lines: {source[:60]!r}"
        )
