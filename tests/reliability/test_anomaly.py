"""gn.detect_anomaly() names the first op that makes NaN/inf, in forward and in backward, also
inside model.fit; numerics stay finite at +-1e4.

tests/test_tensor.py checks one Log (forward) and one Sqrt (backward) on bare tensors;
tests/ops/test_nn.py and tests/test_losses.py check softmax, log_softmax, sigmoid, softplus
and the cross-entropies at +-1e4; tests/callbacks/test_terminate_on_nan.py checks that
TerminateOnNaN names the epoch and the batch. This file adds what those do not cover.

Broken variants checked on an edited copy of glassnet: with the forward check in
Function.__call__ removed, the two forward tests failed; the backward tests are guarded twice
(the ops run inside a backward are checked as they run, and _run_backward checks each
returned gradient), so they failed only with both checks removed; with Config.detect_anomaly
defaulting to True the last test failed.
"""

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.config import config
from glassnet.errors import AnomalyError
from glassnet.layers import Dense
from glassnet.layers.base import Layer
from glassnet.models import Sequential

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_forward_names_the_first_bad_op_not_a_later_one():
    """Log makes the NaN; Mul and Exp after it would also be non-finite."""
    x = gn.tensor([-1.0, 2.0], requires_grad=True)
    with np.errstate(all="ignore"), gn.detect_anomaly():
        with pytest.raises(AnomalyError, match=r"Log produced NaN/inf in forward \(input "
                                               r"shapes \(2,\)\)") as info:
            gn.exp(gn.log(x * 3.0) * 2.0)
    assert "Mul" not in str(info.value) and "Exp" not in str(info.value)
    assert config.detect_anomaly is False


def test_backward_names_the_op_whose_gradient_blows_up():
    """Forward is finite everywhere (sqrt(0) = 0); only the backward of Sqrt is infinite."""
    x = gn.tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(all="ignore"), gn.detect_anomaly():
        y = (gn.sqrt(x) * 2.0).sum()
        assert np.isfinite(y.item())
        with pytest.raises(AnomalyError, match=r"backward of Sqrt"):
            y.backward()


class LogLayer(Layer):
    """log(x): NaN for negative inputs."""

    def call(self, inputs):
        return gn.log(inputs)


class SqrtLayer(Layer):
    """sqrt(relu(x)): finite forward, infinite gradient where relu(x) = 0."""

    def call(self, inputs):
        return gn.sqrt(gn.relu(inputs))


@pytest.mark.parametrize("layer, words", [
    (LogLayer, r"Log produced NaN/inf in forward"),
    (SqrtLayer, r"backward of Sqrt"),
])
def test_anomaly_inside_fit_names_the_op(layer, words):
    model = Sequential([Dense(3, input_shape=(2,), kernel_initializer="ones",
                              bias_initializer="zeros"), layer()])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[-1.0, -1.0], [2.0, 1.0]], np.float32)  # row 0: z = -2 -> log NaN, relu 0
    with np.errstate(all="ignore"), gn.detect_anomaly():
        with pytest.raises(AnomalyError, match=words):
            model.fit(x, np.ones((2, 3), np.float32), epochs=1, verbose=0)
    # without detect_anomaly the same fit silently produces NaN
    with np.errstate(all="ignore"):
        model.fit(x, np.ones((2, 3), np.float32), epochs=1, verbose=0)


def test_detect_anomaly_is_off_by_default_and_costs_nothing_when_off():
    assert config.detect_anomaly is False
    with np.errstate(all="ignore"):
        assert np.isnan(gn.log(gn.tensor([-1.0])).item())


def test_detect_anomaly_raises_its_error_instead_of_numpy_warnings():
    """With the anomaly check on, the AnomalyError is the message: no RuntimeWarning first."""
    x = gn.tensor([-1.0, 0.0], requires_grad=True)
    y = gn.tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # this module ignores them otherwise
        with gn.detect_anomaly(), pytest.raises(AnomalyError, match="Log produced NaN/inf"):
            gn.log(x)
        with gn.detect_anomaly():
            z = gn.sqrt(y).sum()
            with pytest.raises(AnomalyError, match="backward of Sqrt"):
                z.backward()
