"""Glued values read as plain text in the built book: no quote marks around a glued
string.

myst-nb's `{glue:}` role pastes the `text/plain` representation of a value, which for a
Python
string is its repr: `'180,000'`, rendered (after Sphinx's smart quotes) as ‘180,000’.
Glue a number with a format spec, or paste a string with `{glue:text}`, which unquotes
it.

Runs against the HTML in $FRACTALNET_BOOK_HTML, or else the strict build
(_build/strict/_build/html, made by `tools/build_book.py --strict`); skipped when no
built book is there, or when a chapter is newer than its page (the build is stale:
rebuild it first).
"""

import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
HTML = pathlib.Path(
    os.environ.get("FRACTALNET_BOOK_HTML") or ROOT / "_build/strict/_build/html"
)
# An inline glue ({glue:} role) is pasted as <span class="output text_plain">…</span>.
INLINE_GLUE = re.compile(r'<span class="output text_plain">(.*?)</span>', re.S)
QUOTES = "'\"‘’“”"


def quoted_glues(html):
    """The inline glued values of a page that are wrapped in quote marks."""
    return [
        text
        for text in INLINE_GLUE.findall(html)
        if len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES
    ]


def test_quoted_glue_is_detected():
    page = (
        '<p>about <span class="output text_plain">‘180,000’</span> times, '
        '<span class="output text_plain">1797</span> images</p>'
    )
    assert quoted_glues(page) == ["‘180,000’"]


def built_chapters():
    pages = []
    for chapter in sorted((ROOT / "book").glob("*.ipynb")):
        page = HTML / "book" / f"{chapter.stem}.html"
        if page.exists():
            pages.append(pytest.param(chapter, page, id=chapter.stem))
    return pages


@pytest.mark.parametrize(("chapter", "page"), built_chapters())
def test_no_glued_value_renders_in_quote_marks(chapter, page):
    if chapter.stat().st_mtime > page.stat().st_mtime:
        pytest.skip(f"{page} is older than {chapter.name}: rebuild the book")
    quoted = quoted_glues(page.read_text(encoding="utf-8"))
    assert not quoted, (
        f"{page.name} shows glued strings in quote marks: {quoted}; "
        "use {glue:text} for strings, or glue numbers"
    )
