"""Tests of chapter 4's drop-path: invariants, frequencies, determinism,
serialization."""

import itertools
import math

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fractalnet
from fractalnet.drop_path import DropPath, sample_global_column, sample_local_keep
from fractalnet.layers import FractalBlock, fractal_joins

# each statistical test fails wrongly with at most this probability
FALSE_FAILURE = 1e-6


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def hoeffding(n_draws, checks=1):
    """Half-width t with P(|mean - p| >= t) <= FALSE_FAILURE, Bonferroni-split over
    `checks`."""
    return math.sqrt(math.log(2 * checks / FALSE_FAILURE) / (2 * n_draws))


def survive_theory(n, p):
    return (1 - p) + p**n / n


# --- docs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["DropPath", "sample_local_keep", "sample_global_column"]
)
def test_drop_path_docstrings_name_chapter_4(name):
    assert (
        "Defined in chapter 4 (book/04_drop_path.ipynb)."
        in getattr(fractalnet, name).__doc__
    )


@pytest.mark.parametrize(
    "function", [sample_local_keep, sample_global_column, DropPath.sample]
)
def test_drop_path_functions_document_args_returns_and_an_example(function):
    doc = function.__doc__
    assert "Args:" in doc and "Returns:" in doc and "Example:" in doc and ">>> " in doc


# --- invariants under property testing ------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    columns=st.integers(1, 5),
    blocks=st.integers(1, 3),
    rate=st.floats(0.0, 0.99),
    ratio=st.floats(0.0, 1.0),
    per_sample=st.booleans(),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_every_draw_keeps_at_least_one_input_and_global_is_one_column_everywhere(
    columns, blocks, rate, ratio, per_sample, batch, seed
):
    drop_path = DropPath(
        local_drop_rate=rate, global_ratio=ratio, per_sample=per_sample, seed=seed
    )
    draw = drop_path.sample(columns, blocks, batch_size=batch)
    joins = fractal_joins(columns)
    keep = [[to_numpy(m) for m in block] for block in draw["keep"]]
    is_global = np.broadcast_to(to_numpy(draw["is_global"]), (batch,))
    column = np.broadcast_to(to_numpy(draw["column"]), (batch,))
    assert len(keep) == blocks and all(len(block) == len(joins) for block in keep)
    for block in keep:
        for members, mask in zip(joins, block):
            rows = np.broadcast_to(mask, (batch, len(members)))
            assert mask.shape == (
                (batch, len(members)) if per_sample else (len(members),)
            )
            assert set(np.unique(rows)) <= {0.0, 1.0}
            assert (rows.sum(axis=-1) >= 1).all()  # never zero survivors
    for sample in range(batch):
        if not is_global[sample]:
            continue
        k = column[sample]
        assert 0 <= k < columns
        # the same column in every block, kept alone at each of its joins
        for block in keep:
            for members, mask in zip(joins, block):
                row = np.broadcast_to(mask, (batch, len(members)))[sample]
                if k in members:
                    assert row.tolist() == [float(m == k) for m in members]


@settings(max_examples=15, deadline=None)
@given(
    columns=st.integers(1, 4),
    blocks=st.integers(1, 3),
    per_sample=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_inference_masks_are_all_ones(columns, blocks, per_sample, seed):
    drop_path = DropPath(
        local_drop_rate=0.9, global_ratio=0.5, per_sample=per_sample, seed=seed
    )
    masks = drop_path(
        keras.ops.ones((3, 4, 4, 1)), columns=columns, blocks=blocks, training=False
    )
    assert len(masks) == blocks
    for block in masks:
        assert [to_numpy(m).tolist() for m in block] == [
            [1.0] * len(m) for m in fractal_joins(columns)
        ]


@settings(max_examples=10, deadline=None)
@given(columns=st.integers(1, 4), seed=st.integers(0, 1000))
def test_block_at_inference_is_the_plain_mean_whatever_its_drop_path(columns, seed):
    keras.utils.set_random_seed(seed)
    x = keras.random.normal((2, 5, 5, 2), seed=seed)
    block = FractalBlock(
        columns=columns, filters=2, drop_path=DropPath(local_drop_rate=0.5, seed=seed)
    )
    plain = to_numpy(
        block(x, training=False, join_keep=[np.ones(len(m)) for m in block.joins])
    )
    for _ in range(2):
        np.testing.assert_allclose(
            to_numpy(block(x, training=False)), plain, rtol=1e-6, atol=1e-6
        )


def test_local_keep_with_zero_rate_keeps_everything():
    keep = to_numpy(
        sample_local_keep(4, 0.0, keras.random.SeedGenerator(0), batch_size=50)
    )
    assert (keep == 1).all()


# --- global drop-path is one column for the whole network -----------------------------


@pytest.mark.parametrize("columns", [2, 3, 4])
def test_global_draw_runs_exactly_the_chosen_column(columns):
    keras.utils.set_random_seed(columns)
    block = FractalBlock(columns=columns, filters=3)
    x = keras.random.normal((2, 6, 6, 2), seed=1)
    drop_path = DropPath(global_ratio=1.0, seed=columns)
    seen = set()
    for _ in range(12):
        draw = drop_path.sample(columns)
        k = int(draw["column"])
        seen.add(k)
        np.testing.assert_allclose(
            to_numpy(block(x, join_keep=draw["keep"][0])),
            to_numpy(block(x, columns=k)),
            rtol=1e-6,
            atol=1e-6,
        )
    assert len(seen) > 1


def local_mask_probabilities(n, p):
    """P(mask) of every 0/1 mask of an n-way join under local drop-path at rate p (with
    the rescue)."""
    probabilities = {}
    for mask in itertools.product((0, 1), repeat=n):
        kept = sum(mask)
        if kept:
            probabilities[mask] = p ** (n - kept) * (1 - p) ** kept + (
                p**n / n if kept == 1 else 0.0
            )
    return probabilities


def test_local_masks_are_drawn_independently_in_each_block():
    # Two blocks drawing independently agree at every join with probability
    # prod_joins sum_m P(m)**2 (0.05 here); a sampler that copied block 0's masks would
    # agree always.
    draws, columns, rate = 4000, 3, 0.5
    draw = DropPath(
        local_drop_rate=rate, global_ratio=0.0, per_sample=True, seed=21
    ).sample(columns, blocks=3, batch_size=draws)
    keep = [[to_numpy(m) for m in block] for block in draw["keep"]]
    theory = np.prod(
        [
            sum(q**2 for q in local_mask_probabilities(len(j), rate).values())
            for j in fractal_joins(columns)
        ]
    )
    bound = hoeffding(draws, checks=2)
    for other in (1, 2):
        agree = np.all(
            [(keep[0][j] == keep[other][j]).all(axis=1) for j in range(len(keep[0]))],
            axis=0,
        )
        assert abs(agree.mean() - theory) < bound, (other, agree.mean(), theory)
    assert theory + bound < 0.5


def test_per_batch_local_masks_differ_between_blocks():
    drop_path = DropPath(local_drop_rate=0.5, global_ratio=0.0, seed=22)
    same = 0
    for _ in range(60):
        first, second = drop_path.sample(3, blocks=2)["keep"]
        same += all(
            np.array_equal(to_numpy(a), to_numpy(b)) for a, b in zip(first, second)
        )
    # independent blocks agree about 5% of the time; copies would agree always
    assert same < 30


def test_global_draw_shares_the_column_across_blocks_of_a_network():
    keras.utils.set_random_seed(5)
    first, second = (
        FractalBlock(columns=3, filters=3),
        FractalBlock(columns=3, filters=3),
    )
    x = keras.random.normal((2, 6, 6, 2), seed=2)
    drop_path = DropPath(global_ratio=1.0, seed=11)
    for _ in range(8):
        draw = drop_path.sample(columns=3, blocks=2)
        k = int(draw["column"])
        y = second(first(x, join_keep=draw["keep"][0]), join_keep=draw["keep"][1])
        expected = second(first(x, columns=k), columns=k)
        np.testing.assert_allclose(
            to_numpy(y), to_numpy(expected), rtol=1e-6, atol=1e-6
        )


def test_per_sample_global_draw_runs_each_samples_own_column():
    keras.utils.set_random_seed(6)
    block = FractalBlock(columns=3, filters=2)
    x = keras.random.normal((16, 5, 5, 2), seed=3)
    draw = DropPath(global_ratio=1.0, per_sample=True, seed=12).sample(3, batch_size=16)
    columns = to_numpy(draw["column"])
    assert len(set(columns.tolist())) > 1
    y = to_numpy(block(x, join_keep=draw["keep"][0]))
    alone = [to_numpy(block(x, columns=k)) for k in range(3)]
    for sample, k in enumerate(columns):
        np.testing.assert_allclose(y[sample], alone[k][sample], rtol=1e-6, atol=1e-6)


# --- statistics, with a stated false-failure rate -------------------------------------


def test_local_survival_frequency_matches_theory_with_the_rescue():
    draws = 20_000
    cases = [(2, 0.5), (3, 0.5), (4, 0.5), (2, 0.15), (3, 0.9)]
    generator = keras.random.SeedGenerator(123)
    bound = hoeffding(draws, checks=sum(n for n, _ in cases))
    for n, p in cases:
        keep = to_numpy(sample_local_keep(n, p, generator, batch_size=draws))
        assert (keep.sum(axis=1) >= 1).all()
        for i in range(n):  # every input, the same law: (1 - p) + p**n / n
            assert abs(keep[:, i].mean() - survive_theory(n, p)) < bound, (n, p, i)
    # the bound is tight enough to tell the rescue from plain dropout at these rates
    assert survive_theory(2, 0.5) - 0.5 > 2 * bound


@pytest.mark.parametrize("ratio", [0.5, 0.2])
def test_global_fraction_and_column_choice_match_theory(ratio):
    draws, columns = 20_000, 4
    draw = DropPath(global_ratio=ratio, per_sample=True, seed=7).sample(
        columns, batch_size=draws
    )
    is_global = to_numpy(draw["is_global"])
    column = to_numpy(draw["column"])
    bound = hoeffding(draws, checks=1 + columns)
    assert abs(is_global.mean() - ratio) < bound
    for k in range(columns):
        assert abs(np.mean(column == k) - 1 / columns) < bound


def test_per_batch_draws_mix_local_and_global_over_calls():
    calls = 300
    drop_path = DropPath(global_ratio=0.5, seed=8)
    draws = [drop_path.sample(3) for _ in range(calls)]
    is_global = np.array([bool(d["is_global"]) for d in draws])
    assert abs(is_global.mean() - 0.5) < hoeffding(calls)
    assert len({int(d["column"]) for d, g in zip(draws, is_global) if g}) == 3


def test_per_batch_mode_shares_one_decision_across_the_batch():
    masks = DropPath(local_drop_rate=0.5, seed=9)(
        keras.ops.ones((32, 4, 4, 1)), columns=4, training=True
    )
    assert [tuple(m.shape) for m in masks[0]] == [(len(m),) for m in fractal_joins(4)]


# --- determinism and call-time randomness ---------------------------------------------


def draw_sequence(drop_path, n=10):
    return [
        [to_numpy(m).tolist() for m in drop_path.sample(4, 2)["keep"][1]]
        for _ in range(n)
    ]


def test_same_seed_gives_the_same_draws_and_different_seeds_differ():
    assert draw_sequence(DropPath(local_drop_rate=0.4, seed=1)) == draw_sequence(
        DropPath(local_drop_rate=0.4, seed=1)
    )
    assert draw_sequence(DropPath(local_drop_rate=0.4, seed=1)) != draw_sequence(
        DropPath(local_drop_rate=0.4, seed=2)
    )


def test_block_draws_a_new_subnetwork_at_each_training_call():
    keras.utils.set_random_seed(7)
    block = FractalBlock(
        columns=3, filters=2, drop_path=DropPath(local_drop_rate=0.5, seed=3)
    )
    x = keras.random.normal((2, 5, 5, 2), seed=4)
    outputs = {to_numpy(block(x, training=True)).round(5).tobytes() for _ in range(8)}
    assert len(outputs) > 2


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="tf.function is TensorFlow's"
)
def test_randomness_is_not_frozen_when_compiled():
    import tensorflow as tf

    drop_path = DropPath(global_ratio=1.0, seed=5)
    compiled = tf.function(lambda x: drop_path(x, columns=4, training=True)[0][-1])
    x = tf.ones((2, 3))
    finals = {tuple(compiled(x).numpy().tolist()) for _ in range(20)}
    assert len(finals) > 1  # the global column changes from call to call


class StepLosses(keras.callbacks.Callback):
    """Records the running-mean loss that `fit` reports after each step."""

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


@pytest.mark.parametrize("per_sample", [False, True])
def test_fit_draws_new_masks_at_every_step_and_trains_the_weights(per_sample):
    keras.utils.set_random_seed(8)
    inputs = keras.Input((6, 6, 2))
    x = FractalBlock(
        columns=3,
        filters=3,
        drop_path=DropPath(global_ratio=1.0, per_sample=per_sample, seed=1),
    )(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(4, 6, 6, 2)).astype("float32")
    before = [to_numpy(w) for w in model.trainable_weights]

    # Learning rate 0 and one batch repeated: the weights stay put, so the loss can only
    # change from step to step if drop-path drew other masks (here: another column)
    # inside `fit`.
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    steps = StepLosses()
    model.fit(
        np.concatenate([batch] * 8),
        np.ones((32, 1)),
        batch_size=4,
        shuffle=False,
        epochs=1,
        verbose=0,
        callbacks=[steps],
    )
    assert len(steps.losses) == 8
    assert len({round(loss, 6) for loss in steps.losses}) > 1, (
        "the same masks at every step"
    )
    for old, new in zip(before, model.trainable_weights):
        np.testing.assert_array_equal(old, to_numpy(new))

    # A real learning rate: `fit` moves the weights (with a short last batch).
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(
        rng.normal(size=(10, 6, 6, 2)).astype("float32"),
        np.ones((10, 1)),
        batch_size=4,
        epochs=1,
        verbose=0,
    )
    assert np.isfinite(history.history["loss"][0])
    assert any(
        not np.allclose(old, to_numpy(new))
        for old, new in zip(before, model.trainable_weights)
    )


# --- arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate,error",
    [
        (1.0, ValueError),
        (-0.1, ValueError),
        (1.5, ValueError),
        (float("nan"), ValueError),
        (True, TypeError),
        ("0.1", TypeError),
    ],
)
def test_local_rate_outside_zero_one_is_rejected(rate, error):
    with pytest.raises(
        error,
        match=r"`local_drop_rate` to be a float in \[0, 1\). Received: local_drop_rate",
    ):
        DropPath(local_drop_rate=rate)


@pytest.mark.parametrize("ratio", [1.5, -0.1, float("inf")])
def test_global_ratio_outside_zero_one_is_rejected(ratio):
    with pytest.raises(
        ValueError,
        match=r"`global_ratio` to be a float in \[0, 1\]. Received: global_ratio=",
    ):
        DropPath(global_ratio=ratio)


def test_global_ratio_of_one_and_rate_of_zero_are_allowed():
    drop_path = DropPath(local_drop_rate=0, global_ratio=1)
    assert (drop_path.local_drop_rate, drop_path.global_ratio) == (0.0, 1.0)


@pytest.mark.parametrize(
    "columns,error",
    [(0, ValueError), (13, ValueError), (2.0, TypeError), (True, TypeError)],
)
def test_drop_path_rejects_bad_columns(columns, error):
    with pytest.raises(error, match=r"`columns` to be an integer in \[1, 12\]"):
        DropPath().sample(columns)
    with pytest.raises(error, match=r"`columns` to be an integer in \[1, 12\]"):
        sample_global_column(columns, keras.random.SeedGenerator(0))


@pytest.mark.parametrize(
    "batch_size,error",
    [
        (-1, ValueError),
        (0, ValueError),
        (2.5, TypeError),
        (True, TypeError),
        ("4", TypeError),
    ],
)
def test_sampling_rejects_a_bad_batch_size(batch_size, error):
    generator = keras.random.SeedGenerator(0)
    match = r"`batch_size` to be an integer >= 1. Received: batch_size="
    with pytest.raises(error, match=match):
        sample_local_keep(3, 0.1, generator, batch_size=batch_size)
    with pytest.raises(error, match=match):
        sample_global_column(3, generator, batch_size=batch_size)
    with pytest.raises(error, match=match):
        DropPath(per_sample=True).sample(3, batch_size=batch_size)


def test_sampling_accepts_numpy_and_tensor_batch_sizes():
    generator = keras.random.SeedGenerator(0)
    assert tuple(
        sample_local_keep(3, 0.1, generator, batch_size=np.int64(5)).shape
    ) == (5, 3)
    assert tuple(
        sample_global_column(
            3, generator, batch_size=keras.ops.shape(keras.ops.ones((6, 2)))[0]
        ).shape
    ) == (6,)


def test_drop_path_rejects_non_bool_per_sample_and_bad_seed():
    with pytest.raises(TypeError, match="per_sample"):
        DropPath(per_sample=1)
    with pytest.raises(TypeError, match="seed"):
        DropPath(seed=1.5)
    with pytest.raises(ValueError, match="batch_size"):
        DropPath(per_sample=True).sample(3)


def test_sample_functions_reject_bad_arguments():
    generator = keras.random.SeedGenerator(0)
    with pytest.raises(ValueError, match="rate"):
        sample_local_keep(3, 1.0, generator)
    with pytest.raises(ValueError, match="arity"):
        sample_local_keep(0, 0.1, generator)
    with pytest.raises(TypeError, match="columns"):
        sample_global_column(3.0, generator)


# --- serialization --------------------------------------------------------------------


def test_drop_path_config_round_trip():
    drop_path = DropPath(
        local_drop_rate=0.3, global_ratio=0.25, per_sample=True, seed=4, name="dp"
    )
    config = drop_path.get_config()
    assert {
        k: config[k] for k in ("local_drop_rate", "global_ratio", "per_sample", "seed")
    } == {"local_drop_rate": 0.3, "global_ratio": 0.25, "per_sample": True, "seed": 4}
    assert DropPath.from_config(config).get_config() == config


def test_block_with_drop_path_config_round_trip():
    block = FractalBlock(
        columns=2, filters=3, drop_path=DropPath(local_drop_rate=0.2, seed=1)
    )
    clone = FractalBlock.from_config(block.get_config())
    assert isinstance(clone.drop_path, DropPath)
    assert clone.get_config() == block.get_config()


def test_model_with_drop_path_round_trips_through_keras_file_in_safe_mode(tmp_path):
    inputs = keras.Input((8, 8, 3))
    x = FractalBlock(
        columns=3,
        filters=4,
        drop_path=DropPath(local_drop_rate=0.2, per_sample=True, seed=3),
    )(inputs)
    model = keras.Model(inputs, x)
    data = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32")
    path = tmp_path / "drop_path.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    block = loaded.layers[-1]
    assert isinstance(block.drop_path, DropPath) and block.drop_path.per_sample
    np.testing.assert_allclose(
        loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6
    )
