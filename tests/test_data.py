"""Tests of chapter 6's data: Fashion-MNIST offline, CIFAR-10 without a hang, the split
and the pipeline (each epoch a function of the seed and its number, so resumes are
exact)."""

import gzip
import pathlib

import keras
import numpy as np
import pytest

from fractalnet import data
from fractalnet.data import (
    FASHION_MNIST_DIR,
    ImageBatches,
    flip_and_shift,
    load_cifar10,
    load_fashion_mnist,
    make_dataset,
    read_idx,
    split_validation,
)
from fractalnet.training import paper_fractal_net, train_with_checkpoints

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
        ({"seed": -1}, ValueError, "seed=-1"),
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
    ds = make_dataset(x, np.arange(5), batch_size=2, pad_to=32)
    assert isinstance(ds, keras.utils.PyDataset) and len(ds) == 3
    batches = list(ds)
    assert [tuple(images.shape) for images, _ in batches] == [(2, 32, 32, 1)] * 2 + [
        (1, 32, 32, 1)
    ]
    images, labels = batches[0]
    assert images.dtype == "float32" and labels.dtype == "int32"
    # centred: 2 zero rows and columns each side, raw 255 inside
    assert images[0, 2:30, 2:30].min() == 255
    assert images[0, :2].max() == images[0, 30:].max() == 0
    assert images[0, :, :2].max() == images[0, :, 30:].max() == 0
    # an odd margin puts the extra row and column after the image
    (odd, _) = make_dataset(x[:1, :27, :26], np.arange(1), pad_to=30)[0]
    rows, columns = np.nonzero(odd[0, ..., 0])
    assert (rows.min(), rows.max(), columns.min(), columns.max()) == (1, 27, 2, 27)
    with pytest.raises(IndexError, match=r"batch index in \[0, 2\]. Received: 3"):
        ds[3]


def epoch(ds, number):
    """Every batch of epoch `number`, images and labels, as two arrays."""
    ds.set_epoch(number)
    images, labels = zip(*(ds[i] for i in range(len(ds))))
    return np.concatenate(images), np.concatenate(labels)


def test_pipeline_shuffles_every_epoch_and_never_loses_an_image():
    x, y = labelled_images(50)
    ds = make_dataset(x, y, batch_size=10, shuffle=True, seed=0)
    epochs = [epoch(ds, e)[0][:, 0, 0, 0] for e in range(2)]
    assert sorted(epochs[0].tolist()) == list(range(50)) == sorted(epochs[1].tolist())
    assert epochs[0].tolist() != epochs[1].tolist() != list(range(50))
    # labels travel with their images
    images, labels = epoch(ds, 1)
    assert (labels == images[:, 0, 0, 0].astype(int) % 4).all()
    # without shuffling: the images in their order, every epoch
    ordered = make_dataset(x, y, batch_size=10)
    assert epoch(ordered, 3)[0][:, 0, 0, 0].tolist() == list(range(50))


def test_an_epoch_is_a_function_of_the_seed_and_its_number_alone():
    x = np.random.default_rng(0).integers(0, 256, (30, 8, 8, 1)).astype("uint8")
    y = np.arange(30) % 3

    def pipeline(seed=0):
        return make_dataset(x, y, batch_size=8, shuffle=True, augment=True, seed=seed)

    one, other = pipeline(), pipeline()
    other.set_epoch(5)  # a history of other epochs changes nothing
    other[0]
    for number in (2, 0, 1):  # in any order
        a, b = epoch(one, number), epoch(other, number)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(epoch(one, 0)[0], epoch(one, 1)[0])
    assert not np.array_equal(epoch(one, 0)[1], epoch(one, 1)[1])  # another order
    assert not np.array_equal(epoch(one, 0)[0], epoch(pipeline(seed=1), 0)[0])
    # Keras begins each pass with `on_epoch_begin`: the epoch set, else the next one
    fresh = pipeline()
    fresh.on_epoch_begin()
    assert fresh.epoch == 0
    fresh.on_epoch_begin()
    assert fresh.epoch == 1
    fresh.set_epoch(7)
    fresh.on_epoch_begin()
    assert fresh.epoch == 7


def shifted(image, down, right):
    """`image` moved by whole pixels, zeros shifted in: the reference, one image at a
    time."""
    out = np.zeros_like(image)
    height, width = image.shape[:2]
    out[max(down, 0) : height + min(down, 0), max(right, 0) : width + min(right, 0)] = (
        image[
            max(-down, 0) : height - max(down, 0),
            max(-right, 0) : width - max(right, 0),
        ]
    )
    return out


def test_augmentation_is_a_flip_and_a_whole_pixel_shift_of_at_most_four_zeros_in():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 256, (200, 12, 10, 2)).astype("uint8")  # no zero pixel
    ds = make_dataset(x, np.zeros(200, int), batch_size=50, augment=True, seed=1)
    images, _ = epoch(ds, 0)
    assert images.dtype == "float32"
    moves = []
    for original, image in zip(x.astype("float32"), images):
        found = [
            (flip, down, right)
            for flip in (False, True)
            for down in range(-4, 5)
            for right in range(-4, 5)
            if np.array_equal(
                image, shifted(original[:, ::-1] if flip else original, down, right)
            )
        ]
        assert len(found) == 1, found  # exactly one flip and shift explains it
        moves.append(found[0])
    flips, downs, rights = zip(*moves)
    assert 60 <= sum(flips) <= 140  # about half are flipped
    assert set(downs) == set(rights) == set(range(-4, 5))  # every shift, per image
    # without `augment`, the images themselves
    plain, _ = epoch(make_dataset(x, np.zeros(200, int), batch_size=50), 0)
    assert np.array_equal(plain, x.astype("float32"))


def test_flip_and_shift_keeps_the_dtype_and_needs_a_shift_that_fits():
    x = np.ones((3, 8, 8, 1), "uint8")
    rng = np.random.default_rng(0)
    assert flip_and_shift(x, rng).dtype == np.uint8
    assert np.array_equal(flip_and_shift(x, rng, max_shift=0, flip=False), x)
    with pytest.raises(
        ValueError,
        match=r"`max_shift` to be an integer in \[0, 7\]. Received: max_shift=8",
    ):
        flip_and_shift(x, rng, max_shift=8)
    with pytest.raises(TypeError, match="flip=1"):
        flip_and_shift(x, rng, flip=1)


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
        (
            {"x": np.zeros((4, 4, 9, 1)), "augment": True},
            ValueError,
            r"at least 5 x 5 pixels with `augment=True`.*shape \(4, 4, 9, 1\)",
        ),
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


@pytest.mark.parametrize(
    "value, error", [(-1, ValueError), (1.0, TypeError), (True, TypeError)]
)
def test_set_epoch_names_a_bad_epoch(value, error):
    ds = make_dataset(np.zeros((4, 8, 8, 1)), np.zeros(4, int))
    with pytest.raises(error, match=f"`epoch` to be an integer >= 0. .*epoch={value}"):
        ds.set_epoch(value)


# The key property: with `train_with_checkpoints`, a run interrupted after its first
# epoch and resumed by a fresh model and a fresh dataset (as in a new process) ends
# where the uninterrupted run ends. The weights agree within `RESUMED` (measured: 0.0,
# the same float32 computations in the same order); a dataset that is not told the
# epoch (it restarts at epoch 0) ends more than `DIFFERENT` away. The network draws
# drop-path and dropout too: `RandomStateBackup` restores their random states into the
# rebuilt network, though a second model in one process names its seed generators anew.
RESUMED, DIFFERENT = 1e-6, 1e-3


def tiny_training(directory, epochs, dataset_class=ImageBatches):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (60, 8, 8, 1)).astype("uint8"), rng.integers(0, 3, 60)
    # the pipeline `make_dataset(x, y, 10, shuffle=True, augment=True)` builds
    train = dataset_class(x, y, 10, True, True, None, 0)
    keras.utils.set_random_seed(0)
    model = paper_fractal_net(
        (1, 2),
        (4, 8),
        epochs=2,
        steps_per_epoch=len(train),
        num_classes=3,
        image_shape=(8, 8, 1),
    )
    train_with_checkpoints(model, train, None, epochs, directory, verbose=0)
    return np.concatenate([np.ravel(w) for w in model.get_weights()])


class Untold(ImageBatches):
    def set_epoch(self, epoch):
        pass  # counts its own passes, from 0 in the new process


def test_a_resumed_run_sees_the_batches_of_the_uninterrupted_run(tmp_path):
    straight = tiny_training(tmp_path / "straight", 2)
    tiny_training(tmp_path / "resumed", 1)  # stops after epoch 0, its backup saved
    resumed = tiny_training(tmp_path / "resumed", 2)  # a fresh model and dataset
    assert np.max(np.abs(resumed - straight)) <= RESUMED
    tiny_training(tmp_path / "untold", 1, Untold)
    untold = tiny_training(tmp_path / "untold", 2, Untold)
    assert np.max(np.abs(untold - straight)) > DIFFERENT
