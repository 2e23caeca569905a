"""The launcher of the training command: `fractalnet-train`, or `python -m
fractalnet_train`.

Importing TensorFlow prints start-up notices on stderr (absl's and oneDNN's) that no
setting silences, before a command could say anything. This launcher owns its process,
so it may set it up as the package itself must not: it keeps TensorFlow's C++ logs to
errors, and mutes file descriptor 2 while the package, and TensorFlow with it, is
imported. The command's own output then comes first. It runs `fractalnet.command`, the
command of the appendix "Training beyond one machine"; `python -m fractalnet.command`
is the same command without the quiet start.
"""

import os
import sys


def main(argv=None):
    """Imports the command quietly and runs it; returns its exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                from fractalnet import command
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
    return command.main(argv)


if __name__ == "__main__":
    sys.exit(main())
