"""Sphinx extension: each chapter page offers its two notebooks, as plain links.

Under a chapter's title, a line links the chapter's notebook (as the book's build
executed it: what the theme's download button serves) and its student edition (from
nbgrader, `tools/student_edition.py`), and the zip of every student notebook. The files
are served from the built site itself (`tools/build_book.py` copies them there), so the
links work offline and show in print. A page gets the line when its notebook has a
student edition in `_build/student/book/`.
"""

import pathlib

from docutils import nodes

STUDENT = pathlib.Path(__file__).resolve().parents[2] / "_build" / "student" / "book"
LINE = (
    '<p class="fractalnet-notebooks">Notebooks: '
    '<a href="../_sources/book/{name}" download>this chapter (.ipynb)</a> · '
    '<a href="../_student/{name}" download>its student edition (.ipynb)</a>, '
    "exercises without their solutions · "
    '<a href="../_student/fractalnet-student.zip" download>every student notebook '
    "(.zip)</a></p>"
)


def add_notebook_links(app, doctree, docname):
    name = pathlib.PurePosixPath(docname).name + ".ipynb"
    if not docname.startswith("book/") or not (STUDENT / name).is_file():
        return
    title = next(iter(doctree.findall(nodes.title)), None)
    if title is not None:
        line = nodes.raw("", LINE.format(name=name), format="html")
        title.parent.insert(title.parent.index(title) + 1, line)


def setup(app):
    app.connect("doctree-resolved", add_notebook_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
