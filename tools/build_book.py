"""Build the book: the real run (`make book`) or the strict check of the committed
outputs (`make test`).

    # every chapter executed without the test flag -> _build/html
    python tools/build_book.py
    # the committed outputs, warnings are errors -> _build/strict
    python tools/build_book.py --strict

Both builds use the book's `_config.yml` with three things decided at build time, never
typed in:

- **The repository.** Its URL comes from `$FRACTALNET_REPOSITORY_URL`, else from the git
  remote `origin` when that is an https address. Only then does the book show a
  repository button and launch buttons (Colab, Binder); a checkout with no public remote
  gets neither, rather than links to a repository that may not exist.
- **The runnable book**, `fractalnet-book.zip` (linked from the page "Run it yourself"):
  the two packages, the trained networks of chapters 6 and 7, the chapters with their
  outputs cleared, the requirements and a short README, for a bare Jupyter, a Colab
  session or an offline classroom.
- **The notebooks a page offers for download** are the ones its build rendered: after
  the real run, the executed chapters replace the committed ones (run under the test
  flag) in the site.
- **The student edition**: nbgrader's student notebooks (`tools/student_edition.py`),
  generated before the build and served in `_student/` with their zip; each chapter page
  links its notebook and its student notebook under its title.
- **The whole book as a PDF**, `fractalnet-book.pdf` at the site's root: every page of
  the table of contents printed by headless Chromium (the book's print styles hide the
  on-screen controls) and joined in order. Skipped, with a note, where Chromium or
  Playwright is missing.

The strict build renders the committed outputs (`execute_notebooks: off`) with `-W -n
--keep-going`: any Sphinx warning, missing reference, missing figure or stderr output
fails it.
"""

import argparse
import functools
import http.server
import io
import os
import pathlib
import shutil
import subprocess
import sys
import threading

import nbformat
import yaml

import handout
import student_edition

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNNABLE = ROOT / "_build" / "runnable" / "fractalnet-book.zip"
RUNNABLE_README = """# FractalNet, step by step: the runnable book

    pip install .      # the fractalnet and fractalviz packages and what they need
    pip install -r requirements.txt && jupyter lab book   # then open a chapter

results/ holds the trained networks that chapters 6 and 7 load instead of training them.
"""


def repository_url():
    """The book's public repository: $FRACTALNET_REPOSITORY_URL, or an https git remote;
    else None."""
    url = os.environ.get("FRACTALNET_REPOSITORY_URL", "").strip()
    if not url:
        remote = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        url = remote.stdout.strip() if remote.returncode == 0 else ""
    url = url.removesuffix(".git")
    return url if url.startswith("https://") else None


def book_config(strict):
    """The book's configuration for this build (see the module docstring)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    if strict:
        config["execute"]["execute_notebooks"] = "off"
    # The written configuration lives in _build/: local extensions' folders become
    # absolute.
    local = config["sphinx"].get("local_extensions", {})
    config["sphinx"]["local_extensions"] = {
        name: str(ROOT / path) for name, path in local.items()
    }
    url = repository_url()
    html = config.setdefault("html", {})
    if url:
        config["repository"] = {"url": url, "branch": "main", "path_to_book": ""}
        html.update(use_repository_button=True, use_issues_button=False)
        config["launch_buttons"] = {
            "notebook_interface": "jupyterlab",
            "binderhub_url": "https://mybinder.org",
            "colab_url": "https://colab.research.google.com",
        }
    else:
        config.pop("repository", None)
        html.update(
            use_repository_button=False,
            use_issues_button=False,
            use_edit_page_button=False,
        )
        config["launch_buttons"] = {
            "binderhub_url": "",
            "colab_url": "",
            "jupyterhub_url": "",
        }
    return config


def write_runnable_book(path=RUNNABLE):
    """Writes the runnable book's zip: packages, results store, chapters without
    outputs, requirements, README."""
    notebooks = {}
    for chapter in sorted((ROOT / "book").glob("*.ipynb")):
        notebook = nbformat.read(chapter, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        notebooks[chapter.name] = nbformat.writes(notebook)
    return handout.write_handout(path, "fractalnet-book", notebooks, RUNNABLE_README)


def serve_executed_notebooks(site):
    """Puts the notebooks the build executed where the pages' download buttons point."""
    for executed in (site / "_build" / "jupyter_execute" / "book").glob("*.ipynb"):
        shutil.copyfile(
            executed, site / "_build" / "html" / "_sources" / "book" / executed.name
        )


def serve_student_edition(html):
    """Copies the student notebooks and their zip to `_student/`, where the chapter
    pages link them (book/_ext/notebook_downloads.py)."""
    served = html / "_student"
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(student_edition.STUDENT / "book", served)
    shutil.copy(student_edition.STUDENT / student_edition.ZIP_NAME, served)


def toc_pages():
    """The book's pages in reading order, as paths of the built site
    (`book/preface.html`, ...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [
        chapter["file"] for part in toc.get("parts", []) for chapter in part["chapters"]
    ]
    return [f"{name}.html" for name in files]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def write_pdf(
    html_dir, chromium=os.environ.get("FRACTALNET_CHROMIUM", "/usr/bin/chromium")
):
    """Prints every page of the book in reading order into
    `html_dir/fractalnet-book.pdf`."""
    try:
        from playwright.sync_api import sync_playwright
        from pypdf import PdfReader, PdfWriter
    except ImportError as error:
        print(f"note: no PDF of the book ({error.name} is not installed)")
        return None
    if not os.path.exists(chromium):
        print(
            f"note: no PDF of the book (no Chromium at {chromium}; install the Debian "
            "package chromium)"
        )
        return None
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html_dir))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    writer = PdfWriter()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = browser.new_page()
            for name in toc_pages():
                page.goto(
                    f"http://127.0.0.1:{server.server_address[1]}/{name}",
                    wait_until="networkidle",
                )
                page.wait_for_timeout(500)  # MathJax typesets after the page has loaded
                pdf = page.pdf(
                    format="A4",
                    print_background=True,
                    margin={
                        "top": "15mm",
                        "bottom": "15mm",
                        "left": "12mm",
                        "right": "12mm",
                    },
                )
                for pdf_page in PdfReader(io.BytesIO(pdf)).pages:
                    writer.add_page(pdf_page)
            browser.close()
    finally:
        server.shutdown()
    path = html_dir / "fractalnet-book.pdf"
    with open(path, "wb") as out:
        writer.write(out)
    print(f"wrote {path.relative_to(ROOT)} ({len(writer.pages)} pages)")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--strict",
        action="store_true",
        help="render the committed outputs; warnings fail",
    )
    args = parser.parse_args(argv)
    # the build writes site/_build/html
    site = ROOT / "_build" / "strict" if args.strict else ROOT
    config_dir = ROOT / "_build" / ("config-strict" if args.strict else "config")
    if args.strict:
        # no stale pages from an earlier table of contents
        shutil.rmtree(site, ignore_errors=True)
    config_dir.mkdir(parents=True, exist_ok=True)
    config_path = config_dir / "_config.yml"
    config_path.write_text(
        yaml.safe_dump(book_config(args.strict), sort_keys=False), encoding="utf-8"
    )
    write_runnable_book()
    student_edition.student_edition()  # each chapter page links its student notebook
    command = [
        str(pathlib.Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(ROOT),
        "--config",
        str(config_path),
        "--all",
    ]
    if args.strict:
        command += ["--path-output", str(site), "-W", "-n", "--keep-going"]
    status = subprocess.call(command, cwd=ROOT)
    if status == 0 and not args.strict:
        serve_executed_notebooks(site)
    if status == 0:
        serve_student_edition(site / "_build" / "html")
    if status == 0:
        write_pdf(site / "_build" / "html")
    return status


if __name__ == "__main__":
    sys.exit(main())
