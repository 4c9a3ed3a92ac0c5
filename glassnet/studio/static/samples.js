/* glassnet Studio: the sample inspector (one validation sample through every layer). */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});
  const { element, fmt, histogram, heatmap, bars, image } = Studio.draw;

  const state = { runId: null, list: null, view: null, error: null, index: 0 };

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, params) {
    return Studio.i18n.t(key, params);
  }

  function renderList() {
    const list = $("misclassified");
    list.innerHTML = "";
    const count = $("sample-count");
    if (state.error) {
      count.textContent = Studio.i18n.pick(state.error);
      return;
    }
    if (!state.list) {
      count.textContent = "";
      return;
    }
    count.textContent = t("sample.count", { count: state.list.count,
      wrong: (state.list.misclassified || []).length });
    $("sample-index").max = Math.max(state.list.count - 1, 0);
    for (const item of state.list.misclassified || []) {
      const chip = element("li", { class: "chip" + (item.index === state.index ? " active" : ""),
        "data-index": item.index, tabindex: 0, role: "button",
        title: t("sample.chip_title", { label: item.label, predicted: item.predicted,
          confidence: fmt(item.confidence, 3) }),
        onclick: () => show(item.index) }, [
        element("b", { text: "#" + item.index }),
        " " + item.label + "→" + item.predicted]);
      list.appendChild(chip);
    }
    if (!(state.list.misclassified || []).length) {
      list.appendChild(element("li", { class: "hint", text: t("sample.none_wrong") }));
    }
  }

  function renderView() {
    const view = state.view;
    const canvas = $("sample-canvas");
    const probs = $("sample-probs");
    const layers = $("sample-layers");
    const label = $("sample-label");
    layers.innerHTML = "";
    probs.innerHTML = "";
    if (!view) {
      Studio.draw.prepareCanvas(canvas, 168, 168);
      label.textContent = "";
      return;
    }
    const input = view.input || {};
    if (input.kind === "image") {
      canvas.hidden = false;
      image(canvas, input.pixels || [], 168);
    } else {
      heatmap(canvas, [input.values || []], { stretch: true, maxWidth: 168, maxHeight: 24 });
    }
    const correct = view.label === null || view.label === undefined ? null
      : view.label === view.predicted;
    label.textContent = t("sample.verdict", { index: view.index,
      label: view.label === null || view.label === undefined ? "–" : view.label,
      predicted: view.predicted }) + (correct === null ? "" : correct ? " ✓" : " ✗");
    label.dataset.correct = String(correct);
    const probabilities = view.probabilities || [];
    // A probability distribution is drawn on 0..1; any other output relative to its largest.
    const total = probabilities.reduce((sum, value) => sum + value, 0);
    const distribution = probabilities.every((value) => value >= 0) && Math.abs(total - 1) < 1e-3;
    bars(probs, probabilities.map((value, index) => ({ label: index, value,
      highlight: index === view.predicted })), { max: distribution ? 1
      : Math.max(...probabilities.map(Math.abs), 1e-12) });
    for (const layer of view.layers || []) {
      const card = element("div", { class: "sample-layer", "data-layer": layer.layer });
      card.appendChild(element("div", { class: "hist-title", text: layer.layer }));
      if (layer.feature_maps && layer.feature_maps.length) {
        const grid = element("div", { class: "map-grid tight" });
        layer.feature_maps.slice(0, 8).forEach((matrix) => {
          const map = element("canvas", { class: "map" });
          heatmap(map, matrix, { cell: 2, maxWidth: 48, maxHeight: 48 });
          grid.appendChild(map);
        });
        card.appendChild(grid);
      } else if (layer.values && layer.values.length) {
        const strip = element("canvas", { class: "strip" });
        heatmap(strip, [layer.values], { stretch: true, maxWidth: 200, maxHeight: 12 });
        card.appendChild(strip);
      }
      const hist = element("canvas", { class: "hist" });
      histogram(hist, layer.output, { width: 200, height: 60, color: "#2563eb" });
      card.appendChild(hist);
      if (layer.output) {
        card.appendChild(element("div", { class: "hist-stats", text: t("layer.hist_stats",
          { mean: fmt(layer.output.mean, 3), std: fmt(layer.output.std, 3),
            mean_abs: fmt(layer.output.mean_abs, 3) }) }));
      }
      layers.appendChild(card);
    }
  }

  async function refresh(runId) {
    if (runId !== undefined) state.runId = runId;
    if (!state.runId) return;
    try {
      state.list = await Studio.api.get("api/runs/" + encodeURIComponent(state.runId) +
        "/samples");
      state.error = null;
    } catch (error) {
      state.list = null;
      state.error = error.text || { en: String(error), zh: String(error) };
    }
    renderList();
    if (state.list && state.list.count && !state.view) await show(state.index);
  }

  async function show(index) {
    if (!state.runId) return;
    const value = Number(index === undefined ? $("sample-index").value : index);
    state.index = Number.isFinite(value) ? value : 0;
    $("sample-index").value = state.index;
    try {
      state.view = await Studio.api.get("api/runs/" + encodeURIComponent(state.runId) +
        "/samples/" + state.index);
      state.error = null;
    } catch (error) {
      state.view = null;
      state.error = error.text || { en: String(error), zh: String(error) };
    }
    renderList();
    renderView();
  }

  /** Switch to another run: clear and load its list and first sample (if it has samples). */
  async function select(runId) {
    if (runId === state.runId) return;
    state.runId = runId;
    state.list = null;
    state.view = null;
    state.error = null;
    state.index = 0;
    renderList();
    renderView();
    if (!runId) return;
    await refresh();
  }

  function init() {
    $("sample-show").addEventListener("click", () => show());
    $("sample-refresh").addEventListener("click", () => refresh());
    $("sample-index").addEventListener("keydown", (event) => {
      if (event.key === "Enter") show();
    });
  }

  function rerender() {
    renderList();
    renderView();
  }

  Studio.samples = { init, refresh, show, select, rerender, state };
})();
