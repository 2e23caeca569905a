"""Drop-path on a fractal graph: which sub-network one training step uses.

This is the paper's sampling, on the graph rather than on tensors, so that it can be drawn:

- **local**: every join drops each of its inputs with probability `drop_rate`, and if it
  dropped them all it keeps one, chosen uniformly;
- **global**: one column, the same index in every block, is the whole network;
- **mixed**: global with probability `global_ratio`, local otherwise (the paper: 0.5).

A sample is returned as the set of edges into joins that survive; `active_subgraph` turns it
into the sub-network that actually computes.
"""

from dataclasses import dataclass

import networkx as nx
import numpy as np

from fractalviz.graph import nodes_of_kind

MODES = ("local", "global", "mixed")


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
        rng: a `numpy.random.Generator`, or a seed for one.

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
