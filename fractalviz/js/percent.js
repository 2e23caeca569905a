/* Percentages as the explorers write them: the twin of fractalviz/percent.py (read its docstring
 * for the rule). Both round half up: countPercent in integers, fractionPercent as
 * floor(fraction * 10^(2 + decimals) + 0.5) in double precision, the same operations as Python's.
 *
 * In a page it defines FractalPercent, which explorer.js and column_explorer.js use (the Python
 * side inlines this file before either). Under node: require("./percent.js").
 */
(function (root) {
  "use strict";

  // count_percent: "12.3%" for 49 of 400.
  function countPercent(part, whole) {
    var tenths = Math.floor((2000 * part + whole) / (2 * whole));
    return Math.floor(tenths / 10) + "." + (tenths % 10) + "%";
  }

  // fraction_percent: "13%" for 0.125; "6.3%" for 0.0625 with one decimal.
  function fractionPercent(fraction, decimals) {
    var units = Math.floor(fraction * Math.pow(10, 2 + (decimals || 0)) + 0.5);
    if (!decimals) return units + "%";
    return Math.floor(units / 10) + "." + (units % 10) + "%";
  }

  var api = { countPercent: countPercent, fractionPercent: fractionPercent };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.FractalPercent = root.FractalPercent || api;
})(this);
