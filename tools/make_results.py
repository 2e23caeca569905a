"""(Re)train every registered experiment with its full settings and rewrite the results
store.

The experiments are listed in `fractalnet.experiments.EXPERIMENTS` (chapter 6). Each one
is run by `fractalnet.runner.run_experiment`, the pipeline the chapters and the training
command use, and writes `results/<name>/`, keeping its checkpoints in
`results/<name>/training/` (ignored by git): an interrupted run, started again with
`--resume`, goes on from its last finished epoch; without `--resume` every experiment
starts from scratch.

    python tools/make_results.py           # retrain every experiment from scratch
    python tools/make_results.py --resume  # go on with an interrupted run
    python tools/make_results.py --stale   # only those whose settings or code changed
    python tools/make_results.py NAME ...  # only these
    python tools/make_results.py --list    # what is registered, and is it up to date
"""

import argparse
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="experiments to train (default: all)")
    parser.add_argument(
        "--stale",
        action="store_true",
        help="skip experiments whose stored result is current",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the experiments and exit"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help=(
            "continue an interrupted run from its checkpoints instead of starting over"
        ),
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))
    from fractalnet.experiments import EXPERIMENTS
    from fractalnet.results import load_result
    from fractalnet.runner import run_experiment

    unknown = sorted(set(args.names) - set(EXPERIMENTS))
    if unknown:
        parser.error(
            f"unknown experiment(s) {unknown}; registered: "
            f"{', '.join(EXPERIMENTS) or 'none'}"
        )
    names = args.names or list(EXPERIMENTS)
    if args.list:
        for name in names:
            current = load_result(RESULTS / name, EXPERIMENTS[name]) is not None
            print(
                f"{name:30s} {'up to date' if current else 'to train'}  "
                f"{EXPERIMENTS[name]}"
            )
        return 0
    start = time.perf_counter()
    for i, name in enumerate(names, 1):
        directory = RESULTS / name
        if args.stale and load_result(directory, EXPERIMENTS[name]) is not None:
            print(f"[{i}/{len(names)}] {name}: up to date, skipped", flush=True)
            continue
        print(f"[{i}/{len(names)}] {name}: training {EXPERIMENTS[name]}", flush=True)
        t = time.perf_counter()
        result = run_experiment(
            EXPERIMENTS[name],
            directory,
            resume=args.resume,
            overwrite=not args.resume,
            verbose=2,
        )
        print(
            f"[{i}/{len(names)}] {name}: test accuracy "
            f"{100 * result['scores']['test_accuracy']:.2f}% in "
            f"{(time.perf_counter() - t) / 60:.1f} min",
            flush=True,
        )
    print(
        f"done: {len(names)} experiment(s) in {(time.perf_counter() - start) / 60:.1f} "
        "min",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
