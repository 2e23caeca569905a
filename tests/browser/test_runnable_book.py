"""The runnable book the site offers: unpacked into an empty folder, its packages
installed from it (not from this checkout), its chapters run.

Runs against the built site in $FRACTALNET_BOOK_HTML (`make browser` sets it); skipped
without it.
"""

import os
import pathlib
import re
import subprocess
import sys
import zipfile

import pytest

HTML = (
    pathlib.Path(os.environ["FRACTALNET_BOOK_HTML"]).resolve()
    if os.environ.get("FRACTALNET_BOOK_HTML")
    else None
)
if HTML is None:
    pytest.skip(
        "set FRACTALNET_BOOK_HTML to a built book (`make browser` does)",
        allow_module_level=True,
    )

RUN = r"""
import pathlib, sys
import nbclient, nbformat
target, chapter = sys.argv[1], pathlib.Path(sys.argv[2])
notebook = nbformat.read(chapter, as_version=4)
check = ("import fractalnet, fractalviz\n"
         f"assert fractalnet.__file__.startswith({target!r}), fractalnet.__file__\n"
         f"assert fractalviz.__file__.startswith({target!r}), fractalviz.__file__")
notebook.cells.insert(0, nbformat.v4.new_code_cell(check))
nbclient.NotebookClient(notebook, kernel_name="python3", timeout=600,
                        resources={"metadata": {"path": str(chapter.parent)}}).execute()
"""


def test_the_runnable_book_is_linked_from_the_site_and_its_chapters_run_from_it(
    tmp_path,
):
    page = (HTML / "book" / "run_it.html").read_text(encoding="utf-8")
    link = re.search(r'href="\.\./(_downloads/[^"]+/fractalnet-book\.zip)"', page)
    assert link, "run_it.html does not link the runnable book"
    with zipfile.ZipFile(HTML / link.group(1)) as archive:
        archive.extractall(tmp_path)
    book = tmp_path / "fractalnet-book"
    assert (book / "README.md").exists() and (book / "requirements.txt").exists()
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(book),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    env = dict(os.environ, PYTHONPATH=str(site), FRACTALNET_QUICK="1")
    for chapter in ("02_expansion_rule.ipynb", "03_layers.ipynb"):
        notebook = book / "book" / chapter
        # handed out cleared
        assert '"outputs": []' in notebook.read_text(encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-c", RUN, str(site), str(notebook)],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == 0, (
            f"{chapter} failed from the runnable book:\n{run.stderr[-3000:]}"
        )


def test_the_whole_book_pdf_is_linked_and_holds_every_page_in_order():
    pypdf = pytest.importorskip("pypdf")
    page = (HTML / "book" / "run_it.html").read_text(encoding="utf-8")
    assert 'href="../fractalnet-book.pdf"' in page
    reader = pypdf.PdfReader(HTML / "fractalnet-book.pdf")
    text = [p.extract_text() for p in reader.pages]
    chapters = [
        "Why depth is hard",
        "The fractal expansion rule",
        "Layers: the conv block",
        "Drop-path: training every",
        "The full FractalNet: stages",
        "Training on real images",
    ]
    # A chapter starts on a new page whose first line is its title.
    first_pages = [
        next(i for i, t in enumerate(text) if t.strip().startswith(title))
        for title in chapters
    ]
    assert first_pages == sorted(first_pages), "chapters out of order in the PDF"
    assert not any("columns C =" in t for t in text), (
        "the explorer's controls were printed"
    )
