"""Tests of chapter 6's data: Fashion-MNIST offline, CIFAR-10 without a hang, the split
and the pipeline."""

import gzip
import pathlib

import keras
import numpy as np
import pytest

from fractalnet import data
from fractalnet.data import (
    FASHION_MNIST_DIR,
    augmentation,
    load_cifar10,
    load_fashion_mnist,
    make_dataset,
    read_idx,
    split_validation,
)

HAS_FASHION_MNIST = all(
    (pathlib.Path(FASHION_MNIST_DIR) / name).is_file()
    for name in data.FASHION_MNIST_FILES.values()
)
needs_fashion_mnist = pytest.mark.skipif(
    not HAS_FASHION_MNIST,
    reason="Debian's dataset-fashion-mnist is not installed (make setup installs it)",
)


def write_idx(path, array, magic_type=0x08):
    array = np.asarray(array, dtype="uint8")
    header = bytes([0, 0, magic_type, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def fake_fashion_mnist(folder, train=6, test=4):
    rng = np.random.default_rng(0)
    for split, n in (("train", train), ("t10k", test)):
        write_idx(
            folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28))
        )
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return folder


def labelled_images(n=100, classes=4, size=6, channels=1):
    """Images whose first pixel is their index (so splits can be traced back), balanced
    labels."""
    x = np.zeros((n, size, size, channels), dtype="float32")
    x[:, 0, 0, 0] = np.arange(n)
    return x, np.arange(n) % classes


@needs_fashion_mnist
def test_fashion_mnist_has_60000_and_10000_uint8_images_of_ten_balanced_classes():
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28, 1) and x_test.shape == (10000, 28, 28, 1)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == x_test.dtype == y_train.dtype == np.uint8
    assert (
        np.bincount(y_train).tolist() == [6000] * 10
        and np.bincount(y_test).tolist() == [1000] * 10
    )
    assert x_train.max() == 255 and x_train.min() == 0
    assert len(data.FASHION_MNIST_CLASSES) == 10


def test_fashion_mnist_reads_any_folder_with_the_four_idx_files(tmp_path):
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(
        fake_fashion_mnist(tmp_path)
    )
    assert x_train.shape == (6, 28, 28, 1) and x_test.shape == (4, 28, 28, 1)
    assert y_train.tolist() == [0, 1, 2, 3, 4, 5]


def test_missing_fashion_mnist_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(
        FileNotFoundError, match="apt-get install dataset-fashion-mnist"
    ):
        load_fashion_mnist()
    (tmp_path / "partial").mkdir()
    fake_fashion_mnist(tmp_path / "partial")
    (tmp_path / "partial" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
        load_fashion_mnist(tmp_path / "partial")


def test_read_idx_rejects_a_file_that_is_not_idx_or_is_truncated(tmp_path):
    write_idx(tmp_path / "good.gz", np.arange(6).reshape(2, 3))
    assert read_idx(tmp_path / "good.gz").tolist() == [[0, 1, 2], [3, 4, 5]]
    write_idx(tmp_path / "floats.gz", np.zeros(3), magic_type=0x0D)
    with pytest.raises(ValueError, match="IDX file of unsigned bytes"):
        read_idx(tmp_path / "floats.gz")
    raw = gzip.decompress((tmp_path / "good.gz").read_bytes())
    (tmp_path / "short").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="Expected 18 bytes"):
        read_idx(tmp_path / "short")


def test_load_cifar10_without_a_cache_raises_at_once_and_never_calls_keras(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(data, "_keras_dataset_dirs", lambda: [tmp_path / "datasets"])

    def no_download():
        raise AssertionError(
            "keras.datasets.cifar10.load_data was called: it would try to download"
        )

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", no_download)
    with pytest.raises(FileNotFoundError, match="allow_download=True"):
        load_cifar10()
    with pytest.raises(TypeError, match="allow_download"):
        load_cifar10(allow_download="yes")


def test_load_cifar10_returns_the_same_layout_as_fashion_mnist_when_cached(
    tmp_path, monkeypatch
):
    (tmp_path / "datasets" / "cifar-10-batches-py-target").mkdir(parents=True)
    monkeypatch.setattr(data, "_keras_dataset_dirs", lambda: [tmp_path / "datasets"])
    rng = np.random.default_rng(0)
    fake = (
        (
            rng.integers(0, 256, (5, 32, 32, 3), dtype="uint8"),
            rng.integers(0, 10, (5, 1), dtype="uint8"),
        ),
        (
            rng.integers(0, 256, (3, 32, 32, 3), dtype="uint8"),
            rng.integers(0, 10, (3, 1), dtype="uint8"),
        ),
    )
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: fake)
    (x_train, y_train), (x_test, y_test) = load_cifar10()
    assert (
        x_train.shape == (5, 32, 32, 3)
        and y_train.shape == (5,)
        and y_test.shape == (3,)
    )
    assert y_train.tolist() == fake[0][1].reshape(-1).tolist()


def test_validation_split_is_disjoint_complete_stratified_and_seeded():
    x, y = labelled_images(100, classes=4)
    (x_fit, y_fit), (x_val, y_val) = split_validation(x, y, 0.2, seed=3)
    fit_ids, val_ids = x_fit[:, 0, 0, 0].astype(int), x_val[:, 0, 0, 0].astype(int)
    assert set(fit_ids).isdisjoint(val_ids)
    assert sorted(np.concatenate([fit_ids, val_ids]).tolist()) == list(range(100))
    assert np.bincount(y_val).tolist() == [5, 5, 5, 5]
    # labels travel with their images
    assert (y_fit == fit_ids % 4).all() and (y_val == val_ids % 4).all()
    (_, _), (x_again, _) = split_validation(x, y, 0.2, seed=3)
    (_, _), (x_other, _) = split_validation(x, y, 0.2, seed=4)
    assert (x_again == x_val).all() and not (x_other == x_val).all()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"fraction": 0.0},
            ValueError,
            r"`fraction` to be a float in \(0, 1\). Received: fraction=0.0",
        ),
        ({"fraction": 1}, ValueError, "fraction=1"),
        ({"seed": -1}, TypeError, "seed=-1"),
        (
            {"y": np.zeros(99, int)},
            ValueError,
            r"Expected `y` to be 100 integer labels",
        ),
        ({"y": np.zeros(100)}, ValueError, "dtype float64"),
        ({"x": np.zeros((100, 6, 6))}, ValueError, "Received: x with shape"),
    ],
)
def test_validation_split_names_the_bad_argument(kwargs, error, match):
    x, y = labelled_images(100)
    arguments = {"x": x, "y": y, "fraction": 0.1, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        split_validation(**arguments)


def test_pipeline_batches_pads_and_keeps_raw_pixel_values():
    x = np.full((5, 28, 28, 1), 255, dtype="uint8")
    batches = list(make_dataset(x, np.arange(5), batch_size=2, pad_to=32))
    assert [tuple(images.shape) for images, _ in batches] == [(2, 32, 32, 1)] * 2 + [
        (1, 32, 32, 1)
    ]
    images, labels = batches[0]
    assert images.dtype == "float32" and labels.dtype == "int32"
    # centred: 2 zero rows and columns each side, raw 255 inside
    assert (
        images.numpy()[0, 2:30, 2:30].min() == 255 and images.numpy()[0, :2].max() == 0
    )


def test_pipeline_shuffles_every_epoch_and_never_loses_an_image():
    x, y = labelled_images(50)
    ds = make_dataset(x, y, batch_size=10, shuffle=True, seed=0)
    epochs = [
        np.concatenate([images.numpy()[:, 0, 0, 0] for images, _ in ds])
        for _ in range(2)
    ]
    assert sorted(epochs[0].tolist()) == list(range(50)) == sorted(epochs[1].tolist())
    assert epochs[0].tolist() != epochs[1].tolist() != list(range(50))


def test_augmentation_flips_and_shifts_by_whole_pixels_of_at_most_four():
    x = np.zeros((64, 28, 28, 1), dtype="uint8")
    x[:, 10, 6] = 255  # one bright pixel, left of centre
    images, _ = next(
        iter(make_dataset(x, np.zeros(64, int), batch_size=64, augment=True, seed=1))
    )
    images = images.numpy()[..., 0]
    # nearest-pixel shifts: no blur
    assert set(np.unique(images).tolist()) == {0.0, 255.0}
    rows, columns = [], []
    for image in images:
        (row,), (column,) = np.nonzero(image)
        rows.append(row)
        columns.append(min(column, 27 - column))  # undo a flip
    assert set(rows) <= set(range(6, 15)) and set(columns) <= set(range(2, 11))
    assert len(set(rows)) > 3  # shifts are drawn per image
    flipped = sum(np.nonzero(image)[1][0] > 13 for image in images)
    assert 16 <= flipped <= 48  # about half are flipped


def test_augmentation_does_nothing_at_inference():
    x = np.random.default_rng(0).integers(0, 256, (4, 28, 28, 1)).astype("float32")
    assert np.array_equal(
        keras.ops.convert_to_numpy(augmentation((28, 28))(x, training=False)), x
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"batch_size": 0},
            ValueError,
            r"`batch_size` to be an integer >= 1. Received: batch_size=0",
        ),
        ({"batch_size": 2.0}, TypeError, "batch_size=2.0"),
        (
            {"pad_to": 27},
            ValueError,
            r"`pad_to` to be an integer >= 28. Received: pad_to=27",
        ),
        ({"shuffle": 1}, TypeError, "shuffle=1"),
        ({"augment": "yes"}, TypeError, "augment='yes'"),
        ({"seed": 1.5}, TypeError, "seed=1.5"),
        ({"y": np.zeros((4, 1), int)}, ValueError, r"shape \(4, 1\)"),
    ],
)
def test_pipeline_names_the_bad_argument(kwargs, error, match):
    arguments = {
        "x": np.zeros((4, 28, 28, 1), "uint8"),
        "y": np.zeros(4, int),
        **kwargs,
    }
    with pytest.raises(error, match=match):
        make_dataset(**arguments)


def test_augmentation_shift_must_fit_the_image():
    with pytest.raises(
        ValueError,
        match=r"`max_shift` to be an integer in \[0, 7\]. Received: max_shift=8",
    ):
        augmentation((8, 8), max_shift=8)
