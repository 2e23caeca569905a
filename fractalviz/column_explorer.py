"""Column explorers: switch a trained FractalNet's columns on and off and watch its
predictions.

Two versions, one behaviour:

- `ColumnExplorer` runs the model beforehand on every non-empty subset of its network
  columns (`2**C - 1` of them) and renders self-contained HTML: one checkbox per column,
  the accuracy of the chosen subset, the whole network's and each single column's
  accuracy for reference, and a few sample images with their predicted and true labels.
  `fractalviz/js/column_explorer.js`, inlined into the output, looks the ticked subset
  up in the precomputed table, so it needs no kernel and no network: it keeps working in
  the static book. Without JavaScript the page shows the whole network's results (the
  checkboxes stay disabled).
- `column_widget` is the ipywidgets version for a live kernel: the same checkboxes, and
  each change calls the model on the data again.

The model is anything with a `num_columns` attribute whose call accepts `columns=` (a
list of network columns) and returns logits, as `fractalnet.FractalNet` does. Keras is
imported only when a model is run: importing this module stays free of TensorFlow.
"""

import base64
import hashlib
import html
import inspect
import itertools
import json
import numbers
import pathlib
import struct
import zlib

import numpy as np

from fractalviz.captions import check_caption, with_caption
from fractalviz.graph import check_int
from fractalviz.percent import (
    JS_PATH as PERCENT_JS_PATH,
    count_percent,
    fraction_percent,
)

MAX_EXPLORER_NETWORK_COLUMNS = 6  # 63 subsets to precompute
MAX_SAMPLES = 32
MAX_BATCH_SIZE = 2**16
JS_PATH = pathlib.Path(__file__).parent / "js" / "column_explorer.js"
THUMBNAIL_PX = 56  # the displayed size of a sample image's longer side
_ids = itertools.count(1)

CSS = (
    ".fractal-column-explorer{font:13px/1.4 system-ui,sans-serif;color:#222;"
    "background:#fff;border:1px solid #ccc;border-radius:6px;padding:10px;"
    "max-width:100%}"
    ".fractal-column-explorer .fce-controls{display:flex;flex-wrap:wrap;gap:4px 14px;"
    "align-items:center}"
    ".fractal-column-explorer .fce-accuracy{margin:6px 0;font-size:15px}"
    ".fractal-column-explorer table{border-collapse:collapse;font-size:12px;"
    "margin:4px 0}"
    ".fractal-column-explorer td,.fractal-column-explorer th{padding:1px 8px;"
    "text-align:left;border-bottom:1px solid #eee;color:#222;background:#fff}"
    ".fractal-column-explorer tr.fce-current td{font-weight:bold;background:#eef3fb}"
    ".fractal-column-explorer .fce-samples{display:flex;flex-wrap:wrap;gap:6px}"
    ".fractal-column-explorer .fce-sample{margin:0;padding:3px;border:2px solid #999;"
    "border-radius:4px;text-align:center;font-size:11px;min-width:64px}"
    ".fractal-column-explorer .fce-sample img{image-rendering:pixelated;display:block;"
    "margin:0 auto 2px;background:#000}"
    ".fractal-column-explorer .fce-right{border-color:#2ca02c}"
    ".fractal-column-explorer .fce-right [data-stat=mark]{color:#1a7f1a}"
    ".fractal-column-explorer .fce-wrong{border-color:#d62728}"
    ".fractal-column-explorer .fce-wrong [data-stat=mark]{color:#d62728}"
    ".fractal-column-explorer .fce-note{color:#555}"
)


# -- checks ----------------------------------------------------------------------------


def check_column_model(model):
    """Returns the model's number of network columns; raises if it cannot run a subset
    of them.

    Args:
        model: a model with an integer `num_columns` attribute whose `call` accepts
            `columns=`, such as `fractalnet.FractalNet`.

    Returns:
        `model.num_columns`, an int in `[1, 6]`.

    Raises:
        TypeError: `model` has no `num_columns` or its call takes no `columns=`
            argument.
        ValueError: `num_columns` is above 6 (there would be more than 63 subsets to
            compute).
    """
    columns = getattr(model, "num_columns", None)
    call = getattr(model, "call", None)
    try:
        accepts = call is not None and "columns" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        accepts = False
    if columns is None or not accepts:
        raise TypeError(
            "Expected a model with a `num_columns` attribute whose call accepts "
            "`columns=` (a fractalnet.FractalNet). Received: "
            f"model={type(model).__name__}"
        )
    if (
        isinstance(columns, bool)
        or not isinstance(columns, numbers.Integral)
        or columns < 1
    ):
        raise TypeError(
            "Expected `model.num_columns` to be an int >= 1. Received: "
            f"num_columns={columns!r}"
        )
    if columns > MAX_EXPLORER_NETWORK_COLUMNS:
        raise ValueError(
            f"Expected a model with at most {MAX_EXPLORER_NETWORK_COLUMNS} network "
            "columns: the explorer computes every one of the 2**C - 1 subsets. "
            f"Received: num_columns={columns} ({2**columns - 1} subsets)"
        )
    return int(columns)


def _check_data(x, y):
    x = np.asarray(x)
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(
            "Expected `x` to be a non-empty batch of images, (n, height, width, "
            f"channels). Received: x with shape {x.shape}"
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or (y.size and not np.issubdtype(y.dtype, np.integer)):
        raise ValueError(
            "Expected `y` to be integer class labels, of shape (n,). Received: y with "
            f"shape {y.shape} and dtype {y.dtype}"
        )
    if len(y) != len(x):
        raise ValueError(
            "Expected one label per image: `x` and `y` of the same length. Received: "
            f"len(x)={len(x)}, len(y)={len(y)}"
        )
    return x, y.astype(np.int64)


def _check_class_names(class_names, num_classes):
    if class_names is None:
        return [str(k) for k in range(num_classes)]
    if isinstance(class_names, (str, bytes)) or not hasattr(class_names, "__len__"):
        raise TypeError(
            "Expected `class_names` to be a list of str or None. Received: "
            f"class_names={class_names!r:.80}"
        )
    if len(class_names) != num_classes:
        raise ValueError(
            f"Expected `class_names` to name each of the model's {num_classes} "
            f"classes. Received: {len(class_names)} class_names"
        )
    return [str(name) for name in class_names]


def _check_labels(y, num_classes):
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(
            f"Expected labels in [0, {num_classes - 1}] (the model has {num_classes} "
            f"outputs). Received: labels from {y.min()} to {y.max()}"
        )


def all_subsets(num_columns):
    """Returns every non-empty subset of `range(num_columns)`, as sorted tuples, by
    bitmask.

    Subset number `mask - 1` holds the columns whose bits are set in `mask` (column k is
    bit k): the order of the explorer's precomputed table, which its JavaScript indexes
    the same way.

    Example:

    >>> all_subsets(3)
    [(0,), (1,), (0, 1), (2,), (0, 2), (1, 2), (0, 1, 2)]
    """
    return [
        tuple(k for k in range(num_columns) if mask >> k & 1)
        for mask in range(1, 2**num_columns)
    ]


def subset_mask(columns):
    """Returns the bitmask of a subset of columns (column k is bit k): the JavaScript's
    `maskOf`.

    Example:

    >>> subset_mask((0, 2))
    5
    """
    return sum(1 << k for k in set(columns))


# -- running the model -----------------------------------------------------------------


def evaluate_subset(model, x, columns, batch_size=256):
    """Runs `model` in inference mode on the network columns `columns` and returns its
    predictions.

    Args:
        model: as for `ColumnExplorer`.
        x: images, `(n, height, width, channels)`.
        columns: a non-empty sorted tuple of network columns.
        batch_size: int in [1, 65536], the batch size of the model calls.

    Returns:
        `(predictions, probabilities)`: NumPy arrays of shape `(n,)` with the predicted
        class of each image and its softmax probability.
    """
    import keras

    predictions, probabilities = [], []
    for start in range(0, len(x), batch_size):
        logits = model(
            x[start : start + batch_size], columns=list(columns), training=False
        )
        logits = np.asarray(keras.ops.convert_to_numpy(logits), dtype=np.float64)
        if logits.ndim != 2:
            raise ValueError(
                "Expected the model to return logits (batch, classes). Received: "
                f"shape {logits.shape}"
            )
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        softmax = shifted / shifted.sum(axis=1, keepdims=True)
        predicted = logits.argmax(axis=1)
        predictions.append(predicted)
        probabilities.append(softmax[np.arange(len(predicted)), predicted])
    return np.concatenate(predictions), np.concatenate(probabilities)


def _subset_result(predictions, probabilities, y, samples):
    correct = int(np.sum(predictions == y))
    return {
        "accuracy": correct / len(y),
        "correct": correct,
        "predictions": tuple(int(p) for p in predictions[:samples]),
        "probabilities": tuple(round(float(p), 4) for p in probabilities[:samples]),
    }


# -- HTML pieces, shared by both explorers ---------------------------------------------


def png_bytes(pixels):
    """Encodes an image as PNG bytes: the same bytes for the same pixels, on every run.

    Args:
        pixels: a uint8 array, `(height, width)` (grayscale) or `(height, width, 3)`
            (RGB).

    Returns:
        The PNG file, as bytes.

    Example:

    >>> png_bytes(np.zeros((2, 3), dtype=np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3):
        raise ValueError(
            "Expected pixels of shape (height, width) or (height, width, 3). "
            f"Received: {pixels.shape}"
        )
    height, width = pixels.shape[:2]

    def chunk(tag, data):
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(
        ">IIBBBBB", width, height, 8, 0 if pixels.ndim == 2 else 2, 0, 0, 0
    )
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def thumbnails(images):
    """Returns each image as a `data:image/png;base64,...` URL, scaled together to
    0-255.

    The darkest value among `images` becomes black and the brightest white (one scale
    for all, so their brightness compares). One channel gives grayscale, three give RGB.

    Args:
        images: an array `(n, height, width, channels)`, channels 1 or 3.

    Returns:
        A list of n strings.
    """
    images = np.asarray(images, dtype=np.float64)
    if len(images) == 0:
        return []
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "Expected sample images with 1 (grayscale) or 3 (RGB) channels; use "
            f"samples=0 for others. Received: images of shape {images.shape}"
        )
    low, high = float(np.min(images)), float(np.max(images))
    scaled = (images - low) / (high - low) if high > low else np.zeros_like(images)
    pixels = np.floor(255 * np.clip(scaled, 0, 1) + 0.5).astype(np.uint8)
    if pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    return [
        "data:image/png;base64," + base64.b64encode(png_bytes(p)).decode("ascii")
        for p in pixels
    ]


def column_convs(model, column):
    """The convs on network column `column` of a FractalNet (`None` for other
    models)."""
    blocks = getattr(model, "block_columns", None)
    if not blocks:
        return None
    return sum(2 ** min(column, c - 1) for c in blocks)


def _column_label(model, column, num_columns):
    convs = column_convs(model, column)
    detail = [] if convs is None else [f"{convs} conv" + ("s" if convs != 1 else "")]
    if num_columns > 1 and column == 0:
        detail.append("shallowest")
    if num_columns > 1 and column == num_columns - 1:
        detail.append("deepest")
    return f"column {column}" + (f" ({', '.join(detail)})" if detail else "")


def _subset_text(columns):
    return "{" + ", ".join(str(k) for k in columns) + "}"


def _reference_rows(model, num_columns, results, size):
    """The reference table: the whole network, then each column alone."""
    everything = tuple(range(num_columns))
    rows = [("all columns " + _subset_text(everything), everything)]
    if num_columns > 1:
        rows += [
            (_column_label(model, k, num_columns) + " alone", (k,))
            for k in range(num_columns)
        ]
    body = "".join(
        f'<tr data-mask="{subset_mask(columns)}"><td>{html.escape(label)}</td>'
        f"<td>{count_percent(results[columns]['correct'], size)}</td></tr>"
        for label, columns in rows
    )
    return f"<table><tr><th>network</th><th>accuracy</th></tr>{body}</table>"


def _samples_html(images, labels, predictions, probabilities, class_names):
    figures = []
    for i, (src, label, predicted, probability) in enumerate(
        zip(images, labels, predictions, probabilities)
    ):
        right = predicted == label
        true_name = html.escape(class_names[label])
        figures.append(
            f'<div class="fce-sample {"fce-right" if right else "fce-wrong"}" '
            f'data-sample="{i}">'
            f'<img src="{src}" width="{THUMBNAIL_PX}" alt="Sample image {i + 1}, a '
            f'{true_name}">'
            f'<span data-stat="mark">{"&#10003;" if right else "&#10007;"}</span> '
            f'<span data-stat="predicted">{html.escape(class_names[predicted])}</span> '
            "(<span "
            f'data-stat="probability">{fraction_percent(probability)}</span>)<br>'
            f"true: {true_name}</div>"
        )
    return '<div class="fce-samples">' + "".join(figures) + "</div>"


def _accuracy_line(columns, correct, size):
    return (
        f'Columns <span data-stat="subset">{_subset_text(columns)}</span>: accuracy '
        f'<b data-stat="accuracy">{count_percent(correct, size)}</b> '
        f'(<span data-stat="correct">{correct}</span> of {size} images)'
    )


# -- the static explorer ---------------------------------------------------------------


class ColumnExplorer:
    """A column explorer that runs in the page itself, from results computed beforehand.

    For every non-empty subset of the model's network columns it calls
    `model(x, columns=subset, training=False)` (in batches) and keeps the accuracy on
    `(x, y)` and, for the first `samples` images, the predicted class and its softmax
    probability. Displaying it (the last expression of a cell) renders one checkbox per
    column (the last ticked one cannot be unticked), the accuracy of the ticked subset,
    the accuracy of the whole network and of each column alone, and the sample images,
    framed green when the prediction is right and red when it is wrong. The page needs
    no kernel: it looks the subset up.

    Args:
        model: a model with `num_columns` (at most 6) whose call accepts `columns=` and
            returns logits: a `fractalnet.FractalNet`.
        x: images, `(n, height, width, channels)`, n >= 1.
        y: integer labels in `[0, classes)`, `(n,)`.
        class_names: `None` (the class numbers) or one name per class of the model.
        samples: int in `[0, 32]`, the number of images shown (the first ones of `x`;
            fewer when `x` has fewer). Their thumbnails need 1 or 3 channels.
        caption: str or `None`; if given, the explorer is wrapped in an HTML `<figure>`
            with this text (HTML-escaped) as its `<figcaption>`.
        batch_size: int in [1, 65536], the batch size of the model calls.

    Attributes:
        results: a dict from each subset (a sorted tuple of columns) to a dict with
            `accuracy` (a float), `correct` (an int), and the samples' `predictions` and
            `probabilities` (tuples; probabilities rounded to 4 decimals).
        num_columns, size, labels, class_names: what the page shows.

    Example:

    >>> import fractalnet
    >>> model = fractalnet.FractalNet(
    ...     num_classes=3, columns=[2], filters=[2], input_shape=(4, 4, 1)
    ... )
    >>> explorer = ColumnExplorer(
    ...     model, np.ones((5, 4, 4, 1)), [0, 1, 2, 0, 1], samples=2
    ... )
    >>> sorted(explorer.results)
    [(0,), (0, 1), (1,)]
    >>> explorer._repr_html_().count('type="checkbox"')
    2
    """

    def __init__(
        self, model, x, y, class_names=None, samples=8, caption=None, batch_size=256
    ):
        self.num_columns = check_column_model(model)
        x, y = _check_data(x, y)
        samples = check_int("samples", samples, 0, MAX_SAMPLES)
        self.caption = check_caption(caption)
        batch_size = check_int("batch_size", batch_size, 1, MAX_BATCH_SIZE)
        if class_names is not None and (
            isinstance(class_names, (str, bytes)) or not hasattr(class_names, "__len__")
        ):
            # raises the TypeError before running the model
            _check_class_names(class_names, 0)
        samples = min(samples, len(x))
        self.size = len(y)
        self.labels = tuple(int(label) for label in y[:samples])
        # refuses other channel counts before any model call
        self.images = thumbnails(x[:samples])
        self.model_labels = [
            _column_label(model, k, self.num_columns) for k in range(self.num_columns)
        ]
        self.results = {}
        for columns in all_subsets(self.num_columns):
            predictions, probabilities = evaluate_subset(model, x, columns, batch_size)
            if not self.results:  # the first call tells the number of classes
                num_classes = self._num_classes(model, x)
                self.class_names = _check_class_names(class_names, num_classes)
                _check_labels(y, num_classes)
            self.results[columns] = _subset_result(
                predictions, probabilities, y, samples
            )
        self._reference = _reference_rows(
            model, self.num_columns, self.results, self.size
        )

    @staticmethod
    def _num_classes(model, x):
        import keras

        return int(
            keras.ops.convert_to_numpy(model(x[:1], columns=[0], training=False)).shape[
                -1
            ]
        )

    def config(self):
        """Returns what the page reads, as a JSON-ready dict (see
        `fractalviz/js/column_explorer.js`)."""
        return {
            "num_columns": self.num_columns,
            "size": self.size,
            "class_names": self.class_names,
            "labels": list(self.labels),
            "results": [
                {
                    "columns": list(columns),
                    "correct": r["correct"],
                    "predictions": list(r["predictions"]),
                    "probabilities": list(r["probabilities"]),
                }
                for columns, r in self.results.items()
            ],
        }

    def _repr_html_(self):
        config_json = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha1(
            (config_json + "".join(self.images)).encode("utf-8")
        ).hexdigest()[:8]
        element_id = self.element_id = (
            f"fractal-column-explorer-{self._number}-{digest}"
        )
        everything = tuple(range(self.num_columns))
        full = self.results[everything]
        boxes = "".join(
            f'<label><input type="checkbox" data-column="{k}" checked disabled '
            f'aria-label="{html.escape(label)}"> {html.escape(label)}</label>'
            for k, label in enumerate(self.model_labels)
        )
        script = PERCENT_JS_PATH.read_text(encoding="utf-8") + JS_PATH.read_text(
            encoding="utf-8"
        )
        accuracy = _accuracy_line(everything, full["correct"], self.size)
        return with_caption(
            f'<div class="fractal-column-explorer" id="{element_id}" '
            f'data-config="{html.escape(config_json, quote=True)}">'
            f"<style>{CSS}</style>"
            f'<div class="fce-controls"><b>Active columns:</b> {boxes}</div>'
            '<div class="fce-note" data-stat="note">Precomputed view of the whole '
            "network (the checkboxes need JavaScript).</div>"
            f'<div class="fce-accuracy">{accuracy}</div>'
            f"{self._reference}"
            + _samples_html(
                self.images,
                self.labels,
                full["predictions"],
                full["probabilities"],
                self.class_names,
            )
            + "</div>\n"
            f"<script>\n{script}\n"
            f'FractalColumnExplorer.mount(document.getElementById("{element_id}"));\n</script>',
            self.caption,
        )

    @property
    def _number(self):
        # Numbered on first display, so that ids follow the order explorers appear on a
        # page.
        if not hasattr(self, "_assigned_number"):
            self._assigned_number = next(_ids)
        return self._assigned_number

    def __repr__(self):
        everything = tuple(range(self.num_columns))
        return (
            f"ColumnExplorer(num_columns={self.num_columns}, size={self.size}, "
            f"accuracy={count_percent(self.results[everything]['correct'], self.size)})"
        )


# -- the live widget -------------------------------------------------------------------


def column_widget(model, x, y, class_names=None, samples=8, batch_size=256):
    """Returns the ipywidgets column explorer, for a live kernel.

    The same checkboxes and read-outs as `ColumnExplorer`, computed live: each change
    calls `model(x, columns=ticked, training=False)` on all of `x` again. The reference
    accuracies (the whole network, each column alone) are computed once, when the widget
    is built. Its callbacks need a running kernel; in the static book use
    `ColumnExplorer`.

    Args:
        model, x, y, class_names, samples, batch_size: as for `ColumnExplorer`.

    Returns:
        An `ipywidgets.VBox`. Its `.controls` attribute maps `"columns"` to the list of
        checkboxes and `"accuracy"`, `"reference"` and `"samples"` to the HTML
        read-outs; `.state` holds the current `columns`, `correct`, `accuracy`,
        `predictions` and `probabilities`; `.update()` recomputes from the checkboxes.
    """
    import ipywidgets as widgets

    num_columns = check_column_model(model)
    x, y = _check_data(x, y)
    samples = min(check_int("samples", samples, 0, MAX_SAMPLES), len(x))
    batch_size = check_int("batch_size", batch_size, 1, MAX_BATCH_SIZE)
    labels = tuple(int(label) for label in y[:samples])
    images = thumbnails(x[:samples])
    num_classes = ColumnExplorer._num_classes(model, x)
    class_names = _check_class_names(class_names, num_classes)
    _check_labels(y, num_classes)

    reference = {}
    for columns in [tuple(range(num_columns))] + [(k,) for k in range(num_columns)]:
        if columns not in reference:
            reference[columns] = _subset_result(
                *evaluate_subset(model, x, columns, batch_size), y, samples
            )

    boxes = [
        widgets.Checkbox(
            value=True, description=_column_label(model, k, num_columns), indent=False
        )
        for k in range(num_columns)
    ]
    accuracy = widgets.HTML()
    table = widgets.HTML(_reference_rows(model, num_columns, reference, len(y)))
    pictures = widgets.HTML()
    state = {}

    def update(*_):
        columns = tuple(k for k, box in enumerate(boxes) if box.value)
        if not columns:  # the last ticked box is disabled, but a program may untick it
            boxes[0].value = True
            return  # the observer runs update again
        for box in boxes:
            box.disabled = box.value and len(columns) == 1
        result = _subset_result(
            *evaluate_subset(model, x, columns, batch_size), y, samples
        )
        state.update(columns=columns, **result)
        accuracy.value = _accuracy_line(columns, result["correct"], len(y))
        pictures.value = (
            f"<style>{CSS}</style><div class='fractal-column-explorer'>"
            + _samples_html(
                images,
                labels,
                result["predictions"],
                result["probabilities"],
                class_names,
            )
            + "</div>"
        )

    for box in boxes:
        box.observe(update, names="value")
    box_row = widgets.HBox([widgets.HTML("<b>Active columns:</b>")] + boxes)
    widget = widgets.VBox([box_row, accuracy, table, pictures])
    widget.update, widget.state = update, state
    widget.controls = {
        "columns": boxes,
        "accuracy": accuracy,
        "reference": table,
        "samples": pictures,
    }
    update()
    return widget
