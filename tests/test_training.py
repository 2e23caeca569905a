"""Tests of chapter 6's training: the paper's schedule and recipe, raw-image models, and
resumable runs."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from fractalnet import FractalNet
from fractalnet.training import (
    PAPER_RECIPE,
    HalvingDecay,
    image_classifier,
    paper_block_dropout,
    paper_fractal_net,
    read_history,
)


def rates(schedule, steps):
    return [float(keras.ops.convert_to_numpy(schedule(step))) for step in steps]


def test_halving_decay_drops_at_the_papers_epochs_200_300_350_375_of_400():
    # 400 epochs of 500 steps (CIFAR, batch 100)
    schedule = HalvingDecay(0.02, total_steps=400 * 500)
    assert schedule.boundaries == [200 * 500, 300 * 500, 350 * 500, 375 * 500]
    steps = [
        0,
        200 * 500 - 1,
        200 * 500,
        300 * 500 - 1,
        300 * 500,
        350 * 500,
        375 * 500 - 1,
        375 * 500,
        400 * 500,
    ]
    expected = [0.02, 0.02, 0.002, 0.002, 2e-4, 2e-5, 2e-5, 2e-6, 2e-6]
    assert np.allclose(rates(schedule, steps), expected, rtol=1e-5)


def test_halving_decay_for_a_short_run_rounds_its_boundaries_to_steps():
    schedule = HalvingDecay(0.1, total_steps=10, drops=2, factor=0.5)
    assert schedule.boundaries == [5, 8]  # 10 * 3/4 = 7.5 rounds to 8
    assert np.allclose(rates(schedule, range(11)), [0.1] * 5 + [0.05] * 3 + [0.025] * 3)


def test_halving_decay_round_trips_through_its_config_and_keras_serialization():
    schedule = HalvingDecay(0.02, total_steps=1234, drops=3, factor=0.2)
    assert schedule.get_config() == {
        "initial_learning_rate": 0.02,
        "total_steps": 1234,
        "drops": 3,
        "factor": 0.2,
    }
    again = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(schedule)
    )
    assert isinstance(again, HalvingDecay) and again.boundaries == schedule.boundaries
    assert rates(again, [0, 617, 1233]) == rates(schedule, [0, 617, 1233])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"initial_learning_rate": 0},
            ValueError,
            r"`initial_learning_rate` to be a float > 0. Received: "
            r"initial_learning_rate=0",
        ),
        (
            {"total_steps": 0},
            ValueError,
            r"`total_steps` to be an integer >= 1. Received: total_steps=0",
        ),
        ({"total_steps": 10.0}, TypeError, "total_steps=10.0"),
        ({"drops": -1}, ValueError, "drops=-1"),
        (
            {"factor": 1.5},
            ValueError,
            r"`factor` to be a float in \(0, 1\]. Received: factor=1.5",
        ),
    ],
)
def test_halving_decay_names_the_bad_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        HalvingDecay(**{"initial_learning_rate": 0.02, "total_steps": 100, **kwargs})


def test_paper_block_dropout_is_the_papers_for_five_stages_and_its_start_for_fewer():
    assert paper_block_dropout(5) == (0.0, 0.1, 0.2, 0.3, 0.4)
    assert paper_block_dropout(3) == (0.0, 0.1, 0.2)
    with pytest.raises(ValueError, match="stages=0"):
        paper_block_dropout(0)


def tiny_paper_net(**kwargs):
    return paper_fractal_net(
        (1, 2), (4, 8), epochs=4, steps_per_epoch=10, image_shape=(8, 8, 1), **kwargs
    )


def test_paper_fractal_net_compiles_the_papers_regularization_and_optimizer():
    model = tiny_paper_net(schedule="paper")
    net = model.get_layer("fractalnet")
    assert isinstance(net, FractalNet)
    assert (net.local_drop_rate, net.global_ratio, net.block_dropout_rates) == (
        0.15,
        0.5,
        (0.0, 0.1),
    )
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD) and not optimizer.nesterov
    assert float(optimizer.momentum) == PAPER_RECIPE["momentum"] == 0.9
    schedule = optimizer.get_config()["learning_rate"]  # the schedule, serialized
    assert schedule["registered_name"] == "fractalnet>HalvingDecay"
    assert schedule["config"] == {
        "initial_learning_rate": 0.02,
        "total_steps": 40,
        "drops": 4,
        "factor": 0.1,
    }
    # overrides win
    assert tiny_paper_net(global_ratio=0.0).get_layer("fractalnet").global_ratio == 0.0


def test_the_short_run_schedule_warms_up_for_an_epoch_then_decays_to_zero():
    # 4 epochs of 10 steps: a warm-up over the first epoch, then a cosine to 0.
    rate = tiny_paper_net().optimizer._learning_rate  # the schedule itself
    rates = [float(rate(step)) for step in (0, 5, 10, 25, 40)]
    assert rates[0] == 0 and rates[1] == pytest.approx(0.01)
    assert rates[2] == pytest.approx(0.02) and rates[3] == pytest.approx(0.01)
    assert rates[4] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="schedule='steps'"):
        tiny_paper_net(schedule="steps")


def test_saved_model_takes_raw_images_and_reloads_after_importing_fractalnet(tmp_path):
    model = tiny_paper_net(pad_to=12)
    raw = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 1)).astype("uint8")
    expected = keras.ops.convert_to_numpy(model(raw.astype("float32"), training=False))
    net = model.get_layer("fractalnet")
    by_hand = np.pad(raw / 255.0, ((0, 0), (2, 2), (2, 2), (0, 0))).astype("float32")
    assert net.image_shape == (12, 12, 1)
    assert np.allclose(
        keras.ops.convert_to_numpy(net(by_hand, training=False)), expected, atol=1e-5
    )
    model.save(tmp_path / "model.keras")
    # safe_mode: registered classes only
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert np.allclose(loaded.predict(raw, verbose=0), expected, atol=1e-5)
    assert (
        loaded.optimizer.get_config()["learning_rate"]
        == model.optimizer.get_config()["learning_rate"]
    )


def test_image_classifier_rejects_padding_smaller_than_the_image():
    with pytest.raises(
        ValueError, match=r"`pad_to` to be an integer >= 8. Received: pad_to=6"
    ):
        image_classifier(
            keras.Sequential([keras.layers.Flatten()]), (8, 8, 1), pad_to=6
        )


@pytest.mark.parametrize("epochs, error", [(0, ValueError), (2.0, TypeError)])
def test_paper_fractal_net_names_a_bad_epoch_count(epochs, error):
    with pytest.raises(error, match=f"epochs={epochs!r}"):
        paper_fractal_net(
            (1,), (4,), epochs=epochs, steps_per_epoch=3, image_shape=(8, 8, 1)
        )


# A training run in its own process: 4 epochs of 6 steps on 60 random 8x8 images,
# shuffled and augmented; the dataset draws each epoch from its number, so an
# uninterrupted run and an interrupted-then-resumed one see the same batches. With
# KILL_AT=e,b the process dies (os._exit, no clean-up, like a kill) after batch b of
# epoch e.
RUN = textwrap.dedent("""
    import json, os, sys
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras, numpy as np
    from fractalnet.data import make_dataset
    from fractalnet.training import paper_fractal_net, train_with_checkpoints

    directory, kill_at = sys.argv[1], os.environ.get("KILL_AT")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (60, 8, 8, 1)).astype("uint8"), rng.integers(0, 3, 60)
    train = make_dataset(x, y, batch_size=10, shuffle=True, augment=True)
    model = paper_fractal_net(
        (1, 2), (4, 8), epochs=4, steps_per_epoch=6, num_classes=3,
        image_shape=(8, 8, 1), **json.loads(os.environ.get("MODEL_KWARGS", "{}")),
    )

    class Kill(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if kill_at and (self.epoch, batch) == tuple(map(int, kill_at.split(","))):
                os._exit(3)

    history = train_with_checkpoints(
        model, train, None, 4, directory, verbose=0, callbacks=[Kill()]
    )
    weights = float(sum(np.sum(np.abs(w)) for w in model.get_weights()))
    iterations = int(model.optimizer.iterations.numpy())
    out = {"history": history, "iterations": iterations, "weights": weights}
    print(json.dumps(out))
""")


def run(directory, kill_at=None):
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}
    if kill_at:
        env["KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-c", RUN, str(directory)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_a_run_killed_mid_epoch_resumes_and_ends_as_if_never_interrupted(tmp_path):
    killed = run(tmp_path / "interrupted", kill_at="2,3")  # during the third epoch
    assert killed.returncode == 3, killed.stderr[-2000:]
    assert read_history(tmp_path / "interrupted" / "history.csv")["epoch"] == [0, 1]
    resumed = run(tmp_path / "interrupted")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    resumed = json.loads(resumed.stdout.splitlines()[-1])
    assert resumed["history"]["epoch"] == [0, 1, 2, 3]  # every epoch once, no gap
    # the optimizer state (and the schedule's step) came back
    assert resumed["iterations"] == 4 * 6
    assert (tmp_path / "interrupted" / "model.keras").is_file()

    straight = json.loads(run(tmp_path / "straight").stdout.splitlines()[-1])
    assert np.allclose(
        resumed["history"]["loss"], straight["history"]["loss"], rtol=1e-4
    )
    assert resumed["weights"] == pytest.approx(straight["weights"], rel=1e-4)

    again = run(tmp_path / "straight")  # a finished run trains nothing more
    assert json.loads(again.stdout.splitlines()[-1])["history"] == straight["history"]
