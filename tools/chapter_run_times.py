"""Chapter run times: in full, under the test flag, and as the autograder runs them.

    python tools/chapter_run_times.py                  # `make run-times`: every chapter
    python tools/chapter_run_times.py book/03_*.ipynb  # some chapters, the rest kept

Each chapter runs in a fresh kernel, one run after the other, three ways:

- **full**: without the test flag, as a reader and `make book` run it;
- **test flag**: under `FRACTALNET_QUICK=1`, as `make test` runs it;
- **graded**: under the test flag as the course's autograder runs a submission: the
  instructor-only cells removed and the cells tagged `skip-when-grading` skipped
  (`tools/student_edition.py`).

The committed notebooks are not written to. The figures, with the machine and the date,
go to `book/run_times.json`, which the instructor's guide shows. Timings depend on the
machine and on what else it runs: measure on an idle one.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import time

import nbformat

import execute_notebooks
import student_edition

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN_TIMES = ROOT / "book" / "run_times.json"
MODES = ("full", "quick", "graded")


def processor():
    """The CPU's model name (Linux), else what `platform` knows."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def seconds_to_run(path, mode):
    """Wall-clock seconds of one run of the chapter at `path` in `mode` (see MODES)."""
    notebook = nbformat.read(path, as_version=4)
    skip_tag = "skip-execution"  # nbclient's default: no chapter cell carries it
    if mode == "graded":
        notebook = nbformat.from_dict(student_edition.instructor_source(notebook))
        skip_tag = student_edition.SKIP_WHEN_GRADING
    if mode == "full":
        os.environ.pop("FRACTALNET_QUICK", None)
    else:
        os.environ["FRACTALNET_QUICK"] = "1"
    client = execute_notebooks.chapter_client(
        notebook, path, timeout=7200, skip_cells_with_tag=skip_tag
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", type=pathlib.Path)
    args = parser.parse_args(argv)
    chapters = [p.resolve() for p in args.chapters] or student_edition.chapters()
    record = (
        json.loads(RUN_TIMES.read_text(encoding="utf-8"))
        if RUN_TIMES.exists()
        else {"chapters": {}}
    )
    record["machine"] = f"{os.cpu_count()} × {processor()}"
    record["measured"] = datetime.date.today().isoformat()
    for path in chapters:
        times = {mode: round(seconds_to_run(path, mode), 1) for mode in MODES}
        record["chapters"][path.stem] = times
        print(path.stem, times, flush=True)
        RUN_TIMES.write_text(
            json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
