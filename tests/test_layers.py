"""Tests of chapter 3's layers: ConvBlock, Join, the expansion rule and FractalBlock."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fractalnet
from fractalnet.checks import MAX_COLUMNS
from fractalnet.layers import (
    ConvBlock,
    FractalBlock,
    Join,
    column_keep,
    expand_fractal,
    fractal_joins,
)


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def input_gradient(fn, x):
    """Gradient of `sum(fn(x))` with respect to `x` on the active Keras backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = keras.ops.sum(fn(x))
        return tape.gradient(y, x).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: keras.ops.sum(fn(v)))(x))
    import torch

    x = torch.tensor(np.asarray(x), requires_grad=True)
    keras.ops.sum(fn(x)).backward()
    return x.grad.cpu().numpy()


def receptive_field(layer, size=41):
    x = np.random.default_rng(0).normal(size=(1, size, size, 1)).astype("float32")
    centre = size // 2
    gradient = input_gradient(
        lambda v: layer(v, training=False)[:, centre, centre, :], x
    )
    seen = np.flatnonzero((np.abs(gradient[0, :, :, 0]) > 0).any(axis=0))
    return int(seen.max() - seen.min() + 1)


class ParallelRuleBlock(keras.layers.Layer):
    """The wrong rule F_C(x) = 0.5 (F_{C-1}(x) + F_{C-1}(x)), kept here to show the
    checks catch it."""

    def __init__(self, columns, filters, **conv_kwargs):
        super().__init__()
        self.conv_blocks = [
            ConvBlock(filters, **conv_kwargs) for _ in range(2 ** (columns - 1))
        ]

    def call(self, inputs, training=None):
        outputs = [conv(inputs, training=training) for conv in self.conv_blocks]
        return keras.ops.mean(keras.ops.stack(outputs, axis=-1), axis=-1)


# --- docs (the package matching the chapters is tests/test_chapter_sync.py's job) -----


@pytest.mark.parametrize(
    "name",
    [
        "ConvBlock",
        "Join",
        "FractalBlock",
        "expand_fractal",
        "fractal_joins",
        "column_keep",
    ],
)
def test_layers_docstrings_name_chapter_3(name):
    doc = getattr(fractalnet, name).__doc__
    assert "Defined in chapter 3 (book/03_layers.ipynb)." in doc


@pytest.mark.parametrize("name", ["ConvBlock", "Join", "FractalBlock"])
def test_layer_docstrings_have_args_call_arguments_and_example(name):
    doc = getattr(fractalnet, name).__doc__
    for section in ("Args:", "Call arguments:", "Example:"):
        assert section in doc


@pytest.mark.parametrize(
    "function",
    [
        expand_fractal,
        fractal_joins,
        column_keep,
        FractalBlock.column_layers,
        FractalBlock.forward,
    ],
)
def test_public_functions_document_args_and_an_example(function):
    doc = function.__doc__
    assert "Args:" in doc and "Example:" in doc and ">>> " in doc
    if function is not expand_fractal:  # expand_fractal's Returns sits with its Args
        assert "Returns:" in doc


# --- ConvBlock ------------------------------------------------------------------------


def test_conv_block_keeps_spatial_size_and_sets_channels():
    y = ConvBlock(5)(keras.ops.ones((2, 7, 9, 3)))
    assert tuple(y.shape) == (2, 7, 9, 5)


@pytest.mark.parametrize("c_in,c_out", [(1, 1), (3, 4), (8, 16)])
def test_conv_block_has_no_conv_bias_under_batch_norm(c_in, c_out):
    block = ConvBlock(c_out)
    block.build((None, 8, 8, c_in))
    assert block.count_params() == 9 * c_in * c_out + 4 * c_out
    assert block.conv.bias is None


def test_conv_block_has_a_bias_without_normalization():
    block = ConvBlock(4, normalization=None)
    block.build((None, 8, 8, 3))
    assert block.count_params() == 9 * 3 * 4 + 4
    assert block.norm is None


def test_conv_block_dropout_only_acts_in_training():
    keras.utils.set_random_seed(0)
    block = ConvBlock(8, dropout_rate=0.5, normalization=None, activation="linear")
    x = keras.random.normal((2, 6, 6, 3), seed=1)
    inference = to_numpy(block(x, training=False))
    np.testing.assert_allclose(inference, to_numpy(block(x, training=False)))
    trained = to_numpy(block(x, training=True))
    zero_fraction = np.mean(trained == 0)
    # dropout after the conv zeroes about half the outputs
    assert 0.3 < zero_fraction < 0.7


def test_conv_block_dropout_sits_before_normalization():
    block = ConvBlock(4, dropout_rate=0.2)
    x = keras.ops.ones((1, 4, 4, 2))
    block(x)
    order = [layer.name for layer in (block.conv, block.dropout, block.norm)]
    assert order == ["conv", "dropout", "norm"]
    assert block.dropout is not None and ConvBlock(4).dropout is None


# --- Join -----------------------------------------------------------------------------


def test_join_is_the_elementwise_mean():
    inputs = [keras.ops.full((1, 2, 2, 1), v) for v in (1.0, 2.0, 6.0)]
    np.testing.assert_allclose(to_numpy(Join()(inputs)), 3.0)


def test_join_with_keep_averages_the_survivors_without_rescaling():
    a, b, c = (keras.ops.full((2, 3), v) for v in (1.0, 2.0, 6.0))
    join = Join()
    np.testing.assert_allclose(to_numpy(join([a, b, c], keep=[1, 1, 0])), 1.5)
    # not 0.5 * 6 or 2
    np.testing.assert_allclose(to_numpy(join([a, b, c], keep=[0, 0, 1])), 6.0)


def test_join_per_sample_keep_decides_for_each_sample():
    a = keras.ops.zeros((2, 2, 2, 1))
    b = keras.ops.ones((2, 2, 2, 1))
    y = to_numpy(Join()([a, b], keep=np.array([[1, 0], [0, 1]], dtype="float32")))
    np.testing.assert_allclose(y[0], 0.0)
    np.testing.assert_allclose(y[1], 1.0)


@pytest.mark.parametrize(
    "keep,match",
    [
        ([0, 0], "at least one input"),
        (np.zeros(2), "at least one input"),
        ([[1, 0], [0, 0]], "at least one input"),
        ([0.5, 1], "0s and 1s"),
        ((2, 0), "0s and 1s"),
        (np.array([1.0, -1.0]), "0s and 1s"),
    ],
)
def test_join_refuses_a_concrete_keep_that_is_not_0_1_with_a_survivor(keep, match):
    with pytest.raises(ValueError, match=match):
        Join()([keras.ops.ones((2, 2)), keras.ops.ones((2, 2))], keep=keep)


def test_join_trusts_a_keep_tensor():
    # Drop-path's masks are tensors, unknown to Python inside a compiled step: not
    # checked.
    a, b = keras.ops.zeros((1, 2)), keras.ops.ones((1, 2))
    y = Join()([a, b], keep=keras.ops.convert_to_tensor([0.0, 1.0]))
    np.testing.assert_allclose(to_numpy(y), 1.0)


def test_join_rejects_a_keep_of_the_wrong_length():
    with pytest.raises(ValueError, match="one entry per input"):
        Join()([keras.ops.ones((1, 2)), keras.ops.ones((1, 2))], keep=[1.0, 1.0, 1.0])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), data=st.data())
def test_join_equals_numpy_mean_of_kept_inputs(n, data):
    keep = np.array(
        data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(any)),
        dtype="float32",
    )
    values = np.random.default_rng(n).normal(size=(n, 2, 3, 3, 2)).astype("float32")
    y = to_numpy(Join()([keras.ops.convert_to_tensor(v) for v in values], keep=keep))
    np.testing.assert_allclose(y, values[keep > 0].mean(axis=0), rtol=1e-5, atol=1e-6)


# --- the expansion rule ---------------------------------------------------------------


def test_fractal_joins_follow_the_paper_with_collapsed_joins():
    assert fractal_joins(1) == ()
    assert fractal_joins(2) == ((0, 1),)
    assert fractal_joins(3) == ((1, 2), (0, 1, 2))
    assert fractal_joins(4) == ((2, 3), (1, 2, 3), (2, 3), (0, 1, 2, 3))


@pytest.mark.parametrize("columns", [1, 2, 3, 4, 5, 6])
def test_expand_fractal_asks_for_2_pow_k_convs_in_column_k(columns):
    asked = [0] * columns
    outputs = expand_fractal(
        columns,
        lambda k, z: asked.__setitem__(k, asked[k] + 1),
        lambda m, v: None,
        None,
    )
    assert asked == [2**k for k in range(columns)]
    assert len(outputs) == columns


@pytest.mark.parametrize("columns", [1, 2, 3, 4, 5])
def test_block_holds_and_runs_2_pow_c_minus_1_convs(columns):
    # Counted from what Keras tracks and what a call uses, not from the list the block
    # builds.
    block = FractalBlock(columns=columns, filters=2)
    convs = [
        layer
        for layer in block._flatten_layers(include_self=False)
        if isinstance(layer, ConvBlock)
    ]
    assert len(convs) == 2**columns - 1
    assert not any(layer.built for layer in convs)
    block(keras.ops.ones((1, 4, 4, 1)))
    assert all(layer.built for layer in convs)
    kernels = [w for w in block.trainable_weights if w.path.endswith("kernel")]
    assert len(kernels) == 2**columns - 1
    # The deepest path's length is pinned by the receptive-field tests below (2 *
    # 2**(C-1) + 1 pixels), and the C = 3 wiring by
    # test_c3_block_output_follows_the_collapsed_rule_not_binary_half_joins.


def fractal_block_params(columns, c_in, c_out):
    convs = sum(
        9 * c_in * c_out + (2**k - 1) * 9 * c_out * c_out for k in range(columns)
    )
    return convs + 4 * c_out * (2**columns - 1)


@pytest.mark.parametrize(
    "columns,c_in,c_out", [(1, 3, 4), (2, 3, 4), (3, 3, 16), (4, 5, 2)]
)
def test_block_parameter_count_matches_the_formula(columns, c_in, c_out):
    block = FractalBlock(columns=columns, filters=c_out)
    block.build((None, 8, 8, c_in))
    assert block.count_params() == fractal_block_params(columns, c_in, c_out)


def test_parallel_rule_fails_the_conv_and_parameter_checks():
    wrong = ParallelRuleBlock(3, 4)
    wrong(keras.ops.ones((1, 8, 8, 3)))
    assert len(wrong.conv_blocks) != 2**3 - 1
    assert wrong.count_params() != fractal_block_params(3, 3, 4)


@pytest.mark.parametrize("columns,expected", [(1, 3), (2, 5), (3, 9), (4, 17)])
def test_block_receptive_field_measured_from_gradients(columns, expected):
    block = FractalBlock(columns=columns, filters=2, activation="linear")
    assert receptive_field(block) == expected


@pytest.mark.parametrize("columns", [2, 3, 4])
def test_parallel_rule_receptive_field_never_grows(columns):
    assert receptive_field(ParallelRuleBlock(columns, 2, activation="linear")) == 3


def scalar_block(columns, values):
    """A block where every conv multiplies a 1-channel input by its own scalar."""
    block = FractalBlock(
        columns=columns,
        filters=1,
        activation="linear",
        normalization=None,
        use_bias=False,
    )
    block.build((None, 3, 3, 1))
    for k in range(columns):
        for layer, value in zip(block.column_layers(k), values[k]):
            kernel = np.zeros((3, 3, 1, 1), dtype="float32")
            kernel[1, 1, 0, 0] = value
            layer.conv.kernel.assign(kernel)
    return block


def test_c3_block_output_follows_the_collapsed_rule_not_binary_half_joins():
    a0 = 2.0
    b0, b1 = 3.0, 5.0
    d0, d1, d2, d3 = 7.0, 11.0, 13.0, 0.5
    block = scalar_block(3, [[a0], [b0, b1], [d0, d1, d2, d3]])
    z = 1.0
    j1 = (b0 * z + d1 * d0 * z) / 2
    expected = (a0 * z + b1 * j1 + d3 * d2 * j1) / 3
    binary = 0.5 * a0 * z + 0.5 * (0.5 * b1 * j1 + 0.5 * d3 * d2 * j1)
    y = float(to_numpy(block(keras.ops.ones((1, 3, 3, 1)))[0, 1, 1, 0]))
    assert y == pytest.approx(expected, rel=1e-5)
    assert y != pytest.approx(binary, rel=1e-3)


# --- addressable columns --------------------------------------------------------------


@pytest.mark.parametrize("columns", [1, 2, 3, 4])
def test_column_keep_reduces_the_block_to_column_k(columns):
    keras.utils.set_random_seed(1)
    block = FractalBlock(columns=columns, filters=3)
    x = keras.random.normal((2, 6, 6, 2), seed=2)
    for k in range(columns):
        np.testing.assert_allclose(
            to_numpy(block(x, join_keep=column_keep(columns, k))),
            to_numpy(block(x, columns=k)),
            rtol=1e-6,
            atol=1e-6,
        )


def test_per_sample_column_keep_gives_each_sample_its_column():
    keras.utils.set_random_seed(2)
    block = FractalBlock(columns=3, filters=3)
    x = keras.random.normal((3, 6, 6, 2), seed=3)
    y = to_numpy(block(x, join_keep=column_keep(3, np.array([2, 0, 1]))))
    for sample, k in enumerate([2, 0, 1]):
        np.testing.assert_allclose(
            y[sample], to_numpy(block(x, columns=k))[sample], rtol=1e-6, atol=1e-6
        )


def test_block_without_keep_is_not_any_single_column():
    keras.utils.set_random_seed(3)
    block = FractalBlock(columns=3, filters=3)
    x = keras.random.normal((2, 6, 6, 2), seed=4)
    y = to_numpy(block(x))
    for k in range(3):
        assert not np.allclose(y, to_numpy(block(x, columns=k)), atol=1e-4)


def test_block_rejects_join_keep_of_wrong_length():
    block = FractalBlock(columns=3, filters=2)
    with pytest.raises(ValueError, match="one mask per join"):
        block(keras.ops.ones((1, 4, 4, 1)), join_keep=[[1.0, 1.0]])


def test_column_layers_rejects_a_column_outside_the_block():
    with pytest.raises(ValueError, match=r"\[0, 2\]. Received: column=3"):
        FractalBlock(columns=3, filters=2).column_layers(3)


# --- arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "columns,error",
    [
        (0, ValueError),
        (-2, ValueError),
        (13, ValueError),
        (50, ValueError),
        (2.5, TypeError),
        (True, TypeError),
        ("3", TypeError),
    ],
)
def test_block_rejects_bad_columns(columns, error):
    with pytest.raises(
        error, match=r"`columns` to be an integer in \[1, 12\]. Received: columns="
    ):
        FractalBlock(columns=columns, filters=4)


def test_max_columns_is_accepted_by_the_structure_functions():
    assert MAX_COLUMNS == 12
    # joins of C = 2, 3, 4: 1, 2, 4
    assert len(fractal_joins(MAX_COLUMNS)) == 2 ** (MAX_COLUMNS - 2)
    assert len(column_keep(MAX_COLUMNS, MAX_COLUMNS - 1)) == 2 ** (MAX_COLUMNS - 2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: fractal_joins(13),
        lambda: expand_fractal(50, lambda k, z: z, lambda m, v: v[0], None),
        lambda: column_keep(13, 0),
    ],
)
def test_structure_functions_refuse_more_than_max_columns_before_any_work(call):
    with pytest.raises(
        ValueError,
        match=r"`columns` to be an integer in \[1, 12\]. Received: columns=(13|50)",
    ):
        call()


@pytest.mark.parametrize(
    "column,error",
    [
        (3, ValueError),
        (5, ValueError),
        (-1, ValueError),
        (1.5, TypeError),
        (True, TypeError),
        ([0, 3], ValueError),
        (np.array([0.0, 1.0]), TypeError),
        (np.array([[0, 1]]), TypeError),
    ],
)
def test_column_keep_checks_python_and_numpy_columns(column, error):
    with pytest.raises(
        error, match=r"`column` to be an integer.*in \[0, 2\]. Received: column="
    ):
        column_keep(3, column)


def test_column_keep_accepts_numpy_integers_and_trusts_tensors():
    expected = [to_numpy(m).tolist() for m in column_keep(3, 2)]
    assert [to_numpy(m).tolist() for m in column_keep(3, np.int64(2))] == expected
    assert [
        to_numpy(m).tolist() for m in column_keep(3, keras.ops.convert_to_tensor(2))
    ] == expected


def test_block_refuses_a_drop_path_that_is_not_a_layer():
    with pytest.raises(TypeError, match=r"`drop_path` to be a keras.layers.Layer"):
        FractalBlock(
            columns=2, filters=2, drop_path=lambda inputs, columns, training: None
        )


def test_a_column_computed_before_the_block_is_built_leaves_the_block_usable():
    block = FractalBlock(columns=2, filters=3)
    x = keras.random.normal((1, 5, 5, 2), seed=0)
    alone = to_numpy(block(x, columns=1))
    np.testing.assert_allclose(
        to_numpy(block(x, join_keep=column_keep(2, 1))), alone, rtol=1e-6, atol=1e-6
    )


def test_block_accepts_numpy_integers():
    assert FractalBlock(columns=np.int64(2), filters=np.int32(3)).columns == 2


@pytest.mark.parametrize(
    "filters,error", [(0, ValueError), (1.0, TypeError), (False, TypeError)]
)
def test_conv_block_rejects_bad_filters(filters, error):
    with pytest.raises(error, match="`filters`"):
        ConvBlock(filters)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, float("nan")])
def test_conv_block_rejects_dropout_rate_outside_unit_interval(rate):
    with pytest.raises(ValueError, match=r"`dropout_rate` to be a float in \[0, 1\)"):
        ConvBlock(4, dropout_rate=rate)


def test_conv_block_rejects_unknown_normalization():
    with pytest.raises(ValueError, match="normalization='layer'"):
        ConvBlock(4, normalization="layer")


# --- serialization --------------------------------------------------------------------


def test_conv_block_config_round_trip():
    block = ConvBlock(
        6,
        kernel_size=5,
        activation="tanh",
        normalization=None,
        dropout_rate=0.25,
        kernel_initializer="he_normal",
        use_bias=True,
        norm_momentum=0.5,
    )
    clone = ConvBlock.from_config(block.get_config())
    assert clone.get_config() == block.get_config()
    constructor_args = {
        "filters",
        "kernel_size",
        "activation",
        "normalization",
        "norm_momentum",
        "dropout_rate",
        "kernel_initializer",
        "use_bias",
    }
    assert constructor_args <= set(block.get_config())


def test_fractal_block_config_round_trip_gives_the_same_network():
    block = FractalBlock(
        columns=3, filters=4, kernel_size=5, dropout_rate=0.1, name="b"
    )
    clone = FractalBlock.from_config(block.get_config())
    assert clone.get_config() == block.get_config()
    x = keras.random.normal((1, 6, 6, 2), seed=5)
    block(x)
    clone(x)
    clone.set_weights(block.get_weights())
    np.testing.assert_allclose(to_numpy(clone(x)), to_numpy(block(x)), rtol=1e-6)


def test_join_config_round_trip():
    assert Join.from_config(Join(name="j").get_config()).name == "j"


def test_model_of_layers_round_trips_through_keras_file_in_safe_mode(tmp_path):
    inputs = keras.Input((8, 8, 3))
    x = ConvBlock(4)(inputs)
    x = FractalBlock(columns=3, filters=4)(x)
    model = keras.Model(inputs, x)
    data = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    path = tmp_path / "layers.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6
    )


def test_a_model_holding_joins_is_copied_through_its_configuration():
    net = fractalnet.FractalNet(
        num_classes=3, columns=[2, 3], filters=[4, 4], input_shape=(8, 8, 1), seed=0
    )
    subset = net.column_model([0, 2])  # holds joins
    assert Join.from_config(Join(name="j").get_config()).name == "j"
    copy = fractalnet.copy_model(subset, dtype="float32")
    x = keras.random.normal((2, 8, 8, 1), seed=1)
    np.testing.assert_allclose(to_numpy(copy(x)), to_numpy(subset(x)), atol=1e-6)
    shared = {id(v) for v in subset.weights}
    assert not any(id(v) in shared for v in copy.weights)


def test_a_float32_copy_of_a_mixed_precision_model_computes_in_float32():
    net = fractalnet.FractalNet(
        num_classes=3,
        columns=[2],
        filters=[4],
        input_shape=(8, 8, 1),
        dtype="mixed_bfloat16",
    )
    copy = fractalnet.copy_model(net, dtype="float32")
    policies = {layer.dtype_policy.name for layer in copy._flatten_layers()}
    assert policies == {"float32"}, policies
