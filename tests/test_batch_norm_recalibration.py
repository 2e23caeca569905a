"""Batch-norm recalibration: a column run alone gets statistics of its own, the network
none."""

import keras
import numpy as np
import pytest

import fractalnet
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


def raw_image_model(net):
    """What the book hands out: a model taking raw images (0-255) around the network."""
    from fractalnet.training import image_classifier

    return image_classifier(net, (8, 8, 1))


def statistics(model):
    return [
        keras.ops.convert_to_numpy(v).copy()
        for layer in norms(model)
        for v in (layer.moving_mean, layer.moving_variance)
    ]


def test_recalibrating_the_handed_out_model_takes_every_path_like_the_network():
    # With drop-path always global, a recalibration that drew would see one column.
    x = images()
    net = FractalNet(
        num_classes=3,
        columns=[2, 3],
        filters=[4, 4],
        input_shape=(8, 8, 1),
        local_drop_rate=0.0,
        global_ratio=1.0,
        seed=0,
    )
    twin = fractalnet.copy_model(net)
    recalibrate_batch_norm(raw_image_model(net), 255 * x, batch_size=8)
    recalibrate_batch_norm(twin, x, batch_size=8)
    for ours, theirs in zip(statistics(net), statistics(twin)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    # and every conv ran: a conv skipped by a global draw would keep mean 0, variance 1
    for layer in norms(net):
        assert not np.allclose(keras.ops.convert_to_numpy(layer.moving_variance), 1.0)


def test_recalibration_draws_nothing_and_restores_dropout():
    net = FractalNet(
        num_classes=3,
        columns=[2, 3],
        filters=[4, 4],
        input_shape=(8, 8, 1),
        block_dropout_rates=[0.3, 0.3],
        seed=0,
    )
    seeds = [v for v in net.variables if v.path.endswith("seed_generator_state")]
    before = [keras.ops.convert_to_numpy(v).copy() for v in seeds]
    recalibrate_batch_norm(net, images(), batch_size=8)
    after = [keras.ops.convert_to_numpy(v) for v in seeds]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    rates = [
        layer.rate
        for layer in net._flatten_layers()
        if isinstance(layer, keras.layers.Dropout)
    ]
    assert rates and all(rate == 0.3 for rate in rates)
    assert net.sample_drop_path


def test_a_standalone_column_of_the_handed_out_model_takes_raw_images():
    net, x = small_net(), images()
    alone = standalone_column_model(raw_image_model(net), [0, 2], 255 * x, batch_size=8)
    expected = standalone_column_model(net, [0, 2], x, batch_size=8)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(alone(255 * x)),
        keras.ops.convert_to_numpy(expected(x)),
        rtol=1e-4,
        atol=1e-4,
    )


def test_the_callback_hands_back_statistics_that_describe_the_whole_network():
    # Mixed drop-path drawn per mini-batch; after `fit`, the moving statistics are those
    # of every path on the calibration images, not of the last sub-networks drawn.
    from fractalnet.training import RecalibrateBatchNorm

    x = images(64)
    y = (x.mean(axis=(1, 2, 3)) > 2.0).astype("int32")
    net = small_net()
    fractalnet.compile_classifier(net, 0.05)
    history = net.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        validation_data=(x, y),
        verbose=0,
        callbacks=[RecalibrateBatchNorm(x[:32], batch_size=8)],
    )
    twin = recalibrate_batch_norm(fractalnet.copy_model(net), x[:32], batch_size=8)
    for ours, theirs in zip(statistics(net), statistics(twin)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    # the last validation already scored the recalibrated network
    logits = keras.ops.convert_to_numpy(net(x, training=False))
    accuracy = float(np.mean(np.argmax(logits, -1) == y))
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy, abs=1e-6)


def test_a_block_with_its_own_drop_path_is_recalibrated_with_every_path():
    # A model of a bare FractalBlock that samples drop-path itself (always global): its
    # recalibration takes every column, as a FractalNet's does.
    from fractalnet import DropPath, FractalBlock

    inputs = keras.Input((8, 8, 1))
    block = FractalBlock(3, 4, drop_path=DropPath(0.0, 1.0, seed=0))
    model = keras.Model(inputs, block(inputs))
    recalibrate_batch_norm(model, images(), batch_size=8)
    for layer in norms(model):
        assert not np.allclose(keras.ops.convert_to_numpy(layer.moving_variance), 1.0)
    assert block.sample_drop_path
