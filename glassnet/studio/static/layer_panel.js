/* glassnet Studio: the layer panel (histograms, scalars, neuron / conv / recurrent / BN views). */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});
  const { element, fmt, histogram, heatmap, bars } = Studio.draw;

  const HIST_COLORS = { input: "#64748b", z: "#0891b2", output: "#2563eb", delta: "#dc2626",
    weights: "#16a34a", grads: "#ea580c", update: "#9333ea" };

  function histCard(title, hist, color, t, key) {
    const canvas = element("canvas", { class: "hist", "data-hist": key });
    const stats = hist ? t("layer.hist_stats", { mean: fmt(hist.mean, 3), std: fmt(hist.std, 3),
      mean_abs: fmt(hist.mean_abs, 3) }) : t("layer.not_recorded");
    const card = element("div", { class: "hist-card" }, [
      element("div", { class: "hist-title", text: title }), canvas,
      element("div", { class: "hist-stats", text: stats })]);
    histogram(canvas, hist, { color, emptyText: t("layer.not_recorded") });
    return card;
  }

  function scalarTable(scalars, t) {
    const rows = [
      ["mean_abs_delta", "layer.s_mean_abs_delta"], ["mean_abs_grad", "layer.s_mean_abs_grad"],
      ["grad_norm", "layer.s_grad_norm"], ["weight_norm", "layer.s_weight_norm"],
      ["update_norm", "layer.s_update_norm"], ["update_ratio", "layer.s_update_ratio"]];
    const table = element("table", { class: "data-table scalars" });
    for (const [name, key] of rows) {
      table.appendChild(element("tr", { "data-scalar": name }, [
        element("th", { text: t(key) }),
        element("td", { text: fmt(scalars ? scalars[name] : null, 4) })]));
    }
    const ranks = scalars ? scalars.rank_grad_norms : null;
    if (ranks && ranks.length) {  // data parallel: what each rank's shard said, beside the mean
      table.appendChild(element("tr", { "data-scalar": "rank_grad_norms" }, [
        element("th", { text: t("layer.s_rank_grad_norms", { count: ranks.length }) }),
        element("td", { class: "mono", text: ranks.map((v) => fmt(v, 4)).join(", ") })]));
    }
    return table;
  }

  function neuronView(neurons, t) {
    const box = element("div", { class: "sub neurons", "data-view": "neurons" });
    box.appendChild(element("h3", { text: t("layer.neurons_title", { sample: neurons.sample }) }));
    box.appendChild(element("p", { class: "formula", text: t("layer.neurons_formula",
      { activation: neurons.activation || "linear" }) }));
    const x = neurons.x || [];
    box.appendChild(element("p", { class: "hint mono", text: "x = [" + x.map((v) => fmt(v, 3))
      .join(", ") + (neurons.n_inputs > x.length ? ", … " + t("layer.more_inputs",
      { count: neurons.n_inputs - x.length }) : "") + "]" }));
    const table = element("table", { class: "data-table neuron-table" });
    table.appendChild(element("tr", {}, [
      element("th", { text: t("layer.unit") }), element("th", { text: "z = w·x + b" }),
      element("th", { text: "a = f(z)" }), element("th", { text: "δ = dL/dz" })]));
    for (const unit of neurons.units || []) {
      const w = unit.w || [];
      const terms = w.slice(0, 3).map((weight, index) => fmt(weight, 3) + "·" + fmt(x[index], 3));
      const more = neurons.n_inputs > 3 ? " + …" : "";
      const sum = terms.join(" + ") + more + " + " + fmt(unit.b, 3) + " = " + fmt(unit.z, 4);
      table.appendChild(element("tr", { "data-unit": unit.index }, [
        element("td", { text: String(unit.index) }),
        element("td", { class: "mono", text: sum }),
        element("td", { class: "mono", text: (neurons.activation || "f") + "(" + fmt(unit.z, 4) +
          ") = " + fmt(unit.a, 4) }),
        element("td", { class: "mono", text: fmt(unit.delta, 4) })]));
    }
    box.appendChild(element("div", { class: "table-scroll short" }, [table]));
    return box;
  }

  function mapGrid(title, maps, t, options) {
    const box = element("div", { class: "map-block" });
    box.appendChild(element("h4", { text: title }));
    const grid = element("div", { class: "map-grid" });
    (maps || []).forEach((matrix, index) => {
      const canvas = element("canvas", { class: "map", "data-index": index });
      heatmap(canvas, matrix, options);
      grid.appendChild(element("figure", {}, [canvas,
        element("figcaption", { text: "#" + index })]));
    });
    if (!maps || !maps.length) grid.appendChild(element("span", { class: "hint",
      text: t("layer.not_recorded") }));
    box.appendChild(grid);
    return box;
  }

  function convView(conv, t) {
    const box = element("div", { class: "sub conv", "data-view": "conv" });
    box.appendChild(element("h3", { text: t("layer.conv_title", { sample: conv.sample }) }));
    box.appendChild(mapGrid(t("layer.feature_maps"), conv.feature_maps, t,
      { cell: 4, maxWidth: 96, maxHeight: 96 }));
    box.appendChild(mapGrid(t("layer.kernels"), conv.kernels, t,
      { cell: 12, maxWidth: 60, maxHeight: 60, mode: "diverging" }));
    return box;
  }

  function recurrentView(recurrent, t) {
    const box = element("div", { class: "sub recurrent", "data-view": "recurrent" });
    box.appendChild(element("h3", { text: t("layer.recurrent_title",
      { sample: recurrent.sample }) }));
    box.appendChild(element("p", { class: "hint", text: t("layer.recurrent_hint") }));
    const grid = element("div", { class: "map-grid" });
    for (const [gate, matrix] of Object.entries(recurrent.gates || {})) {
      const canvas = element("canvas", { class: "map gate", "data-gate": gate });
      // Rows are time steps: draw units across, time downwards.
      heatmap(canvas, matrix, { cell: 5, maxWidth: 170, maxHeight: 170 });
      const means = (recurrent.gate_means || {})[gate];
      const caption = t("layer.gate_" + gate) + (means && means.length ? " · " +
        t("layer.gate_mean_last", { value: fmt(means[means.length - 1], 3) }) : "");
      grid.appendChild(element("figure", {}, [canvas, element("figcaption", { text: caption })]));
    }
    box.appendChild(grid);
    return box;
  }

  function batchnormView(bn, t) {
    const box = element("div", { class: "sub batchnorm", "data-view": "batchnorm" });
    box.appendChild(element("h3", { text: t("layer.bn_title") }));
    const grid = element("div", { class: "bn-grid" });
    for (const [name, key] of [["moving_mean", "layer.bn_mean"],
      ["moving_variance", "layer.bn_variance"], ["gamma", "layer.bn_gamma"],
      ["beta", "layer.bn_beta"]]) {
      const values = (bn[name] || []).slice(0, 32);
      const container = element("div", { class: "bars compact", "data-bn": name });
      bars(container, values.map((value, index) => ({ label: index, value })), { digits: 2 });
      grid.appendChild(element("div", {}, [element("h4", { text: t(key) +
        ((bn[name] || []).length > 32 ? " " + t("layer.first_n", { count: 32 }) : "") }),
      container]));
    }
    box.appendChild(grid);
    return box;
  }

  /** Render a layer record (contract: "Layer step record") into the panel element. */
  function render(panel, record, t, meta) {
    panel.innerHTML = "";
    panel.appendChild(element("h2", { text: t("layer.title") + (record ? ": " + record.layer
      : "") }));
    if (!record) {
      panel.dataset.layer = meta && meta.layer ? meta.layer : "";
      panel.dataset.step = "";
      panel.appendChild(element("p", { class: "hint", text: meta && meta.layer
        ? t("layer.waiting", { layer: meta.layer }) : t("layer.none") }));
      return;
    }
    panel.dataset.layer = record.layer;
    panel.dataset.step = String(record.step);
    panel.appendChild(element("p", { class: "hint", text: t("layer.recorded_at",
      { cls: record.class, step: record.step }) }));
    const top = element("div", { class: "layer-top" });
    top.appendChild(scalarTable(record.scalars, t));
    const ratio = record.scalars ? record.scalars.update_ratio : null;
    top.appendChild(element("p", { class: "hint ratio-hint", text: ratio === null ||
      ratio === undefined ? t("layer.ratio_none") : t("layer.ratio_hint",
      { ratio: fmt(ratio, 3) }) }));
    panel.appendChild(top);
    const hist = record.hist || {};
    const grid = element("div", { class: "hist-grid" });
    for (const name of ["input", "z", "output", "delta"]) {
      grid.appendChild(histCard(t("layer.h_" + name), hist[name], HIST_COLORS[name], t, name));
    }
    for (const group of ["weights", "grads", "update"]) {
      for (const [weight, h] of Object.entries(hist[group] || {})) {
        grid.appendChild(histCard(t("layer.h_" + group) + " · " + weight, h, HIST_COLORS[group],
          t, group + ":" + weight));
      }
    }
    panel.appendChild(grid);
    if (record.neurons) panel.appendChild(neuronView(record.neurons, t));
    if (record.conv) panel.appendChild(convView(record.conv, t));
    if (record.recurrent) panel.appendChild(recurrentView(record.recurrent, t));
    if (record.batchnorm) panel.appendChild(batchnormView(record.batchnorm, t));
  }

  Studio.layerPanel = { render };
})();
