"""Drop-path sampling: the paper's rules hold on every draw, and the frequencies match
the theory."""

import math
import re

import numpy as np
import pytest

import fractalviz as fv
from fractalviz.sampling import (
    Mulberry32,
    column_survival_rate,
    summarize_sample,
    surviving_columns,
)

# The first outputs of the JavaScript mulberry32(0) / mulberry32(123456789), taken from
# node.
JS_MULBERRY32_SEED_0 = [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]


def test_mulberry32_reproduces_the_javascript_generator_bit_for_bit():
    rng = Mulberry32(0)
    assert [rng.random() for _ in range(3)] == JS_MULBERRY32_SEED_0


def test_mulberry32_integers_floor_a_uniform_and_stay_in_range():
    draws = [Mulberry32(seed).integers(6) for seed in range(2000)]
    assert set(draws) == set(range(6))
    assert Mulberry32(0).integers(10) == math.floor(JS_MULBERRY32_SEED_0[0] * 10)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_mulberry32_refuses_seeds_outside_32_bits_naming_the_argument(bad):
    with pytest.raises((ValueError, TypeError), match="seed"):
        Mulberry32(bad)


@pytest.mark.parametrize("rng", [lambda: 3, lambda: Mulberry32(3)])
def test_the_same_seed_draws_the_same_sub_network(rng):
    graph = fv.network_graph(4, blocks=2)
    assert fv.sample_drop_path(graph, "local", rng=rng()) == fv.sample_drop_path(
        graph, "local", rng=rng()
    )


def test_local_drop_path_never_drops_every_input_of_a_join():
    graph = fv.block_graph(5)
    rng = Mulberry32(1)
    for _ in range(300):
        sample = fv.sample_drop_path(graph, "local", drop_rate=0.9, rng=rng)
        for join in fv.nodes_of_kind(graph, "join"):
            assert any((u, join) in sample.kept_edges for u, _ in graph.in_edges(join))


def test_global_drop_path_keeps_one_column_the_same_in_every_block():
    graph = fv.network_graph(4, blocks=3)
    for seed in range(40):
        sample = fv.sample_drop_path(graph, "global", rng=Mulberry32(seed))
        summary = summarize_sample(graph, sample)
        assert summary["surviving_columns"] == (sample.column,)
        assert summary["active_paths"] == 1
        assert summary["longest_active_path"] == 3 * 2**sample.column
        assert summary["active_convs"] == 3 * 2**sample.column


def test_local_draw_with_zero_drop_rate_keeps_every_path():
    graph = fv.network_graph(3, blocks=2)
    summary = summarize_sample(
        graph, fv.sample_drop_path(graph, "local", drop_rate=0.0, rng=0)
    )
    assert summary["active_paths"] == fv.count_paths(graph) == 25
    assert summary["dropped_edges"] == 0
    assert summary["surviving_columns"] == (0, 1, 2)


def test_column_survival_rate_in_closed_form():
    # C = 3: joins at row 2 (columns 1, 2) and row 4 (columns 0, 1, 2); columns 1 and 2
    # feed the same two joins, so they survive equally often.
    p = 0.2
    q2, q3 = (1 - p) + p**2 / 2, (1 - p) + p**3 / 3
    assert column_survival_rate(fv.block_graph(3), "local", p) == pytest.approx(
        [q3, q2 * q3, q2 * q3]
    )
    assert column_survival_rate(fv.block_graph(3), "global", p) == pytest.approx(
        [1 / 3] * 3
    )
    mixed = column_survival_rate(fv.block_graph(3), "mixed", p, global_ratio=0.25)
    assert mixed == pytest.approx(
        [0.25 / 3 + 0.75 * q3, 0.25 / 3 + 0.75 * q2 * q3, 0.25 / 3 + 0.75 * q2 * q3]
    )
    assert column_survival_rate(fv.block_graph(1), "local", p) == [1.0]


def test_deep_columns_survive_local_drop_path_less_often_than_shallow_ones():
    # The two deepest columns meet at the same joins (every even row), so they tie.
    rates = column_survival_rate(fv.block_graph(5), "local", 0.15)
    assert all(a > b for a, b in zip(rates[:-1], rates[1:-1]))
    assert rates[-2] == pytest.approx(rates[-1])
    assert rates[0] == pytest.approx(0.85 + 0.15**5 / 5)


@pytest.mark.parametrize("mode", ["local", "global", "mixed"])
def test_column_survival_frequencies_match_the_theory(mode):
    # 3000 draws; each column's count is binomial. A 4.5-sigma band fails a correct
    # sampler with probability < 1e-5 per column (and the seed is fixed, so the test is
    # deterministic).
    graph = fv.network_graph(3, blocks=2)
    n, theory = 3000, column_survival_rate(graph, mode, 0.3, 0.5)
    counts = np.zeros(3)
    rng = np.random.default_rng(2024)
    for _ in range(n):
        counts[
            list(
                surviving_columns(
                    graph, fv.sample_drop_path(graph, mode, 0.3, 0.5, rng)
                )
            )
        ] += 1
    for k, rate in enumerate(theory):
        sigma = math.sqrt(rate * (1 - rate) / n)
        assert abs(counts[k] / n - rate) < 4.5 * sigma, (k, counts[k] / n, rate)


def test_mixed_mode_is_global_at_the_global_ratio():
    # Binomial(4000, 0.3): 4.5 sigma = 0.032; fails a correct sampler with probability <
    # 1e-5.
    graph = fv.block_graph(3)
    rng = Mulberry32(5)
    globals_ = sum(
        fv.sample_drop_path(graph, "mixed", 0.15, 0.3, rng).mode == "global"
        for _ in range(4000)
    )
    assert abs(globals_ / 4000 - 0.3) < 0.032


def test_column_survival_rate_refuses_an_unknown_mode_and_bad_rates():
    with pytest.raises(ValueError, match="mode"):
        column_survival_rate(fv.block_graph(3), "dropout")
    with pytest.raises(ValueError, match=r"drop_rate.*\[0, 1\).*1.0"):
        column_survival_rate(fv.block_graph(3), "local", drop_rate=1.0)


@pytest.mark.parametrize(
    "rng",
    [None, 0, 7, np.int64(7), np.random.default_rng(7), Mulberry32(7)],
    ids=["None", "0", "7", "np.int64", "Generator", "Mulberry32"],
)
def test_sample_drop_path_accepts_every_documented_rng(rng):
    graph = fv.block_graph(3)
    sample = fv.sample_drop_path(graph, "local", rng=rng)
    assert sample.mode == "local" and sample.kept_edges


def test_an_integer_rng_is_a_seed_for_numpy():
    graph = fv.block_graph(4)
    assert fv.sample_drop_path(graph, "local", rng=np.int64(11)) == fv.sample_drop_path(
        graph, "local", rng=np.random.default_rng(11)
    )


@pytest.mark.parametrize("bad", ["abc", 1.5, True, [1, 2], object()])
def test_sample_drop_path_refuses_an_rng_it_cannot_use_naming_the_argument(bad):
    with pytest.raises(
        TypeError,
        match=r"`rng` to be None, an integer seed >= 0, a numpy.random.Generator "
        r"or a fractalviz.Mulberry32\. Received: rng=",
    ):
        fv.sample_drop_path(fv.block_graph(3), rng=bad)


def test_sample_drop_path_refuses_a_negative_seed():
    with pytest.raises(ValueError, match=r"`rng`.*>= 0.*rng=-1"):
        fv.sample_drop_path(fv.block_graph(3), rng=-1)


def test_sample_drop_path_refuses_a_non_graph():
    with pytest.raises(TypeError, match=r"`graph`.*Received: graph=None"):
        fv.sample_drop_path(None)


@pytest.mark.parametrize(
    "call",
    [
        lambda mode: fv.sample_drop_path(fv.block_graph(3), mode),
        lambda mode: column_survival_rate(fv.block_graph(3), mode),
        lambda mode: fv.animate_drop_path(fv.block_graph(3), mode),
        lambda mode: fv.sample_grid(fv.block_graph(3), mode),
        lambda mode: fv.Explorer(mode=mode),
        lambda mode: fv.explorer_samples(mode=mode),
    ],
    ids=[
        "sample_drop_path",
        "column_survival_rate",
        "animate_drop_path",
        "sample_grid",
        "Explorer",
        "explorer_samples",
    ],
)
@pytest.mark.parametrize("bad", ["dropout", None, "Local", ["local"]])
def test_every_entry_point_refuses_an_unknown_mode_with_the_same_message(call, bad):
    message = (
        r"^Expected `mode` to be one of \('local', 'global', 'mixed'\)\. "
        rf"Received: mode={re.escape(repr(bad))}$"
    )
    with pytest.raises(ValueError, match=message):
        call(bad)


def test_summaries_take_a_sample_not_anything_else():
    with pytest.raises(TypeError, match=r"`sample`.*DropPathSample"):
        summarize_sample(fv.block_graph(3), {"mode": "local"})


@pytest.mark.parametrize("seed", range(12))
def test_a_global_draw_keeps_one_column_whose_depth_is_2_to_the_column(seed):
    graph = fv.block_graph(4)
    sample = fv.sample_drop_path(graph, "global", rng=Mulberry32(seed))
    summary = summarize_sample(graph, sample)
    assert summary["longest_active_path"] == summary["active_convs"] == 2**sample.column
    assert summary["surviving_columns"] == (sample.column,)
