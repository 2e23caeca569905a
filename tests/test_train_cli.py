"""The training command `fractalnet-train` (`python -m fractalnet.train`): its help, its
errors, a run that resumes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from fractalnet import train as command

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def python(*args, **kwargs):
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=ENV,
        **kwargs,
    )


@pytest.fixture
def tiny_npz(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = (
        rng.integers(0, 256, (40, 8, 8), dtype=np.uint8),
        rng.integers(0, 3, 40),
    )
    path = tmp_path / "tiny.npz"
    np.savez(
        path,
        x_train=images[:30],
        y_train=labels[:30],
        x_test=images[30:],
        y_test=labels[30:],
    )
    return path


def test_help_describes_every_group_of_options_and_exits_0():
    result = python("-m", "fractalnet.train", "--help")
    assert result.returncode == 0, result.stderr
    for text in (
        "usage: fractalnet-train",
        "data:",
        "model:",
        "training:",
        "output:",
        "distribution:",
        "--resume",
        "--overwrite",
        "--distribute {none,mirrored,multi-worker,jax-data-parallel}",
        "--drop-path-replicas {shared,independent}",
        "--sync-batch-norm",
        "--mixed-precision",
        "examples:",
    ):
        assert text in result.stdout, text


def test_a_bad_argument_adds_one_line_to_stderr_and_no_traceback(tmp_path):
    # Importing TensorFlow may print notices of its own on stderr: the command adds
    # exactly one line.
    notices = python("-c", "import fractalnet.train").stderr.splitlines()
    result = python(
        "-m", "fractalnet.train", "--data", "nowhere", "--output", str(tmp_path / "run")
    )
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(lines) == len(notices) + 1 and lines[-1].startswith(
        "fractalnet-train: error: "
    ), result.stderr
    assert "nowhere" in lines[-1] and not (tmp_path / "run").exists()


def error_of(capsys, *argv):
    """Runs the command in this process; returns its one line of error (it must exit
    with status 2)."""
    with pytest.raises(SystemExit) as exit_info:
        command.main(list(argv))
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fractalnet-train: error: "), lines
    return lines[0]


def test_unknown_data_sets_and_unreadable_npz_files_are_refused(capsys, tmp_path):
    assert "Received: data='imagenet'" in error_of(
        capsys, "--data", "imagenet", "--output", str(tmp_path / "a")
    )
    np.savez(tmp_path / "partial.npz", x_train=np.zeros((2, 8, 8)))
    message = error_of(
        capsys, "--data", str(tmp_path / "partial.npz"), "--output", str(tmp_path / "b")
    )
    assert "without y_train, x_test, y_test" in message
    (tmp_path / "text.npz").write_text("not an archive")
    assert "cannot be read" in error_of(
        capsys, "--data", str(tmp_path / "text.npz"), "--output", str(tmp_path / "c")
    )


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["--columns", "1", "2", "3", "--filters", "8", "16"],
            "Received: columns=[1, 2, 3] and filters=[8, 16]",
        ),
        (["--columns", "1", "2"], "Expected --columns and --filters together"),
        (
            ["--variant", "micro", "--columns", "1", "--filters", "8"],
            "Expected --variant or --columns/--filters",
        ),
        (
            ["--columns", "13", "--filters", "8"],
            "Expected `columns[0]` to be an integer in [1, 12]. Received: "
            "columns[0]=13",
        ),
        (
            ["--epochs", "0"],
            "Expected `epochs` to be an integer >= 1. Received: epochs=0",
        ),
        (["--validation-fraction", "1.5"], "Received: validation_fraction=1.5"),
        (
            ["--drop-path-rate", "1"],
            "Expected `drop_path_rate` to be a float in [0, 1). Received: "
            "drop_path_rate=1.0",
        ),
        (["--resume", "--overwrite"], "not allowed with argument --resume"),
        (["--distribute", "jax-data-parallel"], "Expected the jax backend"),
        (["--variant", "huge"], "invalid choice: 'huge'"),
    ],
)
def test_arguments_that_forbid_a_run_exit_2_with_one_line_naming_them(
    capsys, tmp_path, tiny_npz, argv, expected
):
    message = error_of(
        capsys, "--data", str(tiny_npz), "--output", str(tmp_path / "run"), *argv
    )
    assert expected in message, message
    assert not (tmp_path / "run").exists()


def test_an_existing_folder_is_used_only_with_resume_or_overwrite(
    capsys, tmp_path, tiny_npz
):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    base = ["--data", str(tiny_npz), "--output", str(folder), "--epochs", "3"]
    assert "pass --resume to go on with its run, or --overwrite" in error_of(
        capsys, *base
    )
    assert "it holds no config.json" in error_of(capsys, *base, "--resume")
    # as a run with --epochs 2 wrote it
    previous = command.run_config(data=str(tiny_npz), epochs=2)
    (folder / "config.json").write_text(json.dumps({"config": previous}))
    assert "another configuration (epochs 2 there, 3 here)" in error_of(
        capsys, *base, "--resume"
    )
    assert (folder / "notes.txt").read_text() == "mine"
    # --overwrite removes what a run writes, and nothing else.
    run = command.prepare(
        command.config_from_args(
            command.build_parser().parse_args([*base, "--overwrite"])
        ),
        folder,
        overwrite=True,
    )
    assert (
        sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
        and run.done_epochs == 0
    )


def test_run_config_names_unknown_settings_and_resolves_npz_paths(
    tiny_npz, monkeypatch
):
    with pytest.raises(ValueError, match="Unknown setting.s. colums"):
        command.run_config(colums=[1])
    monkeypatch.chdir(tiny_npz.parent)
    assert command.run_config(data="tiny.npz")["data"] == str(tiny_npz.resolve())


# The first run goes through this wrapper: after the first step of epoch 2 it marks a
# file and waits, so that the test's Ctrl-C lands inside that epoch however busy the
# machine is (a bare window of a few seconds was missed on a loaded CPU).
INTERRUPTIBLE = f"""
import pathlib, sys, time
import keras
from fractalnet import train as command

ready = pathlib.Path(sys.argv[1])
train = command.train


class WaitInEpoch2(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 0:
            ready.touch()
            time.sleep({TIMEOUT})


def with_wait(run, *args, callbacks=(), **kwargs):
    return train(run, *args, callbacks=[*callbacks, WaitInEpoch2()], **kwargs)


command.train = with_wait
sys.exit(command.main(sys.argv[2:]))
"""


def test_a_fashion_mnist_run_interrupted_after_an_epoch_resumes_and_finishes(tmp_path):
    folder = tmp_path / "run"
    options = [
        "--data",
        "fashion_mnist",
        "--limit",
        "3000",
        "--epochs",
        "2",
        "--output",
        str(folder),
    ]
    argv = ["-m", "fractalnet.train", *options]
    ready = tmp_path / "in-epoch-2"
    first = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTIBLE, str(ready), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=tmp_path,
    )
    metadata = folder / "backup" / "training_metadata.json"
    deadline = time.monotonic() + TIMEOUT
    while not ready.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)  # during epoch 2, as Ctrl-C would
    out, err = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 130, out + err
    assert err.splitlines()[-1].startswith(
        "fractalnet-train: interrupted; the same command with --resume"
    )
    # not a terminal: no progress bar
    assert "Epoch 1/2" in out and "\r" not in out and "━" not in out
    assert json.loads(metadata.read_text())["epoch"] == 1

    second = python(*argv, "--resume", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert (
        f"resuming {folder} after epoch 1 of 2" in second.stdout
        and "Epoch 1/2" not in second.stdout
    )
    history = (folder / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1"]  # each epoch once
    scores = json.loads((folder / "scores.json").read_text())
    assert 0 <= scores["test_accuracy"] <= 1 and scores["replicas"] == 1
    assert json.loads((folder / "config.json").read_text())["config"]["epochs"] == 2
    assert any((folder / "logs" / "train").glob("events.out.tfevents.*"))  # TensorBoard
    model = keras.saving.load_model(folder / "model.keras")
    assert int(model.optimizer.iterations) == 2 * 30


def test_a_machine_without_tensorboard_is_told_before_training(
    capsys, monkeypatch, tmp_path, tiny_npz
):
    find_spec = command.importlib.util.find_spec
    monkeypatch.setattr(
        command.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "tensorboard" else find_spec(name, *args),
    )
    message = error_of(
        capsys, "--data", str(tiny_npz), "--output", str(tmp_path / "run")
    )
    assert (
        "Expected the tensorboard package" in message
        and not (tmp_path / "run").exists()
    )


def test_the_recipes_differ_only_in_their_learning_rate_schedule():
    from fractalnet.distribute import Replicas

    schedules = {}
    for recipe in command.RECIPES:
        config = command.run_config(
            columns=[1, 2], filters=[4, 4], recipe=recipe, epochs=3, learning_rate=0.1
        )
        optimizer = command.build_classifier(
            config, (8, 8, 1), 3, 5, Replicas("none")
        ).optimizer.get_config()
        assert optimizer["momentum"] == 0.9 and not optimizer["nesterov"]
        schedules[recipe] = optimizer["learning_rate"]
    assert (
        schedules["paper"]["config"]["total_steps"] == 15
        and schedules["paper"]["config"]["initial_learning_rate"] == 0.1
    )
    assert (
        schedules["cosine"]["class_name"] == "CosineDecay"
        and schedules["cosine"]["config"]["decay_steps"] == 15
    )
