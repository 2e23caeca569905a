"""Training-step cost of FractalNet's joins and drop-path, against a plain chain of the same convs.

Two networks with exactly the same conv layers (the same `ConvBlock`s, hence the same weights
shapes and FLOPs), trained on the same batches:

- **fractal**: a `FractalNet` with drop-path on (paper rates: local 0.15, global 0.5), so every
  step draws masks and every join averages its surviving inputs;
- **chain**: those convs applied one after the other, with the same pooling and head, no join
  and no drop-path. Where a fractal conv reads its block's input (the first conv of each column,
  `c_in` channels), the chain feeds it the first `c_in` channels of the previous conv's output,
  so that every conv has the shape it has in the fractal (a slice, no arithmetic).

Train steps of the two are timed interleaved (warm-up steps excluded) and the medians compared;
the joins and drop-path should cost little next to the convs (goal: ratio <= 1.10). The fractal
model's inference throughput is measured too.

    .venv/bin/python benchmarks/bench_train_step.py            # 3 stages of C = 3, 32/64/128, batch 64
    .venv/bin/python benchmarks/bench_train_step.py --steps 30 --columns 3 3 3 --filters 32 64 128

Not a test: timings depend on the machine; the script prints them.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fractalnet  # noqa: E402  (imports Keras quietly)
import keras  # noqa: E402
import numpy as np  # noqa: E402
from fractalnet import FractalNet  # noqa: E402


class PlainChain(keras.Model):
    """`model`'s own convs (shared layers) applied one after the other, with its pools and head."""

    def __init__(self, model):
        super().__init__(name="plain_chain")
        self.fractal = model

    def call(self, inputs, training=None):
        model, x = self.fractal, inputs
        for block, pool in zip(model.blocks, model.pools):
            c_in = x.shape[-1]
            for k in range(block.columns):
                for i, layer in enumerate(block.column_layers(k)):
                    if i == 0 and k > 0:  # a column's first conv reads the block's c_in channels
                        x = x[..., :c_in]
                    x = layer(x, training=training)
            x = pool(x)
        return model.classifier(model.global_pool(x))


def conv_flops(model):
    """Multiply-adds of the convs of one forward pass of one image."""
    total, shape = 0, model.image_shape
    for block, pool in zip(model.blocks, model.pools):
        h, w, c_in = shape
        for k in range(block.columns):
            for i in range(2 ** k):
                total += h * w * 9 * (c_in if i == 0 else block.filters) * block.filters
        shape = (h // 2, w // 2, block.filters)
    return total


def compile_(model):
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="+", default=[3, 3, 3])
    parser.add_argument("--filters", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    fractal = compile_(FractalNet(num_classes=10, columns=args.columns, filters=args.filters,
                                  input_shape=(args.size, args.size, 3), drop_path_rate=0.15, global_ratio=0.5))
    chain = compile_(PlainChain(fractal))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, args.size, args.size, 3)).astype("float32")
    y = rng.integers(0, 10, size=args.batch)

    for _ in range(args.warmup):
        fractal.train_on_batch(x, y)
        chain.train_on_batch(x, y)
    times = {"fractal": [], "chain": []}
    for _ in range(args.steps):
        for name, model in (("fractal", fractal), ("chain", chain)):
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}

    eval_batch = 256
    xe = rng.normal(size=(eval_batch, args.size, args.size, 3)).astype("float32")
    fractal.predict_on_batch(xe)
    eval_times = []
    for _ in range(max(5, args.steps // 2)):
        start = time.perf_counter()
        fractal.predict_on_batch(xe)
        eval_times.append(time.perf_counter() - start)

    print(f"backend {keras.backend.backend()}, columns {args.columns}, filters {args.filters}, "
          f"batch {args.batch}, {args.size}x{args.size}x3, {fractal.num_convs} convs, "
          f"{fractal.count_params():,d} params, {conv_flops(fractal) / 1e6:.1f} M conv MACs per image")
    print(f"train step, median of {args.steps}: fractal + drop-path {median['fractal'] * 1e3:.1f} ms, "
          f"plain chain {median['chain'] * 1e3:.1f} ms")
    print(f"ratio fractal / chain: {median['fractal'] / median['chain']:.3f}  (goal <= 1.10)")
    print(f"fractal inference throughput: {eval_batch / statistics.median(eval_times):.0f} images/s "
          f"(batch {eval_batch})")


if __name__ == "__main__":
    main()
