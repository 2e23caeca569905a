"""Measure the choices that decide the model training hands back, on validation images.

Issue 22: a FractalNet trained with drop-path drawn once per mini-batch predicted far
below what its weights could, because its batch-normalization statistics followed the
last few sub-networks drawn. This study trains the same small FractalNet (three stages
of three columns, 16/32/64 channels, mixed drop-path) on 10,000 Fashion-MNIST training
images for 5 epochs, and scores each run on the 6,000 validation images twice: with the
moving statistics training left ("as trained") and with statistics recomputed on 2,000
training images, every path taken ("recalibrated"). It varies

- the batch-norm momentum (0.9, 0.99): it never changes the weights (moving statistics
  are not used in training steps), only what the moving averages say;
- drop-path drawn per mini-batch (the authors') or per image;
- the learning-rate schedule over the short run: the paper's halving steps, a cosine
  with a one-epoch warm-up, or two drops (/10 at 1/2 and 3/4);

and, for the schedule, a plain 24-layer network too (a slow starter). Seeds 0 and 1.
The chapters read the table from results/defaults_study.json; the code it ran with is
recorded there. About 25 minutes on two cores.

    python tools/study_defaults.py [results/defaults_study.json]
"""

import json
import os
import pathlib
import platform
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
N_FIT, EPOCHS, BATCH, CALIBRATION = 10_000, 5, 100, 2_000


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = pathlib.Path(argv[0] if argv else ROOT / "results" / "defaults_study.json")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(ROOT))
    import keras
    import numpy as np

    from fractalnet import data
    from fractalnet.model import recalibrate_batch_norm
    from fractalnet.training import (
        HalvingDecay,
        baseline_net,
        image_classifier,
        paper_fractal_net,
    )

    (x_train, y_train), _ = data.load_fashion_mnist()
    (x_fit, y_fit), (x_val, y_val) = data.split_validation(x_train, y_train, 0.1, 0)
    x_fit, y_fit = x_fit[:N_FIT], y_fit[:N_FIT]
    steps = N_FIT // BATCH
    total = steps * EPOCHS

    def schedule(kind):
        if kind == "halving":
            return HalvingDecay(0.02, total)
        if kind == "cosine":
            return keras.optimizers.schedules.CosineDecay(
                0.0, total - steps, warmup_target=0.02, warmup_steps=steps
            )
        boundaries = [total // 2, 3 * total // 4]
        return keras.optimizers.schedules.PiecewiseConstantDecay(
            boundaries, [0.02, 0.002, 0.0002]
        )

    def accuracy(model):
        logits = model.predict(x_val, batch_size=500, verbose=0)
        return float(np.mean(np.argmax(logits, -1) == y_val))

    runs = json.loads(out.read_text())["runs"] if out.exists() else []
    done = {run["name"] for run in runs}

    def run(name, architecture, momentum, per_sample, kind, seed):
        if name in done:
            return
        keras.config.set_dtype_policy("mixed_bfloat16")
        keras.utils.set_random_seed(seed)
        if architecture == "fractalnet":
            model = paper_fractal_net(
                [3, 3, 3],
                [16, 32, 64],
                EPOCHS,
                steps,
                seed=seed,
                block_dropout_rates=None,
                norm_momentum=momentum,
                per_sample_drop_path=per_sample,
            )
            net = model.get_layer("fractalnet")
        else:
            net = baseline_net("plain", [8, 8, 8], [16, 32, 64])
            model = image_classifier(net, (28, 28, 1))
        keras.config.set_dtype_policy("float32")
        model.compile(
            optimizer=keras.optimizers.SGD(schedule(kind), momentum=0.9),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        )
        train = data.make_dataset(
            x_fit, y_fit, BATCH, shuffle=True, augment=True, seed=seed
        )
        start = time.perf_counter()
        history = model.fit(train, epochs=EPOCHS, verbose=0)
        seconds = time.perf_counter() - start
        as_trained = accuracy(model)
        calibration = x_fit[:CALIBRATION].astype("float32")
        if architecture == "fractalnet":
            recalibrate_batch_norm(net, calibration / 255, 100)
        else:
            recalibrate_batch_norm(model, calibration, 100)
        record = {
            "name": name,
            "architecture": architecture,
            "momentum": momentum,
            "per_sample": per_sample,
            "schedule": kind,
            "seed": seed,
            "val_as_trained": as_trained,
            "val_recalibrated": accuracy(model),
            "train_seconds": seconds,
            "final_train_loss": float(history.history["loss"][-1]),
        }
        print(json.dumps(record), flush=True)
        runs.append(record)
        out.write_text(json.dumps(study(runs), indent=1) + "\n")

    # The momentum does not change the weights: 0.99 is measured once per draw kind.
    for per_sample in (False, True):
        for momentum in (0.9, 0.99):
            draws = "sample" if per_sample else "batch"
            run(
                f"fractal_m{momentum}_{draws}_halving_s0",
                "fractalnet",
                momentum,
                per_sample,
                "halving",
                0,
            )
        run(
            f"fractal_m0.9_{draws}_halving_s1",
            "fractalnet",
            0.9,
            per_sample,
            "halving",
            1,
        )
    for seed in (0, 1):
        for kind in ("cosine", "two_drops"):
            run(
                f"fractal_m0.9_batch_{kind}_s{seed}",
                "fractalnet",
                0.9,
                False,
                kind,
                seed,
            )
    for kind in ("halving", "cosine", "two_drops"):
        run(f"plain24_m0.9_{kind}_s0", "plain", 0.9, False, kind, 0)
    return 0


def study(runs):
    """The file's contents: the settings, where they ran, and every run."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "settings": {
            "training_images": N_FIT,
            "validation_images": 6000,
            "epochs": EPOCHS,
            "batch_size": BATCH,
            "calibration_images": CALIBRATION,
            "fractalnet": "block_columns [3, 3, 3], filters [16, 32, 64], mixed "
            "drop-path (local 0.15, global 0.5), no dropout, bfloat16",
            "plain": "8 convs per stage (24 layers), filters [16, 32, 64]",
        },
        "code": commit,
        "machine": f"{os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}",
        "runs": runs,
    }


if __name__ == "__main__":
    sys.exit(main())
