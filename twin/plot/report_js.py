"""The report's one script: draws the figures one by one, and the Gantt's detail switch.

Each figure sits in the page as JSON (``<script type="application/json"
class="twin-figure">``) beside an empty ``<div class="plotly-graph-div">``; the
script at the end of the page, after plotly.js, draws them:

- first the figures on the first screen, then the others one per task, in page order
  (so the page paints and scrolls between two figures instead of freezing until all
  twelve are drawn), a figure scrolled into view before its turn at once, and all of
  them before printing;
- ``window.__twinReport.firstScreen`` and ``.drawn`` are promises resolved when the
  first screen's figures and all figures are drawn (the browser test and
  ``benchmarks/report_timing.py`` wait on them);
- a heatmap whose ``meta.ztext`` names its codes gets its per-cell hover texts back
  (``text[i][j] = ztext[z[i][j]]``): the report leaves them out of the page
  (:func:`twin.plot.report._compact`; the state timeline's were 1.3 MB);
- a figure with ``layout.meta.lod`` (a large Gantt, :func:`twin.plot.gantt_fast.lod_meta`)
  keeps its bars aside and draws only those of the visible time window (and one
  window on each side, for panning) while they are at most ``max_bars``; otherwise
  it shows its overview image.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["LOADER_JS", "loader_script"]

LOADER_JS = r"""
(function () {
  "use strict";
  var CONFIG = %CONFIG%;
  var PER_BAR = ["x", "base", "y", "customdata", "marker.color", "marker.line.color"];
  var TYPED = {f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array,
               i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array};

  function decode(v) {  // plotly.py writes numeric arrays as {dtype, bdata: base64}
    if (!v || typeof v !== "object" || typeof v.bdata !== "string") return v;
    var bytes = atob(v.bdata), buf = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) buf[i] = bytes.charCodeAt(i);
    return new TYPED[v.dtype](buf.buffer);
  }
  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, obj);
  }
  function put(obj, path, value) {
    var keys = path.split("."), last = keys.pop();
    keys.forEach(function (k) { obj = obj[k] = obj[k] || {}; });
    obj[last] = value;
  }
  function pick(values, idx) {
    var out = new Array(idx.length);
    for (var i = 0; i < idx.length; i++) out[i] = values[idx[i]];
    return out;
  }

  // a heatmap's hover texts, left out of the page: text[i][j] = meta.ztext[z[i][j]]
  function zText(t) {
    var names = t.meta && t.meta.ztext, z = t.z, rows = [];
    if (!names || t.text || !z) return;
    if (typeof z.bdata === "string") {
      var flat = decode(z), w = Number(String(z.shape).split(",")[1]);
      for (var i = 0; i * w < flat.length; i++) rows.push(flat.subarray(i * w, (i + 1) * w));
    } else rows = z;
    t.text = rows.map(function (r) {
      return Array.prototype.map.call(r, function (v) { return names[v] || ""; });
    });
  }

  // -- the Gantt's level-of-detail switch -------------------------------------------
  function lodPrepare(spec) {
    var meta = spec.layout.meta && spec.layout.meta.lod;
    if (!meta) return null;
    var full = {};
    meta.culled.forEach(function (i) {
      var t = spec.data[i], x = decode(t.x) || [], base = decode(t.base) || [], cols = {};
      PER_BAR.forEach(function (path) {
        var v = decode(get(t, path));
        if (v && typeof v !== "string" && v.length === x.length) cols[path] = v;
      });
      full[i] = {start: base, width: x, cols: cols};
    });
    var lod = {meta: meta, full: full, key: null};
    var update = lodSelect(lod, null);
    meta.culled.forEach(function (i, j) {
      Object.keys(update).forEach(function (path) {
        if (path !== "visible" && update[path][j] !== undefined)
          put(spec.data[i], path, update[path][j]);
      });
    });
    spec.data[meta.overview].visible = lod.detail ? false : true;
    return lod;
  }
  function lodSelect(lod, range) {
    var lo = -Infinity, hi = Infinity;
    if (range) { var w = range[1] - range[0]; lo = range[0] - w; hi = range[1] + w; }
    var picks = [], total = 0;
    lod.meta.culled.forEach(function (i) {
      var f = lod.full[i], idx = [];
      for (var k = 0; k < f.width.length; k++)
        if (f.start[k] < hi && f.start[k] + f.width[k] > lo) idx.push(k);
      picks.push(idx); total += idx.length;
    });
    lod.detail = total <= lod.meta.max_bars;
    lod.key = lod.detail ? picks.map(function (p) { return p.length + ":" + p[0]; }).join() : "";
    var update = {};
    PER_BAR.forEach(function (path) {
      update[path] = lod.meta.culled.map(function (i, j) {
        var v = lod.full[i].cols[path];
        if (!v) return undefined;
        // overview: one bar per trace, so the legend still names every colour
        return pick(v, lod.detail ? picks[j] : v.length ? [0] : []);
      });
    });
    return update;
  }
  function lodAttach(gd, lod) {
    gd.on("plotly_relayout", function (ev) {
      if (!Object.keys(ev).some(function (k) { return k.indexOf("xaxis") === 0; })) return;
      var before = lod.key, was = lod.detail;
      // reset (double-click): the whole run, whatever bars happen to be drawn now
      var reset = Object.keys(ev).some(function (k) { return /autorange$/.test(k) && ev[k]; });
      var update = lodSelect(lod, reset ? null : gd._fullLayout.xaxis.range.slice());
      if (lod.detail === was && lod.key === before) return;  // same bars: nothing to redraw
      Plotly.restyle(gd, update, lod.meta.culled);
      Plotly.restyle(gd, {visible: lod.detail ? false : true}, [lod.meta.overview]);
    });
  }

  // -- drawing the figures, first screen first --------------------------------------
  var items = Array.prototype.map.call(
    document.querySelectorAll("script.twin-figure"),
    function (el) { return {el: el, div: document.getElementById(el.dataset.div), p: null}; });
  function draw(item) {
    if (item.p) return item.p;
    var spec = JSON.parse(item.el.textContent), lod = lodPrepare(spec);
    spec.data.forEach(zText);
    item.p = Plotly.newPlot(item.div, spec.data, spec.layout, CONFIG).then(function (gd) {
      if (lod) lodAttach(gd, lod);
      return gd;
    });
    return item.p;
  }
  function yieldTask() {  // let the page paint and take input between two figures
    return new Promise(function (r) { setTimeout(r, 0); });
  }
  var first = items.filter(function (it) {
    var box = it.div.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  });
  var report = window.__twinReport = window.__twinReport || {};
  report.firstScreen = Promise.all(first.map(draw)).then(yieldTask);
  report.drawn = report.firstScreen.then(function next() {
    var item = items.filter(function (it) { return !it.p; })[0];
    if (!item) return Promise.all(items.map(draw));
    return draw(item).then(yieldTask).then(next);
  });
  if ("IntersectionObserver" in window) {
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        seen.unobserve(e.target);
        items.forEach(function (it) { if (it.div === e.target) draw(it); });
      });
    }, {rootMargin: "0px"});
    items.forEach(function (it) { seen.observe(it.div); });
  }
  window.addEventListener("beforeprint", function () { items.forEach(draw); });
})();
"""


def loader_script(config: dict[str, Any]) -> str:
    """The script with the plotly ``config`` every figure is drawn with."""
    return LOADER_JS.replace("%CONFIG%", json.dumps(config))
