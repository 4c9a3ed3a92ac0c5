/* glassnet Studio: talking to the local server.
 *
 * Every request carries the page's access token (?token=...), which the server injected into
 * index.html. The push channel is Server-Sent Events (EventSource reconnects by itself and
 * sends Last-Event-ID, so no event is lost while the server keeps it).
 */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});

  function readToken() {
    const meta = document.querySelector('meta[name="glassnet-token"]');
    const fromMeta = meta ? meta.getAttribute("content") : "";
    if (fromMeta && fromMeta.indexOf("__GLASSNET") !== 0) return fromMeta;
    return new URLSearchParams(window.location.search).get("token") || "";
  }

  const token = readToken();

  /** A same-origin URL for an API path with the token and optional query parameters. */
  function url(path, params) {
    const query = new URLSearchParams(params || {});
    query.set("token", token);
    return path + (path.indexOf("?") >= 0 ? "&" : "?") + query.toString();
  }

  /** An Error carrying the server's bilingual message ({en, zh}) and the HTTP status. */
  class ApiError extends Error {
    constructor(status, text) {
      super(typeof text === "string" ? text : (text && text.en) || "error " + status);
      this.status = status;
      this.text = text;
    }
  }

  async function parse(response) {
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response.ok) {
      const text = body && body.error ? body.error : { en: "HTTP " + response.status,
        zh: "HTTP 错误 " + response.status };
      throw new ApiError(response.status, text);
    }
    return body;
  }

  async function get(path, params) {
    const response = await fetch(url(path, params), {
      headers: { "X-Glassnet-Token": token, Accept: "application/json" } });
    return parse(response);
  }

  async function post(path, body, contentType) {
    const isText = typeof body === "string";
    const response = await fetch(url(path), {
      method: "POST",
      headers: { "X-Glassnet-Token": token,
        "Content-Type": contentType || (isText ? "text/plain" : "application/json") },
      body: isText ? body : JSON.stringify(body || {}),
    });
    return parse(response);
  }

  const EVENT_TYPES = ["run", "status", "batch", "epoch", "layers", "playground", "error",
    "graph", "resync"];

  /**
   * Open the push channel. handlers: {onEvent(type, data, seq), onOpen(), onError()}.
   * Returns the EventSource (it reconnects by itself).
   */
  function connect(since, handlers) {
    const params = since === null || since === undefined ? {} : { since: String(since) };
    const source = new EventSource(url("api/events", params));
    source.onopen = () => handlers.onOpen && handlers.onOpen();
    source.onerror = () => handlers.onError && handlers.onError(source.readyState);
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        let data = null;
        try {
          data = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        const seq = Number(message.lastEventId);
        handlers.onEvent(type, data, Number.isFinite(seq) ? seq : null);
      });
    }
    return source;
  }

  Studio.api = { token, url, get, post, connect, ApiError };
  /* The page's shared state: every run's snapshot (kept current by the events). */
  Studio.store = { runs: {}, order: [], presets: [], examples: [], currentRun: null,
    wantRun: null, lastSeq: null };
})();
