"""The Studio server: token on every route, JSON errors, uploads, and a real uvicorn streaming
a real fit that the page pauses, steps, resumes and re-tunes."""

import json
import sys
import threading
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette's note about httpx, not about glassnet
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.callbacks.studio import Studio  # noqa: E402
from glassnet.studio import Hub  # noqa: E402
from glassnet.studio.server import MAX_UPLOAD_BYTES, StudioServer, create_app  # noqa: E402

TOKEN = "test-token-123"
ROUTES = [
    ("GET", "/"), ("GET", "/static/index.html"), ("GET", "/static/../hub.py"),
    ("GET", "/api/state"), ("GET", "/api/events"), ("GET", "/api/runs/r1"),
    ("GET", "/api/runs/r1/layers/dense"), ("GET", "/api/runs/r1/samples"),
    ("GET", "/api/runs/r1/samples/0"), ("POST", "/api/runs/r1/control"),
    ("GET", "/api/presets"), ("POST", "/api/presets/seed_mlp/start"), ("GET", "/api/stepper"),
    ("GET", "/api/stepper/seed002_chain"), ("POST", "/api/playground/start"),
    ("POST", "/api/playground/upload"), ("GET", "/api/playground/export"),
    ("GET", "/no/such/route"),
]


@pytest.fixture
def hub():
    return Hub()


@pytest.fixture
def client(hub, tmp_path):
    static = tmp_path / "static"
    (static / "js").mkdir(parents=True)
    (static / "index.html").write_text(
        '<meta name="glassnet-token" content="__GLASSNET_TOKEN__">'
        '<script src="static/js/app.js?token=__GLASSNET_TOKEN__"></script>', encoding="utf-8")
    (static / "js" / "app.js").write_text("console.log('studio');", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("do not serve", encoding="utf-8")
    app = create_app(hub, TOKEN, static_dir=static)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"en", "zh"} and error["en"] and error["zh"]
    assert "Traceback" not in response.text
    return error


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", TOKEN[:-1]])
def test_bad_or_missing_token_is_403_on_every_route(client, method, path, token):
    params = {} if token is None else {"token": token}
    response = client.request(method, path, params=params, json={})
    error = _error(response, 403)
    assert "token" in error["en"] and "令牌" in error["zh"]


def test_token_in_header_or_query(client):
    assert client.get("/api/state", headers={"X-Glassnet-Token": TOKEN}).status_code == 200
    assert client.get("/api/state", params={"token": TOKEN}).status_code == 200
    _error(client.get("/api/state", headers={"X-Glassnet-Token": "nope"}), 403)


def test_index_gets_the_token_injected(client):
    response = client.get("/", params={"token": TOKEN})
    assert response.status_code == 200
    assert "__GLASSNET_TOKEN__" not in response.text
    assert response.text.count(TOKEN) == 2
    assert response.headers["referrer-policy"] == "no-referrer"


def test_static_files_and_no_path_traversal(client):
    response = client.get("/static/js/app.js", params={"token": TOKEN})
    assert response.status_code == 200 and response.text == "console.log('studio');"
    for path in ("/static/../secret.txt", "/static/%2e%2e/secret.txt",
                 "/static/js/../../secret.txt", "/static/..%2fsecret.txt",
                 "/static/%2fetc%2fpasswd", "/static/nope.js", "/static/js"):
        response = client.get(path, params={"token": TOKEN})
        assert "do not serve" not in response.text and "root:" not in response.text
        _error(response, 404)


def test_state_lists_runs_presets_and_examples(client, hub):
    run = hub.new_run("mine")
    run.record_batch(0, 0, {"loss": 1.25})
    state = client.get("/api/state", params={"token": TOKEN}).json()
    assert state["version"] == gn.__version__
    assert state["seq"] == hub.last_seq == 2
    assert [r["id"] for r in state["runs"]] == ["r1"]
    assert state["runs"][0]["curves"]["batch"]["loss"] == [1.25]
    assert isinstance(state["presets"], list) and isinstance(state["examples"], list)


def test_unknown_run_layer_and_sample_are_404_json(client, hub):
    _error(client.get("/api/runs/r9", params={"token": TOKEN}), 404)
    _error(client.post("/api/runs/r9/control", params={"token": TOKEN},
                       json={"action": "pause"}), 404)
    hub.new_run("mine")
    _error(client.get("/api/runs/r1/layers/dense", params={"token": TOKEN}), 404)
    error = _error(client.get("/api/runs/r1/samples", params={"token": TOKEN}), 400)
    assert "validation" in error["en"]
    _error(client.get("/api/playground/export", params={"token": TOKEN, "run": "r7"}), 404)
    _error(client.get("/api/playground/export", params={"token": TOKEN, "run": "r1"}), 400)


def test_bad_control_requests_are_400_with_a_reason(client, hub):
    hub.new_run("mine")
    url = "/api/runs/r1/control"
    error = _error(client.post(url, params={"token": TOKEN}, json={"action": "explode"}), 400)
    assert "explode" in error["en"]
    error = _error(client.post(url, params={"token": TOKEN},
                               json={"action": "set_learning_rate", "value": "fast"}), 400)
    assert "fast" in error["en"]
    _error(client.post(url, params={"token": TOKEN}, content=b"{not json"), 400)
    _error(client.post(url, params={"token": TOKEN}, json=[1, 2]), 400)
    _error(client.get(url, params={"token": TOKEN}), 405)


def test_an_internal_error_is_json_without_a_traceback(client, hub, monkeypatch, caplog):
    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(hub, "snapshot", broken)
    response = client.get("/api/state", params={"token": TOKEN})
    error = _error(response, 500)
    assert "secret internals" not in response.text and "internal error" in error["en"]
    assert "secret internals" in caplog.text  # but logged on the server


def test_uploads_bad_csv_oversize_and_not_utf8(client):
    pytest.importorskip("glassnet.studio.playground")
    url = "/api/playground/upload"
    good = "".join(f"{i / 10},{-i / 10},{i % 2}\n" for i in range(40))
    answer = client.post(url, params={"token": TOKEN}, content=good.encode()).json()
    assert answer["dataset"].startswith("upload:") and answer["count"] == 40
    assert answer["classes"] == 2
    bad = "0.1,0.2,0\n0.3,abc,1\n" + "0.5,0.5,1\n" * 20
    error = _error(client.post(url, params={"token": TOKEN}, content=bad.encode()), 400)
    assert "abc" in error["en"] or "row 2" in error["en"]
    big = b"1,2,0\n" * (MAX_UPLOAD_BYTES // 6 + 10)
    error = _error(client.post(url, params={"token": TOKEN}, content=big), 413)
    assert str(MAX_UPLOAD_BYTES) in error["en"]
    _error(client.post(url, params={"token": TOKEN}, content=b"\xff\xfe\x00bad"), 400)


def test_bad_playground_spec_is_400_naming_the_field(client):
    pytest.importorskip("glassnet.studio.playground")
    response = client.post("/api/playground/start", params={"token": TOKEN},
                           json={"dataset": "circles", "epochs": -5})
    error = _error(response, 400)
    assert "epochs" in error["en"] and "epochs" in error["zh"]


def _finish(hub, run_id, timeout=60):
    deadline = time.monotonic() + timeout
    while hub.run(run_id).status in ("running", "paused"):
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)
    return hub.run(run_id).snapshot()


def test_preset_job_trains_in_the_background(client, hub):
    presets = pytest.importorskip("glassnet.studio.presets")
    listed = client.get("/api/presets", params={"token": TOKEN}).json()
    assert [p["name"] for p in listed] == list(presets.PRESETS)
    assert all(set(p["title"]) == {"en", "zh"} for p in listed)
    _error(client.post("/api/presets/nope/start", params={"token": TOKEN}, json={}), 404)
    response = client.post("/api/presets/seed001_net/start", params={"token": TOKEN},
                           json={"quick": True})
    assert response.status_code == 200, response.text
    snapshot = _finish(hub, response.json()["run"])
    assert snapshot["status"] == "finished" and snapshot["kind"] == "preset"
    built = presets.build("seed001_net", True)
    steps = len(built["x"]) // built["fit"]["batch_size"] * built["fit"]["epochs"]
    assert len(snapshot["curves"]["batch"]["step"]) == steps
    assert snapshot["layers"] and snapshot["graph"]["nodes"]


def test_playground_job_streams_grids_and_exports_its_script(client, hub):
    pytest.importorskip("glassnet.studio.playground")
    spec = {"dataset": "xor", "samples": 200, "hidden": [4], "epochs": 20, "seed": 3}
    response = client.post("/api/playground/start", params={"token": TOKEN}, json=spec)
    assert response.status_code == 200, response.text
    run_id = response.json()["run"]
    snapshot = _finish(hub, run_id)
    assert snapshot["status"] == "finished" and snapshot["kind"] == "playground"
    assert snapshot["curves"]["epoch"]["epoch"] == list(range(20))
    grids = [e for e in hub.events_after(0, timeout=0)
             if e["type"] == "playground" and e["run"] == run_id]
    assert grids[0]["data"]["epoch"] == 0 and grids[-1]["data"]["epoch"] == 20
    assert snapshot["playground"]["epoch"] == 20
    assert len(grids[-1]["data"]["boundary"]) == grids[-1]["data"]["resolution"]
    script = client.get("/api/playground/export",
                        params={"token": TOKEN, "run": run_id}).json()["script"]
    compile(script, "exported.py", "exec")  # valid Python (running it is H3's test)
    assert "xor" in script


def test_a_new_job_stops_the_running_one(client, hub):
    pytest.importorskip("glassnet.studio.playground")
    slow = {"dataset": "spirals", "samples": 2000, "hidden": [16, 16], "epochs": 2000,
            "batch_size": 1}
    first = client.post("/api/playground/start", params={"token": TOKEN}, json=slow).json()
    quick = {"dataset": "xor", "samples": 100, "hidden": [2], "epochs": 2}
    second = client.post("/api/playground/start", params={"token": TOKEN}, json=quick).json()
    assert hub.run(first["run"]).status == "stopped"
    assert _finish(hub, second["run"])["status"] == "finished"


def test_missing_starlette_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "starlette", None)
    monkeypatch.setitem(sys.modules, "starlette.applications", None)
    monkeypatch.delitem(sys.modules, "glassnet.studio.server", raising=False)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[studio\]"'):
        import glassnet.studio.server  # noqa: F401


# ===================================================================== a real uvicorn
class EventReader:
    """Reads /api/events in a thread; ``events`` is the parsed list so far."""

    def __init__(self, server, since=0, last_event_id=None):
        self.events, self.comments = [], 0
        headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
        self._stop = threading.Event()
        self._response = None

        def read():
            url = f"http://127.0.0.1:{server.port}/api/events"
            with httpx.stream("GET", url, params={"token": server.token, "since": since},
                              headers=headers, timeout=30) as response:
                self._response = response
                event = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.comments += 1
                    elif line.startswith("id: "):
                        event["seq"] = int(line[4:])
                    elif line.startswith("event: "):
                        event["type"] = line[7:]
                    elif line.startswith("data: "):
                        whole = json.loads(line[6:])  # {"seq", "run", "type", "data"}
                        assert whole["type"] == event["type"]
                        assert whole["seq"] == event.get("seq")  # None: no id (resync)
                        event["run"], event["data"] = whole["run"], whole["data"]
                    elif line == "" and event:
                        self.events.append(event)
                        event = {}

        self.thread = threading.Thread(target=read, daemon=True)
        self.thread.start()

    def of_type(self, kind):
        return [event for event in self.events if event.get("type") == kind]

    def close(self):
        self._stop.set()


def _wait(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def server():
    with StudioServer(port=0, keepalive=0.5) as running:
        yield running


def test_real_server_streams_a_fit_and_obeys_pause_step_resume_lr(server):
    assert server.port > 0 and server.url == (
        f"http://127.0.0.1:{server.port}/?token={server.token}")
    base = f"http://127.0.0.1:{server.port}"
    params = {"token": server.token}
    assert httpx.get(base + "/api/state", params=params).status_code == 200
    assert httpx.get(base + "/api/events").status_code == 403
    reader = EventReader(server, since=server.hub.last_seq)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    gn.manual_seed(0)
    model = gn.Sequential([gn.layers.Dense(8, activation="tanh", input_shape=(4,)),
                           gn.layers.Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=gn.optimizers.SGD(learning_rate=0.05))
    callback = Studio(server=server, every=5, name="stream test")
    fit = threading.Thread(target=model.fit, args=(x, y), kwargs={
        "batch_size": 2, "epochs": 50, "verbose": 0, "callbacks": [callback]}, daemon=True)
    fit.start()
    _wait(lambda: len(reader.of_type("batch")) >= 5)
    run_id = reader.of_type("run")[-1]["data"]["id"]
    assert reader.of_type("batch")[0]["data"]["step"] == 0
    assert {event["run"] for event in reader.events} == {run_id}
    assert reader.of_type("layers")[0]["data"]["step"] == 0

    def control(action, value=None):
        response = httpx.post(f"{base}/api/runs/{run_id}/control", params=params,
                              json={"action": action, "value": value})
        assert response.status_code == 200, response.text
        return response.json()

    def paused_count():
        return sum(e["data"]["status"] == "paused" for e in reader.of_type("status"))

    control("pause")
    _wait(lambda: paused_count() == 1)
    count = len(reader.of_type("batch"))
    time.sleep(1.0)
    assert len(reader.of_type("batch")) == count  # paused: no batch advances
    assert httpx.get(f"{base}/api/runs/{run_id}", params=params).json()["status"] == "paused"
    control("step")
    _wait(lambda: paused_count() == 2)
    time.sleep(0.5)
    assert len(reader.of_type("batch")) == count + 1  # exactly one batch
    control("set_learning_rate", 0.0125)
    _wait(lambda: model.optimizer.learning_rate == 0.0125)  # applied while paused
    control("resume")
    _wait(lambda: len(reader.of_type("batch")) > count + 20)
    assert reader.of_type("batch")[-1]["data"]["learning_rate"] == 0.0125
    steps = [e["data"]["step"] for e in reader.of_type("batch")]
    assert steps == list(range(steps[0], steps[0] + len(steps)))  # nothing lost or repeated
    # a closed tab leaves training running; a new one gets what it missed
    reader.close()
    last_seen = reader.events[-1]["seq"]
    time.sleep(0.5)
    assert fit.is_alive()
    again = EventReader(server, since=0, last_event_id=last_seen)
    _wait(lambda: len(again.events) > 5)
    assert again.events[0]["seq"] == last_seen + 1
    layer = reader.of_type("layers")[-1]["data"]
    name = next(iter(layer["scalars"]))
    record = httpx.get(f"{base}/api/runs/{run_id}/layers/{name}", params=params).json()
    assert record["layer"] == name and record["step"] % 5 == 0
    control("stop")
    fit.join(20)
    assert not fit.is_alive()
    _wait(lambda: any(e["data"]["status"] == "stopped" for e in again.of_type("status")))
    again.close()


def test_event_stream_sends_keep_alive_comments(server):
    reader = EventReader(server, since=server.hub.last_seq)
    _wait(lambda: reader.comments >= 2, timeout=10)  # keepalive=0.5 s here (15 s by default)
    reader.close()


def test_an_id_from_an_earlier_server_gets_a_resync_then_new_events(server):
    reader = EventReader(server, since=0, last_event_id=10**9)
    _wait(lambda: reader.of_type("resync"))
    event = server.hub.publish("r-test", "batch", {"step": 123})
    _wait(lambda: reader.of_type("batch"))
    assert reader.events[0]["type"] == "resync"
    assert reader.of_type("batch")[0]["seq"] == event["seq"]
    assert reader.of_type("batch")[0]["data"] == {"step": 123}
    reader.close()
