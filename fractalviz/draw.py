"""Drawing fractal graphs the way the paper's Figure 1 reads.

Columns stand side by side, shallow (column 0) on the left and deepest on the right;
data flows from top to bottom. Convs are boxes, joins are bars across the columns they
average, pools are wide boxes between blocks. `layout` computes positions (testable, no
drawing); `draw_fractal` draws on a Matplotlib `Axes` and returns it.
"""

import numbers

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch

from fractalviz.graph import check_graph, check_int, nodes_of_kind
from fractalviz.sampling import DropPathSample, active_subgraph, count_graph_columns

CONV_COLOR = "#4c72b0"
JOIN_COLOR = "#2ca02c"
POOL_COLOR = "#8c8c8c"
HIGHLIGHT_COLOR = "#d62728"
DIMMED_ALPHA = 0.15
BOX_WIDTH = 0.6
BOX_HEIGHT = 0.55


def check_fontsize(fontsize, name="fontsize"):
    """Returns `fontsize`, a real number of points in `[4, 40]`; raises naming it
    otherwise.

    Example:

    >>> check_fontsize(12)
    12
    >>> check_fontsize(2)
    Traceback (most recent call last):
    ...
    ValueError: Expected `fontsize` to be a number between 4 and 40 (points). Received:
        fontsize=2
    """
    if isinstance(fontsize, bool) or not isinstance(fontsize, numbers.Real):
        raise TypeError(
            f"Expected `{name}` to be a number between 4 and 40 (points). "
            f"Received: {name}={fontsize!r:.80} (type {type(fontsize).__name__})"
        )
    if not 4 <= fontsize <= 40:
        raise ValueError(
            f"Expected `{name}` to be a number between 4 and 40 (points). "
            f"Received: {name}={fontsize!r}"
        )
    return fontsize


def layout(graph):
    """Returns `{node: (x, y)}`, with `x` the column and `y` growing downwards with
    depth.

    A conv sits at the middle of the rows it spans; a join at the row where its inputs
    end. Blocks are stacked, each `2**(C-1) + 1` rows tall (one more row for its pool).

    Args:
        graph: a fractal graph from `fractalviz.graph`.

    Returns:
        A dict from every node to its `(x, y)` position, in units of columns and rows.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> positions = layout(block_graph(2))
    >>> positions["b0/c0/conv0"], positions["b0/c1/conv1"], positions["b0/join2"]
    ((0, 1.5), (1, 2.0), (0.5, 2.5))
    """
    check_graph(graph)
    width = count_graph_columns(graph)
    centre = (width - 1) / 2
    block_rows = 1 + max(graph.nodes[n]["row"] for n in nodes_of_kind(graph, "conv"))
    positions = {"input": (centre, 0.0)}
    for node, data in graph.nodes(data=True):
        kind = data["kind"]
        if kind in ("input", "output"):
            continue
        top = data["block"] * (block_rows + 1) + 0.5
        if kind == "conv":
            positions[node] = (data["column"], top + data["row"] - data["span"] / 2)
        elif kind == "join":
            positions[node] = (
                sum(data["columns"]) / len(data["columns"]),
                top + data["row"],
            )
        else:
            positions[node] = (centre, top + block_rows)
    last = max(y for _, y in positions.values())
    positions["output"] = (centre, last + 1.0)
    return positions


def _edge_points(graph, positions, source, target):
    """Endpoints of an edge: between a conv and a join, input or pool, lines stay in the
    conv's column (the join, input or pool is drawn as a bar across the columns)."""
    (x0, y0), (x1, y1) = positions[source], positions[target]
    if graph.nodes[target]["kind"] == "join" and graph.nodes[source]["kind"] == "conv":
        x1 = x0
    if graph.nodes[source]["kind"] != "conv" and graph.nodes[target]["kind"] == "conv":
        x0 = x1
    return (x0, x1), (y0, y1)


def _check_nodes(graph, name, nodes):
    """Returns `nodes` (an iterable of nodes of `graph`) as a list; raises naming the
    strays."""
    if isinstance(nodes, (str, bytes)) or not hasattr(nodes, "__iter__"):
        raise TypeError(
            f"Expected `{name}` to be a collection of nodes of `graph` (e.g. a list, "
            f"or a graph from active_subgraph). Received: {name}={nodes!r:.80} (type "
            f"{type(nodes).__name__})"
        )
    nodes = list(nodes)
    unknown = [node for node in nodes if node not in graph]
    if unknown:
        shown = ", ".join(repr(node) for node in unknown[:3]) + (
            ", ..." if len(unknown) > 3 else ""
        )
        raise ValueError(
            f"Expected `{name}` to hold nodes of `graph` only. Received: "
            f"{len(unknown)} node(s) not in the graph: {shown}"
        )
    return nodes


def _highlighted_nodes(graph, highlight_path, highlight_column):
    if highlight_path is not None:
        return set(highlight_path)
    if highlight_column is None:
        return set()
    kept = frozenset(
        (u, v) for u, v, c in graph.edges(data="column") if c == highlight_column
    )
    return set(active_subgraph(graph, DropPathSample("global", highlight_column, kept)))


def draw_fractal(
    graph,
    ax=None,
    highlight_path=None,
    highlight_column=None,
    active=None,
    title=None,
    fontsize=8,
):
    """Draws a fractal graph: convs as boxes, joins as bars, pools between blocks.

    Args:
        graph: a graph from `fractalviz.graph`.
        ax: the Matplotlib `Axes` to draw on; a new figure (white background) if `None`.
        highlight_path: nodes of `graph` on one path (e.g. from
            `fractalviz.measure.longest_path`) to draw bold in red.
        highlight_column: integer in `[0, C - 1]`, a column whose convs, in every block,
            are drawn bold in red.
        active: nodes of `graph` in a sampled sub-network (e.g. `active_subgraph(...)`);
            every other node and edge is greyed out.
        title: optional title for the axes.
        fontsize: number in `[4, 40]`, the size in points of the "in", "out" and "pool"
            labels; the title is 2 points larger. Defaults to 8 (a page figure;
            animations shown on a projector pass more).

    Returns:
        The `Axes`.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> from fractalviz.measure import longest_path
    >>> graph = block_graph(3)
    >>> ax = draw_fractal(graph, highlight_path=longest_path(graph), title="C = 3")
    >>> len(ax.patches), ax.get_title()  # 7 convs and 2 joins
    (9, 'C = 3')
    >>> plt.close(ax.figure)
    """
    check_graph(graph)
    if highlight_path is not None and highlight_column is not None:
        raise ValueError("Pass `highlight_path` or `highlight_column`, not both.")
    if highlight_column is not None:
        highlight_column = check_int(
            "highlight_column", highlight_column, 0, count_graph_columns(graph) - 1
        )
    if highlight_path is not None:
        highlight_path = _check_nodes(graph, "highlight_path", highlight_path)
    if active is not None:
        active = _check_nodes(graph, "active", active)
    fontsize = check_fontsize(fontsize)
    positions = layout(graph)
    width = count_graph_columns(graph)
    depth = max(y for _, y in positions.values())
    if ax is None:
        fig = plt.figure(
            figsize=(1.0 + 0.9 * width, 1.0 + 0.45 * depth), facecolor="white"
        )
        ax = fig.add_subplot()
    ax.set_facecolor("white")
    highlighted = _highlighted_nodes(graph, highlight_path, highlight_column)
    path_edges = (
        set(zip(highlight_path, highlight_path[1:])) if highlight_path else set()
    )
    active = set(graph) if active is None else set(active)

    def alpha(*nodes):
        return 1.0 if all(n in active for n in nodes) else DIMMED_ALPHA

    for source, target in graph.edges:
        on = (source, target) in path_edges or (
            highlight_column is not None
            and source in highlighted
            and target in highlighted
        )
        xs, ys = _edge_points(graph, positions, source, target)
        ax.plot(
            xs,
            ys,
            color=HIGHLIGHT_COLOR if on else "#555555",
            lw=2.4 if on else 1.0,
            alpha=alpha(source, target),
            zorder=1,
            solid_capstyle="round",
        )

    for node, data in graph.nodes(data=True):
        x, y = positions[node]
        kind = data["kind"]
        bold = node in highlighted
        if kind == "conv":
            ax.add_patch(
                FancyBboxPatch(
                    (x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2),
                    BOX_WIDTH,
                    BOX_HEIGHT,
                    boxstyle="round,pad=0.02",
                    facecolor=HIGHLIGHT_COLOR if bold else CONV_COLOR,
                    edgecolor="black",
                    lw=1.5 if bold else 0.6,
                    alpha=alpha(node),
                    zorder=2,
                )
            )
        elif kind == "join":
            columns = data["columns"]
            ax.add_patch(
                FancyBboxPatch(
                    (min(columns) - 0.4, y - 0.08),
                    max(columns) - min(columns) + 0.8,
                    0.16,
                    boxstyle="round,pad=0.01",
                    facecolor=JOIN_COLOR,
                    edgecolor="none",
                    alpha=alpha(node),
                    zorder=3,
                )
            )
        elif kind == "pool":
            ax.add_patch(
                FancyBboxPatch(
                    (-0.4, y - 0.2),
                    width - 0.2,
                    0.4,
                    boxstyle="round,pad=0.02",
                    facecolor=POOL_COLOR,
                    edgecolor="none",
                    alpha=alpha(node),
                    zorder=2,
                )
            )
            ax.text(
                (width - 1) / 2,
                y,
                "pool",
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white",
                zorder=4,
            )
        else:
            ax.plot([x], [y], "o", color="black", ms=5, zorder=3)
            if kind == "input":
                ax.plot([0, width - 1], [y, y], color="#555555", lw=1.0, zorder=1)
            # Labels sit beside the wires, never on them: "in" left of the input bar
            # (which spans the columns), "out" right of the output dot (whose wire comes
            # from above).
            if kind == "input":
                ax.text(-0.15, y, "in", ha="right", va="center", fontsize=fontsize)
            else:
                ax.text(x + 0.15, y, "out", ha="left", va="center", fontsize=fontsize)

    ax.set_xlim(-0.8, width - 0.2)
    ax.set_ylim(depth + 0.5, -0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 2)
    return ax


def legend_handles(pool=False, highlight=False):
    """Returns Matplotlib legend handles for what `draw_fractal` draws: conv, join (and
    pool, path).

    Pass them to `fig.legend(handles=...)` or `ax.legend(handles=...)`; they add no
    patch to any axes.

    Args:
        pool: whether to include the pool box.
        highlight: whether to include the red highlighted path.

    Returns:
        A list of Matplotlib artists with labels.

    Example:

    >>> [handle.get_label() for handle in legend_handles(pool=True)]
    ['conv (3×3, BN, ReLU)', 'join (mean of its inputs)', 'pool (2×2)']
    """
    handles = [
        Patch(
            facecolor=CONV_COLOR,
            edgecolor="black",
            lw=0.6,
            label="conv (3×3, BN, ReLU)",
        ),
        Patch(facecolor=JOIN_COLOR, label="join (mean of its inputs)"),
    ]
    if pool:
        handles.append(Patch(facecolor=POOL_COLOR, label="pool (2×2)"))
    if highlight:
        handles.append(
            Line2D([0], [0], color=HIGHLIGHT_COLOR, lw=2.4, label="highlighted path")
        )
    return handles
