"""The Studio's web server: a Starlette app (JSON API + Server-Sent Events) run by uvicorn.

Why Server-Sent Events: the page mostly listens (the training pushes batches, layer records,
grids) and sends a few small commands, which are plain POSTs; SSE is one long HTTP response
that the browser's ``EventSource`` reconnects by itself, handing back the last event id
(``Last-Event-ID``), so a closed or reloaded tab picks up where it stopped. No WebSocket
protocol, no extra dependency.

Safety: the server listens on 127.0.0.1 unless told otherwise, and every request (page,
static files, API, the event stream) must carry the random token (``?token=`` or the
``X-Glassnet-Token`` header), as Jupyter does; errors are JSON ``{"error": {"en", "zh"}}``
with a 4xx status (a 500 is JSON too, and logged), never a traceback page.
"""

import asyncio
import hmac
import json
import logging
import pathlib
import secrets
import socket
import threading
import time
import webbrowser

try:
    import anyio
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
    from starlette.routing import Route
except ImportError as error:  # pragma: no cover - exercised by simulating the missing module
    raise ImportError(
        'glassnet Studio needs Starlette and uvicorn: pip install "glassnet[studio]" '
        '(from a checkout: pip install -e ".[studio]")'
    ) from error

from glassnet.errors import GlassnetError
from glassnet.studio.hub import Hub, json_safe
from glassnet.studio.jobs import BusyError, Jobs

logger = logging.getLogger("glassnet.studio")
STATIC_DIR = pathlib.Path(__file__).with_name("static")
TOKEN_PLACEHOLDER = "__GLASSNET_TOKEN__"
MAX_UPLOAD_BYTES = 1 << 20
MESSAGES = {
    "token": ("missing or wrong access token: open the URL that `python -m glassnet studio` "
              "printed (it ends with ?token=...)",
              "访问令牌缺失或错误:请打开 `python -m glassnet studio` 打印的网址"
              "(以 ?token=... 结尾)"),
    "not_found": ("not found: {what}", "未找到:{what}"),
    "method": ("method not allowed", "不允许的请求方法"),
    "internal": ("internal error (see the server's log)", "服务器内部错误(详见服务器日志)"),
    "bad_json": ("the request body must be a JSON object", "请求体必须是 JSON 对象"),
    "bad_request": ("bad request: {what}", "请求无效:{what}"),
    "too_big": ("the upload is larger than {limit} bytes", "上传的文件超过 {limit} 字节"),
    "not_utf8": ("the upload must be UTF-8 text (a numeric CSV file)",
                 "上传的内容必须是 UTF-8 文本(纯数字的 CSV 文件)"),
    "no_samples": ("this run has no validation data to inspect (pass validation_data to fit)",
                   "此运行没有可查看的验证数据(请给 fit 传入 validation_data)"),
    "busy": ("the training thread did not answer in time; try again",
             "训练线程未能及时响应,请重试"),
    "missing_module": ("this feature is not installed: {what}", "此功能尚未安装:{what}"),
    "not_playground": ("run {what} is not a playground run", "运行 {what} 不是游乐场运行"),
}
FALLBACK_PAGE = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>glassnet Studio</title>"
                 "</head><body><h1>glassnet Studio</h1><p>The page's files are missing; the "
                 "API is at <code>/api/state</code>.</p></body></html>")


def text(key, **values):
    """The bilingual message ``key`` with ``values`` filled in."""
    english, chinese = MESSAGES[key]
    return {"en": english.format(**values), "zh": chinese.format(**values)}


class ApiError(Exception):
    """An error answer: HTTP ``status`` and a bilingual ``message``."""

    def __init__(self, status, message):
        super().__init__(message["en"])
        self.status = status
        self.message = message


def error_response(status, message):
    return JSONResponse({"error": message}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def _bilingual_from(error):
    """A bilingual text from an exception (its own ``bilingual``/``text`` when it has one)."""
    for attribute in ("bilingual", "text", "reason"):
        value = getattr(error, attribute, None)
        if isinstance(value, dict) and "en" in value:
            return {"en": str(value["en"]), "zh": str(value.get("zh", value["en"]))}
    return text("bad_request", what=str(error))


class TokenMiddleware:
    """Pure ASGI: every HTTP request needs the token (query ``token`` or header)."""

    def __init__(self, app, token):
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self._allowed(scope):
            await error_response(403, text("token"))(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope):
        from urllib.parse import parse_qs

        for name, value in scope.get("headers", ()):
            if name == b"x-glassnet-token" and hmac.compare_digest(value, self.token):
                return True
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        return any(hmac.compare_digest(value.encode(), self.token)
                   for value in query.get("token", ()))


def _endpoint(function):
    """Wrap an endpoint: ApiError -> its status, ValueError -> 400, anything else -> 500."""

    async def wrapper(request):
        try:
            return await function(request)
        except ApiError as error:
            return error_response(error.status, error.message)
        except TimeoutError:
            return error_response(503, text("busy"))
        except ModuleNotFoundError as error:
            return error_response(501, text("missing_module", what=error.name or str(error)))
        except BusyError as error:
            return error_response(409, _bilingual_from(error))
        except (GlassnetError, ValueError) as error:
            return error_response(400, _bilingual_from(error))
        except Exception:
            logger.exception("glassnet Studio: error in %s %s", request.method,
                             request.url.path)
            return error_response(500, text("internal"))

    wrapper.__name__ = function.__name__
    return wrapper


def _json(payload, status=200):
    return JSONResponse(json_safe(payload), status_code=status,
                        headers={"Cache-Control": "no-store"})


async def _body_json(request):
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, text("bad_json")) from None
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(400, text("bad_json"))
    return body


def create_app(hub, token, static_dir=None, jobs=None, keepalive=15.0):
    """The Starlette app serving ``hub`` (see the HTTP API in the module docstring).

    Args:
        hub: the :class:`~glassnet.studio.hub.Hub`.
        token: the access token every request must carry.
        static_dir: the page's folder (default: ``glassnet/studio/static``).
        jobs: a :class:`~glassnet.studio.jobs.Jobs` (default: one on ``hub``).
        keepalive: seconds between keep-alive comments on the event stream.
    """
    static_root = pathlib.Path(static_dir or STATIC_DIR).resolve()
    jobs = jobs or Jobs(hub)
    stepper_cache = {}

    def find_run(request):
        run = hub.run(request.path_params["run_id"])
        if run is None:
            raise ApiError(404, text("not_found", what=f"run {request.path_params['run_id']}"))
        return run

    async def index(request):
        page = static_root / "index.html"
        html = page.read_text(encoding="utf-8") if page.is_file() else FALLBACK_PAGE
        return HTMLResponse(html.replace(TOKEN_PLACEHOLDER, token), headers={
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"})

    async def static(request):
        relative = request.path_params["path"]
        try:
            path = (static_root / relative).resolve()
        except (OSError, ValueError):
            path = None
        if path is None or not path.is_relative_to(static_root) or not path.is_file():
            raise ApiError(404, text("not_found", what=f"static/{relative}"))
        return FileResponse(path, headers={"Cache-Control": "no-cache",
                                           "X-Content-Type-Options": "nosniff",
                                           "Referrer-Policy": "no-referrer"})

    async def state(request):
        return _json({"version": _version(), "seq": hub.last_seq, "runs": hub.snapshot(),
                      "presets": jobs.preset_list(), "examples": _stepper_list()})

    async def events(request):
        since = request.headers.get("last-event-id") or request.query_params.get("since")
        try:
            seq = hub.last_seq if since in (None, "") else int(since)
        except ValueError:
            raise ApiError(400, text("bad_request", what=f"since={since!r}")) from None
        return StreamingResponse(_event_stream(request, hub, seq, keepalive),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def run_state(request):
        return _json(find_run(request).snapshot())

    async def run_layer(request):
        run = find_run(request)
        record = run.layer(request.path_params["name"])
        if record is None:
            raise ApiError(404, text("not_found", what=f"layer {request.path_params['name']}"))
        return _json(record)

    def sample_data(run):
        if run.validation_data is None or run.model is None:
            raise ApiError(400, text("no_samples"))
        return run.validation_data

    async def run_samples(request):
        run = find_run(request)
        x, y = sample_data(run)
        listed = run.samples
        if listed is None:
            from glassnet.studio import recorder

            listed = await anyio.to_thread.run_sync(
                run.call, lambda: recorder.misclassified(run.model, x, y))
        return _json({"count": len(x), "misclassified": listed})

    async def run_sample(request):
        from glassnet.studio import recorder

        run = find_run(request)
        x, y = sample_data(run)
        try:
            index = int(request.path_params["index"])
        except ValueError:
            raise ApiError(400, text("bad_request", what="sample index")) from None
        if not 0 <= index < len(x):
            raise ApiError(404, text("not_found", what=f"sample {index} (0..{len(x) - 1})"))
        view = await anyio.to_thread.run_sync(
            run.call, lambda: recorder.sample_view(run.model, x, y, index))
        return _json(view)

    async def run_control(request):
        run = find_run(request)
        body = await _body_json(request)
        action = body.get("action")
        control = run.control
        actions = {"pause": control.pause, "resume": control.resume, "step": control.step,
                   "stop": control.stop}
        if action == "set_learning_rate":
            try:
                control.set_learning_rate(body.get("value"))
            except (TypeError, ValueError):
                raise ApiError(400, text("bad_request", what=(
                    f"value must be a positive number, received {body.get('value')!r}"))) from None
        elif action in actions:
            actions[action]()
        else:
            raise ApiError(400, text("bad_request", what=(
                f"action must be one of pause, resume, step, stop, set_learning_rate; "
                f"received {action!r}")))
        return _json({"ok": True, "run": run.id, "status": run.status})

    async def preset_list(request):
        return _json(jobs.preset_list())

    async def preset_start(request):
        body = await _body_json(request)
        name = request.path_params["name"]
        if name not in {preset["name"] for preset in jobs.preset_list()}:
            raise ApiError(404, text("not_found", what=f"preset {name}"))
        run = await anyio.to_thread.run_sync(jobs.start_preset, name, bool(body.get("quick")))
        return _json({"run": run.id})

    def _stepper_list():
        try:
            from glassnet.studio import stepper
        except ImportError:
            return []
        return stepper.catalog()

    async def stepper_list(request):
        return _json(_stepper_list())

    async def stepper_example(request):
        from glassnet.studio import stepper

        name = request.path_params["name"]
        if name not in {item["name"] for item in stepper.catalog()}:
            raise ApiError(404, text("not_found", what=f"stepper example {name}"))
        if name not in stepper_cache:  # computed once, through the model thread rule
            stepper_cache[name] = await anyio.to_thread.run_sync(
                jobs.compute, lambda: stepper.example(name))
        return _json(stepper_cache[name])

    async def playground_start(request):
        spec = await _body_json(request)
        run = await anyio.to_thread.run_sync(jobs.start_playground, spec)
        return _json({"run": run.id})

    async def playground_upload(request):
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
            raise ApiError(413, text("too_big", limit=MAX_UPLOAD_BYTES))
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise ApiError(413, text("too_big", limit=MAX_UPLOAD_BYTES))
            chunks.append(chunk)
        try:
            content = b"".join(chunks).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, text("not_utf8")) from None
        return _json(jobs.upload(content, MAX_UPLOAD_BYTES))

    async def playground_export(request):
        run_id = request.query_params.get("run", "")
        run = hub.run(run_id)
        if run is None:
            raise ApiError(404, text("not_found", what=f"run {run_id}"))
        if run.kind != "playground" or "spec" not in run.params:
            raise ApiError(400, text("not_playground", what=run_id))
        from glassnet.studio import playground

        return _json({"script": playground.export_script(run.params["spec"], jobs.uploads)})

    routes = [
        Route("/", _endpoint(index)),
        Route("/static/{path:path}", _endpoint(static)),
        Route("/api/state", _endpoint(state)),
        Route("/api/events", _endpoint(events)),
        Route("/api/runs/{run_id}", _endpoint(run_state)),
        Route("/api/runs/{run_id}/layers/{name:path}", _endpoint(run_layer)),
        Route("/api/runs/{run_id}/samples", _endpoint(run_samples)),
        Route("/api/runs/{run_id}/samples/{index}", _endpoint(run_sample)),
        Route("/api/runs/{run_id}/control", _endpoint(run_control), methods=["POST"]),
        Route("/api/presets", _endpoint(preset_list)),
        Route("/api/presets/{name}/start", _endpoint(preset_start), methods=["POST"]),
        Route("/api/stepper", _endpoint(stepper_list)),
        Route("/api/stepper/{name}", _endpoint(stepper_example)),
        Route("/api/playground/start", _endpoint(playground_start), methods=["POST"]),
        Route("/api/playground/upload", _endpoint(playground_upload), methods=["POST"]),
        Route("/api/playground/export", _endpoint(playground_export)),
    ]

    async def not_found(request, exc):
        return error_response(404, text("not_found", what=request.url.path))

    async def not_allowed(request, exc):
        return error_response(405, text("method"))

    async def internal(request, exc):
        logger.error("glassnet Studio: internal error", exc_info=exc)
        return error_response(500, text("internal"))

    app = Starlette(routes=routes, exception_handlers={
        404: not_found, 405: not_allowed, 500: internal})
    app.state.hub, app.state.jobs = hub, jobs
    app.add_middleware(TokenMiddleware, token=token)
    return app


def _version():
    import glassnet

    return glassnet.__version__


def format_event(event):
    """One event as Server-Sent-Events text; ``data:`` is the whole event as JSON
    (``{"seq", "run", "type", "data"}``), so the page knows which run it belongs to."""
    data = json.dumps(event, separators=(",", ":"), allow_nan=False)
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {data}\n\n"


async def _event_stream(request, hub, seq, keepalive):
    """The SSE body: the events after ``seq``, then new ones as they come; keep-alives."""
    yield "retry: 2000\n\n"
    first = hub.events_after(seq, timeout=0)
    dropped = first and seq > 0 and first[0]["seq"] > seq + 1  # older events are gone
    if dropped or seq > hub.last_seq:  # or the id is from an earlier server: start over
        resync = {"seq": None, "run": None, "type": "resync", "data": {"since": seq}}
        yield f"event: resync\ndata: {json.dumps(resync)}\n\n"
        seq = min(seq, hub.last_seq)
    last_sent = time.monotonic()
    while True:
        if await request.is_disconnected():
            return
        batch = await anyio.to_thread.run_sync(hub.events_after, seq, min(1.0, keepalive))
        if batch:
            seq = batch[-1]["seq"]
            yield "".join(format_event(event) for event in batch)
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= keepalive:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()


def _url_host(host):
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class StudioServer:
    """The Studio app run by uvicorn in a daemon thread.

    Args:
        hub: the :class:`~glassnet.studio.hub.Hub` to serve (default: a new one).
        host: the address to listen on (default 127.0.0.1: this machine only).
        port: the port; 0 picks a free one (:attr:`port` tells which).
        token: the access token (default: 32 random URL-safe characters).
        static_dir: the page's folder (default: the bundled one).
        keepalive: seconds between keep-alive comments on the event stream.
    """

    def __init__(self, hub=None, host="127.0.0.1", port=8765, token=None, static_dir=None,
                 keepalive=15.0):
        self.hub = hub if hub is not None else Hub()
        self.host = host
        self.token = token or secrets.token_urlsafe(24)
        self.app = create_app(self.hub, self.token, static_dir, keepalive=keepalive)
        self.jobs = self.app.state.jobs
        self._requested_port = int(port)
        self.port = None
        self._server = None
        self._thread = None

    @property
    def url(self):
        """The page's address, with the token."""
        return f"http://{_url_host(self.host)}:{self.port}/?token={self.token}"

    def start(self, timeout=15.0):
        """Listen (raises OSError when the port is taken) and serve in a daemon thread."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        sock.set_inheritable(True)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1, access_log=False)
        self._server = uvicorn.Server(config)

        def serve():
            asyncio.run(self._server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=serve, name="glassnet-studio", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"glassnet Studio: the server did not start on "
                              f"{self.host}:{self.port}")
            time.sleep(0.02)
        return self

    def open_browser(self):
        """Open the page in the default browser (False when none could be opened)."""
        try:
            return webbrowser.open(self.url)
        except webbrowser.Error:
            return False

    def stop(self, timeout=5.0):
        """Stop serving (training runs are not affected)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self):
        """Block until the server stops (the CLI's main loop)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self):
        return self.start() if self._server is None else self

    def __exit__(self, *exc_info):
        self.stop()
