"""The training command `fractalnet-train` (`python -m fractalnet.command`): its help,
its options (the configuration's names), its errors, a run that resumes."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from fractalnet import command
from fractalnet.runner import EXPERIMENT_DEFAULTS, build_classifier, experiment_config

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
# a network that trains in a moment on 8x8 images
TINY_NET = ["--block-columns", "1", "2", "--filters", "4", "4"]


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
    result = python("-m", "fractalnet.command", "--help")
    assert result.returncode == 0, result.stderr
    for text in (
        "usage: fractalnet-train",
        "data:",
        "network:",
        "training:",
        "output:",
        "devices:",
        "--resume",
        "--overwrite",
        "--variant",
        "--cpu-devices",
        "--distribute {none,mirrored,multi-worker,jax-data-parallel}",
        "--drop-path-replicas {shared,independent}",
        "--schedule {cosine,paper}",
        "--precision {float32,mixed,mixed_float16,mixed_bfloat16}",
        "--block-dropout, --no-block-dropout",
        "--augment, --no-augment",
        "examples:",
    ):
        assert text in result.stdout, text
    # one option per setting of the configuration, under the setting's name
    for name in EXPERIMENT_DEFAULTS:
        assert f"--{name.replace('_', '-')}" in result.stdout, name
    # the names before the one configuration are gone
    for old in (
        "limit",
        "columns",
        "drop-path-rate",
        "dropout",
        "recipe",
        "mixed-precision",
    ):
        assert not re.search(rf"(?<![\w-])--{old}\b", result.stdout), old


def test_the_options_set_the_configuration_of_the_same_names():
    def config(*argv):
        return command.config_from_args(
            command.build_parser().parse_args(["--output", "unused", *argv])
        )

    # no option: the configuration's defaults (block dropout off, the cosine schedule)
    assert config() == experiment_config()
    assert not config()["block_dropout"] and config()["schedule"] == "cosine"
    assert config(
        "--train-subset",
        "300",
        "--block-columns",
        "2",
        "3",
        "--filters",
        "8",
        "16",
        "--local-drop-rate",
        "0.25",
        "--block-dropout",
        "--no-augment",
        "--schedule",
        "paper",
        "--precision",
        "mixed_bfloat16",
    ) == experiment_config(
        train_subset=300,
        block_columns=[2, 3],
        filters=[8, 16],
        local_drop_rate=0.25,
        block_dropout=True,
        augment=False,
        schedule="paper",
        precision="mixed_bfloat16",
    )
    micro = config("--variant", "micro")
    assert micro["block_columns"] == [1, 2, 2] and micro["filters"] == [16, 32, 64]
    resnet = config(
        "--architecture",
        "resnet",
        "--baseline-blocks",
        "1",
        "2",
        "--filters",
        "8",
        "16",
    )
    assert resnet["architecture"] == "resnet" and resnet["baseline_blocks"] == [1, 2]


def test_a_bad_argument_is_one_line_on_stderr_and_nothing_else(tmp_path):
    # The launcher keeps TensorFlow's start-up notices off stderr: the command's error
    # is all there is, as installed (`fractalnet-train`) and as `python -m`.
    result = python(
        "-m", "fractalnet_train", "--data", "nowhere", "--output", str(tmp_path / "run")
    )
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("fractalnet-train: error: ") and "nowhere" in lines[0]
    assert not (tmp_path / "run").exists()
    # without the launcher, the same one line comes after TensorFlow's notices
    bare = python(
        "-m", "fractalnet.command", "--data", "nowhere", "--output", str(tmp_path / "x")
    )
    assert bare.returncode == 2 and bare.stderr.splitlines()[-1] == lines[0]


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
    assert not any((tmp_path / name).exists() for name in "abc")


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["--block-columns", "1", "2", "3", "--filters", "8", "16"],
            "Expected `filters` to have one entry per stage (3, as `block_columns`). "
            "Received: filters=[8, 16]",
        ),
        (
            ["--block-columns", "1", "2"],
            "(2, as `block_columns`). Received: filters=[32, 64, 128]",
        ),
        (
            ["--variant", "micro", "--block-columns", "1", "--filters", "8"],
            "Expected --variant or --block-columns and --filters, not both",
        ),
        (
            ["--block-columns", "13", "--filters", "8"],
            "Expected `block_columns[0]` to be an integer in [1, 12]. Received: "
            "block_columns[0]=13",
        ),
        (
            ["--architecture", "resnet"],
            "Expected `baseline_blocks` to be a list of 1 to 10 ints, one per stage, "
            "for architecture='resnet'. Received: baseline_blocks=None",
        ),
        (
            ["--epochs", "0"],
            "Expected `epochs` to be an integer >= 1. Received: epochs=0",
        ),
        (
            ["--train-subset", "0"],
            "Expected `train_subset` to be an integer >= 1. Received: train_subset=0",
        ),
        (["--validation-fraction", "1.5"], "Received: validation_fraction=1.5"),
        (
            ["--local-drop-rate", "1"],
            "Expected `local_drop_rate` to be a float in [0, 1). Received: "
            "local_drop_rate=1.0",
        ),
        (["--resume", "--overwrite"], "not allowed with argument --resume"),
        (["--distribute", "jax-data-parallel"], "Expected the jax backend"),
        (["--variant", "huge"], "invalid choice: 'huge'"),
        (["--schedule", "steps"], "invalid choice: 'steps'"),
        # the names before the one configuration
        (["--limit", "300"], "unrecognized arguments: --limit 300"),
        (["--drop-path-rate", "0.1"], "unrecognized arguments: --drop-path-rate"),
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
    base = ["--data", str(tiny_npz), "--output", str(folder), *TINY_NET, "--epochs"]
    assert (
        "pass resume=True (--resume) to go on with its run, or overwrite=True "
        "(--overwrite)"
    ) in error_of(capsys, *base, "3")
    assert "it holds no config.json" in error_of(capsys, *base, "3", "--resume")
    # as a run with --epochs 2 wrote it
    previous = command.config_from_args(command.build_parser().parse_args([*base, "2"]))
    (folder / "config.json").write_text(json.dumps({"config": previous}))
    assert "another configuration (epochs 2 there, 3 here)" in error_of(
        capsys, *base, "3", "--resume"
    )
    assert (folder / "notes.txt").read_text() == "mine"
    # --overwrite removes what a run writes, and nothing else: a stale backup (of a
    # 2-epoch run) is not resumed, the run starts from epoch 0.
    (folder / "training" / "backup").mkdir(parents=True)
    (folder / "training" / "backup" / "training_metadata.json").write_text(
        json.dumps({"epoch": 2})
    )
    (folder / "logs").mkdir()
    (folder / "logs" / "stale").write_text("")
    (folder / "scores.json").write_text("{}")
    assert command.main([*base, "3", "--overwrite"]) == 0
    out = capsys.readouterr().out
    assert "resuming" not in out and "test accuracy" in out
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "history.csv",
        "logs",
        "model.keras",
        "notes.txt",
        "scores.json",
        "training",
    ]
    assert (folder / "notes.txt").read_text() == "mine"
    assert not (folder / "logs" / "stale").exists()
    history = (folder / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1", "2"]
    stored = json.loads((folder / "config.json").read_text())
    assert stored["config"]["epochs"] == 3 and stored["finished"]
    assert json.loads((folder / "scores.json").read_text())["epochs"] == 3


def test_experiment_config_names_unknown_settings_and_resolves_npz_paths(
    tiny_npz, monkeypatch
):
    with pytest.raises(ValueError, match="Unknown setting.s. colums"):
        experiment_config(colums=[1])
    # the names before the one configuration
    with pytest.raises(ValueError, match="Unknown setting.s. columns, limit, recipe"):
        experiment_config(columns=[1], limit=3, recipe="paper")
    monkeypatch.chdir(tiny_npz.parent)
    assert experiment_config(data="tiny.npz")["data"] == str(tiny_npz.resolve())


# Runs the command as `python -m fractalnet.command` does, with one more callback: after
# the first step of epoch 2 it creates the file `sys.argv[1]` and waits for the signal,
# so that the signal arrives in the middle of epoch 2 however busy the machine is.
INTERRUPTIBLE = f"""
import pathlib, sys, time
import keras
from fractalnet import command

ready = pathlib.Path(sys.argv[1])
run_experiment = command.run_experiment


class WaitInEpoch2(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 0:
            ready.touch()
            time.sleep({TIMEOUT})


def with_wait(*args, callbacks=(), **kwargs):
    return run_experiment(*args, callbacks=[*callbacks, WaitInEpoch2()], **kwargs)


command.run_experiment = with_wait
sys.exit(command.main(sys.argv[2:]))
"""


def test_a_fashion_mnist_run_interrupted_in_an_epoch_resumes_and_finishes(tmp_path):
    folder = tmp_path / "run"
    # 300 training images (6 steps of 50); the validation split (6,000) and the test
    # set (10,000) stay whole
    options = [
        "--data",
        "fashion_mnist",
        "--train-subset",
        "300",
        "--batch-size",
        "50",
        *TINY_NET,
        "--epochs",
        "2",
        "--output",
        str(folder),
    ]
    ready = tmp_path / "in_epoch_2"
    first = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTIBLE, str(ready), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=tmp_path,
    )
    # A loaded machine (the whole suite on two cores) can take minutes to get there; a
    # signal sent any earlier could land before the command handles Ctrl-C.
    deadline = time.monotonic() + 3 * TIMEOUT
    while not ready.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not ready.exists():
        first.kill()
        pytest.fail(f"the run never reached epoch 2: {first.communicate()[1][-2000:]}")
    first.send_signal(signal.SIGINT)  # after a step of epoch 2, as Ctrl-C would
    out, err = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 130, out + err
    lines = err.splitlines()
    said = [
        i
        for i, line in enumerate(lines)
        if line.startswith(
            "fractalnet-train: interrupted; the same command with --resume"
        )
    ]
    # the command's line is the last: nothing is finalized noisily after it
    assert said == [len(lines) - 1] and "Traceback" not in err, err
    assert "fashion_mnist, 2 epochs, batches of 50; 1 cpu replica (none)" in out, out
    # not a terminal: no progress bar
    assert "Epoch 1/2" in out and "\r" not in out and "━" not in out
    metadata = folder / "training" / "backup" / "training_metadata.json"
    assert json.loads(metadata.read_text())["epoch"] == 1
    stored = json.loads((folder / "config.json").read_text())
    assert stored["config"]["train_subset"] == 300 and stored["finished"] is None
    assert not (folder / "scores.json").exists()

    second = python("-m", "fractalnet.command", *options, "--resume", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert (
        f"resuming {folder} after epoch 1" in second.stdout
        and "Epoch 1/2" not in second.stdout
        and "Epoch 2/2" in second.stdout
    ), second.stdout
    history = (folder / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1"]  # each epoch once
    scores = json.loads((folder / "scores.json").read_text())
    assert 0 <= scores["test_accuracy"] <= 1 and scores["replicas"] == 1
    columns = scores["column_test_accuracy"]  # each column alone, and the network
    assert scores["epochs"] == 2 and sorted(columns) == ["0", "1", "all"], columns
    assert columns["all"] == scores["test_accuracy"], scores
    stored = json.loads((folder / "config.json").read_text())
    assert stored["config"]["epochs"] == 2 and stored["finished"]
    assert any((folder / "logs" / "train").glob("events.out.tfevents.*"))  # TensorBoard
    # The interrupted epoch is redone from its start: 2 epochs of 6 steps, not one more.
    checkpoint = keras.saving.load_model(folder / "training" / "model.keras")
    assert int(checkpoint.optimizer.iterations) == 2 * 6
    # The model of the run: the checkpoint's weights, float32, without an optimizer.
    model = keras.saving.load_model(folder / "model.keras")
    assert getattr(model, "optimizer", None) is None
    assert model.dtype_policy.name == "float32"
    assert all(
        np.array_equal(a, b)
        for a, b in zip(model.get_weights(), checkpoint.get_weights())
    )


def test_a_machine_without_tensorboard_trains_without_logs(
    capsys, monkeypatch, tmp_path, tiny_npz
):
    find_spec = command.importlib.util.find_spec
    monkeypatch.setattr(
        command.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "tensorboard" else find_spec(name, *args),
    )
    folder = tmp_path / "run"
    argv = [
        "--data",
        str(tiny_npz),
        "--output",
        str(folder),
        *TINY_NET,
        "--epochs",
        "1",
    ]
    assert command.main(argv) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert "test accuracy" in last and "TensorBoard" not in last, last
    assert (folder / "scores.json").is_file() and (folder / "model.keras").is_file()
    assert not (folder / "logs").exists()


def test_the_schedules_differ_only_in_their_learning_rate_schedule():
    from fractalnet.distribute import Replicas
    from fractalnet.training import SCHEDULES

    schedules = {}
    for schedule in SCHEDULES:
        config = experiment_config(
            block_columns=[1, 2],
            filters=[4, 4],
            schedule=schedule,
            epochs=3,
            learning_rate=0.1,
        )
        optimizer = build_classifier(
            config, (8, 8, 1), 3, 5, Replicas("none")
        ).optimizer.get_config()
        assert optimizer["momentum"] == 0.9 and not optimizer["nesterov"]
        schedules[schedule] = optimizer["learning_rate"]
    assert (
        schedules["paper"]["config"]["total_steps"] == 15
        and schedules["paper"]["config"]["initial_learning_rate"] == 0.1
    )
    # a linear warm-up over the first epoch (at most a quarter of the run: 3 of 15
    # steps), then a cosine decay to 0 over the rest
    cosine = schedules["cosine"]
    assert cosine["class_name"] == "CosineDecay", cosine
    assert (
        cosine["config"]["warmup_steps"] == 3
        and cosine["config"]["decay_steps"] == 12
        and cosine["config"]["initial_learning_rate"] == 0.0
        and cosine["config"]["warmup_target"] == 0.1
    ), cosine
