"""Chapter 7's measures: per-column scoring with two kinds of statistics, the cost
table, and the experiments it registers."""

import keras
import numpy as np
import pytest

from fractalnet import FractalNet, standalone_column_model
from fractalnet.claims import (
    PreciseColumns,
    anytime_table,
    score_columns,
    seconds_per_image,
)
from fractalnet.cost import conv_count, conv_macs
from fractalnet.layers import ConvBlock
from fractalnet.experiments import DROP_PATH_SETTINGS, EXPERIMENTS
from fractalnet.training import PAPER_RECIPE, baseline_net


@pytest.fixture(scope="module")
def trained():
    """A small FractalNet trained a few steps on a learnable toy task, so its statistics
    moved."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, (96, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
    net = FractalNet(
        num_classes=2, columns=[3, 2], filters=[4, 6], input_shape=(8, 8, 1), seed=0
    )
    net.compile(
        optimizer=keras.optimizers.SGD(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    net.fit(x, y, batch_size=16, epochs=2, verbose=0)
    return net, x, y


def _weights_and_statistics(model):
    return [keras.ops.convert_to_numpy(v).copy() for v in model.variables]


def test_a_precise_subset_model_recalibrates_a_copy_and_leaves_the_network_alone(
    trained,
):
    net, x, _ = trained
    before = _weights_and_statistics(net)
    # A subset with joins (copied through its configuration); one batch of statistics.
    pair = standalone_column_model(net, [0, 2], x, batch_size=len(x))
    assert all(
        np.array_equal(a, b) for a, b in zip(before, _weights_and_statistics(net))
    )
    inside = keras.ops.convert_to_numpy(net(x, columns=[0, 2], training=False))
    assert pair.count_params() == net.column_model([0, 2]).count_params()
    # other statistics...
    assert not np.allclose(keras.ops.convert_to_numpy(pair(x)), inside)
    # ...the subset's own: recomputed from a pass of the subset over x, in training
    # mode.
    batch = keras.ops.convert_to_numpy(net(x, columns=[0, 2], training=True))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(pair(x)), batch, atol=1e-4)


def test_for_one_column_it_is_chapter_5s_standalone_model(trained):
    net, x, _ = trained
    ours = keras.ops.convert_to_numpy(standalone_column_model(net, 2, x)(x))
    chapter5 = keras.ops.convert_to_numpy(standalone_column_model(net, 2, x)(x))
    np.testing.assert_allclose(ours, chapter5, atol=1e-5)


def test_precise_columns_builds_each_subset_once_and_runs_it_like_a_precise_model(
    trained,
):
    net, x, _ = trained
    precise = PreciseColumns(net, x, batch_size=32)
    assert precise.model([2, 0]) is precise.model(
        (0, 2)
    ) and precise.model() is precise.model([0, 1, 2])
    expected = keras.ops.convert_to_numpy(
        standalone_column_model(net, [0, 2], x, 32)(x)
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(precise(x, columns=[0, 2])), expected, atol=1e-5
    )
    with pytest.raises(ValueError, match="batch_size"):
        PreciseColumns(net, x, batch_size=0)


def test_score_columns_reports_both_statistics_for_each_subset(trained):
    net, x, y = trained
    precise = PreciseColumns(net, x, batch_size=32)
    scores = score_columns(precise, x, y, subsets=[0, 2, (0, 2), "all"], batch_size=32)
    assert list(scores) == [0, 2, (0, 2), "all"]
    for subset, score in scores.items():
        columns = list(range(3)) if subset == "all" else subset
        inside = np.argmax(
            keras.ops.convert_to_numpy(net(x, columns=columns, training=False)), -1
        )
        assert score["network_bn"] == pytest.approx(np.mean(inside == y))
        alone = np.argmax(
            keras.ops.convert_to_numpy(standalone_column_model(net, columns, x, 32)(x)),
            -1,
        )
        assert score["precise_bn"] == pytest.approx(np.mean(alone == y))
    assert list(score_columns(precise, x, y)) == [0, 1, 2, "all"]
    with pytest.raises(TypeError, match="PreciseColumns"):
        score_columns(net, x, y)


def test_anytime_table_prices_each_subset(trained):
    net, x, y = trained
    rows = anytime_table(
        PreciseColumns(net, x), [0, 1, 2, (0, 2), (0, 1, 2)], x, y, x[:8], batch_size=32
    )
    by_columns = {row["columns"]: row for row in rows}
    assert set(by_columns) == {(0,), (1,), (2,), (0, 2), (0, 1, 2)}
    for columns, row in by_columns.items():
        assert (row["convs"], row["depth"]) == conv_count(net, columns)
        assert row["macs"] == conv_macs(net, columns) and row["ms_per_image"] > 0
        assert 0 <= row["network_bn"] <= 1 and 0 <= row["precise_bn"] <= 1
    # Columns share no conv: a subset costs the sum of its columns, and all of them the
    # whole net.
    assert (
        by_columns[(0, 2)]["macs"]
        == by_columns[(0,)]["macs"] + by_columns[(2,)]["macs"]
    )
    assert by_columns[(0, 1, 2)]["macs"] == conv_macs(net)
    # Network column 2 runs the first stage's deepest column (4 convs) and the second's
    # (2).
    assert (
        by_columns[(2,)]["depth"] == 4 + 2 and by_columns[(0, 1, 2)]["convs"] == 7 + 3
    )


def test_seconds_per_image_checks_its_arguments(trained):
    net, x, _ = trained
    assert 0 < seconds_per_image(net.column_model(0), x[:4], repeats=2) < 10
    with pytest.raises(ValueError, match="repeats"):
        seconds_per_image(net, x[:4], repeats=0)
    with pytest.raises(ValueError, match="at least one image"):
        seconds_per_image(net, x[:0])


def test_the_ablation_differs_only_in_drop_path():
    configs = {
        setting: EXPERIMENTS[f"ablation_{setting}"] for setting in DROP_PATH_SETTINGS
    }
    drop_path = ("local_drop_rate", "global_ratio")
    kwargs = {
        setting: {key: config[key] for key in drop_path}
        for setting, config in configs.items()
    }
    rest = [
        {key: value for key, value in config.items() if key not in drop_path}
        for config in configs.values()
    ]
    assert all(config == rest[0] for config in rest)
    nets = {
        setting: FractalNet(
            columns=configs["mixed"]["block_columns"],
            filters=configs["mixed"]["filters"],
            input_shape=(28, 28, 1),
            **kwargs[setting],
        )
        for setting in kwargs
    }
    assert nets["none"].drop_path is None
    local, global_, mixed = (nets[s].drop_path for s in ("local", "global", "mixed"))
    assert (local.local_drop_rate, local.global_ratio) == (
        PAPER_RECIPE["local_drop_rate"],
        0.0,
    )
    assert global_.global_ratio == 1.0
    assert (mixed.local_drop_rate, mixed.global_ratio) == (
        PAPER_RECIPE["local_drop_rate"],
        PAPER_RECIPE["global_ratio"],
    )


@pytest.mark.parametrize("depth", [6, 12, 24, 48])
def test_each_plain_network_is_one_column_of_the_four_column_fractalnet(depth):
    config = EXPERIMENTS[f"plain_{depth}"]
    plain = baseline_net(
        "plain", config["baseline_blocks"], config["filters"], image_shape=(28, 28, 1)
    )
    assert sum(isinstance(layer, ConvBlock) for layer in plain.layers) == depth
    # its fractal partner would need 5 columns (93 convs per stage): not trained
    if depth == 48:
        return
    teacher = EXPERIMENTS["columns_4"]
    assert teacher["filters"] == config["filters"]
    net = FractalNet(
        columns=teacher["block_columns"],
        filters=teacher["filters"],
        input_shape=(28, 28, 1),
    )
    column = (depth // 3).bit_length() - 1  # column k has 2**k convs per stage
    assert conv_count(net, column) == (depth, depth)
    assert conv_macs(net, column) == conv_macs(plain)
