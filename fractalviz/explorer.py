"""Drop-path explorers: move depth, blocks, drop rate and mode, and watch the sub-network change.

Two versions, one behaviour:

- `Explorer` renders as self-contained HTML: the controls, an SVG drawing and the statistics are
  driven by `fractalviz/js/explorer.js`, inlined into the output. It needs no kernel and no
  network, so it keeps working in the static book; in Jupyter it works the same way.
- `explorer_widget` is the ipywidgets version for a live kernel: the same controls, sampled by
  `sample_drop_path` in Python and drawn by `draw_fractal`.

Both draw with `Mulberry32(seed)`, one stream per setting: the n-th "Resample" of the page and
the n-th draw of `explorer_samples` are the same sub-network.
"""

import html
import itertools
import json
import pathlib

from fractalviz.graph import check_int, network_graph
from fractalviz.sampling import (
    MODES,
    Mulberry32,
    check_rate,
    column_survival_rate,
    sample_drop_path,
    summarize_sample,
)

MAX_EXPLORER_COLUMNS = 6
MAX_EXPLORER_BLOCKS = 3
MAX_SEED = 2**32 - 1
JS_PATH = pathlib.Path(__file__).parent / "js" / "explorer.js"
_ids = itertools.count(1)


def explorer_graph(columns, blocks):
    """Returns the graph both explorers draw: one block alone, or `blocks` blocks with pools."""
    return network_graph(columns, blocks=blocks, pool=blocks > 1)


def _check_settings(columns, blocks, drop_rate, mode, seed, global_ratio):
    columns = check_int("columns", columns, 1, MAX_EXPLORER_COLUMNS)
    blocks = check_int("blocks", blocks, 1, MAX_EXPLORER_BLOCKS)
    drop_rate = check_rate("drop_rate", drop_rate, closed_high=False)
    if mode not in MODES:
        raise ValueError(f"Expected `mode` to be one of {MODES}. Received: mode={mode!r}")
    seed = check_int("seed", seed, 0, MAX_SEED)
    global_ratio = check_rate("global_ratio", global_ratio, closed_high=True)
    return columns, blocks, drop_rate, mode, seed, global_ratio


def explorer_samples(columns=4, blocks=1, drop_rate=0.15, mode="mixed", seed=0, global_ratio=0.5,
                     draws=1):
    """Returns the first `draws` samples the explorer shows for these settings, in order.

    Args:
        columns, blocks, drop_rate, mode, seed, global_ratio: as for `Explorer`.
        draws: integer in `[1, 100_000]`: the first draw is what the explorer shows on load,
            each further one what "Resample" shows next.

    Returns:
        A list of `DropPathSample`s.

    Example:

    >>> [s.mode for s in explorer_samples(columns=3, mode="mixed", seed=7, draws=4)]
    ['global', 'local', 'local', 'global']
    """
    columns, blocks, drop_rate, mode, seed, global_ratio = _check_settings(
        columns, blocks, drop_rate, mode, seed, global_ratio)
    draws = check_int("draws", draws, 1, 100_000)
    graph = explorer_graph(columns, blocks)
    rng = Mulberry32(seed)
    return [sample_drop_path(graph, mode, drop_rate, global_ratio, rng) for _ in range(draws)]


class Explorer:
    """A drop-path explorer that runs in the page itself: no kernel, no network.

    Displaying it (the last expression of a cell) renders sliders for the number of columns
    `C` (1 to 6) and blocks `B` (1 to 3), a drop-rate slider, a mode menu, a seed, "Resample"
    and "Draw 100" buttons, the sampled sub-network (dropped parts greyed, the longest active
    path in red) and its statistics: active paths, longest active path, and how often each
    column's whole path has survived so far against `column_survival_rate`.

    Args:
        columns: integer in `[1, 6]`, the initial number of columns.
        blocks: integer in `[1, 3]`, the initial number of blocks (pools between them).
        drop_rate: float in `[0, 1)`, the initial local drop rate (the slider offers 0 to 0.9).
        mode: `"local"`, `"global"` or `"mixed"`.
        seed: integer in `[0, 2**32 - 1]`, the seed of the first draw.
        global_ratio: float in `[0, 1]`, the probability that a mixed draw is global.

    Example:

    >>> explorer = Explorer(columns=3, mode="local")
    >>> 'data-config=' in explorer._repr_html_()
    True
    """

    def __init__(self, columns=4, blocks=1, drop_rate=0.15, mode="mixed", seed=0,
                 global_ratio=0.5):
        (self.columns, self.blocks, self.drop_rate, self.mode, self.seed,
         self.global_ratio) = _check_settings(columns, blocks, drop_rate, mode, seed, global_ratio)
        self.element_id = f"fractal-explorer-{next(_ids)}"

    def config(self):
        """Returns the settings the page reads, as a JSON-ready dict."""
        return {"columns": self.columns, "blocks": self.blocks, "drop_rate": self.drop_rate,
                "mode": self.mode, "seed": self.seed, "global_ratio": self.global_ratio,
                "max_columns": MAX_EXPLORER_COLUMNS, "max_blocks": MAX_EXPLORER_BLOCKS}

    def _repr_html_(self):
        config = html.escape(json.dumps(self.config(), sort_keys=True), quote=True)
        script = JS_PATH.read_text(encoding="utf-8")
        return (
            f'<div class="fractal-explorer" id="{self.element_id}" data-config="{config}">'
            "<noscript>The drop-path explorer needs JavaScript.</noscript></div>\n"
            f"<script>\n{script}\n"
            f'FractalExplorer.mount(document.getElementById("{self.element_id}"));\n</script>'
        )

    def __repr__(self):
        return (f"Explorer(columns={self.columns}, blocks={self.blocks}, "
                f"drop_rate={self.drop_rate}, mode={self.mode!r}, seed={self.seed})")


def _stats_html(graph, sample, summary, tally, draws, mode, drop_rate, global_ratio):
    theory = column_survival_rate(graph, mode, drop_rate, global_ratio)
    what = f"global: column {sample.column} only" if sample.mode == "global" else "local"
    rows = "".join(
        f"<tr><td>{k}</td><td>{tally[k]}/{draws}</td><td>{tally[k] / draws:.1%}</td>"
        f"<td>{rate:.1%}</td></tr>" for k, rate in enumerate(theory))
    return (
        f"<b>Draw {draws}</b> ({what})<br>"
        f"Active paths: {summary['active_paths']:,}<br>"
        f"Longest active path: {summary['longest_active_path']} convs (red)<br>"
        f"Active convs: {summary['active_convs']}<br>"
        f"Dropped join inputs: {summary['dropped_edges']}<br>"
        "<table><tr><th>column</th><th>whole path kept</th><th>so far</th><th>theory</th></tr>"
        f"{rows}</table>"
    )


def explorer_widget(columns=4, blocks=1, drop_rate=0.15, mode="mixed", seed=0, global_ratio=0.5):
    """Returns the ipywidgets drop-path explorer, for a live kernel.

    The same controls and statistics as `Explorer`, computed in Python: each change samples
    with `sample_drop_path` and redraws with `draw_fractal` (about 0.1 to 0.4 s for `C <= 6`).
    Its callbacks need a running kernel; in the static book use `Explorer`.

    Args:
        columns, blocks, drop_rate, mode, seed, global_ratio: the initial settings, as for
            `Explorer`.

    Returns:
        An `ipywidgets.VBox`; its `.redraw()` attribute redraws (and `.state` holds the
        current graph, sample and tally), for tests and timing.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    from fractalviz.draw import draw_fractal
    from fractalviz.measure import longest_path
    from fractalviz.sampling import active_subgraph

    columns, blocks, drop_rate, mode, seed, global_ratio = _check_settings(
        columns, blocks, drop_rate, mode, seed, global_ratio)
    columns_in = widgets.IntSlider(columns, min=1, max=MAX_EXPLORER_COLUMNS, description="columns C")
    blocks_in = widgets.IntSlider(blocks, min=1, max=MAX_EXPLORER_BLOCKS, description="blocks B")
    rate_in = widgets.FloatSlider(drop_rate, min=0.0, max=0.9, step=0.05, description="drop rate")
    mode_in = widgets.Dropdown(options=MODES, value=mode, description="mode")
    seed_in = widgets.BoundedIntText(seed, min=0, max=MAX_SEED, description="seed")
    resample = widgets.Button(description="Resample")
    drawing = widgets.Output()
    stats = widgets.HTML()
    state = {}

    def restart(*_):
        graph = explorer_graph(columns_in.value, blocks_in.value)
        state.update(graph=graph, rng=Mulberry32(seed_in.value), draws=0,
                     tally=[0] * columns_in.value)
        draw()

    def draw(*_):
        graph = state["graph"]
        sample = sample_drop_path(graph, mode_in.value, rate_in.value, global_ratio, state["rng"])
        summary = summarize_sample(graph, sample)
        state["draws"] += 1
        for k in summary["surviving_columns"]:
            state["tally"][k] += 1
        state["sample"] = sample
        active = active_subgraph(graph, sample)
        drawing.clear_output(wait=True)
        with drawing:
            depth = 2 ** (columns_in.value - 1) * blocks_in.value
            figure = plt.figure(figsize=(1.0 + 0.9 * columns_in.value, min(8.0, 1.0 + 0.45 * depth)),
                                facecolor="white")
            ax = draw_fractal(graph, ax=figure.add_subplot(),
                              highlight_path=longest_path(active), active=active)
            display(ax.figure)
            plt.close(ax.figure)
        stats.value = _stats_html(graph, sample, summary, state["tally"], state["draws"],
                                  mode_in.value, rate_in.value, global_ratio)

    for control in (columns_in, blocks_in, rate_in, mode_in, seed_in):
        control.observe(restart, names="value")
    resample.on_click(draw)
    box = widgets.VBox([
        widgets.HBox([widgets.VBox([columns_in, blocks_in, rate_in]),
                      widgets.VBox([mode_in, seed_in, resample])]),
        widgets.HBox([drawing, stats]),
    ])
    box.redraw, box.state = draw, state
    restart()
    return box

