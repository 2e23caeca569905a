"""FractalNet on the active Keras backend: forward, training, drop-path, columns,
saving.

Runs with whatever `KERAS_BACKEND` is set (TensorFlow by default), and never imports a
backend itself, so the same file checks TensorFlow, JAX and PyTorch:

    python -m pytest tests/backends  # TensorFlow
    KERAS_BACKEND=jax PYTHONPATH=. .venv-backends/bin/python -m pytest \
        tests/backends -p no:cacheprovider
    KERAS_BACKEND=torch PYTHONPATH=. .venv-backends/bin/python -m pytest \
        tests/backends -p no:cacheprovider
"""

import keras
import numpy as np
import pytest

from fractalnet import FractalNet, create_fractal_net

SHAPE = (8, 8, 3)


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n,) + SHAPE).astype("float32"), (np.arange(n) % 3).astype(
        "int32"
    )


@pytest.fixture(scope="module")
def trained():
    """A small compiled FractalNet (blocks of 2 and 3 columns) after two epochs of
    `fit`."""
    keras.utils.set_random_seed(0)
    model = create_fractal_net(
        "micro",
        num_classes=3,
        input_shape=SHAPE,
        columns=(2, 3),
        filters=(4, 8),
        learning_rate=0.05,
        seed=0,
    )
    x, y = data()
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    return model, history


def test_backend_is_the_one_requested():
    import os

    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")


def test_forward_pass_gives_logits_per_class():
    model = FractalNet(num_classes=3, columns=(2, 3), filters=(4, 8), input_shape=SHAPE)
    x, _ = data(n=2)
    logits = model(x)
    assert tuple(logits.shape) == (2, 3) and np.all(np.isfinite(to_numpy(logits)))
    assert tuple(model.column_model(2)(x).shape) == (2, 3)


def test_fit_trains_with_finite_falling_loss(trained):
    model, history = trained
    losses = history.history["loss"]
    assert len(losses) == 2 and all(np.isfinite(losses)) and losses[1] < losses[0]
    assert int(to_numpy(model.optimizer.iterations)) == 4


def test_drop_path_draws_a_new_sub_network_at_every_training_step():
    # With a zero learning rate the weights never move, so the training loss of one
    # batch can only change between steps if drop-path picked another sub-network (here:
    # another column).
    model = create_fractal_net(
        "micro",
        num_classes=3,
        input_shape=SHAPE,
        columns=(2, 3),
        filters=(4, 8),
        learning_rate=1e-12,
        local_drop_rate=0.0,
        global_ratio=1.0,
        seed=1,
    )
    x, y = data()
    losses = {round(float(model.train_on_batch(x, y)[0]), 4) for _ in range(8)}
    assert len(losses) > 1, "drop-path chose the same sub-network at every step"


def test_inference_is_deterministic_and_equals_the_mean_of_all_columns(trained):
    model, _ = trained
    x, _ = data(n=3)
    first, second = (
        to_numpy(model(x, training=False)),
        to_numpy(model(x, training=False)),
    )
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(to_numpy(model(x, columns=[0, 1, 2])), first, atol=1e-5)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_column_model_equals_the_model_with_only_that_column(trained, k):
    model, _ = trained
    x, _ = data(n=3)
    np.testing.assert_allclose(
        to_numpy(model.column_model(k)(x)), to_numpy(model(x, columns=k)), atol=1e-5
    )


def test_keras_file_round_trip_with_safe_mode_gives_identical_predictions(
    trained, tmp_path
):
    model, _ = trained
    path = tmp_path / "fractalnet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x, y = data(n=5, seed=1)
    assert type(loaded) is FractalNet
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    assert np.isfinite(loaded.train_on_batch(x, y)[0])  # the optimizer came back too


def test_bad_input_channels_raise_before_any_computation():
    model = FractalNet(num_classes=3, columns=(2,), filters=(4,), input_shape=SHAPE)
    with pytest.raises(ValueError, match=r"\(batch, height, width, 3\)"):
        model(np.zeros((1, 8, 8, 1), "float32"))


def test_standalone_column_recomputes_statistics_and_leaves_the_network_alone(trained):
    from fractalnet import standalone_column_model

    model, _ = trained
    x, _ = data(n=16, seed=3)
    before = [to_numpy(w) for w in model.weights]
    alone = standalone_column_model(model, model.num_columns - 1, x, batch_size=4)
    assert all(np.array_equal(a, to_numpy(b)) for a, b in zip(before, model.weights))
    assert to_numpy(alone(x)).shape == (16, 3)


# --- computing only what drop-path keeps (skip_dropped) -------------------------------


def twin_models(**kwargs):
    """Two FractalNets with the same weights and drop-path seed: one skips dropped
    columns, one masks."""
    settings = dict(
        num_classes=3,
        columns=(2, 3),
        filters=(4, 4),
        input_shape=SHAPE,
        local_drop_rate=0.15,
        seed=3,
    )
    settings.update(kwargs)
    keras.utils.set_random_seed(0)
    skip, dense = (
        FractalNet(skip_dropped=True, **settings),
        FractalNet(skip_dropped=False, **settings),
    )
    dense.set_weights(skip.get_weights())
    for model in (skip, dense):
        model.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
    return skip, dense


@pytest.mark.parametrize("global_ratio", [1.0, 0.5, 0.0])
def test_skipping_dropped_columns_gives_the_masked_losses_and_gradients(global_ratio):
    # The same seed draws the same sub-network in both at every step; an SGD step (lr
    # 0.1, no momentum) moves each weight by 0.1 x its gradient, so equal weights mean
    # equal gradients.
    skip, dense = twin_models(global_ratio=global_ratio)
    x, y = data()
    for _ in range(6):
        np.testing.assert_allclose(
            skip.train_on_batch(x, y), dense.train_on_batch(x, y), rtol=1e-5, atol=1e-6
        )
        for a, b in zip(skip.trainable_weights, dense.trainable_weights):
            np.testing.assert_allclose(
                to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-6, err_msg=a.path
            )
    assert np.array_equal(
        to_numpy(skip.drop_path.seed_generator.state),
        to_numpy(dense.drop_path.seed_generator.state),
    ), "the draws went out of step"


def convs_whose_statistics_moved(model, step):
    convs = [conv for block in model.blocks for conv in block.conv_blocks]
    before = [to_numpy(conv.norm.moving_mean).copy() for conv in convs]
    step()
    return {
        conv.path
        for conv, old in zip(convs, before)
        if not np.array_equal(old, to_numpy(conv.norm.moving_mean))
    }


def test_a_global_step_that_skips_updates_the_statistics_of_its_own_column_only():
    skip, dense = twin_models(global_ratio=1.0, local_drop_rate=0.0)
    x, _ = data()
    columns = {
        frozenset(
            conv.path
            for block, k in zip(skip.blocks, skip._block_subsets(column))
            for conv in block.column_layers(k[0])
        )
        for column in range(skip.num_columns)
    }
    for _ in range(4):
        moved = convs_whose_statistics_moved(skip, lambda: skip(x, training=True))
        assert moved in columns, (
            f"a global step moved the statistics of {sorted(moved)}"
        )
        assert (
            len(convs_whose_statistics_moved(dense, lambda: dense(x, training=True)))
            == dense.num_convs
        )


def test_mixed_precision_reaches_every_layer_and_round_trips(tmp_path):
    from fractalnet import ConvBlock, FractalBlock

    x, y = data()
    for layer in (
        ConvBlock(4, dropout_rate=0.1, dtype="mixed_float16"),
        FractalBlock(3, 4, dtype="mixed_float16"),
    ):
        out = layer(x, training=True)
        assert keras.backend.standardize_dtype(out.dtype) == "float16", type(
            layer
        ).__name__
        assert {v.dtype for v in layer.weights} == {"float32"}
    keras.utils.set_random_seed(0)
    model = create_fractal_net(
        "micro",
        num_classes=3,
        input_shape=SHAPE,
        columns=(2, 3),
        filters=(4, 8),
        seed=0,
        dtype="mixed_float16",
    )
    assert {
        layer.compute_dtype for block in model.blocks for layer in block.conv_blocks
    } == {"float16"}
    # global steps skip dropped columns in float16 too
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert keras.backend.standardize_dtype(model(x).dtype) == "float32"  # logits
    path = tmp_path / "mixed.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.blocks[0].conv_blocks[0].conv.compute_dtype == "float16"
    np.testing.assert_array_equal(
        to_numpy(loaded.predict(x, verbose=0)), to_numpy(model.predict(x, verbose=0))
    )


def test_depths_from_another_library_is_refused_with_a_pointer_to_columns():
    with pytest.raises(
        TypeError,
        match=r"no `depths` argument: pass `columns`.*Received: depths=\[2, 3, 4, 2\]",
    ):
        FractalNet(
            num_classes=50,
            depths=[2, 3, 4, 2],
            filters=[32, 64, 128, 256],
            input_shape=(128, 128, 3),
        )
