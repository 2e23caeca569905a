"""Importing `fractalnet` leaves the process alone: no environment variable set, no
stream muted, no file descriptor left behind. (The chapters keep TensorFlow's notices
off the page themselves.)"""

import json
import subprocess
import sys

# Keras (with its backend) is imported first: what TensorFlow's own import does to the
# process (it sets a few environment variables) is not the package's doing.
SNAPSHOT = """
import json, os, sys
import keras
def snapshot():
    return {"environ": dict(os.environ), "stderr": list(os.fstat(2))[:3],
            "fds": sorted(os.listdir("/proc/self/fd"))}
before = snapshot()
import fractalnet
after = snapshot()
sys.stdout.write(json.dumps({"before": before, "after": after}))
"""


def run_python(code):
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def test_importing_fractalnet_sets_no_environment_variable_and_opens_no_file():
    state = json.loads(run_python(SNAPSHOT).stdout)
    before, after = state["before"], state["after"]
    changed = {
        k: v for k, v in after["environ"].items() if before["environ"].get(k) != v
    }
    assert changed == {}, f"importing fractalnet changed the environment: {changed}"
    assert after["stderr"] == before["stderr"], (
        "file descriptor 2 points elsewhere after the import"
    )
    # listdir itself holds one descriptor open while it reads, the same one both times.
    assert after["fds"] == before["fds"]


def test_what_keras_prints_on_import_still_reaches_stderr_through_fractalnet():
    # If importing Keras writes to stderr here (TensorFlow's start-up notices),
    # importing fractalnet must too: the package does not mute file descriptor 2.
    keras_alone = run_python("import keras").stderr
    through_fractalnet = run_python("import fractalnet").stderr
    assert bool(through_fractalnet.strip()) == bool(keras_alone.strip()), (
        through_fractalnet
    )
