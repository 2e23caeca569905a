"""Drop-path animations: playable offline, readable on a projector, within the size
budget, with stills for print and pages without JavaScript."""

import base64
import html
import io
import re

import matplotlib
import matplotlib.pyplot as plt
import pytest
from PIL import Image

import fractalviz as fv
from fractalviz.animate import (
    ANIMATION_BUDGET_BYTES,
    CSS_PX_PER_INCH,
    FRAME_DPI,
    GRID_MAX_FRAMES,
    LABEL_PT,
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
    # Larger than any the chapters embed (they show C = 3 on two blocks): C = 4, three
    # blocks.
    return embed_animation(fv.network_graph(4, blocks=3), frames=12)


def frame_pngs(page):
    return [
        base64.b64decode(data)
        for data in re.findall(
            r'frames\[\d+\] = "data:image/png;base64,(.*?)"', page, re.S
        )
    ]


def test_default_budget_refuses_a_player_over_one_megabyte():
    # 40 frames at 150 dpi embed about 1.1 MB: over the default budget, so no
    # budget_bytes given.
    with pytest.raises(
        ValueError, match=r"budget_bytes=1,000,000 bytes\. Received: ([\d,]+) bytes"
    ) as error:
        embed_animation(fv.block_graph(3), frames=40, dpi=150)
    size = int(
        re.search(r"Received: ([\d,]+) bytes", str(error.value))
        .group(1)
        .replace(",", "")
    )
    assert size > ANIMATION_BUDGET_BYTES == 1_000_000


def test_chapter_sized_animation_stays_within_the_budget(network_animation):
    assert 100_000 < network_animation.size <= ANIMATION_BUDGET_BYTES


def test_animation_embeds_every_frame_and_differs_from_frame_to_frame(
    network_animation,
):
    frames = frame_pngs(network_animation.html)
    assert len(frames) == 12
    assert len(set(frames)) == 12


def test_frames_are_sharp_palette_pngs_shown_at_a_fixed_size_per_inch(
    network_animation,
):
    # Rendered at 150 dpi, shown at 100 CSS pixels per figure inch: 1.5 device pixels
    # per CSS pixel, sharp on a projector; 8-bit palette PNGs keep a dozen of them
    # within the budget.
    anim = animate_drop_path(fv.network_graph(4, blocks=3), frames=1)
    inches = anim._fig.get_size_inches()
    anim._draw_was_started = True
    plt.close(anim._fig)
    for png in frame_pngs(network_animation.html):
        frame = Image.open(io.BytesIO(png))
        assert frame.mode == "P"
        # (the movie writer rounds the figure to whole pixels)
        assert all(abs(px - FRAME_DPI * i) <= 2 for px, i in zip(frame.size, inches)), (
            frame.size
        )
    css_width = round(frame.width / FRAME_DPI * CSS_PX_PER_INCH)
    assert re.search(
        rf'<img id="_anim_img[^>]* style="width: {css_width}px">',
        network_animation.html,
    )


def text_boxes(fig):
    """(text, bounding box in pixels, font size in points) of every text `fig` shows."""
    renderer = fig.canvas.get_renderer()
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += ax.texts + [ax.title, ax._left_title, ax._right_title]
        if ax.axison:  # axes drawn with `axis("off")` show no ticks and no axis labels
            texts += (
                ax.get_xticklabels()
                + ax.get_yticklabels()
                + [ax.xaxis.label, ax.yaxis.label]
            )
    return [
        (t.get_text(), t.get_window_extent(renderer), t.get_fontsize())
        for t in texts
        if t.get_visible() and t.get_text().strip()
    ]


def assert_readable(fig, smallest_pt):
    boxes = text_boxes(fig)
    figure = fig.bbox
    for text, box, size in boxes:
        assert size >= smallest_pt, (text, size)
        assert (
            box.x0 >= figure.x0 - 1
            and box.x1 <= figure.x1 + 1
            and box.y0 >= figure.y0 - 1
            and box.y1 <= figure.y1 + 1
        ), f"{text!r} leaves the figure"
    for i, (a, box_a, _) in enumerate(boxes):
        for b, box_b, _ in boxes[i + 1 :]:
            assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r}"


@pytest.mark.parametrize(
    "graph, mode",
    [
        (fv.network_graph(3, blocks=2), "local"),  # the chapter's animations
        (fv.network_graph(3, blocks=2), "global"),
        (fv.block_graph(2), "mixed"),
        (fv.network_graph(4, blocks=3), "mixed"),
    ],
)
def test_frame_texts_are_large_and_never_overlap(graph, mode):
    frames = 6
    anim = animate_drop_path(graph, mode=mode, frames=frames, seed=3)
    # drawn by hand, frame by frame
    anim._fig.canvas.mpl_disconnect(anim._first_draw_id)
    for index in range(frames):
        anim._func(index)
        anim._fig.canvas.draw()
        # The chapter's network keeps every label at 11 points and more; a deeper
        # network's drawing shrinks its "in", "out" and "pool" to fit its smaller pool
        # boxes.
        assert_readable(anim._fig, LABEL_PT if graph.graph.get("blocks", 1) <= 2 else 4)
    anim._draw_was_started = True
    plt.close(anim._fig)


@pytest.mark.parametrize("frames", [3, 12])
def test_still_texts_never_overlap(frames):
    fig = sample_grid(fv.network_graph(3, blocks=2), mode="global", frames=frames)
    fig.canvas.draw()
    assert_readable(fig, 4)
    plt.close(fig)


def test_animation_html_loads_nothing_from_the_network(network_animation):
    assert not re.search(r"(src|href)=\"https?://", network_animation.html)
    assert "font-awesome" not in network_animation.html
    assert 'class="fa ' not in network_animation.html


def test_print_fallback_is_a_png_of_the_same_draws(network_animation):
    png, metadata = network_animation._repr_png_()
    assert png.startswith(PNG_MAGIC)
    assert metadata == {"alt": network_animation.png_alt}
    assert network_animation._repr_html_() is network_animation.html


def test_page_carries_the_stills_shown_in_print_and_without_javascript(
    network_animation,
):
    page = network_animation.html
    stills = re.findall(
        r'<img class="fractalviz-stills" src="data:image/png;base64,([^"]*)"', page
    )
    assert [base64.b64decode(s) for s in stills] == [network_animation.png]
    # The wrapper starts as "no JavaScript" (stills shown, player hidden); the player's
    # page script removes the class; print shows the stills whatever the script did.
    wrapper = re.match(
        r'<div class="fractalviz-animation fv-nojs" '
        r'id="(fractalviz-fv\d+x[0-9a-f]{10})">',
        page,
    )
    assert (
        wrapper
        and f'document.getElementById("{wrapper.group(1)}").classList.remove("fv-nojs")'
        in page
    )
    assert ".fractalviz-animation.fv-nojs .animation { display: none; }" in page
    assert re.search(
        r"@media print \{[^@]*\.fractalviz-stills \{ display: block !important; \}",
        page,
    )


def test_player_controls_wrap_on_a_narrow_screen_and_the_slider_is_named(
    network_animation,
):
    page = network_animation.html
    assert re.search(r"\.anim-buttons \{ display: flex; flex-wrap: wrap;", page)
    assert "width: 374px" not in page  # matplotlib's fixed slider width is gone
    assert re.search(r'<input [^>]*class="anim-slider" aria-label="Frame"', page)


def test_player_image_has_alt_text_saying_what_it_shows(network_animation):
    images = re.findall(r'<img id="_anim_img[^>]*>', network_animation.html)
    assert len(images) == 1
    alt = html.unescape(re.search(r'alt="([^"]*)"', images[0]).group(1))
    assert alt == describe(fv.network_graph(4, blocks=3), "mixed", 0.15, 0.5, 12)
    assert alt.startswith(
        "Animation, 12 frames: mixed drop-path (drop rate 0.15, global ratio 0.5) "
        "on a fractal network of B = 3 blocks of C = 4 columns."
    )
    stills = re.findall(
        r'<img class="fractalviz-stills" [^>]*>', network_animation.html
    )
    assert len(stills) == 1
    assert (
        html.unescape(re.search(r'alt="([^"]*)"', stills[0]).group(1))
        == network_animation.png_alt
    )


@pytest.mark.parametrize(
    "graph, mode, frames, expected",
    [
        (
            fv.block_graph(3),
            "global",
            1,
            "Animation, 1 frame: global drop-path (drop rate 0.15) on a fractal block "
            "of C = 3 columns.",
        ),
        (
            fv.block_graph(3, rule="parallel"),
            "local",
            5,
            "Animation, 5 frames: local drop-path (drop rate 0.15) on a fractal block "
            "of C = 3 columns (parallel rule).",
        ),
    ],
)
def test_alt_text_names_mode_columns_blocks_and_frames(graph, mode, frames, expected):
    assert describe(graph, mode, 0.15, 0.5, frames).startswith(expected)


def test_print_fallback_carries_alt_text_as_output_metadata(network_animation):
    from IPython.core.formatters import DisplayFormatter

    data, metadata = DisplayFormatter().format(network_animation)
    assert data["image/png"].startswith(PNG_MAGIC)
    alt = metadata["image/png"]["alt"]
    assert alt.startswith(
        "All 12 draws of the animation side by side, then bars of how often each "
        "column's whole path survived over them, against its exact rate. "
        "Animation, 12 frames:"
    )


def test_no_caption_leaves_the_player_without_a_figure(network_animation):
    assert "<figure" not in network_animation.html
    assert network_animation.html.lstrip().startswith("<")


def test_caption_wraps_the_player_in_a_figure_and_is_escaped():
    movie = embed_animation(
        fv.block_graph(2), frames=2, dpi=30, caption="Two draws: <b>C = 2</b> & mixed"
    )
    assert movie.html.startswith('<figure class="fractalviz-figure">')
    assert movie.html.endswith(
        "<figcaption>Two draws: &lt;b&gt;C = 2&lt;/b&gt; &amp; "
        "mixed</figcaption></figure>"
    )
    assert movie.html.count("<figure") == 1 and "<b>" not in movie.html
    assert movie.size == len(movie.html.encode("utf-8"))


@pytest.mark.parametrize("bad", [1, b"caption", ["a"], True])
def test_caption_must_be_a_string(bad):
    with pytest.raises(
        TypeError, match=r"`caption` to be a str or None.*Received: caption="
    ):
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

    code = (
        "import matplotlib; matplotlib.use('Agg'); import fractalviz as fv;"
        "from fractalviz.animate import jshtml, animate_drop_path;"
        "print(jshtml(animate_drop_path(fv.block_graph(2), frames=2), dpi=30))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
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


def what_was_drawn(sample):
    return f"global, column {sample.column}" if sample.mode == "global" else "local"


def test_animation_frames_are_the_explorers_draws():
    graph = fv.block_graph(4)
    anim = animate_drop_path(graph, mode="mixed", frames=5, seed=11)
    headings = []
    for index in range(5):
        anim._func(index)
        headings.append(
            [t.get_text() for t in anim._fig.texts if t.get_text().startswith("draw ")]
        )
    anim._draw_was_started = True  # drawn by hand: silence "deleted without rendering"
    plt.close(anim._fig)
    expected = [
        [f"draw {i + 1} of 5: {what_was_drawn(s)}"]
        for i, s in enumerate(explorer_samples(columns=4, seed=11, draws=5))
    ]
    assert headings == expected


def test_tally_counts_surviving_columns_so_far():
    graph = fv.block_graph(3)
    anim = animate_drop_path(graph, mode="global", frames=6, seed=0)
    anim._func(5)
    bars = [patch.get_width() for patch in anim._fig.axes[1].patches]
    anim._draw_was_started = True
    plt.close(anim._fig)
    columns = [
        s.column for s in explorer_samples(columns=3, mode="global", seed=0, draws=6)
    ]
    assert bars == pytest.approx([columns.count(k) / 6 for k in range(3)])


def test_sample_grid_draws_every_draw_then_the_tally_after_them():
    fig = sample_grid(fv.block_graph(3), mode="global", frames=5, ncols=3, seed=0)
    samples = explorer_samples(columns=3, mode="global", seed=0, draws=5)
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:5]] == [
        f"draw {i + 1}\n{what_was_drawn(s)}" for i, s in enumerate(samples)
    ]
    tally = fig.axes[5]
    assert tally.get_title(loc="left") == "after 5 draws: whole column path kept"
    assert [p.get_width() for p in tally.patches] == pytest.approx(
        [[s.column for s in samples].count(k) / 5 for k in range(3)]
    )
    assert fig.texts[0].get_text().startswith("All 5 draws of global drop-path")
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    plt.close(fig)


def test_sample_grid_of_a_long_animation_says_which_draws_it_shows():
    fig = sample_grid(fv.block_graph(2), frames=GRID_MAX_FRAMES + 6)
    assert len(fig.axes) == GRID_MAX_FRAMES + 1
    assert (
        fig.texts[0]
        .get_text()
        .startswith(
            f"The first {GRID_MAX_FRAMES} of {GRID_MAX_FRAMES + 6} draws of mixed "
            "drop-path"
        )
    )
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(frames=0), "frames"),
        (dict(frames=61), "frames"),
        (dict(mode="both"), "mode"),
        (dict(drop_rate=-0.1), "drop_rate"),
        (dict(seed=-3), "seed"),
        (
            dict(interval=-5),
            r"`interval` to be an integer between 50 and 10000. Received: interval=-5",
        ),
        (dict(interval=10_001), "interval"),
        (dict(interval=0), "interval"),
    ],
)
def test_animation_refuses_bad_settings_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        animate_drop_path(fv.block_graph(3), **kwargs)


@pytest.mark.parametrize("bad", ["x", 900.0, None, True])
def test_animation_refuses_a_non_integer_interval(bad):
    with pytest.raises(
        TypeError,
        match=rf"`interval`.*between 50 and 10000.*interval={re.escape(repr(bad))}",
    ):
        animate_drop_path(fv.block_graph(3), interval=bad)


@pytest.mark.parametrize("interval", [50, 10_000])
def test_animation_accepts_the_interval_range_ends(interval):
    anim = animate_drop_path(fv.block_graph(2), frames=1, interval=interval)
    anim._draw_was_started = True
    plt.close(anim._fig)
    assert anim._interval == interval
