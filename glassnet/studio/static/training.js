/* glassnet Studio: the Training view (presets, controls, curves, graph, gradient flow, layers). */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});
  const { element, fmt, COLORS } = Studio.draw;
  const store = Studio.store;

  const view = { charts: {}, selected: {}, fetching: false, fetchAgain: false, records: {} };

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, params) {
    return Studio.i18n.t(key, params);
  }

  function currentRun() {
    return store.currentRun ? store.runs[store.currentRun] : null;
  }

  function trainingRuns() {
    return store.order.map((id) => store.runs[id]).filter((run) => run && run.kind !== "playground");
  }

  /* ------------------------------------------------------------ snapshot bookkeeping */

  function ensureCurves(run) {
    run.curves = run.curves || {};
    run.curves.batch = run.curves.batch || { step: [] };
    run.curves.batch.step = run.curves.batch.step || [];
    run.curves.epoch = run.curves.epoch || { epoch: [] };
    run.curves.epoch.epoch = run.curves.epoch.epoch || [];
    run.layer_scalars = run.layer_scalars || {};
    run.layers = run.layers || {};
  }

  /** Append one row to a column table {x: [...], key: [...]}, keeping columns equal length. */
  function appendRow(table, xKey, x, values) {
    const length = table[xKey].length;
    if (length && table[xKey][length - 1] >= x) return false;
    table[xKey].push(x);
    for (const [key, value] of Object.entries(values)) {
      if (key === xKey) continue;
      if (!table[key]) table[key] = new Array(length).fill(null);
      table[key].push(value === undefined ? null : value);
    }
    for (const key of Object.keys(table)) {
      if (table[key].length < length + 1) table[key].push(null);
    }
    return true;
  }

  function onBatch(run, data) {
    ensureCurves(run);
    const values = Object.assign({}, data.logs || {});
    values.epoch = data.epoch;
    values.learning_rate = data.learning_rate;
    if (appendRow(run.curves.batch, "step", data.step, values)) {
      run.last_batch = data;
      if (data.learning_rate !== null && data.learning_rate !== undefined) {
        run.current_lr = data.learning_rate;
      }
    }
  }

  function onEpoch(run, data) {
    ensureCurves(run);
    appendRow(run.curves.epoch, "epoch", data.epoch, data.logs || {});
  }

  function onLayers(run, data) {
    ensureCurves(run);
    for (const [layer, scalars] of Object.entries(data.scalars || {})) {
      const table = run.layer_scalars[layer] = run.layer_scalars[layer] ||
        { step: [], mean_abs_delta: [], mean_abs_grad: [], update_ratio: [] };
      appendRow(table, "step", data.step, { mean_abs_delta: scalars.mean_abs_delta,
        mean_abs_grad: scalars.mean_abs_grad, update_ratio: scalars.update_ratio });
    }
    run.last_layers_step = data.step;
  }

  /* ------------------------------------------------------------ rendering */

  function renderPresets() {
    const select = $("preset-select");
    const previous = select.value;
    select.innerHTML = "";
    for (const preset of store.presets) {
      select.appendChild(element("option", { value: preset.name,
        text: Studio.i18n.pick(preset.title) + " (" + preset.name + ")" }));
    }
    if (previous && store.presets.some((preset) => preset.name === previous)) {
      select.value = previous;
    }
    const chosen = store.presets.find((preset) => preset.name === select.value);
    $("preset-description").textContent = chosen ? Studio.i18n.pick(chosen.description) : "";
  }

  /** The run's title in the page's language (presets carry a bilingual one). */
  function runTitle(run) {
    return run.params && run.params.title ? Studio.i18n.pick(run.params.title) : run.name;
  }

  function renderRunSelect() {
    const select = $("run-select");
    select.innerHTML = "";
    const runs = trainingRuns();
    if (!runs.length) {
      select.appendChild(element("option", { value: "", text: t("train.no_runs") }));
    }
    for (const run of runs) {
      select.appendChild(element("option", { value: run.id, text: run.id + " · " +
        runTitle(run) + " · " + t("status." + run.status) }));
    }
    if (store.currentRun) select.value = store.currentRun;
    const run = currentRun();
    const badge = $("run-status");
    badge.dataset.status = run ? run.status : "none";
    badge.textContent = run ? t("status." + run.status) : "";
    const paused = run && run.status === "paused";
    const running = run && run.status === "running";
    $("btn-pause").disabled = !running;
    $("btn-resume").disabled = !paused;
    $("btn-step").disabled = !(paused || running);
    $("lr-apply").disabled = !(paused || running);
  }

  function lastOf(array) {
    return array && array.length ? array[array.length - 1] : null;
  }

  function renderSummary() {
    const box = $("run-summary");
    const run = currentRun();
    box.innerHTML = "";
    if (!run) return;
    ensureCurves(run);
    const batch = run.curves.batch;
    const items = [
      ["status-step", t("train.s_step"), lastOf(batch.step)],
      ["status-epoch", t("train.s_epoch"), lastOf(run.curves.epoch.epoch)],
      ["status-loss", t("train.s_loss"), fmt(lastOf(batch.loss), 4)],
      ["status-lr", t("train.s_learning_rate"), fmt(run.current_lr !== undefined ?
        run.current_lr : lastOf(batch.learning_rate), 4)],
    ];
    for (const [id, label, value] of items) {
      box.appendChild(element("span", { class: "summary-item" }, [label + " ",
        element("b", { id, text: value === null || value === undefined ? "–" : String(value) })]));
    }
    if (run.error) {
      box.appendChild(element("span", { class: "summary-error",
        text: Studio.i18n.pick(run.error) }));
    }
    const input = $("lr-input");
    const lr = run.current_lr !== undefined ? run.current_lr : lastOf(batch.learning_rate);
    if (document.activeElement !== input && lr !== null && !input.dataset.edited) {
      input.value = String(Number(lr.toPrecision(6)));
    }
  }

  function seriesFor(table, xKey, skip) {
    return Object.keys(table).filter((key) => key !== xKey && !(skip || []).includes(key));
  }

  function renderCurves() {
    const run = currentRun();
    const batchChart = view.charts.batch;
    const epochChart = view.charts.epoch;
    if (!run) {
      batchChart.reset();
      epochChart.reset();
      return;
    }
    ensureCurves(run);
    const batch = run.curves.batch;
    const names = seriesFor(batch, "step", ["learning_rate", "epoch"]);
    const spec = { x: t("train.axis_step"), series: names.map((name, index) => ({ label: name,
      color: COLORS[index % COLORS.length] })), scales: {} };
    const data = [batch.step.slice()].concat(names.map((name) => batch[name].slice()));
    if (batch.learning_rate) {
      spec.scales.lr = { label: t("train.s_learning_rate") };
      spec.series.push({ label: t("train.s_learning_rate"), color: "#9333ea", scale: "lr",
        dash: [4, 3] });
      data.push(batch.learning_rate.slice());
    }
    batchChart.schedule(spec, data);
    const epoch = run.curves.epoch;
    const epochNames = seriesFor(epoch, "epoch");
    const bases = [];
    for (const name of epochNames) {
      const base = name.startsWith("val_") ? name.slice(4) : name;
      if (!bases.includes(base)) bases.push(base);
    }
    const epochSpec = { x: t("train.axis_epoch"), series: epochNames.map((name) => ({
      label: name, color: COLORS[bases.indexOf(name.startsWith("val_") ? name.slice(4) : name) %
        COLORS.length], dash: name.startsWith("val_") ? [6, 4] : undefined, width: 2 })) };
    epochChart.schedule(epochSpec, [epoch.epoch.slice()].concat(epochNames.map((name) =>
      epoch[name].slice())));
  }

  function orderedLayers(run) {
    const nodes = run.graph && run.graph.nodes ? run.graph.nodes.map((node) => node.id) : [];
    const names = Object.keys(run.layer_scalars || {});
    return nodes.filter((id) => names.includes(id)).concat(names.filter((id) =>
      !nodes.includes(id)));
  }

  function renderGradientFlow() {
    const run = currentRun();
    const table = $("grad-table");
    table.innerHTML = "";
    if (!run) {
      view.charts.grad.reset();
      view.charts.delta.reset();
      return;
    }
    ensureCurves(run);
    const layers = orderedLayers(run);
    const steps = [...new Set(layers.flatMap((layer) => run.layer_scalars[layer].step))]
      .sort((a, b) => a - b);
    for (const [chart, field] of [[view.charts.grad, "mean_abs_grad"],
      [view.charts.delta, "mean_abs_delta"]]) {
      const data = [steps];
      const series = [];
      layers.forEach((layer, index) => {
        const scalars = run.layer_scalars[layer];
        const byStep = new Map(scalars.step.map((step, i) => [step, scalars[field][i]]));
        const column = steps.map((step) => {
          const value = byStep.get(step);
          return value && value > 0 ? value : null;
        });
        if (column.every((value) => value === null)) return;
        data.push(column);
        series.push({ label: layer, color: COLORS[index % COLORS.length] });
      });
      if (!series.length) {
        chart.reset();
        continue;
      }
      chart.schedule({ x: t("train.axis_step"), log: true, series }, data);
    }
    const head = element("tr", {}, [element("th", { text: t("train.layer") }),
      element("th", { text: t("train.mean_abs_grad") }),
      element("th", { text: t("train.mean_abs_delta") }),
      element("th", { text: t("layer.s_update_ratio") }),
      element("th", { class: "bar-head", text: t("train.grad_scale") })]);
    table.appendChild(head);
    const latest = layers.map((layer) => {
      const scalars = run.layer_scalars[layer];
      return { layer, grad: lastOf(scalars.mean_abs_grad), delta: lastOf(scalars.mean_abs_delta),
        ratio: lastOf(scalars.update_ratio) };
    });
    const logs = latest.filter((row) => row.grad > 0).map((row) => Math.log10(row.grad));
    const top = logs.length ? Math.max(...logs) : 0;
    const bottom = logs.length ? Math.min(...logs, top - 1) : -1;
    for (const row of latest) {
      const share = row.grad > 0 ? (Math.log10(row.grad) - bottom) / ((top - bottom) || 1) : 0;
      const fill = element("span", { class: "bar-fill" });
      fill.style.width = Math.max(share * 100, 2).toFixed(1) + "%";
      const selected = view.selected[run.id] === row.layer;
      table.appendChild(element("tr", { "data-layer": row.layer, class: selected ? "selected" : "",
        onclick: () => selectLayer(row.layer) }, [
        element("td", { class: "mono", text: row.layer }),
        element("td", { class: "mono", "data-field": "mean_abs_grad", "data-value": row.grad,
          text: fmt(row.grad, 3) }),
        element("td", { class: "mono", "data-field": "mean_abs_delta", "data-value": row.delta,
          text: fmt(row.delta, 3) }),
        element("td", { class: "mono", "data-field": "update_ratio", "data-value": row.ratio,
          text: fmt(row.ratio, 3) }),
        element("td", { class: "bar-cell" }, [element("span", { class: "bar-track" }, [fill])])]));
    }
  }

  function latestScalars(run) {
    const out = {};
    for (const [layer, scalars] of Object.entries(run.layer_scalars || {})) {
      out[layer] = { mean_abs_grad: lastOf(scalars.mean_abs_grad) };
    }
    return out;
  }

  function renderGraph() {
    const run = currentRun();
    const svg = $("graph");
    Studio.graph.renderModel(svg, run ? run.graph : null, { t,
      selected: run ? view.selected[run.id] : null, onSelect: selectLayer,
      scalars: run ? latestScalars(run) : {} });
    $("graph-total").textContent = run && run.graph ? t("graph.total", {
      params: (run.graph.total_params || 0).toLocaleString() }) : "";
  }

  function renderLayerPanel() {
    const run = currentRun();
    const layer = run ? view.selected[run.id] : null;
    const record = run && layer ? view.records[run.id + "/" + layer] ||
      (run.layers && run.layers[layer]) : null;
    Studio.layerPanel.render($("layer-panel"), record || null, t, { layer });
  }

  function defaultLayer(run) {
    const nodes = (run.graph && run.graph.nodes) || [];
    const withParams = nodes.find((node) => node.params > 0 && node.class !== "InputLayer");
    return withParams ? withParams.id : nodes.length ? nodes[0].id : null;
  }

  async function fetchLayer() {
    const run = currentRun();
    if (!run) return;
    const layer = view.selected[run.id];
    if (!layer) return;
    if (view.fetching) {
      view.fetchAgain = true;
      return;
    }
    view.fetching = true;
    try {
      const record = await Studio.api.get("api/runs/" + encodeURIComponent(run.id) + "/layers/" +
        encodeURIComponent(layer));
      view.records[run.id + "/" + layer] = record;
    } catch (error) {
      if (error.status !== 404) Studio.app.showError(error.text);
    } finally {
      view.fetching = false;
    }
    if (currentRun() === run && view.selected[run.id] === layer) renderLayerPanel();
    if (view.fetchAgain) {
      view.fetchAgain = false;
      fetchLayer();
    }
  }

  function selectLayer(layer) {
    const run = currentRun();
    if (!run) return;
    view.selected[run.id] = layer;
    renderGraph();
    renderGradientFlow();
    renderLayerPanel();
    fetchLayer();
  }

  function selectRun(runId) {
    store.currentRun = runId || null;
    const run = currentRun();
    if (run && !view.selected[run.id]) view.selected[run.id] = defaultLayer(run);
    $("lr-input").dataset.edited = "";
    render();
    if (run) {
      fetchLayer();
      Studio.samples.select(run.id);
    } else {
      Studio.samples.select(null);
    }
  }

  function render() {
    renderPresets();
    renderRunSelect();
    renderSummary();
    renderCurves();
    renderGraph();
    renderGradientFlow();
    renderLayerPanel();
  }

  /* ------------------------------------------------------------ events from the server */

  function handle(type, runId, data) {
    const run = store.runs[runId];
    if (!run || run.kind === "playground") return;
    const isCurrent = runId === store.currentRun;
    if (type === "batch") {
      onBatch(run, data);
      if (isCurrent) {
        renderCurves();
        renderSummary();
      }
    } else if (type === "epoch") {
      onEpoch(run, data);
      if (isCurrent) {
        renderCurves();
        renderSummary();
        Studio.samples.refresh(run.id);
      }
    } else if (type === "layers") {
      onLayers(run, data);
      if (isCurrent) {
        renderGradientFlow();
        renderGraph();
        fetchLayer();
      }
    } else if (type === "graph") {
      if (!view.selected[run.id]) view.selected[run.id] = defaultLayer(run);
      if (isCurrent) {
        renderGraph();
        renderLayerPanel();
        fetchLayer();
      }
    } else if (type === "status" || type === "error") {
      renderRunSelect();
      if (isCurrent) renderSummary();
    }
  }

  /* ------------------------------------------------------------ controls */

  async function control(action, value) {
    const run = currentRun();
    if (!run) return;
    try {
      const body = { action };
      if (value !== undefined) body.value = value;
      const answer = await Studio.api.post("api/runs/" + encodeURIComponent(run.id) + "/control",
        body);
      if (answer && answer.status && typeof answer.status === "string") {
        run.status = answer.status;
        renderRunSelect();
      }
    } catch (error) {
      Studio.app.showError(error.text);
    }
  }

  async function startPreset() {
    const name = $("preset-select").value;
    if (!name) return;
    $("preset-start").disabled = true;
    try {
      const answer = await Studio.api.post("api/presets/" + encodeURIComponent(name) + "/start",
        { quick: $("preset-quick").checked });
      store.wantRun = answer.run;
      if (store.runs[answer.run]) selectRun(answer.run);
    } catch (error) {
      Studio.app.showError(error.text);
    } finally {
      $("preset-start").disabled = false;
    }
  }

  function init() {
    view.charts.batch = new Studio.Chart($("curve-batch"), 230);
    view.charts.epoch = new Studio.Chart($("curve-epoch"), 200);
    view.charts.grad = new Studio.Chart($("chart-grad"), 220);
    view.charts.delta = new Studio.Chart($("chart-delta"), 220);
    $("preset-select").addEventListener("change", renderPresets);
    $("preset-start").addEventListener("click", startPreset);
    $("run-select").addEventListener("change", (event) => selectRun(event.target.value));
    $("btn-pause").addEventListener("click", () => control("pause"));
    $("btn-resume").addEventListener("click", () => control("resume"));
    $("btn-step").addEventListener("click", () => control("step"));
    $("lr-input").addEventListener("input", (event) => { event.target.dataset.edited = "1"; });
    const applyRate = () => {
      const value = Number($("lr-input").value);
      if (!(value > 0)) {
        Studio.app.showError(Studio.i18n.bilingual("train.lr_invalid"));
        return;
      }
      $("lr-input").dataset.edited = "";
      control("set_learning_rate", value);
    };
    $("lr-apply").addEventListener("click", applyRate);
    $("lr-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter") applyRate();
    });
    window.addEventListener("resize", () => Object.values(view.charts).forEach((c) => c.resize()));
  }

  function resize() {
    Object.values(view.charts).forEach((chart) => chart.resize());
  }

  function rebuildCharts() {
    Object.values(view.charts).forEach((chart) => chart.reset());
  }

  Studio.training = { init, render, handle, selectRun, selectLayer, resize, rebuildCharts,
    ensureCurves, view };
})();
