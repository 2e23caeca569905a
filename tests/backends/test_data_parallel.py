"""Data parallelism on JAX: Keras' `DataParallel` over two host devices trains as one
device does.

Runs only with `KERAS_BACKEND=jax` (`make backends`). The devices are the CPU split in
two (`fractalnet.distribute.split_cpu`), in a fresh process: JAX fixes its device count
when it starts. Under `DataParallel` one program runs for the global batch, so drop-path
is drawn once per step
and batch normalization uses the statistics of the whole batch: with the paper's
drop-path on, two devices end within float32 rounding of one device (`SAME`; measured:
about 2e-7).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="keras.distribution.DataParallel is JAX's"
)

ROOT = Path(__file__).resolve().parent.parent.parent
SAME = 1e-5

SCRIPT = """
import json
import numpy as np
import keras
from fractalnet import FractalNet, distribute, runner

distribute.split_cpu(2)
rng = np.random.default_rng(0)
x, y = rng.integers(0, 256, (48, 8, 8, 1)).astype("float32"), rng.integers(0, 2, 48)
config = runner.experiment_config(
    block_columns=[1, 3],
    filters=[4, 4],
    epochs=1,
    batch_size=8,
    block_dropout=False,
    learning_rate=0.1,
)


def trained(replicas):
    keras.utils.set_random_seed(0)
    model = runner.build_classifier(config, (8, 8, 1), 2, 6, replicas)
    with replicas.scope():
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return np.concatenate([np.ravel(w) for w in model.get_weights()])


one, parallel = distribute.Replicas("none"), distribute.Replicas("jax-data-parallel")
with parallel.scope():
    net = FractalNet(
        num_classes=2, columns=[1, 3], filters=[4, 4], input_shape=(8, 8, 1), seed=0
    )
draws = distribute.replica_draws(net, parallel, steps=20)
try:
    runner.run_experiment(
        {
            "data": "unused.npz",
            "distribute": "jax-data-parallel",
            "drop_path_replicas": "independent",
        },
        "unused",
        replicas=parallel,
    )
    refused = ""
except ValueError as error:
    refused = str(error)
print(
    json.dumps(
        {
            "replicas": parallel.num_replicas,
            "gap": float(np.max(np.abs(trained(one) - trained(parallel)))),
            "draws": draws.tolist(),
            "refused": refused,
        }
    )
)
"""


def test_two_jax_devices_end_in_the_weights_of_one_with_the_papers_drop_path():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_BACKEND": "jax"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["replicas"] == 2
    assert measured["gap"] <= SAME, measured
    # one draw per step, for every replica
    assert all(a == b for a, b in measured["draws"])
    assert "one program for the global batch" in measured["refused"]
