"""Drop-path explorers: move depth, blocks, drop rate and mode, and watch the
sub-network change.

Two versions, one behaviour:

- `Explorer` renders as self-contained HTML: the controls, an SVG drawing and the
  statistics are driven by `fractalviz/js/explorer.js`, inlined into the output. It
  needs no kernel and no network, so it keeps working in the static book; in Jupyter it
  works the same way.
- `explorer_widget` is the ipywidgets version for a live kernel: the same controls,
  sampled by `sample_drop_path` in Python and drawn by `draw_fractal`.

Both draw with `Mulberry32(seed)`, one stream per setting: the n-th "Resample" of the
page and the n-th draw of `explorer_samples` are the same sub-network.

Both offer the same ranges: `MAX_EXPLORER_COLUMNS`, `MAX_EXPLORER_BLOCKS`, and drop
rates from 0 to `MAX_EXPLORER_DROP_RATE` in steps of `DROP_RATE_STEP` (the page's
sliders read them from the configuration `Explorer.config` writes, so the two cannot
drift apart).
"""

import html
import io
import itertools
import json
import pathlib

from fractalviz.captions import check_caption, with_caption
from fractalviz.graph import check_int, network_graph
from fractalviz.percent import (
    JS_PATH as PERCENT_JS_PATH,
    count_percent,
    fraction_percent,
)
from fractalviz.sampling import (
    MODES,
    Mulberry32,
    check_mode,
    check_rate,
    column_survival_rate,
    draw_and_tally,
    sample_drop_path,
)

MAX_EXPLORER_COLUMNS = 6
MAX_EXPLORER_BLOCKS = 3
# above it almost every local draw is the one forced survivor
MAX_EXPLORER_DROP_RATE = 0.9
DROP_RATE_STEP = 0.05
MANY_DRAWS = 100  # what the "Draw 100" button draws
MAX_SEED = 2**32 - 1
JS_PATH = pathlib.Path(__file__).parent / "js" / "explorer.js"
_ids = itertools.count(1)


def explorer_graph(columns, blocks):
    """Returns the graph both explorers draw: one block alone, or `blocks` blocks with
    pools.

    Args:
        columns: integer in `[1, 12]`, the number of columns `C`.
        blocks: integer in `[1, 64]`, the number of blocks `B`; with more than one, a
            pool follows each block.

    Returns:
        A `networkx.DiGraph`, as `fractalviz.network_graph` builds it.

    Example:

    >>> explorer_graph(3, 1).graph["pool"], explorer_graph(3, 2).graph["pool"]
    (False, True)
    """
    return network_graph(columns, blocks=blocks, pool=blocks > 1)


def _check_settings(columns, blocks, drop_rate, mode, seed, global_ratio):
    columns = check_int("columns", columns, 1, MAX_EXPLORER_COLUMNS)
    blocks = check_int("blocks", blocks, 1, MAX_EXPLORER_BLOCKS)
    drop_rate = check_rate(
        "drop_rate", drop_rate, closed_high=True, high=MAX_EXPLORER_DROP_RATE
    )
    check_mode(mode)
    seed = check_int("seed", seed, 0, MAX_SEED)
    global_ratio = check_rate("global_ratio", global_ratio, closed_high=True)
    return columns, blocks, drop_rate, mode, seed, global_ratio


def explorer_samples(
    columns=4, blocks=1, drop_rate=0.15, mode="mixed", seed=0, global_ratio=0.5, draws=1
):
    """Returns the first `draws` samples the explorer shows for these settings, in
    order.

    Args:
        columns, blocks, drop_rate, mode, seed, global_ratio: as for `Explorer`.
        draws: integer in `[1, 100_000]`: the first draw is what the explorer shows on
            load, each further one what "Resample" shows next.

    Returns:
        A list of `DropPathSample`s.

    Example:

    >>> [s.mode for s in explorer_samples(columns=3, mode="mixed", seed=7, draws=4)]
    ['global', 'local', 'local', 'global']
    """
    columns, blocks, drop_rate, mode, seed, global_ratio = _check_settings(
        columns, blocks, drop_rate, mode, seed, global_ratio
    )
    draws = check_int("draws", draws, 1, 100_000)
    graph = explorer_graph(columns, blocks)
    rng = Mulberry32(seed)
    return [
        sample_drop_path(graph, mode, drop_rate, global_ratio, rng)
        for _ in range(draws)
    ]


class Explorer:
    """A drop-path explorer that runs in the page itself: no kernel, no network.

    Displaying it (the last expression of a cell) renders sliders for the number of
    columns `C` (1 to 6) and blocks `B` (1 to 3), a drop-rate slider (0 to 0.9), a mode
    menu, a seed, "Resample" and "Draw 100" buttons, the sampled sub-network (dropped
    parts greyed, the longest active path in red) and its statistics: active paths,
    longest active path, and how often each column's whole path has survived so far
    against `column_survival_rate`.

    Args:
        columns: integer in `[1, 6]`, the initial number of columns.
        blocks: integer in `[1, 3]`, the initial number of blocks (pools between them).
        drop_rate: float in `[0, 0.9]`, the initial local drop rate: the slider's range.
        mode: `"local"`, `"global"` or `"mixed"`.
        seed: integer in `[0, 2**32 - 1]`, the seed of the first draw.
        global_ratio: float in `[0, 1]`, the probability that a mixed draw is global.
        caption: str or `None`; if given, the explorer is wrapped in an HTML `<figure>`
            with this text (HTML-escaped) as its `<figcaption>`.

    Example:

    >>> explorer = Explorer(columns=3, mode="local", caption="Drop-path on C = 3.")
    >>> page = explorer._repr_html_()
    >>> (
    ...     "data-config=" in page,
    ...     page.endswith("<figcaption>Drop-path on C = 3.</figcaption></figure>"),
    ... )
    (True, True)
    """

    def __init__(
        self,
        columns=4,
        blocks=1,
        drop_rate=0.15,
        mode="mixed",
        seed=0,
        global_ratio=0.5,
        caption=None,
    ):
        (
            self.columns,
            self.blocks,
            self.drop_rate,
            self.mode,
            self.seed,
            self.global_ratio,
        ) = _check_settings(columns, blocks, drop_rate, mode, seed, global_ratio)
        self.caption = check_caption(caption)
        self.element_id = f"fractal-explorer-{next(_ids)}"

    def config(self):
        """Returns the settings the page reads, as a JSON-ready dict: the initial
        settings, the controls' ranges (`max_columns`, `max_blocks`, `max_drop_rate`,
        `drop_rate_step`) and the "Draw 100" button's count (`many_draws`)."""
        return {
            "columns": self.columns,
            "blocks": self.blocks,
            "drop_rate": self.drop_rate,
            "mode": self.mode,
            "seed": self.seed,
            "global_ratio": self.global_ratio,
            "max_columns": MAX_EXPLORER_COLUMNS,
            "max_blocks": MAX_EXPLORER_BLOCKS,
            "max_drop_rate": MAX_EXPLORER_DROP_RATE,
            "drop_rate_step": DROP_RATE_STEP,
            "many_draws": MANY_DRAWS,
        }

    def _repr_html_(self):
        config = html.escape(json.dumps(self.config(), sort_keys=True), quote=True)
        script = PERCENT_JS_PATH.read_text(encoding="utf-8") + JS_PATH.read_text(
            encoding="utf-8"
        )
        return with_caption(
            f'<div class="fractal-explorer" id="{self.element_id}" '
            f'data-config="{config}">'
            "<noscript>The drop-path explorer needs JavaScript.</noscript></div>\n"
            f"<script>\n{script}\n"
            f'FractalExplorer.mount(document.getElementById("{self.element_id}"));\n</script>',
            self.caption,
        )

    def __repr__(self):
        return (
            f"Explorer(columns={self.columns}, blocks={self.blocks}, "
            f"drop_rate={self.drop_rate}, mode={self.mode!r}, seed={self.seed})"
        )


def _stats_html(graph, sample, summary, tally, draws, mode, drop_rate, global_ratio):
    theory = column_survival_rate(graph, mode, drop_rate, global_ratio)
    what = (
        f"global: column {sample.column} only" if sample.mode == "global" else "local"
    )
    rows = "".join(
        f"<tr><td>{k}</td><td>{tally[k]}/{draws}</td>"
        f"<td>{count_percent(tally[k], draws)}</td>"
        f"<td>{fraction_percent(rate, decimals=1)}</td></tr>"
        for k, rate in enumerate(theory)
    )
    return (
        f"<b>Draw {draws}</b> ({what})<br>Active paths: "
        f"{summary['active_paths']:,}<br>Longest active path: "
        f"{summary['longest_active_path']} convs (red)<br>Active convs: "
        f"{summary['active_convs']}<br>Dropped join inputs: "
        f"{summary['dropped_edges']}<br><table><tr><th>column</th><th>whole path "
        f"kept</th><th>so far</th><th>theory</th></tr>{rows}</table>"
    )


def explorer_widget(
    columns=4, blocks=1, drop_rate=0.15, mode="mixed", seed=0, global_ratio=0.5
):
    """Returns the ipywidgets drop-path explorer, for a live kernel.

    The same controls and statistics as `Explorer` (sliders for `C`, `B` and the drop
    rate, a mode menu, a seed, "Resample" and "Draw 100"), computed in Python: each
    change samples with `sample_drop_path` and redraws with `draw_fractal` into a PNG
    image widget (`benchmarks/bench_explorer_redraw.py` times a redraw). Its callbacks
    need a running kernel; in the static book use `Explorer`.

    Args:
        columns, blocks, drop_rate, mode, seed, global_ratio: the initial settings, as
            for `Explorer` (the drop rate in `[0, 0.9]`, the slider's range).

    Returns:
        An `ipywidgets.VBox`. Its `.controls` attribute maps `"columns"`, `"blocks"`,
        `"drop_rate"`, `"mode"`, `"seed"`, `"resample"`, `"draw_100"`, `"drawing"` and
        `"stats"` to the widgets; `.redraw()` draws once more (what "Resample" does) and
        `.state` holds the current graph, sample, draw count and tally, for tests and
        timing.

    Example:

    >>> box = explorer_widget(columns=3, seed=1)
    >>> box.state["draws"], bytes(box.controls["drawing"].value[:4])
    (1, b'\\x89PNG')
    >>> box.controls["draw_100"].click()
    >>> box.state["draws"], sum(box.state["tally"]) > 0
    (101, True)
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from fractalviz.draw import draw_fractal
    from fractalviz.measure import longest_path
    from fractalviz.sampling import active_subgraph

    columns, blocks, drop_rate, mode, seed, global_ratio = _check_settings(
        columns, blocks, drop_rate, mode, seed, global_ratio
    )
    columns_in = widgets.IntSlider(
        columns, min=1, max=MAX_EXPLORER_COLUMNS, description="columns C"
    )
    blocks_in = widgets.IntSlider(
        blocks, min=1, max=MAX_EXPLORER_BLOCKS, description="blocks B"
    )
    rate_in = widgets.FloatSlider(
        drop_rate,
        min=0.0,
        max=MAX_EXPLORER_DROP_RATE,
        step=DROP_RATE_STEP,
        description="drop rate",
    )
    mode_in = widgets.Dropdown(options=MODES, value=mode, description="mode")
    seed_in = widgets.BoundedIntText(seed, min=0, max=MAX_SEED, description="seed")
    resample = widgets.Button(description="Resample")
    many = widgets.Button(description=f"Draw {MANY_DRAWS}")
    drawing = widgets.Image(format="png")
    stats = widgets.HTML()
    state = {}

    def restart(*_):
        graph = explorer_graph(columns_in.value, blocks_in.value)
        state.update(
            graph=graph,
            rng=Mulberry32(seed_in.value),
            draws=0,
            tally=[0] * columns_in.value,
        )
        draw()

    def sample(n):
        graph = state["graph"]
        for _ in range(n):
            state["sample"], state["summary"] = draw_and_tally(
                graph,
                state["tally"],
                mode_in.value,
                rate_in.value,
                global_ratio,
                state["rng"],
            )
            state["draws"] += 1

    def render():
        graph, current = state["graph"], state["sample"]
        active = active_subgraph(graph, current)
        depth = 2 ** (columns_in.value - 1) * blocks_in.value
        figure = plt.figure(
            figsize=(1.0 + 0.9 * columns_in.value, min(8.0, 1.0 + 0.45 * depth)),
            facecolor="white",
        )
        try:
            draw_fractal(
                graph,
                ax=figure.add_subplot(),
                highlight_path=longest_path(active),
                active=active,
            )
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=72, facecolor="white")
        finally:
            plt.close(figure)
        drawing.value = buffer.getvalue()
        what = (
            f"global, column {current.column}" if current.mode == "global" else "local"
        )
        drawing.tooltip = (
            f"Draw {state['draws']} ({what}) of {mode_in.value} drop-path on "
            f"C = {columns_in.value}, B = {blocks_in.value}: dropped parts grey, "
            "longest active path red"
        )
        stats.value = _stats_html(
            graph,
            current,
            state["summary"],
            state["tally"],
            state["draws"],
            mode_in.value,
            rate_in.value,
            global_ratio,
        )

    def draw(*_):
        sample(1)
        render()

    def draw_many(*_):
        sample(MANY_DRAWS)
        render()

    for control in (columns_in, blocks_in, rate_in, mode_in, seed_in):
        control.observe(restart, names="value")
    resample.on_click(draw)
    many.on_click(draw_many)
    box = widgets.VBox(
        [
            widgets.HBox(
                [
                    widgets.VBox([columns_in, blocks_in, rate_in]),
                    widgets.VBox([mode_in, seed_in, widgets.HBox([resample, many])]),
                ]
            ),
            widgets.HBox([drawing, stats]),
        ]
    )
    box.redraw, box.state = draw, state
    box.controls = {
        "columns": columns_in,
        "blocks": blocks_in,
        "drop_rate": rate_in,
        "mode": mode_in,
        "seed": seed_in,
        "resample": resample,
        "draw_100": many,
        "drawing": drawing,
        "stats": stats,
    }
    restart()
    return box
