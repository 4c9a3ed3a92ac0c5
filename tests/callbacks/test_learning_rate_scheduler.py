"""LearningRateScheduler: sets optimizer.learning_rate each epoch and logs it."""

import numpy as np
import pytest

from glassnet.callbacks import LearningRateScheduler
from tests.callbacks.helpers import tiny_data, tiny_model


def test_two_argument_schedule_changes_the_optimizer_rate():
    x, y = tiny_data()
    model = tiny_model(learning_rate=0.01)
    seen = []

    def schedule(epoch, lr):
        seen.append(lr)
        return 0.1 * (epoch + 1)

    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[LearningRateScheduler(schedule)])
    assert seen == pytest.approx([0.01, 0.1, 0.2])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.2, 0.3])
    assert model.optimizer.learning_rate == pytest.approx(0.3)


def test_one_argument_schedule_and_the_rate_is_really_used():
    x, y = tiny_data(n=4)
    model = tiny_model(learning_rate=1.0)
    before = model.get_weights()
    # learning rate 0 for the single epoch: the weights must not move
    model.fit(x, y, epochs=1, batch_size=4, verbose=0,
              callbacks=[LearningRateScheduler(lambda epoch: 0.0)])
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_schedule_must_be_callable():
    with pytest.raises(TypeError, match=r"schedule"):
        LearningRateScheduler(0.1)
