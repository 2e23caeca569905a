"""The committed chapters are executed, clean, and their prose only cites values a cell
glues."""

import json
import re
import sys
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
sys.path.insert(0, str(BOOK.parent / "tools"))
import student_edition  # noqa: E402

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
# (`hide-input`) or hidden (`remove-input`, `remove-cell`).
READER_CELL_LINES = 30
HIDDEN_CODE = {"hide-input", "remove-input", "remove-cell"}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_code_cells_a_reader_reads_are_at_most_30_lines(path):
    for cell, source in cells(path):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or HIDDEN_CODE & set(tags):
            continue
        lines = len(source.splitlines())
        assert lines <= READER_CELL_LINES, (
            f"{path.name}: a reader cell of {lines} lines: {source[:60]!r}"
        )


# Every exercise records, in its cell's metadata, its kind and the minutes it is
# expected to take (the instructor's guide lists them); a kind its statement names must
# agree.
EXERCISE = re.compile(r"^`{3,}\{exercise\}[^\n]*\n:label: (\S+)\n\s*(.*)", re.M | re.S)
EXERCISE_KINDS = ("recall", "reasoning", "implementation", "experiment")
NAMED_KIND = re.compile(r"[*_]+(Implementation|Experiment|Understanding)\b")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_records_its_kind_and_expected_minutes(path):
    for cell, source in cells(path):
        found = EXERCISE.search(source) if cell["cell_type"] == "markdown" else None
        if not found:
            continue
        label, statement = found.groups()
        record = cell["metadata"].get("exercise", {})
        assert record.get("kind") in EXERCISE_KINDS, (label, record)
        minutes = record.get("minutes")
        assert isinstance(minutes, int) and 5 <= minutes <= 240, (label, record)
        named = NAMED_KIND.match(statement)
        if named:
            kind = named.group(1).lower().replace("understanding", "reasoning")
            assert record["kind"] == kind, (label, record["kind"], kind)


def test_every_chapter_has_its_run_times_measured():
    # `make run-times` measures them for the instructor's guide
    record = json.loads((BOOK / "run_times.json").read_text(encoding="utf-8"))
    chapters = student_edition.chapters()
    assert sorted(record["chapters"]) == sorted(p.stem for p in chapters)
    for stem, seconds in record["chapters"].items():
        assert sorted(seconds) == ["full", "graded", "quick"], stem
        assert all(value > 0 for value in seconds.values()), stem
    assert record["machine"] and record["measured"]
