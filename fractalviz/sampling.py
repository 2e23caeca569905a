"""Drop-path on a fractal graph: which sub-network one training step uses.

This is the paper's sampling, on the graph rather than on tensors, so that it can be drawn:

- **local**: every join drops each of its inputs with probability `drop_rate`, and if it
  dropped them all it keeps one, chosen uniformly;
- **global**: one column, the same index in every block, is the whole network;
- **mixed**: global with probability `global_ratio`, local otherwise (the paper: 0.5).

A sample is returned as the set of edges into joins that survive; `active_subgraph` turns it
into the sub-network that actually computes, `summarize_sample` measures it, and
`column_survival_rate` gives the exact probability that a column's whole path survives a draw.

`Mulberry32` is a tiny seeded generator with the same arithmetic as the explorer's JavaScript
(`fractalviz/js/explorer.js`): given the same seed, both draw exactly the same sub-networks.
"""

from dataclasses import dataclass

import networkx as nx
import numpy as np

from fractalviz.graph import nodes_of_kind

MODES = ("local", "global", "mixed")
_MASK32 = 0xFFFFFFFF


class Mulberry32:
    """A 32-bit seeded generator, bit for bit the `mulberry32` of the explorer's JavaScript.

    It offers the two draws `sample_drop_path` makes, `random` and `integers`, so it can stand
    in for a `numpy.random.Generator`; each uniform is one 32-bit step, in the same order as the
    JavaScript, which is what lets the static book's explorer and Python agree sample by sample.

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
                f"Expected `seed` to be an integer between 0 and {_MASK32}. Received: seed={seed!r}"
            )
        if not 0 <= seed <= _MASK32:
            raise ValueError(
                f"Expected `seed` to be an integer between 0 and {_MASK32}. Received: seed={seed}"
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
        """Returns an integer in `[0, high)`: `floor(random() * high)`, as the JavaScript does."""
        return int(self._next() * int(high))


def check_rate(name, value, closed_high):
    """Returns `value` as a float in `[0, 1)` (or `[0, 1]` if `closed_high`); raises otherwise."""
    interval = "[0, 1]" if closed_high else "[0, 1)"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"Expected `{name}` to be a float in {interval}. Received: {name}={value!r}")
    value = float(value)
    if not (0.0 <= value <= 1.0) or (value == 1.0 and not closed_high):
        raise ValueError(f"Expected `{name}` to be a float in {interval}. Received: {name}={value}")
    return value


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


def sample_drop_path(graph, mode="mixed", drop_rate=0.15, global_ratio=0.5, rng=None):
    """Draws the sub-network one training step would use.

    Args:
        graph: a fractal graph from `fractalviz.graph`.
        mode: `"local"`, `"global"` or `"mixed"`.
        drop_rate: float in `[0, 1)`, each join input's drop probability in local mode.
        global_ratio: float in `[0, 1]`, the probability that a mixed draw is global.
        rng: a `numpy.random.Generator`, a seed for one, or a `Mulberry32` (to reproduce the
            explorer's JavaScript draws).

    Returns:
        A `DropPathSample`.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> sample = sample_drop_path(block_graph(3), mode="global", rng=0)
    >>> sample.mode, sample.column in (0, 1, 2)
    ('global', True)
    """
    if mode not in MODES:
        raise ValueError(f"Expected `mode` to be one of {MODES}. Received: mode={mode!r}")
    drop_rate = check_rate("drop_rate", drop_rate, closed_high=False)
    global_ratio = check_rate("global_ratio", global_ratio, closed_high=True)
    if not isinstance(rng, Mulberry32):
        rng = np.random.default_rng(rng)
    if mode == "mixed":
        mode = "global" if rng.random() < global_ratio else "local"
    joins = nodes_of_kind(graph, "join")
    kept = set()
    if mode == "global":
        column = int(rng.integers(count_graph_columns(graph)))
        for join in joins:
            kept.update((source, join) for source, _, c in graph.in_edges(join, data="column")
                        if c == column)
        return DropPathSample("global", column, frozenset(kept))
    for join in joins:
        inputs = [source for source, _ in graph.in_edges(join)]
        survives = rng.random(len(inputs)) >= drop_rate
        if not survives.any():
            survives[rng.integers(len(inputs))] = True
        kept.update((source, join) for source, alive in zip(inputs, survives) if alive)
    return DropPathSample("local", None, frozenset(kept))


def count_graph_columns(graph):
    """Returns the number of columns of the graph's blocks (`2**(C-1)` for the parallel rule)."""
    return 1 + max(graph.nodes[node]["column"] for node in nodes_of_kind(graph, "conv"))


def active_subgraph(graph, sample):
    """Returns the sub-network that computes under `sample`, as a subgraph view.

    An edge into a join is present only if the sample kept it; a node is active if some
    input-to-output path runs through it along present edges.
    """
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
    """Returns the columns whose whole path, input to output in every block, survives `sample`.

    Column `k`'s path is the straight chain of its convs; it survives when every edge from
    column `k` into a join is kept. A global draw keeps exactly its column; a local draw keeps
    any number of them, possibly none (the sub-network then zig-zags between columns).
    """
    lost = {c for u, v, c in graph.edges(data="column")
            if c is not None and (u, v) not in sample.kept_edges}
    return tuple(k for k in range(count_graph_columns(graph)) if k not in lost)


def column_survival_rate(graph, mode="mixed", drop_rate=0.15, global_ratio=0.5):
    """Returns, per column, the exact probability that its whole path survives one draw.

    In local mode each join with `n` inputs keeps a given input with probability
    `q(n) = (1 - p) + p**n / n` (kept by the coin, or chosen when the coin dropped all `n`),
    independently across joins, so column `k` survives with the product of `q` over the joins
    it feeds. In global mode each column survives with probability `1 / C`. A mixed draw is
    global with probability `global_ratio`.

    Args:
        graph: a fractal graph from `fractalviz.graph`.
        mode: `"local"`, `"global"` or `"mixed"`.
        drop_rate: float in `[0, 1)`.
        global_ratio: float in `[0, 1]`, used in mixed mode.

    Returns:
        A list of `C` floats, column 0 first.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> [round(r, 4) for r in column_survival_rate(block_graph(2), "local", drop_rate=0.5)]
    [0.625, 0.625]
    """
    if mode not in MODES:
        raise ValueError(f"Expected `mode` to be one of {MODES}. Received: mode={mode!r}")
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

    Returns:
        A dict with `active_paths` (input-to-output paths in the active sub-network),
        `longest_active_path` (convs on its deepest path), `active_convs`, `dropped_edges`
        (edges into joins dropped) and `surviving_columns` (see `surviving_columns`).

    Example:

    >>> from fractalviz.graph import block_graph
    >>> graph = block_graph(3)
    >>> summary = summarize_sample(graph, sample_drop_path(graph, "global", rng=Mulberry32(1)))
    >>> summary["active_paths"], summary["surviving_columns"] == (summary["longest_active_path"] - 1,)
    (1, True)
    """
    from fractalviz.measure import path_length_histogram  # measure imports nothing from here

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
