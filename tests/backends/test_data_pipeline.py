"""Chapter 6's input pipeline on the active Keras backend: `make_dataset` feeds `fit`,
`evaluate` and `predict` on TensorFlow, JAX and PyTorch (whose environment, made by
`make backends`, has no TensorFlow)."""

import keras
import numpy as np

from fractalnet.data import make_dataset


def test_a_shuffled_augmented_dataset_feeds_fit_evaluate_and_predict():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (50, 8, 8, 1)).astype("uint8"), rng.integers(0, 3, 50)
    train = make_dataset(
        x, y, batch_size=16, shuffle=True, augment=True, pad_to=10, seed=0
    )
    served = []  # the epoch the dataset serves at each training step
    callbacks = [
        keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs: train.set_epoch(epoch),
            on_train_batch_begin=lambda batch, logs: served.append(train.epoch),
        )
    ]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((10, 10, 1)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3),
        ]
    )
    model.compile(
        "sgd",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(train, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
    assert np.isfinite(history.history["loss"]).all()
    # one step per batch, the last one of 2 images
    assert (
        int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == len(train) == 4
    )
    assert served == [0] * 4
    scores = model.evaluate(make_dataset(x, y, batch_size=16, pad_to=10), verbose=0)
    assert np.isfinite(scores).all()
    assert model.predict(train, verbose=0).shape == (50, 3)
