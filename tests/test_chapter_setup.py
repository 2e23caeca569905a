"""The install step at the top of every chapter's set-up cell.

Where `fractalnet` is missing (a bare Jupyter, Colab), the set-up cell installs the
book's packages from the runnable book the chapter came in, or says where to get it.
"""

import importlib.util
import json
import pathlib
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import student_edition  # noqa: E402

BOOK = ROOT / "book"
# the chapters and the appendix (the instructor's guide is a page for teachers, run in
# this checkout)
CHAPTERS = student_edition.chapters()


def install_step(path):
    """The set-up cell's code before the chapter's own start (its install step)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    setup = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    return setup[: setup.index("CHAPTER_START =")]


def run_step(monkeypatch, cwd, installed):
    calls = []
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        if name == "fractalnet" and not installed:
            return None
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: calls.append(command))
    monkeypatch.chdir(cwd)
    exec(install_step(CHAPTERS[0]), {})
    return calls


def runnable_book(folder):
    book = folder / "fractalnet-book"
    (book / "fractalnet").mkdir(parents=True)
    (book / "book").mkdir()
    (book / "pyproject.toml").write_text("[project]\nname = 'fractalnet-book'\n")
    return book


def test_every_chapter_installs_the_same_way():
    steps = {install_step(path) for path in CHAPTERS}
    assert len(steps) == 1 and "find_spec" in steps.pop()


def test_a_chapter_opened_in_the_runnable_book_installs_it(monkeypatch, tmp_path):
    book = runnable_book(tmp_path)
    calls = run_step(monkeypatch, book / "book", installed=False)
    assert calls == [
        [sys.executable, "-m", "pip", "install", "-q", f"{book}[chapters]"]
    ]


def test_colab_finds_the_unpacked_book_in_its_working_folder(monkeypatch, tmp_path):
    book = runnable_book(tmp_path)
    calls = run_step(monkeypatch, tmp_path, installed=False)
    assert calls == [
        [sys.executable, "-m", "pip", "install", "-q", f"{book}[chapters]"]
    ]


def test_without_the_runnable_book_it_says_where_to_get_it(monkeypatch, tmp_path):
    with pytest.raises(ModuleNotFoundError, match="Run it yourself"):
        run_step(monkeypatch, tmp_path, installed=False)


def test_an_installed_package_is_left_alone(monkeypatch, tmp_path):
    assert run_step(monkeypatch, runnable_book(tmp_path), installed=True) == []


def test_the_chapters_extra_names_what_the_chapters_import():
    project = tomllib.loads((BOOK.parent / "pyproject.toml").read_text("utf-8"))
    extra = " ".join(project["project"]["optional-dependencies"]["chapters"])
    for package in ("tensorflow", "scikit-learn", "myst-nb"):
        assert package in extra
