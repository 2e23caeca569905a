"""Measurements of fractal graphs: conv and join counts, paths, path lengths, receptive
fields.

Paths are counted two ways: by dynamic programming over the graph (`count_paths`, exact
and fast for any graph `fractalviz.graph` can build) and by the paper's recurrence
(`path_count_recurrence`). `enumerate_paths` lists them one by one, for sizes where that
can finish. The length of a path is the number of convs on it.
"""

from collections import Counter

import networkx as nx

from fractalviz.graph import (
    MAX_BLOCKS,
    check_graph,
    check_int,
    check_rule,
    nodes_of_kind,
)

MAX_RECURRENCE_COLUMNS = 20
DEFAULT_MAX_PATHS = 100_000


def count_convs(graph):
    """Returns the number of convs in `graph`.

    Args:
        graph: a fractal graph from `fractalviz.graph`.

    Returns:
        An integer: `2**C - 1` per block for the paper's rule.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> count_convs(block_graph(4))
    15
    """
    return len(nodes_of_kind(graph, "conv"))


def count_joins(graph):
    """Returns the number of joins in `graph`.

    Args:
        graph: a fractal graph from `fractalviz.graph`.

    Returns:
        An integer: `2**(C-2)` per block for the paper's rule with `C >= 2`
        (neighbouring joins merged), none for `C = 1`.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> count_joins(block_graph(4))
    4
    """
    return len(nodes_of_kind(graph, "join"))


def _is_conv(graph, node):
    return graph.nodes[node]["kind"] == "conv"


def path_length_histogram(graph):
    """Returns `{length: number of input-to-output paths with that many convs}`.

    Computed by dynamic programming in topological order, so it is exact even where the
    paths are far too many to list.

    Args:
        graph: a fractal graph from `fractalviz.graph`, or an active sub-network of one.

    Returns:
        A dict from path length (convs on the path) to the number of paths of that
        length.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> dict(sorted(path_length_histogram(block_graph(3)).items()))
    {1: 1, 2: 1, 3: 2, 4: 1}
    """
    check_graph(graph)
    lengths = {}
    for node in nx.topological_sort(graph):
        predecessors = list(graph.predecessors(node))
        counts = Counter({0: 1}) if not predecessors else Counter()
        for predecessor in predecessors:
            counts.update(lengths[predecessor])
        if _is_conv(graph, node):
            counts = Counter({length + 1: n for length, n in counts.items()})
        lengths[node] = counts
    return dict(lengths["output"])


def count_paths(graph):
    """Returns the number of distinct input-to-output paths, by dynamic programming.

    Args:
        graph: a fractal graph from `fractalviz.graph`, or an active sub-network of one.

    Returns:
        An integer (exact, however large): `P(C)**B` for `B` blocks of `C` columns, with
        `P(C)` as `path_count_recurrence` gives it.

    Example:

    >>> from fractalviz.graph import block_graph, network_graph
    >>> count_paths(block_graph(4)), count_paths(network_graph(3, blocks=2))
    (26, 25)
    """
    return sum(path_length_histogram(graph).values())


def longest_path_length(graph):
    """Returns the number of convs on the longest input-to-output path.

    Args:
        graph: a fractal graph from `fractalviz.graph`, or an active sub-network of one.

    Returns:
        An integer: `2**(C-1)` per block for the paper's rule, 1 per block for the
        parallel one.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> (
    ...     longest_path_length(block_graph(4)),
    ...     longest_path_length(block_graph(4, rule="parallel")),
    ... )
    (8, 1)
    """
    return max(path_length_histogram(graph))


def shortest_path_length(graph):
    """Returns the number of convs on the shortest input-to-output path.

    Args:
        graph: a fractal graph from `fractalviz.graph`, or an active sub-network of one.

    Returns:
        An integer: 1 per block for either rule (the shallow column).

    Example:

    >>> from fractalviz.graph import network_graph
    >>> shortest_path_length(network_graph(4, blocks=3))
    3
    """
    return min(path_length_histogram(graph))


def longest_path(graph):
    """Returns the nodes of one input-to-output path with the most convs (the deepest
    path).

    Among equally deep paths the first found in topological order is returned, so the
    result is the same on every run.

    Args:
        graph: a fractal graph from `fractalviz.graph`, or an active sub-network of one.

    Returns:
        A list of nodes from `"input"` to `"output"`.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> longest_path(block_graph(2))
    ['input', 'b0/c1/conv0', 'b0/c1/conv1', 'b0/join2', 'output']
    """
    check_graph(graph)
    weight = {node: int(_is_conv(graph, node)) for node in graph}
    best = {}
    for node in nx.topological_sort(graph):
        predecessors = list(graph.predecessors(node))
        if not predecessors:
            best[node] = (weight[node], None)
            continue
        parent = max(predecessors, key=lambda p: best[p][0])
        best[node] = (best[parent][0] + weight[node], parent)
    path, node = [], "output"
    while node is not None:
        path.append(node)
        node = best[node][1]
    return path[::-1]


def receptive_field(graph, kernel_size=3, pool_size=2):
    """Returns the receptive field, in input pixels, of the deepest path of `graph`.

    Each stride-1 conv of size `k` widens the field by `(k - 1)` times the current jump;
    each `pool_size` pool widens it by `(pool_size - 1)` times the jump, then multiplies
    the jump by `pool_size`. The deepest path has the widest field: every path crosses
    the same pools, and only the number of convs differs.

    Args:
        graph: a graph from `fractalviz.graph`.
        kernel_size: odd integer in `[1, 15]`, the side of every conv's kernel.
        pool_size: integer in `[1, 8]`, the side and stride of every pool.

    Returns:
        An integer, the side in input pixels of the square the deepest path's output
        sees.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> [receptive_field(block_graph(c)) for c in range(1, 6)]
    [3, 5, 9, 17, 33]
    """
    check_graph(graph)
    kernel_size = check_int("kernel_size", kernel_size, 1, 15)
    pool_size = check_int("pool_size", pool_size, 1, 8)
    if kernel_size % 2 == 0:
        raise ValueError(
            f"Expected `kernel_size` to be odd. Received: kernel_size={kernel_size}"
        )
    field, jump = 1, 1
    for node in longest_path(graph):
        kind = graph.nodes[node]["kind"]
        if kind == "conv":
            field += (kernel_size - 1) * jump
        elif kind == "pool":
            field += (pool_size - 1) * jump
            jump *= pool_size
    return field


def path_count_recurrence(columns, blocks=1, rule="fractal"):
    """Returns the number of input-to-output paths predicted by the expansion rule.

    For the paper's rule one block has `P(1) = 1` and `P(C + 1) = P(C)**2 + 1` paths
    (1, 2, 5, 26, 677, ...): the deep branch composes two copies of `f_C`, so its paths
    are pairs, and the shallow conv adds one. The parallel rule has `2**(C - 1)`. Blocks
    in series multiply: `P(C)**B`.

    Args:
        columns: integer in `[1, 20]`; `P(C)` has about `0.18 * 2**C` digits, so larger
            values would take minutes to write down.
        blocks: integer in `[1, 64]`.
        rule: `"fractal"` or `"parallel"`.

    Example:

    >>> [path_count_recurrence(c) for c in range(1, 6)]
    [1, 2, 5, 26, 677]
    """
    columns = check_int("columns", columns, 1, MAX_RECURRENCE_COLUMNS)
    blocks = check_int("blocks", blocks, 1, MAX_BLOCKS)
    check_rule(rule)
    if rule == "parallel":
        return (2 ** (columns - 1)) ** blocks
    paths = 1
    for _ in range(columns - 1):
        paths = paths * paths + 1
    return paths**blocks


def enumerate_paths(graph, max_paths=DEFAULT_MAX_PATHS):
    """Lists every input-to-output path of `graph`, each as a tuple of nodes.

    Args:
        graph: a graph from `fractalviz.graph`.
        max_paths: integer in `[1, 10_000_000]`. The paths are counted first (cheaply);
            if there are more than `max_paths` the function refuses rather than run for
            hours.

    Returns:
        A list of tuples of nodes, each from `"input"` to `"output"`.

    Raises:
        ValueError: if the graph has more than `max_paths` paths. `count_paths(graph)`
            or `path_count_recurrence(C, B)` give the number without listing them.

    Example:

    >>> from fractalviz.graph import block_graph
    >>> sorted(len(path) for path in enumerate_paths(block_graph(2)))
    [4, 5]
    """
    check_graph(graph)
    max_paths = check_int("max_paths", max_paths, 1, 10_000_000)
    total = count_paths(graph)
    if total > max_paths:
        raise ValueError(
            f"This graph has {total:,} input-to-output paths, more than "
            f"max_paths={max_paths:,}; listing them would not finish in reasonable "
            "time. Count them instead with count_paths(graph) (dynamic programming) "
            "or path_count_recurrence(columns, blocks) (the recurrence P(C + 1) = "
            "P(C)**2 + 1), or raise `max_paths`."
        )
    paths, stack = [], [("input", ("input",))]
    while stack:
        node, path = stack.pop()
        if node == "output":
            paths.append(path)
            continue
        for successor in graph.successors(node):
            stack.append((successor, path + (successor,)))
    return paths
