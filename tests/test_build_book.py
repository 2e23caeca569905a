"""The book's build-time configuration: links to a repository only when there is a real
one."""

import importlib.util
import pathlib
import sys
import zipfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(
    0, str(ROOT / "tools")
)  # build_book imports its neighbours handout and student_edition
spec = importlib.util.spec_from_file_location(
    "build_book", ROOT / "tools" / "build_book.py"
)
build_book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_book)


def test_no_repository_no_repository_or_launch_buttons(monkeypatch):
    monkeypatch.setattr(build_book, "repository_url", lambda: None)
    config = build_book.book_config(strict=True)
    assert "repository" not in config and not config["html"]["use_repository_button"]
    assert not any(config["launch_buttons"].values())
    assert config["execute"]["execute_notebooks"] == "off"


def test_a_repository_url_from_the_environment_gives_repository_and_launch_buttons(
    monkeypatch,
):
    monkeypatch.setenv(
        "FRACTALNET_REPOSITORY_URL", "https://example.org/someone/fractalnet-book.git"
    )
    assert build_book.repository_url() == "https://example.org/someone/fractalnet-book"
    config = build_book.book_config(strict=False)
    assert config["repository"]["url"] == "https://example.org/someone/fractalnet-book"
    assert (
        config["html"]["use_repository_button"]
        and config["launch_buttons"]["colab_url"]
    )
    assert config["execute"]["execute_notebooks"] == "force"


def test_the_committed_configuration_invents_no_repository():
    assert "github.com" not in (ROOT / "_config.yml").read_text(encoding="utf-8")


def test_the_runnable_book_holds_packages_store_and_chapters_without_outputs(tmp_path):
    path = build_book.write_runnable_book(tmp_path / "book.zip")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        chapters = sorted(n for n in names if n.startswith("fractalnet-book/book/"))
        assert {
            "fractalnet-book/fractalnet/__init__.py",
            "fractalnet-book/fractalviz/js/percent.js",
            "fractalnet-book/pyproject.toml",
            "fractalnet-book/README.md",
        } <= names
        # the trained networks chapters 6 and 7 load, so that a copy does not retrain
        stored = sorted(p.parent.name for p in (ROOT / "results").glob("*/model.keras"))
        assert stored and all(
            f"fractalnet-book/results/{name}/model.keras" in names for name in stored
        )
        assert [pathlib.Path(n).name for n in chapters] == sorted(
            p.name for p in (ROOT / "book").glob("*.ipynb")
        )
        for name in chapters:
            notebook = nbformat.reads(archive.read(name).decode("utf-8"), as_version=4)
            assert all(
                not c.get("outputs") for c in notebook.cells if c.cell_type == "code"
            ), name


def test_a_handout_leaves_out_checkpoints_of_a_run_in_progress_and_caches(
    monkeypatch, tmp_path
):
    for name in (
        "fractalnet/model.py",
        "fractalnet/__pycache__/model.cpython-311.pyc",
        "fractalviz/js/percent.js",
        "results/columns_1/model.keras",
        "results/columns_1/scores.json",
        "results/columns_1/training/checkpoint.weights.h5",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    monkeypatch.setattr(build_book.handout, "ROOT", tmp_path)
    packed = [
        p.relative_to(tmp_path).as_posix() for p in build_book.handout.packed_files()
    ]
    assert packed == [
        "fractalnet/model.py",
        "fractalviz/js/percent.js",
        "results/columns_1/model.keras",
        "results/columns_1/scores.json",
    ]
