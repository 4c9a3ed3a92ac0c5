"""Shared drivers for the optimizer tests: run an optimizer and a NumPy reference side by side.

The reference update functions live in each test file, written straight from the published
formula in plain (not in-place) float64 NumPy.
"""

import numpy as np

import glassnet as gn

W0 = np.array([1.0, -2.0, 0.5, 0.0])


def grad_at(w, k):
    """A deterministic gradient that depends on the weights and the step (k = 0, 1, ...)."""
    return np.array([2.0, 0.5, 1.5, 1.0]) * w + 0.3 * np.cos(k + np.arange(w.size))


def run_optimizer(opt, steps=5, w0=W0):
    """Apply ``steps`` updates with Keras-style apply_gradients; return the final weights."""
    w = gn.tensor(w0.copy())
    for k in range(steps):
        opt.apply_gradients([(grad_at(w.data, k), w)])
    return w.data


def run_reference(update, steps=5, w0=W0):
    """``update(w, g, t, state) -> w`` called with t = 1, 2, ...; state is a dict it may fill."""
    w, state = w0.copy(), {}
    for k in range(steps):
        w = update(w, grad_at(w, k), k + 1, state)
    return w


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-9)
