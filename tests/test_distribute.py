"""Data-parallel training on two logical CPU devices and on two worker processes over
127.0.0.1.

Each test runs in its own Python process: the CPU is split into two logical devices
before TensorFlow starts, which must not happen to the process that runs the other
tests. The networks are tiny (8x8 images, 4 channels) and train for four steps, each an
epoch of one batch: the whole 48-image training split. Every run goes through
`fractalnet.runner.run_experiment` (the command's pipeline), with the default cosine
schedule, whose warm-up makes the first of the four steps one at rate 0. The pipeline
draws each epoch's order from the seed and the epoch's number alone, so that every run
sees the same batches; on two replicas each takes half of every batch, which changes
only the order of floating-point sums.

Weights are compared by their largest absolute difference. Two runs that compute the
same thing in another order (one device, or two replicas that all-reduce) end within
`SAME` of each other (float32 rounding; measured: about 3e-6 here, the
batch-normalization statistics the pipeline recomputes after each epoch included); two
runs that compute different things (each replica normalizing its own half batch, or
drawing its own drop-path) end more than `DIFFERENT` apart (measured: 0.013 and 0.12).
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAME, DIFFERENT = 1e-5, 1e-3
TIMEOUT = 420  # seconds for one process, on a loaded two-core machine

# Defined in every test process: the two devices, a tiny data set and a tiny run.
PREAMBLE = """
import json, pathlib, sys
import numpy as np
import keras
from fractalnet import FractalNet, distribute, runner

distribute.split_cpu(2)
root = pathlib.Path(sys.argv[1])
data = np.load(root / "tiny.npz")
TINY = {
    "data": str(root / "tiny.npz"),
    "block_columns": [1, 3],
    "filters": [4, 4],
    "epochs": 4,
    "batch_size": 48,
    "augment": False,
    "block_dropout": False,
    "learning_rate": 0.1,
    "validation_fraction": 0.25,
}

# One strategy per process: a second MirroredStrategy would reuse the first one's
# collective keys.
REPLICAS = {}


def replicas(distribute_name):
    if distribute_name not in REPLICAS:
        REPLICAS[distribute_name] = distribute.Replicas(distribute_name)
    return REPLICAS[distribute_name]


def trained_weights(folder, **settings):
    config = {**TINY, **settings}
    runner.run_experiment(
        config,
        root / folder,
        replicas=replicas(config.get("distribute", "none")),
        verbose=0,
    )
    # the run's model, loaded on one device
    model = keras.saving.load_model(root / folder / "model.keras")
    return np.concatenate([np.ravel(w) for w in model.get_weights()])


def gap(a, b):
    return float(np.max(np.abs(a - b)))


def tiny_net():
    return FractalNet(
        num_classes=2, columns=[1, 3], filters=[4, 4], input_shape=(8, 8, 1), seed=0
    )
"""


def write_tiny_data(folder):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (80, 8, 8, 1), dtype=np.uint8)
    labels = rng.integers(0, 2, 80)
    np.savez(
        folder / "tiny.npz",
        x_train=images[:64],
        y_train=labels[:64],
        x_test=images[64:],
        y_test=labels[64:],
    )


def run_in_new_process(body, folder):
    """Runs PREAMBLE + `body` in a fresh Python; returns the JSON its last line of
    output prints."""
    write_tiny_data(folder)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PREAMBLE + textwrap.dedent(body), str(folder)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        cwd=folder,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_one_and_two_devices_end_in_the_same_weights_when_batch_norm_is_synchronized(
    tmp_path,
):
    measured = run_in_new_process(
        """
        off = {"local_drop_rate": 0.0, "global_ratio": 0.0}
        one = trained_weights("one", **off, sync_batch_norm=True)
        two = trained_weights("two", **off, sync_batch_norm=True, distribute="mirrored")
        per_replica = trained_weights("per_replica", **off, distribute="mirrored")
        print(
            json.dumps(
                {"synchronized": gap(one, two), "per_replica": gap(one, per_replica)}
            )
        )
    """,
        tmp_path,
    )
    assert measured["synchronized"] <= SAME, measured
    # Each replica normalizing its own half of the batch is another computation: not the
    # same weights.
    assert measured["per_replica"] >= DIFFERENT, measured


def test_shared_drop_path_draws_one_subnetwork_for_the_global_batch_as_one_device_does(
    tmp_path,
):
    measured = run_in_new_process(
        """
        with replicas("mirrored").scope():
            net = tiny_net()
        draws = distribute.replica_draws(net, replicas("mirrored"), steps=100)
        alone = distribute.replica_draws(tiny_net(), replicas("none"), steps=100)
        one = trained_weights(
            "one", sync_batch_norm=True
        )  # the paper's drop-path, local and global
        two = trained_weights("two", sync_batch_norm=True, distribute="mirrored")
        print(
            json.dumps(
                {
                    "draws": draws.tolist(),
                    "alone": alone[:, 0].tolist(),
                    "gap": gap(one, two),
                }
            )
        )
    """,
        tmp_path,
    )
    draws = np.array(measured["draws"])
    assert draws.shape == (100, 2) and np.array_equal(draws[:, 0], draws[:, 1])
    # the sequence one device draws
    assert np.array_equal(draws[:, 0], measured["alone"])
    # local steps and every column's global steps
    assert {-1, 0, 1, 2} == set(draws[:, 0].tolist())
    assert measured["gap"] <= SAME, measured


def test_independent_drop_path_gives_each_replica_its_own_draws(tmp_path):
    measured = run_in_new_process(
        """
        with replicas("mirrored").scope():
            net = tiny_net()
        distribute.separate_replica_seeds(net, replicas("mirrored").engine)
        draws = distribute.replica_draws(net, replicas("mirrored"), steps=300)
        one = trained_weights("one", sync_batch_norm=True)
        two = trained_weights(
            "two",
            sync_batch_norm=True,
            distribute="mirrored",
            drop_path_replicas="independent",
        )
        seeds = json.loads(
            (root / "two" / "training" / "backup" / "replica_seeds.json").read_text()
        )
        print(
            json.dumps({"draws": draws.tolist(), "gap": gap(one, two), "seeds": seeds})
        )
    """,
        tmp_path,
    )
    draws = np.array(measured["draws"])
    agree = float(np.mean(draws[:, 0] == draws[:, 1]))
    # Two independent draws agree (both local, or both global on the same of C = 3
    # columns) with probability 0.5**2 + 3 * (0.5 / 3)**2 = 1/3; over 300 steps its
    # standard error is 0.027.
    assert abs(agree - 1 / 3) < 4 * 0.027, agree
    # each replica still draws half its steps global
    assert 0.4 < np.mean(draws >= 0) < 0.6
    assert measured["gap"] >= DIFFERENT, measured
    states = measured["seeds"]["states"]
    assert (
        measured["seeds"]["epoch"] == 4
        and sorted(states) == ["0", "1"]
        and states["0"] != states["1"]
    )


def test_a_run_interrupted_under_a_strategy_resumes_and_loads_on_one_device(tmp_path):
    measured = run_in_new_process(
        """
        class Interrupt(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 1:
                    raise KeyboardInterrupt


        config = {
            **TINY,
            "epochs": 2,
            "batch_size": 8,
            "distribute": "mirrored",
        }  # the paper's drop-path, skipping
        folder = root / "run"
        try:
            runner.run_experiment(
                config,
                folder,
                replicas=replicas("mirrored"),
                verbose=0,
                callbacks=[Interrupt()],
            )
            interrupted = False
        except KeyboardInterrupt:
            interrupted = True
        backup = folder / "training" / "backup"
        done = json.loads((backup / "training_metadata.json").read_text())["epoch"]
        result = runner.run_experiment(
            config, folder, replicas=replicas("mirrored"), resume=True, verbose=0
        )
        # the checkpoint (with its optimizer) and the run's model, loaded on one device
        checkpoint = keras.saving.load_model(folder / "training" / "model.keras")
        saved = keras.saving.load_model(folder / "model.keras")
        alone = runner.build_classifier(
            result["config"], (8, 8, 1), 2, 6, replicas("none")
        )
        alone.load_weights(backup / "latest.weights.h5")
        x = data["x_test"]
        print(
            json.dumps(
                {
                    "interrupted": interrupted,
                    "done": done,
                    "epochs": result["history"]["epoch"],
                    "steps": int(checkpoint.optimizer.iterations),
                    "same": all(
                        np.array_equal(a, b) and np.array_equal(a, c)
                        for a, b, c in zip(
                            saved.get_weights(),
                            alone.get_weights(),
                            checkpoint.get_weights(),
                        )
                    ),
                    "prediction_gap": gap(
                        saved.predict(x, verbose=0), alone.predict(x, verbose=0)
                    ),
                }
            )
        )
    """,
        tmp_path,
    )
    assert measured["interrupted"] and measured["done"] == 1, measured
    assert measured["epochs"] == [0, 1] and measured["steps"] == 2 * 6, measured
    assert measured["same"] and measured["prediction_gap"] == 0.0, measured


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_localhost_end_in_the_weights_of_one_device(tmp_path):
    import keras

    # the workers saved a MultiWorkerModel: `import fractalnet` registers it
    import fractalnet  # noqa: F401

    write_tiny_data(tmp_path)
    # the paper's drop-path, shared
    options = [
        "--data",
        str(tmp_path / "tiny.npz"),
        "--block-columns",
        "1",
        "3",
        "--filters",
        "4",
        "4",
        "--epochs",
        "4",
        "--batch-size",
        "48",
        "--no-augment",
        "--no-block-dropout",
        "--learning-rate",
        "0.1",
        "--validation-fraction",
        "0.25",
        "--sync-batch-norm",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    env.pop("TF_CONFIG", None)
    command = [sys.executable, "-m", "fractalnet.command", *options]
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = [
        subprocess.Popen(
            command
            + ["--distribute", "multi-worker", "--output", str(tmp_path / "two")],
            env={
                **env,
                "TF_CONFIG": json.dumps(
                    {
                        "cluster": {"worker": workers},
                        "task": {"type": "worker", "index": index},
                    }
                ),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=tmp_path,
        )
        for index in range(2)
    ]
    try:
        outputs = [process.communicate(timeout=TIMEOUT)[0] for process in processes]
    finally:
        for process in processes:
            process.kill()
    assert [p.returncode for p in processes] == [0, 0], "\n".join(
        o[-3000:] for o in outputs
    )
    one = subprocess.run(
        command + ["--output", str(tmp_path / "one")],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=tmp_path,
    )
    assert one.returncode == 0, one.stdout[-3000:] + one.stderr[-3000:]

    # the chief speaks
    assert (
        "2 cpu replicas (multi-worker)" in outputs[0]
        and "fractalnet-train:" not in outputs[1]
    )
    assert (tmp_path / "two" / "scores.json").is_file() and (
        tmp_path / "two" / "logs"
    ).is_dir()
    assert (
        tmp_path / "two" / "workers" / "1" / "training" / "backup" / "latest.weights.h5"
    ).is_file()
    # the other worker writes only its own checkpoints
    worker = tmp_path / "two" / "workers" / "1"
    assert sorted(p.name for p in worker.iterdir()) == ["training"]

    def weights(path):
        model = keras.saving.load_model(path)
        return np.concatenate([np.ravel(w) for w in model.get_weights()])

    # each worker's last checkpoint
    chief, other = (
        weights(tmp_path / "two" / "training" / "model.keras"),
        weights(worker / "training" / "model.keras"),
    )
    model, alone = (
        weights(tmp_path / "two" / "model.keras"),
        weights(tmp_path / "one" / "model.keras"),
    )
    assert np.max(np.abs(chief - other)) == 0.0  # the workers hold the same weights
    assert np.max(np.abs(chief - model)) == 0.0  # the run's model is the chief's
    assert np.max(np.abs(model - alone)) <= SAME
