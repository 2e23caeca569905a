/* Drop-path explorer: fractal graphs, drop-path sampling and an SVG drawing, in plain JavaScript.
 *
 * A port of fractalviz (graph.py, draw.py `layout`, sampling.py) so that the static book, with no
 * kernel and no network, can still redraw when the reader moves a control. The graph, layout,
 * sampler and generator follow the Python step for step: with the same seed, `mulberry32` and
 * `sampleDropPath` here draw exactly what `fractalviz.sampling.Mulberry32` and
 * `sample_drop_path` draw (tests/test_explorer.py checks this under node).
 *
 * In a page: FractalExplorer.mount(element) reads the element's data-config JSON, written by
 * fractalviz.Explorer.config: the initial settings and the controls' ranges (max_columns,
 * max_blocks, max_drop_rate, drop_rate_step, many_draws), so the sliders offer exactly what the
 * Python side accepts.
 * Under node: require("./explorer.js") gives the same functions, without the drawing.
 */
(function (root) {
  "use strict";

  // Percentages: the rounding rule of fractalviz/percent.py (js/percent.js, inlined before this).
  var percent = typeof module === "object" && module.exports ? require("./percent.js") : root.FractalPercent;

  var MODES = ["local", "global", "mixed"];
  var COLORS = { conv: "#4c72b0", join: "#2ca02c", pool: "#8c8c8c", highlight: "#d62728", edge: "#555555" };
  var DIMMED = 0.15;
  // The controls' ranges when data-config omits them: fractalviz.explorer's MAX_EXPLORER_COLUMNS,
  // MAX_EXPLORER_BLOCKS, MAX_EXPLORER_DROP_RATE, DROP_RATE_STEP and MANY_DRAWS (tests compare).
  var DEFAULTS = { maxColumns: 6, maxBlocks: 3, maxDropRate: 0.9, dropRateStep: 0.05, manyDraws: 100 };

  // -- random numbers: mulberry32, the arithmetic of fractalviz.sampling.Mulberry32 -----------
  function mulberry32(seed) {
    var a = seed >>> 0;
    var next = function () {
      a = (a + 0x6d2b79f5) | 0;
      var t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    return { random: next, integers: function (high) { return Math.floor(next() * high); } };
  }

  // -- the graph: fractalviz.graph.network_graph(columns, blocks, pool) -----------------------
  function buildGraph(columns, blocks, pool) {
    var nodes = [], edges = [], byId = {};
    function addNode(node) { nodes.push(node); byId[node.id] = node; }
    function addEdge(u, v, column) { edges.push({ source: u, target: v, column: column }); }
    addNode({ id: "input", kind: "input" });
    var source = "input", rows = Math.pow(2, columns - 1);
    for (var block = 0; block < blocks; block++) {
      var feeds = [];
      for (var k = 0; k < columns; k++) feeds.push(source);
      for (var row = 1; row <= rows; row++) {
        var ending = [];
        for (k = 0; k < columns; k++) if (row % Math.pow(2, columns - 1 - k) === 0) ending.push(k);
        ending.forEach(function (k) {
          var span = Math.pow(2, columns - 1 - k), index = row / span - 1;
          var conv = "b" + block + "/c" + k + "/conv" + index;
          addNode({ id: conv, kind: "conv", block: block, column: k, index: index, row: row, span: span });
          addEdge(feeds[k], conv, null);
          feeds[k] = conv;
        });
        if (ending.length > 1) {
          var join = "b" + block + "/join" + row;
          addNode({ id: join, kind: "join", block: block, row: row, columns: ending.slice() });
          ending.forEach(function (k) { addEdge(feeds[k], join, k); feeds[k] = join; });
        }
      }
      source = feeds[columns - 1];
      if (pool) {
        addNode({ id: "b" + block + "/pool", kind: "pool", block: block });
        addEdge(source, "b" + block + "/pool", null);
        source = "b" + block + "/pool";
      }
    }
    addNode({ id: "output", kind: "output" });
    addEdge(source, "output", null);
    var preds = {}, succs = {};
    nodes.forEach(function (n) { preds[n.id] = []; succs[n.id] = []; });
    edges.forEach(function (e) { preds[e.target].push(e); succs[e.source].push(e); });
    return { columns: columns, blocks: blocks, pool: !!pool, nodes: nodes, edges: edges,
             byId: byId, preds: preds, succs: succs,
             joins: nodes.filter(function (n) { return n.kind === "join"; }) };
  }

  // -- positions: fractalviz.draw.layout -------------------------------------------------------
  function layout(graph) {
    var width = graph.columns, centre = (width - 1) / 2, blockRows = 1 + Math.pow(2, width - 1);
    var pos = { input: [centre, 0] }, last = 0;
    graph.nodes.forEach(function (n) {
      if (n.kind === "input" || n.kind === "output") return;
      var top = n.block * (blockRows + 1) + 0.5, p;
      if (n.kind === "conv") p = [n.column, top + n.row - n.span / 2];
      else if (n.kind === "join") {
        var sum = 0; n.columns.forEach(function (c) { sum += c; });
        p = [sum / n.columns.length, top + n.row];
      } else p = [centre, top + blockRows];
      pos[n.id] = p; last = Math.max(last, p[1]);
    });
    pos.output = [centre, last + 1];
    return pos;
  }

  function edgeKey(u, v) { return u + "->" + v; }

  // -- sampling: fractalviz.sampling.sample_drop_path, draw for draw ---------------------------
  function sampleDropPath(graph, mode, dropRate, globalRatio, rng) {
    if (MODES.indexOf(mode) < 0) throw new Error("Expected `mode` to be one of " + MODES + ". Received: mode=" + mode);
    if (mode === "mixed") mode = rng.random() < globalRatio ? "global" : "local";
    var kept = new Set();
    if (mode === "global") {
      var column = rng.integers(graph.columns);
      graph.joins.forEach(function (j) {
        graph.preds[j.id].forEach(function (e) { if (e.column === column) kept.add(edgeKey(e.source, j.id)); });
      });
      return { mode: "global", column: column, kept: kept };
    }
    graph.joins.forEach(function (j) {
      var inputs = graph.preds[j.id], alive = [], any = false;
      inputs.forEach(function () { var a = rng.random() >= dropRate; alive.push(a); any = any || a; });
      if (!any) alive[rng.integers(inputs.length)] = true;
      inputs.forEach(function (e, i) { if (alive[i]) kept.add(edgeKey(e.source, j.id)); });
    });
    return { mode: "local", column: null, kept: kept };
  }

  function present(graph, sample, e) {
    return graph.byId[e.target].kind !== "join" || sample.kept.has(edgeKey(e.source, e.target));
  }

  // Nodes on some input-to-output path along present edges (fractalviz.sampling.active_subgraph).
  function activeNodes(graph, sample) {
    function reach(start, next, end) {
      var seen = new Set([start]), stack = [start];
      while (stack.length) {
        var id = stack.pop();
        next[id].forEach(function (e) {
          if (!present(graph, sample, e)) return;
          var other = e[end];
          if (!seen.has(other)) { seen.add(other); stack.push(other); }
        });
      }
      return seen;
    }
    var down = reach("input", graph.succs, "target"), up = reach("output", graph.preds, "source");
    var active = new Set();
    down.forEach(function (id) { if (up.has(id)) active.add(id); });
    return active;
  }

  // Path count (BigInt: C = 6, B = 3 has ~1e17 paths), deepest path and its nodes, over the
  // active sub-network; nodes are already in topological order.
  function summarize(graph, sample) {
    var active = activeNodes(graph, sample), count = {}, best = {}, parent = {};
    graph.nodes.forEach(function (n) {
      if (!active.has(n.id)) return;
      var ins = graph.preds[n.id].filter(function (e) { return active.has(e.source) && present(graph, sample, e); });
      var w = n.kind === "conv" ? 1 : 0;
      if (!ins.length) { count[n.id] = BigInt(1); best[n.id] = w; parent[n.id] = null; return; }
      var c = BigInt(0), b = -1, p = null;
      ins.forEach(function (e) { c += count[e.source]; if (best[e.source] > b) { b = best[e.source]; p = e.source; } });
      count[n.id] = c; best[n.id] = b + w; parent[n.id] = p;
    });
    var path = [], id = "output";
    while (id !== null) { path.push(id); id = parent[id]; }
    var intoJoins = 0, lost = new Set();
    graph.edges.forEach(function (e) {
      if (e.column === null) return;
      intoJoins += 1;
      if (!sample.kept.has(edgeKey(e.source, e.target))) lost.add(e.column);
    });
    var surviving = [];
    for (var k = 0; k < graph.columns; k++) if (!lost.has(k)) surviving.push(k);
    return {
      activePaths: count.output, longestActivePath: best.output, longestPath: path.reverse(),
      activeConvs: graph.nodes.filter(function (n) { return n.kind === "conv" && active.has(n.id); }).length,
      droppedEdges: intoJoins - sample.kept.size, survivingColumns: surviving, active: active,
    };
  }

  // fractalviz.sampling.column_survival_rate
  function columnSurvivalRate(graph, mode, p, g) {
    var local = [], k;
    for (k = 0; k < graph.columns; k++) local.push(1);
    graph.joins.forEach(function (j) {
      var n = j.columns.length;
      j.columns.forEach(function (c) { local[c] *= (1 - p) + Math.pow(p, n) / n; });
    });
    if (mode === "local") return local;
    if (mode === "global") return local.map(function () { return 1 / graph.columns; });
    return local.map(function (r) { return g / graph.columns + (1 - g) * r; });
  }

  function pathCount(graph) {
    return summarize(graph, { kept: new Set(graph.edges.filter(function (e) { return e.column !== null; })
      .map(function (e) { return edgeKey(e.source, e.target); })) }).activePaths;
  }

  // -- drawing ----------------------------------------------------------------------------------
  var SVGNS = "http://www.w3.org/2000/svg";
  function el(tag, attrs, parent, ns) {
    var node = ns ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function drawSvg(svg, graph, summary) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var pos = layout(graph), depth = 0;
    Object.keys(pos).forEach(function (id) { depth = Math.max(depth, pos[id][1]); });
    // Rows never thinner than 14 px (a conv box stays a box, labels stay apart): a deep network
    // scrolls inside its frame instead of shrinking to lines.
    var colPx = 46, rowPx = Math.max(14, Math.min(28, 520 / (depth + 1)));
    var W = colPx * (graph.columns + 0.6), H = rowPx * (depth + 1) + 8;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("width", W); svg.setAttribute("height", H);
    function X(x) { return (x + 0.8) * colPx; }
    function Y(y) { return (y + 0.5) * rowPx + 4; }
    var onPath = new Set(summary.longestPath), pathEdges = new Set();
    for (var i = 1; i < summary.longestPath.length; i++) pathEdges.add(edgeKey(summary.longestPath[i - 1], summary.longestPath[i]));
    var gEdges = el("g", {}, svg, true), gNodes = el("g", {}, svg, true);
    graph.edges.forEach(function (e) {
      var s = graph.byId[e.source], t = graph.byId[e.target], p0 = pos[e.source].slice(), p1 = pos[e.target].slice();
      if (t.kind === "join" && s.kind === "conv") p1[0] = p0[0];
      if (s.kind !== "conv" && t.kind === "conv") p0[0] = p1[0];
      var on = summary.active.has(e.source) && summary.active.has(e.target) && present(graph, summary.sample, e);
      var hot = pathEdges.has(edgeKey(e.source, e.target));
      el("line", { x1: X(p0[0]), y1: Y(p0[1]), x2: X(p1[0]), y2: Y(p1[1]), "data-edge": edgeKey(e.source, e.target),
                   "class": on ? "fe-edge fe-active" : "fe-edge fe-dropped",
                   stroke: hot ? COLORS.highlight : COLORS.edge, "stroke-width": hot ? 2.6 : 1.1,
                   "stroke-linecap": "round", opacity: on ? 1 : DIMMED }, gEdges, true);
    });
    graph.nodes.forEach(function (n) {
      var p = pos[n.id], on = summary.active.has(n.id), hot = onPath.has(n.id), attrs;
      var common = { "data-node": n.id, "data-kind": n.kind, "class": "fe-node " + (on ? "fe-active" : "fe-dropped"), opacity: on ? 1 : DIMMED };
      if (n.kind === "conv") {
        var bw = 0.6 * colPx, bh = Math.max(3, Math.min(0.55 * rowPx, 16));
        attrs = { x: X(p[0]) - bw / 2, y: Y(p[1]) - bh / 2, width: bw, height: bh, rx: 3,
                  fill: hot ? COLORS.highlight : COLORS.conv, stroke: "#000", "stroke-width": hot ? 1.5 : 0.6 };
        el("rect", Object.assign(common, attrs), gNodes, true);
      } else if (n.kind === "join") {
        var lo = Math.min.apply(null, n.columns), hi = Math.max.apply(null, n.columns);
        attrs = { x: X(lo - 0.4), y: Y(p[1]) - 2.5, width: (hi - lo + 0.8) * colPx, height: 5, rx: 2, fill: COLORS.join };
        el("rect", Object.assign(common, attrs), gNodes, true);
      } else if (n.kind === "pool") {
        attrs = { x: X(-0.4), y: Y(p[1]) - 6, width: (graph.columns - 0.2) * colPx, height: 12, rx: 3, fill: COLORS.pool };
        el("rect", Object.assign(common, attrs), gNodes, true);
        var label = el("text", { x: X((graph.columns - 1) / 2), y: Y(p[1]) + 3.5, "text-anchor": "middle",
                                 "font-size": 11, fill: "#fff" }, gNodes, true);
        label.textContent = "pool";
      } else {
        if (n.kind === "input") el("line", { x1: X(0), y1: Y(p[1]), x2: X(graph.columns - 1), y2: Y(p[1]), stroke: COLORS.edge }, gNodes, true);
        el("circle", Object.assign(common, { cx: X(p[0]), cy: Y(p[1]), r: 3.5, fill: "#000" }), gNodes, true);
        var t = el("text", { x: X(p[0]) + 7, y: Y(p[1]) + 4, "font-size": 11, fill: "#000" }, gNodes, true);
        t.textContent = n.kind === "input" ? "in" : "out";
      }
    });
  }

  var CSS = ".fractal-explorer{font:13px/1.4 system-ui,sans-serif;color:#222;background:#fff;border:1px solid #ccc;" +
    "border-radius:6px;padding:10px;display:flex;flex-wrap:wrap;gap:12px;max-width:100%}" +
    ".fractal-explorer .fe-controls{display:grid;grid-template-columns:auto auto;gap:4px 8px;align-items:center;align-content:start}" +
    // The drawing keeps one width whatever C is (C = 6 needs 304 px), so the statistics beside it
    // do not jump below it when the reader moves a slider.
    ".fractal-explorer .fe-drawing{flex:0 0 320px;max-height:560px;overflow:auto;background:#fff}" +
    // The statistics take a fixed share too, and their long numbers wrap: with C = 6 the path
    // count has 17 digits, which would otherwise widen the column and push it below.
    ".fractal-explorer .fe-stats{flex:1 1 300px;min-width:0;overflow-wrap:anywhere}" +
    ".fractal-explorer .fe-stats table{border-collapse:collapse;font-size:12px}" +
    ".fractal-explorer .fe-stats td,.fractal-explorer .fe-stats th{padding:1px 6px;text-align:right;border-bottom:1px solid #eee;color:#222;background:#fff}" +
    ".fractal-explorer button{padding:2px 8px;color:#222;background:#f2f2f2;border:1px solid #999;border-radius:4px;cursor:pointer}" +
    ".fractal-explorer input,.fractal-explorer select{color:#222;background:#fff}";

  function mount(container) {
    if (container.getAttribute("data-mounted")) return container;
    container.setAttribute("data-mounted", "1");
    var cfg = JSON.parse(container.getAttribute("data-config") || "{}");
    var state = { columns: cfg.columns || 4, blocks: cfg.blocks || 1, dropRate: cfg.drop_rate == null ? 0.15 : cfg.drop_rate,
                  mode: cfg.mode || "mixed", globalRatio: cfg.global_ratio == null ? 0.5 : cfg.global_ratio,
                  seed: cfg.seed || 0, maxColumns: cfg.max_columns || DEFAULTS.maxColumns,
                  maxBlocks: cfg.max_blocks || DEFAULTS.maxBlocks,
                  maxDropRate: cfg.max_drop_rate == null ? DEFAULTS.maxDropRate : cfg.max_drop_rate,
                  dropRateStep: cfg.drop_rate_step || DEFAULTS.dropRateStep, manyDraws: cfg.many_draws || DEFAULTS.manyDraws };
    if (!document.getElementById("fractal-explorer-css")) el("style", { id: "fractal-explorer-css" }, document.head).textContent = CSS;
    container.innerHTML = "";
    var controls = el("div", { "class": "fe-controls" }, container);
    function control(label, tag, attrs) {
      var l = el("label", {}, controls); l.textContent = label;
      var c = el(tag, attrs, controls); c.setAttribute("aria-label", label);
      c.caption = l; c.captionText = label;  // sliders show their value in their label
      return c;
    }
    var out = {};
    var columnsIn = control("columns C", "input", { type: "range", min: 1, max: state.maxColumns, step: 1, value: state.columns, "data-control": "columns" });
    var blocksIn = control("blocks B", "input", { type: "range", min: 1, max: state.maxBlocks, step: 1, value: state.blocks, "data-control": "blocks" });
    var rateIn = control("drop rate", "input", { type: "range", min: 0, max: state.maxDropRate, step: state.dropRateStep, value: state.dropRate, "data-control": "drop-rate" });
    var modeIn = control("mode", "select", { "data-control": "mode" });
    MODES.forEach(function (m) { var o = el("option", { value: m }, modeIn); o.textContent = m; });
    modeIn.value = state.mode;
    var seedIn = control("seed", "input", { type: "number", min: 0, max: 4294967295, step: 1, value: state.seed, "data-control": "seed", style: "width:6em" });
    var buttons = el("div", { style: "grid-column:1/3;display:flex;gap:6px" }, controls);
    var resample = el("button", { type: "button", "data-control": "resample" }, buttons); resample.textContent = "Resample";
    var many = el("button", { type: "button", "data-control": "resample-100" }, buttons); many.textContent = "Draw " + state.manyDraws;
    out.values = el("div", { style: "grid-column:1/3;color:#555", "data-stat": "settings" }, controls);
    var drawing = el("div", { "class": "fe-drawing" }, container);
    var svg = el("svg", { role: "img", "aria-label": "Sampled drop-path sub-network", xmlns: SVGNS }, drawing, true);
    var stats = el("div", { "class": "fe-stats" }, container);

    var graph, rng, draws, tally, sample, summary, total;
    function reset() {
      graph = buildGraph(state.columns, state.blocks, state.blocks > 1);
      total = pathCount(graph);
      rng = mulberry32(state.seed); draws = 0; tally = [];
      for (var k = 0; k < state.columns; k++) tally.push(0);
    }
    function draw(n) {
      for (var i = 0; i < n; i++) {
        sample = sampleDropPath(graph, state.mode, state.dropRate, state.globalRatio, rng);
        summary = summarize(graph, sample); summary.sample = sample; draws += 1;
        summary.survivingColumns.forEach(function (k) { tally[k] += 1; });
      }
      render();
    }
    function render() {
      drawSvg(svg, graph, summary);
      [[columnsIn, state.columns], [blocksIn, state.blocks], [rateIn, state.dropRate.toFixed(2)]].forEach(function (pair) {
        pair[0].caption.textContent = pair[0].captionText + " = " + pair[1];
        pair[0].setAttribute("aria-valuetext", String(pair[1]));
      });
      out.values.textContent = "C=" + state.columns + ", B=" + state.blocks + ", drop rate " + state.dropRate.toFixed(2) + ", " + state.mode + ", seed " + state.seed;
      var theory = columnSurvivalRate(graph, state.mode, state.dropRate, state.globalRatio);
      var convs = graph.nodes.filter(function (n) { return n.kind === "conv"; }).length;
      var rows = "";
      for (var k = 0; k < state.columns; k++) {
        rows += "<tr data-column='" + k + "'><td>" + k + "</td><td>" + tally[k] + "/" + draws + "</td><td>" +
          percent.countPercent(tally[k], draws) + "</td><td>" + percent.fractionPercent(theory[k], 1) + "</td></tr>";
      }
      var what = sample.mode === "global" ? "global: column " + sample.column + " only" : "local";
      stats.innerHTML =
        "<div><b>Draw <span data-stat='draws'>" + draws + "</span></b> (" + what + ")</div>" +
        "<div>Active paths: <span data-stat='active-paths'>" + summary.activePaths.toLocaleString("en-US") + "</span> of " + total.toLocaleString("en-US") + "</div>" +
        "<div>Longest active path: <span data-stat='longest'>" + summary.longestActivePath + "</span> convs (red) of " + Math.pow(2, state.columns - 1) * state.blocks + "</div>" +
        "<div>Active convs: <span data-stat='active-convs'>" + summary.activeConvs + "</span> of " + convs + "</div>" +
        "<div>Dropped join inputs: <span data-stat='dropped'>" + summary.droppedEdges + "</span></div>" +
        "<table><tr><th>column</th><th>whole path kept</th><th>so far</th><th>theory</th></tr>" + rows + "</table>";
    }
    function restart() { reset(); draw(1); }
    columnsIn.addEventListener("input", function () { state.columns = +columnsIn.value; restart(); });
    blocksIn.addEventListener("input", function () { state.blocks = +blocksIn.value; restart(); });
    rateIn.addEventListener("input", function () { state.dropRate = +rateIn.value; restart(); });
    modeIn.addEventListener("change", function () { state.mode = modeIn.value; restart(); });
    seedIn.addEventListener("change", function () {
      var s = Math.floor(+seedIn.value);
      state.seed = isFinite(s) && s >= 0 ? Math.min(s, 4294967295) : 0; seedIn.value = state.seed; restart();
    });
    resample.addEventListener("click", function () { draw(1); });
    many.addEventListener("click", function () { draw(state.manyDraws); });
    restart();
    return container;
  }

  var api = { MODES: MODES, DEFAULTS: DEFAULTS, mulberry32: mulberry32, buildGraph: buildGraph, layout: layout, sampleDropPath: sampleDropPath,
              activeNodes: activeNodes, summarize: summarize, columnSurvivalRate: columnSurvivalRate, mount: mount };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.FractalExplorer = root.FractalExplorer || api;
})(this);
