/* Column explorer: switch a trained FractalNet's columns on and off, and read what it predicts.
 *
 * The page cannot run the model, so fractalviz.ColumnExplorer runs it beforehand, once for every
 * non-empty subset of the network's columns, and writes the results into the element's
 * data-config JSON:
 *   num_columns   C, the number of network columns
 *   size          the number of labelled images the accuracies are measured on
 *   class_names   one name per class
 *   labels        the true class of each sample image shown
 *   results       2**C - 1 entries; entry mask - 1 is the subset whose columns are the bits of
 *                 mask (column k is bit k): {columns, correct, predictions, probabilities}
 * The HTML that Python writes already shows the whole network's results, with the checkboxes
 * disabled: that is the precomputed view a page without JavaScript keeps. mount() enables the
 * checkboxes and redraws from the table on every change; the last checked column cannot be
 * unchecked (a network needs at least one column).
 *
 * In a page: FractalColumnExplorer.mount(element). Under node: require("./column_explorer.js")
 * gives maskOf and lookup without the page code (tests/test_column_explorer.py).
 */
(function (root) {
  "use strict";

  // Percentages: the rounding rule of fractalviz/percent.py (js/percent.js, inlined before this).
  var percent = typeof module === "object" && module.exports ? require("./percent.js") : root.FractalPercent;

  // The subset's bitmask: column k is bit k.
  function maskOf(columns) {
    var mask = 0;
    columns.forEach(function (k) { mask |= 1 << k; });
    return mask;
  }

  // The precomputed entry of the subset `columns` (a list of column indices, in any order).
  function lookup(config, columns) {
    var mask = maskOf(columns);
    if (!columns.length || mask >= 1 << config.num_columns) throw new RangeError("no such subset: " + columns);
    return config.results[mask - 1];
  }

  function setText(node, text) { if (node) node.textContent = text; }

  function render(container, config, columns) {
    var entry = lookup(config, columns);
    setText(container.querySelector('[data-stat="subset"]'), "{" + entry.columns.join(", ") + "}");
    setText(container.querySelector('[data-stat="accuracy"]'), percent.countPercent(entry.correct, config.size));
    setText(container.querySelector('[data-stat="correct"]'), String(entry.correct));
    container.querySelectorAll("tr[data-mask]").forEach(function (row) {
      row.classList.toggle("fce-current", +row.getAttribute("data-mask") === maskOf(columns));
    });
    container.querySelectorAll("[data-sample]").forEach(function (sample) {
      var i = +sample.getAttribute("data-sample"), predicted = entry.predictions[i];
      var right = predicted === config.labels[i];
      sample.classList.toggle("fce-right", right);
      sample.classList.toggle("fce-wrong", !right);
      setText(sample.querySelector('[data-stat="mark"]'), right ? "\u2713" : "\u2717");
      setText(sample.querySelector('[data-stat="predicted"]'), config.class_names[predicted]);
      setText(sample.querySelector('[data-stat="probability"]'), percent.fractionPercent(entry.probabilities[i]));
    });
  }

  function mount(container) {
    if (container.getAttribute("data-mounted")) return container;
    container.setAttribute("data-mounted", "1");
    var config = JSON.parse(container.getAttribute("data-config"));
    var boxes = Array.prototype.slice.call(container.querySelectorAll('input[data-column]'));
    var note = container.querySelector('[data-stat="note"]');
    function checked() {
      return boxes.filter(function (b) { return b.checked; }).map(function (b) { return +b.getAttribute("data-column"); });
    }
    function update() {
      var columns = checked();
      // The last checked column is locked: a network needs at least one column.
      boxes.forEach(function (b) {
        var last = b.checked && columns.length === 1;
        b.disabled = last;
        b.title = last ? "At least one column must stay active" : "";
      });
      render(container, config, columns);
    }
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        if (!checked().length) box.checked = true;  // never reached while the last one is disabled
        update();
      });
    });
    setText(note, "Tick the columns the network may use: the accuracy and the predictions below follow.");
    update();
    return container;
  }

  var api = { maskOf: maskOf, lookup: lookup, mount: mount };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.FractalColumnExplorer = root.FractalColumnExplorer || api;
})(this);
