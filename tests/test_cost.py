"""`fractalnet.cost.conv_macs` against multiply-adds counted by hand."""

import keras
import pytest

from fractalnet import FractalNet
from fractalnet.cost import conv_macs
from fractalnet.training import baseline_net, image_classifier


def _conv(size, c_in, c_out, kernel=3):
    return size * size * kernel * kernel * c_in * c_out


@pytest.fixture(scope="module")
def net():
    # Two stages: C = 3 at 8x8 (3 -> 4 channels), C = 2 at 4x4 (4 -> 6 channels).
    return FractalNet(
        num_classes=5, columns=[3, 2], filters=[4, 6], input_shape=(8, 8, 3)
    )


def test_each_column_by_hand(net):
    # Column k of a stage is a chain of 2**k convs; the first reads the stage's input.
    stage0 = {k: _conv(8, 3, 4) + (2**k - 1) * _conv(8, 4, 4) for k in range(3)}
    stage1 = {k: _conv(4, 4, 6) + (2**k - 1) * _conv(4, 6, 6) for k in range(2)}
    assert conv_macs(net, columns=0) == stage0[0] + stage1[0] == 6912 + 3456
    assert conv_macs(net, columns=1) == stage0[1] + stage1[1]
    # Network column 2 maps onto the second stage's deepest column, 1.
    assert (
        conv_macs(net, columns=2)
        == stage0[2] + stage1[1]
        == 6912 + 3 * 9216 + 3456 + 5184
    )
    assert (
        conv_macs(net, columns=[0, 2]) == stage0[0] + stage0[2] + stage1[0] + stage1[1]
    )
    assert conv_macs(net) == sum(stage0.values()) + sum(stage1.values())


def test_a_wrapped_network_costs_what_it_wraps(net):
    wrapped = image_classifier(net, (8, 8, 3))
    assert conv_macs(wrapped) == conv_macs(net)


def test_functional_baselines_by_hand():
    plain = baseline_net("plain", [2, 1], [4, 6], num_classes=3, image_shape=(8, 8, 1))
    assert conv_macs(plain) == _conv(8, 1, 4) + _conv(8, 4, 4) + _conv(4, 4, 6)
    resnet = baseline_net(
        "resnet", [1, 1], [4, 6], num_classes=3, image_shape=(8, 8, 1)
    )
    stem = _conv(8, 1, 4)
    block0 = 2 * _conv(8, 4, 4)  # identity shortcut
    # 1x1 conv on the shortcut
    block1 = _conv(4, 4, 6, kernel=1) + _conv(4, 4, 6) + _conv(4, 6, 6)
    assert conv_macs(resnet) == stem + block0 + block1


def test_columns_only_for_a_fractalnet():
    plain = baseline_net("plain", [1], [4], num_classes=3, image_shape=(8, 8, 1))
    with pytest.raises(ValueError, match="columns"):
        conv_macs(plain, columns=0)


def test_a_plain_conv2d_model():
    inputs = keras.Input((10, 10, 2))
    outputs = keras.layers.Conv2D(5, 3, padding="valid")(inputs)
    assert conv_macs(keras.Model(inputs, outputs)) == 8 * 8 * 9 * 2 * 5
