#!/usr/bin/env bash
# Vendors the JavaScript the rendered book loads, so that it works with no internet:
#   require.js + @jupyter-widgets/html-manager  render ipywidgets outputs (myst-nb's
#                                               `nb_ipywidgets_js` points at them);
#   MathJax 3                                   renders the chapters' maths (`mathjax_path`).
# npm installs them into _build/widget-js-npm/ (ignored), and the files the pages use are copied
# into book/_widget_js/_vendor/ (ignored), which `html_extra_path` serves as /_vendor/.
# Idempotent: does nothing when the pinned versions are already in place. Without npm, or when
# npm cannot reach its registry, it prints a note and exits 0: the book still builds, but its
# maths and widgets do not render and the browser test reports the missing scripts.
set -eu
cd "$(dirname "$0")/.."
mkdir -p book/_widget_js  # html_extra_path must exist even when npm is missing
REQUIREJS=2.3.7
HTML_MANAGER=1.0.15
MATHJAX=3.2.2
STAMP="layout 5 requirejs@$REQUIREJS html-manager@$HTML_MANAGER mathjax@$MATHJAX"
DEST=book/_widget_js/_vendor
if [ -f "$DEST/VERSIONS" ] && [ "$(cat "$DEST/VERSIONS")" = "$STAMP" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "note: npm not found; the book's maths and widgets will not render (install npm, then run make again)."
  exit 0
fi
WORK=_build/widget-js-npm
mkdir -p "$WORK"
echo "Installing the book's JavaScript with npm: $STAMP"
if ! npm install --prefix "$WORK" --no-save --no-audit --no-fund --loglevel=error \
    "requirejs@$REQUIREJS" "@jupyter-widgets/html-manager@$HTML_MANAGER" "mathjax@$MATHJAX"; then
  echo "note: npm install failed; the book's maths and widgets will not render (run make again online)."
  exit 0
fi
NM="$WORK/node_modules"
rm -rf "$DEST"
HM="$DEST/npm/@jupyter-widgets/html-manager/dist"
mkdir -p "$HM" "$DEST/mathjax"
cp "$NM/requirejs/require.js" "$DEST/require.js"
# Loaded before require.js on pages with widgets: (1) tells require.js where the html-manager
# module lives, relative to a chapter; (2) html-manager typesets labels with MathJax 2's
# MathJax.Hub.Queue, which MathJax 3 lacks (a TypeError per widget): map it to typesetPromise.
cat > "$DEST/require-config.js" <<'JS'
var require = {paths: {"@jupyter-widgets/html-manager": "../_vendor/npm/@jupyter-widgets/html-manager"}};
(function () {
  function shim() {
    var M = window.MathJax;
    if (M && !M.Hub) {
      M.Hub = {Queue: function (job) {
        var el = job && job[2];
        if (window.MathJax.typesetPromise && el) window.MathJax.typesetPromise([el]).catch(function () {});
      }};
    }
  }
  shim();
  document.addEventListener("DOMContentLoaded", shim);
  window.addEventListener("load", shim);
})();
JS
# embed-amd.js, its licence, and the fonts its CSS refers to in the one format every browser
# the book supports reads (woff2; the eot, svg, ttf and woff copies are 2.7 MB no page loads).
find "$NM/@jupyter-widgets/html-manager/dist" -maxdepth 1 -type f \
  \( -name 'embed-amd.js' -o -name 'embed.js.LICENSE.txt' -o -name '*.woff2' \) -exec cp {} "$HM/" \;
cp "$NM/mathjax/es5/tex-mml-chtml.js" "$DEST/mathjax/"
for dir in input output ui a11y adaptors; do
  cp -r "$NM/mathjax/es5/$dir" "$DEST/mathjax/"
done
echo "$STAMP" > "$DEST/VERSIONS"
echo "Vendored JavaScript in $DEST ($(du -sh "$DEST" | cut -f1))."
