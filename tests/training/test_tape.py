"""GradientTape: tape.gradient is gn.grad; TensorFlow's one-call rule unless persistent."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError


def test_gradient_of_a_tensor_and_of_a_list():
    w = gn.tensor(3.0, requires_grad=True)
    b = gn.tensor(4.0, requires_grad=True)
    unused = gn.tensor(1.0, requires_grad=True)
    with gn.GradientTape(persistent=True) as tape:
        z = (2 * w + 3 * b) * (2 * b + 1)
    assert tape.gradient(z, w).item() == 18.0
    dw, db, du = tape.gradient(z, [w, b, unused])
    assert (dw.item(), db.item(), du) == (18.0, 63.0, None)
    assert w.grad is None  # returned, not stored


def test_a_non_persistent_tape_gives_one_set_of_gradients():
    w = gn.tensor(2.0, requires_grad=True)
    with gn.GradientTape() as tape:
        y = w * w * w
    assert tape.gradient(y, [w])[0].item() == 12.0
    with pytest.raises(GlassnetValueError, match="persistent=True"):
        tape.gradient(y, [w])


def test_watch_makes_a_constant_differentiable_and_stop_recording_stops():
    x = gn.tensor(np.array([1.0, 2.0]))
    with gn.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = (x * x).sum()
        with tape.stop_recording():
            frozen = x * 5
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])
    assert not frozen.requires_grad
