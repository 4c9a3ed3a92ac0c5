/* glassnet Studio: graphs drawn as SVG (the model's layers; the stepper's computation graph). */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});
  const SVG = "http://www.w3.org/2000/svg";

  const KIND_COLORS = { dense: "#2563eb", conv: "#16a34a", pool: "#0891b2",
    recurrent: "#9333ea", normalization: "#ea580c", dropout: "#6b7280", other: "#64748b",
    input: "#94a3b8" };

  function svgNode(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(key, String(value));
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Depth of every node (longest path from a source), given ids and [from, to] edges. */
  function depths(ids, edges) {
    const depth = {};
    ids.forEach((id) => { depth[id] = 0; });
    const incoming = {};
    ids.forEach((id) => { incoming[id] = []; });
    for (const [from, to] of edges) {
      if (incoming[to] && depth[from] !== undefined) incoming[to].push(from);
    }
    // Relax in rounds (graphs here are small and acyclic).
    for (let round = 0; round < ids.length; round += 1) {
      let changed = false;
      for (const id of ids) {
        for (const from of incoming[id]) {
          if (depth[from] + 1 > depth[id]) {
            depth[id] = depth[from] + 1;
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    return depth;
  }

  function shape(outputShape) {
    if (!outputShape) return "";
    return "(" + outputShape.map((d) => (d === null ? "None" : d)).join(", ") + ")";
  }

  function compact(count) {
    if (count >= 1e6) return (count / 1e6).toFixed(2) + "M";
    if (count >= 1e4) return (count / 1e3).toFixed(1) + "k";
    return String(count);
  }

  function arrowMarker(svg, id, color) {
    const defs = svgNode("defs");
    const marker = svgNode("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(svgNode("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: color }));
    defs.appendChild(marker);
    svg.appendChild(defs);
  }

  /**
   * Draw a model graph {nodes, edges}. options: {selected, onSelect(id), scalars: {id: {...}},
   * t: translate function}. Nodes are <g class="node" data-layer="id">.
   */
  function renderModel(svg, graph, options) {
    const opts = options || {};
    const t = opts.t || ((key) => key);
    svg.innerHTML = "";
    if (!graph || !graph.nodes || !graph.nodes.length) {
      svg.setAttribute("width", 260);
      svg.setAttribute("height", 40);
      svg.appendChild(svgNode("text", { x: 8, y: 24, class: "graph-empty" }, t("graph.empty")));
      return;
    }
    const ids = graph.nodes.map((node) => node.id);
    const edges = graph.edges && graph.edges.length ? graph.edges
      : ids.slice(1).map((id, index) => [ids[index], id]);
    const depth = depths(ids, edges);
    const rows = {};
    for (const id of ids) (rows[depth[id]] = rows[depth[id]] || []).push(id);
    const boxWidth = 236;
    const boxHeight = 58;
    const gapY = 22;
    const gapX = 14;
    const widest = Math.max(...Object.values(rows).map((row) => row.length));
    const width = Math.max(widest * (boxWidth + gapX) + gapX, 260);
    const rowCount = Math.max(...Object.keys(rows).map(Number)) + 1;
    const height = rowCount * (boxHeight + gapY) + gapY;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    arrowMarker(svg, "graph-arrow", "#94a3b8");
    const position = {};
    for (const [rowIndex, row] of Object.entries(rows)) {
      const rowWidth = row.length * (boxWidth + gapX) - gapX;
      row.forEach((id, index) => {
        position[id] = { x: (width - rowWidth) / 2 + index * (boxWidth + gapX),
          y: gapY + Number(rowIndex) * (boxHeight + gapY) };
      });
    }
    const edgeLayer = svgNode("g", { class: "edges" });
    for (const [from, to] of edges) {
      if (!position[from] || !position[to]) continue;
      const a = position[from];
      const b = position[to];
      const x1 = a.x + boxWidth / 2;
      const y1 = a.y + boxHeight;
      const x2 = b.x + boxWidth / 2;
      const y2 = b.y - 2;
      const middle = (y1 + y2) / 2;
      edgeLayer.appendChild(svgNode("path", { class: "edge", "marker-end": "url(#graph-arrow)",
        d: `M ${x1} ${y1} C ${x1} ${middle}, ${x2} ${middle}, ${x2} ${y2}` }));
    }
    svg.appendChild(edgeLayer);
    const scalars = opts.scalars || {};
    for (const node of graph.nodes) {
      const p = position[node.id];
      const kind = node.class === "InputLayer" ? "input" : (node.kind || "other");
      const group = svgNode("g", { class: "node" + (node.id === opts.selected ? " selected" : ""),
        "data-layer": node.id, "data-kind": kind, transform: `translate(${p.x}, ${p.y})`,
        tabindex: 0, role: "button" });
      group.appendChild(svgNode("rect", { class: "node-box", width: boxWidth, height: boxHeight,
        rx: 7, ry: 7 }));
      group.appendChild(svgNode("rect", { width: 5, height: boxHeight - 10, x: 5, y: 5, rx: 2,
        fill: KIND_COLORS[kind] || KIND_COLORS.other }));
      const title = node.id + "  ·  " + node.class + (node.activation ? "(" + node.activation + ")"
        : "");
      group.appendChild(svgNode("text", { x: 16, y: 18, class: "node-title" }, title));
      const detail = shape(node.output_shape) + "   " + t("graph.params") + " " +
        compact(node.params || 0);
      group.appendChild(svgNode("text", { x: 16, y: 35, class: "node-detail" }, detail));
      const layerScalars = scalars[node.id];
      if (layerScalars && layerScalars.mean_abs_grad !== null &&
          layerScalars.mean_abs_grad !== undefined) {
        group.appendChild(svgNode("text", { x: 16, y: 51, class: "node-grad" },
          t("graph.mean_abs_grad") + " " + Studio.draw.fmt(layerScalars.mean_abs_grad, 2)));
      }
      const tooltip = svgNode("title", {}, title + "\n" + detail);
      group.appendChild(tooltip);
      const select = () => opts.onSelect && opts.onSelect(node.id);
      group.addEventListener("click", select);
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") select();
      });
      svg.appendChild(group);
    }
  }

  /**
   * Draw the stepper's computation graph: nodes [{id, label, op, inputs}], left to right.
   * state: {current: id|null, values: {id: value}, grads: {id: grad}}.
   */
  function renderStepper(svg, nodes, state) {
    svg.innerHTML = "";
    if (!nodes || !nodes.length) return;
    const ids = nodes.map((node) => node.id);
    const edges = [];
    for (const node of nodes) {
      for (const input of node.inputs || []) edges.push([input, node.id]);
    }
    const depth = depths(ids, edges);
    const columns = {};
    for (const id of ids) (columns[depth[id]] = columns[depth[id]] || []).push(id);
    const boxWidth = 124;
    const boxHeight = 58;
    const gapX = 34;
    const gapY = 16;
    const columnCount = Math.max(...Object.keys(columns).map(Number)) + 1;
    const tallest = Math.max(...Object.values(columns).map((column) => column.length));
    const width = columnCount * (boxWidth + gapX) + gapX / 2;
    const height = tallest * (boxHeight + gapY) + gapY;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.style.maxWidth = "100%";
    svg.style.height = "auto";
    arrowMarker(svg, "stepper-arrow", "#94a3b8");
    const position = {};
    for (const [columnIndex, column] of Object.entries(columns)) {
      const columnHeight = column.length * (boxHeight + gapY) - gapY;
      column.forEach((id, index) => {
        position[id] = { x: gapX / 2 + Number(columnIndex) * (boxWidth + gapX),
          y: (height - columnHeight) / 2 + index * (boxHeight + gapY) };
      });
    }
    const current = state && state.current;
    for (const [from, to] of edges) {
      const a = position[from];
      const b = position[to];
      if (!a || !b) continue;
      const active = from === current || to === current;
      svg.appendChild(svgNode("path", { class: "edge" + (active ? " active" : ""),
        "marker-end": "url(#stepper-arrow)",
        d: `M ${a.x + boxWidth} ${a.y + boxHeight / 2} C ${a.x + boxWidth + gapX / 2} ` +
          `${a.y + boxHeight / 2}, ${b.x - gapX / 2} ${b.y + boxHeight / 2}, ${b.x - 2} ` +
          `${b.y + boxHeight / 2}` }));
    }
    const values = (state && state.values) || {};
    const grads = (state && state.grads) || {};
    for (const node of nodes) {
      const p = position[node.id];
      const classes = ["node"];
      if (node.id === current) classes.push("current");
      if (values[node.id] !== undefined) classes.push("known");
      const group = svgNode("g", { class: classes.join(" "), "data-node": node.id,
        transform: `translate(${p.x}, ${p.y})` });
      group.appendChild(svgNode("rect", { class: "node-box", width: boxWidth, height: boxHeight,
        rx: 8, ry: 8 }));
      group.appendChild(svgNode("text", { x: boxWidth / 2, y: 19, class: "node-title",
        "text-anchor": "middle" }, node.label || node.id));
      if (values[node.id] !== undefined) {
        group.appendChild(svgNode("text", { x: boxWidth / 2, y: 36, class: "node-value",
          "text-anchor": "middle" }, "= " + Studio.draw.fmt(values[node.id], 5)));
      }
      if (grads[node.id] !== undefined) {
        group.appendChild(svgNode("text", { x: boxWidth / 2, y: 51, class: "node-grad",
          "text-anchor": "middle" }, "∂ " + Studio.draw.fmt(grads[node.id], 5)));
      }
      svg.appendChild(group);
    }
  }

  Studio.graph = { renderModel, renderStepper, depths, KIND_COLORS };
})();
