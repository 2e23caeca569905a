"""The explorers' percentages: Python (the page as built) and JavaScript (the page after
a click) write the same text for every count, by one rounding rule
(fractalviz/percent.py)."""

import json
import shutil
import subprocess

import numpy as np
import pytest

from fractalviz.percent import JS_PATH, count_percent, fraction_percent

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
# Held-out set sizes: chapter 5's digits, a test set of 2,000, a full test set of
# 10,000; and small draw counts, as in the drop-path explorer's tally.
SIZES = (360, 2000, 10000, 1, 7, 100)
# Probabilities as the column explorer stores them (4 decimals), and some unrounded
# fractions.
FRACTIONS = [round(k / 10000, 4) for k in range(10001)] + list(
    np.random.default_rng(0).random(2000).tolist()
)

HARNESS = """
const percent = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const counts = {};
for (const size of input.sizes) {
  counts[size] = [];
  for (let part = 0; part <= size; part++) {
    counts[size].push(percent.countPercent(part, size));
  }
}
process.stdout.write(JSON.stringify({
  counts: counts,
  whole: input.fractions.map(f => percent.fractionPercent(f)),
  tenths: input.fractions.map(f => percent.fractionPercent(f, 1)),
}));
"""


def test_counts_round_half_up_where_python_and_javascript_formats_disagree():
    # 0.15: toFixed(1) says 0.1, as does f"{3/2000:.1%}"
    assert count_percent(3, 2000) == "0.2%"
    assert count_percent(49, 400) == "12.3%"  # 12.25: f"{49/400:.1%}" says 12.2
    assert count_percent(0, 7) == "0.0%" and count_percent(7, 7) == "100.0%"
    assert fraction_percent(0.125) == "13%" and fraction_percent(0.3333) == "33%"
    assert (
        fraction_percent(0.0625, decimals=1) == "6.3%"
        and fraction_percent(1.0, decimals=1) == "100.0%"
    )


@needs_node
def test_python_and_javascript_agree_on_every_count_and_fraction():
    run = subprocess.run(
        [NODE, "-e", HARNESS, str(JS_PATH)],
        input=json.dumps({"sizes": SIZES, "fractions": FRACTIONS}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    js = json.loads(run.stdout)
    for size in SIZES:
        python = [count_percent(part, size) for part in range(size + 1)]
        differ = [
            part
            for part in range(size + 1)
            if python[part] != js["counts"][str(size)][part]
        ]
        assert not differ, (
            f"size {size}: {len(differ)} counts differ, e.g. {differ[:5]}"
        )
    assert js["whole"] == [fraction_percent(f) for f in FRACTIONS]
    assert js["tenths"] == [fraction_percent(f, decimals=1) for f in FRACTIONS]
