"""Drop-path animations: playable offline, within the size budget, with a print fallback."""

import re

import matplotlib
import matplotlib.pyplot as plt
import pytest

import fractalviz as fv
from fractalviz.animate import (
    ANIMATION_BUDGET_BYTES,
    animate_drop_path,
    embed_animation,
    jshtml,
    sample_grid,
)
from fractalviz.explorer import explorer_samples

matplotlib.use("Agg")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def network_animation():
    # The largest animation the chapters embed: C = 4, three blocks, 12 frames.
    return embed_animation(fv.network_graph(4, blocks=3), frames=12)


def test_budget_is_one_megabyte():
    assert ANIMATION_BUDGET_BYTES == 1_000_000


def test_chapter_sized_animation_stays_within_the_budget(network_animation):
    assert 100_000 < network_animation.size <= ANIMATION_BUDGET_BYTES


def test_animation_embeds_every_frame_and_differs_from_frame_to_frame(network_animation):
    frames = re.findall(r'frames\[\d+\] = "data:image/png;base64,(.*?)"', network_animation.html, re.S)
    assert len(frames) == 12
    assert len(set(frames)) == 12


def test_animation_html_loads_nothing_from_the_network(network_animation):
    assert not re.search(r"(src|href)=\"https?://", network_animation.html)
    assert "font-awesome" not in network_animation.html
    assert 'class="fa ' not in network_animation.html


def test_print_fallback_is_a_png_of_the_same_draws(network_animation):
    assert network_animation._repr_png_().startswith(PNG_MAGIC)
    assert network_animation._repr_html_() is network_animation.html


def test_the_same_animation_gives_the_same_html_in_a_fresh_process():
    # nbval compares stored and re-run outputs byte for byte: nothing random may remain.
    import subprocess
    import sys
    code = ("import matplotlib; matplotlib.use('Agg'); import fractalviz as fv;"
            "from fractalviz.animate import jshtml, animate_drop_path;"
            "print(jshtml(animate_drop_path(fv.block_graph(2), frames=2), dpi=30))")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] and "_anim_imgfv1x" in runs[0]


def test_animation_ids_are_deterministic_and_unique_per_animation():
    graph = fv.block_graph(2)
    first = jshtml(animate_drop_path(graph, frames=2), dpi=30)
    second = jshtml(animate_drop_path(graph, frames=2), dpi=30)
    plt.close("all")
    id_first = re.search(r'id="_anim_img(\w+)"', first).group(1)
    id_second = re.search(r'id="_anim_img(\w+)"', second).group(1)
    assert id_first != id_second
    assert re.fullmatch(r"fv\d+x[0-9a-f]{10}", id_first)
    assert first.replace(id_first, "") == second.replace(id_second, "")


def test_animation_refuses_to_exceed_its_budget():
    with pytest.raises(ValueError, match="budget_bytes=1,000"):
        embed_animation(fv.block_graph(2), frames=2, budget_bytes=1000)


def test_animation_frames_are_the_explorers_draws():
    graph = fv.block_graph(4)
    anim = animate_drop_path(graph, mode="mixed", frames=5, seed=11)
    titles = []
    for index in range(5):
        anim._func(index)
        titles.append(anim._fig.axes[0].get_title())
    anim._draw_was_started = True  # drawn by hand: silence "deleted without rendering"
    plt.close(anim._fig)
    expected = [f"draw {i + 1}: " + (f"global, column {s.column}" if s.mode == "global" else "local")
                for i, s in enumerate(explorer_samples(columns=4, seed=11, draws=5))]
    assert titles == expected


def test_tally_counts_surviving_columns_so_far():
    graph = fv.block_graph(3)
    anim = animate_drop_path(graph, mode="global", frames=6, seed=0)
    anim._func(5)
    bars = [patch.get_width() for patch in anim._fig.axes[1].patches]
    anim._draw_was_started = True
    plt.close(anim._fig)
    columns = [s.column for s in explorer_samples(columns=3, mode="global", seed=0, draws=6)]
    assert bars == pytest.approx([columns.count(k) / 6 for k in range(3)])


def test_sample_grid_draws_one_axes_per_draw():
    fig = sample_grid(fv.block_graph(3), frames=5, ncols=3)
    assert len(fig.axes) == 5
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    plt.close(fig)


@pytest.mark.parametrize("kwargs, name", [
    (dict(frames=0), "frames"), (dict(frames=61), "frames"), (dict(mode="both"), "mode"),
    (dict(drop_rate=-0.1), "drop_rate"), (dict(seed=-3), "seed"),
])
def test_animation_refuses_bad_settings_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        animate_drop_path(fv.block_graph(3), **kwargs)
