"""The column explorers: what they precompute is what the model predicts, subset by
subset.

A tiny real FractalNet (untrained: only agreement matters here) on random 8x8 images.
The JavaScript tests run the page's own file under node (skipped where node is missing);
the browser test (tests/browser) checks it driving a page.
"""

import io
import json
import re
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import fractalviz as fv
from fractalnet import FractalNet
from fractalviz.column_explorer import (
    JS_PATH,
    ColumnExplorer,
    all_subsets,
    column_widget,
    png_bytes,
    subset_mask,
    thumbnails,
)
from fractalviz.percent import count_percent

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
CLASS_NAMES = ["zero", "one", "two"]


@pytest.fixture(scope="module")
def model():
    # Blocks of 2 and 3 columns: network column 2 maps onto the first block's column 1.
    return FractalNet(
        num_classes=3, columns=[2, 3], filters=[4, 4], input_shape=(8, 8, 1), seed=0
    )


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(50, 8, 8, 1)).astype("float32"), rng.integers(0, 3, size=50)


@pytest.fixture(scope="module")
def explorer(model, data):
    x, y = data
    return ColumnExplorer(
        model, x, y, class_names=CLASS_NAMES, samples=6, batch_size=16
    )


def _logits(net, x, **kwargs):
    return keras.ops.convert_to_numpy(net(x, training=False, **kwargs)).astype(
        np.float64
    )


def test_every_nonempty_subset_of_columns_is_precomputed(explorer, model):
    assert model.num_columns == 3
    assert (
        list(explorer.results)
        == all_subsets(3)
        == [(0,), (1,), (0, 1), (2,), (0, 2), (1, 2), (0, 1, 2)]
    )
    assert [subset_mask(s) for s in explorer.results] == list(range(1, 8))


@pytest.mark.parametrize("column", range(3))
def test_a_single_column_predicts_what_its_column_model_predicts(
    explorer, model, data, column
):
    x, y = data
    logits = _logits(model.column_model(column), x)
    result = explorer.results[(column,)]
    assert result["predictions"] == tuple(logits.argmax(axis=1)[:6])
    assert result["correct"] == int(np.sum(logits.argmax(axis=1) == y))
    assert result["accuracy"] == pytest.approx(np.mean(logits.argmax(axis=1) == y))
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    assert result["probabilities"] == pytest.approx(softmax.max(axis=1)[:6], abs=1e-4)


def test_every_subset_scores_what_the_masked_network_scores(explorer, model, data):
    x, y = data
    for columns, result in explorer.results.items():
        predicted = _logits(model, x, columns=list(columns)).argmax(axis=1)
        assert result["correct"] == int(np.sum(predicted == y)), columns
        assert result["accuracy"] == result["correct"] / 50
        assert result["predictions"] == tuple(int(p) for p in predicted[:6])
    # The whole set of columns is the plain network.
    assert explorer.results[(0, 1, 2)]["predictions"] == tuple(
        _logits(model, x).argmax(axis=1)[:6]
    )


def test_the_subsets_do_not_all_predict_alike(explorer):
    # Guards the agreement tests against an explorer that ignores `columns`.
    assert len({r["probabilities"] for r in explorer.results.values()}) == 7


def test_html_is_deterministic_but_for_the_explorer_number(explorer, model, data):
    x, y = data
    page = explorer._repr_html_()
    assert explorer._repr_html_() == page
    again = ColumnExplorer(
        model, x, y, class_names=CLASS_NAMES, samples=6, batch_size=7
    )._repr_html_()
    number = re.compile(r"fractal-column-explorer-\d+-")
    assert again != page  # a second explorer on a page gets its own id
    assert number.sub("ID-", again) == number.sub("ID-", page)


def test_html_has_one_checkbox_per_column_and_the_reference_accuracies(explorer):
    page = explorer._repr_html_()
    assert page.count('type="checkbox"') == 3
    assert re.findall(r'data-column="(\d)"', page) == ["0", "1", "2"]
    assert (
        "column 0 (2 convs, shallowest)" in page
        and "column 2 (6 convs, deepest)" in page
    )
    for columns in [(0, 1, 2), (0,), (1,), (2,)]:
        row = re.search(
            rf'<tr data-mask="{subset_mask(columns)}"><td>[^<]*</td><td>([^<]*)</td>',
            page,
        )
        assert row.group(1) == count_percent(explorer.results[columns]["correct"], 50)
    full = explorer.results[(0, 1, 2)]
    assert f'<b data-stat="accuracy">{count_percent(full["correct"], 50)}</b>' in page


def test_html_is_self_contained_and_carries_the_precomputed_table(explorer):
    page = explorer._repr_html_()
    assert JS_PATH.read_text(encoding="utf-8") in page
    assert 'src="http' not in page and "https://" not in page and "http://" not in page
    config = json.loads(
        re.search(r'data-config="([^"]*)"', page).group(1).replace("&quot;", '"')
    )
    assert config == explorer.config()
    assert config["results"][subset_mask((0, 2)) - 1]["columns"] == [0, 2]
    assert config["labels"] == list(explorer.labels) and config["size"] == 50


def test_samples_are_png_thumbnails_marked_right_or_wrong(explorer, data):
    x, y = data
    page = explorer._repr_html_()
    sources = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(sources) == 6
    full = explorer.results[(0, 1, 2)]
    marks = re.findall(r'class="fce-sample (fce-right|fce-wrong)"', page)
    assert marks == [
        "fce-right" if p == t else "fce-wrong"
        for p, t in zip(full["predictions"], y[:6])
    ]
    assert "fce-right" in marks or "fce-wrong" in marks
    assert f"true: {CLASS_NAMES[y[0]]}</div>" in page


def test_thumbnails_decode_to_the_images_scaled_together():
    images = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4, 1)  # 0 .. 23
    gray = [
        np.asarray(
            Image.open(io.BytesIO(__import__("base64").b64decode(u.split(",")[1])))
        )
        for u in thumbnails(images)
    ]
    assert gray[0].shape == (3, 4) and gray[0][0, 0] == 0 and gray[1][-1, -1] == 255
    assert gray[1][0, 0] == round(255 * 12 / 23)
    rgb = np.zeros((1, 2, 2, 3))
    rgb[0, 0, 0] = [1, 0, 0.5]
    decoded = np.asarray(
        Image.open(
            io.BytesIO(__import__("base64").b64decode(thumbnails(rgb)[0].split(",")[1]))
        )
    )
    assert decoded.shape == (2, 2, 3) and decoded[0, 0].tolist() == [255, 0, 128]
    assert png_bytes(np.full((2, 2), 7, np.uint8)) == png_bytes(
        np.full((2, 2), 7, np.uint8)
    )


def test_caption_wraps_the_explorer_in_a_figure(model, data):
    x, y = data
    page = ColumnExplorer(
        model, x[:4], y[:4], samples=0, caption="Columns <on> & off"
    )._repr_html_()
    assert page.startswith(
        '<figure class="fractalviz-figure"><div class="fractal-column-explorer"'
    )
    assert page.endswith(
        "</script><figcaption>Columns &lt;on&gt; &amp; off</figcaption></figure>"
    )
    assert "<img" not in page  # samples=0


def test_samples_are_capped_by_the_data(model, data):
    x, y = data
    explorer = ColumnExplorer(model, x[:3], y[:3], samples=32)
    assert len(explorer.labels) == 3 and explorer.class_names == ["0", "1", "2"]
    assert all(len(r["predictions"]) == 3 for r in explorer.results.values())


class _NoColumns(keras.Model):
    def call(self, inputs):
        return inputs


class _Wide:
    num_columns = 7

    def call(self, inputs, columns=None, training=None):
        raise AssertionError("never called")


@pytest.mark.parametrize(
    "bad_model, error, message",
    [
        (
            _NoColumns(),
            TypeError,
            r"`num_columns` attribute whose call accepts `columns=`.*_NoColumns",
        ),
        ("a model", TypeError, r"accepts `columns=`"),
        (
            _Wide(),
            ValueError,
            r"at most 6 network columns.*num_columns=7 \(127 subsets\)",
        ),
    ],
)
def test_models_that_cannot_run_a_subset_of_columns_are_refused(
    bad_model, error, message, data
):
    x, y = data
    with pytest.raises(error, match=message):
        ColumnExplorer(bad_model, x, y)
    with pytest.raises(error, match=message):
        column_widget(bad_model, x, y)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (
            dict(y=np.zeros(49, int)),
            ValueError,
            r"one label per image.*len\(x\)=50, len\(y\)=49",
        ),
        (dict(y=np.zeros(50)), ValueError, r"integer class labels.*float64"),
        (dict(y=np.full(50, 3)), ValueError, r"labels in \[0, 2\].*from 3 to 3"),
        (
            dict(x=np.zeros((50, 8, 8))),
            ValueError,
            r"\(n, height, width, channels\).*\(50, 8, 8\)",
        ),
        (dict(x=np.zeros((0, 8, 8, 1)), y=np.zeros(0, int)), ValueError, r"non-empty"),
        (
            dict(samples=33),
            ValueError,
            r"`samples` to be an integer between 0 and 32. Received: samples=33",
        ),
        (dict(samples=-1), ValueError, r"samples=-1"),
        (dict(samples=2.0), TypeError, r"samples=2.0"),
        (
            dict(class_names=["a", "b"]),
            ValueError,
            r"name each of the model's 3 classes.*2 class_names",
        ),
        (dict(class_names="abc"), TypeError, r"`class_names` to be a list"),
        (dict(caption=3), TypeError, r"`caption` to be a str or None"),
        (dict(batch_size=0), ValueError, r"batch_size=0"),
    ],
)
def test_bad_inputs_are_refused_with_the_argument_named(
    model, data, change, error, message
):
    x, y = data
    kwargs = {"x": x, "y": y, **change}
    with pytest.raises(error, match=message):
        ColumnExplorer(model, **kwargs)


def test_sample_images_need_one_or_three_channels(data):
    x, y = data
    model = FractalNet(num_classes=3, columns=[1], filters=[2], input_shape=(8, 8, 2))
    two_channels = np.concatenate([x, x], axis=-1)
    with pytest.raises(
        ValueError, match=r"1 \(grayscale\) or 3 \(RGB\) channels; use samples=0"
    ):
        ColumnExplorer(model, two_channels, y)
    assert list(ColumnExplorer(model, two_channels, y, samples=0).results) == [(0,)]


def test_widget_recomputes_the_ticked_columns_and_keeps_one_ticked(
    explorer, model, data
):
    x, y = data
    box = column_widget(model, x, y, class_names=CLASS_NAMES, samples=6)
    checks = box.controls["columns"]
    assert len(checks) == 3 and all(c.value and not c.disabled for c in checks)
    full = explorer.results[(0, 1, 2)]
    assert box.state["columns"] == (0, 1, 2) and box.state["correct"] == full["correct"]
    checks[1].value = False
    assert box.state["columns"] == (0, 2)
    assert box.state["predictions"] == explorer.results[(0, 2)]["predictions"]
    checks[0].value = False
    assert box.state["columns"] == (2,) and checks[2].disabled  # the last one is locked
    assert box.state["correct"] == explorer.results[(2,)]["correct"]
    assert count_percent(box.state["correct"], 50) in box.controls["accuracy"].value
    checks[2].value = False  # a program can still try: the widget ticks a column back
    assert any(c.value for c in checks) and box.state["columns"]
    checks[1].value = True
    assert not checks[2].disabled and box.state["columns"] in {(1, 2), (0, 1)}
    assert box.controls["samples"].value.count("<img") == 6
    assert 'data-mask="7"' in box.controls["reference"].value


def test_importing_fractalviz_imports_no_tensorflow():
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, fractalviz; print(sorted(m for m in ('tensorflow', 'keras') "
            "if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert run.stdout.strip() == "[]"


HARNESS = """
const ce = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = {
  lookups: input.subsets.map(s => ce.lookup(input.config, s)),
  masks: input.subsets.map(s => ce.maskOf(s)),
};
let refused = false;
try { ce.lookup(input.config, []); } catch (e) { refused = e instanceof RangeError; }
out.refusesEmpty = refused;
process.stdout.write(JSON.stringify(out));
"""


@needs_node
def test_the_page_looks_up_the_precomputed_entry_of_the_ticked_subset(explorer):
    config = explorer.config()
    # Any order of ticking: the lookup depends only on the set.
    subsets = [[0], [2], [2, 0], [1, 2], [0, 1, 2], [2, 1, 0], [1]]
    run = subprocess.run(
        [NODE, "-e", HARNESS, str(JS_PATH)],
        input=json.dumps({"config": config, "subsets": subsets}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    js = json.loads(run.stdout)
    for subset, entry, mask in zip(subsets, js["lookups"], js["masks"]):
        columns = tuple(sorted(subset))
        assert mask == subset_mask(columns)
        assert entry["columns"] == list(columns)
        assert entry["correct"] == explorer.results[columns]["correct"]
        assert entry["predictions"] == list(explorer.results[columns]["predictions"])
    assert js["refusesEmpty"]


def test_fractalviz_exports_the_column_explorers():
    assert fv.ColumnExplorer is ColumnExplorer and fv.column_widget is column_widget
