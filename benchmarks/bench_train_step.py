"""Training-step cost of FractalNet: skipping dropped columns, masking them, and a plain
chain.

Three models with exactly the same conv layers (the same `ConvBlock`s, hence the same
weight shapes and multiply-adds), trained on the same batches, their steps interleaved:

- **skip**: a `FractalNet` with the paper's drop-path (local 0.15, global 0.5, one draw
  per mini-batch) that computes only what a draw keeps (`skip_dropped=True`, the
  default): a global step runs one column, forward and backward;
- **dense**: the same network, same weights and same drop-path seed (so the same draws,
  step for step), computing every column and masking the joins (`skip_dropped=False`),
  as every other FractalNet implementation does;
- **chain**: those convs applied one after the other, with the same pooling and head, no
  join and no drop-path. Where a fractal conv reads its block's input (the first conv of
  each column, `c_in` channels), the chain feeds it the first `c_in` channels of the
  previous conv's output, so that every conv has the shape it has in the fractal (a
  slice, no arithmetic).

It prints per-step medians (and means: an epoch lasts the sum of its steps), the cost of
the joins and drop-path per conv multiply-add (dense / chain; goal <= 1.10), the peak
memory (RSS) of a process training only skip or only dense, and on its last line the
ratio of the epoch times, skip / dense (goal <= 0.75; with blocks of C = 3 a global step
needs 1/3 of the convs on average, so a mixed epoch about 2/3).

    # 3 stages of C = 3, 32/64/128, batch 64
    .venv/bin/python benchmarks/bench_train_step.py
    .venv/bin/python benchmarks/bench_train_step.py --steps 60 \
        --columns 3 3 3 --filters 32 64 128
    KERAS_BACKEND=jax PYTHONPATH=. .venv-backends/bin/python \
        benchmarks/bench_train_step.py

Not a test: timings depend on the machine; the script prints them.
"""

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from fractalnet import FractalNet  # noqa: E402
from fractalnet.cost import conv_macs  # noqa: E402


class PlainChain(keras.Model):
    """`model`'s own convs (shared layers) applied one after the other, with its pools
    and head."""

    def __init__(self, model):
        super().__init__(name="plain_chain")
        self.fractal = model

    def call(self, inputs, training=None):
        model, x = self.fractal, inputs
        for block, pool in zip(model.blocks, model.pools):
            c_in = x.shape[-1]
            for k in range(block.columns):
                for i, layer in enumerate(block.column_layers(k)):
                    if (
                        i == 0 and k > 0
                    ):  # a column's first conv reads the block's c_in channels
                        x = x[..., :c_in]
                    x = layer(x, training=training)
            x = pool(x)
        return model.classifier(model.global_pool(x))


def compile_(model):
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def fractal(args, skip_dropped):
    keras.utils.set_random_seed(0)
    return compile_(
        FractalNet(
            num_classes=10,
            columns=args.columns,
            filters=args.filters,
            input_shape=(args.size, args.size, 3),
            local_drop_rate=0.15,
            global_ratio=0.5,
            seed=0,
            skip_dropped=skip_dropped,
        )
    )


def batch(args):
    rng = np.random.default_rng(0)
    return (
        rng.normal(size=(args.batch, args.size, args.size, 3)).astype("float32"),
        rng.integers(0, 10, size=args.batch),
    )


def peak_rss_mb(args, which):
    """Peak resident memory (MB) of a fresh process that trains only the `which`
    model."""
    command = [
        sys.executable,
        __file__,
        "--only",
        which,
        "--steps",
        str(args.steps // 2),
        "--columns",
        *map(str, args.columns),
        "--filters",
        *map(str, args.filters),
        "--batch",
        str(args.batch),
        "--size",
        str(args.size),
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(run.stdout.strip().splitlines()[-1])


def train_only(args):
    model = fractal(args, skip_dropped=args.only == "skip")
    x, y = batch(args)
    for _ in range(args.warmup + args.steps):
        model.train_on_batch(x, y)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: kilobytes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="+", default=[3, 3, 3])
    parser.add_argument("--filters", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=4)
    # for peak_rss_mb
    parser.add_argument("--only", choices=["skip", "dense"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only:
        return train_only(args)

    models = {"skip": fractal(args, True), "dense": fractal(args, False)}
    models["chain"] = compile_(PlainChain(fractal(args, False)))
    x, y = batch(args)
    # Warm-up compiles every branch: a step per branch is not guaranteed in a few steps,
    # so the first timed steps of skip may still include a compilation; the median is
    # unaffected.
    for _ in range(args.warmup):
        for model in models.values():
            model.train_on_batch(x, y)
    times = {name: [] for name in models}
    for _ in range(args.steps):
        for name, model in models.items():
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    # An epoch lasts the sum of its steps; the slowest tenth is dropped from each, so
    # that a late compilation or a pause of the machine does not decide the ratio.
    trimmed = {
        name: statistics.mean(sorted(t)[: max(1, len(t) * 9 // 10)])
        for name, t in times.items()
    }
    rss = {which: peak_rss_mb(args, which) for which in ("skip", "dense")}

    net = models["dense"]
    print(
        f"backend {keras.backend.backend()}, columns {args.columns}, filters "
        f"{args.filters}, batch {args.batch}, {args.size}x{args.size}x3, "
        f"{net.num_convs} convs, {net.count_params():,d} params, "
        f"{conv_macs(net) / 1e6:.1f} M conv MACs per image"
    )
    for name, label in (
        ("skip", "skip dropped columns"),
        ("dense", "every column, masked"),
        ("chain", "plain chain, same convs"),
    ):
        print(
            f"{label:26s} median {median[name] * 1e3:7.1f} ms  mean "
            f"{trimmed[name] * 1e3:7.1f} ms per step"
        )
    print(
        "cost per conv multiply-add, dense fractal / chain (medians): "
        f"{median['dense'] / median['chain']:.3f}  (goal <= 1.10)"
    )
    print(
        f"peak RSS of a training process: skip {rss['skip']:.0f} MB, dense "
        f"{rss['dense']:.0f} MB"
    )
    print(f"epoch ratio skip/dense: {trimmed['skip'] / trimmed['dense']:.2f}")


if __name__ == "__main__":
    main()
