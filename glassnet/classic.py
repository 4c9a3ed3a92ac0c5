"""Classic single-neuron learners from seed 001: the perceptron and the linear unit.

Perceptron (Rosenblatt): y = step(w . x + b) with step(z) = 1 if z > 0 else 0, trained one
sample at a time by the perceptron rule

    w <- w + eta (t - y) x,    b <- b + eta (t - y).

It converges (an epoch with no mistakes) exactly when the classes are linearly separable: it
learns AND, OR and NOT, but never XOR — :meth:`Perceptron.fit` then sets ``converged = False``
and warns.

Linear unit: the same neuron with the identity activation f(x) = x, fitted by gradient
descent on E = 1/2 mean((y - t)^2) with gradients from glassnet's autodiff. With one sample
per step (SGD) the update is the seed's w <- w + eta (t - y) x; 'bgd' averages it over the
whole data set, 'minibatch' over batches.

Example:
    >>> from glassnet.classic import Perceptron
    >>> p = Perceptron(2).fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1])
    >>> p.predict([[1, 1], [0, 1]]).tolist(), p.converged
    ([1.0, 0.0], True)
"""

import time
import warnings

from glassnet.backend import xp
from glassnet.config import config, get_rng, no_grad
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.tensor import Tensor

__all__ = ["Perceptron", "LinearUnit", "ConvergenceWarning", "TRUTH_TABLES"]

# Inputs and targets of the logic functions the seed trains a perceptron on.
TRUTH_TABLES = {
    "and": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]),
    "or": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1]),
    "not": ([[0], [1]], [1, 0]),
    "xor": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]),
}


class ConvergenceWarning(UserWarning):
    """A learner stopped at its epoch limit without converging."""


def _as_2d(name, x, dtype):
    x = xp.asarray(x.data if isinstance(x, Tensor) else x, dtype=dtype)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ShapeError(f"{name}: x must be (samples, features), got shape {x.shape}")
    return x


def _targets(name, t, n, dtype):
    t = xp.asarray(t.data if isinstance(t, Tensor) else t, dtype=dtype).reshape(-1)
    if t.shape[0] != n:
        raise ShapeError(f"{name}: x has {n} samples but t has {t.shape[0]} targets")
    return t


class Perceptron:
    """A single neuron with a step activation, trained by the perceptron rule.

    Args:
        n_inputs: number of input features (None: taken from the data at ``fit``).
        learning_rate: eta in w <- w + eta (t - y) x (default 0.1, as in the seed).

    Attributes:
        weights, bias: the learned parameters (ndarrays; zeros before training).
        converged: True once an epoch made no mistakes; False if ``fit`` ran out of epochs.
        history: per epoch, ``{'epoch', 'errors', 'weights', 'bias'}`` after that epoch.

    Example:
        >>> x, t = TRUTH_TABLES["or"]
        >>> Perceptron(2).fit(x, t).predict(x).tolist()
        [0.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, n_inputs=None, learning_rate=0.1):
        self.n_inputs, self.learning_rate = n_inputs, float(learning_rate)
        self.dtype = xp.dtype(config.default_float)
        self.weights = None if n_inputs is None else xp.zeros(n_inputs, dtype=self.dtype)
        self.bias = self.dtype.type(0.0)
        self.converged, self.epochs_run, self.history = False, 0, []

    def forward(self, x):
        """y = step(x @ w + b) for a batch of rows x."""
        return (x @ self.weights + self.bias > 0).astype(self.dtype)

    def predict(self, x):
        """Class predictions (0.0 or 1.0) for each row of ``x``."""
        x = _as_2d("Perceptron.predict", x, self.dtype)
        if self.weights is None:
            raise GlassnetValueError("Perceptron.predict: call fit() first (no weights yet)")
        if x.shape[1] != self.weights.shape[0]:
            raise ShapeError(
                f"Perceptron.predict: expected {self.weights.shape[0]} features, got "
                f"{x.shape[1]}"
            )
        return self.forward(x)

    def fit(self, x, t, epochs=10, shuffle=False, warn=True):
        """Apply the perceptron rule sample by sample until an epoch makes no mistakes.

        Args:
            x: inputs, shape (samples, features).
            t: 0/1 targets, one per sample.
            epochs: the most passes over the data.
            shuffle: visit the samples in a new random order each epoch (glassnet's rng).
            warn: emit a :class:`ConvergenceWarning` when the epochs run out with mistakes
                left (as for XOR, which no straight line separates).

        Returns:
            self (check ``converged``).
        """
        x = _as_2d("Perceptron.fit", x, self.dtype)
        t = _targets("Perceptron.fit", t, x.shape[0], self.dtype)
        if self.weights is None or self.weights.shape[0] != x.shape[1]:
            self.weights = xp.zeros(x.shape[1], dtype=self.dtype)
        eta = self.dtype.type(self.learning_rate)
        self.converged, self.history = False, []
        for epoch in range(1, epochs + 1):
            order = get_rng().permutation(len(x)) if shuffle else range(len(x))
            errors = 0
            for i in order:  # the rule is sequential: each update sees the previous one
                delta = t[i] - self.forward(x[i])
                if delta != 0:
                    errors += 1
                    self.weights += eta * delta * x[i]
                    self.bias += eta * delta
            self.epochs_run = epoch
            self.history.append({"epoch": epoch, "errors": errors,
                                 "weights": self.weights.copy(), "bias": float(self.bias)})
            if errors == 0:
                self.converged = True
                break
        if not self.converged and warn:
            wrong = int((self.forward(x) != t).sum())
            warnings.warn(
                f"Perceptron did not converge in {epochs} epoch{'s' if epochs != 1 else ''}: "
                f"{wrong} of {len(x)} samples "
                f"are still misclassified. The perceptron rule converges only when the two "
                f"classes are linearly separable; these data (XOR, for example) may not be.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self


class LinearUnit:
    """A neuron with the identity activation, y = x . w + b, fitted by gradient descent.

    Loss E = 1/2 mean over the batch of (y - t)^2; gradients come from ``backward()``.

    Args:
        n_inputs: number of input features (None: taken from the data at ``fit``).
        learning_rate: eta.

    Attributes:
        weights, bias: Tensors (requires_grad); ``history['loss']``: the loss on the whole
        training set after each epoch (index 0: before training); ``history['steps']``:
        number of parameter updates so far at each of those points.

    Example:
        >>> unit = LinearUnit(1, learning_rate=0.1).fit([[1.0], [2.0]], [3.0, 5.0], epochs=2000)
        >>> [round(v, 2) for v in unit.predict([[3.0]]).tolist()]
        [7.0]
    """

    METHODS = ("bgd", "sgd", "minibatch")

    def __init__(self, n_inputs=None, learning_rate=0.01):
        self.learning_rate = float(learning_rate)
        self.dtype = xp.dtype(config.default_float)
        self.weights = None
        if n_inputs is not None:
            self._init_params(n_inputs)
        self.history = {"loss": [], "steps": []}

    def _init_params(self, n_inputs):
        self.weights = Tensor(xp.zeros((n_inputs, 1), dtype=self.dtype), requires_grad=True)
        self.bias = Tensor(xp.zeros(1, dtype=self.dtype), requires_grad=True)

    def forward(self, x):
        """y = x @ w + b (a Tensor of shape (samples,))."""
        return (x @ self.weights + self.bias).reshape(-1)

    def loss(self, x, t):
        """E = 1/2 mean((y - t)^2) on the given samples (a scalar Tensor)."""
        diff = self.forward(x) - t
        return (diff * diff).mean() * 0.5

    def predict(self, x):
        """y = x . w + b for each row of ``x`` (an ndarray)."""
        x = _as_2d("LinearUnit.predict", x, self.dtype)
        with no_grad():
            return self.forward(Tensor(x)).data

    def fit(self, x, t, epochs=100, method="bgd", batch_size=None, shuffle=True):
        """Gradient descent: 'bgd' (whole set per step), 'sgd' (one sample) or 'minibatch'.

        Args:
            x: inputs (samples, features); t: targets (samples,).
            epochs: passes over the data.
            method: 'bgd', 'sgd' or 'minibatch'.
            batch_size: minibatch size (default 8; ignored by 'bgd' and 'sgd').
            shuffle: shuffle each epoch with glassnet's rng (sgd and minibatch).

        Returns:
            self.
        """
        if method not in self.METHODS:
            raise GlassnetValueError(
                f"LinearUnit.fit: method must be one of {', '.join(self.METHODS)}, got "
                f"{method!r}"
            )
        x = _as_2d("LinearUnit.fit", x, self.dtype)
        t = _targets("LinearUnit.fit", t, x.shape[0], self.dtype)
        if self.weights is None or self.weights.shape[0] != x.shape[1]:
            self._init_params(x.shape[1])
        n = len(x)
        size = {"bgd": n, "sgd": 1, "minibatch": batch_size or 8}[method]
        eta = self.dtype.type(self.learning_rate)
        xt, tt = Tensor(x), Tensor(t)
        steps = self.history["steps"][-1] if self.history["steps"] else 0
        if not self.history["loss"]:
            self._record(xt, tt, steps)
        start = time.perf_counter()
        for _ in range(epochs):
            order = get_rng().permutation(n) if shuffle and size < n else xp.arange(n)
            for begin in range(0, n, size):
                index = order[begin:begin + size]
                loss = self.loss(Tensor(x[index]), Tensor(t[index]))
                self.weights.grad = self.bias.grad = None
                loss.backward()
                self.weights.data -= eta * self.weights.grad.data
                self.bias.data -= eta * self.bias.grad.data
                steps += 1
            self._record(xt, tt, steps)
        self.fit_seconds = time.perf_counter() - start
        return self

    def _record(self, x, t, steps):
        with no_grad():
            self.history["loss"].append(float(self.loss(x, t).item()))
        self.history["steps"].append(steps)
