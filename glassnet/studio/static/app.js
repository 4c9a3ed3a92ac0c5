/* glassnet Studio: start-up, tabs, language, the snapshot and the push channel. */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});
  const store = Studio.store;
  const app = { tab: "training", error: null, errorTimer: null, loaded: false, buffer: [],
    source: null, hadError: false, connection: "connecting" };

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, params) {
    return Studio.i18n.t(key, params);
  }

  /* ------------------------------------------------------------ errors and connection */

  function showError(text) {
    app.error = text || null;
    const bar = $("error-bar");
    if (!app.error) {
      bar.hidden = true;
      return;
    }
    bar.textContent = Studio.i18n.pick(app.error);
    bar.hidden = false;
    clearTimeout(app.errorTimer);
    app.errorTimer = setTimeout(() => showError(null), 10000);
  }

  function setConnection(value) {
    app.connection = value;
    const badge = $("connection");
    badge.dataset.state = value;
    badge.dataset.i18n = "conn." + value;
    badge.textContent = t("conn." + value);
  }

  /* ------------------------------------------------------------ tabs and language */

  function activeTab() {
    return app.tab;
  }

  function showTab(name) {
    app.tab = name;
    for (const button of document.querySelectorAll(".tab")) {
      const active = button.dataset.tab === name;
      button.classList.toggle("active", active);
      button.setAttribute("aria-selected", String(active));
    }
    for (const section of document.querySelectorAll(".view")) {
      const active = section.dataset.view === name;
      section.hidden = !active;
      section.classList.toggle("active", active);
    }
    if (window.location.hash !== "#" + name) {
      history.replaceState(null, "", window.location.pathname + window.location.search + "#" +
        name);
    }
    if (name === "training") Studio.training.resize();
    if (name === "playground") Studio.playground.resize();
    if (name === "stepper") Studio.stepper.activate();
  }

  function renderAll() {
    Studio.i18n.apply(document);
    setConnection(app.connection);
    Studio.training.rebuildCharts();
    Studio.training.render();
    Studio.samples.rerender();
    Studio.stepper.render();
    Studio.playground.render();
    if (app.error) showError(app.error);
  }

  function toggleLanguage() {
    Studio.i18n.setLanguage(Studio.i18n.language() === "en" ? "zh" : "en");
    renderAll();
  }

  /* ------------------------------------------------------------ snapshot and events */

  function addRun(snapshot) {
    if (!snapshot || !snapshot.id) return null;
    Studio.training.ensureCurves(snapshot);
    store.runs[snapshot.id] = snapshot;
    if (!store.order.includes(snapshot.id)) store.order.push(snapshot.id);
    return snapshot;
  }

  function newestRun(kind) {
    const ids = store.order.filter((id) => {
      const run = store.runs[id];
      return kind === "playground" ? run.kind === "playground" : run.kind !== "playground";
    });
    return ids.length ? ids[ids.length - 1] : null;
  }

  async function loadState() {
    let snapshot;
    try {
      snapshot = await Studio.api.get("api/state");
    } catch (error) {
      showError(error.text);
      return;
    }
    store.presets = snapshot.presets || [];
    store.examples = snapshot.examples || store.examples || [];
    store.runs = {};
    store.order = [];
    for (const run of snapshot.runs || []) addRun(run);
    if (typeof snapshot.seq === "number") store.lastSeq = Math.max(store.lastSeq || 0,
      snapshot.seq);
    const keep = store.currentRun && store.runs[store.currentRun] ? store.currentRun : null;
    Studio.training.selectRun(keep || newestRun("training"));
    const playgroundRun = Studio.playground.state.runId && store.runs[
      Studio.playground.state.runId] ? Studio.playground.state.runId : newestRun("playground");
    if (playgroundRun) Studio.playground.adopt(store.runs[playgroundRun]);
    Studio.stepper.render();
    app.loaded = true;
    document.body.dataset.ready = "1";
    const buffered = app.buffer;
    app.buffer = [];
    for (const [type, data, seq] of buffered) dispatch(type, data, seq);
  }

  function unwrap(type, data) {
    if (data && typeof data === "object" && "data" in data && "type" in data && "seq" in data) {
      return { run: data.run, data: data.data, seq: data.seq };
    }
    if (data && typeof data === "object" && data.run !== undefined) {
      return { run: data.run, data, seq: null };
    }
    // A payload without its run: the newest run of the kind this event can come from.
    const kind = type === "playground" ? "playground" : null;
    const runId = kind ? newestRun("playground") : store.order[store.order.length - 1];
    return { run: runId || null, data, seq: null };
  }

  function dispatch(type, raw, seq) {
    if (!app.loaded) {
      app.buffer.push([type, raw, seq]);
      return;
    }
    const event = unwrap(type, raw);
    const runId = event.run;
    const data = event.data || {};
    if (type === "run") {
      const known = store.runs[data.id];
      const run = known || addRun(data);
      if (!run) return;
      if (run.kind === "playground") {
        if (Studio.playground.state.runId === run.id) Studio.playground.handle(type, run.id, data);
      } else {
        const current = store.currentRun ? store.runs[store.currentRun] : null;
        const idle = !current || !["running", "paused"].includes(current.status);
        if (store.wantRun === run.id || idle) Studio.training.selectRun(run.id);
        else Studio.training.render();
      }
      return;
    }
    if (type === "resync") {
      loadState();
      return;
    }
    const run = store.runs[runId];
    if (!run) return;
    if (type === "graph") {
      run.graph = data;
      Studio.training.handle(type, runId, data);
      return;
    }
    if (type === "status") {
      if (typeof data.status === "string") run.status = data.status;
      if (data.error !== undefined) run.error = data.error;
      if (typeof data.learning_rate === "number") run.current_lr = data.learning_rate;
    } else if (type === "error") {
      run.error = data.error || data;
      if (data.status) run.status = data.status;
      showError(run.error);
    }
    Studio.training.handle(type, runId, data);
    Studio.playground.handle(type, runId, data);
  }

  function connect() {
    app.source = Studio.api.connect(store.lastSeq, {
      onEvent: (type, data, seq) => {
        if (seq !== null && store.lastSeq !== null && seq <= store.lastSeq) return;
        if (seq !== null) store.lastSeq = seq;
        dispatch(type, data, seq);
      },
      onOpen: () => {
        setConnection("connected");
        if (app.hadError) {
          app.hadError = false;
          loadState();
        }
      },
      onError: () => {
        app.hadError = true;
        setConnection("reconnecting");
      },
    });
  }

  /* ------------------------------------------------------------ start */

  function boot() {
    Studio.i18n.init();
    Studio.i18n.apply(document);
    Studio.training.init();
    Studio.samples.init();
    Studio.stepper.init();
    Studio.playground.init();
    for (const button of document.querySelectorAll(".tab")) {
      button.addEventListener("click", () => showTab(button.dataset.tab));
    }
    $("lang-toggle").addEventListener("click", toggleLanguage);
    $("error-bar").addEventListener("click", () => showError(null));
    const hash = window.location.hash.replace("#", "");
    showTab(["training", "stepper", "playground"].includes(hash) ? hash : "training");
    setConnection("connecting");
    connect();
    loadState();
  }

  Studio.app = { showError, activeTab, showTab, renderAll, loadState, state: app };
  window.glassnetStudio = Studio;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
