"""Tests of chapter 6's experiment pipeline and results store: configurations, the
registry, code hashes, load-or-train, and the stored models."""

import json
import pathlib
import shutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import fractalnet
from fractalnet import runner
from fractalnet.data import load_fashion_mnist
from fractalnet.experiments import EXPERIMENTS
from fractalnet.results import RESULT_MODULES, code_hash, load_result
from fractalnet.runner import EXPERIMENT_DEFAULTS, experiment_config, load_or_train
from test_data import needs_fashion_mnist

STORE = pathlib.Path(__file__).resolve().parent.parent / "results"
STORED = sorted(path.parent for path in STORE.glob("*/config.json"))
# A few steps of a tiny network: the whole code path of an experiment in seconds.
TINY = {"filters": [4, 8, 8], "epochs": 1, "train_subset": 200}


def test_experiment_config_fills_defaults_and_refuses_unknown_settings():
    config = experiment_config(block_columns=(2, 2, 2))
    # tuples stored as lists, as in JSON
    assert config == {**EXPERIMENT_DEFAULTS, "block_columns": [2, 2, 2]}
    with pytest.raises(ValueError, match="Unknown setting.*colums"):
        experiment_config(colums=[1])


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"block_columns": [1, 13], "filters": [4, 4]}, r"block_columns\[1\]"),
        ({"filters": [4, 4]}, "one entry per stage"),
        ({"architecture": "plain"}, "baseline_blocks"),
        ({"local_drop_rate": 1.0}, r"\[0, 1\)"),
        ({"schedule": "steps"}, "schedule='steps'"),
        ({"validation_fraction": 1.0}, r"\(0, 1\)"),
        ({"data": "imagenet"}, "data='imagenet'"),
        ({"precision": "float16"}, "precision='float16'"),
    ],
)
def test_experiment_config_names_a_bad_value_and_its_range(settings, match):
    with pytest.raises(ValueError, match=match):
        experiment_config(**settings)


def test_the_registry_holds_checked_configurations_under_folder_names():
    assert {"fashion_fractalnet", "ablation_mixed", "plain_48"} <= set(EXPERIMENTS)
    for name, config in EXPERIMENTS.items():
        assert name.replace("_", "").isalnum(), name
        assert experiment_config(**config) == config, name


def test_code_hash_follows_the_code_of_the_result_modules_not_their_prose(
    tmp_path, monkeypatch
):
    copy = tmp_path / "fractalnet"
    shutil.copytree(
        pathlib.Path(fractalnet.__file__).parent,
        copy,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    monkeypatch.setattr(fractalnet, "__file__", str(copy / "__init__.py"))
    before = code_hash()
    assert before == code_hash() and len(before) == 16
    layers = (copy / "layers.py").read_text()
    # Prose: a comment, a docstring, a blank line; and a module outside RESULT_MODULES.
    edited = layers.replace('"""', '"""Reworded. ', 1) + "\n# a comment\n"
    (copy / "layers.py").write_text(edited)
    (copy / "experiments.py").write_text(
        (copy / "experiments.py").read_text() + "\nANOTHER_CHAPTER = 7\n"
    )
    assert code_hash() == before, (
        "prose or another chapter's experiments made the stored results stale"
    )
    for name in RESULT_MODULES:  # code: any change to a result module changes the hash
        source = (copy / f"{name}.py").read_text()
        (copy / f"{name}.py").write_text(source + "\nCHANGED = 1\n")
        assert code_hash() != before, name
        (copy / f"{name}.py").write_text(source)
    (copy / "layers.py").write_text(
        layers.replace(
            "return tuple(input_shape[:-1]) + (self.filters,)",
            "return tuple(input_shape[:-1]) + (self.filters + 1,)",
            1,
        )
    )
    assert code_hash() != before


def fake_result(directory, config, code):
    directory.mkdir(parents=True)
    (directory / "config.json").write_text(
        json.dumps({"config": config, "code_hash": code, "finished": "2026-12-07"})
    )
    (directory / "scores.json").write_text(json.dumps({"test_accuracy": 0.5}))
    (directory / "history.csv").write_text("epoch,loss\n0,1.0\n")
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(
        directory / "model.keras"
    )
    return directory


def test_a_result_loads_only_when_complete_and_its_configuration_and_code_match(
    tmp_path,
):
    config = experiment_config(epochs=3)
    assert load_result(tmp_path / "missing", config) is None
    folder = fake_result(tmp_path / "a", config, code_hash())
    loaded = load_result(folder, config)
    assert loaded["scores"] == {"test_accuracy": 0.5} and loaded["history"] == {
        "epoch": [0],
        "loss": [1.0],
    }
    assert isinstance(loaded["model"], keras.Model)
    # another configuration
    assert load_result(folder, experiment_config(epochs=4)) is None
    stale = fake_result(tmp_path / "b", config, "0" * 16)
    assert load_result(stale, config) is None  # produced by other code
    assert load_result(stale, config, check_code=False) is not None
    (folder / "model.keras").unlink()
    assert load_result(folder, config) is None  # unfinished


def test_load_or_train_trains_only_what_is_missing_or_stale(tmp_path, monkeypatch):
    calls = []

    def fake_run(config, directory, overwrite=False, verbose=2):
        calls.append(config)
        fake_result(pathlib.Path(directory), config, code_hash())

    monkeypatch.setattr(runner, "run_experiment", fake_run)
    _, trained = load_or_train("x", tmp_path, config={"epochs": 2})
    assert trained and len(calls) == 1
    _, trained = load_or_train("x", tmp_path, config={"epochs": 2})
    assert not trained and len(calls) == 1


@needs_fashion_mnist
def test_an_experiment_writes_a_raw_image_model_that_loads_after_importing_fractalnet(
    tmp_path,
):
    result = runner.run_experiment(TINY, tmp_path / "tiny", verbose=0)
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == [
        "config.json",
        "history.csv",
        "model.keras",
        "scores.json",
        "training",
    ]
    provenance = json.loads((tmp_path / "tiny" / "config.json").read_text())
    assert provenance["code_hash"] == code_hash() and provenance[
        "config"
    ] == experiment_config(**TINY)
    assert provenance["finished"]
    scores = result["scores"]
    assert set(scores["column_test_accuracy"]) == {"0", "1", "2", "all"}
    # PreciseTrainingLoss: the training loss of the whole and of each column, every
    # epoch.
    history = result["history"]
    for key in (
        "sample_loss",
        "column_0_sample_loss",
        "column_1_sample_loss",
        "column_2_sample_loss",
    ):
        assert len(history[key]) == 1 and 0 < history[key][0] < 10, key
    assert scores["epochs"] == 1 and scores["train_seconds"] > 0
    (_, _), (x_test, y_test) = load_fashion_mnist()
    # A reader's session: nothing imported but fractalnet (which registers FractalNet),
    # raw images.
    reader = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import fractalnet, keras, numpy as np
        from fractalnet.data import load_fashion_mnist
        (_, _), (x_test, _) = load_fashion_mnist()
        model = keras.saving.load_model({str(tmp_path / "tiny" / "model.keras")!r})
        print(model.predict(x_test[:5], verbose=0).argmax(-1).tolist())
    """),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    assert reader.returncode == 0, reader.stderr[-2000:]
    model = keras.saving.load_model(tmp_path / "tiny" / "model.keras")
    assert (
        json.loads(reader.stdout.splitlines()[-1])
        == model.predict(x_test[:5], verbose=0).argmax(-1).tolist()
    )
    accuracy = float(
        np.mean(
            np.argmax(model.predict(x_test, batch_size=500, verbose=0), -1) == y_test
        )
    )
    assert accuracy == pytest.approx(scores["test_accuracy"], abs=1e-3)
    # Trained with drop-path drawn per mini-batch, the saved model predicts with
    # statistics that describe it: those recomputed on the calibration images (here all
    # 200 training images), within half a point.
    (x_train, y_train), _ = load_fashion_mnist()
    (x_fit, _), _ = fractalnet.split_validation(x_train, y_train, 0.1, seed=0)
    recomputed = fractalnet.recalibrate_batch_norm(
        fractalnet.copy_model(model), x_fit[: TINY["train_subset"]]
    )
    again = float(
        np.mean(
            np.argmax(recomputed.predict(x_test, batch_size=500, verbose=0), -1)
            == y_test
        )
    )
    assert abs(again - accuracy) <= 0.005, (again, accuracy)


@needs_fashion_mnist
@pytest.mark.parametrize("folder", STORED, ids=lambda p: p.name)
def test_every_stored_model_still_scores_what_its_result_records(folder):
    # Inference barely moves between CPUs (unlike training): 0.2 points of test
    # accuracy.
    recorded = json.loads((folder / "scores.json").read_text())["test_accuracy"]
    (_, _), (x_test, y_test) = load_fashion_mnist()
    model = keras.saving.load_model(folder / "model.keras")
    accuracy = float(
        np.mean(
            np.argmax(model.predict(x_test, batch_size=500, verbose=0), -1) == y_test
        )
    )
    assert abs(accuracy - recorded) <= 0.002, (accuracy, recorded)


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_registered_experiment_is_stored_and_current(name):
    # The chapters load these; a stale or missing one means `make results` must run.
    assert load_result(STORE / name, EXPERIMENTS[name]) is not None, (
        f"results/{name} is missing or stale: run `make results` (or "
        "tools/make_results.py --stale)"
    )


@needs_fashion_mnist
@pytest.mark.parametrize(
    "folder",
    [
        f
        for f in STORED
        if json.loads((f / "config.json").read_text())["config"]["architecture"]
        == "fractalnet"
    ],
    ids=lambda p: p.name,
)
def test_every_stored_fractalnet_still_scores_its_columns(folder):
    recorded = json.loads((folder / "scores.json").read_text())["column_test_accuracy"]
    (_, _), (x_test, y_test) = load_fashion_mnist()
    model = keras.saving.load_model(folder / "model.keras")
    net = model.get_layer("fractalnet")
    # each column alone; the whole network ("all") is the saved model's test accuracy,
    # checked above through the model file
    assert (
        recorded["all"]
        == json.loads((folder / "scores.json").read_text())["test_accuracy"]
    )
    columns = fractalnet.evaluate_columns(
        net,
        x_test.astype("float32") / 255,
        y_test,
        subsets=list(range(net.num_columns)),
        batch_size=500,
    )
    for key, accuracy in columns.items():
        assert abs(accuracy - recorded[str(key)]) <= 0.002, (
            key,
            accuracy,
            recorded[str(key)],
        )
