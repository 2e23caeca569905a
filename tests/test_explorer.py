"""The drop-path explorers: the page's JavaScript and fractalviz agree draw for draw.

The JavaScript tests run the explorer's own file under node (skipped where node is
missing); the browser test (tests/browser) checks the same file driving a page.
"""

import json
import shutil
import subprocess

import matplotlib
import pytest

import fractalviz as fv
from fractalviz.draw import layout
from fractalviz.explorer import (
    DROP_RATE_STEP,
    JS_PATH,
    MANY_DRAWS,
    MAX_EXPLORER_BLOCKS,
    MAX_EXPLORER_COLUMNS,
    MAX_EXPLORER_DROP_RATE,
    Explorer,
    explorer_graph,
    explorer_samples,
    explorer_widget,
)
from fractalviz.sampling import column_survival_rate, summarize_sample

matplotlib.use("Agg")
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

HARNESS = """
const fe = require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = cases.map(c => {
  const g = fe.buildGraph(c.columns, c.blocks, c.blocks > 1);
  const res = {
    nodes: g.nodes.map(n => [n.id, n.kind, n.column ?? null, n.row ?? null,
                             n.span ?? null, n.columns ?? null]),
    edges: g.edges.map(e => [e.source, e.target, e.column]),
    layout: fe.layout(g),
    theory: fe.columnSurvivalRate(g, c.mode, c.drop_rate, c.global_ratio),
    draws: [],
  };
  const rng = fe.mulberry32(c.seed);
  for (let i = 0; i < c.draws; i++) {
    const s = fe.sampleDropPath(g, c.mode, c.drop_rate, c.global_ratio, rng);
    const m = fe.summarize(g, s);
    res.draws.push({mode: s.mode, column: s.column, kept: [...s.kept].sort(),
                    paths: m.activePaths.toString(), longest: m.longestActivePath,
                    convs: m.activeConvs, dropped: m.droppedEdges,
                    surviving: m.survivingColumns});
  }
  return res;
});
process.stdout.write(JSON.stringify(out));
"""

CASES = [
    dict(columns=c, blocks=b, mode=m, drop_rate=p, global_ratio=0.5, seed=s, draws=12)
    for c, b, m, p, s in [
        (1, 1, "local", 0.15, 0),
        (2, 1, "mixed", 0.5, 1),
        (3, 2, "local", 0.3, 2),
        (4, 1, "mixed", 0.15, 3),
        (4, 3, "global", 0.15, 4),
        (5, 2, "mixed", 0.6, 5),
        (6, 1, "local", 0.15, 6),
        (6, 3, "mixed", 0.15, 4294967295),
    ]
]


@pytest.fixture(scope="module")
def js_results():
    if NODE is None:
        pytest.skip("node is not installed")
    run = subprocess.run(
        [NODE, "-e", HARNESS, str(JS_PATH)],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(run.stdout)


@needs_node
@pytest.mark.parametrize("index", range(len(CASES)))
def test_javascript_builds_the_same_graph_and_layout_as_fractalviz(js_results, index):
    case, js = CASES[index], js_results[index]
    graph = explorer_graph(case["columns"], case["blocks"])
    nodes = [
        [
            n,
            d["kind"],
            d.get("column"),
            d.get("row"),
            d.get("span"),
            list(d["columns"]) if "columns" in d else None,
        ]
        for n, d in graph.nodes(data=True)
    ]
    assert js["nodes"] == nodes
    # networkx lists edges source by source; the order that matters (a join's inputs) is
    # checked draw by draw below.
    assert sorted(map(tuple, js["edges"]), key=str) == sorted(
        graph.edges(data="column"), key=str
    )
    positions = layout(graph)
    assert set(js["layout"]) == set(positions)
    for node, (x, y) in positions.items():
        assert js["layout"][node] == pytest.approx([x, y]), node


@needs_node
@pytest.mark.parametrize("index", range(len(CASES)))
def test_javascript_draws_exactly_the_python_samples_for_the_same_seed(
    js_results, index
):
    case, js = CASES[index], js_results[index]
    graph = explorer_graph(case["columns"], case["blocks"])
    samples = explorer_samples(**case)
    assert len(js["draws"]) == len(samples) == 12
    for mine, theirs in zip(samples, js["draws"]):
        summary = summarize_sample(graph, mine)
        assert theirs["mode"] == mine.mode and theirs["column"] == mine.column
        assert theirs["kept"] == sorted(f"{u}->{v}" for u, v in mine.kept_edges)
        assert int(theirs["paths"]) == summary["active_paths"]
        assert theirs["longest"] == summary["longest_active_path"]
        assert theirs["convs"] == summary["active_convs"]
        assert theirs["dropped"] == summary["dropped_edges"]
        assert tuple(theirs["surviving"]) == summary["surviving_columns"]
    assert js["theory"] == pytest.approx(
        column_survival_rate(
            graph, case["mode"], case["drop_rate"], case["global_ratio"]
        )
    )


@needs_node
def test_the_javascript_samples_are_not_all_alike(js_results):
    # Guards the agreement tests against a sampler that always returns the same draw.
    kept = {tuple(d["kept"]) for d in js_results[3]["draws"]}
    assert len(kept) >= 5


def test_explorer_html_is_self_contained_and_carries_its_settings():
    html = Explorer(
        columns=5, blocks=2, drop_rate=0.3, mode="local", seed=9
    )._repr_html_()
    assert (
        "<script" in html
        and "src=" not in html
        and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    )
    assert "https://" not in html
    assert (
        "&quot;columns&quot;: 5" in html
        and "&quot;mode&quot;: &quot;local&quot;" in html
    )
    assert JS_PATH.read_text(encoding="utf-8") in html


def test_each_explorer_gets_its_own_element_id():
    first, second = Explorer(), Explorer()
    assert first.element_id != second.element_id
    assert f'id="{second.element_id}"' in second._repr_html_()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(columns=7), "columns"),
        (dict(columns=0), "columns"),
        (dict(blocks=4), "blocks"),
        (dict(drop_rate=1.0), "drop_rate"),
        (dict(mode="random"), "mode"),
        (dict(seed=-1), "seed"),
        (
            dict(drop_rate=0.95),
            r"`drop_rate` to be a float in \[0, 0\.9\]\. Received: drop_rate=0\.95",
        ),
    ],
)
def test_explorer_refuses_settings_its_controls_cannot_show(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Explorer(**kwargs)


@pytest.mark.parametrize("make", [Explorer, explorer_widget, explorer_samples])
def test_every_explorer_refuses_a_drop_rate_above_its_slider(make):
    with pytest.raises(ValueError, match=r"drop_rate.*\[0, 0\.9\].*drop_rate=0\.95"):
        make(drop_rate=0.95)


def test_every_explorer_accepts_the_top_of_its_drop_rate_slider():
    assert Explorer(drop_rate=MAX_EXPLORER_DROP_RATE).drop_rate == 0.9
    box = explorer_widget(columns=2, drop_rate=MAX_EXPLORER_DROP_RATE)
    assert box.controls["drop_rate"].value == 0.9  # not clamped


def test_page_and_widget_offer_the_ranges_the_python_side_accepts():
    config = Explorer().config()
    assert (
        config["max_columns"],
        config["max_blocks"],
        config["max_drop_rate"],
        config["drop_rate_step"],
        config["many_draws"],
    ) == (
        MAX_EXPLORER_COLUMNS,
        MAX_EXPLORER_BLOCKS,
        MAX_EXPLORER_DROP_RATE,
        DROP_RATE_STEP,
        MANY_DRAWS,
    )
    controls = explorer_widget(columns=2).controls
    assert (controls["columns"].max, controls["blocks"].max) == (
        MAX_EXPLORER_COLUMNS,
        MAX_EXPLORER_BLOCKS,
    )
    assert (
        controls["drop_rate"].min,
        controls["drop_rate"].max,
        controls["drop_rate"].step,
    ) == (0.0, MAX_EXPLORER_DROP_RATE, DROP_RATE_STEP)
    assert controls["draw_100"].description == f"Draw {MANY_DRAWS}"
    source = JS_PATH.read_text(encoding="utf-8")
    # the slider reads config
    assert "max: state.maxDropRate, step: state.dropRateStep" in source


@needs_node
def test_javascript_defaults_are_the_python_ranges():
    run = subprocess.run(
        [
            NODE,
            "-e",
            "process.stdout.write(JSON.stringify(require(process.argv[1]).DEFAULTS))",
            str(JS_PATH),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(run.stdout) == {
        "maxColumns": MAX_EXPLORER_COLUMNS,
        "maxBlocks": MAX_EXPLORER_BLOCKS,
        "maxDropRate": MAX_EXPLORER_DROP_RATE,
        "dropRateStep": DROP_RATE_STEP,
        "manyDraws": MANY_DRAWS,
    }


def test_explorer_caption_wraps_it_in_a_figure_and_is_escaped():
    explorer = Explorer(columns=3, caption="Drop-path <live> & offline")
    page = explorer._repr_html_()
    assert page.startswith(
        '<figure class="fractalviz-figure"><div class="fractal-explorer"'
    )
    assert page.endswith(
        "</script><figcaption>Drop-path &lt;live&gt; &amp; "
        "offline</figcaption></figure>"
    )
    assert page.count("<figcaption>") == 1


def test_explorer_without_caption_is_the_bare_explorer():
    page = Explorer(columns=3)._repr_html_()
    assert page.startswith('<div class="fractal-explorer"') and "<figure" not in page


@pytest.mark.parametrize("bad", [3, b"x", ("a",), False])
def test_explorer_caption_must_be_a_string(bad):
    with pytest.raises(
        TypeError, match=r"`caption` to be a str or None.*Received: caption="
    ):
        Explorer(caption=bad)


def test_widget_draw_100_button_draws_100_samples_and_updates_the_tally():
    box = explorer_widget(columns=3, mode="global", seed=5)
    box.controls["draw_100"].click()
    assert box.state["draws"] == 1 + MANY_DRAWS == 101
    samples = explorer_samples(columns=3, mode="global", seed=5, draws=101)
    assert box.state["sample"] == samples[-1]
    assert box.state["tally"] == [sum(s.column == k for s in samples) for k in range(3)]
    assert "<b>Draw 101</b>" in box.controls["stats"].value
    assert bytes(box.controls["drawing"].value).startswith(b"\x89PNG")


def test_widget_redraws_on_each_change_and_keeps_a_running_tally():
    box = explorer_widget(columns=3, seed=1)
    columns_slider = box.children[0].children[0].children[0]
    assert columns_slider.max == 6 and columns_slider.min == 1
    assert fv.count_convs(box.state["graph"]) == 7
    columns_slider.value = 5
    assert fv.count_convs(box.state["graph"]) == 31
    assert box.state["draws"] == 1
    box.redraw()
    box.redraw()
    assert box.state["draws"] == 3
    assert box.state["sample"] == explorer_samples(columns=5, seed=1, draws=3)[-1]
