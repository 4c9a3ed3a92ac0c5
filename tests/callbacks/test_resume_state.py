"""Callbacks carry their state in checkpoints: a resume is bit-identical with each built-in.

Every scenario compares a straight ``fit(epochs=n)`` with an interrupted one: ``fit(epochs=k)``
with a ModelCheckpoint saving every epoch, ``load_model`` of the epoch-k file in a "new session"
(the global RNG reseeded to something else), then ``fit(epochs=n, initial_epoch=k)`` with fresh
callbacks. Weights, learning rate, the number of steps run (the stop epoch), the callbacks'
own counters and the files they write must be the same.

On glassnet before callback states existed, the EarlyStopping, ReduceLROnPlateau,
ModelCheckpoint(save_best_only), CSVLogger(append=False) and History scenarios failed (checked
by running this file against that code: e.g. EarlyStopping stopped after epoch 8 straight, the
resumed run trained epochs 8 to 11); LearningRateScheduler and TerminateOnNaN keep nothing
between epochs and resumed exactly already: their tests guard that.
"""

import json
import math
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from glassnet.layers import Dense, Dropout
from glassnet.models import Sequential, load_model
from glassnet.optimizers import SGD

SEED = 1


def data():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(32, 3)).astype(np.float32),
            rng.normal(size=(32, 1)).astype(np.float32))


def build():
    # losses per epoch (straight, no callback changing the rate): 1.704 1.322 1.1 1.147 0.946
    # 0.824 0.823 0.852 0.78 0.85 0.772 0.868: plateaus to stop, reduce and skip a best on
    model = Sequential([Dense(8, activation="relu", input_shape=(3,)), Dropout(0.5), Dense(1)])
    model.compile(optimizer=SGD(0.05), loss="mse")
    return model


def with_checkpoint(folder, make):
    # the every-epoch checkpoint comes first: it must still store the states of the callbacks
    # after it (and of History, which fit appends) as they are at the end of the epoch
    folder.mkdir(parents=True, exist_ok=True)
    return [ModelCheckpoint(str(folder / "ckpt-{epoch}.glassnet"), monitor="loss"),
            *make(folder)]


def fit(model, callbacks, epochs, initial_epoch=0):
    x, y = data()
    return model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch,
                     shuffle=True, verbose=0, callbacks=callbacks)


def straight_and_resumed(tmp_path, make, epochs, k):
    """Returns ((model, callbacks) straight, (model, callbacks) resumed), checked identical."""
    gn.manual_seed(SEED)
    straight = build()
    straight_callbacks = with_checkpoint(tmp_path / "straight", make)
    fit(straight, straight_callbacks, epochs)
    folder = tmp_path / "resumed"
    gn.manual_seed(SEED)
    fit(build(), with_checkpoint(folder, make), k)
    gn.manual_seed(12345)  # a new process would start from another RNG state
    resumed = load_model(folder / f"ckpt-{k}.glassnet")
    resumed_callbacks = with_checkpoint(folder, make)
    fit(resumed, resumed_callbacks, epochs, initial_epoch=k)
    assert resumed.optimizer.iterations == straight.optimizer.iterations  # same stop epoch
    assert resumed.optimizer.learning_rate == straight.optimizer.learning_rate
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    return (straight, straight_callbacks[1:]), (resumed, resumed_callbacks[1:])


def steps(model):
    return model.optimizer.iterations // 4  # 32 samples, batches of 8: epochs run


# ============================================================================ each callback
@pytest.mark.parametrize("restore_best_weights", [False, True])
def test_early_stopping_resumes_wait_best_and_stop_epoch(tmp_path, restore_best_weights):
    """Straight: wait 1 after epoch 6, stops at epoch 7. A fresh EarlyStopping at k=7 trained
    epochs 7..10 (4 instead of 1) and ended with other weights."""
    def make(folder):
        return [EarlyStopping(monitor="loss", patience=2, min_delta=0.01,
                              restore_best_weights=restore_best_weights)]

    (straight, [a]), (resumed, [b]) = straight_and_resumed(tmp_path, make, 12, 7)
    assert steps(straight) == 8 and a.stopped_epoch == 7
    assert (b.wait, b.best, b.best_epoch, b.stopped_epoch) == \
        (a.wait, a.best, a.best_epoch, a.stopped_epoch)


def test_reduce_lr_on_plateau_resumes_wait_cooldown_best_and_rate(tmp_path):
    """A fresh ReduceLROnPlateau at k=4 forgot the plateau counted before: the rate was halved
    at other epochs (final rates 0.00625 resumed vs 0.003125 straight before this fix)."""
    def make(folder):
        return [ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2,
                                  min_delta=0.01)]

    (straight, [a]), (resumed, [b]) = straight_and_resumed(tmp_path, make, 12, 4)
    assert straight.optimizer.learning_rate < 0.05  # it did reduce
    assert (b.wait, b.cooldown_counter, b.best) == (a.wait, a.cooldown_counter, a.best)


def test_model_checkpoint_best_only_keeps_the_best_file(tmp_path):
    """At k=9 the best loss so far (epoch 8) beats epoch 9's: the straight run leaves epoch 8's
    model in best.glassnet; a fresh callback overwrote it with epoch 9's worse one."""
    def make(folder):
        return [ModelCheckpoint(str(folder / "best.glassnet"), monitor="loss",
                                save_best_only=True)]

    (_, [a]), (_, [b]) = straight_and_resumed(tmp_path, make, 10, 9)
    assert b.best == a.best
    best_straight = load_model(tmp_path / "straight" / "best.glassnet")
    best_resumed = load_model(tmp_path / "resumed" / "best.glassnet")
    for x, y in zip(best_straight.get_weights(), best_resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("append", [False, True])
def test_csv_logger_continues_the_file(tmp_path, append):
    """append=False: the resumed run truncated the log to its own epochs (header again)."""
    def make(folder):
        return [CSVLogger(folder / "log.csv", append=append)]

    straight_and_resumed(tmp_path, make, 6, 3)
    text = (tmp_path / "straight" / "log.csv").read_text()
    assert text.splitlines()[0] == "epoch,loss" and len(text.splitlines()) == 7
    assert (tmp_path / "resumed" / "log.csv").read_text() == text


def test_csv_logger_keeps_the_columns_of_the_first_epoch(tmp_path):
    """The columns are fixed by the run's first epoch, also across a resume: validating after
    epochs 1 and 4 only, the resumed first epoch (3, no val_loss) must not drop the column."""
    x, y = data()

    def run(folder, epochs, initial_epoch=0, model=None):
        model = model or build()
        model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch, verbose=0,
                  validation_data=(x, y), validation_freq=[1, 4],
                  callbacks=[ModelCheckpoint(str(folder / "c{epoch}.glassnet"), monitor="loss"),
                             CSVLogger(folder / "log.csv", append=True)])
        return model

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    gn.manual_seed(SEED)
    run(tmp_path / "a", 4)
    gn.manual_seed(SEED)
    run(tmp_path / "b", 2)
    run(tmp_path / "b", 4, 2, load_model(tmp_path / "b" / "c2.glassnet"))
    expected = (tmp_path / "a" / "log.csv").read_text()
    assert expected.splitlines()[0] == "epoch,loss,val_loss"
    assert (tmp_path / "b" / "log.csv").read_text() == expected


def test_learning_rate_scheduler_resumes_exactly(tmp_path):
    def make(folder):
        return [LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch % 3 == 2 else lr)]

    (straight, _), _ = straight_and_resumed(tmp_path, make, 8, 4)
    assert straight.optimizer.learning_rate == 0.05 / 4


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow it is about
def test_terminate_on_nan_resumes_exactly(tmp_path):
    """The rate explodes at epoch 5: both runs stop on the same batch of the same epoch."""
    def make(folder):
        return [LearningRateScheduler(lambda epoch, lr: 1e30 if epoch >= 5 else lr),
                TerminateOnNaN()]

    (straight, [_, a]), (_, [_, b]) = straight_and_resumed(tmp_path, make, 8, 3)
    assert a.message is not None and b.message == a.message
    assert straight.optimizer.iterations < 8 * 4


def test_history_holds_every_epoch_after_a_resume(tmp_path):
    """A fresh History knew only the resumed epochs (3 of 6)."""
    (straight, _), (resumed, _) = straight_and_resumed(tmp_path, lambda folder: [], 6, 3)
    assert straight.history.epoch == resumed.history.epoch == list(range(6))
    assert resumed.history.history == straight.history.history


def test_all_together(tmp_path):
    def make(folder):
        return [EarlyStopping(monitor="loss", patience=3, min_delta=0.01),
                ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.01),
                ModelCheckpoint(str(folder / "best.glassnet"), monitor="loss",
                                save_best_only=True),
                CSVLogger(folder / "log.csv"), TerminateOnNaN()]

    for k in (2, 5):
        (straight, _), (resumed, _) = straight_and_resumed(tmp_path / str(k), make, 12, k)
        assert resumed.history.history == straight.history.history
        a, b = (tmp_path / str(k) / "straight", tmp_path / str(k) / "resumed")
        assert (a / "log.csv").read_text() == (b / "log.csv").read_text()
        best_a, best_b = load_model(a / "best.glassnet"), load_model(b / "best.glassnet")
        for x, y in zip(best_a.get_weights(), best_b.get_weights(), strict=True):
            np.testing.assert_array_equal(x, y)


# ============================================================================ the protocol
def test_base_callback_has_no_state():
    callback = Callback()
    assert callback.get_state() == {}
    assert callback.set_state({"anything": 1}) is None


def test_get_state_set_state_round_trip():
    a = EarlyStopping(monitor="loss", patience=3)
    a.wait, a.best, a.best_epoch, a.stopped_epoch = 2, 0.5, 4, 0
    b = EarlyStopping(monitor="loss", patience=3)
    b.set_state(a.get_state())
    assert (b.wait, b.best, b.best_epoch) == (2, 0.5, 4)
    b.set_model(None)
    b.on_train_begin()  # the restored state survives the start of the resumed fit
    assert (b.wait, b.best) == (2, 0.5)
    b.on_train_begin()  # but only that one: a later fit starts afresh
    assert (b.wait, b.best) == (0, None)


@pytest.mark.parametrize(("callback", "state", "message"), [
    (EarlyStopping(), {"wait": -1, "stopped_epoch": 0, "best": None, "best_epoch": 0,
                       "best_weights": None}, r"EarlyStopping.*wait.*non-negative.*-1"),
    (EarlyStopping(), {"wait": 0}, r"EarlyStopping.*fields"),
    (ReduceLROnPlateau(), {"wait": 0, "cooldown_counter": 0, "best": "x"},
     r"ReduceLROnPlateau.*best.*number.*'x'"),
    (ModelCheckpoint("m.glassnet"), {"best": math.nan, "batches_seen": 0},
     r"ModelCheckpoint.*best.*nan"),
    (CSVLogger("log.csv"), {"keys": [1]}, r"CSVLogger.*keys.*strings"),
    (History(), {"epoch": [0], "history": []}, r"History.*history"),
    (EarlyStopping(), [1], r"EarlyStopping.*a dict"),
])
def test_set_state_refuses_bad_fields(callback, state, message):
    with pytest.raises(gn.GlassnetValueError, match=message):
        callback.set_state(state)


def test_states_match_by_class_and_monitor(tmp_path):
    """A callback watching another quantity, or one of another class, starts fresh; a
    checkpoint state no callback claims is ignored; fit(initial_epoch=0) restores nothing."""
    gn.manual_seed(SEED)
    model = build()
    stop = EarlyStopping(monitor="loss", patience=5)
    fit(model, [ModelCheckpoint(str(tmp_path / "c.glassnet"), monitor="loss"), stop], 3)
    assert stop.best is not None
    other = EarlyStopping(monitor="val_loss", patience=5)
    lists = CallbackList([other, EarlyStopping(monitor="loss")])
    lists.set_callback_states(load_model(tmp_path / "c.glassnet")._callback_states)
    assert other.best is None and lists.callbacks[1].best == stop.best
    fresh = EarlyStopping(monitor="loss", patience=5)
    fit(load_model(tmp_path / "c.glassnet"), [fresh], 4, initial_epoch=0)
    assert fresh.best_epoch != stop.best_epoch or fresh.best != stop.best


def test_two_callbacks_of_a_class_are_told_apart(tmp_path):
    gn.manual_seed(SEED)
    first = [EarlyStopping(monitor="loss", patience=1), EarlyStopping(monitor="loss",
                                                                      patience=9)]
    fit(build(), [ModelCheckpoint(str(tmp_path / "c.glassnet"), monitor="loss"), *first], 5)
    first[0].wait, first[1].wait = 1, 3
    states = CallbackList(first).callback_states()
    again = [EarlyStopping(monitor="loss"), EarlyStopping(monitor="loss")]
    CallbackList(again).set_callback_states(states)
    assert [c.wait for c in again] == [1, 3]


def test_a_state_that_cannot_be_stored_is_left_out_with_a_warning(tmp_path):
    class Odd(Callback):
        def get_state(self):
            return {"when": object()}

    class NotADict(Callback):
        def get_state(self):
            return [1]

    gn.manual_seed(SEED)
    path = tmp_path / "c.glassnet"
    with pytest.warns(UserWarning, match=r"Odd#0.get_state: cannot store 'object'.*afresh"):
        with pytest.warns(UserWarning, match=r"NotADict#0.get_state: must return a dict"):
            fit(build(), [ModelCheckpoint(str(path), monitor="loss"), Odd(), NotADict()], 1)
    assert sorted(load_model(path)._callback_states) == [
        "History#0", f"ModelCheckpoint(filepath={str(path)!r}, monitor='loss')#0"]


# ============================================================================ the file
def rewrite(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(path, "w") as archive:
        for name, blob in members.items():
            archive.writestr(name, blob)


def checkpoint(tmp_path, restore_best_weights=False):
    gn.manual_seed(SEED)
    path = tmp_path / "c.glassnet"
    fit(build(), [ModelCheckpoint(str(path), monitor="loss"),
                  EarlyStopping(monitor="loss", restore_best_weights=restore_best_weights)], 2)
    return path


def test_the_checkpoint_holds_json_states_and_arrays_apart(tmp_path):
    path = checkpoint(tmp_path, restore_best_weights=True)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        document = json.loads(archive.read("callbacks.json"))
    assert {"callbacks.json", "callbacks.npz"} <= names
    assert document["format"] == "glassnet.callback_states"
    keys = sorted(document["states"])
    assert keys == ["EarlyStopping(monitor='loss')#0", "History#0",
                    f"ModelCheckpoint(filepath={str(path)!r}, monitor='loss')#0"]
    weights = document["states"][keys[0]]["state"]["best_weights"]
    assert all(set(ref) == {"__array__"} for ref in weights)
    states = load_model(path)._callback_states
    restored = states[keys[0]]["state"]["best_weights"]
    assert [w.shape for w in restored] == [(3, 8), (8,), (8, 1), (1,)]
    # a plain save stores no callback state
    gn.models.Sequential([Dense(1, input_shape=(2,))]).save(tmp_path / "plain.glassnet")
    with zipfile.ZipFile(tmp_path / "plain.glassnet") as archive:
        assert "callbacks.json" not in archive.namelist()


def _set_state_field(field, value):
    def change(members):
        document = json.loads(members["callbacks.json"])
        key = next(k for k in document["states"] if k.startswith("EarlyStopping"))
        document["states"][key]["state"][field] = value
        members["callbacks.json"] = json.dumps(document).encode()
    return change


def _set_document(value):
    def change(members):
        members["callbacks.json"] = value if isinstance(value, bytes) else json.dumps(
            value).encode()
    return change


def _drop(name):
    def change(members):
        del members[name]
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_set_document(b"{not json"), r"callbacks\.json is not valid JSON"),
    (_set_document([1]), r"callbacks\.json must hold a JSON object"),
    (_set_document({"format": "other", "states": {}}), r"format.*glassnet\.callback_states"),
    (_set_document({"format": "glassnet.callback_states", "states": []}), r"states.*object"),
    (_set_document({"format": "glassnet.callback_states", "states": {"k": {"state": {}}}}),
     r"'k'.*class_name"),
    (_set_document({"format": "glassnet.callback_states",
                    "states": {"k": {"class_name": "History", "state": {"epoch": "x",
                                                                         "history": {}}}}}),
     r"'k'.*History.*epoch"),
    (_set_document({"format": "glassnet.callback_states",
                    "states": {"k": {"class_name": "X", "state": {"a": {"__array__": "zz"}}}}}),
     r"'k'.*array 'zz'.*not in callbacks\.npz"),
    (_set_document(b"[" * 100_000 + b"]" * 100_000), r"callbacks\.json is nested too deeply"),
    (_set_document(b'{"a": ' + b"9" * 5000 + b"}"), r"callbacks\.json is not valid JSON"),
    (_set_state_field("best", 10**30), r"callbacks\.json.*EarlyStopping.*best.*number"),
    (_set_state_field("best_weights", [{"__array__": "a00000"}, "w"]),
     r"callbacks\.json.*best_weights.*arrays"),
    (_set_state_field("wait", -3), r"callbacks\.json.*EarlyStopping.*wait.*-3"),
    (_set_state_field("best", "low"), r"callbacks\.json.*EarlyStopping.*best.*'low'"),
    (_drop("callbacks.json"), r"callbacks\.npz.*without.*callbacks\.json"),
])
def test_a_malformed_callback_member_is_a_file_format_error(tmp_path, change, message):
    path = checkpoint(tmp_path, restore_best_weights=True)
    rewrite(path, change)
    with pytest.raises(gn.FileFormatError, match=message):
        load_model(path)
