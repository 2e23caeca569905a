"""Drop-path on a fractal graph: which sub-network one training step uses.

This is the paper's sampling, on the graph rather than on tensors, so that it can be
drawn:

- **local**: every join drops each of its inputs with probability `drop_rate`, and if it
  dropped them all it keeps one, chosen uniformly;
- **global**: one column, the same index in every block, is the whole network;
- **mixed**: global with probability `global_ratio`, local otherwise (the paper: 0.5).

A sample is returned as the set of edges into joins that survive; `active_subgraph`
turns it into the sub-network that actually computes, `summarize_sample` measures it,
and `column_survival_rate` gives the exact probability that a column's whole path
survives a draw.

`Mulberry32` is a tiny seeded generator with the same arithmetic as the explorer's
JavaScript (`fractalviz/js/explorer.js`): given the same seed, both draw exactly the
same sub-networks.
"""

from dataclasses import dataclass

import networkx as nx
import numpy as np

from fractalviz.graph import check_graph, nodes_of_kind
from fractalviz.measure import path_length_histogram

MODES = ("local", "global", "mixed")
_MASK32 = 0xFFFFFFFF


class Mulberry32:
    """A 32-bit seeded generator, bit for bit the `mulberry32` of the explorer's
    JavaScript.

    It offers the two draws `sample_drop_path` makes, `random` and `integers`, so it can
    stand in for a `numpy.random.Generator`; each uniform is one 32-bit step, in the
    same order as the JavaScript, which is what lets the static book's explorer and
    Python agree sample by sample.

    Args:
        seed: integer in `[0, 2**32 - 1]`.

    Example:

    >>> rng = Mulberry32(0)
    >>> [round(rng.random(), 6) for _ in range(3)]
    [0.266429, 0.00033, 0.223272]
    """

    def __init__(self, seed=0):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(
                f"Expected `seed` to be an integer between 0 and {_MASK32}. Received: "
                f"seed={seed!r}"
            )
        if not 0 <= seed <= _MASK32:
            raise ValueError(
                f"Expected `seed` to be an integer between 0 and {_MASK32}. Received: "
                f"seed={seed}"
            )
        self.state = int(seed)

    def _next(self):
        self.state = a = (self.state + 0x6D2B79F5) & _MASK32
        t = ((a ^ (a >> 15)) * (1 | a)) & _MASK32
        t = ((t + (((t ^ (t >> 7)) * (61 | t)) & _MASK32)) & _MASK32) ^ t
        return ((t ^ (t >> 14)) & _MASK32) / 4294967296.0

    def random(self, size=None):
        """Returns a float in `[0, 1)`, or an array of `size` of them."""
        if size is None:
            return self._next()
        return np.array([self._next() for _ in range(int(size))])

    def integers(self, high):
        """Returns an integer in `[0, high)`: `floor(random() * high)`, as the
        JavaScript does."""
        return int(self._next() * int(high))


def check_rate(name, value, closed_high, high=1.0):
    """Returns `value` as a float in `[0, high)` (or `[0, high]` if `closed_high`);
    raises otherwise.

    Args:
        name: the argument's name, for the error message.
        value: the value to check.
        closed_high: whether `high` itself is allowed.
        high: float, the upper end of the range (default 1).

    Returns:
        `value` as a `float`.

    Example:

    >>> check_rate("drop_rate", 0.15, closed_high=False)
    0.15
    >>> check_rate("drop_rate", 0.95, closed_high=True, high=0.9)
    Traceback (most recent call last):
    ...
    ValueError: Expected `drop_rate` to be a float in [0, 0.9]. Received: drop_rate=0.95
    """
    interval = f"[0, {high:g}]" if closed_high else f"[0, {high:g})"
    if isinstance(value, bool) or not isinstance(
        value, (int, float, np.floating, np.integer)
    ):
        raise TypeError(
            f"Expected `{name}` to be a float in {interval}. Received: {name}={value!r}"
        )
    value = float(value)
    if not (0.0 <= value <= high) or (value == high and not closed_high):
        raise ValueError(
            f"Expected `{name}` to be a float in {interval}. Received: {name}={value}"
        )
    return value


def check_mode(mode):
    """Returns `mode` if it is a drop-path mode (`MODES`); raises `ValueError`
    otherwise.

    Args:
        mode: `"local"`, `"global"` or `"mixed"`.

    Returns:
        `mode`, unchanged.

    Example:

    >>> check_mode("local")
    'local'
    >>> check_mode("dropout")
    Traceback (most recent call last):
    ...
    ValueError: Expected `mode` to be one of ('local', 'global', 'mixed'). Received:
        mode='dropout'
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(
            f"Expected `mode` to be one of {MODES}. Received: mode={mode!r}"
        )
    return mode


def check_rng(rng):
    """Returns a generator for `rng`: a `numpy.random.Generator` or a `Mulberry32`.

    Args:
        rng: `None` (a fresh, unseeded NumPy generator), an integer seed `>= 0` (a
            seeded NumPy generator), a `numpy.random.Generator` or a `Mulberry32` (both
            used as they are).

    Returns:
        An object with the `random` and `integers` draws `sample_drop_path` makes.

    Example:

    >>> (
    ...     isinstance(check_rng(0), np.random.Generator),
    ...     isinstance(check_rng(Mulberry32(0)), Mulberry32),
    ... )
    (True, True)
    """
    if isinstance(rng, (Mulberry32, np.random.Generator)):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise TypeError(
            "Expected `rng` to be None, an integer seed >= 0, a "
            "numpy.random.Generator or a fractalviz.Mulberry32. Received: "
            f"rng={rng!r} (type {type(rng).__name__})"
        )
    if rng < 0:
        raise ValueError(
            f"Expected `rng` to be an integer seed >= 0. Received: rng={rng}"
        )
    return np.random.default_rng(int(rng))


@dataclass(frozen=True)
class DropPathSample:
    """One drop-path draw on a graph.

    Attributes:
        mode: `"local"` or `"global"` (what a `"mixed"` draw turned out to be).
        column: the surviving column of a global draw, else `None`.
        kept_edges: the edges into joins that survive, as `(source, join)` pairs.
    """

    mode: str
    column: int | None
    kept_edges: frozenset


def _check_sample(sample):
    if not isinstance(sample, DropPathSample):
        raise TypeError(
            "Expected `sample` to be a fractalviz.DropPathSample (from "
            f"sample_drop_path). Received: sample={sample!r:.80} (type "
            f"{type(sample).__name__})"
        )


def sample_drop_path(graph, mode="mixed", drop_rate=0.15, global_ratio=0.5, rng=None):
    """Draws the sub-network one training step would use.

    Args:
        graph: a fractal graph from `fractalviz.graph`.
        mode: `"local"`, `"global"` or `"mixed"`.
        drop_rate: float in `[0, 1)`, each join input's drop probability in local mode.
        global_ratio: float in `[0, 1]`, the probability that a mixed draw is global.
        rng: `None`, an integer seed `>= 0` for a `numpy.random.Generator`, a
            `numpy.random.Generator`, or a `Mulberry32` (to reproduce the explorer's
            JavaScript draws).

    Returns:
        A `DropPathSample`.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> sample = sample_drop_path(block_graph(3), mode="global", rng=0)
    >>> sample.mode, sample.column in (0, 1, 2)
    ('global', True)
    """
    check_graph(graph)
    check_mode(mode)
    drop_rate = check_rate("drop_rate", drop_rate, closed_high=False)
    global_ratio = check_rate("global_ratio", global_ratio, closed_high=True)
    rng = check_rng(rng)
    if mode == "mixed":
        mode = "global" if rng.random() < global_ratio else "local"
    joins = nodes_of_kind(graph, "join")
    kept = set()
    if mode == "global":
        column = int(rng.integers(count_graph_columns(graph)))
        for join in joins:
            kept.update(
                (source, join)
                for source, _, c in graph.in_edges(join, data="column")
                if c == column
            )
        return DropPathSample("global", column, frozenset(kept))
    for join in joins:
        inputs = [source for source, _ in graph.in_edges(join)]
        survives = rng.random(len(inputs)) >= drop_rate
        if not survives.any():
            survives[rng.integers(len(inputs))] = True
        kept.update((source, join) for source, alive in zip(inputs, survives) if alive)
    return DropPathSample("local", None, frozenset(kept))


def count_graph_columns(graph):
    """Returns the number of columns of the graph's blocks (`2**(C-1)` for the parallel
    rule).

    Args:
        graph: a fractal graph from `fractalviz.graph`.

    Returns:
        An integer, one more than the highest conv column.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> (
    ...     count_graph_columns(block_graph(3)),
    ...     count_graph_columns(block_graph(3, rule="parallel")),
    ... )
    (3, 4)
    """
    check_graph(graph)
    return 1 + max(graph.nodes[node]["column"] for node in nodes_of_kind(graph, "conv"))


def active_subgraph(graph, sample):
    """Returns the sub-network that computes under `sample`, as a subgraph view.

    An edge into a join is present only if the sample kept it; a node is active if some
    input-to-output path runs through it along present edges.

    Args:
        graph: a fractal graph from `fractalviz.graph`.
        sample: a `DropPathSample` drawn on `graph` (by `sample_drop_path`, or built by
            hand).

    Returns:
        A read-only `networkx.DiGraph` view of the active nodes and the present edges
        between them (empty if the sample cuts every input-to-output path).

    Example:

    >>> from fractalviz.graph import block_graph
    >>> graph = block_graph(3)
    >>> active = active_subgraph(
    ...     graph, sample_drop_path(graph, "global", rng=Mulberry32(0))
    ... )
    >>> sorted(node for node in active if graph.nodes[node]["kind"] == "conv")
    ['b0/c0/conv0']
    """
    check_graph(graph)
    _check_sample(sample)
    joins = set(nodes_of_kind(graph, "join"))
    present = graph.edge_subgraph(
        (u, v) for u, v in graph.edges if v not in joins or (u, v) in sample.kept_edges
    )
    if "input" not in present or "output" not in present:
        return graph.subgraph([])
    reach = nx.descendants(present, "input") | {"input"}
    coreach = nx.ancestors(present, "output") | {"output"}
    return present.subgraph(reach & coreach)


def surviving_columns(graph, sample):
    """Returns the columns whose whole path, input to output in every block, survives
    `sample`.

    Column `k`'s path is the straight chain of its convs; it survives when every edge
    from column `k` into a join is kept. A global draw keeps exactly its column; a local
    draw keeps any number of them, possibly none (the sub-network then zig-zags between
    columns).

    Args:
        graph: a fractal graph from `fractalviz.graph`.
        sample: a `DropPathSample` drawn on `graph`.

    Returns:
        A tuple of column indices, increasing.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> graph = block_graph(3)
    >>> surviving_columns(graph, sample_drop_path(graph, "global", rng=Mulberry32(6)))
    (1,)
    >>> surviving_columns(graph, sample_drop_path(graph, "local", drop_rate=0.0, rng=0))
    (0, 1, 2)
    """
    check_graph(graph)
    _check_sample(sample)
    lost = {
        c
        for u, v, c in graph.edges(data="column")
        if c is not None and (u, v) not in sample.kept_edges
    }
    return tuple(k for k in range(count_graph_columns(graph)) if k not in lost)


def column_survival_rate(graph, mode="mixed", drop_rate=0.15, global_ratio=0.5):
    """Returns, per column, the exact probability that its whole path survives one draw.

    In local mode each join with `n` inputs keeps a given input with probability
    `q(n) = (1 - p) + p**n / n` (kept by the coin, or chosen when the coin dropped all
    `n`), independently across joins, so column `k` survives with the product of `q`
    over the joins it feeds. In global mode each column survives with probability `1 /
    C`. A mixed draw is global with probability `global_ratio`.

    Args:
        graph: a fractal graph from `fractalviz.graph`.
        mode: `"local"`, `"global"` or `"mixed"`.
        drop_rate: float in `[0, 1)`.
        global_ratio: float in `[0, 1]`, used in mixed mode.

    Returns:
        A list of `C` floats, column 0 first.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> [
    ...     round(r, 4)
    ...     for r in column_survival_rate(block_graph(2), "local", drop_rate=0.5)
    ... ]
    [0.625, 0.625]
    """
    check_graph(graph)
    check_mode(mode)
    p = check_rate("drop_rate", drop_rate, closed_high=False)
    g = check_rate("global_ratio", global_ratio, closed_high=True)
    width = count_graph_columns(graph)
    local = [1.0] * width
    for join in nodes_of_kind(graph, "join"):
        columns = graph.nodes[join]["columns"]
        n = len(columns)
        for k in columns:
            local[k] *= (1.0 - p) + p**n / n
    if mode == "local":
        return local
    if mode == "global":
        return [1.0 / width] * width
    return [g / width + (1.0 - g) * rate for rate in local]


def summarize_sample(graph, sample):
    """Measures one draw: what a training step with this sub-network computes.

    Args:
        graph: a fractal graph from `fractalviz.graph`.
        sample: a `DropPathSample` drawn on `graph`.

    Returns:
        A dict with `active_paths` (input-to-output paths in the active sub-network),
        `longest_active_path` (convs on its deepest path), `active_convs`,
        `dropped_edges` (edges into joins dropped) and `surviving_columns` (see
        `surviving_columns`).

    Example:

    >>> from fractalviz.graph import block_graph
    >>> graph = block_graph(3)
    >>> sample = sample_drop_path(graph, "global", rng=Mulberry32(4))
    >>> summary = summarize_sample(graph, sample)
    >>> sample.column, summary["surviving_columns"], summary["active_paths"]
    (2, (2,), 1)
    >>> summary["longest_active_path"] == summary["active_convs"] == 2**sample.column
    True
    """
    check_graph(graph)
    _check_sample(sample)
    active = active_subgraph(graph, sample)
    histogram = path_length_histogram(active)
    joins = set(nodes_of_kind(graph, "join"))
    into_joins = sum(1 for _, v in graph.edges if v in joins)
    return {
        "active_paths": sum(histogram.values()),
        "longest_active_path": max(histogram),
        "active_convs": sum(1 for n in active if graph.nodes[n]["kind"] == "conv"),
        "dropped_edges": into_joins - len(sample.kept_edges),
        "surviving_columns": surviving_columns(graph, sample),
    }


def draw_and_tally(
    graph, tally, mode="mixed", drop_rate=0.15, global_ratio=0.5, rng=None
):
    """Draws one sample, summarizes it, and counts its surviving columns into `tally`.

    The one step that the animations and the live explorer repeat: the same generator
    gives them the same draws.

    Args:
        graph: a fractal graph from `fractalviz.graph`.
        tally: a list with one count per column, updated in place.
        mode, drop_rate, global_ratio, rng: as for `sample_drop_path`.

    Returns:
        `(sample, summary)`: the `DropPathSample` and its `summarize_sample` dict.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> tally = [0, 0, 0]
    >>> sample, summary = draw_and_tally(
    ...     block_graph(3), tally, mode="global", rng=Mulberry32(0)
    ... )
    >>> tally[sample.column]
    1
    """
    sample = sample_drop_path(graph, mode, drop_rate, global_ratio, rng)
    summary = summarize_sample(graph, sample)
    for k in summary["surviving_columns"]:
        tally[k] += 1
    return sample, summary
