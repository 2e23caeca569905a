"""Images per second of `fit` for a FractalNet on TensorFlow, JAX and PyTorch, and the
settings that help.

The same network (3 stages of C = 3, 32/64/128 channels, 32x32x3 images, batch 64, the
paper's drop-path, SGD) is trained by `fit` in a fresh process per setting:

- XLA (`jit_compile`) on or off: TensorFlow and PyTorch (`torch.compile`) can do both;
  JAX always compiles (off would run op by op, far slower, and is not measured);
- `steps_per_execution` 1 or 8 (several steps per call of the compiled function);
- input: NumPy arrays (Keras' own adapter) or, on TensorFlow, a `tf.data` pipeline with
  `prefetch`, which overlaps loading the next batch with the current step.

Each process times its second epoch (the first compiles). Settings run round-robin,
`--rounds` times, so every setting sees the same machine; the best round is reported, as
the least disturbed by the machine's other work. A setting that is not done within
`--timeout` seconds (compiling included) is reported as such. Backends whose packages
are missing fail with their import error:

    .venv/bin/python benchmarks/bench_fit_backends.py \
        --python-jax-torch .venv-backends/bin/python

Not a test: timings depend on the machine; the script prints them.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, sys, time
import numpy as np
import keras
from fractalnet import FractalNet

setting = json.loads(sys.argv[1])
keras.utils.set_random_seed(0)
model = FractalNet(
    num_classes=10, columns=(3, 3, 3), filters=(32, 64, 128), input_shape=(32, 32, 3),
    seed=0,
)
model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              jit_compile=setting["jit"], steps_per_execution=setting["spe"])
rng = np.random.default_rng(0)
n = setting["images"]
x = rng.normal(size=(n, 32, 32, 3)).astype("float32")
y = rng.integers(0, 10, size=n)
if setting["input"] == "tf.data":
    import tensorflow as tf
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)
    data = data.prefetch(tf.data.AUTOTUNE)
    fit = lambda: model.fit(data, epochs=1, verbose=0)
else:
    fit = lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
fit()
start = time.perf_counter()
fit()
print(json.dumps({"images_per_s": n / (time.perf_counter() - start)}))
"""


def settings(backends, xla=True):
    for backend in backends:
        jits = [True] if backend == "jax" else [False, True] if xla else [False]
        for jit, spe in itertools.product(jits, (1, 8)):
            yield {"backend": backend, "jit": jit, "spe": spe, "input": "numpy"}
        if backend == "tensorflow":
            yield {"backend": backend, "jit": False, "spe": 1, "input": "tf.data"}


def run(setting, python, images, timeout):
    env = dict(os.environ, KERAS_BACKEND=setting["backend"], PYTHONPATH=str(ROOT))
    try:
        job = subprocess.run(
            [python, "-c", WORKER, json.dumps({**setting, "images": images})],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, f"not done after {timeout} s (compiling and two epochs)"
    if job.returncode != 0:
        return None, job.stderr.strip().splitlines()[
            -1
        ] if job.stderr.strip() else "failed"
    return json.loads(job.stdout.strip().splitlines()[-1])["images_per_s"], None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python-jax-torch",
        default=sys.executable,
        help="the Python that has JAX and PyTorch (make test's .venv-backends)",
    )
    parser.add_argument(
        "--images", type=int, default=1280, help="images per timed epoch"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument(
        "--timeout", type=int, default=300, help="seconds allowed per setting and round"
    )
    parser.add_argument(
        "--no-xla", action="store_true", help="skip XLA on TensorFlow and PyTorch"
    )
    args = parser.parse_args(argv)
    python = {
        "tensorflow": sys.executable,
        "jax": args.python_jax_torch,
        "torch": args.python_jax_torch,
    }
    all_settings = list(settings(args.backends, xla=not args.no_xla))
    best, errors = {}, {}
    for _ in range(args.rounds):
        for setting in all_settings:
            key = json.dumps(setting)
            speed, error = run(
                setting, python[setting["backend"]], args.images, args.timeout
            )
            if speed is None:
                errors[key] = error
            else:
                best[key] = max(best.get(key, 0.0), speed)
    print(
        "fit, FractalNet 3 stages of C = 3 (32/64/128), 32x32x3, batch 64, best of "
        f"{args.rounds} rounds"
    )
    for setting in all_settings:
        key = json.dumps(setting)
        label = (
            f"{setting['backend']:10s} jit_compile={str(setting['jit']):5s} "
            f"steps_per_execution={setting['spe']}  input={setting['input']:8s}"
        )
        print(
            f"{label}  {best[key]:7.1f} images/s"
            if key in best
            else f"{label}  failed: {errors[key]}"
        )


if __name__ == "__main__":
    main()
