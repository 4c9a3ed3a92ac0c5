/* glassnet Studio: small drawing helpers (canvas histograms, heatmaps, bars, number format). */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});

  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2",
    "#db2777", "#65a30d", "#4f46e5", "#b45309", "#0f766e", "#be123c", "#7c3aed", "#15803d"];

  /** A short, readable number: 4 significant digits, exponent form for tiny or huge values. */
  function fmt(value, digits) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    if (typeof value !== "number") return String(value);
    const places = digits === undefined ? 4 : digits;
    if (value === 0) return "0";
    const magnitude = Math.abs(value);
    if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(Math.max(places - 2, 1));
    return String(Number(value.toPrecision(places)));
  }

  /** Fixed decimals (as the seeds print them), e.g. fixed(4, 3) -> "4.000". */
  function fixed(value, places) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    return Number(value).toFixed(places === undefined ? 3 : places);
  }

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function prepareCanvas(canvas, width, height) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    return context;
  }

  /** Draw a histogram {counts, edges, min, max, mean, std} into a canvas. */
  function histogram(canvas, hist, options) {
    const opts = Object.assign({ width: 220, height: 90, color: "#2563eb" }, options || {});
    const context = prepareCanvas(canvas, opts.width, opts.height);
    if (!hist || !hist.counts || !hist.counts.length) {
      context.fillStyle = "#9ca3af";
      context.font = "11px sans-serif";
      context.fillText(opts.emptyText || "–", 8, opts.height / 2);
      return;
    }
    const bottom = opts.height - 14;
    const maxCount = Math.max(...hist.counts, 1);
    const barWidth = opts.width / hist.counts.length;
    context.fillStyle = opts.color;
    hist.counts.forEach((count, index) => {
      const barHeight = (count / maxCount) * (bottom - 4);
      context.fillRect(index * barWidth + 0.5, bottom - barHeight, Math.max(barWidth - 1, 1),
        barHeight);
    });
    const edges = hist.edges || [];
    const low = edges.length ? edges[0] : hist.min;
    const high = edges.length ? edges[edges.length - 1] : hist.max;
    if (low < 0 && high > 0) {
      const zero = ((0 - low) / (high - low)) * opts.width;
      context.strokeStyle = "#9ca3af";
      context.setLineDash([2, 2]);
      context.beginPath();
      context.moveTo(zero, 0);
      context.lineTo(zero, bottom);
      context.stroke();
      context.setLineDash([]);
    }
    context.fillStyle = "#6b7280";
    context.font = "10px sans-serif";
    context.textAlign = "left";
    context.fillText(fmt(low, 3), 1, opts.height - 3);
    context.textAlign = "right";
    context.fillText(fmt(high, 3), opts.width - 1, opts.height - 3);
  }

  /** Diverging blue-white-red colour for v in [-1, 1]. */
  function diverging(v) {
    const t = Math.max(-1, Math.min(1, v));
    if (t >= 0) return [255 - Math.round(35 * t), 255 - Math.round(170 * t), 255 - Math.round(180 * t)];
    const s = -t;
    return [255 - Math.round(218 * s), 255 - Math.round(156 * s), 255 - Math.round(20 * s)];
  }

  /** Sequential white-to-indigo colour for t in [0, 1]. */
  function sequential(t) {
    const s = Math.max(0, Math.min(1, t));
    return [Math.round(255 - 200 * s), Math.round(255 - 190 * s), Math.round(255 - 80 * s)];
  }

  // Paint a rows x columns grid of colours (colorAt(r, c) -> [r, g, b]) into the canvas
  // context, scaled to the box (x, y, width, height): one pixel per cell, then drawn larger.
  function paintCells(context, rows, columns, colorAt, box, smooth) {
    const image = context.createImageData(columns, rows);
    for (let r = 0; r < rows; r += 1) {
      for (let c = 0; c < columns; c += 1) {
        const rgb = colorAt(r, c);
        const offset = (r * columns + c) * 4;
        image.data[offset] = rgb[0];
        image.data[offset + 1] = rgb[1];
        image.data[offset + 2] = rgb[2];
        image.data[offset + 3] = 255;
      }
    }
    const scratch = document.createElement("canvas");
    scratch.width = columns;
    scratch.height = rows;
    scratch.getContext("2d").putImageData(image, 0, 0);
    context.imageSmoothingEnabled = Boolean(smooth);
    context.drawImage(scratch, box[0], box[1], box[2], box[3]);
  }

  /** Draw a matrix (rows of numbers) as a heatmap; colour "diverging" (around 0) or "sequential". */
  function heatmap(canvas, matrix, options) {
    const opts = Object.assign({ cell: 4, mode: "auto", maxWidth: 160, maxHeight: 160 },
      options || {});
    const rows = matrix ? matrix.length : 0;
    const columns = rows ? (matrix[0].length || 0) : 0;
    if (!rows || !columns) {
      prepareCanvas(canvas, 24, 24);
      return;
    }
    const cell = Math.max(1, Math.min(opts.cell, Math.floor(opts.maxWidth / columns) || 1,
      Math.floor(opts.maxHeight / rows) || 1));
    const width = opts.stretch ? opts.maxWidth : columns * cell;
    const height = opts.stretch ? opts.maxHeight : rows * cell;
    const context = prepareCanvas(canvas, width, height);
    let low = Infinity;
    let high = -Infinity;
    for (const row of matrix) {
      for (const value of row) {
        if (value === null) continue;
        if (value < low) low = value;
        if (value > high) high = value;
      }
    }
    if (!Number.isFinite(low)) {
      low = 0;
      high = 1;
    }
    const mode = opts.mode === "auto" ? (low < 0 ? "diverging" : "sequential") : opts.mode;
    const bound = Math.max(Math.abs(low), Math.abs(high)) || 1;
    paintCells(context, rows, columns, (r, c) => {
      const value = matrix[r][c] === null ? 0 : matrix[r][c];
      return mode === "diverging" ? diverging(value / bound)
        : sequential(opts.range ? (value - opts.range[0]) / (opts.range[1] - opts.range[0])
          : (value - low) / ((high - low) || 1));
    }, [0, 0, width, height], false);
    canvas.dataset.min = String(low);
    canvas.dataset.max = String(high);
  }

  /** Horizontal bars: items [{label, value, highlight}], values in [0, max]. */
  function bars(container, items, options) {
    const opts = Object.assign({ max: null, digits: 3, signed: false }, options || {});
    container.innerHTML = "";
    const max = opts.max !== null ? opts.max
      : Math.max(...items.map((item) => Math.abs(item.value || 0)), 1e-12);
    for (const item of items) {
      const share = Math.min(Math.abs(item.value || 0) / max, 1);
      const fill = element("div", { class: "bar-fill" + (item.value < 0 ? " negative" : "") });
      fill.style.width = (share * 100).toFixed(1) + "%";
      container.appendChild(element("div", {
        class: "bar-row" + (item.highlight ? " highlight" : ""), "data-label": item.label,
        "data-value": item.value }, [
        element("span", { class: "bar-label", text: String(item.label) }),
        element("span", { class: "bar-track" }, [fill]),
        element("span", { class: "bar-value", text: fmt(item.value, opts.digits + 1) }),
      ]));
    }
  }

  /** Draw an image {pixels: HxW or HxWx3} scaled into the canvas. */
  function image(canvas, pixels, size) {
    const rows = pixels.length;
    const columns = rows ? pixels[0].length : 0;
    const side = size || 168;
    const context = prepareCanvas(canvas, side, side);
    if (!rows || !columns) return;
    let low = Infinity;
    let high = -Infinity;
    for (const row of pixels) {
      for (const value of row) {
        for (const v of [].concat(value)) {
          if (v < low) low = v;
          if (v > high) high = v;
        }
      }
    }
    const span = high - low || 1;
    const scale = Math.min(side / columns, side / rows);
    paintCells(context, rows, columns, (r, c) => {
      const value = pixels[r][c];
      return Array.isArray(value) ? value.map((v) => ((v - low) / span) * 255)
        : [1, 1, 1].map(() => 255 - ((value - low) / span) * 255);
    }, [(side - columns * scale) / 2, (side - rows * scale) / 2, columns * scale,
      rows * scale], false);
  }

  Studio.draw = { COLORS, fmt, fixed, element, prepareCanvas, paintCells, histogram, heatmap,
    bars, image, diverging, sequential };
})();
