"""The classroom edition through nbgrader, as a course would use it.

nbgrader generates the student notebooks from the chapters; then, in a course directory,
its autograder grades two submissions of every chapter: the chapters themselves (the
reference solutions: full marks on every test cell) and the untouched student notebooks
(zero on every test cell, and every other cell still runs). Both autograder runs execute
every chapter under the test flag, side by side in two copies of the course directory.

Runs where $FRACTALNET_CLASSROOM is set (`make classroom`, part of `make test`); skipped
elsewhere, since it executes every chapter twice.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import student_edition  # noqa: E402

if not os.environ.get("FRACTALNET_CLASSROOM"):
    pytest.skip(
        "set FRACTALNET_CLASSROOM=1 to run the autograder (`make classroom` does)",
        allow_module_level=True,
    )

SUBMISSIONS = {"reference": "source", "untouched": "release"}
LABEL = re.compile(r"^:label: (\S+)$", re.M)
SECRET_BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course directory with every chapter generated, and the student edition's
    zip."""
    root = tmp_path_factory.mktemp("classroom")
    # chapters 6 and 7 read the results store in a folder above theirs
    (root / "results").symlink_to(student_edition.ROOT / "results")
    course = root / "course"
    zip_path = student_edition.student_edition(course=course, student=root / "student")
    return course, student_edition.chapters(), zip_path


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """Grades of both submissions: {submission: {chapter: [grade, ...]}}, and the
    autograded notebooks."""
    course, chapters, _ = course
    runs = {}
    for student, folder in SUBMISSIONS.items():
        own = tmp_path_factory.mktemp(student) / "course"
        shutil.copytree(course, own)
        (own.parent / "results").symlink_to(student_edition.ROOT / "results")
        for chapter in chapters:
            target = own / "submitted" / student / chapter.stem
            target.mkdir(parents=True)
            shutil.copy(own / folder / chapter.stem / chapter.name, target)
        command = [sys.executable, "-m", "nbgrader", "autograde", "--force"]
        command += [f"--student={student}", "--assignment=*"]
        path = os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])
        runs[student] = (
            own,
            subprocess.Popen(
                command,
                cwd=own,
                env={**os.environ, "PATH": path},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
    from nbgrader.api import Gradebook

    grades, notebooks = {}, {}
    for student, (own, process) in runs.items():
        log = process.communicate()[0]
        assert process.returncode == 0, log[-3000:]
        with Gradebook(f"sqlite:///{own / 'gradebook.db'}") as gradebook:
            grades[student] = {
                chapter.stem: [
                    (grade.name, grade.auto_score, grade.max_score, grade.cell_type)
                    for grade in gradebook.find_submission_notebook(
                        chapter.stem, chapter.stem, student
                    ).grades
                ]
                for chapter in chapters
            }
        notebooks[student] = {
            chapter.stem: json.loads(
                (own / "autograded" / student / chapter.stem / chapter.name).read_text()
            )
            for chapter in chapters
        }
    return grades, notebooks


def skipped_when_grading(cell):
    return student_edition.SKIP_WHEN_GRADING in cell["metadata"].get("tags", [])


def answer_or_test(cell):
    marks = cell["metadata"].get("nbgrader", {})
    return marks.get("solution", False) or marks.get("grade", False)


def test_the_reference_solutions_get_full_marks_on_every_test_cell(graded):
    grades, _ = graded
    tests = [
        (chapter, name, score, points)
        for chapter, rows in grades["reference"].items()
        for name, score, points, kind in rows
        if kind == "code"
    ]
    assert len(tests) >= 15
    assert [t for t in tests if t[2] != t[3]] == []


def test_the_autograder_skips_the_demonstrations_that_no_exercise_needs(graded):
    _, notebooks = graded
    for student in SUBMISSIONS:
        skipped = [
            (chapter, c["execution_count"], c["outputs"])
            for chapter, notebook in notebooks[student].items()
            for c in notebook["cells"]
            if c["cell_type"] == "code" and skipped_when_grading(c)
        ]
        assert len(skipped) >= 10
        assert [s for s in skipped if s[1] is not None or s[2]] == []


def test_untouched_student_notebooks_get_zero_and_run_to_their_end(graded):
    grades, notebooks = graded
    scores = [
        (chapter, name, score)
        for chapter, rows in grades["untouched"].items()
        for name, score, _, _ in rows
    ]
    assert [s for s in scores if s[2] != 0] == []
    for chapter, notebook in notebooks["untouched"].items():
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        graded = [c for c in code if not skipped_when_grading(c)]
        assert all(c["execution_count"] is not None for c in graded), chapter
        errors = [
            "".join(c["source"])[:60]
            for c in code
            if not answer_or_test(c)
            and any(o["output_type"] == "error" for o in c["outputs"])
        ]
        # only answer cells (NotImplementedError) and test cells may fail
        assert errors == [], f"{chapter}: other cells failed: {errors}"


def test_every_exercise_is_graded_by_the_autograder_or_by_hand(course):
    _, chapters, _ = course
    for chapter in chapters:
        notebook = json.loads(chapter.read_text(encoding="utf-8"))
        ids = {
            c["metadata"]["nbgrader"]["grade_id"]
            for c in notebook["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade")
        }
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown" and "{exercise}" in "".join(
                cell["source"]
            ):
                for label in LABEL.findall("".join(cell["source"])):
                    graded_by = {f"{label}-test", f"{label}-answer"} & ids
                    assert graded_by, f"{chapter.name}: exercise {label} is not graded"


def test_no_solution_reaches_the_student_notebooks(course):
    course, chapters, zip_path = course
    for chapter in chapters:
        source = json.loads(chapter.read_text(encoding="utf-8"))
        released = (course / "release" / chapter.stem / chapter.name).read_text()
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "{solution}"):
            assert marker not in released, f"{chapter.name}: {marker}"
        # every line of a reference solution, hidden test or instructor-only cell that
        # the rest of the chapter does not also show
        secret, public = [], []  # lines; texts
        for cell in source["cells"]:
            text = "".join(cell["source"])
            if student_edition.INSTRUCTOR_ONLY in cell["metadata"].get("tags", []):
                secret += text.splitlines()
                continue
            hidden = SECRET_BLOCK.findall(text)
            for _, block in hidden:
                secret += block.splitlines()
            public.append(SECRET_BLOCK.sub("", text))
        public = "\n".join(public)
        leaked = [
            line.strip()
            for line in secret
            if len(line.strip()) > 30
            and line.strip() not in public
            and json.dumps(line.strip())[1:-1] in released
        ]
        assert leaked == [], f"{chapter.name}: {leaked[:3]}"
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        for chapter in chapters:
            notebook = json.loads(
                archive.read(f"fractalnet-student/book/{chapter.name}")
            )
            assert all(
                not c.get("outputs")
                for c in notebook["cells"]
                if c["cell_type"] == "code"
            )
    assert "fractalnet-student/fractalnet/__init__.py" in names
    assert "fractalnet-student/pyproject.toml" in names
    # the trained networks that chapters 6 and 7 load, so that they need not train
    stored = sorted(student_edition.ROOT.glob("results/*/model.keras"))
    assert len(stored) >= 14
    for model in stored:
        path = model.relative_to(student_edition.ROOT).as_posix()
        assert f"fractalnet-student/{path}" in names
