"""Batch-norm recalibration: a column run alone gets statistics of its own, the network
none."""

import keras
import numpy as np
import pytest

from fractalnet import FractalNet, recalibrate_batch_norm, standalone_column_model


def images(n=24, seed=0, loc=2.0):
    return (
        np.random.default_rng(seed)
        .normal(loc, 1.5, size=(n, 8, 8, 1))
        .astype("float32")
    )


def small_net():
    keras.utils.set_random_seed(0)
    return FractalNet(
        num_classes=3, columns=[2, 3], filters=[4, 4], input_shape=(8, 8, 1), seed=0
    )


def norms(model):
    return [
        layer
        for layer in model._flatten_layers()
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def test_statistics_become_the_average_of_the_batch_statistics():
    model, x = small_net(), images()
    recalibrate_batch_norm(model, x, batch_size=8)
    first = model.blocks[0].column_layers(0)[0]  # reads the images directly
    conv = keras.ops.convert_to_numpy(first.conv(x))
    batch_means = [conv[i : i + 8].mean(axis=(0, 1, 2)) for i in range(0, 24, 8)]
    batch_vars = [conv[i : i + 8].var(axis=(0, 1, 2)) for i in range(0, 24, 8)]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(first.norm.moving_mean),
        np.mean(batch_means, axis=0),
        rtol=1e-4,
        atol=1e-5,
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(first.norm.moving_variance),
        np.mean(batch_vars, axis=0),
        rtol=1e-3,
        atol=1e-5,
    )


def test_recalibration_restores_each_layers_momentum_and_trains_no_weight():
    model, x = small_net(), images()
    model(x)
    trainable = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    momenta = [layer.momentum for layer in norms(model)]
    recalibrate_batch_norm(model, x)
    assert [layer.momentum for layer in norms(model)] == momenta
    assert all(
        np.array_equal(a, keras.ops.convert_to_numpy(b))
        for a, b in zip(trainable, model.trainable_weights)
    )


def test_standalone_column_is_a_copy_with_its_own_statistics():
    model, x = small_net(), images()
    model(x)
    shared = model.column_model(2)
    network_stats = [keras.ops.convert_to_numpy(w) for w in model.non_trainable_weights]
    alone = standalone_column_model(model, 2, images(seed=1, loc=-1.0))
    assert [
        keras.ops.convert_to_numpy(w).tolist() for w in model.non_trainable_weights
    ] == [s.tolist() for s in network_stats]  # the network keeps its statistics
    assert alone.count_params() == shared.count_params()
    assert not np.allclose(
        keras.ops.convert_to_numpy(alone(x)), keras.ops.convert_to_numpy(shared(x))
    )
    kernels = [w for w in alone.trainable_weights if "kernel" in w.path]
    shared_kernels = [w for w in shared.trainable_weights if "kernel" in w.path]
    assert all(
        np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
        for a, b in zip(kernels, shared_kernels)
    )


@pytest.mark.parametrize("bad", [np.zeros((0, 8, 8, 1)), np.zeros((8, 8, 1))])
def test_recalibration_refuses_anything_but_a_batch_of_images(bad):
    with pytest.raises(ValueError, match="`x`"):
        recalibrate_batch_norm(small_net(), bad)


def test_recalibration_refuses_a_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        recalibrate_batch_norm(small_net(), images(), batch_size=0)
