"""The fractal graphs have the paper's structure, and the parallel rule visibly does
not."""

import math

import matplotlib
import matplotlib.pyplot as plt
import networkx as nx
import pytest

import fractalviz as fv
from fractalviz.measure import DEFAULT_MAX_PATHS

matplotlib.use("Agg")

PAPER_PATH_COUNTS = [1, 2, 5, 26, 677, 458330]  # OEIS A003095


@pytest.mark.parametrize("columns", range(1, 7))
def test_fractal_block_has_2_to_the_c_minus_1_convs(columns):
    assert fv.count_convs(fv.block_graph(columns)) == 2**columns - 1


@pytest.mark.parametrize("columns", range(1, 7))
def test_fractal_block_path_count_follows_the_recurrence_and_the_paper(columns):
    graph = fv.block_graph(columns)
    expected = PAPER_PATH_COUNTS[columns - 1]
    assert fv.count_paths(graph) == expected
    assert fv.path_count_recurrence(columns) == expected


@pytest.mark.parametrize("columns", range(1, 6))
def test_enumeration_agrees_with_dynamic_programming(columns):
    graph = fv.block_graph(columns)
    paths = fv.enumerate_paths(graph)
    assert len(paths) == len(set(paths)) == fv.count_paths(graph)
    assert all(path[0] == "input" and path[-1] == "output" for path in paths)


def test_path_length_histogram_matches_enumerated_lengths():
    graph = fv.network_graph(3, blocks=2)
    lengths = {}
    for path in fv.enumerate_paths(graph):
        n = sum(graph.nodes[node]["kind"] == "conv" for node in path)
        lengths[n] = lengths.get(n, 0) + 1
    assert fv.path_length_histogram(graph) == lengths


@pytest.mark.parametrize("columns", range(1, 7))
def test_fractal_block_has_every_path_length_from_1_to_2_to_the_c_minus_1(columns):
    histogram = fv.path_length_histogram(fv.block_graph(columns))
    assert sorted(histogram) == list(range(1, 2 ** (columns - 1) + 1))
    assert fv.longest_path_length(fv.block_graph(columns)) == 2 ** (columns - 1)
    assert fv.shortest_path_length(fv.block_graph(columns)) == 1


def test_receptive_field_of_the_deepest_path_is_3_5_9_17_33():
    assert [fv.receptive_field(fv.block_graph(c)) for c in range(1, 6)] == [
        3,
        5,
        9,
        17,
        33,
    ]


def test_receptive_field_through_pools_counts_the_doubling_jump():
    # Two blocks of C=2: 2 convs (rf 5), pool (6, jump 2), 2 convs (+8 -> 14), pool (+2
    # -> 16).
    assert fv.receptive_field(fv.network_graph(2, blocks=2)) == 16


def test_blocks_in_series_multiply_paths_as_in_the_paper():
    assert fv.count_paths(fv.network_graph(3, blocks=5)) == 3125
    assert fv.count_paths(fv.network_graph(4, blocks=5)) == 11_881_376
    assert fv.path_count_recurrence(4, blocks=5) == 11_881_376


def test_last_join_averages_all_columns_and_inner_joins_the_deep_ones():
    graph = fv.block_graph(4)
    joins = {
        node: graph.nodes[node]["columns"] for node in fv.nodes_of_kind(graph, "join")
    }
    assert joins == {
        "b0/join2": (2, 3),
        "b0/join4": (1, 2, 3),
        "b0/join6": (2, 3),
        "b0/join8": (0, 1, 2, 3),
    }


def test_column_k_is_a_chain_of_2_to_the_k_convs():
    graph = fv.block_graph(4)
    for k in range(4):
        convs = fv.column_nodes(graph, k)
        assert len(convs) == 2**k
        assert [graph.nodes[c]["index"] for c in convs] == list(range(2**k))


@pytest.mark.parametrize("columns", range(1, 7))
def test_parallel_rule_has_only_length_one_paths_and_a_fixed_receptive_field(columns):
    graph = fv.block_graph(columns, rule="parallel")
    assert fv.path_length_histogram(graph) == {1: 2 ** (columns - 1)}
    assert fv.receptive_field(graph) == 3
    assert fv.path_count_recurrence(columns, rule="parallel") == 2 ** (columns - 1)


@pytest.mark.parametrize("columns", range(2, 7))
def test_parallel_rule_differs_in_depth_and_receptive_field_from_two_columns_on(
    columns,
):
    fractal, parallel = (
        fv.block_graph(columns),
        fv.block_graph(columns, rule="parallel"),
    )
    assert fv.longest_path_length(fractal) == 2 ** (columns - 1)
    assert fv.longest_path_length(parallel) == 1
    assert fv.receptive_field(fractal) == 2**columns + 1
    assert fv.receptive_field(parallel) == 3


@pytest.mark.parametrize("columns", range(1, 7))
def test_parallel_rule_differs_from_the_paper_in_path_count_from_three_columns_on(
    columns,
):
    # C = 1 and C = 2 have as many paths either way (1 and 2); from C = 3 on, 2**(C-1) <
    # P(C).
    fractal = fv.count_paths(fv.block_graph(columns))
    parallel = fv.count_paths(fv.block_graph(columns, rule="parallel"))
    assert fractal == PAPER_PATH_COUNTS[columns - 1]
    assert parallel == 2 ** (columns - 1)
    assert (fractal == parallel) == (columns < 3)


def test_parallel_and_paper_rules_agree_at_one_column():
    fractal, parallel = fv.block_graph(1), fv.block_graph(1, rule="parallel")
    assert sorted(fractal.nodes) == sorted(parallel.nodes)
    assert fv.receptive_field(fractal) == fv.receptive_field(parallel) == 3


@pytest.mark.parametrize("bad", [0, -1, 13])
def test_out_of_range_columns_are_refused_naming_the_argument(bad):
    with pytest.raises(
        ValueError, match=rf"`columns`.*between 1 and 12.*columns={bad}"
    ):
        fv.block_graph(bad)


@pytest.mark.parametrize("bad", [2.0, "3", True, None])
def test_non_integer_columns_are_refused(bad):
    with pytest.raises(TypeError, match="`columns`"):
        fv.block_graph(bad)


@pytest.mark.parametrize("bad", [0, 65, False])
def test_bad_block_counts_are_refused(bad):
    with pytest.raises((ValueError, TypeError), match="`blocks`"):
        fv.network_graph(2, blocks=bad)


@pytest.mark.parametrize("bad", ["no", 1, None, "True"])
def test_pool_must_be_a_bool_not_merely_truthy(bad):
    with pytest.raises(TypeError, match=rf"`pool` to be a bool.*pool={bad!r}"):
        fv.network_graph(2, blocks=2, pool=bad)


@pytest.mark.parametrize("pool", [True, False])
def test_pool_accepts_bools(pool):
    graph = fv.network_graph(2, blocks=2, pool=pool)
    assert graph.graph["pool"] is pool
    assert len(fv.nodes_of_kind(graph, "pool")) == (2 if pool else 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda g: fv.count_paths(g),
        lambda g: fv.receptive_field(g),
        lambda g: fv.draw_fractal(g),
        lambda g: fv.sample_drop_path(g),
        lambda g: fv.layout(g),
        lambda g: fv.longest_path(g),
        lambda g: fv.count_convs(g),
        lambda g: fv.enumerate_paths(g),
        lambda g: fv.nodes_of_kind(g, "conv"),
        lambda g: fv.column_survival_rate(g),
        lambda g: fv.animate_drop_path(g),
    ],
    ids=[
        "count_paths",
        "receptive_field",
        "draw_fractal",
        "sample_drop_path",
        "layout",
        "longest_path",
        "count_convs",
        "enumerate_paths",
        "nodes_of_kind",
        "column_survival_rate",
        "animate_drop_path",
    ],
)
@pytest.mark.parametrize("bad", [3, None, "graph", [("input", "output")]])
def test_public_functions_refuse_a_non_graph_naming_the_argument(call, bad):
    with pytest.raises(
        TypeError, match=r"Expected `graph` to be a fractal graph.*Received: graph="
    ):
        call(bad)


def test_a_digraph_without_input_and_output_is_refused_with_a_clear_message():
    with pytest.raises(
        ValueError,
        match=r"`graph`.*'input' and an 'output' node.*no 'input' or 'output'",
    ):
        fv.count_paths(nx.DiGraph([("a", "b")]))
    with pytest.raises(
        ValueError, match=r"every node has a `kind`.*node 'input' with kind=None"
    ):
        fv.count_paths(nx.DiGraph([("input", "output")]))


def test_nodes_of_kind_refuses_an_unknown_kind_listing_the_kinds():
    with pytest.raises(ValueError, match=r"`kind`.*'conv'.*Received: kind='convs'"):
        fv.nodes_of_kind(fv.block_graph(2), "convs")


@pytest.mark.parametrize(
    "bad, error",
    [(3, ValueError), (-1, ValueError), (1.0, TypeError), (True, TypeError)],
)
def test_column_nodes_refuses_a_column_the_graph_does_not_have(bad, error):
    with pytest.raises(error, match=r"`column`.*between 0 and 2"):
        fv.column_nodes(fv.block_graph(3), bad)


def test_unknown_rule_is_refused_listing_the_rules():
    with pytest.raises(ValueError, match="fractal.*parallel"):
        fv.block_graph(3, rule="recursive")


def test_enumeration_refuses_sizes_it_cannot_finish_and_names_the_formula():
    graph = fv.block_graph(7)  # 458330**2 + 1 paths
    with pytest.raises(ValueError, match="count_paths.*path_count_recurrence"):
        fv.enumerate_paths(graph)
    assert fv.count_paths(graph) == 458330**2 + 1 > DEFAULT_MAX_PATHS


def test_recurrence_refuses_columns_whose_count_could_not_be_written_down():
    with pytest.raises(ValueError, match="between 1 and 20"):
        fv.path_count_recurrence(40)
    assert math.log10(fv.path_count_recurrence(20)) > 10_000


def test_layout_puts_columns_side_by_side_deepest_on_the_right():
    graph = fv.block_graph(3)
    positions = fv.layout(graph)
    xs = {
        graph.nodes[n]["column"]: positions[n][0]
        for n in fv.nodes_of_kind(graph, "conv")
    }
    assert xs == {0: 0, 1: 1, 2: 2}
    assert positions["output"][1] > positions["b0/join4"][1] > positions["input"][1]


def test_draw_fractal_draws_on_the_given_axes_and_returns_it():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    graph = fv.block_graph(3)
    assert fv.draw_fractal(graph, ax=ax, highlight_path=fv.longest_path(graph)) is ax
    assert len(ax.patches) == fv.count_convs(graph) + fv.count_joins(graph)
    plt.close(fig)


def test_draw_fractal_refuses_a_column_the_graph_does_not_have():
    with pytest.raises(
        ValueError, match=r"`highlight_column`.*between 0 and 2.*highlight_column=3"
    ):
        fv.draw_fractal(fv.block_graph(3), highlight_column=3)


@pytest.mark.parametrize("bad", [1.5, "1", True, 1.0])
def test_draw_fractal_refuses_a_non_integer_column(bad):
    with pytest.raises(
        TypeError,
        match=rf"`highlight_column`.*between 0 and 2.*highlight_column={bad!r}",
    ):
        fv.draw_fractal(fv.block_graph(3), highlight_column=bad)


def test_draw_fractal_highlights_the_chosen_column_in_every_block():
    graph = fv.network_graph(3, blocks=2)
    ax = fv.draw_fractal(graph, highlight_column=1)
    reds = [
        p
        for p in ax.patches
        if p.get_facecolor()[:3] == matplotlib.colors.to_rgb("#d62728")
    ]
    plt.close(ax.figure)
    assert len(reds) == 2 * 2  # two convs of column 1 per block


@pytest.mark.parametrize("argument", ["active", "highlight_path"])
def test_draw_fractal_refuses_nodes_not_in_the_graph_naming_them(argument):
    nodes = ["input", "b0/c0/conv0", "b7/c9/conv0", "output"]
    with pytest.raises(
        ValueError, match=rf"`{argument}`.*1 node\(s\) not in the graph: 'b7/c9/conv0'"
    ):
        fv.draw_fractal(fv.block_graph(2), **{argument: nodes})


def test_draw_fractal_refuses_a_string_as_a_node_collection():
    with pytest.raises(TypeError, match="`active`"):
        fv.draw_fractal(fv.block_graph(2), active="input")


@pytest.mark.parametrize(
    "graph",
    [
        fv.block_graph(1),
        fv.block_graph(4),
        fv.network_graph(3, blocks=2),
        fv.network_graph(2, blocks=3, rule="parallel"),
    ],
    ids=["C=1", "C=4", "C=3,B=2", "parallel"],
)
@pytest.mark.parametrize("fontsize", [8, 11])
def test_draw_fractal_keeps_every_box_and_label_inside_its_axes(graph, fontsize):
    # Nothing is clipped: the axes limits hold every conv, join and pool box, and its
    # frame every "in", "out" and "pool" label, side by side in a figure of four panels
    # (chapter 4's sampled sub-networks) as alone.
    fig, axes = plt.subplots(1, 4, figsize=(10, 6))
    for ax in axes:
        fv.draw_fractal(
            graph,
            ax=ax,
            active=fv.active_subgraph(
                graph, fv.sample_drop_path(graph, "local", 0.3, rng=fv.Mulberry32(1))
            ),
            fontsize=fontsize,
            title="local",
        )
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        (x0, x1), (y1, y0) = ax.get_xlim(), ax.get_ylim()
        for patch in ax.patches:
            box = patch.get_bbox()
            assert x0 <= box.x0 and box.x1 <= x1 and y0 <= box.y0 and box.y1 <= y1, (
                patch
            )
        frame = ax.get_window_extent(renderer)
        for text in ax.texts:
            box = text.get_window_extent(renderer)
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text.get_text()
    plt.close(fig)


@pytest.mark.parametrize(
    "bad, error",
    [(2, ValueError), (41, ValueError), ("8", TypeError), (True, TypeError)],
)
def test_draw_fractal_refuses_a_font_size_out_of_range(bad, error):
    with pytest.raises(error, match=rf"`fontsize`.*between 4 and 40.*fontsize={bad!r}"):
        fv.draw_fractal(fv.block_graph(2), fontsize=bad)
