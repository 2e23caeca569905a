"""Execute chapters in place, in a fresh kernel each, the way they are committed.

Chapters are committed executed under the test flag (``FRACTALNET_QUICK=1``), so that
nbval re-runs them under the same flag and compares every deterministic output. They are
executed with TensorFlow's default oneDNN settings (any override in the environment is
dropped), so that `make test`, which runs them with oneDNN off, always takes another
floating-point path than the committed run. The rendered book (`make book`) executes
them again without the flag.

    python tools/execute_notebooks.py                      # every chapter
    python tools/execute_notebooks.py book/02_*.ipynb      # some chapters
"""

import os
import pathlib
import sys
import time

import nbclient
import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Environment variables that change TensorFlow's floating point on a CPU.
ONEDNN_SETTINGS = ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")


def chapter_client(notebook, path, **options):
    """An nbclient client that runs `notebook` as the chapter at `path` runs: in the
    `python3` kernel, from the chapter's folder. `options` go to `NotebookClient`."""
    return nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        **options,
    )


def execute(path):
    notebook = nbformat.read(path, as_version=4)
    chapter_client(
        notebook, path, timeout=1800, record_timing=False, store_widget_state=True
    ).execute()
    nbformat.write(notebook, path)


def main(paths):
    os.environ["FRACTALNET_QUICK"] = "1"
    for setting in ONEDNN_SETTINGS:
        os.environ.pop(setting, None)
    notebooks = [pathlib.Path(p).resolve() for p in paths] or sorted(
        (ROOT / "book").glob("*.ipynb")
    )
    for path in notebooks:
        start = time.perf_counter()
        execute(path)
        print(
            f"executed {path.relative_to(ROOT)} in {time.perf_counter() - start:.1f} s"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
