"""Redraw time of the ipywidgets drop-path explorer (`fractalviz.explorer_widget`), C =
1..6.

One redraw is what "Resample" costs in a live kernel, on the Python side: a
`sample_drop_path` draw, its summary, a `draw_fractal` figure and its PNG. The browser's
own rendering of the image is not included. For each number of columns the script builds
the widget once, warms up, then times `--repeats` redraws and prints the median and the
slowest.

    # B = 1, 15 redraws each
    .venv/bin/python benchmarks/bench_explorer_redraw.py
    .venv/bin/python benchmarks/bench_explorer_redraw.py --blocks 3 --repeats 5

Not a test: timings depend on the machine; the script prints them.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from fractalviz.explorer import (  # noqa: E402
    MAX_EXPLORER_BLOCKS,
    MAX_EXPLORER_COLUMNS,
    explorer_widget,
)


def time_redraws(columns, blocks, repeats, warmup=2):
    """Returns the wall times, in seconds, of `repeats` redraws of the widget at
    `columns`."""
    box = explorer_widget(columns=columns, blocks=blocks, seed=0)
    for _ in range(warmup):
        box.redraw()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        box.redraw()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--blocks", type=int, default=1, choices=range(1, MAX_EXPLORER_BLOCKS + 1)
    )
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1. Received: {args.repeats}")
    print(f"explorer_widget redraw, B = {args.blocks}, {args.repeats} redraws per size")
    print(f"{'C':>2} {'median ms':>10} {'max ms':>8}")
    for columns in range(1, MAX_EXPLORER_COLUMNS + 1):
        times = time_redraws(columns, args.blocks, args.repeats)
        print(
            f"{columns:>2} {1000 * statistics.median(times):>10.1f} "
            f"{1000 * max(times):>8.1f}"
        )


if __name__ == "__main__":
    main()
