/* glassnet Studio: line charts on uPlot (vendored from npm, see tools/studio_frontend). */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});

  /**
   * A chart that keeps one uPlot instance per container and rebuilds it only when the set of
   * series changes. spec: {x: label, series: [{label, color, scale, dash}], log: bool,
   * scales: {name: {log}}, height}. data: [xs, ys1, ys2, ...] (equal lengths).
   */
  class Chart {
    constructor(container, height) {
      this.container = container;
      this.height = height || 220;
      this.plot = null;
      this.key = null;
      this.data = null;
      this.pending = null;
      this.timer = null;
    }

    width() {
      const width = this.container.clientWidth;
      return width > 50 ? width : 560;
    }

    build(spec, data) {
      if (this.plot) this.plot.destroy();
      this.container.innerHTML = "";
      const scales = { x: { time: false,
        range: (u, low, high) => (low === high ? [low - 1, high + 1] : [low, high]) } };
      const axes = [{ label: spec.x, size: 34, grid: { stroke: "#eef0f3" },
        stroke: "#6b7280" }];
      const yScale = spec.log ? { distr: 3, log: 10 } : {};
      scales.y = yScale;
      const decade = (v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-6;
      axes.push({ scale: "y", size: 58, grid: { stroke: "#eef0f3" }, stroke: "#6b7280",
        values: spec.log
          ? (u, values) => values.map((v) => (v > 0 && decade(v) ? v.toExponential(0) : ""))
          : (u, values) => values.map((v) => Studio.draw.fmt(v, 2)) });
      for (const [name, options] of Object.entries(spec.scales || {})) {
        scales[name] = options.log ? { distr: 3 } : {};
        axes.push({ scale: name, side: 1, size: 58, grid: { show: false }, stroke: "#9333ea",
          label: options.label, values: (u, values) => values.map((v) => Studio.draw.fmt(v, 2)) });
      }
      const series = [{ label: spec.x }];
      for (const item of spec.series) {
        series.push({ label: item.label, stroke: item.color, width: item.width || 1.6,
          scale: item.scale || "y", dash: item.dash, spanGaps: true,
          points: { show: (u) => u.data[0].length < 4, size: 7 },
          value: (u, v) => Studio.draw.fmt(v, 4) });
      }
      this.plot = new window.uPlot({ width: this.width(), height: this.height, scales, axes,
        series, legend: { live: true }, cursor: { drag: { x: true, y: false } } },
      data, this.container);
      this.data = data;
    }

    /** Show data now (rebuilding when the series changed). */
    set(spec, data) {
      const key = JSON.stringify([spec.x, spec.log, spec.series.map((s) => [s.label, s.scale,
        s.color]), Object.keys(spec.scales || {})]);
      if (!this.plot || key !== this.key) {
        this.key = key;
        this.build(spec, data);
      } else {
        this.plot.setData(data);
        this.data = data;
      }
      this.container.dataset.points = String(data[0] ? data[0].length : 0);
    }

    /** Coalesce frequent updates (many batches a second) into one redraw per 150 ms. */
    schedule(spec, data) {
      this.pending = [spec, data];
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = null;
        const [s, d] = this.pending;
        this.set(s, d);
      }, 150);
    }

    resize() {
      if (this.plot) this.plot.setSize({ width: this.width(), height: this.height });
    }

    reset() {
      if (this.plot) this.plot.destroy();
      this.plot = null;
      this.key = null;
      this.container.innerHTML = "";
      this.container.dataset.points = "0";
    }
  }

  Studio.Chart = Chart;
})();
