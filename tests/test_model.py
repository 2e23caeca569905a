"""Tests of chapter 5's FractalNet: structure, columns, variants, recipe, saving,
precision, errors."""

import keras
import numpy as np
import pytest

import fractalnet
from fractalnet import (
    ConvBlock,
    DropPath,
    FractalBlock,
    FractalNet,
    column_keep,
    fractal_joins,
)
from fractalnet.model import (
    block_column,
    create_fractal_net,
    evaluate_columns,
    sample_network_draw,
)

PAPER_20_LAYER_TRAINABLE = {
    10: 33_724_618,
    100: 33_770_788,
}  # ../shared/PAPER.md, "Parameter counts"


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def tiny(**kwargs):
    """A micro-sized FractalNet on 8x8 inputs (two stages: columns 2 then 3)."""
    config = dict(
        num_classes=5, columns=(2, 3), filters=(4, 6), input_shape=(8, 8, 3), seed=0
    )
    return FractalNet(**{**config, **kwargs})


def images(n=4, size=8, channels=3, seed=0):
    return (
        np.random.default_rng(seed)
        .normal(size=(n, size, size, channels))
        .astype("float32")
    )


def count_convs(model):
    """The ConvBlocks a (possibly nested) Keras model holds."""
    return sum(
        isinstance(layer, ConvBlock)
        for layer in model._flatten_layers(include_self=False)
    )


# --- docs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "FractalNet",
        "create_fractal_net",
        "evaluate_columns",
        "block_column",
        "sample_network_draw",
        "switch_with_state",
    ],
)
def test_model_docstrings_name_chapter_5(name):
    assert (
        "Defined in chapter 5 (book/05_fractalnet.ipynb)."
        in getattr(fractalnet.model, name).__doc__
    )


# --- structure ------------------------------------------------------------------------


def test_variants_hold_the_issue_and_paper_configurations():
    variants = FractalNet.MODEL_VARIANTS
    assert variants["micro"] == {"columns": (1, 2, 2), "filters": (16, 32, 64)}
    assert variants["small"] == {"columns": (2, 3, 3), "filters": (32, 64, 128)}
    assert variants["medium"] == {"columns": (3, 4, 4), "filters": (64, 128, 256)}
    assert variants["large"] == {"columns": (4, 5, 5), "filters": (96, 192, 384)}
    assert variants["cifar20"] == {
        "columns": (3,) * 5,
        "filters": (64, 128, 256, 512, 512),
    }
    assert variants["cifar40"] == {
        "columns": (4,) * 5,
        "filters": (64, 128, 256, 512, 512),
    }


@pytest.mark.parametrize(
    "variant, depth, convs",
    [
        ("micro", 5, 7),
        ("small", 10, 17),
        ("medium", 20, 37),
        ("large", 40, 77),
        ("cifar20", 20, 35),
        ("cifar40", 40, 75),
    ],
)
def test_variant_depth_and_conv_count(variant, depth, convs):
    model = (
        FractalNet.from_variant(variant, local_drop_rate=0.0)
        if variant in ("micro", "small")
        else None
    )
    columns = FractalNet.MODEL_VARIANTS[variant]["columns"]
    assert sum(2 ** (c - 1) for c in columns) == depth
    assert sum(2**c - 1 for c in columns) == convs
    if model is not None:
        assert (model.depth, model.num_convs, count_convs(model)) == (
            depth,
            convs,
            convs,
        )


@pytest.mark.parametrize("num_classes", [10, 100])
def test_paper_20_layer_parameter_count_matches_the_faithful_rebuild(num_classes):
    model = FractalNet.from_variant("cifar20", num_classes=num_classes)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == PAPER_20_LAYER_TRAINABLE[num_classes]
    # moving mean, var
    batch_norm_statistics = 2 * sum((2**3 - 1) * f for f in (64, 128, 256, 512, 512))
    assert model.count_params() == trainable + batch_norm_statistics


def test_model_output_is_logits_of_num_classes():
    model = tiny()
    assert tuple(model(images()).shape) == (4, 5)
    assert model.classifier.activation is keras.activations.linear


@pytest.mark.parametrize("size", [8, 11, 32])
def test_backbone_returns_the_last_feature_map_halved_per_stage(size):
    backbone = tiny(include_top=False, num_classes=None, input_shape=(None, None, 3))
    features = backbone(images(size=size))
    assert tuple(features.shape) == (4, size // 4, size // 4, 6)
    assert not hasattr(backbone, "classifier")


def test_backbone_shares_nothing_with_a_head_and_has_fewer_weights():
    assert tiny(include_top=False).count_params() == tiny().count_params() - (6 * 5 + 5)


def test_average_downsampling_differs_from_max_pooling():
    a = to_numpy(tiny(downsampling="max")(images()))
    b = to_numpy(tiny(downsampling="average")(images()))
    assert a.shape == b.shape and not np.allclose(a, b)


def test_block_dropout_rates_reach_every_conv_of_their_stage():
    model = tiny(block_dropout_rates=[0.0, 0.3])
    assert [c.dropout_rate for c in model.blocks[0].conv_blocks] == [0.0] * 3
    assert [c.dropout_rate for c in model.blocks[1].conv_blocks] == [0.3] * 7


# --- columns --------------------------------------------------------------------------


def test_sample_network_draw_refuses_more_than_max_columns():
    with pytest.raises(
        ValueError,
        match=(
            r"`block_columns\[1\]` to be an integer in \[1, 12\]. Received: "
            r"block_columns\[1\]=13"
        ),
    ):
        sample_network_draw(DropPath(), [3, 13])["keep"]


def test_block_column_clips_onto_blocks_with_fewer_columns():
    assert [block_column(k, 2) for k in range(4)] == [0, 1, 1, 1]
    assert to_numpy(block_column(np.array([0, 3, 1]), 2)).tolist() == [0, 1, 1]


def test_a_subset_of_block_columns_equals_the_masked_block():
    # The subset rule: each join averages its members in the subset; a join with none of
    # them only feeds dropped columns (any mask does). For four columns and {0, 1}:
    assert fractal_joins(4) == ((2, 3), (1, 2, 3), (2, 3), (0, 1, 2, 3))
    block = FractalBlock(4, 4)
    x = images(size=8)
    masked = block(x, join_keep=[[1, 1], [1, 0, 0], [1, 1], [1, 1, 0, 0]])
    np.testing.assert_allclose(
        to_numpy(block(x, columns=[0, 1])), to_numpy(masked), rtol=1e-6, atol=1e-6
    )
    np.testing.assert_allclose(
        to_numpy(block(x, columns=[1, 0])), to_numpy(masked), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("k", [0, 1, 2])
def test_column_model_equals_the_model_with_only_that_column(k):
    model = tiny()
    x = images()
    np.testing.assert_allclose(
        to_numpy(model.column_model(k)(x)), to_numpy(model(x, columns=k)), atol=1e-6
    )


def test_column_model_computes_the_columns_own_chain_of_convs():
    model, x = tiny(include_top=False), images()
    expected = x
    for block, pool in zip(model.blocks, model.pools):
        expected = pool(block(expected, columns=block.columns - 1))
    np.testing.assert_allclose(
        to_numpy(model.column_model(2)(x)), to_numpy(expected), atol=1e-6
    )


@pytest.mark.parametrize("k, convs", [(0, 1 + 1), (1, 2 + 2), (2, 2 + 4)])
def test_column_model_holds_exactly_the_columns_convs(k, convs):
    assert count_convs(tiny().column_model(k)) == convs


def test_deepest_column_of_the_paper_net_is_a_chain_of_b_times_2_to_c_minus_1():
    model = FractalNet.from_variant(
        "cifar20", filters=(2, 2, 2, 2, 2), local_drop_rate=0.0, global_ratio=0.0
    )
    deepest = model.column_model(2)
    assert count_convs(deepest) == 5 * 2**2
    assert not any(
        isinstance(layer, fractalnet.Join)
        for layer in deepest._flatten_layers(include_self=False)
    )


def test_column_model_shares_the_models_weights():
    model = tiny()
    column = model.column_model(1)
    model_ids = {id(w) for w in model.weights}
    assert all(id(w) in model_ids for w in column.weights)
    before = to_numpy(column(images()))
    kernel = model.blocks[0].column_layers(1)[0].conv.kernel
    kernel.assign(kernel * 2.0)
    assert not np.allclose(to_numpy(column(images())), before)


@pytest.mark.parametrize("subset", [(0, 1), (0, 2), (1, 2)])
def test_a_subset_of_columns_joins_only_its_members(subset):
    model, x = tiny(), images()
    np.testing.assert_allclose(
        to_numpy(model.column_model(subset)(x)),
        to_numpy(model(x, columns=subset)),
        atol=1e-6,
    )
    assert not np.allclose(to_numpy(model(x, columns=subset)), to_numpy(model(x)))


def test_all_columns_is_the_whole_model():
    model, x = tiny(), images()
    np.testing.assert_allclose(
        to_numpy(model(x, columns=[0, 1, 2])), to_numpy(model(x)), atol=1e-6
    )
    np.testing.assert_allclose(
        to_numpy(model.column_model([0, 1, 2])(x)), to_numpy(model(x)), atol=1e-6
    )


def test_evaluate_columns_scores_every_column_and_the_whole_network():
    model = tiny()
    x, y = images(n=6), np.arange(6) % 5
    scores = evaluate_columns(model, x, y)
    assert set(scores) == {0, 1, 2, "all"}
    predicted = np.argmax(to_numpy(model(x, columns=2)), axis=-1)
    assert scores[2] == pytest.approx(np.mean(predicted == y))


@pytest.mark.parametrize("columns", [3, -1, [], [0, 0], "1", [0.5]])
def test_bad_column_choices_raise_naming_the_range(columns):
    with pytest.raises((ValueError, TypeError), match=r"\[0, 2\]"):
        tiny().column_model(columns)


# --- drop-path ------------------------------------------------------------------------


def test_global_draws_keep_one_network_column_in_blocks_of_different_sizes():
    drop_path = DropPath(global_ratio=1.0, seed=1)
    seen = set()
    for _ in range(30):
        masks = sample_network_draw(drop_path, [1, 2, 3])["keep"]
        candidates = [
            k
            for k in range(3)
            if all(
                [to_numpy(m).tolist() for m in block]
                == [to_numpy(m).tolist() for m in column_keep(c, block_column(k, c))]
                for block, c in zip(masks, [1, 2, 3])
            )
        ]
        assert candidates, "a global draw must be one network column in every block"
        seen.update(candidates)
    assert seen == {0, 1, 2}


@pytest.mark.parametrize("columns", [(3, 3), (2, 3), (3, 2, 3)])
def test_global_drop_path_computes_one_column_through_all_blocks_at_every_training_call(
    columns,
):
    # Every draw global, one per mini-batch: each training call must compute exactly one
    # network column, the same index in every block (clipped in narrower ones), i.e.
    # what column_model(k) computes, also in training mode (the same convs see the same
    # inputs, so the same batch statistics).
    model = tiny(
        columns=columns,
        filters=(4,) * len(columns),
        local_drop_rate=0.0,
        global_ratio=1.0,
        seed=4,
        input_shape=(8, 8, 3),
    )
    x = images()
    column_models = [model.column_model(k) for k in range(model.num_columns)]
    seen = []
    for _ in range(12):
        y = to_numpy(model(x, training=True))
        matches = [
            k
            for k, column in enumerate(column_models)
            if np.allclose(y, to_numpy(column(x, training=True)), rtol=1e-5, atol=1e-5)
        ]
        assert len(matches) == 1, (
            f"a global training call computed {matches or 'no single column'}"
        )
        seen += matches
    assert set(seen) == set(range(model.num_columns))


def test_network_local_masks_are_drawn_independently_per_block():
    # Blocks with the same C agree at every join with probability prod_joins sum_m
    # P(m)**2 when they
    # draw independently (about 0.05 at rate 0.5 for C = 3): copying one block's masks
    # gives 1.
    draws = 2000
    model = tiny(
        columns=(2, 3, 3),
        filters=(4, 4, 4),
        local_drop_rate=0.5,
        global_ratio=0.0,
        per_sample_drop_path=True,
        seed=5,
    )
    for block_columns in ([3, 3], model.block_columns):
        masks = sample_network_draw(model.drop_path, block_columns, batch_size=draws)[
            "keep"
        ]
        a, b = masks[-2], masks[-1]  # two blocks of 3 columns
        agree = np.all(
            [(to_numpy(m) == to_numpy(n)).all(axis=1) for m, n in zip(a, b)], axis=0
        )
        assert agree.mean() < 0.15, agree.mean()
    per_batch = tiny(
        columns=(3, 3), filters=(4, 4), local_drop_rate=0.5, global_ratio=0.0, seed=6
    )
    same = sum(
        all(
            np.array_equal(to_numpy(m), to_numpy(n))
            for m, n in zip(*sample_network_draw(per_batch.drop_path, [3, 3])["keep"])
        )
        for _ in range(40)
    )
    assert same < 20


def test_local_draws_in_blocks_of_different_sizes_always_keep_an_input():
    drop_path = DropPath(local_drop_rate=0.9, global_ratio=0.0, per_sample=True, seed=2)
    masks = sample_network_draw(drop_path, [2, 3, 4], batch_size=500)["keep"]
    for block, columns in zip(masks, [2, 3, 4]):
        assert [tuple(m.shape) for m in block] == [
            (500, len(j)) for j in fractal_joins(columns)
        ]
        assert all(to_numpy(m).sum(axis=1).min() >= 1 for m in block)
    first_join = to_numpy(masks[0][0])
    # (1 - p) + p**n / n, n = 2, p = 0.9
    assert abs(first_join.mean() - (0.1 + 0.9**2 / 2)) < 0.1


def test_training_calls_draw_new_sub_networks_and_inference_is_deterministic():
    model, x = tiny(), images()
    train = {to_numpy(model(x, training=True)).round(5).tobytes() for _ in range(6)}
    infer = {to_numpy(model(x, training=False)).round(5).tobytes() for _ in range(3)}
    assert len(train) > 1 and len(infer) == 1


def test_no_drop_path_layer_when_both_rates_are_zero():
    model = tiny(local_drop_rate=0.0, global_ratio=0.0)
    assert model.drop_path is None
    x = images()
    np.testing.assert_allclose(
        to_numpy(model(x, training=True)), to_numpy(model(x, training=True)), atol=1e-6
    )


# --- recipe ---------------------------------------------------------------------------


def test_create_fractal_net_compiles_the_papers_sgd_with_warmup_and_cosine_decay():
    model = create_fractal_net(
        "micro",
        num_classes=7,
        input_shape=(16, 16, 3),
        learning_rate=0.1,
        total_steps=100,
        warmup_steps=10,
    )
    opt = model.optimizer
    assert (
        isinstance(opt, keras.optimizers.SGD)
        and not opt.nesterov
        and opt.momentum == 0.9
    )
    schedule = opt.learning_rate if callable(opt.learning_rate) else opt._learning_rate
    rates = [float(schedule(step)) for step in (0, 5, 10, 55, 100)]
    assert (
        rates[0] == 0.0
        and rates[1] == pytest.approx(0.05)
        and rates[2] == pytest.approx(0.1)
    )
    assert rates[3] == pytest.approx(0.05, abs=1e-6) and rates[4] == pytest.approx(
        0.0, abs=1e-7
    )
    assert model.loss.from_logits


def test_create_fractal_net_trains_a_step_and_the_loss_falls():
    model = create_fractal_net(
        "micro",
        num_classes=3,
        input_shape=(8, 8, 1),
        learning_rate=0.05,
        local_drop_rate=0.0,
        global_ratio=0.0,
    )
    x, y = images(n=12, channels=1), np.arange(12) % 3
    losses = [model.train_on_batch(x, y)[0] for _ in range(8)]
    assert losses[-1] < losses[0]


def test_create_fractal_net_offers_adamw():
    model = create_fractal_net("micro", optimizer="adamw", learning_rate=1e-3)
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert model.optimizer.weight_decay == pytest.approx(1e-4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(learning_rate=0), "learning_rate"),
        (dict(optimizer="rmsprop"), "'sgd', 'adamw'"),
        (dict(weight_decay=-1.0), "weight_decay"),
        (dict(warmup_steps=5), "total_steps"),
        (dict(total_steps=10, warmup_steps=10), "warmup_steps"),
        (dict(variant="huge"), "micro, small, medium, large, cifar20, cifar40"),
    ],
)
def test_create_fractal_net_rejects_bad_recipes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        create_fractal_net(**kwargs)


# --- saving ---------------------------------------------------------------------------

# the three biggest variants round-trip with 4 filters per stage
FULL_SIZE = ("micro", "small", "medium")


@pytest.mark.parametrize("variant", list(FractalNet.MODEL_VARIANTS))
def test_keras_file_round_trip_gives_identical_predictions(variant, tmp_path):
    stages = len(FractalNet.MODEL_VARIANTS[variant]["columns"])
    overrides = {} if variant in FULL_SIZE else {"filters": (4,) * stages}
    model = FractalNet.from_variant(variant, num_classes=10, seed=3, **overrides)
    x = images(n=2, size=32)
    model(x, training=True)  # the moving statistics move
    path = tmp_path / f"{variant}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is FractalNet and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))
    np.testing.assert_array_equal(
        to_numpy(loaded.column_model(1)(x)), to_numpy(model.column_model(1)(x))
    )


def test_compiled_recipe_round_trips_with_its_schedule(tmp_path):
    model = create_fractal_net(
        "micro", input_shape=(8, 8, 3), total_steps=50, warmup_steps=5
    )
    model.train_on_batch(images(), np.arange(4))
    model.save(tmp_path / "recipe.keras")
    loaded = keras.saving.load_model(tmp_path / "recipe.keras", safe_mode=True)
    schedule = loaded.optimizer._learning_rate
    assert (
        isinstance(schedule, keras.optimizers.schedules.CosineDecay)
        and schedule.warmup_steps == 5
    )
    np.testing.assert_array_equal(
        loaded.predict(images(), verbose=0), model.predict(images(), verbose=0)
    )


def test_get_config_is_the_constructor_arguments():
    model = tiny(
        block_dropout_rates=(0.1, 0.2), dropout_rate=0.25, downsampling="average"
    )
    config = model.get_config()
    rebuilt = FractalNet.from_config(config)
    assert rebuilt.get_config() == config
    assert config["columns"] == (2, 3) and config["block_dropout_rates"] == (0.1, 0.2)


# --- mixed precision ------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_trains_a_step_with_float32_logits(policy):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        model = create_fractal_net("micro", num_classes=3, input_shape=(8, 8, 3))
        compute = {block.conv_blocks[0].conv.compute_dtype for block in model.blocks}
        assert compute == {policy.split("_")[1]}
        x, y = images(n=6), np.arange(6) % 3
        loss = model.train_on_batch(x, y)[0]
        assert np.isfinite(loss)
        assert keras.backend.standardize_dtype(model(x).dtype) == "float32"
        assert all(
            keras.backend.standardize_dtype(w.dtype) == "float32"
            for w in model.weights
            if "seed" not in w.path
        )
    finally:
        keras.config.set_dtype_policy(previous)


# --- bad configuration ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(columns=(2, 3), filters=(4,)),
            ValueError,
            r"`filters` to have one entry per stage \(2.*Received: filters=\(4,\)",
        ),
        (dict(columns=()), ValueError, "non-empty"),
        (
            dict(columns=(0, 3)),
            ValueError,
            r"columns\[0\]` to be an integer in \[1, 12\]. Received: columns\[0\]=0",
        ),
        (
            dict(columns=(3, 13)),
            ValueError,
            r"columns\[1\]` to be an integer in \[1, 12\]. Received: columns\[1\]=13",
        ),
        (dict(filters=(4, -6)), ValueError, r"filters\[1\]` to be an integer >= 1"),
        (dict(columns=(2.5, 3)), TypeError, r"columns\[0\]"),
        (dict(num_classes=0), ValueError, "num_classes` to be an integer >= 1"),
        (
            dict(local_drop_rate=1.0),
            ValueError,
            r"local_drop_rate` to be a float in \[0, 1\). "
            r"Received: local_drop_rate=1\.0",
        ),
        (
            dict(global_ratio=1.5),
            ValueError,
            r"global_ratio` to be a float in \[0, 1\]",
        ),
        (dict(dropout_rate=-0.1), ValueError, "dropout_rate"),
        (dict(block_dropout_rates=(0.1,)), ValueError, "one per stage"),
        (dict(block_dropout_rates=(0.1, 1.2)), ValueError, r"block_dropout_rates\[1\]"),
        (dict(downsampling="strided"), ValueError, "'max' or 'average'"),
        (
            dict(input_shape=(2, 8, 3)),
            ValueError,
            r"input height >= 4: each of the 2 stages halves it",
        ),
        (dict(input_shape=(8, 8)), ValueError, r"\(height, width, channels\)"),
        (dict(input_shape=(8, 8, 0)), ValueError, "channels"),
        (dict(include_top="yes"), TypeError, "include_top"),
        (dict(seed=-1), ValueError, "seed"),
    ],
)
def test_bad_configuration_raises_a_clear_error_before_building(kwargs, error, match):
    with pytest.raises(error, match=match):
        tiny(**kwargs)


def test_unknown_variant_lists_the_valid_ones():
    with pytest.raises(
        ValueError,
        match=(
            r"Unknown variant 'tiny'. Expected one of: micro, small, medium, large, "
            r"cifar20, cifar40"
        ),
    ):
        FractalNet.from_variant("tiny")


def test_wrong_input_channels_raise_naming_the_expected_shape():
    model = tiny()
    with pytest.raises(
        ValueError,
        match=(
            r"\(batch, height, width, 3\).*Received: inputs with shape \(2, 8, 8, "
            r"1\)"
        ),
    ):
        model(images(n=2, channels=1))
    with pytest.raises(ValueError, match=r"\(batch, height, width, 3\)"):
        model.predict(images(n=2, channels=1), verbose=0)


def test_inputs_too_small_for_the_stages_raise():
    model = tiny(input_shape=(None, None, 3))
    with pytest.raises(ValueError, match=r"at least 4x4 \(2 stages"):
        model(images(n=2, size=3))
