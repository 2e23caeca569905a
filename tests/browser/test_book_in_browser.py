"""The built book in headless Chromium, offline: no errors, animations play, explorers
respond.

Runs against the HTML in $FRACTALNET_BOOK_HTML (`make browser` sets it to the strict
build, _build/strict/_build/html); skipped when it is unset, missing, or Chromium is not
installed. The pages are served from 127.0.0.1; any request to another host is recorded
and aborted, so the test fails on anything the book would fetch from the internet.
Screenshots of the pages with an explorer or an animation land in
test-artifacts/screenshots/.

The pages are the chapters' committed outputs: after a change to what fractalviz renders
(an `alt` text, a caption), re-execute the chapters (`make notebooks`) before this test
can see it.
"""

import functools
import http.server
import os
import pathlib
import threading
import urllib.parse

import pytest

from fractalviz.explorer import DROP_RATE_STEP, MANY_DRAWS, MAX_EXPLORER_DROP_RATE

CHROMIUM = os.environ.get("FRACTALNET_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HTML = (
    pathlib.Path(os.environ.get("FRACTALNET_BOOK_HTML", "")).resolve()
    if os.environ.get("FRACTALNET_BOOK_HTML")
    else None
)
SHOTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

if HTML is None:
    pytest.skip(
        "set FRACTALNET_BOOK_HTML to a built book (`make browser` does)",
        allow_module_level=True,
    )
if not (HTML / "index.html").exists():
    raise FileNotFoundError(
        f"FRACTALNET_BOOK_HTML={HTML} holds no built book (run `make book-check`)"
    )
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

PAGES = sorted(
    str(p.relative_to(HTML))
    for p in HTML.rglob("*.html")
    if "_vendor" not in p.parts and "_static" not in p.parts
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url():
    handler = functools.partial(_Quiet, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.problems = []

    def route(route):
        if urllib.parse.urlparse(route.request.url).hostname in ("127.0.0.1", None):
            route.continue_()
        else:
            page.problems.append(f"external request: {route.request.url}")
            route.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"),
    )
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on(
        "requestfailed", lambda r: page.problems.append(f"failed: {r.url} {r.failure}")
    )
    page.on(
        "response",
        lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status}: {r.url}"),
    )
    yield page
    context.close()


def test_the_book_has_pages():
    assert "index.html" in PAGES and len(PAGES) >= 3


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_without_javascript_errors(page, base_url, name):
    page.goto(base_url + name, wait_until="load")
    page.wait_for_timeout(300)
    assert page.problems == []
    if page.locator(".fractal-explorer, .animation").count():
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SHOTS / (name.replace("/", "_") + ".png")), full_page=True
        )


def _pages_with(selector):
    return [
        n
        for n in PAGES
        if selector in (HTML / n).read_text(encoding="utf-8", errors="ignore")
    ]


ANIMATION_PAGES = _pages_with('class="animation"')
EXPLORER_PAGES = _pages_with('class="fractal-explorer"')


def test_some_page_carries_an_animation_and_an_explorer():
    assert ANIMATION_PAGES and EXPLORER_PAGES


@pytest.mark.parametrize("name", ANIMATION_PAGES)
def test_animations_play(page, base_url, name):
    page.goto(base_url + name, wait_until="load")
    for player in page.locator("div.animation").all():
        player.scroll_into_view_if_needed()
        image = player.locator("img").first
        first = image.get_attribute("src")
        player.locator('button[title="Next frame"]').click()
        assert image.get_attribute("src") != first
        player.locator('button[title="Play"]').click()
        page.wait_for_timeout(2500)
        player.locator('button[title="Pause"]').click()
        assert int(player.locator("input.anim-slider").input_value()) >= 2
    assert page.problems == []


@pytest.mark.parametrize("name", ANIMATION_PAGES)
def test_animation_frames_have_alt_text_saying_what_they_show(page, base_url, name):
    page.goto(base_url + name, wait_until="load")
    for player in page.locator("div.animation").all():
        alt = player.locator("img").first.get_attribute("alt")
        assert alt and alt.startswith("Animation, ") and " drop-path " in alt, alt
        player.locator('button[title="Next frame"]').click()
        assert player.locator("img").first.get_attribute("alt") == alt  # frames keep it
    assert page.problems == []


@pytest.mark.parametrize("name", sorted(set(ANIMATION_PAGES + EXPLORER_PAGES)))
def test_captioned_outputs_show_their_caption_under_them(page, base_url, name):
    # Only outputs given `caption=` are figures; each has exactly one visible, non-empty
    # caption.
    page.goto(base_url + name, wait_until="load")
    for figure in page.locator("figure.fractalviz-figure").all():
        assert (
            figure.locator(
                "div.animation, .fractal-explorer, .fractal-column-explorer"
            ).count()
            == 1
        )
        caption = figure.locator(":scope > figcaption")
        assert (
            caption.count() == 1
            and caption.inner_text().strip()
            and caption.is_visible()
        )
    assert page.problems == []


def _count(explorer, selector):
    return explorer.locator(selector).count()


def _stat(explorer, name):
    return explorer.locator(f'[data-stat="{name}"]').inner_text()


@pytest.mark.parametrize("name", EXPLORER_PAGES)
def test_explorers_respond_to_their_controls(page, base_url, name):
    page.goto(base_url + name, wait_until="load")
    for index, explorer in enumerate(page.locator(".fractal-explorer").all()):
        explorer.scroll_into_view_if_needed()

        def convs():
            return _count(explorer, 'rect[data-kind="conv"]')

        # The controls offer exactly the ranges fractalviz.Explorer accepts.
        rate = explorer.locator('[data-control="drop-rate"]')
        assert (
            float(rate.get_attribute("max")),
            float(rate.get_attribute("step")),
        ) == (MAX_EXPLORER_DROP_RATE, DROP_RATE_STEP)
        assert (
            explorer.locator('[data-control="resample-100"]').inner_text()
            == f"Draw {MANY_DRAWS}"
        )
        explorer.locator('[data-control="blocks"]').fill("1")
        # Depth: C columns draw 2**C - 1 convs.
        for columns in (2, 5, 3):
            explorer.locator('[data-control="columns"]').fill(str(columns))
            assert convs() == 2**columns - 1
        # Resample: a new draw, and over a few draws the drawing changes.
        explorer.locator('[data-control="mode"]').select_option("local")
        explorer.locator('[data-control="drop-rate"]').fill("0.5")
        drawings = {explorer.locator("svg").inner_html()}
        for draw in range(2, 8):
            explorer.locator('[data-control="resample"]').click()
            assert _stat(explorer, "draws") == str(draw)
            drawings.add(explorer.locator("svg").inner_html())
        assert len(drawings) >= 3
        # Drop rate: at 0 nothing is dropped; at 0.9 much is (over 100 draws, on
        # average).
        explorer.locator('[data-control="drop-rate"]').fill("0")
        assert _stat(explorer, "dropped") == "0"
        assert _count(explorer, ".fe-node.fe-dropped") == 0
        explorer.locator('[data-control="drop-rate"]').fill(str(MAX_EXPLORER_DROP_RATE))
        explorer.locator('[data-control="resample-100"]').click()
        assert _stat(explorer, "draws") == str(1 + MANY_DRAWS)
        assert (
            int(_stat(explorer, "dropped")) >= 1 or _count(explorer, ".fe-dropped") > 0
        )
        # Global mode: one column only, one active path.
        explorer.locator('[data-control="mode"]').select_option("global")
        assert _stat(explorer, "active-paths") == "1"
        SHOTS.mkdir(parents=True, exist_ok=True)
        explorer.screenshot(
            path=str(SHOTS / f"{name.replace('/', '_')}-explorer{index}.png")
        )
    assert page.problems == []


# -- column explorers (fractalviz.ColumnExplorer): only on pages that carry one --------

COLUMN_EXPLORER_PAGES = _pages_with('class="fractal-column-explorer"')


def _column_config(explorer):
    import json

    return json.loads(explorer.get_attribute("data-config"))


def _checked_columns(explorer):
    return [
        int(box.get_attribute("data-column"))
        for box in explorer.locator("input[data-column]").all()
        if box.is_checked()
    ]


@pytest.mark.parametrize("name", COLUMN_EXPLORER_PAGES)
def test_column_explorers_follow_the_ticked_columns(page, base_url, name):
    from fractalviz.column_explorer import subset_mask
    from fractalviz.percent import count_percent, fraction_percent

    page.goto(base_url + name, wait_until="load")
    explorers = page.locator(".fractal-column-explorer").all()
    assert explorers
    for index, explorer in enumerate(explorers):
        explorer.scroll_into_view_if_needed()
        config = _column_config(explorer)
        boxes = explorer.locator("input[data-column]")
        columns = config["num_columns"]
        assert (
            boxes.count() == columns and explorer.get_attribute("data-mounted") == "1"
        )

        def shows(subset):
            # The page shows the precomputed entry of `subset`: accuracy, predictions,
            # marks.
            entry = config["results"][subset_mask(subset) - 1]
            assert entry["columns"] == sorted(subset)
            assert _checked_columns(explorer) == sorted(subset)
            assert _stat(explorer, "accuracy") == count_percent(
                entry["correct"], config["size"]
            )
            assert _stat(explorer, "correct") == str(entry["correct"])
            current = explorer.locator("tr.fce-current")
            assert current.count() == (
                1 if len(subset) == 1 or len(subset) == columns else 0
            )
            for i, sample in enumerate(explorer.locator("[data-sample]").all()):
                predicted = entry["predictions"][i]
                assert (
                    sample.locator('[data-stat="predicted"]').inner_text()
                    == config["class_names"][predicted]
                )
                assert sample.locator(
                    '[data-stat="probability"]'
                ).inner_text() == fraction_percent(entry["probabilities"][i])
                right = predicted == config["labels"][i]
                assert ("fce-right" if right else "fce-wrong") in sample.get_attribute(
                    "class"
                )

        # On load: every column, the checkboxes enabled.
        shows(list(range(columns)))
        assert all(box.is_enabled() for box in boxes.all()) or columns == 1
        # Untick columns one by one down to the deepest: the last one is then locked.
        for k in range(columns - 1):
            boxes.nth(k).uncheck()
            shows(list(range(k + 1, columns)))
        last = boxes.nth(columns - 1)
        assert last.is_checked() and last.is_disabled()
        last.click(force=True)  # a click on the locked box changes nothing
        shows([columns - 1])
        # Tick another column back: the lock is lifted.
        if columns > 1:
            boxes.nth(0).check()
            shows([0, columns - 1])
            assert last.is_enabled()
        SHOTS.mkdir(parents=True, exist_ok=True)
        explorer.screenshot(
            path=str(SHOTS / f"{name.replace('/', '_')}-column-explorer{index}.png")
        )
    assert page.problems == []


@pytest.mark.parametrize("name", COLUMN_EXPLORER_PAGES)
def test_column_explorer_thumbnails_load_and_captions_show(page, base_url, name):
    page.goto(base_url + name, wait_until="load")
    for explorer in page.locator(".fractal-column-explorer").all():
        explorer.scroll_into_view_if_needed()
        for image in explorer.locator("[data-sample] img").all():
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
            assert image.get_attribute("alt").startswith("Sample image ")
    for figure in page.locator(
        "figure.fractalviz-figure:has(> .fractal-column-explorer)"
    ).all():
        caption = figure.locator(":scope > figcaption")
        assert (
            caption.count() == 1
            and caption.inner_text().strip()
            and caption.is_visible()
        )
    assert page.problems == []


# --- navigation on phones, projectors and desktops ------------------------------------

CHAPTER = "book/01_depth_problem.html"


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def test_on_a_phone_the_menu_opens_the_chapters_and_contents_the_page_contents(
    phone, base_url
):
    phone.goto(base_url + CHAPTER, wait_until="load")
    for toggle, dialog, link in (
        (
            ".primary-toggle",
            "#pst-primary-sidebar-modal",
            "a[href*='02_expansion_rule']",
        ),
        (".secondary-toggle", "#pst-secondary-sidebar-modal", "a[href^='#']"),
    ):
        modal = phone.locator(dialog)
        assert not modal.evaluate("d => d.open")
        buttons = phone.locator(toggle)
        assert buttons.count() == 1, (
            f"{buttons.count()} {toggle} buttons: the theme's handler takes the first"
        )
        buttons.tap()
        assert modal.evaluate("d => d.open"), f"tapping {toggle} opened nothing"
        assert modal.locator(link).first.is_visible()
        phone.keyboard.press("Escape")
        assert not modal.evaluate("d => d.open")
    assert phone.locator(".search-button").first.is_visible()  # no tooltip left over it


# a desktop, a projector
@pytest.mark.parametrize("width, height", [(1400, 900), (1024, 768)])
def test_on_a_wide_screen_the_menu_button_hides_and_shows_the_sidebar(
    browser, base_url, width, height
):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(base_url + CHAPTER, wait_until="load")
    sidebar = page.locator("#pst-primary-sidebar")
    article = page.locator("article.bd-article")
    assert sidebar.is_visible()
    narrow = article.bounding_box()["width"]
    page.locator(".primary-toggle").click()
    page.wait_for_timeout(400)
    assert not sidebar.is_visible(), "the sidebar did not hide"
    assert article.bounding_box()["width"] > narrow, "the page did not widen"
    page.locator(".primary-toggle").click()
    page.wait_for_timeout(400)
    assert sidebar.is_visible()
    context.close()


# --- dark mode and print --------------------------------------------------------------

CONTRAST = """el => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c; break; }
    node = node.parentElement;
  }
  const fg = lum(rgb(getComputedStyle(el).color)), back = lum(bg || [255, 255, 255]);
  return (Math.max(fg, back) + 0.05) / (Math.min(fg, back) + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_captions_of_animations_and_explorers_meet_wcag_aa_contrast_in_both_themes(
    browser, base_url, scheme
):
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, color_scheme=scheme
    )
    page = context.new_page()
    for name in sorted(set(ANIMATION_PAGES + EXPLORER_PAGES)):
        page.goto(base_url + name, wait_until="load")
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        for caption in page.locator("figure.fractalviz-figure figcaption").all():
            ratio = caption.evaluate(CONTRAST)
            assert ratio >= 4.5, f"{name}, {scheme}: caption contrast {ratio:.2f}:1"
    context.close()


def test_printed_pages_hide_the_controls_of_animations_and_explorers(page, base_url):
    page.emulate_media(media="print")
    for name in ANIMATION_PAGES[:1] + EXPLORER_PAGES[:1]:
        page.goto(base_url + name, wait_until="load")
        for selector in (
            ".anim-buttons",
            ".anim-slider",
            ".fractal-explorer .fe-controls",
        ):
            for control in page.locator(selector).all():
                assert not control.is_visible(), f"{name}: {selector} printed"


@pytest.mark.parametrize("name", EXPLORER_PAGES[:1])
def test_explorer_at_its_largest_settings_keeps_boxes_labels_and_layout_readable(
    page, base_url, name
):
    from fractalviz.explorer import MAX_EXPLORER_BLOCKS, MAX_EXPLORER_COLUMNS

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(base_url + name, wait_until="load")
    # a wide page, as a projector with the sidebar hidden
    page.locator(".primary-toggle").click()
    page.wait_for_timeout(400)
    explorer = page.locator(".fractal-explorer").first
    explorer.scroll_into_view_if_needed()
    stats, drawing = explorer.locator(".fe-stats"), explorer.locator(".fe-drawing")

    # the statistics' place: beside the drawing (True) or under it (False)
    def beside():
        return (
            stats.bounding_box()["y"]
            < drawing.bounding_box()["y"] + drawing.bounding_box()["height"]
        )

    explorer.locator('[data-control="columns"]').fill("1")
    small = (stats.bounding_box()["x"], beside())
    explorer.locator('[data-control="columns"]').fill(str(MAX_EXPLORER_COLUMNS))
    explorer.locator('[data-control="blocks"]').fill(str(MAX_EXPLORER_BLOCKS))
    large = (stats.bounding_box()["x"], beside())
    assert large == small, (
        "the statistics jumped (beside / under the drawing) when C changed"
    )
    heights = explorer.locator('rect[data-kind="conv"]').evaluate_all(
        "rs => rs.map(r => r.getBBox().height)"
    )
    assert (
        len(heights) == MAX_EXPLORER_BLOCKS * (2**MAX_EXPLORER_COLUMNS - 1)
        and min(heights) >= 7
    )
    boxes = explorer.locator("svg text").evaluate_all(
        "ts => ts.map(t => { const b = t.getBBox(); return [t.textContent, b.x, b.y, "
        "b.width, b.height]; })"
    )
    for i, (a, ax, ay, aw, ah) in enumerate(boxes):
        for b, bx, by, bw, bh in boxes[i + 1 :]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (
                f"'{a}' overlaps '{b}'"
            )
    sizes = explorer.locator("svg text").evaluate_all(
        "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize))"
    )
    assert min(sizes) >= 11
    for control, label in (
        ("columns", f"columns C = {MAX_EXPLORER_COLUMNS}"),
        ("blocks", f"blocks B = {MAX_EXPLORER_BLOCKS}"),
    ):
        slider = explorer.locator(f'[data-control="{control}"]')
        assert slider.evaluate("s => s.previousElementSibling.textContent") == label


# --- search ---------------------------------------------------------------------------


def test_search_excerpts_quote_the_page_not_its_collapsed_set_up_code(page, base_url):
    # "devnull" is in every chapter's collapsed set-up cell and in no prose: Sphinx
    # alone would quote that code (os.dup, saved_stderr), or only the download button.
    page.goto(base_url + "search.html?q=devnull", wait_until="load")
    # each result's excerpt arrives when its page has been fetched
    page.wait_for_function(
        "() => document.querySelectorAll('#search-results p.context').length >= 7",
        timeout=30_000,
    )
    excerpts = page.locator("#search-results p.context").all_inner_texts()
    for excerpt in excerpts:
        assert "os.dup" not in excerpt and "saved_stderr" not in excerpt, excerpt
        assert "Contents" not in excerpt and len(excerpt) > 100, excerpt
    assert page.problems == []


# --- accessibility basics -------------------------------------------------------------

UNNAMED_CONTROLS = """() => [...document.querySelectorAll("button, input, select")]
.filter(el => {
  if (el.type === "hidden" || el.closest("[hidden], .d-none")) return false;
  if (getComputedStyle(el).display === "none") return false;
  const labelled = el.labels && [...el.labels].some(l => l.textContent.trim());
  const byId = (el.getAttribute("aria-labelledby") || "").trim();
  const named = (el.getAttribute("aria-label") || "").trim();
  return !named && !labelled && !byId && !el.textContent.trim() && !el.title;
}).map(el => el.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("name", [n for n in PAGES if n.startswith("book/")])
def test_every_id_is_unique_and_every_control_has_a_name(page, base_url, name):
    page.goto(base_url + name, wait_until="load")
    page.wait_for_timeout(200)
    duplicates = page.evaluate("""() => { const seen = {}, twice = new Set();
        document.querySelectorAll("[id]").forEach(el => {
            if (seen[el.id]) twice.add(el.id);
            seen[el.id] = 1;
        });
        return [...twice]; }""")
    assert duplicates == [], f"{name}: ids used twice: {duplicates[:5]}"
    assert page.evaluate(UNNAMED_CONTROLS) == [], (
        f"{name}: controls without an accessible name"
    )


# --- animations on a phone, a projector and paper; figures whole ----------------------


@pytest.mark.parametrize("name", ANIMATION_PAGES)
def test_on_a_phone_the_animation_and_every_control_stay_inside_the_page(
    phone, base_url, name
):
    phone.goto(base_url + name, wait_until="load")
    width = phone.evaluate("document.documentElement.clientWidth")
    players = phone.locator("div.animation").all()
    assert players
    for player in players:
        player.scroll_into_view_if_needed()
        image = player.locator("img").first.bounding_box()
        assert image["x"] >= 0 and image["x"] + image["width"] <= width + 0.5, image
        row = player.locator(".anim-buttons")
        assert row.evaluate("r => r.scrollWidth <= r.clientWidth"), (
            "the control row overflows"
        )
        buttons = player.locator(".anim-buttons button").all()
        assert len(buttons) == 9
        for button in buttons:  # "+" (Increase speed), the last, included
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
                button.get_attribute("title")
            )
        slider = player.locator("input.anim-slider").bounding_box()
        assert slider["x"] >= 0 and slider["x"] + slider["width"] <= width + 0.5


@pytest.mark.parametrize("name", ANIMATION_PAGES)
def test_animation_sliders_have_an_accessible_name(page, base_url, name):
    page.goto(base_url + name, wait_until="load")
    sliders = page.locator("div.animation input.anim-slider").count()
    assert sliders and page.get_by_role("slider", name="Frame").count() == sliders


@pytest.mark.parametrize("name", ANIMATION_PAGES)
def test_on_a_projector_animation_frames_show_at_full_size(browser, base_url, name):
    # 1024 x 768: a frame is shown at 100 CSS pixels per figure inch (rendered at 150
    # dpi), so its smallest text, 11 points, is 15 CSS pixels tall.
    from fractalviz.animate import CSS_PX_PER_INCH, FRAME_DPI

    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(base_url + name, wait_until="load")
    for player in page.locator("div.animation").all():
        player.scroll_into_view_if_needed()
        shown, natural = player.locator("img").first.evaluate(
            "img => [img.getBoundingClientRect().width, img.naturalWidth]"
        )
        assert (
            natural >= 600 and abs(shown / natural * FRAME_DPI - CSS_PX_PER_INCH) < 1
        ), (shown, natural)
        assert player.bounding_box()["height"] <= 768, (
            "the player does not fit a projected screen"
        )
    context.close()


@pytest.mark.parametrize("name", ANIMATION_PAGES)
def test_animation_stills_replace_the_player_in_print_and_without_javascript(
    browser, base_url, name
):
    for media, javascript in (("screen", True), ("print", True), ("screen", False)):
        context = browser.new_context(
            viewport={"width": 1024, "height": 768}, java_script_enabled=javascript
        )
        page = context.new_page()
        page.emulate_media(media=media)
        page.goto(base_url + name, wait_until="load")
        for wrapper in page.locator(".fractalviz-animation").all():
            player, stills = (
                wrapper.locator("div.animation"),
                wrapper.locator("img.fractalviz-stills"),
            )
            still_shown = media == "print" or not javascript
            assert (
                stills.is_visible() == still_shown
                and player.is_visible() != still_shown
            ), (media, javascript)
            if still_shown:
                assert stills.evaluate("img => img.complete && img.naturalWidth > 0")
                # every draw is shown
                assert stills.get_attribute("alt").startswith("All ")
        context.close()


CHAPTER_PAGES = [n for n in PAGES if n.startswith("book/0")]


# Figures whose image overflows its figure or the page, or is drawn out of proportion.
CLIPPED_FIGURES = """() => [...document.querySelectorAll("figure img")].filter(img => {
  const box = img.getBoundingClientRect();
  const figure = img.closest("figure").getBoundingClientRect();
  const page = document.querySelector("article.bd-article").getBoundingClientRect();
  if (!box.width) return false;  // not shown (an animation's stills, on screen)
  const ratio = img.naturalWidth / img.naturalHeight;
  return box.right > figure.right + 1 || box.left < figure.left - 1
    || box.right > page.right + 1 || Math.abs(box.width / box.height - ratio) > 0.02;
}).map(img => img.alt.slice(0, 60))"""


@pytest.mark.parametrize("width", [1400, 1024, 390])
def test_no_figure_is_clipped_at_any_width(browser, base_url, width):
    # Each figure's image (chapter 4's four sampled sub-networks among them) fits inside
    # its figure, which fits inside the page, so no panel is cut off.
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for name in CHAPTER_PAGES:
        page.goto(base_url + name, wait_until="load")
        clipped = page.evaluate(CLIPPED_FIGURES)
        assert clipped == [], f"{name} at {width} px: {clipped}"
    context.close()


# Code and output blocks that scroll sideways: their text is wider than their box.
SIDEWAYS = """() => [...document.querySelectorAll(
    "div.cell_input div.highlight pre, div.cell_output pre")]
  .filter(pre => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
  .map(pre => [pre.scrollWidth - pre.clientWidth, pre.textContent.slice(0, 60)])"""


@pytest.mark.parametrize("name", CHAPTER_PAGES + ["book/appendix_distributed.html"])
def test_at_1400_px_no_code_or_output_scrolls_sideways(browser, base_url, name):
    # Code within 88 columns (ruff format, `make lint`) and wrapped output lines fit the
    # page; collapsed cells are opened first, so that their code is measured too.
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(base_url + name, wait_until="load")
    page.evaluate(
        "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
    )
    sideways = page.evaluate(SIDEWAYS)
    assert sideways == [], f"{name}: {len(sideways)} blocks scroll: {sideways[:3]}"
    context.close()


@pytest.mark.parametrize("name", CHAPTER_PAGES + ["book/appendix_distributed.html"])
def test_each_chapter_links_its_notebook_and_its_student_edition(page, base_url, name):
    page.goto(base_url + name, wait_until="load")
    links = page.locator("p.fractalnet-notebooks a")
    assert links.count() == 3, f"{name}: no notebook links under the title"
    chapter, student, every = (links.nth(i).evaluate("a => a.href") for i in range(3))
    for url in (chapter, student):
        response = page.request.get(url)
        assert response.status == 200, url
        notebook = response.json()
        assert notebook["nbformat"] == 4
    released = page.request.get(student).text()
    assert "BEGIN SOLUTION" not in released and "NotImplementedError" in released
    assert page.request.get(every).status == 200
    assert page.problems == []
