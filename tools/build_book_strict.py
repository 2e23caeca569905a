"""Build the book strictly (`-W -n --keep-going`) from the chapters' committed outputs.

The test suite has already re-run every chapter under nbval, so this build does not execute
them again: it renders what is committed (executed under the test flag) with the book's own
configuration, except `execute_notebooks: off`, into `_build/strict/`. Any Sphinx warning,
missing reference, missing figure or stderr output fails it.
"""

import pathlib
import shutil
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "_build" / "strict"


def main():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    shutil.rmtree(OUTPUT, ignore_errors=True)  # no stale pages from an earlier table of contents
    OUTPUT.mkdir(parents=True)
    config_path = OUTPUT / "_config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    command = [
        str(pathlib.Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
        "--config", str(config_path), "--path-output", str(OUTPUT),
        "--all", "-W", "-n", "--keep-going",
    ]
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
