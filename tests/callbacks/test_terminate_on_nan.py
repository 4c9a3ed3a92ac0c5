"""TerminateOnNaN: stops in the middle of an epoch, naming the epoch and the batch."""

import numpy as np
import pytest

from glassnet.callbacks import LambdaCallback, TerminateOnNaN
from tests.callbacks.helpers import tiny_data, tiny_model

pytestmark = pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")


def test_stops_at_the_first_nan_batch_with_a_clear_message(capsys):
    x, y = tiny_data(n=12)
    x[7, 0] = np.nan  # sample 7 is in batch 1 (batch size 4, no shuffling)
    model = tiny_model(learning_rate=0.0)
    batches = []
    terminate = TerminateOnNaN()
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                        callbacks=[terminate,
                                   LambdaCallback(on_train_batch_end=lambda b, logs:
                                                  batches.append(b))])
    assert batches == [0, 1]
    assert len(history.history["loss"]) == 1
    assert "epoch 1, batch 1" in terminate.message and "nan" in terminate.message
    assert "terminating training" in capsys.readouterr().out


def test_raise_error_option():
    x, y = tiny_data(n=4)
    y[0, 0] = np.inf
    model = tiny_model(learning_rate=0.0)
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 0"):
        model.fit(x, y, batch_size=4, verbose=0, callbacks=[TerminateOnNaN(raise_error=True)])


def test_finite_losses_do_not_stop():
    x, y = tiny_data()
    history = tiny_model().fit(x, y, epochs=2, verbose=0, callbacks=[TerminateOnNaN()])
    assert len(history.history["loss"]) == 2
