"""Training epoch time with chapter 6's input pipeline, `make_dataset` (NumPy, a
`keras.utils.PyDataset`), against the `tf.data` pipeline it replaced.

Both pipelines serve the same training batches: 10,000 Fashion-MNIST images, batch 100,
shuffled, with the paper's augmentation (flips and shifts of up to 4 pixels). Each
trains its own small FractalNet (`paper_fractal_net([1, 2, 3], [16, 32, 64])`) on the
TensorFlow backend; a first epoch compiles and is not timed. Then the two take turns,
one timed epoch each per round, `--rounds` times, so both see the same machine; the
script prints every epoch time, the median and the best of each and the ratio new/old.
It also times one pass over the batches alone, without a model (the pipeline's own
cost, what bounds a fast accelerator).

    .venv/bin/python benchmarks/bench_data_pipeline.py --rounds 3

Not a test: timings depend on the machine; the script prints them.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from fractalnet.data import load_fashion_mnist, make_dataset  # noqa: E402
from fractalnet.training import paper_fractal_net  # noqa: E402


def tf_data_pipeline(x, y, batch_size=100, seed=0):
    """The replaced pipeline (fractalnet/data.py before issue 22), shuffle=True and
    augment=True: a `tf.data` shuffle, batch, cast, Keras' `RandomFlip` and
    `RandomTranslation` layers (nearest pixels, zeros in) mapped on the batches,
    prefetch."""
    import tensorflow as tf

    height, width = x.shape[1:3]
    layers = keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomTranslation(
                4 / height,
                4 / width,
                fill_mode="constant",
                interpolation="nearest",
                seed=seed + 1,
            ),
        ]
    )
    ds = tf.data.Dataset.from_tensor_slices((x, y.astype("int32")))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(
        lambda images, labels: (tf.cast(images, "float32"), labels)
    )
    ds = ds.map(lambda images, labels: (layers(images, training=True), labels))
    return ds.prefetch(tf.data.AUTOTUNE)


class EpochClock(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=10_000)
    args = parser.parse_args()
    if keras.backend.backend() != "tensorflow":
        sys.exit("The tf.data pipeline needs the TensorFlow backend.")
    (x_train, y_train), _ = load_fashion_mnist()
    x, y = x_train[: args.images], y_train[: args.images]
    pipelines = {
        "tf.data (old)": tf_data_pipeline(x, y),
        "make_dataset (new)": make_dataset(x, y, 100, shuffle=True, augment=True),
    }

    # the pipelines alone: one pass over the batches, the second of each
    for name, ds in pipelines.items():
        for _ in range(2):
            start = time.perf_counter()
            if hasattr(ds, "set_epoch"):
                batches = [ds[i] for i in range(len(ds))]
            else:
                batches = [(images.numpy(), labels.numpy()) for images, labels in ds]
            seconds = time.perf_counter() - start
        print(f"{name:20s} batches alone: {seconds * 1000:7.1f} ms an epoch")
        del batches

    models, times = {}, {name: [] for name in pipelines}
    for name, ds in pipelines.items():
        keras.utils.set_random_seed(0)
        models[name] = paper_fractal_net(
            [1, 2, 3], [16, 32, 64], epochs=1, steps_per_epoch=len(x) // 100
        )
        models[name].fit(ds, epochs=1, verbose=0, shuffle=False)  # compiles
    for round_ in range(args.rounds):
        for name, ds in pipelines.items():
            clock = EpochClock()
            models[name].fit(ds, epochs=1, verbose=0, shuffle=False, callbacks=[clock])
            times[name].append(clock.seconds)
            print(f"round {round_ + 1}: {name:20s} {clock.seconds:6.1f} s an epoch")
    for name, seconds in times.items():
        print(
            f"{name:20s} median {statistics.median(seconds):6.1f} s, best "
            f"{min(seconds):6.1f} s ({[round(s, 1) for s in seconds]})"
        )
    old, new = (times[name] for name in pipelines)
    print(
        f"new / old: {statistics.median(new) / statistics.median(old):.3f} (medians), "
        f"{min(new) / min(old):.3f} (best), "
        f"{statistics.median(np.array(new) / np.array(old)):.3f} (median of the "
        "rounds' ratios)"
    )


if __name__ == "__main__":
    main()
