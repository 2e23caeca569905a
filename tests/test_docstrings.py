"""Docstrings read as sentences: no paragraph broken early or indented astray.

Readers meet the library's docstrings when they expand a chapter's code cell. A rewrap
that breaks a paragraph line early, or indents a continuation line deeper than its
paragraph, leaves text like "the one it\\n    was trained in,\\n        such as". Each
docstring of `fractalnet/`, `fractalviz/` and `tools/` is parsed with `ast` and split
into paragraphs, Google style (Keras' too):

- prose: every line starts at the paragraph's first line's indentation;
- an item of `Args:`, `Call arguments:`, `Attributes:` or `Raises:`: its continuation
  lines are indented 4 more than the item (`Returns:` and `Yields:` hold prose);
- a list item (`- `, `* `, `1. `): its continuation lines start under its text.

Doctests (`>>>`, `...`), the body of an `Example:` section, fenced code and blocks
indented under prose (a command line, a quotation) are left alone. A line breaks early
when it ends at least `EARLY_SLACK` columns short of the 88-column limit and the next
line's first word (a whole code span) would have fitted.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    path
    for folder in ("fractalnet", "fractalviz", "tools")
    for path in (ROOT / folder).glob("*.py")
)
LINE_LENGTH = 88
# A rewrap fills a line up to the limit, but keeps a code span or a short group such as
# "(1, 2, 5, 26, 677, ...)" whole: a line that ends only a few columns short is not
# broken early.
EARLY_SLACK = 12
ITEM_SECTIONS = {"Args", "Arguments", "Call arguments", "Attributes", "Raises"}
PROSE_SECTIONS = {"Returns", "Yields", "Note", "Notes", "Warning"}
CODE_SECTIONS = {"Example", "Examples"}
SECTION = re.compile(
    "(" + "|".join(sorted(ITEM_SECTIONS | PROSE_SECTIONS | CODE_SECTIONS)) + "):"
)
BULLET = re.compile(r"(?:[-*+]|\d+[.)]) ")
FIRST_WORD = re.compile(r"`[^`]*`\S*|\S+")


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _paragraphs(lines):
    """Yields `(section, [line index, ...])` for each paragraph of text to check.

    `lines` are the docstring's lines with the common indentation removed; `section`
    is the name of the section the paragraph is in, or `None`.
    """
    section, section_indent, fenced, paragraph = None, 0, False, []
    for index, line in enumerate(lines):
        text = line.strip()
        if text.startswith("```") or fenced or not text:
            if text.startswith("```"):
                fenced = not fenced
            if paragraph:
                yield section, paragraph
                paragraph = []
            continue
        if section is not None and _indent(line) <= section_indent:
            if paragraph:
                yield section, paragraph
                paragraph = []
            section = None
        if SECTION.fullmatch(text):
            if paragraph:
                yield section, paragraph
                paragraph = []
            section, section_indent = text[:-1], _indent(line)
            continue
        paragraph.append(index)
    if paragraph:
        yield section, paragraph


def _blocks(lines, section, paragraph):
    """Splits one paragraph into blocks: `(kind, [line index, ...], continuation
    indentation)`, kind being "prose", "item" or "list"."""
    blocks = []
    base = _indent(lines[paragraph[0]])
    for index in paragraph:
        line = lines[index]
        indent, text = _indent(line), line.strip()
        bullet = BULLET.match(text)
        if bullet:
            blocks.append(("list", [index], indent + bullet.end()))
        elif section in ITEM_SECTIONS and indent <= base:
            blocks.append(("item", [index], indent + 4))
        elif blocks and (
            blocks[-1][0] != "list" or indent > _indent(lines[blocks[-1][1][0]])
        ):
            blocks[-1][1].append(index)
        else:
            blocks.append(("prose", [index], indent))
    return blocks


def docstring_problems(docstring, first_column=0, line_offset=0):
    """Returns `[(line number, message), ...]` for one docstring.

    Args:
        docstring: the docstring's text, as written (not cleaned).
        first_column: the column its first line starts at in the file (after the
            quotes).
        line_offset: the line number of its first line.
    """
    raw = docstring.expandtabs().split("\n")
    base = min((_indent(line) for line in raw[1:] if line.strip()), default=0)
    lines = [raw[0].strip()] + [line[base:].rstrip() for line in raw[1:]]

    def width(index):
        return (first_column if index == 0 else base) + len(lines[index])

    problems = []
    for section, paragraph in _paragraphs(lines):
        first = lines[paragraph[0]]
        if section in CODE_SECTIONS or any(
            lines[index].lstrip().startswith((">>>", "... ")) for index in paragraph
        ):
            continue
        if section is None and paragraph[0] > 0 and _indent(first) > 0:
            continue  # a block indented under the prose: code or a quotation
        for kind, indices, continuation in _blocks(lines, section, paragraph):
            for above, below in zip(indices, indices[1:]):
                line = lines[below]
                if _indent(line) != continuation:
                    problems.append(
                        (
                            line_offset + below,
                            f"{kind} line at column {base + _indent(line)}, not "
                            f"{base + continuation}: {line.strip()!r}",
                        )
                    )
                word = FIRST_WORD.match(line.strip()).group()
                # A last line's closing quotes would move up with its only word.
                closing = 3 if below == len(lines) - 1 and word == line.strip() else 0
                if (
                    LINE_LENGTH - width(above) >= EARLY_SLACK
                    and width(above) + 1 + len(word) + closing <= LINE_LENGTH
                ):
                    problems.append(
                        (
                            line_offset + above,
                            f"line broken early, {word!r} fits after "
                            f"{lines[above].strip()!r}",
                        )
                    )
    return sorted(problems)


def _documented(tree):
    """Yields `(qualified name, docstring node)` for the module and every class and
    function in it, nested ones included."""
    definitions = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    scope = {tree: ""}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            scope[child] = scope[node]
            if isinstance(child, definitions):
                scope[child] = f"{scope[node]}.{child.name}".lstrip(".")
        if (
            isinstance(node, (ast.Module, *definitions))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str)
        ):
            yield scope[node] or "<module>", node.body[0].value


def file_problems(path):
    """Returns `["path:line: name: message", ...]` for every docstring of one file."""
    source = path.read_text(encoding="utf-8")
    source_lines = source.splitlines()
    problems = []
    for name, node in _documented(ast.parse(source)):
        opening = source_lines[node.lineno - 1][node.col_offset :]
        quotes = re.match(r"[rRuUbB]*('''|\"\"\"|'|\")", opening).end()
        for line, message in docstring_problems(
            node.value, node.col_offset + quotes, node.lineno
        ):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {name}: {message}")
    return problems


def test_there_are_files_to_check():
    assert len(FILES) > 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_docstring_paragraphs_are_wrapped_as_sentences(path):
    problems = file_problems(path)
    assert not problems, "\n" + "\n".join(problems)


BROKEN = """Recomputes the moving statistics.

    Each layer is reset. Use it when a model runs in another configuration than the one
    it was trained in,
    such as one column of a FractalNet: inside the network its convs read joins (means
        of columns), alone they read single convs.

    Args:
        x: images, a NumPy array `(n, height, width, channels)` with n >= 1, usually
                training images.

    Returns:
        A tuple of tuples of ints, one per join: empty for C = 1, 2**(C-2) joins for
            C >= 2.
    """


def test_the_check_names_each_broken_line():
    problems = docstring_problems(BROKEN, first_column=7, line_offset=10)
    assert [line for line, _ in problems] == [13, 15, 19, 23]
    assert "'such' fits after 'it was trained in,'" in problems[0][1]
    assert "prose line at column 8, not 4: 'of columns)" in problems[1][1]
    assert "item line at column 16, not 12: 'training images.'" in problems[2][1]
    assert "prose line at column 12, not 8: 'C >= 2.'" in problems[3][1]


WELL_FORMED = """Runs the model: a summary line that is long enough to spill onto a
    second line.

    A paragraph filled up to the limit, with a code span kept whole at the start of the
    `model(x, columns=subset, training=False)` line that follows.

    - a list item whose text goes on under its text, past the end of the first line of
      the item;
    - a second item.
    A line after the list.

        python tools/export_chapters.py --check  # a command, indented under the prose
            --and its continuation

    ```
    fenced code
            indented as it likes
    ```

    Args:
        model: a model with `num_columns` (at most 6) whose call accepts `columns=` and
            returns logits.
        mode: one of
            - `"local"`: every join drops its inputs independently, with a long
              explanation;
            - `"global"`: one column.

    Returns:
        A dict with one entry per column, written over more than one line, each line
        starting under the first.

    Example:

    >>> model = FractalNet(
    ...     num_classes=2, columns=[2]
    ... )

    Example:
        >>> print(
        ...     "indented example"
        ... )
            indented example
    """


def test_the_check_leaves_items_lists_code_and_doctests_alone():
    assert docstring_problems(WELL_FORMED, first_column=17) == []
