/* glassnet Studio: the 2-D playground (real glassnet training on the server, drawn live). */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});
  const { element, fmt, heatmap } = Studio.draw;
  const store = Studio.store;

  const CLASS_COLORS = [[234, 88, 12], [37, 99, 235], [22, 163, 74], [147, 51, 234],
    [219, 39, 119], [8, 145, 178], [202, 138, 4], [71, 85, 105]];
  const state = { runId: null, grid: null, curve: null, uploads: [], epochs: { epoch: [],
    loss: [], val_loss: [] }, lastLoss: null };

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, params) {
    return Studio.i18n.t(key, params);
  }

  /* ------------------------------------------------------------ spec from the controls */

  function hiddenLayers() {
    const text = $("pg-hidden").value.trim();
    if (!text) return [];
    return text.split(/[\s,;]+/).filter(Boolean).map((part) => Number(part));
  }

  function spec() {
    const regularization = $("pg-regularization").value || null;
    return {
      dataset: $("pg-dataset").value,
      noise: Number($("pg-noise").value),
      samples: Number($("pg-samples").value),
      hidden: hiddenLayers(),
      activation: $("pg-activation").value,
      optimizer: $("pg-optimizer").value,
      learning_rate: Number($("pg-lr").value),
      batch_size: Number($("pg-batch").value),
      epochs: Number($("pg-epochs").value),
      regularization,
      regularization_rate: Number($("pg-reg-rate").value),
      validation_split: 0.2,
      seed: Number($("pg-seed").value),
    };
  }

  /* ------------------------------------------------------------ drawing */

  function mix(color, weight) {
    return color.map((c) => Math.round(255 + (c - 255) * weight));
  }

  function boundaryColor(value, classes) {
    if (value === null || value === undefined) return [255, 255, 255];
    if (classes <= 2) {
      const signed = value * 2 - 1;
      const color = signed < 0 ? CLASS_COLORS[0] : CLASS_COLORS[1];
      return mix(color, Math.min(Math.abs(signed), 1) * 0.55);
    }
    const index = Math.round(value * (classes - 1));
    return mix(CLASS_COLORS[index % CLASS_COLORS.length], 0.4);
  }

  function drawBoundary() {
    const canvas = $("pg-canvas");
    const size = 420;
    const context = Studio.draw.prepareCanvas(canvas, size, size);
    const grid = state.grid;
    context.fillStyle = "#f8fafc";
    context.fillRect(0, 0, size, size);
    if (!grid || !grid.boundary) {
      canvas.dataset.drawn = "0";
      context.fillStyle = "#9ca3af";
      context.font = "13px sans-serif";
      context.textAlign = "center";
      context.fillText(t("pg.empty"), size / 2, size / 2);
      return;
    }
    const n = grid.boundary.length;
    // Rows run from the top (x2 = ymax) down, columns from xmin to the right.
    Studio.draw.paintCells(context, n, n,
      (row, column) => boundaryColor(grid.boundary[row][column], grid.classes || 2),
      [0, 0, size, size], true);
    const [xmin, xmax, ymin, ymax] = grid.extent;
    for (const [x1, x2, label] of grid.points || []) {
      const px = ((x1 - xmin) / (xmax - xmin)) * size;
      const py = size - ((x2 - ymin) / (ymax - ymin)) * size;
      const color = CLASS_COLORS[label % CLASS_COLORS.length];
      context.beginPath();
      context.arc(px, py, 3.2, 0, Math.PI * 2);
      context.fillStyle = `rgb(${color.join(",")})`;
      context.fill();
      context.lineWidth = 1;
      context.strokeStyle = "#ffffff";
      context.stroke();
    }
    canvas.dataset.drawn = String(Number(canvas.dataset.drawn || 0) + 1);
  }

  function drawNeurons() {
    const box = $("pg-neurons");
    box.innerHTML = "";
    const grid = state.grid;
    if (!grid || !grid.neurons || !grid.neurons.length) {
      box.appendChild(element("p", { class: "hint", text: t("pg.neurons_empty") }));
      return;
    }
    grid.neurons.forEach((layer, layerIndex) => {
      const column = element("div", { class: "pg-layer", "data-layer": layerIndex });
      column.appendChild(element("div", { class: "hist-title",
        text: t("pg.layer_n", { n: layerIndex + 1 }) }));
      for (const neuron of layer) {
        const canvas = element("canvas", { class: "neuron-map", "data-unit": neuron.unit,
          title: t("pg.neuron_title", { layer: layerIndex + 1, unit: neuron.unit + 1 }) });
        heatmap(canvas, neuron.map || [], { cell: 3, maxWidth: 64, maxHeight: 64 });
        column.appendChild(canvas);
      }
      box.appendChild(column);
    });
  }

  function renderStats() {
    const run = state.runId ? store.runs[state.runId] : null;
    const epochs = state.epochs;
    const last = epochs.epoch.length - 1;
    $("pg-epoch").textContent = last >= 0 ? String(epochs.epoch[last]) : "–";
    $("pg-loss").textContent = state.lastLoss === null ? "–" : fmt(state.lastLoss, 4);
    $("pg-loss").dataset.value = state.lastLoss === null ? "" : String(state.lastLoss);
    const val = last >= 0 ? epochs.val_loss[last] : null;
    $("pg-val-loss").textContent = fmt(val, 4);
    const badge = $("pg-status");
    badge.dataset.status = run ? run.status : "none";
    badge.textContent = run ? t("status." + run.status) : "";
    const active = run && (run.status === "running" || run.status === "paused");
    $("pg-pause").disabled = !(run && run.status === "running");
    $("pg-resume").disabled = !(run && run.status === "paused");
    $("pg-step").disabled = !active;
    $("pg-export").disabled = false;
  }

  function renderCurve() {
    if (!state.curve) return;
    const epochs = state.epochs;
    if (!epochs.epoch.length) {
      state.curve.reset();
      return;
    }
    state.curve.schedule({ x: t("train.axis_epoch"), series: [
      { label: t("pg.loss"), color: "#2563eb", width: 2 },
      { label: t("pg.val_loss"), color: "#dc2626", dash: [6, 4], width: 2 }] },
    [epochs.epoch.slice(), epochs.loss.slice(), epochs.val_loss.slice()]);
  }

  function render() {
    drawBoundary();
    drawNeurons();
    renderStats();
    if (state.curve) state.curve.reset();
    renderCurve();
    const select = $("pg-dataset");
    for (const option of select.querySelectorAll("option[data-upload]")) {
      option.textContent = t("pg.ds_upload", { count: option.dataset.count,
        classes: option.dataset.classes });
    }
  }

  /* ------------------------------------------------------------ server events */

  function recordEpoch(epoch, logs) {
    const epochs = state.epochs;
    if (epochs.epoch.length && epochs.epoch[epochs.epoch.length - 1] >= epoch) return;
    epochs.epoch.push(epoch);
    epochs.loss.push(logs.loss === undefined ? null : logs.loss);
    epochs.val_loss.push(logs.val_loss === undefined ? null : logs.val_loss);
    if (logs.loss !== undefined && logs.loss !== null) state.lastLoss = logs.loss;
  }

  function handle(type, runId, data) {
    if (runId !== state.runId) return;
    if (type === "playground") {
      state.grid = data;
      if (data.epoch !== undefined && data.logs) recordEpoch(data.epoch, data.logs);
      else if (data.loss !== undefined && data.loss !== null) state.lastLoss = data.loss;
      drawBoundary();
      drawNeurons();
      renderStats();
      renderCurve();
    } else if (type === "epoch") {
      recordEpoch(data.epoch, data.logs || {});
      renderStats();
      renderCurve();
    } else if (type === "batch") {
      if (!state.epochs.epoch.length && data.logs && data.logs.loss !== undefined) {
        state.lastLoss = data.logs.loss;
        renderStats();
      }
    } else if (type === "status" || type === "error" || type === "run") {
      renderStats();
    }
  }

  /** Adopt a playground run from a snapshot (page reload while it trains). */
  function adopt(run) {
    state.runId = run.id;
    state.epochs = { epoch: [], loss: [], val_loss: [] };
    state.lastLoss = null;
    const epoch = run.curves && run.curves.epoch;
    if (epoch && epoch.epoch) {
      epoch.epoch.forEach((value, index) => recordEpoch(value, {
        loss: epoch.loss ? epoch.loss[index] : null,
        val_loss: epoch.val_loss ? epoch.val_loss[index] : null }));
    }
    if (run.playground) state.grid = run.playground;
    render();
  }

  /* ------------------------------------------------------------ actions */

  async function start() {
    $("pg-start").disabled = true;
    try {
      const answer = await Studio.api.post("api/playground/start", spec());
      state.runId = answer.run;
      state.grid = null;
      state.epochs = { epoch: [], loss: [], val_loss: [] };
      state.lastLoss = null;
      $("pg-export-card").hidden = true;
      render();
    } catch (error) {
      Studio.app.showError(error.text);
    } finally {
      $("pg-start").disabled = false;
    }
  }

  async function control(action) {
    if (!state.runId) return;
    try {
      const answer = await Studio.api.post("api/runs/" + encodeURIComponent(state.runId) +
        "/control", { action });
      const run = store.runs[state.runId];
      if (run && answer && typeof answer.status === "string") run.status = answer.status;
      renderStats();
    } catch (error) {
      Studio.app.showError(error.text);
    }
  }

  async function exportScript() {
    if (!state.runId) {
      Studio.app.showError(Studio.i18n.bilingual("pg.export_need_run"));
      return;
    }
    try {
      const answer = await Studio.api.get("api/playground/export", { run: state.runId });
      $("pg-script").textContent = answer.script;
      $("pg-export-card").hidden = false;
      $("pg-export-card").scrollIntoView({ block: "nearest" });
    } catch (error) {
      Studio.app.showError(error.text);
    }
  }

  async function copyScript() {
    const text = $("pg-script").textContent;
    const button = $("pg-copy");
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      const range = document.createRange();
      range.selectNodeContents($("pg-script"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.execCommand("copy");
    }
    button.textContent = t("pg.copied");
    setTimeout(() => { button.textContent = t("pg.copy"); }, 1500);
  }

  async function upload(event) {
    const file = event.target.files && event.target.files[0];
    const status = $("pg-upload-status");
    if (!file) return;
    if (file.size > 1 << 20) {
      status.textContent = t("pg.upload_too_big");
      return;
    }
    const text = await file.text();
    try {
      const answer = await Studio.api.post("api/playground/upload", text, "text/csv");
      const select = $("pg-dataset");
      const option = element("option", { value: answer.dataset, "data-upload": "1",
        "data-count": answer.count, "data-classes": answer.classes,
        text: t("pg.ds_upload", { count: answer.count, classes: answer.classes }) });
      select.appendChild(option);
      select.value = answer.dataset;
      status.textContent = t("pg.upload_ok", { name: file.name, count: answer.count,
        classes: answer.classes });
      status.dataset.ok = "1";
    } catch (error) {
      status.textContent = Studio.i18n.pick(error.text);
      status.dataset.ok = "0";
    }
  }

  function changeLayers(delta) {
    const layers = hiddenLayers().filter((n) => Number.isFinite(n));
    if (delta > 0 && layers.length < 6) layers.push(layers.length ? layers[layers.length - 1] : 4);
    if (delta < 0) layers.pop();
    $("pg-hidden").value = layers.join(",");
  }

  function init() {
    state.curve = new Studio.Chart($("pg-curve"), 180);
    $("pg-start").addEventListener("click", start);
    $("pg-pause").addEventListener("click", () => control("pause"));
    $("pg-resume").addEventListener("click", () => control("resume"));
    $("pg-step").addEventListener("click", () => control("step"));
    $("pg-export").addEventListener("click", exportScript);
    $("pg-copy").addEventListener("click", copyScript);
    $("pg-upload").addEventListener("change", upload);
    $("pg-layer-add").addEventListener("click", () => changeLayers(1));
    $("pg-layer-remove").addEventListener("click", () => changeLayers(-1));
    $("pg-noise").addEventListener("input", (event) => {
      $("pg-noise-value").textContent = event.target.value;
    });
    render();
  }

  function resize() {
    if (state.curve) state.curve.resize();
  }

  Studio.playground = { init, render, handle, adopt, resize, spec, state };
})();
