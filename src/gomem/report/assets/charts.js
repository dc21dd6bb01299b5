/* gomem charts: draws a report payload (gomem/report/data.py) with uPlot.
 * Used by the self-contained HTML report and by the live dashboard (which appends chunks).
 * window.GomemCharts.create(rootElement, payload) -> {charts, payload, append(i, chunk), setRun(i, run)}
 */
(function () {
  "use strict";

  var KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;

  function fmtBytes(v) {
    if (v == null) return "–";
    var a = Math.abs(v);
    if (a >= GiB) return (v / GiB).toFixed(a >= 10 * GiB ? 1 : 2) + " GiB";
    if (a >= MiB) return (v / MiB).toFixed(a >= 10 * MiB ? 0 : 1) + " MiB";
    if (a >= KiB) return (v / KiB).toFixed(0) + " KiB";
    return v.toFixed(0) + " B";
  }
  function fmtSec(v) { return v == null ? "–" : (+v).toFixed(3) + " s"; }

  function byteSplits(u, axisIdx, min, max) {
    // ticks at round binary sizes
    var span = max - min, unit = span >= 4 * GiB ? GiB : span >= 4 * MiB ? MiB : span >= 4 * KiB ? KiB : 1;
    var n = span / unit, steps = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
    var step = unit;
    for (var i = 0; i < steps.length; i++) { if (n / steps[i] <= 8) { step = steps[i] * unit; break; } }
    var out = [], start = Math.ceil(min / step) * step;
    for (var v = start; v <= max + 1e-9; v += step) out.push(v);
    return out;
  }

  function col(kindCols, name) { return (kindCols && kindCols[name]) || []; }

  // -- tables (one x column per table; joined with uPlot.join) ---------------------------
  function withAlpha(hex, a) {
    if (a == null || a >= 1 || hex[0] !== "#" || hex.length !== 7) return hex;
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + a + ")";
  }

  function runTables(run, ri, nRuns, metricsById, xRange, runColors) {
    // one run: every metric in its own colour; several: the metrics with an overlay style,
    // in the run's colour, told apart by dash
    var overlay = nRuns > 1;
    var runColor = (runColors || ["#1f77b4"])[ri % (runColors || [1]).length];
    var label = function (s) { return overlay ? run.label + " · " + s : s; };
    var mem = [], cpu = [];   // [{x, ys:[...], series:[...]}]
    var gc = run.gc || {}, ms = run.memstats || {}, rss = run.rss || {};
    function shown(id) { return !overlay || !!metricsById[id].overlay; }
    function s(id, extra) {
      var m = metricsById[id], ov = overlay ? m.overlay : null;
      var o = {label: label(m.label), stroke: ov ? withAlpha(runColor, ov.alpha) : m.color,
               width: ov ? (ov.width || 1.5) : (m.width || 1.5), dash: ov ? (ov.dash || []) : (m.dash || []),
               spanGaps: true, value: function (u, v) { return fmtBytes(v); }, gomem: {run: ri, metric: id}};
      if (m.step) o.paths = uPlot.paths.stepped({align: m.step});
      for (var k in extra) o[k] = extra[k];
      return o;
    }
    function table(x, pairs) {
      // pairs: [[id, ys, extra], ...] -> one table of the metrics shown
      var keep = pairs.filter(function (p) { return shown(p[0]); });
      if (keep.length) mem.push({x: x, ys: keep.map(function (p) { return p[1]; }),
                                 series: keep.map(function (p) { return s(p[0], p[2]); })});
    }
    var cpuColor = overlay ? runColor : metricsById.gc.color;
    // the sawtooth: heap at GC start, then the marked heap at mark termination
    var gts = col(gc, "t_s"), gte = col(gc, "t_end_s"), h0 = col(gc, "heap_start_bytes"), h2 = col(gc, "heap_live_bytes");
    if (gts.length) {
      var sx = [], sy = [];
      for (var i = 0; i < gts.length; i++) {
        sx.push(gts[i]); sy.push(h0[i]);
        sx.push(gte[i]); sy.push(h2[i]);
      }
      table(sx, [["heap", sy]]);
      table(gte, [["heap_live", h2]]);
      var gcColor = overlay ? runColor : metricsById.gc.color;
      table(gts, [["heap_goal", col(gc, "heap_goal_bytes")],
                  ["gc", h0, {paths: function () { return null; },
                              points: {show: true, size: 6, width: 1, fill: gcColor, stroke: gcColor}}]]);
      cpu.push({x: gts, ys: [col(gc, "gc_cpu_percent")], series: [{
        label: label("GC CPU % since start (gctrace)"), stroke: cpuColor, width: 1.5, spanGaps: true,
        points: {show: true, size: 5}, value: function (u, v) { return v == null ? "–" : v.toFixed(1) + " %"; }, gomem: {run: ri, metric: "gc_cpu_percent"}}]});
    }
    var mts = col(ms, "t_s");
    if (mts.length) {
      table(mts, [["heap_alloc", col(ms, "heap_alloc_bytes")], ["heap_sys", col(ms, "heap_sys_bytes")],
                  ["held", col(ms, "held_bytes")], ["released", col(ms, "heap_released_bytes")]]);
      var frac = col(ms, "gc_cpu_fraction").map(function (v) { return v == null ? null : v * 100; });
      if (frac.some(function (v) { return v != null; })) {
        cpu.push({x: mts, ys: [frac], series: [{
          label: label("GCCPUFraction × 100 (MemStats)"), stroke: overlay ? runColor : metricsById.heap_alloc.color,
          width: 1.5, dash: overlay ? [4, 3] : [], spanGaps: true,
          value: function (u, v) { return v == null ? "–" : v.toFixed(2) + " %"; }, gomem: {run: ri, metric: "gc_cpu_fraction"}}]});
      }
    }
    if (col(rss, "t_s").length) table(col(rss, "t_s"), [["rss", col(rss, "rss_bytes")]]);
    var lim = run.limits || {};
    ["memory_limit", "container_limit"].forEach(function (id) {
      var v = lim[id + "_bytes"];
      if (v != null && xRange) table([xRange[0], xRange[1]], [[id, [v, v]]]);
    });
    return {mem: mem, cpu: cpu};
  }

  function xRangeOf(runs) {
    var lo = Infinity, hi = -Infinity;
    runs.forEach(function (r) {
      ["gc", "memstats", "rss", "event"].forEach(function (k) {
        var t = col(r[k], k === "gc" ? "t_end_s" : "t_s");
        var t0 = col(r[k], "t_s");
        if (k === "event") {  // events may come unordered and without a time
          t0.forEach(function (v) { if (v != null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
        } else if (t0.length) { lo = Math.min(lo, t0[0]); hi = Math.max(hi, t[t.length - 1]); }
      });
    });
    if (!isFinite(lo)) return null;
    if (hi <= lo) hi = lo + 1;
    return [Math.min(lo, 0), hi];
  }

  function join(tables) {
    if (!tables.length) return {data: [[]], series: []};
    var aligned = tables.map(function (t) { return [t.x].concat(t.ys); });
    var modes = tables.map(function (t) { return [0].concat(t.ys.map(function () { return 0; })); });
    var data = tables.length === 1 ? aligned[0].map(function (a) { return a.slice(); }) : uPlot.join(aligned, modes);
    var series = [];
    tables.forEach(function (t) { series = series.concat(t.series); });
    return {data: data, series: series};
  }

  // -- plugins -------------------------------------------------------------------------
  function markersPlugin(getPayload) {
    return {hooks: {draw: function (u) {
      var ctx = u.ctx, p = getPayload(), runs = p.runs, pr = uPlot.pxRatio;
      var colors = p.run_colors || ["#d62728"];
      ctx.save();
      ctx.textAlign = "left"; ctx.textBaseline = "alphabetic";
      runs.forEach(function (run, ri) {
        // GC cycles: ticks along the bottom of the plot
        var gts = col(run.gc, "t_s");
        ctx.strokeStyle = "rgba(120,120,120,0.55)"; ctx.lineWidth = 1 * pr;
        var bottom = u.bbox.top + u.bbox.height;
        gts.forEach(function (t) {
          var x = Math.round(u.valToPos(t, "x", true));
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
          ctx.beginPath(); ctx.moveTo(x, bottom); ctx.lineTo(x, bottom - (8 + 4 * ri) * pr); ctx.stroke();
        });
        // events (exit, oom_kill, signal, memory_limit, ...): dashed verticals with a name
        var et = col(run.event, "t_s"), en = col(run.event, "name");
        ctx.setLineDash([3 * pr, 3 * pr]); ctx.strokeStyle = "#b44"; ctx.fillStyle = "#b44";
        ctx.font = (10 * pr) + "px sans-serif";
        et.forEach(function (t, i) {
          if (en[i] === "start") return;
          var x = Math.round(u.valToPos(t, "x", true));
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
          ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, bottom); ctx.stroke();
          ctx.fillText(en[i] || "event", x + 3 * pr, bottom - (16 + 12 * ri) * pr);
        });
        ctx.setLineDash([]);
        // the peak
        var pk = run.peak;
        if (pk && pk.t_s != null) {
          var px = u.valToPos(pk.t_s, "x", true), py = u.valToPos(pk.bytes, "y", true);
          if (px >= u.bbox.left && px <= u.bbox.left + u.bbox.width) {
            var pc = runs.length > 1 ? colors[ri % colors.length] : "#d62728";
            ctx.strokeStyle = pc; ctx.fillStyle = pc; ctx.lineWidth = 2 * pr;
            ctx.beginPath(); ctx.arc(px, py, 6 * pr, 0, 2 * Math.PI); ctx.stroke();
            ctx.font = "bold " + (12 * pr) + "px sans-serif";
            var txt = (runs.length > 1 ? run.label + ": " : "") + "peak " + pk.what + " " + fmtBytes(pk.bytes) + " @ " + (+pk.t_s).toFixed(2) + " s";
            var w = ctx.measureText(txt).width;
            var tx = Math.min(px + 10 * pr, u.bbox.left + u.bbox.width - w - 4 * pr);
            var hasBd = runs.length === 1 && pk.breakdown && Object.keys(pk.breakdown).length;
            var ty = runs.length > 1 ? u.bbox.top + (14 + 16 * ri) * pr
                                     : Math.max(py - (hasBd ? 26 : 10) * pr, u.bbox.top + 14 * pr);
            ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(tx - 2 * pr, ty - 12 * pr, w + 4 * pr, 16 * pr);
            ctx.fillStyle = pc; ctx.fillText(txt, tx, ty);
            // one run: the breakdown of the peak (explain) on a line below
            var bd = pk.breakdown || {}, parts = [];
            if (runs.length === 1) {
              Object.keys(bd).forEach(function (k) {
                if (bd[k] >= 0.01 * pk.bytes && parts.length < 5)
                  parts.push(k.replace(/_bytes$/, "").replace(/_/g, " ") + " " + fmtBytes(bd[k]));
              });
            }
            if (parts.length) {
              ctx.font = (11 * pr) + "px sans-serif";
              var t2 = "= " + parts.join(" + "), w2 = ctx.measureText(t2).width;
              var tx2 = Math.max(u.bbox.left + 2 * pr, Math.min(tx, u.bbox.left + u.bbox.width - w2 - 4 * pr));
              var ty2 = ty + 15 * pr;
              ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(tx2 - 2 * pr, ty2 - 11 * pr, w2 + 4 * pr, 15 * pr);
              ctx.fillStyle = pc; ctx.fillText(t2, tx2, ty2);
            }
          }
        }
      });
      ctx.restore();
    }}};
  }

  function makeChart(el, title, built, yOpts, width, height, plugins, syncKey, xRange) {
    var opts = {
      title: title, width: width, height: height,
      scales: {x: {time: false}, y: yOpts.scale || {}},
      axes: [{label: "seconds since start", values: function (u, vals) { return vals.map(function (v) { return v + " s"; }); }},
             {size: 80, values: yOpts.values, splits: yOpts.splits, label: yOpts.label}],
      series: [{label: "t", value: function (u, v) { return fmtSec(v); }}].concat(built.series),
      cursor: {sync: {key: syncKey}, drag: {x: true, y: false}},
      legend: {live: true},
      plugins: plugins || [],
    };
    return new uPlot(opts, built.data, el);
  }

  function create(root, payload, options) {
    options = options || {};
    var state = {payload: payload, charts: {}, els: {}};
    var metricsById = {};
    (payload.metrics || []).forEach(function (m) { metricsById[m.id] = m; });
    var syncKey = "gomem-" + Math.random().toString(36).slice(2);

    function width() { return Math.max(480, (root.clientWidth || 900) - 8); }

    function build() {
      var runs = state.payload.runs, xr = xRangeOf(runs);
      var mem = [], cpu = [];
      runs.forEach(function (run, ri) {
        var t = runTables(run, ri, runs.length, metricsById, xr, state.payload.run_colors);
        mem = mem.concat(t.mem); cpu = cpu.concat(t.cpu);
      });
      return {mem: join(mem), cpu: join(cpu)};
    }

    function render() {
      var b = build();
      var xr = function () { return xRangeOf(state.payload.runs); };
      Object.keys(state.charts).forEach(function (k) { state.charts[k].destroy(); });
      root.innerHTML = "";
      state.charts = {}; state.built = b;
      var memEl = document.createElement("div"); memEl.className = "gomem-chart"; memEl.id = "chart-memory";
      var cpuEl = document.createElement("div"); cpuEl.className = "gomem-chart"; cpuEl.id = "chart-gccpu";
      root.appendChild(memEl); root.appendChild(cpuEl);
      var byteAxis = {values: function (u, vals) { return vals.map(fmtBytes); }, splits: byteSplits, label: "bytes",
                      scale: {range: function (u, lo, hi) {
                        // room above the data for the peak labels
                        var n = state.payload.runs.length;
                        return [0, Math.max(hi, 1) * (n > 1 ? 1.06 + 0.07 * n : 1.16)]; }}};
      state.charts.memory = makeChart(memEl, "Memory", b.mem, byteAxis, width(), options.memHeight || 420,
                                      [markersPlugin(function () { return state.payload; })], syncKey, xr);
      if (b.cpu.series.length) {
        state.charts.gccpu = makeChart(cpuEl, "GC CPU", b.cpu,
          {values: function (u, vals) { return vals.map(function (v) { return v + " %"; }); }, label: "% of CPU",
           scale: {range: function (u, lo, hi) { return [0, Math.max(hi, 1) * 1.15]; }}},
          width(), options.cpuHeight || 180, [], syncKey, xr);
      }
      fullX();
    }

    function fullX() {
      // both charts span the whole recording (unless the user zoomed in)
      var r = xRangeOf(state.payload.runs);
      if (!r) return;
      Object.keys(state.charts).forEach(function (k) { state.charts[k].setScale("x", {min: r[0], max: r[1]}); });
    }

    function refresh() {
      // new data: keep the user's zoom if there is one
      var b = build(), mem = state.charts.memory;
      if (!mem || b.mem.series.length !== state.built.mem.series.length ||
          b.cpu.series.length !== state.built.cpu.series.length || (b.cpu.series.length && !state.charts.gccpu)) {
        return render();
      }
      state.built = b;
      var zoomed = state.zoomed;
      mem.setData(b.mem.data, !zoomed);
      if (state.charts.gccpu) state.charts.gccpu.setData(b.cpu.data, !zoomed);
      if (!zoomed) fullX();
    }

    state.render = render;
    state.refresh = refresh;
    state.append = function (ri, chunk) {
      var run = state.payload.runs[ri];
      ["gc", "memstats", "rss", "event"].forEach(function (k) {
        var c = chunk[k];
        if (!c || !c.t_s || !c.t_s.length) return;
        run[k] = run[k] || {};
        Object.keys(c).forEach(function (name) { run[k][name] = (run[k][name] || []).concat(c[name]); });
      });
      ["limits", "peak", "explain", "summary", "meta", "notes"].forEach(function (k) { if (k in chunk) run[k] = chunk[k]; });
    };
    state.setRun = function (ri, run) { state.payload.runs[ri] = run; };
    state.counts = function () {
      // non-missing points per series of each chart (what tests compare with the recording)
      var out = {};
      Object.keys(state.charts).forEach(function (name) {
        var u = state.charts[name];
        out[name] = u.series.slice(1).map(function (s, i) {
          var ys = u.data[i + 1] || [], n = 0;
          for (var j = 0; j < ys.length; j++) if (ys[j] != null) n++;
          return {label: s.label, run: s.gomem ? s.gomem.run : null, metric: s.gomem ? s.gomem.metric : null, points: n};
        });
      });
      return out;
    };
    render();
    window.addEventListener("resize", function () {
      Object.keys(state.charts).forEach(function (k) { state.charts[k].setSize({width: width(), height: state.charts[k].height}); });
    });
    root.addEventListener("dblclick", function () { state.zoomed = false; setTimeout(fullX, 0); });
    root.addEventListener("mouseup", function () {
      var u = state.charts.memory;
      if (u && u.scales.x && state.built.mem.data[0].length) {
        var xs = state.built.mem.data[0];
        var r = xRangeOf(state.payload.runs) || [xs[0], xs[xs.length - 1]];
        state.zoomed = u.scales.x.min > r[0] + 1e-9 || u.scales.x.max < r[1] - 1e-9;
      }
    });
    return state;
  }

  window.GomemCharts = {create: create, fmtBytes: fmtBytes};
})();
