"""The Studio hub: thread-safe event log, blocking reads, bounded log, run snapshots, controls."""

import math
import threading
import time

import numpy as np
import pytest

from glassnet.studio.hub import MAX_CURVE_POINTS, Hub, json_safe


def test_threads_publish_every_event_once_in_order():
    hub = Hub(max_events=10_000)
    threads, per_thread = 8, 250

    def publisher(index):
        for k in range(per_thread):
            hub.publish(f"t{index}", "batch", {"k": k})

    workers = [threading.Thread(target=publisher, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    events = hub.events_after(0, timeout=0)
    assert [event["seq"] for event in events] == list(range(1, threads * per_thread + 1))
    for index in range(threads):  # each thread's events keep its own order
        assert [e["data"]["k"] for e in events if e["run"] == f"t{index}"] == list(
            range(per_thread))
    assert hub.last_seq == threads * per_thread


def test_events_after_blocks_then_wakes_on_publish():
    hub = Hub()
    hub.publish("r", "batch", {"n": 1})
    got = {}

    def reader():
        start = time.monotonic()
        got["events"] = hub.events_after(1, timeout=5)
        got["waited"] = time.monotonic() - start

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # nothing after seq 1 yet: still waiting
    hub.publish("r", "epoch", {"n": 2})
    thread.join(2)
    assert not thread.is_alive()
    assert [(e["seq"], e["type"]) for e in got["events"]] == [(2, "epoch")]
    assert 0.25 <= got["waited"] < 2


def test_events_after_times_out_empty():
    hub = Hub()
    start = time.monotonic()
    assert hub.events_after(0, timeout=0.2) == []
    assert time.monotonic() - start >= 0.19


def test_log_is_bounded_and_keeps_the_newest():
    hub = Hub(max_events=100)
    for k in range(250):
        hub.publish("r", "batch", {"k": k})
    events = hub.events_after(0, timeout=0)
    assert len(events) == 100
    assert events[0]["seq"] == 151 and events[-1]["seq"] == 250
    assert [e["seq"] for e in hub.events_after(240, timeout=0)] == list(range(241, 251))


def test_json_safe_turns_nan_inf_and_numpy_into_plain_values():
    value = json_safe({"a": np.float32(0.5), "b": float("nan"), "c": [np.int64(3), math.inf],
                       "d": np.array([[1.0, np.nan]])})
    assert value == {"a": 0.5, "b": None, "c": [3, None], "d": [[1.0, None]]}
    assert type(value["a"]) is float and type(value["c"][0]) is int


def test_run_snapshot_has_curves_layers_and_status():
    hub = Hub()
    run = hub.new_run("demo", kind="preset", meta={"preset": "seed_mlp"})
    assert run.id == "r1" and hub.new_run("other").id == "r2"
    run.record_batch(0, 0, {"loss": 2.0, "accuracy": 0.1}, learning_rate=0.01)
    run.record_batch(1, 0, {"loss": 1.5, "accuracy": 0.2}, learning_rate=0.01)
    run.record_epoch(0, {"loss": 1.75, "val_loss": 1.9})
    run.record_layers(1, {"dense": {"layer": "dense", "scalars": {
        "mean_abs_delta": 0.25, "mean_abs_grad": 0.5, "update_ratio": float("nan")}}})
    run.set_status("finished")
    snapshot = run.snapshot()
    assert snapshot["id"] == "r1" and snapshot["kind"] == "preset"
    assert snapshot["status"] == "finished"
    assert snapshot["params"] == {"preset": "seed_mlp"}
    assert snapshot["curves"]["batch"]["loss"] == [2.0, 1.5]
    assert snapshot["curves"]["batch"]["learning_rate"] == [0.01, 0.01]
    assert snapshot["curves"]["epoch"] == {"epoch": [0], "loss": [1.75], "val_loss": [1.9]}
    assert snapshot["layer_scalars"]["dense"] == {
        "step": [1], "mean_abs_delta": [0.25], "mean_abs_grad": [0.5], "update_ratio": [None]}
    assert run.layer("dense")["layer"] == "dense" and run.layer("nope") is None
    types = [e["type"] for e in hub.events_after(0, timeout=0) if e["run"] == "r1"]
    assert types == ["run", "batch", "batch", "epoch", "layers", "status"]
    layers_event = [e for e in hub.events_after(0, timeout=0) if e["type"] == "layers"][0]
    assert layers_event["data"] == {"step": 1, "scalars": {"dense": {
        "mean_abs_delta": 0.25, "mean_abs_grad": 0.5, "update_ratio": None}}}


def test_a_metric_that_appears_later_is_padded():
    run = Hub().new_run("demo")
    run.record_batch(0, 0, {"loss": 1.0})
    run.record_batch(1, 0, {"loss": 0.5, "accuracy": 0.75})
    batch = run.snapshot()["curves"]["batch"]
    assert batch["accuracy"] == [None, 0.75] and batch["loss"] == [1.0, 0.5]


def test_curves_are_thinned_past_the_bound():
    run = Hub(max_events=10).new_run("long")
    total = 3 * MAX_CURVE_POINTS
    for step in range(total):
        run.record_batch(step, 0, {"loss": float(step)})
    steps = run.snapshot()["curves"]["batch"]["step"]
    assert len(steps) <= MAX_CURVE_POINTS
    assert steps == sorted(steps) and steps[-1] >= total - 4
    assert run.snapshot()["curves"]["batch"]["loss"] == [float(s) for s in steps]


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="status must be one of"):
        Hub().new_run("x").set_status("sleeping")


# ------------------------------------------------------------------ controls
def _fake_training(run, batches, log):
    """A training thread: ``batches`` batches, each logged, the checkpoint after each."""

    class Model:
        stop_training = False
        optimizer = type("Optimizer", (), {"learning_rate": 0.1})()

    model = Model()
    run.control.training_started()
    try:
        for step in range(batches):
            log.append(step)
            run.control.checkpoint(model)
            if model.stop_training:
                break
    finally:
        run.control.training_ended()
    return model


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_pause_step_resume_stop_and_learning_rate():
    run = Hub().new_run("controlled")
    log, result = [], {}
    run.control.pause()  # paused from the start: the first batch runs, then it waits
    thread = threading.Thread(
        target=lambda: result.update(model=_fake_training(run, 10_000_000, log)))
    thread.start()
    _wait_for(lambda: run.control.blocked)
    assert log == [0] and run.status == "paused"
    time.sleep(0.3)
    assert log == [0]  # paused: no batch advances
    run.control.step()
    _wait_for(lambda: len(log) == 2 and run.control.blocked)
    time.sleep(0.3)
    assert log == [0, 1]  # exactly one more batch
    run.control.set_learning_rate(0.025)
    assert run.call(lambda: len(log)) == 2  # served by the (paused) training thread
    run.control.resume()
    _wait_for(lambda: len(log) > 20)
    run.control.stop()
    thread.join(5)
    assert not thread.is_alive() and len(log) < 10_000_000
    assert result["model"].stop_training is True
    assert result["model"].optimizer.learning_rate == 0.025


def test_call_runs_in_the_training_thread_between_batches():
    run = Hub().new_run("calls")
    log = []
    thread = threading.Thread(target=_fake_training, args=(run, 10_000_000, log))
    thread.start()
    _wait_for(lambda: run.control.training)
    where = run.call(lambda: threading.current_thread().name, timeout=5)
    assert where == thread.name
    run.control.stop()
    thread.join(5)
    assert run.call(lambda: threading.current_thread().name) == threading.current_thread().name


def test_call_times_out_and_reraises():
    run = Hub().new_run("calls")
    run.control.training_started()  # "training" but never reaching a checkpoint
    with pytest.raises(TimeoutError):
        run.call(lambda: 1, timeout=0.2)
    run.control.training_ended()
    with pytest.raises(ZeroDivisionError):
        run.call(lambda: 1 / 0)


@pytest.mark.parametrize("value", [0, -1, "abc", float("nan")])
def test_bad_learning_rate_is_refused(value):
    with pytest.raises(ValueError):
        Hub().new_run("x").control.set_learning_rate(value)
