"""Drop-path animations: playable offline, within the size budget, with a print fallback."""

import html
import re

import matplotlib
import matplotlib.pyplot as plt
import pytest

import fractalviz as fv
from fractalviz.animate import (
    ANIMATION_BUDGET_BYTES,
    animate_drop_path,
    describe,
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


def test_default_budget_refuses_a_player_over_one_megabyte():
    # 24 frames at 150 dpi embed about 1.3 MB: over the default budget, so no budget_bytes given.
    with pytest.raises(ValueError, match=r"budget_bytes=1,000,000 bytes\. Received: ([\d,]+) bytes") as error:
        embed_animation(fv.block_graph(3), frames=24, dpi=150)
    size = int(re.search(r"Received: ([\d,]+) bytes", str(error.value)).group(1).replace(",", ""))
    assert size > ANIMATION_BUDGET_BYTES == 1_000_000


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
    png, metadata = network_animation._repr_png_()
    assert png.startswith(PNG_MAGIC)
    assert metadata == {"alt": network_animation.png_alt}
    assert network_animation._repr_html_() is network_animation.html


def test_player_image_has_alt_text_saying_what_it_shows(network_animation):
    images = re.findall(r"<img [^>]*>", network_animation.html)
    assert len(images) == 1
    alt = html.unescape(re.search(r'alt="([^"]*)"', images[0]).group(1))
    assert alt == describe(fv.network_graph(4, blocks=3), "mixed", 0.15, 0.5, 12)
    assert alt.startswith("Animation, 12 frames: mixed drop-path (drop rate 0.15, global ratio 0.5) "
                          "on a fractal network of B = 3 blocks of C = 4 columns.")


@pytest.mark.parametrize("graph, mode, frames, expected", [
    (fv.block_graph(3), "global", 1,
     "Animation, 1 frame: global drop-path (drop rate 0.15) on a fractal block of C = 3 columns."),
    (fv.block_graph(3, rule="parallel"), "local", 5,
     "Animation, 5 frames: local drop-path (drop rate 0.15) on a fractal block of C = 3 columns "
     "(parallel rule)."),
])
def test_alt_text_names_mode_columns_blocks_and_frames(graph, mode, frames, expected):
    assert describe(graph, mode, 0.15, 0.5, frames).startswith(expected)


def test_print_fallback_carries_alt_text_as_output_metadata(network_animation):
    from IPython.core.formatters import DisplayFormatter

    data, metadata = DisplayFormatter().format(network_animation)
    assert data["image/png"].startswith(PNG_MAGIC)
    alt = metadata["image/png"]["alt"]
    assert alt.startswith("The first 8 draws of the animation side by side. Animation, 12 frames:")


def test_no_caption_leaves_the_player_unwrapped(network_animation):
    assert "<figure" not in network_animation.html
    assert network_animation.html.lstrip().startswith("<")


def test_caption_wraps_the_player_in_a_figure_and_is_escaped():
    movie = embed_animation(fv.block_graph(2), frames=2, dpi=30,
                            caption="Two draws: <b>C = 2</b> & mixed")
    assert movie.html.startswith('<figure class="fractalviz-figure">')
    assert movie.html.endswith(
        "<figcaption>Two draws: &lt;b&gt;C = 2&lt;/b&gt; &amp; mixed</figcaption></figure>")
    assert movie.html.count("<figure") == 1 and "<b>" not in movie.html
    assert movie.size == len(movie.html.encode("utf-8"))


@pytest.mark.parametrize("bad", [1, b"caption", ["a"], True])
def test_caption_must_be_a_string(bad):
    with pytest.raises(TypeError, match=r"`caption` to be a str or None.*Received: caption="):
        embed_animation(fv.block_graph(2), frames=1, caption=bad)


def test_alt_text_is_html_escaped_in_the_player():
    anim = animate_drop_path(fv.block_graph(2), frames=1)
    page = jshtml(anim, dpi=20, alt='a "quoted" <alt>')
    plt.close(anim._fig)
    assert 'alt="a &quot;quoted&quot; &lt;alt&gt;"' in page


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
    (dict(interval=-5), r"`interval` to be an integer between 50 and 10000. Received: interval=-5"),
    (dict(interval=10_001), "interval"), (dict(interval=0), "interval"),
])
def test_animation_refuses_bad_settings_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        animate_drop_path(fv.block_graph(3), **kwargs)


@pytest.mark.parametrize("bad", ["x", 900.0, None, True])
def test_animation_refuses_a_non_integer_interval(bad):
    with pytest.raises(TypeError, match=rf"`interval`.*between 50 and 10000.*interval={re.escape(repr(bad))}"):
        animate_drop_path(fv.block_graph(3), interval=bad)


@pytest.mark.parametrize("interval", [50, 10_000])
def test_animation_accepts_the_interval_range_ends(interval):
    anim = animate_drop_path(fv.block_graph(2), frames=1, interval=interval)
    anim._draw_was_started = True
    plt.close(anim._fig)
    assert anim._interval == interval
