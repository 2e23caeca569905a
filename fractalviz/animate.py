"""Drop-path in motion: one sampled sub-network per frame, with a running tally beside it.

Each frame is one training step's draw (`sample_drop_path`, seeded with `Mulberry32(seed)` like
the explorer): the dropped parts are greyed, the longest active path is drawn bold in red, and a
panel counts the active paths, the longest active path and, for each column, how often its
whole path has survived so far against `column_survival_rate`.

- `animate_drop_path` returns the Matplotlib `FuncAnimation`;
- `sample_grid` draws the same first frames side by side, the static fallback for print;
- `embed_animation` wraps both for a notebook: a playable player (`to_jshtml`, offline, with
  deterministic ids and no external stylesheet) for HTML, the grid as PNG for PDF and print,
  and a size budget (`ANIMATION_BUDGET_BYTES`) it refuses to exceed. The player's image has an
  `alt` text saying what it shows, the PNG an `alt` in its output metadata, and an optional
  `caption` makes the player a captioned HTML figure.
"""

import hashlib
import html as html_lib
import io
import itertools
import re

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation

from fractalviz.captions import check_caption, with_caption
from fractalviz.draw import draw_fractal
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
GRID_FRAMES = 8  # the print fallback shows the first (up to) 8 draws
_ids = itertools.count(1)
# matplotlib's player draws its buttons with Font Awesome 4 from a CDN; text glyphs work offline.
_ICONS = {
    "fa fa-minus": "\u2212", "fa fa-fast-backward": "\u21e4", "fa fa-step-backward": "\u2039",
    "fa fa-play fa-flip-horizontal": "\u25c0", "fa fa-pause": "\u275a\u275a",
    "fa fa-play": "\u25b6", "fa fa-step-forward": "\u203a", "fa fa-fast-forward": "\u21e5",
    "fa fa-plus": "+",
}


def _draws(graph, mode, drop_rate, global_ratio, frames, seed):
    """The first `frames` draws with their summaries and running column tallies."""
    rng = Mulberry32(check_int("seed", seed, 0, 2**32 - 1))
    width = count_graph_columns(graph)
    tally, draws = [0] * width, []
    for _ in range(frames):
        sample, summary = draw_and_tally(graph, tally, mode, drop_rate, global_ratio, rng)
        draws.append((sample, summary, list(tally)))
    return draws


def _check(graph, mode, drop_rate, global_ratio, frames):
    check_graph(graph)
    check_mode(mode)
    check_rate("drop_rate", drop_rate, closed_high=False)
    check_rate("global_ratio", global_ratio, closed_high=True)
    return check_int("frames", frames, 1, MAX_FRAMES)


def describe(graph, mode, drop_rate, global_ratio, frames):
    """Returns a sentence saying what an animation of drop-path on `graph` shows: its alt text.

    Args:
        graph, mode, drop_rate, global_ratio, frames: as for `animate_drop_path`.

    Returns:
        A string naming the mode and its rates, the graph's columns and blocks, and the frames.

    Example:

    >>> from fractalviz.graph import network_graph
    >>> print(describe(network_graph(3, blocks=2), "local", 0.15, 0.5, 12).split(". ")[0])
    Animation, 12 frames: local drop-path (drop rate 0.15) on a fractal network of B = 2 blocks of C = 3 columns
    """
    frames = _check(graph, mode, drop_rate, global_ratio, frames)
    columns = graph.graph.get("columns", count_graph_columns(graph))
    blocks = graph.graph.get("blocks", 1)
    rule = " (parallel rule)" if graph.graph.get("rule") == "parallel" else ""
    where = (f"a fractal block of C = {columns} columns{rule}" if blocks == 1 else
             f"a fractal network of B = {blocks} blocks of C = {columns} columns{rule}")
    rates = f"drop rate {drop_rate:g}" + (f", global ratio {global_ratio:g}" if mode == "mixed" else "")
    return (f"Animation, {frames} frame{'s' if frames > 1 else ''}: {mode} drop-path ({rates}) "
            f"on {where}. Each frame is one sampled sub-network, dropped parts grey and the "
            "longest active path red, beside bars of how often each column's whole path has "
            "survived so far, against its exact rate.")


def _draw_frame(graph, draw, index, ax):
    sample = draw[0]
    active = active_subgraph(graph, sample)
    what = f"global, column {sample.column}" if sample.mode == "global" else "local"
    draw_fractal(graph, ax=ax, active=active, highlight_path=longest_path(active),
                 title=f"draw {index + 1}: {what}")


def _draw_tally(graph, draws, index, theory, total_paths, ax):
    _, summary, tally = draws[index]
    n = index + 1
    width = len(theory)
    ax.set_facecolor("white")
    ax.barh(range(width), [t / n for t in tally], color="#4c72b0", height=0.6)
    ax.scatter(theory, range(width), marker="|", s=300, color="black", zorder=3)
    ax.set_yticks(range(width), [f"column {k}" for k in range(width)])
    ax.set_xlim(0, 1.05)
    ax.set_ylim(width - 0.5, -2.6)
    ax.set_xlabel("fraction of draws")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("whole column path kept so far (bars)\nagainst its exact rate (ticks)", fontsize=9)
    ax.text(0.02, 0.98, f"active paths: {summary['active_paths']:,} of {total_paths:,}\n"
            f"longest active path: {summary['longest_active_path']} convs\n"
            f"draws: {n}", transform=ax.transAxes, va="top", fontsize=8)


def _figure(graph, figsize):
    if figsize is None:
        width = count_graph_columns(graph)
        depth = max(3.0, min(7.0, 0.35 * len(longest_path(graph))))
        figsize = (2.8 + 0.55 * width + 2.6, depth)
    fig = plt.figure(figsize=figsize, facecolor="white")
    grid = fig.add_gridspec(1, 2, width_ratios=(1.3, 1.0), wspace=0.35)
    return fig, fig.add_subplot(grid[0]), fig.add_subplot(grid[1])


def animate_drop_path(graph, mode="mixed", drop_rate=0.15, global_ratio=0.5, frames=12, seed=0,
                      interval=900, figsize=None):
    """Animates drop-path sampling on a fractal block or network, one draw per frame.

    Args:
        graph: a fractal graph from `fractalviz.graph` (a block or a whole network).
        mode: `"local"`, `"global"` or `"mixed"`.
        drop_rate: float in `[0, 1)`, each join input's drop probability in local mode.
        global_ratio: float in `[0, 1]`, the probability that a mixed draw is global.
        frames: integer in `[1, 60]`, the number of draws shown.
        seed: integer in `[0, 2**32 - 1]`; the draws are the explorer's for the same seed.
        interval: integer in `[50, 10_000]`, milliseconds between frames.
        figsize: the figure size in inches; chosen from the graph's size if `None`.

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
    fig, ax_graph, ax_tally = _figure(graph, figsize)

    def update(index):
        ax_graph.clear()
        ax_tally.clear()
        _draw_frame(graph, draws[index], index, ax_graph)
        _draw_tally(graph, draws, index, theory, total_paths, ax_tally)
        return []

    fig.suptitle(f"{mode} drop-path, drop rate {drop_rate:g}"
                 + (f", global ratio {global_ratio:g}" if mode == "mixed" else ""), fontsize=10)
    update(0)
    return FuncAnimation(fig, update, frames=frames, interval=interval, repeat=True)


def sample_grid(graph, mode="mixed", drop_rate=0.15, global_ratio=0.5, frames=8, seed=0,
                ncols=4):
    """Draws the animation's first `frames` draws side by side: the static fallback.

    Args:
        graph, mode, drop_rate, global_ratio, seed: as for `animate_drop_path`.
        frames: integer in `[1, 60]`, the number of draws.
        ncols: integer in `[1, 12]`, the number of drawings per row.

    Returns:
        The Matplotlib `Figure` (white background).

    Example:

    >>> from fractalviz.graph import block_graph
    >>> fig = sample_grid(block_graph(3), frames=4, ncols=2)
    >>> len(fig.axes)
    4
    >>> plt.close(fig)
    """
    frames = _check(graph, mode, drop_rate, global_ratio, frames)
    ncols = min(check_int("ncols", ncols, 1, 12), frames)
    nrows = -(-frames // ncols)
    draws = _draws(graph, mode, drop_rate, global_ratio, frames, seed)
    width = count_graph_columns(graph)
    height = max(2.0, min(6.0, 0.3 * len(longest_path(graph))))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * (0.8 + 0.5 * width), nrows * height),
                             facecolor="white", squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index < frames:
            _draw_frame(graph, draws[index], index, ax)
        else:
            fig.delaxes(ax)
    fig.suptitle(f"{frames} draws of {mode} drop-path (drop rate {drop_rate:g}); "
                 "grey: dropped, red: longest active path", fontsize=9)
    fig.tight_layout()
    return fig


def jshtml(anim, dpi=60, alt=None):
    """Returns the animation as a self-contained HTML player that works offline.

    Matplotlib's `to_jshtml` with five changes: frames rendered at `dpi`, the Font Awesome
    stylesheet it links from a CDN removed (the buttons get text glyphs instead), an `alt` text
    on the frame image, an accessible name ("Frame") on the frame slider, and its random `uuid`
    replaced by an id that is the same on every run of the same notebook.

    Args:
        anim: a Matplotlib animation, e.g. from `animate_drop_path`.
        dpi: integer in `[20, 300]`, the resolution of the frames.
        alt: str or `None`, the frame image's alternative text (HTML-escaped); `None` gives a
            generic "Animation, N frames".

    Returns:
        The player's HTML, as a string.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> anim = animate_drop_path(block_graph(2), frames=2)
    >>> html = jshtml(anim, dpi=30, alt="Two draws & their tally")
    >>> 'alt="Two draws &amp; their tally"' in html, "font-awesome" in html
    (True, False)
    >>> plt.close(anim._fig)
    """
    dpi = check_int("dpi", dpi, 20, 300)
    if alt is not None and not isinstance(alt, str):
        raise TypeError(f"Expected `alt` to be a str or None. Received: alt={alt!r:.80} "
                        f"(type {type(alt).__name__})")
    anim._fig.set_dpi(dpi)
    html = anim.to_jshtml(default_mode="loop")
    html = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", html)
    for icon, glyph in _ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', glyph)
    if alt is None:
        frames = len(re.findall(r'frames\[\d+\] = "data:', html))
        alt = f"Animation, {frames} frame{'s' if frames != 1 else ''}"
    html, found = re.subn(r'(<img id="_anim_img[0-9a-f]{32}")>',
                          lambda match: f'{match.group(1)} alt="{html_lib.escape(alt, quote=True)}">',
                          html)
    if found != 1:  # guards against a change of Matplotlib's template
        raise RuntimeError("Matplotlib's jshtml template changed: no single frame <img> found.")
    html, found = re.subn(r'(<input [^>]*class="anim-slider")', r'\1 aria-label="Frame"', html)
    if found != 1:  # a screen reader names the slider; the template has exactly one
        raise RuntimeError("Matplotlib's jshtml template changed: no single frame slider found.")
    old = re.search(r'id="_anim_img([0-9a-f]{32})"', html).group(1)
    digest = hashlib.sha1(html.replace(old, "").encode()).hexdigest()[:10]
    new = f"fv{next(_ids)}x{digest}"
    return html.replace(old, new)


class EmbeddedAnimation:
    """A playable animation for HTML with a PNG fallback for print, in one notebook output.

    Jupyter and the HTML book show `_repr_html_` (the player); the PDF/LaTeX build, which cannot
    run JavaScript, picks `_repr_png_` (the sample grid).

    Attributes:
        html: the player's HTML (`jshtml`), in a captioned `<figure>` if there is a caption.
        png: the fallback grid as PNG bytes.
        png_alt: the fallback's alternative text, given to the notebook as the PNG's `alt`
            metadata (Jupyter and nbconvert show it; what a renderer does with it is its own).
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
        return f"<EmbeddedAnimation: {self.size / 1e6:.2f} MB of HTML, {len(self.png) / 1e3:.0f} kB PNG fallback>"


def embed_animation(graph, mode="mixed", drop_rate=0.15, global_ratio=0.5, frames=12, seed=0,
                    interval=900, dpi=60, budget_bytes=ANIMATION_BUDGET_BYTES, caption=None):
    """Animates drop-path on `graph` and packs it for a notebook: player, fallback, budget.

    The player's frame image gets an `alt` text from `describe` (mode, rates, columns, blocks,
    frames), and so does the PNG fallback (as output metadata).

    Args:
        graph, mode, drop_rate, global_ratio, frames, seed, interval: as for
            `animate_drop_path`; the fallback grid shows the first (up to) 8 of the same draws.
        dpi: integer in `[20, 300]`, the resolution of the frames.
        budget_bytes: integer in `[1, 20_000_000]`, the most HTML the page may embed
            (default 1 MB).
        caption: str or `None`; if given, the player is wrapped in an HTML `<figure>` with
            this text (HTML-escaped) as its `<figcaption>`.

    Returns:
        An `EmbeddedAnimation`; display it as a cell's last expression.

    Raises:
        ValueError: if the player exceeds `budget_bytes` (fewer frames or a lower `dpi` help).

    Example:

    >>> from fractalviz.graph import block_graph
    >>> movie = embed_animation(block_graph(2), frames=2, dpi=30, caption="Two draws, C = 2.")
    >>> movie.html.startswith('<figure class="fractalviz-figure">'), movie.size < 100_000
    (True, True)
    >>> "<figcaption>Two draws, C = 2.</figcaption>" in movie.html
    True
    """
    budget_bytes = check_int("budget_bytes", budget_bytes, 1, 20_000_000)
    check_caption(caption)
    alt = describe(graph, mode, drop_rate, global_ratio, frames)
    anim = animate_drop_path(graph, mode, drop_rate, global_ratio, frames, seed, interval)
    try:
        html = with_caption(jshtml(anim, dpi=dpi, alt=alt), caption)
    finally:
        plt.close(anim._fig)
    size = len(html.encode("utf-8"))
    if size > budget_bytes:
        raise ValueError(
            f"Expected the animation to embed at most budget_bytes={budget_bytes:,} bytes. "
            f"Received: {size:,} bytes for frames={frames}, dpi={dpi}; lower either.")
    shown = min(frames, GRID_FRAMES)
    fig = sample_grid(graph, mode, drop_rate, global_ratio, shown, seed)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi + 20, facecolor="white")
    plt.close(fig)
    png_alt = (f"The first {shown} draws of the animation side by side. " if shown > 1 else
               "The animation's first draw. ") + alt
    return EmbeddedAnimation(html, buffer.getvalue(), png_alt)
