"""The zips the book hands out: the runnable book (`tools/build_book.py`) and the
student edition (`tools/student_edition.py`) are packed by the one function here.

Besides its notebooks, a copy of the book needs the two packages (each chapter's set-up
cell installs them from the copy it came in), `pyproject.toml` and `requirements.txt`,
and the results store: the trained networks that chapters 6 and 7 load, which they
would otherwise retrain (about two hours on two CPU cores).
"""

import pathlib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILES = ("pyproject.toml", "requirements.txt", "fractalnet_train.py")


def packed_files():
    """The packages' files and the stored results (with the study of the training
    defaults, which chapters 3, 5 and 6 read), not the checkpoints of a run in progress
    (`results/<experiment>/training/`, ignored by git as well)."""
    for package in ("fractalnet", "fractalviz"):
        for source in sorted((ROOT / package).rglob("*")):
            if source.is_file() and "__pycache__" not in source.parts:
                yield source
    yield from sorted((ROOT / "results").glob("*.json"))
    yield from sorted(p for p in (ROOT / "results").glob("*/*") if p.is_file())


def write_handout(path, top, notebooks, readme):
    """Writes a copy of the book as a zip that unpacks into one folder.

    Args:
        path: the zip to write (its folder is created).
        top: the name of the folder the zip unpacks into.
        notebooks: `{file name: notebook text}`, written to `top/book/`.
        readme: the text of `top/README.md`.

    Returns:
        `path`.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in packed_files():
            archive.write(source, f"{top}/{source.relative_to(ROOT)}")
        for name, text in sorted(notebooks.items()):
            archive.writestr(f"{top}/book/{name}", text)
        for name in FILES:
            archive.write(ROOT / name, f"{top}/{name}")
        archive.writestr(f"{top}/README.md", readme)
    return path
