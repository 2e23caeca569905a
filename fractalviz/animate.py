"""Drop-path in motion: one sampled sub-network per frame, with a running tally beside
it.

Each frame is one training step's draw (`sample_drop_path`, seeded with
`Mulberry32(seed)` like the explorer): the dropped parts are greyed, the longest active
path is drawn bold in red, and a panel counts the active paths, the longest active path
and, for each column, how often its whole path has survived so far against
`column_survival_rate`.

- `animate_drop_path` returns the Matplotlib `FuncAnimation`;
- `sample_grid` draws the same draws side by side (every one, up to `GRID_MAX_FRAMES`)
  with the column tally after the last of them: the still version, for print and pages
  without JavaScript;
- `embed_animation` wraps both for a notebook: a playable player (`jshtml`, offline,
  with deterministic ids and no external stylesheet) followed by the stills, which show
  instead of the player in print and where its script does not run; the stills again as
  PNG for PDF builds; and a size budget (`ANIMATION_BUDGET_BYTES`) it refuses to exceed.
  The player's image has an `alt` text saying what it shows, the PNG an `alt` in its
  output metadata, and an optional `caption` makes the whole a captioned HTML figure.

Frames are drawn for a projector: rendered at `FRAME_DPI` and shown at `CSS_PX_PER_INCH`
CSS pixels per figure inch (sharp on high-density screens and projectors), with text of
`LABEL_PT` points and more (15 CSS pixels and more at full size), laid out so that no
two texts overlap. They are stored as palette PNGs (`_palette_png`), which keeps a
player of a dozen frames within the budget.
"""

import base64
import hashlib
import html as html_lib
import io
import itertools
import re

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation
from PIL import Image

from fractalviz.captions import check_caption, with_caption
from fractalviz.draw import CONV_COLOR, draw_fractal, layout
from fractalviz.graph import check_graph, check_int
from fractalviz.measure import count_paths, longest_path
from fractalviz.sampling import (
    Mulberry32,
    active_subgraph,
    check_mode,
    check_rate,
    column_survival_rate,
    count_graph_columns,
    draw_and_tally,
)

ANIMATION_BUDGET_BYTES = 1_000_000
MAX_FRAMES = 60
MIN_INTERVAL_MS, MAX_INTERVAL_MS = 50, 10_000
# the stills show every draw up to this many, and say so when they show fewer
GRID_MAX_FRAMES = 24
FRAME_DPI = 150  # resolution of the player's frames and of the stills
# a frame is shown this many CSS pixels wide per figure inch, at most
CSS_PX_PER_INCH = 100
HEADER_PT, TEXT_PT, LABEL_PT = 15, 13, 11  # font sizes of the frames, in points
PALETTE_COLORS = (
    96  # colours of a frame's palette PNG: the drawing's few, and their anti-aliasing
)
_ids = itertools.count(1)
# matplotlib's player draws its buttons with Font Awesome 4 from a CDN; text glyphs work
# offline.
_ICONS = {
    "fa fa-minus": "\u2212",
    "fa fa-fast-backward": "\u21e4",
    "fa fa-step-backward": "\u2039",
    "fa fa-play fa-flip-horizontal": "\u25c0",
    "fa fa-pause": "\u275a\u275a",
    "fa fa-play": "\u25b6",
    "fa fa-step-forward": "\u203a",
    "fa fa-fast-forward": "\u21e5",
    "fa fa-plus": "+",
}
# The player's style, in place of matplotlib's (whose slider is 374 px wide and whose
# nine 36-pixel buttons overflow a phone): the frame scales down to the page, the
# buttons and the repetition choices wrap onto more lines, and the slider takes the
# width there is. The stills (`.fractalviz-stills`) replace the player in print, and
# where the player's script did not run (the wrapper then keeps its class `fv-nojs`).
_PLAYER_STYLE = """<style>
.fractalviz-animation { max-width: 100%; }
.fractalviz-animation .animation { display: flex; flex-direction: column; \
align-items: center;
  max-width: 100%; text-align: center; }
.fractalviz-animation .animation img { max-width: 100%; height: auto; }
.fractalviz-animation .anim-controls { display: flex; flex-direction: column; \
align-items: center;
  width: 100%; }
.fractalviz-animation input[type=range].anim-slider { width: 100%; max-width: 420px; \
margin: 0; }
.fractalviz-animation .anim-buttons { display: flex; flex-wrap: wrap; \
justify-content: center;
  gap: 4px; margin: 8px 0; max-width: 100%; }
.fractalviz-animation .anim-buttons button { min-width: 36px; min-height: 32px; \
padding: 0 4px;
  margin: 0; }
.fractalviz-animation .anim-state { display: flex; flex-wrap: wrap; justify-content: \
center;
  align-items: center; gap: 4px 8px; }
.fractalviz-animation .anim-state label { margin: 0; }
.fractalviz-animation .anim-state input { margin: 0; vertical-align: middle; }
.fractalviz-animation .fractalviz-stills { display: none; max-width: 100%; height: auto;
  margin: 0 auto; }
.fractalviz-animation.fv-nojs .animation { display: none; }
.fractalviz-animation.fv-nojs .fractalviz-stills { display: block; }
@media print {
  .fractalviz-animation .animation { display: none !important; }
  .fractalviz-animation .fractalviz-stills { display: block !important; }
}
</style>"""


def _draws(graph, mode, drop_rate, global_ratio, frames, seed):
    """The first `frames` draws with their summaries and running column tallies."""
    rng = Mulberry32(check_int("seed", seed, 0, 2**32 - 1))
    width = count_graph_columns(graph)
    tally, draws = [0] * width, []
    for _ in range(frames):
        sample, summary = draw_and_tally(
            graph, tally, mode, drop_rate, global_ratio, rng
        )
        draws.append((sample, summary, list(tally)))
    return draws


def _check(graph, mode, drop_rate, global_ratio, frames):
    check_graph(graph)
    check_mode(mode)
    check_rate("drop_rate", drop_rate, closed_high=False)
    check_rate("global_ratio", global_ratio, closed_high=True)
    return check_int("frames", frames, 1, MAX_FRAMES)


def describe(graph, mode, drop_rate, global_ratio, frames):
    """Returns a sentence saying what an animation of drop-path on `graph` shows: its
    alt text.

    Args:
        graph, mode, drop_rate, global_ratio, frames: as for `animate_drop_path`.

    Returns:
        A string naming the mode and its rates, the graph's columns and blocks, and the
        frames.

    Example:

    >>> from fractalviz.graph import network_graph
    >>> print(
    ...     describe(network_graph(3, blocks=2), "local", 0.15, 0.5, 12).split(". ")[0]
    ... )
    Animation, 12 frames: local drop-path (drop rate 0.15) on a fractal network of B = 2
        blocks of C = 3 columns
    """
    frames = _check(graph, mode, drop_rate, global_ratio, frames)
    columns = graph.graph.get("columns", count_graph_columns(graph))
    blocks = graph.graph.get("blocks", 1)
    rule = " (parallel rule)" if graph.graph.get("rule") == "parallel" else ""
    where = (
        f"a fractal block of C = {columns} columns{rule}"
        if blocks == 1
        else f"a fractal network of B = {blocks} blocks of C = {columns} columns{rule}"
    )
    rates = f"drop rate {drop_rate:g}" + (
        f", global ratio {global_ratio:g}" if mode == "mixed" else ""
    )
    return (
        f"Animation, {frames} frame{'s' if frames > 1 else ''}: {mode} drop-path "
        f"({rates}) on {where}. Each frame is one sampled sub-network, dropped parts "
        "grey and the longest active path red, beside bars of how often each column's "
        "whole path has survived so far, against its exact rate."
    )


def _what(sample):
    """What a draw kept: "local", or "global, column k"."""
    return f"global, column {sample.column}" if sample.mode == "global" else "local"


def _settings(mode, drop_rate, global_ratio):
    """The rates a mode uses: a global draw has no drop rate, a local one no global
    ratio."""
    if mode == "global":
        return "global drop-path"
    return f"{mode} drop-path, drop rate {drop_rate:g}" + (
        f", global ratio {global_ratio:g}" if mode == "mixed" else ""
    )


def _drawing_size(graph, height):
    """`(width, height, label_pt)` of `graph`'s drawing, at most `height` inches tall.

    `draw_fractal` draws rows and columns on one scale; the labels ("in", "out", "pool")
    are sized to fit the pool boxes, which are 0.4 row tall.
    """
    # the y-limits: depth + 0.5 to -0.5
    rows = max(y for _, y in layout(graph).values()) + 1.0
    unit = min(0.36, height / rows)  # inches per row (and per column)
    label_pt = max(4.0, min(LABEL_PT, 38.0 * unit))
    return unit * (count_graph_columns(graph) + 0.6), unit * rows, label_pt


def _axes(fig, x, y, width, height):
    """An axes placed in inches from the figure's lower left corner."""
    fig_width, fig_height = fig.get_size_inches()
    return fig.add_axes(
        (x / fig_width, y / fig_height, width / fig_width, height / fig_height)
    )


def _draw_tally(ax, tally, draws, theory, title):
    """Bars: the share of `draws` in which each column's whole path survived; ticks:
    `theory`."""
    width = len(theory)
    ax.set_facecolor("white")
    ax.barh(range(width), [t / draws for t in tally], color=CONV_COLOR, height=0.6)
    row_pt = ax.get_position().height * ax.figure.get_size_inches()[1] * 72 / width
    ax.scatter(
        theory,
        range(width),
        marker="|",
        s=(0.75 * row_pt) ** 2,
        linewidths=2.5,
        color="black",
        zorder=3,
    )
    ax.set_yticks(
        range(width), [f"column {k}" for k in range(width)], fontsize=TEXT_PT - 1
    )
    ax.tick_params(axis="x", labelsize=LABEL_PT)
    ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    ax.set_xlim(0, 1.05)
    ax.set_ylim(width - 0.5, -0.5)
    ax.set_xlabel("share of the draws (tick: exact rate)", fontsize=LABEL_PT)
    ax.set_title(title, fontsize=TEXT_PT, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _frame_layout(graph):
    """The figure and its three places: the drawing, the text of the draw, the tally."""
    # In inches: a header line of 0.6; the drawing on the left; on the right, three
    # lines of text (0.75), the tally's title (0.6) and the tally above its axis labels
    # (0.75).
    draw_width, draw_height, label_pt = _drawing_size(graph, 4.3)
    height = max(draw_height + 0.85, 2.6 + max(1.3, 0.42 * count_graph_columns(graph)))
    text_x = 0.35 + draw_width + 0.45
    width = text_x + 0.95 + 3.4 + 0.35
    fig = plt.figure(figsize=(width, height), facecolor="white")
    ax_graph = _axes(fig, 0.35, height - 0.6 - draw_height, draw_width, draw_height)
    ax_tally = _axes(fig, text_x + 0.95, 0.75, 3.4, height - 2.7)
    return fig, ax_graph, ax_tally, (text_x, height - 0.65), label_pt


def animate_drop_path(
    graph,
    mode="mixed",
    drop_rate=0.15,
    global_ratio=0.5,
    frames=12,
    seed=0,
    interval=900,
):
    """Animates drop-path sampling on a fractal block or network, one draw per frame.

    A frame shows the draw's sub-network (dropped parts grey, the longest active path
    red), what was drawn with its active paths and longest active path, and bars of how
    often each column's whole path has survived so far against its exact rate. Its size
    follows the graph; its text is at least `LABEL_PT` points, and no two texts overlap.

    Args:
        graph: a fractal graph from `fractalviz.graph` (a block or a whole network).
        mode: `"local"`, `"global"` or `"mixed"`.
        drop_rate: float in `[0, 1)`, each join input's drop probability in local mode.
        global_ratio: float in `[0, 1]`, the probability that a mixed draw is global.
        frames: integer in `[1, 60]`, the number of draws shown.
        seed: integer in `[0, 2**32 - 1]`; the draws are the explorer's for the same
            seed.
        interval: integer in `[50, 10_000]`, milliseconds between frames.

    Returns:
        A `matplotlib.animation.FuncAnimation` (its figure is left open: close it with
        `plt.close(anim._fig)` once embedded, as `embed_animation` does).

    Example:

    >>> from fractalviz.graph import block_graph
    >>> anim = animate_drop_path(block_graph(3), frames=2)
    >>> html = jshtml(anim, dpi=30)
    >>> html.count('frames[0] = "data:image/png')
    1
    >>> plt.close(anim._fig)
    """
    frames = _check(graph, mode, drop_rate, global_ratio, frames)
    interval = check_int("interval", interval, MIN_INTERVAL_MS, MAX_INTERVAL_MS)
    draws = _draws(graph, mode, drop_rate, global_ratio, frames, seed)
    theory = column_survival_rate(graph, mode, drop_rate, global_ratio)
    total_paths = count_paths(graph)
    fig, ax_graph, ax_tally, (text_x, text_y), label_pt = _frame_layout(graph)
    fig.text(
        0.5,
        1 - 0.12 / fig.get_size_inches()[1],
        _settings(mode, drop_rate, global_ratio),
        ha="center",
        va="top",
        fontsize=HEADER_PT,
    )
    width, height = fig.get_size_inches()
    what = fig.text(
        text_x / width,
        text_y / height,
        "",
        va="top",
        fontsize=TEXT_PT,
        fontweight="bold",
    )
    counts = fig.text(
        text_x / width,
        (text_y - 0.3) / height,
        "",
        va="top",
        fontsize=TEXT_PT - 1,
        linespacing=1.35,
    )

    def update(index):
        sample, summary, tally = draws[index]
        ax_graph.clear()
        ax_tally.clear()
        active = active_subgraph(graph, sample)
        draw_fractal(
            graph,
            ax=ax_graph,
            active=active,
            highlight_path=longest_path(active),
            fontsize=label_pt,
        )
        what.set_text(f"draw {index + 1} of {frames}: {_what(sample)}")
        counts.set_text(
            f"active paths: {summary['active_paths']:,} of {total_paths:,}\n"
            f"longest active path: {summary['longest_active_path']} convs"
        )
        _draw_tally(
            ax_tally, tally, index + 1, theory, "each column's whole path kept so far"
        )
        return []

    update(0)
    return FuncAnimation(fig, update, frames=frames, interval=interval, repeat=True)


def sample_grid(
    graph, mode="mixed", drop_rate=0.15, global_ratio=0.5, frames=12, seed=0, ncols=None
):
    """Draws an animation's draws side by side, then the column tally after the last of
    them.

    The still version of `animate_drop_path` with the same arguments, for print and for
    pages that run no JavaScript: every draw (the first `GRID_MAX_FRAMES` of a longer
    animation; the title says which), each titled with its number and what it kept, and
    bars of how often each column's whole path survived over those draws, against its
    exact rate.

    Args:
        graph, mode, drop_rate, global_ratio, seed: as for `animate_drop_path`.
        frames: integer in `[1, 60]`, the number of draws of the animation.
        ncols: integer in `[1, 24]`, the number of drawings per row, or `None` for as
            many as fit in about 10 inches.

    Returns:
        The Matplotlib `Figure` (white background): one axes per draw shown, then the
        tally.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> fig = sample_grid(block_graph(3), frames=4, ncols=2)
    >>> (
    ...     len(fig.axes),
    ...     fig.axes[0].get_title().splitlines()[0],
    ...     fig.axes[-1].get_title(loc="left"),
    ... )
    (5, 'draw 1', 'after 4 draws: whole column path kept')
    >>> plt.close(fig)
    """
    frames = _check(graph, mode, drop_rate, global_ratio, frames)
    shown = min(frames, GRID_MAX_FRAMES)
    draw_width, draw_height, label_pt = _drawing_size(graph, 3.2)
    panel_width, panel_height = max(draw_width, 1.45) + 0.2, draw_height + 0.75
    if ncols is None:
        ncols = max(1, min(shown, int(10 // panel_width)))
    ncols = min(check_int("ncols", ncols, 1, GRID_MAX_FRAMES), shown)
    nrows = -(-shown // ncols)
    tally_height = max(1.0, 0.36 * count_graph_columns(graph))
    width = max(ncols * panel_width, 5.6) + 0.3
    height = 1.0 + nrows * panel_height + tally_height + 1.15
    fig = plt.figure(figsize=(width, height), facecolor="white")
    draws = _draws(graph, mode, drop_rate, global_ratio, shown, seed)
    for index, (sample, _, _) in enumerate(draws):
        row, column = divmod(index, ncols)
        x = 0.15 + column * panel_width + (panel_width - draw_width) / 2
        y = height - 1.0 - row * panel_height - 0.6 - draw_height
        active = active_subgraph(graph, sample)
        ax = draw_fractal(
            graph,
            ax=_axes(fig, x, y, draw_width, draw_height),
            active=active,
            highlight_path=longest_path(active),
            fontsize=label_pt,
        )
        ax.set_title(f"draw {index + 1}\n{_what(sample)}", fontsize=TEXT_PT - 1)
    which = (
        f"All {frames} draws"
        if shown == frames
        else f"The first {shown} of {frames} draws"
    )
    fig.text(
        0.5,
        1 - 0.12 / height,
        f"{which} of {_settings(mode, drop_rate, global_ratio)}\n"
        "grey: dropped; red: the longest active path",
        ha="center",
        va="top",
        fontsize=TEXT_PT,
        linespacing=1.4,
    )
    theory = column_survival_rate(graph, mode, drop_rate, global_ratio)
    _draw_tally(
        _axes(fig, 1.25, 0.75, min(4.0, width - 1.6), tally_height),
        draws[-1][2],
        shown,
        theory,
        f"after {shown} draws: whole column path kept",
    )
    return fig


def _palette_png(png):
    """The same picture as an 8-bit palette PNG: a drawing's few flat colours take a
    fraction of the bytes of 32-bit RGBA."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    palette = image.quantize(
        PALETTE_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    buffer = io.BytesIO()
    palette.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def _figure_png(fig, dpi):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return _palette_png(buffer.getvalue())


def _data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def jshtml(anim, dpi=FRAME_DPI, alt=None, stills=None, stills_alt=None):
    """Returns the animation as a self-contained HTML player that works offline.

    Matplotlib's `to_jshtml`, changed: frames rendered at `dpi` as palette PNGs and
    shown at `CSS_PX_PER_INCH` CSS pixels per figure inch (never wider than the page);
    the Font Awesome stylesheet it links from a CDN removed (the buttons get text glyphs
    instead); its style replaced by one whose buttons wrap on a narrow screen; an `alt`
    text on the frame image and an accessible name ("Frame") on the frame slider; and
    its random `uuid` replaced by an id that is the same on every run of the same
    notebook. With `stills`, a picture of the frames follows the player and shows
    instead of it in print and where its script does not run.

    Args:
        anim: a Matplotlib animation, e.g. from `animate_drop_path`.
        dpi: integer in `[20, 300]`, the resolution of the frames.
        alt: str or `None`, the frame image's alternative text (HTML-escaped); `None`
            gives a generic "Animation, N frames".
        stills: PNG bytes (e.g. of `sample_grid`), rendered at `dpi` too, or `None`.
        stills_alt: str or `None`, the stills' alternative text.

    Returns:
        The player's HTML, as a string: a `<div class="fractalviz-animation">`.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> anim = animate_drop_path(block_graph(2), frames=2)
    >>> html = jshtml(anim, dpi=30, alt="Two draws & their tally")
    >>> 'alt="Two draws &amp; their tally"' in html, "font-awesome" in html
    (True, False)
    >>> plt.close(anim._fig)
    """
    dpi = check_int("dpi", dpi, 20, 300)
    for name, text in (("alt", alt), ("stills_alt", stills_alt)):
        if text is not None and not isinstance(text, str):
            raise TypeError(
                f"Expected `{name}` to be a str or None. Received: {name}={text!r:.80} "
                f"(type {type(text).__name__})"
            )
    anim._fig.set_dpi(dpi)
    html = anim.to_jshtml(default_mode="loop")
    html = re.sub(
        r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", html
    )
    for icon, glyph in _ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', glyph)
    html, found = re.subn(
        r"<style>\s*\.animation \{.*?</style>",
        lambda _: _PLAYER_STYLE,
        html,
        flags=re.S,
    )
    if found != 1:  # guards against a change of Matplotlib's template
        raise RuntimeError(
            "Matplotlib's jshtml template changed: no single player <style> found."
        )
    html = re.sub(
        r'(frames\[\d+\] = ")data:image/png;base64,([A-Za-z0-9+/=\\\n]*)"',
        lambda m: (
            m.group(1)
            + _data_uri(_palette_png(base64.b64decode(m.group(2).replace("\\\n", ""))))
            + '"'
        ),
        html,
    )
    if alt is None:
        frames = len(re.findall(r'frames\[\d+\] = "data:', html))
        alt = f"Animation, {frames} frame{'s' if frames != 1 else ''}"
    css_width = round(anim._fig.get_size_inches()[0] * CSS_PX_PER_INCH)
    html, found = re.subn(
        r'(<img id="_anim_img[0-9a-f]{32}")>',
        lambda match: (
            f'{match.group(1)} alt="{html_lib.escape(alt, quote=True)}" '
            f'style="width: {css_width}px">'
        ),
        html,
    )
    if found != 1:  # guards against a change of Matplotlib's template
        raise RuntimeError(
            "Matplotlib's jshtml template changed: no single frame <img> found."
        )
    html, found = re.subn(
        r'(<input [^>]*class="anim-slider")', r'\1 aria-label="Frame"', html
    )
    if found != 1:  # a screen reader names the slider; the template has exactly one
        raise RuntimeError(
            "Matplotlib's jshtml template changed: no single frame slider found."
        )
    if stills is not None:
        stills_width = round(
            Image.open(io.BytesIO(stills)).width / dpi * CSS_PX_PER_INCH
        )
        html += (
            f'<img class="fractalviz-stills" src="{_data_uri(stills)}" '
            f'alt="{html_lib.escape(stills_alt or alt, quote=True)}" '
            f'style="width: {stills_width}px">'
        )
    old = re.search(r'id="_anim_img([0-9a-f]{32})"', html).group(1)
    digest = hashlib.sha1(html.replace(old, "").encode()).hexdigest()[:10]
    new = f"fv{next(_ids)}x{digest}"
    html = html.replace(old, new)
    if stills is None:
        return f'<div class="fractalviz-animation">{html}</div>'
    # The wrapper shows the stills until the player's script runs and says so.
    return (
        f'<div class="fractalviz-animation fv-nojs" id="fractalviz-{new}">{html}'
        f'<script>document.getElementById("fractalviz-{new}").classList.remove("fv-nojs");'
        "</script></div>"
    )


class EmbeddedAnimation:
    """A playable animation for HTML with its stills for print, in one notebook output.

    Jupyter and the HTML book show `_repr_html_` (the player, followed by the stills
    that replace it in print and without JavaScript); the PDF/LaTeX build, which cannot
    run JavaScript, picks `_repr_png_` (the same stills).

    Attributes:
        html: the player's HTML (`jshtml`), in a captioned `<figure>` if there is a
            caption.
        png: the stills (`sample_grid`) as PNG bytes.
        png_alt: the stills' alternative text, given to the notebook as the PNG's `alt`
            metadata (Jupyter and nbconvert show it; what a renderer does with it is its
            own).
        size: `len(html)` in bytes (UTF-8), what the page embeds.
    """

    def __init__(self, html, png, png_alt=None):
        self.html, self.png, self.png_alt = html, png, png_alt
        self.size = len(html.encode("utf-8"))

    def _repr_html_(self):
        return self.html

    def _repr_png_(self):
        if self.png_alt is None:
            return self.png
        return self.png, {"alt": self.png_alt}

    def __repr__(self):
        return (
            f"<EmbeddedAnimation: {self.size / 1e6:.2f} MB of HTML, "
            f"{len(self.png) / 1e3:.0f} kB PNG stills>"
        )


def embed_animation(
    graph,
    mode="mixed",
    drop_rate=0.15,
    global_ratio=0.5,
    frames=12,
    seed=0,
    interval=900,
    dpi=FRAME_DPI,
    budget_bytes=ANIMATION_BUDGET_BYTES,
    caption=None,
):
    """Animates drop-path on `graph` and packs it for a notebook: player, stills,
    budget.

    The player's frame image gets an `alt` text from `describe` (mode, rates, columns,
    blocks, frames), and so do the stills (as an image in the HTML and as the PNG's
    output metadata).

    Args:
        graph, mode, drop_rate, global_ratio, frames, seed, interval: as for
            `animate_drop_path`; the stills (`sample_grid`) show the same draws, every
            one up to `GRID_MAX_FRAMES`.
        dpi: integer in `[20, 300]`, the resolution of the frames and the stills
            (default `FRAME_DPI`).
        budget_bytes: integer in `[1, 20_000_000]`, the most HTML the page may embed
            (default 1 MB).
        caption: str or `None`; if given, the player is wrapped in an HTML `<figure>`
            with this text (HTML-escaped) as its `<figcaption>`.

    Returns:
        An `EmbeddedAnimation`; display it as a cell's last expression.

    Raises:
        ValueError: if the HTML exceeds `budget_bytes` (fewer frames or a lower `dpi`
            help).

    Example:

    >>> from fractalviz.graph import block_graph
    >>> movie = embed_animation(
    ...     block_graph(2), frames=2, dpi=30, caption="Two draws, C = 2."
    ... )
    >>> (
    ...     movie.html.startswith('<figure class="fractalviz-figure">'),
    ...     movie.size < 100_000,
    ... )
    (True, True)
    >>> "<figcaption>Two draws, C = 2.</figcaption>" in movie.html
    True
    """
    budget_bytes = check_int("budget_bytes", budget_bytes, 1, 20_000_000)
    check_caption(caption)
    alt = describe(graph, mode, drop_rate, global_ratio, frames)
    shown = min(frames, GRID_MAX_FRAMES)
    grid = sample_grid(graph, mode, drop_rate, global_ratio, frames, seed)
    try:
        stills = _figure_png(grid, check_int("dpi", dpi, 20, 300))
    finally:
        plt.close(grid)
    which = (
        f"All {frames} draws"
        if shown == frames
        else f"The first {shown} of the {frames} draws"
    )
    stills_alt = (
        f"{which} of the animation side by side, then bars of how often each column's "
        f"whole path survived over them, against its exact rate. {alt}"
    )
    anim = animate_drop_path(
        graph, mode, drop_rate, global_ratio, frames, seed, interval
    )
    try:
        html = with_caption(
            jshtml(anim, dpi=dpi, alt=alt, stills=stills, stills_alt=stills_alt),
            caption,
        )
    finally:
        plt.close(anim._fig)
    size = len(html.encode("utf-8"))
    if size > budget_bytes:
        raise ValueError(
            f"Expected the animation to embed at most budget_bytes={budget_bytes:,} "
            f"bytes. Received: {size:,} bytes for frames={frames}, dpi={dpi}; lower "
            "either."
        )
    return EmbeddedAnimation(html, stills, stills_alt)
