/* glassnet Studio: the backprop stepper (forward, backward, update: one node at a time). */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});
  const { element } = Studio.draw;
  const store = Studio.store;

  const state = { name: null, example: null, position: 0, cache: {}, loading: null };

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, params) {
    return Studio.i18n.t(key, params);
  }

  function pick(text) {
    return Studio.i18n.pick(text);
  }

  function columnLabel(column) {
    if (typeof column === "number") return t("stepper.iteration", { n: column });
    const key = "stepper.col_" + column;
    return Studio.i18n.has(key) ? t(key) : String(column);
  }

  function renderSelect() {
    const select = $("stepper-select");
    const previous = state.name || select.value;
    select.innerHTML = "";
    for (const example of store.examples || []) {
      select.appendChild(element("option", { value: example.name,
        text: pick(example.title) + " (" + example.name + ")" }));
    }
    if (previous && (store.examples || []).some((example) => example.name === previous)) {
      select.value = previous;
    }
  }

  function steps() {
    return state.example ? state.example.steps || [] : [];
  }

  function renderTable() {
    const table = $("stepper-table");
    table.innerHTML = "";
    const example = state.example;
    if (!example || !example.table) return;
    table.dataset.layout = example.table.layout || "";
    const columns = example.table.columns || [];
    const head = element("tr", {}, [element("th", { class: "corner",
      text: example.table.layout === "table_2_2" ? t("stepper.quantity") : t("stepper.node") })]);
    for (const column of columns) {
      head.appendChild(element("th", { "data-column": String(column), text: columnLabel(column) }));
    }
    table.appendChild(element("thead", {}, [head]));
    const filled = {};
    const fresh = new Set();
    steps().slice(0, state.position).forEach((step, index) => {
      for (const cell of step.cells || []) {
        const key = cell.row + "\u0000" + String(cell.column);
        filled[key] = cell.value;
        if (index === state.position - 1) fresh.add(key);
      }
    });
    const body = element("tbody");
    for (const row of example.table.rows || []) {
      const tr = element("tr", { "data-row": row.id }, [element("th", { class: "row-label",
        text: pick(row.label) })]);
      for (const column of columns) {
        const key = row.id + "\u0000" + String(column);
        const value = filled[key];
        tr.appendChild(element("td", { "data-row": row.id, "data-column": String(column),
          class: (value === undefined ? "empty" : "filled") + (fresh.has(key) ? " fresh" : ""),
          text: value === undefined ? "" : String(value) }));
      }
      body.appendChild(tr);
    }
    table.appendChild(body);
  }

  function renderGraph() {
    const example = state.example;
    const svg = $("stepper-graph");
    if (!example) {
      svg.innerHTML = "";
      return;
    }
    const values = {};
    const grads = {};
    for (const step of steps().slice(0, state.position)) {
      // The graph shows forward values and backward gradients (update steps change weights).
      if (!step.node) continue;
      const known = (v) => v !== null && v !== undefined;
      // An update step gives the node its new value (x ← x − Δx), except in the network
      // example, where it changes a weight into the node, not the node's output.
      const updatesNode = step.phase === "update" && example.table.layout !== "network";
      if ((step.phase === "forward" || updatesNode) && known(step.value)) {
        values[step.node] = step.value;
      }
      if (step.phase === "backward" && known(step.grad)) grads[step.node] = step.grad;
    }
    const current = state.position ? steps()[state.position - 1] : null;
    Studio.graph.renderStepper(svg, example.nodes || [], { current: current ? current.node : null,
      values, grads });
  }

  function renderCurrent() {
    const total = steps().length;
    $("stepper-position").textContent = state.example ? t("stepper.position",
      { k: state.position, n: total }) : "";
    $("stepper-position").dataset.position = String(state.position);
    const phase = $("stepper-phase");
    const text = $("stepper-text");
    text.innerHTML = "";
    const current = state.position ? steps()[state.position - 1] : null;
    phase.dataset.phase = current ? current.phase : "";
    phase.textContent = current ? t("stepper.phase_" + current.phase) : state.example
      ? t("stepper.start_hint") : "";
    const history = element("ol", { class: "step-history", start: Math.max(1,
      state.position - 7) });
    steps().slice(Math.max(0, state.position - 8), state.position).forEach((step) => {
      history.appendChild(element("li", { class: step === current ? "current" : "",
        "data-phase": step.phase, text: pick(step.text) }));
    });
    text.appendChild(history);
    $("stepper-back").disabled = state.position === 0;
    $("stepper-next").disabled = !state.example || state.position >= total;
    $("stepper-end").disabled = !state.example || state.position >= total;
    $("stepper-description").textContent = state.example ? pick(state.example.description) : "";
  }

  function renderUpdate() {
    const box = $("stepper-update");
    box.innerHTML = "";
    const example = state.example;
    if (!example || !example.update) return;
    const update = example.update;
    box.appendChild(element("div", { class: "formula big", text: update.formula }));
    box.appendChild(element("div", { class: "hint", text: t("stepper.learning_rate",
      { value: update.learning_rate }) }));
    const done = steps().slice(0, state.position);
    const reached = state.position >= steps().length && steps().length > 0 ||
      done.some((step) => step.phase === "update");
    box.dataset.shown = String(reached);
    if (!reached) {
      box.appendChild(element("p", { class: "hint", text: t("stepper.update_later") }));
      return;
    }
    const list = element("ul", { class: "update-lines" });
    for (const line of update.lines || []) list.appendChild(element("li", { class: "mono",
      text: pick(line) }));
    box.appendChild(list);
  }

  function render() {
    renderSelect();
    renderTable();
    renderGraph();
    renderCurrent();
    renderUpdate();
  }

  async function load(name) {
    if (!name) return;
    state.name = name;
    if (!state.cache[name]) {
      state.loading = name;
      try {
        state.cache[name] = await Studio.api.get("api/stepper/" + encodeURIComponent(name));
      } catch (error) {
        Studio.app.showError(error.text);
        return;
      }
    }
    if (state.name !== name) return;
    state.example = state.cache[name];
    state.position = 0;
    render();
  }

  function go(position) {
    if (!state.example) return;
    state.position = Math.max(0, Math.min(position, steps().length));
    render();
  }

  async function ensureExamples() {
    if (store.examples && store.examples.length) return;
    try {
      store.examples = await Studio.api.get("api/stepper");
    } catch (error) {
      Studio.app.showError(error.text);
    }
  }

  async function activate() {
    await ensureExamples();
    renderSelect();
    if (!state.example) await load($("stepper-select").value);
  }

  function init() {
    $("stepper-select").addEventListener("change", (event) => load(event.target.value));
    $("stepper-next").addEventListener("click", () => go(state.position + 1));
    $("stepper-back").addEventListener("click", () => go(state.position - 1));
    $("stepper-reset").addEventListener("click", () => go(0));
    $("stepper-end").addEventListener("click", () => go(steps().length));
    document.addEventListener("keydown", (event) => {
      if (Studio.app.activeTab() !== "stepper") return;
      if (event.target && /INPUT|SELECT|TEXTAREA/.test(event.target.tagName)) return;
      if (event.key === "ArrowRight") go(state.position + 1);
      if (event.key === "ArrowLeft") go(state.position - 1);
    });
  }

  Studio.stepper = { init, render, activate, load, go, state };
})();
