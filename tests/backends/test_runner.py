"""The book's one experiment pipeline on the active Keras backend: `run_experiment`
loads, splits, trains (with drop-path, the recalibration of batch norm, the column
scores and the checkpoints), scores and writes on TensorFlow, JAX and PyTorch alike; the
backends' environment (`make backends`) has no TensorFlow."""

import json

import keras
import numpy as np

from fractalnet.runner import run_experiment


def test_an_experiment_runs_and_its_model_reloads_without_tensorflow(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (260, 8, 8, 1)).astype("uint8")
    labels = (images.mean(axis=(1, 2, 3)) > 127).astype("int64")
    np.savez(
        tmp_path / "small.npz",
        x_train=images[:200],
        y_train=labels[:200],
        x_test=images[200:],
        y_test=labels[200:],
    )
    config = {
        "data": str(tmp_path / "small.npz"),
        "block_columns": [2, 2],
        "filters": [4, 8],
        "epochs": 2,
        "batch_size": 20,
    }
    result = run_experiment(config, tmp_path / "run", verbose=0)
    scores = result["scores"]
    assert set(scores["column_test_accuracy"]) == {"0", "1", "all"}
    assert scores["column_test_accuracy"]["all"] == scores["test_accuracy"]
    assert len(result["history"]["epoch"]) == 2
    assert np.isfinite(result["history"]["sample_loss"]).all()
    stored = json.loads((tmp_path / "run" / "config.json").read_text())
    assert stored["finished"] and stored["backend"] == keras.backend.backend()
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    predicted = np.argmax(model.predict(images[200:], verbose=0), -1)
    assert np.mean(predicted == labels[200:]) == scores["test_accuracy"]
