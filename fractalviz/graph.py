"""The structure of fractal blocks and networks as networkx graphs (no drawing, no
TensorFlow).

A graph has one node per operation and one edge per tensor passed between two
operations:

- `"input"` and `"output"`: the network's ends (`kind="input"` / `kind="output"`);
- convs (`kind="conv"`), with `block`, `column` (0-based: column `k` of a fractal block
  holds `2**k` convs, so column 0 is the single shallow conv and column `C - 1` the
  deepest), `index` (position within the column), `row` (the depth, in units of the
  deepest column's convs, at which the conv's output is ready) and `span` (how many rows
  it spans);
- joins (`kind="join"`), with `block`, `row` and `columns` (the columns they average);
- pools (`kind="pool"`), one after each block of a network.

Edges into a join carry the `column` they come from, so a drop-path sample can name
them.

Two expansion rules are available. `"fractal"` is the paper's, `f_1(z) = conv(z)` and
`f_{C+1}(z) = join(f_C(f_C(z)), conv(z))`, with neighbouring joins collapsed into one
multi-input join as in the authors' code. `"parallel"` is the tempting wrong rule,
`F_k(x) = join(F_{k-1}(x), F_{k-1}(x))` with both halves on the same `x`: it unrolls to
`2**(C - 1)` single convs side by side, averaged by one join.
"""

import numbers

import networkx as nx
import numpy as np

RULES = ("fractal", "parallel")
KINDS = ("input", "conv", "join", "pool", "output")
MAX_COLUMNS = 12
MAX_BLOCKS = 64


def check_int(name, value, low, high):
    """Returns `value` as an `int` if it is an integer in `[low, high]`; raises
    otherwise.

    Bools are refused: `True` is an `int` to Python but never a sensible column count.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Expected `{name}` to be an integer between {low} and {high}. "
            f"Received: {name}={value!r} (type {type(value).__name__})"
        )
    if not low <= value <= high:
        raise ValueError(
            f"Expected `{name}` to be an integer between {low} and {high}. "
            f"Received: {name}={value}"
        )
    return int(value)


def check_rule(rule):
    """Returns `rule` if it is one of the expansion rules `RULES`; raises `ValueError`
    otherwise.

    Args:
        rule: the name of an expansion rule, `"fractal"` (the paper's) or `"parallel"`.

    Returns:
        `rule`, unchanged.

    Example:

    >>> check_rule("fractal")
    'fractal'
    >>> check_rule("recursive")
    Traceback (most recent call last):
    ...
    ValueError: Expected `rule` to be one of ('fractal', 'parallel'). Received:
        rule='recursive'
    """
    if rule not in RULES:
        raise ValueError(
            f"Expected `rule` to be one of {RULES}. Received: rule={rule!r}"
        )
    return rule


def check_bool(name, value):
    """Returns `value` as a `bool` if it is one (Python or NumPy); raises `TypeError`
    otherwise.

    Truthiness is not enough: `pool="no"` would otherwise mean `True`.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"Expected `{name}` to be a bool (True or False). "
            f"Received: {name}={value!r} (type {type(value).__name__})"
        )
    return bool(value)


def check_graph(graph, name="graph"):
    """Returns `graph` if it is a graph as `fractalviz.graph` builds them; raises
    otherwise.

    A fractal graph is a `networkx.DiGraph` (or a subgraph view of one, such as
    `fractalviz.active_subgraph` returns) with an `"input"` and an `"output"` node and a
    `kind` on every node. Checking this up front turns a deep `KeyError` or
    `AttributeError` inside networkx into an error that names the argument.

    Args:
        graph: the object to check.
        name: the argument's name, for the error message.

    Returns:
        `graph`, unchanged.

    Raises:
        TypeError: if `graph` is not a `networkx.DiGraph`.
        ValueError: if it lacks the `"input"` or `"output"` node or a node's `kind`.

    Example:

    >>> check_graph(block_graph(2)) is not None
    True
    >>> check_graph(3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: Expected `graph` to be a fractal graph (a networkx.DiGraph ...).
        Received: graph=3 (type int)
    """
    expected = (
        "a fractal graph (a networkx.DiGraph from fractalviz.network_graph or "
        "fractalviz.block_graph)"
    )
    if not isinstance(graph, nx.DiGraph):
        raise TypeError(
            f"Expected `{name}` to be {expected}. Received: {name}={graph!r:.80} "
            f"(type {type(graph).__name__})"
        )
    missing = [end for end in ("input", "output") if end not in graph]
    if missing:
        raise ValueError(
            f"Expected `{name}` to be {expected}, with an 'input' and an 'output' "
            f"node. Received: a {type(graph).__name__} with {graph.number_of_nodes()} "
            f"nodes and no {' or '.join(repr(end) for end in missing)} node"
        )
    for node, kind in graph.nodes(data="kind"):
        if kind not in KINDS:
            raise ValueError(
                f"Expected `{name}` to be {expected}: every node has a `kind` in "
                f"{KINDS}. Received: node {node!r} with kind={kind!r}"
            )
    return graph


def _add_fractal_block(graph, source, block, columns):
    """Adds one block built by the paper's rule, column by column; returns its output
    node.

    Column `k`'s convs each span `2**(columns - 1 - k)` rows of the deepest column. At
    every row where two or more columns finish a conv, one join averages them and feeds
    the next conv of each of those columns.
    """
    rows = 2 ** (columns - 1)
    feeds = {k: source for k in range(columns)}
    for row in range(1, rows + 1):
        ending = [k for k in range(columns) if row % 2 ** (columns - 1 - k) == 0]
        for k in ending:
            span = 2 ** (columns - 1 - k)
            conv = f"b{block}/c{k}/conv{row // span - 1}"
            graph.add_node(
                conv,
                kind="conv",
                block=block,
                column=k,
                index=row // span - 1,
                row=row,
                span=span,
            )
            graph.add_edge(feeds[k], conv)
            feeds[k] = conv
        if len(ending) > 1:
            join = f"b{block}/join{row}"
            graph.add_node(
                join, kind="join", block=block, row=row, columns=tuple(ending)
            )
            for k in ending:
                graph.add_edge(feeds[k], join, column=k)
                feeds[k] = join
    return feeds[columns - 1]


def _add_parallel_block(graph, source, block, columns):
    """Adds one block built by the parallel rule; returns its output node."""
    width = 2 ** (columns - 1)
    convs = []
    for k in range(width):
        conv = f"b{block}/c{k}/conv0"
        graph.add_node(conv, kind="conv", block=block, column=k, index=0, row=1, span=1)
        graph.add_edge(source, conv)
        convs.append(conv)
    if width == 1:
        return convs[0]
    join = f"b{block}/join1"
    graph.add_node(join, kind="join", block=block, row=1, columns=tuple(range(width)))
    for k, conv in enumerate(convs):
        graph.add_edge(conv, join, column=k)
    return join


def network_graph(columns, blocks=1, rule="fractal", pool=True):
    """Builds the graph of `blocks` fractal blocks of `columns` columns in series.

    Args:
        columns: integer in `[1, 12]`, the number of columns `C` of every block.
        blocks: integer in `[1, 64]`, the number of blocks `B`.
        rule: `"fractal"` (the paper's expansion rule) or `"parallel"` (the wrong rule,
            for contrast).
        pool: bool, whether a 2x2 pool follows each block, as in the paper's CIFAR
            networks.

    Returns:
        A `networkx.DiGraph` from `"input"` to `"output"`; `graph.graph` records
        `columns`, `blocks`, `rule` and `pool`.

    Example:

    >>> graph = network_graph(columns=3, blocks=2)
    >>> sum(1 for _, kind in graph.nodes(data="kind") if kind == "conv")
    14
    """
    columns = check_int("columns", columns, 1, MAX_COLUMNS)
    blocks = check_int("blocks", blocks, 1, MAX_BLOCKS)
    check_rule(rule)
    pool = check_bool("pool", pool)
    add_block = _add_fractal_block if rule == "fractal" else _add_parallel_block
    graph = nx.DiGraph(columns=columns, blocks=blocks, rule=rule, pool=pool)
    graph.add_node("input", kind="input")
    source = "input"
    for block in range(blocks):
        source = add_block(graph, source, block, columns)
        if pool:
            graph.add_node(f"b{block}/pool", kind="pool", block=block)
            graph.add_edge(source, f"b{block}/pool")
            source = f"b{block}/pool"
    graph.add_node("output", kind="output")
    graph.add_edge(source, "output")
    return graph


def block_graph(columns, rule="fractal"):
    """Builds the graph of one fractal block with `columns` columns (no pooling).

    Args:
        columns: integer in `[1, 12]`, the number of columns `C`.
        rule: `"fractal"` (the paper's expansion rule) or `"parallel"` (the wrong rule).

    Returns:
        A `networkx.DiGraph` from `"input"` to `"output"`, as `network_graph` describes.

    Example:

    >>> graph = block_graph(4)
    >>> sorted(graph.nodes["b0/join8"]["columns"])
    [0, 1, 2, 3]
    """
    return network_graph(columns, blocks=1, rule=rule, pool=False)


def nodes_of_kind(graph, kind):
    """Returns the nodes of `graph` whose `kind` attribute is `kind`, in insertion
    order.

    Args:
        graph: a fractal graph from `network_graph` or `block_graph`.
        kind: one of `"input"`, `"conv"`, `"join"`, `"pool"`, `"output"`.

    Returns:
        A list of node names; for convs and joins, block by block and row by row.

    Example:

    >>> nodes_of_kind(block_graph(3), "join")
    ['b0/join2', 'b0/join4']
    """
    check_graph(graph)
    if kind not in KINDS:
        raise ValueError(
            f"Expected `kind` to be one of {KINDS}. Received: kind={kind!r}"
        )
    return [node for node, node_kind in graph.nodes(data="kind") if node_kind == kind]


def column_nodes(graph, column):
    """Returns the convs of column `column` in every block of `graph`, input to output.

    Args:
        graph: a fractal graph from `network_graph` or `block_graph`.
        column: integer in `[0, C - 1]` (`[0, 2**(C-1) - 1]` for the parallel rule), the
            column.

    Returns:
        A list of conv node names: `2**column` per block for the paper's rule.

    Example:

    >>> column_nodes(network_graph(2, blocks=2), 1)
    ['b0/c1/conv0', 'b0/c1/conv1', 'b1/c1/conv0', 'b1/c1/conv1']
    """
    convs = nodes_of_kind(graph, "conv")
    width = 1 + max((graph.nodes[node]["column"] for node in convs), default=-1)
    column = check_int("column", column, 0, max(width - 1, 0))
    return [node for node in convs if graph.nodes[node]["column"] == column]
